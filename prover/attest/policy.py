"""The TCB-status policy: which platform TCB statuses (Intel's TCB info) a verifier accepts.

Intel rates the platform's firmware and microcode against its TCB info: `UpToDate`, or one of the
statuses below saying what is missing. The default accepts only `UpToDate`. `Revoked` and
`NoMatchingTcbLevel` (the platform is older than every level Intel lists) are never accepted,
whatever the configuration says: dcap-qvl refuses them before any policy runs.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from prover.attest.errors import TcbStatusError

TcbStatus = Literal[
    "UpToDate",
    "SWHardeningNeeded",
    "ConfigurationNeeded",
    "ConfigurationAndSWHardeningNeeded",
    "OutOfDate",
    "OutOfDateConfigurationNeeded",
    "TDRelaunchAdvised",
    "TDRelaunchAdvisedConfigurationNeeded",
]
"""The statuses a policy may accept (Intel TCB info v3 and dcap-qvl 0.7.0's TD relaunch ones)."""

NEVER_ACCEPTED: Final = frozenset({"Revoked", "NoMatchingTcbLevel"})


class TcbPolicy(BaseModel):
    """Accepted TCB statuses and refused advisories; the default accepts only `UpToDate`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    accepted_statuses: frozenset[TcbStatus] = Field(default=frozenset({"UpToDate"}), min_length=1)
    refused_advisories: frozenset[str] = frozenset()
    """Intel advisory ids (`INTEL-SA-00615`) refused even under an accepted status."""

    @field_validator("refused_advisories")
    @classmethod
    def _upper(cls, value: frozenset[str]) -> frozenset[str]:
        return frozenset(a.strip().upper() for a in value)

    def check(self, status: str, advisory_ids: tuple[str, ...] = ()) -> None:
        """`TcbStatusError` unless `status` is accepted and no advisory is refused."""
        if status in NEVER_ACCEPTED or status not in self.accepted_statuses:
            accepted = ", ".join(sorted(self.accepted_statuses))
            raise TcbStatusError(
                f"TCB status {status} is not accepted (accepted: {accepted})",
                field="tcb_status",
                status=status,
            )
        refused = sorted(a for a in advisory_ids if a.upper() in self.refused_advisories)
        if refused:
            raise TcbStatusError(
                f"TCB status {status} carries refused advisories {', '.join(refused)}",
                field="tcb_status.advisory_ids",
                status=status,
            )
