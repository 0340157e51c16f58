"""Secret files (state key, chain keys, passphrases, upstream credentials): one permission rule.

The rule (docs/protocol-decisions.md, "Secret files"): a secret file is the owner's alone.
- Reading refuses a file on which group or other users have any permission bit
  (`mode & 0o077`), with `SecretFileExposedError` saying `chmod 600 PATH`. The mode is taken
  from the opened file (`fstat`), so it is the file actually read. A missing file, an unreadable
  one and (for text) an empty or non-UTF-8 one are each refused with their own error naming the
  path.
- Writing creates the file with mode 0600 atomically (temp file, fsync, then a new name,
  fsync the directory); its directory is created 0700. A secret is never overwritten: the
  temporary file is *linked* to the name, which fails if the name exists, so two writers racing
  on one path leave exactly one secret.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from prover.plumbing.atomic import fsync_dir, write_all
from prover.plumbing.errors import (
    SecretFileExistsError,
    SecretFileExposedError,
    SecretFileMalformedError,
    SecretFileMissingError,
    SecretFileUnreadableError,
    SecretFileWriteError,
)

OTHERS = stat.S_IRWXG | stat.S_IRWXO
MAX_SECRET_BYTES = 1 << 16  # keys, passphrases and header sets are small; a huge file is a mistake


def read_secret_bytes(path: Path) -> bytes:
    """The bytes of the secret file at `path`, under the one rule (module docstring)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError as exc:
        raise SecretFileMissingError(f"no file at {path}") from exc
    except OSError as exc:
        raise SecretFileUnreadableError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SecretFileUnreadableError(f"{path} is not a regular file")
        if info.st_mode & OTHERS:
            raise SecretFileExposedError(
                f"{path} is readable by other users (mode {stat.S_IMODE(info.st_mode):o}): "
                f"chmod 600 {path}"
            )
        data = os.read(fd, MAX_SECRET_BYTES + 1)
    except OSError as exc:
        raise SecretFileUnreadableError(f"cannot read {path}: {exc.strerror}") from exc
    finally:
        os.close(fd)
    if len(data) > MAX_SECRET_BYTES:
        raise SecretFileMalformedError(f"{path} is larger than {MAX_SECRET_BYTES} bytes")
    return data


def read_secret_text(path: Path, *, strip: bool = True, allow_empty: bool = False) -> str:
    """The UTF-8 text of the secret file at `path` (surrounding white space removed unless
    `strip` is false); an empty file is refused unless `allow_empty`."""
    data = read_secret_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SecretFileMalformedError(f"{path} is not UTF-8 text") from exc
    if strip:
        text = text.strip()
    if not text.strip() and not allow_empty:
        raise SecretFileMalformedError(f"{path} is empty")
    return text


def write_secret_bytes(path: Path, data: bytes) -> None:
    """Create `path` holding `data`, mode 0600, atomically; never replaces an existing file."""
    if path.exists() or path.is_symlink():
        raise SecretFileExistsError(f"{path} already exists; secrets are never overwritten")
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            try:
                os.fchmod(fd, 0o600)  # whatever the umask
                write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.link(tmp, path)  # fails if `path` appeared meanwhile: never an overwrite
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        fsync_dir(parent)
    except FileExistsError as exc:
        raise SecretFileExistsError(
            f"{path} already exists; secrets are never overwritten"
        ) from exc
    except OSError as exc:
        raise SecretFileWriteError(f"cannot write {path}: {exc.strerror}") from exc
