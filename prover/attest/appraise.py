"""Appraise a quote: verify it, then apply the TCB policy, the measurement pins and the binding.

`appraise` raises the `CheckFailed` subclass of the first failed check; `verdict` runs the same
checks and returns a `Verdict` instead (what a validator publishes, what a client logs). The
checks run in the order of `errors.Check`: evidence format, quote format, TEE type, collateral
format and time, PCK chain, QE report, quote signature, TDX module, TD attributes, TCB status,
measurements, binding.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict

from prover.attest.binding import Binding, check_binding, check_claimed
from prover.attest.collateral import Collateral
from prover.attest.errors import CheckFailed
from prover.attest.pins import MeasurementPins, Measurements, PinnedImage
from prover.attest.policy import TcbPolicy
from prover.attest.verify import VerifiedQuote, verify_quote


class Expectation(BaseModel):
    """What a verifier requires of a provider's quote: its own pins, policy and binding."""

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_bytes="hex")

    pins: MeasurementPins
    policy: TcbPolicy = TcbPolicy()
    binding: Binding | None = None
    """The binding computed from the verifier's own view of the provider (registration, vault)."""
    report_data: bytes | None = None
    """Or the exact 64 bytes expected (tests, or a verifier that computed them elsewhere)."""

    def expected_report_data(self) -> bytes:
        if self.report_data is not None:
            return self.report_data
        if self.binding is None:
            raise ValueError("an Expectation needs a binding or report_data")
        return self.binding.report_data()


class Appraisal(BaseModel):
    """A quote that passed every check."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    verified: VerifiedQuote
    image: PinnedImage


def appraise(
    raw: bytes,
    collateral: Collateral,
    expectation: Expectation,
    *,
    now: int,
    claimed: Binding | None = None,
) -> Appraisal:
    """Every check, at Unix time `now`; `claimed` is the binding a document says its quote carries
    (compared value by value first, so a refusal names the value that differs)."""
    verified = verify_quote(raw, collateral, now=now)
    expectation.policy.check(verified.tcb_status, verified.advisory_ids)
    image = expectation.pins.match(verified.quote.measurements)
    if claimed is not None and expectation.binding is not None:
        check_claimed(claimed, expectation.binding)
    check_binding(verified.quote.report_data, expectation.expected_report_data())
    return Appraisal(verified=verified, image=image)


class Verdict(BaseModel):
    """The outcome of an appraisal, in a form to publish (validator) or log (client)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    passed: bool
    failed_check: str | None = None
    field: str | None = None
    message: str = ""
    verified_at: int
    quote_sha256: str | None = None
    tcb_status: str | None = None
    measurements: Measurements | None = None
    image: str | None = None
    expires_at: int | None = None

    @classmethod
    def of(cls, appraisal: Appraisal) -> Verdict:
        verified = appraisal.verified
        return cls(
            passed=True,
            verified_at=verified.verified_at,
            quote_sha256=verified.quote.sha256,
            tcb_status=verified.tcb_status,
            measurements=verified.quote.measurements,
            image=appraisal.image.image,
            expires_at=verified.expires_at,
        )

    @classmethod
    def refused(cls, error: CheckFailed, *, now: int, quote_sha256: str | None = None) -> Verdict:
        return cls(
            passed=False,
            failed_check=error.check.value,
            field=error.field,
            message=str(error),
            verified_at=now,
            quote_sha256=quote_sha256,
        )


def verdict(
    raw: bytes,
    collateral: Collateral,
    expectation: Expectation,
    *,
    now: int,
    claimed: Binding | None = None,
) -> Verdict:
    """`appraise` as a value: never raises for a refused quote."""
    try:
        return Verdict.of(appraise(raw, collateral, expectation, now=now, claimed=claimed))
    except CheckFailed as error:
        return Verdict.refused(error, now=now, quote_sha256=hashlib.sha256(raw).hexdigest())
