"""Quote generation through Linux configfs-tsm (`/sys/kernel/config/tsm/report`, kernel ≥ 6.7).

Written against the kernel's documented ABI (`Documentation/ABI/testing/configfs-tsm-report`):

1. `mkdir report/$name`: a report instance of our own (the ABI's advice to avoid conflicts with
   other writers), with attributes `inblob` (WO), `outblob` (RO), `provider` (RO),
   `generation` (RO) and others;
2. `provider` names the outblob format: it must be `tdx_guest` (an Intel TDX quote);
3. read `generation`, write the 64 bytes of `report_data` to `inblob` (the TDX driver refuses
   any other length with EINVAL), read `outblob` (the kernel asks the host's quoting service for
   the quote; EFBIG if larger than its maximum), read `generation` again: it must have grown by
   exactly one, else another writer changed the request between our write and our read;
4. `rmdir report/$name`, always.

NOT TESTED ON TDX HARDWARE: no TDX machine exists where this was written. The tests drive this
code against a temporary directory that mimics the interface (the file operations are real; the
kernel's side effects are simulated), which checks the protocol, not a kernel.
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path
from typing import Final

from prover.attest.errors import TsmError
from prover.attest.quote import MAX_QUOTE_BYTES, REPORT_DATA_BYTES
from prover.logs import get_logger

TSM_REPORT_ROOT: Final = Path("/sys/kernel/config/tsm/report")
TDX_PROVIDER: Final = "tdx_guest"
log = get_logger("zkcredits.attest.tsm")


class ConfigFs:
    """The file operations configfs-tsm needs; each is one system call on the real interface.
    (Tests subclass it to add, on a plain directory, the side effects the kernel would have.)"""

    def mkdir(self, path: Path) -> None:
        os.mkdir(path, 0o700)

    def rmdir(self, path: Path) -> None:
        os.rmdir(path)

    def read(self, path: Path) -> bytes:
        with open(path, "rb", buffering=0) as f:
            return f.read(MAX_QUOTE_BYTES + 1)

    def write(self, path: Path, data: bytes) -> None:
        """One `write(2)` of the whole value, as configfs binary attributes expect."""
        fd = os.open(path, os.O_WRONLY)
        try:
            if os.write(fd, data) != len(data):
                raise OSError(errno.EIO, "short write")
        finally:
            os.close(fd)


def _os_error(exc: OSError, what: str, field: str) -> TsmError:
    name = errno.errorcode.get(exc.errno or 0, "error")
    hint = {
        errno.EFBIG: " (the quote exceeds the kernel's maximum)",
        errno.EINVAL: " (the provider refused the request)",
        errno.EBUSY: " (a previous quote request is still with the host)",
        errno.EIO: " (the host's quoting service failed)",
        errno.EACCES: " (run as root, or grant access to the tsm directory)",
    }.get(exc.errno or 0, "")
    return TsmError(f"configfs-tsm: {what} failed: {name} {exc.strerror or ''}{hint}", field=field)


def generate_quote(
    report_data: bytes, *, root: Path = TSM_REPORT_ROOT, fs: ConfigFs | None = None
) -> bytes:
    """A TDX quote over `report_data` (64 bytes) from configfs-tsm; `TsmError` names what failed."""
    fs = fs or ConfigFs()
    if len(report_data) != REPORT_DATA_BYTES:
        raise TsmError(f"report_data is {REPORT_DATA_BYTES} bytes", field="report_data")
    if not root.is_dir():
        raise TsmError(
            f"{root} does not exist: not a confidential VM, configfs not mounted, "
            "or a kernel older than 6.7",
            field="tsm_root",
        )
    entry = root / f"zkcredits-{os.getpid()}-{secrets.token_hex(6)}"
    try:
        fs.mkdir(entry)
    except OSError as exc:
        raise _os_error(exc, f"mkdir {entry}", "tsm_root") from exc
    try:
        return _generate(fs, entry, report_data)
    finally:
        try:
            fs.rmdir(entry)
        except OSError as exc:  # the quote (or the error being raised) stands; say what is left
            log.warning("tsm_rmdir_failed", entry=str(entry), errno=exc.errno)


def _generate(fs: ConfigFs, entry: Path, report_data: bytes) -> bytes:
    try:
        provider = fs.read(entry / "provider").decode("ascii", "replace").strip()
    except OSError as exc:
        raise _os_error(exc, "reading provider", "provider") from exc
    if provider != TDX_PROVIDER:
        raise TsmError(
            f"the TSM provider is {provider!r}, not {TDX_PROVIDER!r}: not an Intel TDX guest",
            field="provider",
        )
    before = _generation(fs, entry)
    try:
        fs.write(entry / "inblob", report_data)
    except OSError as exc:
        raise _os_error(exc, "writing inblob", "inblob") from exc
    try:
        quote = fs.read(entry / "outblob")
    except OSError as exc:
        raise _os_error(exc, "reading outblob", "outblob") from exc
    after = _generation(fs, entry)
    if after != before + 1:
        raise TsmError(
            f"generation went from {before} to {after}: another writer changed the request",
            field="generation",
        )
    if not quote:
        raise TsmError("the kernel returned an empty quote", field="outblob")
    if len(quote) > MAX_QUOTE_BYTES:
        raise TsmError(f"the quote exceeds {MAX_QUOTE_BYTES} bytes", field="outblob")
    return quote


def _generation(fs: ConfigFs, entry: Path) -> int:
    try:
        text = fs.read(entry / "generation").decode("ascii", "replace").strip()
    except OSError as exc:
        raise _os_error(exc, "reading generation", "generation") from exc
    if not text.isdigit():
        raise TsmError(f"generation is {text!r}, not a number", field="generation")
    return int(text)
