"""`--require-tee`: the client verifies the provider's TEE attestation itself (docs/tee.md).

Used by discovery (`zkcredits client init --require-tee`) and the prover service (`TeeGate`, on
start and before paid calls). The expectation comes from the client's own pin, never from the
gateway: the measurements the registration file pinned (`ProviderPin.tee`), and a `report_data`
binding the chain id, vault and `server_pk` checked on chain at discovery and the gateway key
the registration names. The TCB policy is the client's (`ZKCREDITS_TEE_*`; default: only
`UpToDate`). Every refusal is one `TeeRefusedError` naming the failed check (`check`) and the
value at fault (`field`); the quote is never trusted on a validator's word.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from prover.attest.appraise import Appraisal, Expectation
from prover.attest.binding import Binding
from prover.attest.errors import AttestError, Check, CheckFailed, EvidenceFetchError
from prover.attest.fetch import StreamingTransport
from prover.attest.policy import TcbPolicy, TcbStatus
from prover.attest.require import AttestationCache, require_tee
from prover.client.errors import TeeRefusedError, TeeSettingError
from prover.client.profile import ProviderPin

ENV_PREFIX = "ZKCREDITS_TEE_"


class TeeSettings(BaseSettings):
    """`ZKCREDITS_TEE_REQUIRE`, `_ACCEPTED_TCB_STATUSES` (JSON list), `_REFUSED_ADVISORIES`,
    `_RECHECK_SECONDS`, `_ALLOW_PLAIN_HTTP`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, use_attribute_docstrings=True
    )

    require: bool = False
    """Require an attested gateway of every provider (as `--require-tee` does for one)."""
    accepted_tcb_statuses: frozenset[TcbStatus] = Field(
        default=frozenset({"UpToDate"}), min_length=1
    )
    """TCB statuses of a TDX quote the client accepts (JSON list)."""
    refused_advisories: frozenset[str] = frozenset()
    """Intel advisories the client refuses (JSON list)."""
    recheck_seconds: float = Field(default=300.0, ge=0, le=86_400)
    """How often the prover service fetches the attestation again before a paid call (a changed
    document, or expired collateral, is appraised again; an unchanged one is not)."""
    allow_plain_http: bool = False
    """Accept a gateway over plain http, which shows no TLS key to compare with the bound one
    (local development only)."""

    def policy(self) -> TcbPolicy:
        return TcbPolicy(
            accepted_statuses=self.accepted_tcb_statuses,
            refused_advisories=self.refused_advisories,
        )


def tee_settings(**given: Any) -> TeeSettings:
    """The settings, explicit values (not None) winning over the environment; a bad value is a
    `ClientError` naming its variable."""
    values = {k: v for k, v in given.items() if v is not None}
    try:
        return TeeSettings(**values)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "settings"
        variable = f"{ENV_PREFIX}{name.upper()}"
        raise TeeSettingError(
            f"{variable}: {error['msg']}", variable=variable, field=name
        ) from None


def expectation_for(pin: ProviderPin, policy: TcbPolicy | None = None) -> Expectation:
    """What this provider's quote must show, from the client's own pin."""
    if pin.tee is None:
        raise TeeRefusedError(
            "the provider's TEE attestation failed the check `registration` (zkcredits.tee): "
            f"agent {pin.agent_id}'s registration file declares none, and a TEE is required",
            check=Check.REGISTRATION.value,
            field="zkcredits.tee",
        )
    binding = Binding(
        chain_id=pin.service.chain_id,
        vault=pin.service.vault_address,
        server_pk=(pin.service.server_pk.x, pin.service.server_pk.y),
        gateway_key=pin.tee.gateway_key,
    )
    return Expectation(pins=pin.tee.pins(), policy=policy or TcbPolicy(), binding=binding)


def refused(error: AttestError) -> TeeRefusedError:
    """One line naming the failed check, the value at fault and why."""
    check = error.check.value if isinstance(error, CheckFailed) else Check.EVIDENCE.value
    return TeeRefusedError(
        f"the provider's TEE attestation failed the check `{check}` ({error.field}): {error}",
        check=check,
        field=error.field,
        retryable=isinstance(error, EvidenceFetchError),
    )


def check_provider_tee(
    pin: ProviderPin,
    *,
    settings: TeeSettings | None = None,
    transport: StreamingTransport | None = None,
    cache: AttestationCache | None = None,
    now: Callable[[], float] = time.time,
    expectation: Expectation | None = None,
) -> Appraisal:
    """Fetch the attestation from the provider's gateway and appraise it (`require_tee`) against
    `expectation` (default: `expectation_for(pin)` under the settings' policy); the appraisal,
    or `TeeRefusedError` naming the failed check."""
    settings = settings or tee_settings()
    expected = expectation or expectation_for(pin, settings.policy())
    try:
        return require_tee(
            pin.gateway_url,
            expected,
            transport=transport,
            cache=cache,
            now=now,
            allow_unobserved_key=settings.allow_plain_http,
        )
    except AttestError as exc:
        raise refused(exc) from exc
