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

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, use_attribute_docstrings=True
    )

    rpc_url: str = Field(pattern=r"^https?://")
    """Chain JSON-RPC URL (`--rpc-url` wins)."""
    validation_registry: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    """Address of the ERC-8004 Validation Registry."""
    identity_registry: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    """Address of the ERC-8004 Identity Registry."""
    state_file: Path = Path("validator-state.json")
    """Where the validator records the requests it answered."""
    start_block: int = Field(default=0, ge=0)
    """First block scanned for validation requests."""
    poll_seconds: float = Field(default=5.0, gt=0, le=3600)
    """How often the chain is scanned."""
    confirmations: int = Field(default=0, ge=0, le=1000)
    """Confirmations before a request is answered."""
    max_fetch_attempts: int = Field(default=5, ge=1, le=1000)
    """Attempts to fetch an attestation document before answering it failed."""
    tag: str = Field(default=DEFAULT_TAG, min_length=1, max_length=64)
    """Tag of the validation responses it writes."""
    accepted_tcb_statuses: frozenset[TcbStatus] = Field(
        default=frozenset({"UpToDate"}), min_length=1
    )
    """TCB statuses the validator accepts (JSON list)."""
    refused_advisories: frozenset[str] = frozenset()
    """Intel advisories the validator refuses (JSON list)."""
    allow_private_hosts: bool = False
    """Fetch attestation documents from private addresses (local development only)."""

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
