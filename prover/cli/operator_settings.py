"""Settings of the operator's commands (pydantic-settings, env prefix `ZKCREDITS_`): the chain
keys that `deploy run`, `gateway attest --publish`, `provider collect` and `validator run` sign
with when no `--key-file` is given (never an argument), and where `chain up --detach` records
its Anvil. Keys are `SecretStr`: never printed, never in an error line."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from prover.settings_types import HexKeySetting, env_name, load_settings


class OperatorKeySettings(BaseSettings):
    """`ZKCREDITS_DEPLOYER_KEY`, `ZKCREDITS_AGENT_WALLET_KEY`, `ZKCREDITS_TREASURY_KEY`,
    `ZKCREDITS_VALIDATOR_KEY`: hex chain keys; a `--key-file` wins over each."""

    model_config = SettingsConfigDict(env_prefix="ZKCREDITS_", extra="ignore", frozen=True)

    deployer_key: HexKeySetting = Field(
        default=None,
        repr=False,
        description="The deployer's hex chain key (`deploy run`; the agent owner's for "
        "`gateway attest --publish`).",
    )
    agent_wallet_key: HexKeySetting = Field(
        default=None,
        repr=False,
        description="Key of the agent wallet `deploy run` proves (else the deployer's).",
    )
    treasury_key: HexKeySetting = Field(
        default=None, repr=False, description="The treasury's hex chain key (`provider collect`)."
    )
    validator_key: HexKeySetting = Field(
        default=None, repr=False, description="The validator's hex chain key (`validator run`)."
    )


def operator_key(variable: str) -> str | None:
    """The key named by its variable (`ZKCREDITS_DEPLOYER_KEY`, …); None when unset or empty."""
    settings = load_settings(OperatorKeySettings)
    for field in OperatorKeySettings.model_fields:
        if env_name(OperatorKeySettings, field) == variable:
            value: SecretStr | None = getattr(settings, field)
            return None if value is None else value.get_secret_value() or None
    raise KeyError(f"{variable} is not a key of OperatorKeySettings")


class DevChainSettings(BaseSettings):
    """`ZKCREDITS_CHAIN_STATE`: where `zkcredits chain up --detach` records its Anvil."""

    model_config = SettingsConfigDict(env_prefix="ZKCREDITS_", extra="ignore", frozen=True)

    chain_state: Path | None = Field(
        default=None,
        description="State file of the detached dev chain (`chain up/down/status`; default "
        "`build/chain/anvil.json` in the checkout).",
    )
