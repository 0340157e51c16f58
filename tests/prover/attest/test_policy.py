"""The TCB-status policy on real statuses: default only UpToDate, configurable, never Revoked."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from prover.attest import _dcap
from prover.attest.errors import TcbStatusError
from prover.attest.policy import TcbPolicy
from prover.attest.verify import verify_quote

from .vectors import vector


def test_the_default_policy_accepts_an_up_to_date_real_quote() -> None:
    v = vector("tdx_quote")
    verified = verify_quote(v.raw, v.collateral, now=v.now)
    TcbPolicy().check(verified.tcb_status, verified.advisory_ids)


def test_the_default_policy_accepts_only_up_to_date() -> None:
    assert TcbPolicy().accepted_statuses == frozenset({"UpToDate"})


def test_a_real_configuration_and_sw_hardening_needed_status_is_refused_by_default() -> None:
    v = vector("sgx_quote")  # the one real quote here whose platform is not UpToDate
    claims = _dcap.verify(v.raw, v.collateral.to_dcap(), v.now)
    assert claims.status == "ConfigurationAndSWHardeningNeeded"
    with pytest.raises(TcbStatusError) as info:
        TcbPolicy().check(claims.status, claims.advisory_ids)
    assert info.value.status == "ConfigurationAndSWHardeningNeeded"
    assert info.value.field == "tcb_status"
    relaxed = TcbPolicy(accepted_statuses={"UpToDate", "ConfigurationAndSWHardeningNeeded"})
    relaxed.check(claims.status, claims.advisory_ids)


def test_a_refused_advisory_is_refused_even_under_an_accepted_status() -> None:
    v = vector("sgx_quote")
    claims = _dcap.verify(v.raw, v.collateral.to_dcap(), v.now)
    assert "INTEL-SA-00615" in claims.advisory_ids
    policy = TcbPolicy(
        accepted_statuses={"ConfigurationAndSWHardeningNeeded"},
        refused_advisories={"intel-sa-00615"},
    )
    with pytest.raises(TcbStatusError) as info:
        policy.check(claims.status, claims.advisory_ids)
    assert info.value.field == "tcb_status.advisory_ids"
    assert "INTEL-SA-00615" in str(info.value)


def test_a_policy_that_does_not_list_up_to_date_refuses_an_up_to_date_quote() -> None:
    with pytest.raises(TcbStatusError):
        TcbPolicy(accepted_statuses={"OutOfDate"}).check("UpToDate")


@pytest.mark.parametrize("status", ["Revoked", "NoMatchingTcbLevel"])
def test_revoked_and_unlisted_tcb_levels_cannot_be_configured_as_accepted(status: str) -> None:
    with pytest.raises(ValidationError):
        TcbPolicy(accepted_statuses={status})  # type: ignore[arg-type]
    with pytest.raises(TcbStatusError):
        TcbPolicy(accepted_statuses={"OutOfDate", "UpToDate"}).check(status)


def test_an_empty_accepted_set_is_refused_as_configuration() -> None:
    with pytest.raises(ValidationError):
        TcbPolicy(accepted_statuses=frozenset())
