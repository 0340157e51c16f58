"""Settings of the `zkcredits client` commands themselves (pydantic-settings, env prefix
`ZKCREDITS_`): the wallet file, its passphrases, the user's chain key and the depth of the
client's chain view. Secrets are `SecretStr` (never printed); command-line files win over them.

A light module on purpose: commands that only open the wallet import it without the chain stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from prover.settings_types import FinalitySetting, HexKeySetting, env_name, load_settings

DEFAULT_WALLET: Final = Path.home() / ".zkcredits" / "wallet.zkw"
DEFAULT_CONFIRMATIONS: Final = "12"


class ClientSettings(BaseSettings):
    """The client command line's own settings (`ZKCREDITS_WALLET`, `_WALLET_PASSPHRASE`,
    `_EXPORT_PASSPHRASE`, `_CLIENT_KEY`, `_CONFIRMATIONS`)."""

    model_config = SettingsConfigDict(env_prefix="ZKCREDITS_", extra="ignore", frozen=True)

    wallet: Path = Field(
        default=DEFAULT_WALLET, description="The wallet file (else `--wallet`; options win)."
    )
    wallet_passphrase: SecretStr | None = Field(
        default=None,
        repr=False,
        description="The wallet's passphrase (else `--passphrase-file`, else a prompt).",
    )
    export_passphrase: SecretStr | None = Field(
        default=None,
        repr=False,
        description="The export file's passphrase (else `--export-passphrase-file`, else the "
        "wallet's).",
    )
    client_key: HexKeySetting = Field(
        default=None,
        repr=False,
        description="The user's hex chain key for deposits and withdrawals (else `--key-file`).",
    )
    confirmations: FinalitySetting = Field(
        default=DEFAULT_CONFIRMATIONS,
        description="Depth of the client's chain view: `auto` (0 on 31337/1337, the node's "
        "`finalized` block elsewhere), `finalized`, or a number of confirmations (0-10000).",
    )


def client_settings() -> ClientSettings:
    """The settings from the environment; a malformed value is a `SettingsValueError`."""
    return load_settings(ClientSettings)


def client_secret(variable: str) -> str | None:
    """The value of the secret setting named by its variable (`ZKCREDITS_CLIENT_KEY`, …); None
    when unset or empty."""
    settings = client_settings()
    for field in ClientSettings.model_fields:
        if env_name(ClientSettings, field) == variable:
            value = getattr(settings, field)
            if isinstance(value, SecretStr):
                return value.get_secret_value() or None
            return None
    raise KeyError(f"{variable} is not a secret of ClientSettings")
