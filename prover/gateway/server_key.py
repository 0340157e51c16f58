"""The gateway's state-signing key file (D4): made by `zkcredits gateway keygen`, read by `serve`.

The key is a Baby Jubjub scalar `a ∈ [1, l)`; `server_pk = a·Base8` is what the vault pins. The
file holds its 32 bytes big-endian, written as 64 hex digits and a newline (raw 32 bytes are read
too). `write_server_key` creates the file with mode 0600 and never replaces an existing one: the
temporary file is linked to its name, which fails if the name exists, so two concurrent runs
cannot both succeed and a key is never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from prover.crypto.babyjub import Point
from prover.crypto.eddsa import (
    generate_secret_key,
    public_key,
    secret_key_from_bytes,
    secret_key_to_bytes,
)
from prover.crypto.errors import CryptoError
from prover.gateway.app.errors import GatewayConfigError
from prover.logs import get_logger

log = get_logger("zkcredits.gateway.keys")


def read_server_key(path: Path, *, field: str = "server_key") -> int:
    """The secret scalar of a D4 key file: 32 raw bytes, or 64 hex digits (optionally `0x`)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise GatewayConfigError(
            f"{field}: no key file at {path} (make one with `zkcredits gateway keygen --out "
            f"{path}`)",
            field=field,
        ) from exc
    except OSError as exc:
        raise GatewayConfigError(
            f"{field}: cannot read {path}: {exc.strerror}", field=field
        ) from exc
    text = data.strip().decode("ascii", "replace").removeprefix("0x")
    if len(data) != 32 and len(text) == 64:
        try:
            data = bytes.fromhex(text)
        except ValueError as exc:
            raise GatewayConfigError(f"{field}: {path} is not hex", field=field) from exc
    if len(data) != 32:
        raise GatewayConfigError(
            f"{field}: {path} must hold a 32-byte key (64 hex digits)", field=field
        )
    try:
        secret = secret_key_from_bytes(data)
    except CryptoError as exc:
        raise GatewayConfigError(
            f"{field}: {path} holds no Baby Jubjub secret key (it must be in [1, l))", field=field
        ) from exc
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("key_file_readable_by_others", path=str(path), fix="chmod 600")
    return secret


def write_server_key(path: Path) -> Point:
    """Make a fresh key at `path` (mode 0600, never replacing a file); returns `server_pk`."""
    if path.exists() or path.is_symlink():
        raise GatewayConfigError(
            f"out: {path} already exists; keys are never overwritten", field="out"
        )
    secret = generate_secret_key()
    body = (secret_key_to_bytes(secret).hex() + "\n").encode("ascii")
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = parent / f".{path.name}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.link(tmp, path)  # fails if `path` appeared meanwhile: never an overwrite
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        dir_fd = os.open(parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except FileExistsError as exc:
        raise GatewayConfigError(
            f"out: {path} already exists; keys are never overwritten", field="out"
        ) from exc
    except OSError as exc:
        raise GatewayConfigError(f"out: cannot write {path}: {exc.strerror}", field="out") from exc
    return public_key(secret)
