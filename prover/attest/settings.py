"""Settings of the validator (`ZKCREDITS_VALIDATOR_*`); command-line options win over them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from prover.attest.errors import AttestConfigError
from prover.attest.policy import TcbPolicy, TcbStatus
from prover.attest.validator import DEFAULT_TAG, ValidatorConfig

ENV_PREFIX = "ZKCREDITS_VALIDATOR_"


class ValidatorSettings(BaseSettings):
    """Everything `zkcredits validator run` needs besides its signing key (a key file, or
    `ZKCREDITS_VALIDATOR_KEY`; never an argument)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    rpc_url: str = Field(pattern=r"^https?://")
    validation_registry: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    identity_registry: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    state_file: Path = Path("validator-state.json")
    start_block: int = Field(default=0, ge=0)
    poll_seconds: float = Field(default=5.0, gt=0, le=3600)
    confirmations: int = Field(default=0, ge=0, le=1000)
    max_fetch_attempts: int = Field(default=5, ge=1, le=1000)
    tag: str = Field(default=DEFAULT_TAG, min_length=1, max_length=64)
    accepted_tcb_statuses: frozenset[TcbStatus] = Field(
        default=frozenset({"UpToDate"}), min_length=1
    )
    refused_advisories: frozenset[str] = frozenset()
    allow_private_hosts: bool = False

    def validator_config(self) -> ValidatorConfig:
        return ValidatorConfig(
            policy=TcbPolicy(
                accepted_statuses=self.accepted_tcb_statuses,
                refused_advisories=self.refused_advisories,
            ),
            tag=self.tag,
            max_fetch_attempts=self.max_fetch_attempts,
            confirmations=self.confirmations,
            allow_private_hosts=self.allow_private_hosts,
        )


def validator_settings(**given: Any) -> ValidatorSettings:
    """Explicit values (not None) win over the environment; a bad value names its setting."""
    values = {k: v for k, v in given.items() if v is not None}
    try:
        return ValidatorSettings(**values)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "settings"
        where = f"--{name.replace('_', '-')}" if name in values else ENV_PREFIX + name.upper()
        raise AttestConfigError(f"{where}: {error['msg']}", field=name) from None
