"""Where the wallet passphrase comes from (never the command line): a file or the environment.

A passphrase file follows the secret-file rule (`prover.plumbing.secret_file`): the owner's alone.

A light module on purpose: commands that only open the wallet (`client balance`) import it
without the chain and proving stack `prover.client.session` brings.
"""

from __future__ import annotations

from pathlib import Path

from prover.client.client_settings import client_secret
from prover.client.errors import ClientError
from prover.plumbing.errors import SecretFileError, SecretFileMissingError
from prover.plumbing.secret_file import read_secret_text

PASSPHRASE_ENV = "ZKCREDITS_WALLET_PASSPHRASE"


def read_passphrase(path: Path | None, env: str = PASSPHRASE_ENV) -> str | None:
    """From `--passphrase-file` or `$ZKCREDITS_WALLET_PASSPHRASE`; None means prompt."""
    if path is not None:
        try:
            return read_secret_text(path, strip=False, allow_empty=True).rstrip("\n")
        except SecretFileMissingError as exc:
            raise ClientError(
                f"passphrase file {path} does not exist", field="passphrase_file"
            ) from exc
        except SecretFileError as exc:
            raise ClientError(f"passphrase file: {exc}", field="passphrase_file") from exc
    return client_secret(env)  # `ClientSettings`: a malformed environment is a named error
