"""The gateway's state-signing key file (D4): made by `zkcredits gateway keygen`, read by `serve`.

The key is a Baby Jubjub scalar `a ∈ [1, l)`; `server_pk = a·Base8` is what the vault pins. The
file holds its 32 bytes big-endian, written as 64 hex digits and a newline (raw 32 bytes are read
too). Reading and writing follow the secret-file rule (`prover.plumbing.secret_file`): a key file
others can read is refused (`chmod 600 PATH`); `write_server_key` creates the file with mode 0600
and never replaces an existing one (the temporary file is linked to its name, which fails if the
name exists, so two concurrent runs cannot both succeed and a key is never overwritten).
"""

from __future__ import annotations

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
from prover.plumbing.errors import SecretFileError, SecretFileExistsError, SecretFileMissingError
from prover.plumbing.secret_file import read_secret_bytes, write_secret_bytes


def read_server_key(path: Path, *, field: str = "server_key") -> int:
    """The secret scalar of a D4 key file: 32 raw bytes, or 64 hex digits (optionally `0x`).

    The file must be the owner's alone (the secret-file rule of `prover.plumbing.secret_file`)."""
    try:
        data = read_secret_bytes(path)
    except SecretFileMissingError as exc:
        raise GatewayConfigError(
            f"{field}: no key file at {path} (make one with `zkcredits gateway keygen --out "
            f"{path}`)",
            field=field,
        ) from exc
    except SecretFileError as exc:
        raise GatewayConfigError(f"{field}: {exc}", field=field) from exc
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
    return secret


def write_server_key(path: Path) -> Point:
    """Make a fresh key at `path` (mode 0600, never replacing a file); returns `server_pk`."""
    secret = generate_secret_key()
    body = (secret_key_to_bytes(secret).hex() + "\n").encode("ascii")
    try:
        write_secret_bytes(path, body)
    except SecretFileExistsError as exc:
        raise GatewayConfigError(
            f"out: {path} already exists; keys are never overwritten", field="out"
        ) from exc
    except SecretFileError as exc:
        raise GatewayConfigError(f"out: {exc}", field="out") from exc
    return public_key(secret)
