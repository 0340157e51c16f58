"""The `zkcredits.tee` key of a registration file, and the expectation a verifier builds from it."""

from __future__ import annotations

import pytest

from prover.attest.errors import AttestConfigError
from prover.attest.policy import TcbPolicy
from prover.attest.registration import TeeRegistration, tee_section, tee_view

from .documents import TLS_KEY, binding_with_tls_key, own_expectation


def _file(**tee_changes: object) -> dict[str, object]:
    binding = binding_with_tls_key()
    tee = tee_section(TLS_KEY, own_expectation().pins.images) | tee_changes
    return {
        "type": "https://eips.ethereum.org/EIPS/eip-8004#registration-v1",
        "name": "a provider",
        "services": [{"name": "zkcredits-gateway", "endpoint": "https://g.example/"}],
        "zkcredits": {
            "chain_id": binding.chain_id,
            "vault": binding.vault,
            "asset": "native",
            "params": {"server_pk": [str(v) for v in binding.server_pk], "c_max": "1000"},
            "tee": tee,
        },
    }


def test_the_view_binds_the_files_chain_vault_server_key_and_gateway_key() -> None:
    view = tee_view(_file())
    assert view.binding == binding_with_tls_key()
    expectation = view.expectation(TcbPolicy(accepted_statuses={"UpToDate", "OutOfDate"}))
    assert expectation.binding == binding_with_tls_key()
    assert expectation.pins == own_expectation().pins
    assert expectation.report_data is None
    assert expectation.expected_report_data() == binding_with_tls_key().report_data()
    assert "OutOfDate" in expectation.policy.accepted_statuses


def test_the_tee_section_round_trips_through_its_model() -> None:
    section = tee_section(TLS_KEY, own_expectation().pins.images)
    assert TeeRegistration.model_validate(section).gateway_key == TLS_KEY


def test_a_file_without_a_tee_key_is_refused_naming_it() -> None:
    data = _file()
    terms = data["zkcredits"]
    assert isinstance(terms, dict)
    del terms["tee"]
    with pytest.raises(AttestConfigError) as info:
        tee_view(data)
    assert info.value.field == "zkcredits.tee"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"images": []}, "zkcredits.tee.images"),
        (
            {"gateway_key": {"kind": "x509", "sha256": "0x" + "00" * 32}},
            "zkcredits.tee.gateway_key.kind",
        ),
        ({"extra": 1}, "zkcredits.tee.extra"),
    ],
)
def test_a_malformed_tee_key_is_refused_naming_the_field(
    change: dict[str, object], field: str
) -> None:
    with pytest.raises(AttestConfigError) as info:
        tee_view(_file(**change))
    assert info.value.field == field
