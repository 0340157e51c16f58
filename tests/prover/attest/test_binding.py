"""The report_data binding: the exact byte layout of docs/tee.md, and its check on real quotes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pydantic import ValidationError

from prover.attest.binding import Binding, check_binding, check_claimed
from prover.attest.errors import BindingMismatchError
from prover.attest.gateway_key import GatewayKey
from prover.attest.quote import parse_tdx_quote

from .vectors import vector

DOCS = Path(__file__).resolve().parents[3] / "docs" / "tee.md"
TOR_PROJECT = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"
PK = (
    4148738942842077262884574240525453787399870332332015668823987722835248990338,
    5515638128750654044526494679573894060612657796574339134622687378174113745672,
)
GOLDEN = "01a77b43e5e128a47660e8fe3b5281885ff00cc2c221f537e27db421726693d9" + "00" * 32


def _binding(**changes: object) -> Binding:
    base = Binding(
        chain_id=31337,
        vault="0x5FbDB2315678afecb367f032d93F642f64180aa3",
        server_pk=PK,
        gateway_key=GatewayKey.from_onion(TOR_PROJECT),
    )
    return base.model_copy(update=changes)


def test_report_data_is_sha256_of_the_fixed_width_message_then_32_zero_bytes() -> None:
    # Assembled by hand from the layout in docs/tee.md, not with the module's code.
    message = (
        b"zkcredits/tee/report-data/v1"
        + bytes.fromhex(f"{31337:064x}")
        + bytes.fromhex("5FbDB2315678afecb367f032d93F642f64180aa3")
        + bytes.fromhex(f"{PK[0]:064x}")
        + bytes.fromhex(f"{PK[1]:064x}")
        + b"\x02"
        + hashlib.sha256(TOR_PROJECT.encode("ascii")).digest()
    )
    assert len(message) == 28 + 32 + 20 + 32 + 32 + 1 + 32
    assert _binding().message() == message
    assert _binding().report_data() == hashlib.sha256(message).digest() + bytes(32)
    assert _binding().report_data().hex() == GOLDEN


def test_the_docs_carry_the_same_test_vector() -> None:
    text = DOCS.read_text()
    assert GOLDEN[:64] in text
    assert TOR_PROJECT in text


@pytest.mark.parametrize(
    "change",
    [
        {"chain_id": 1},
        {"vault": "0x5FbDB2315678afecb367f032d93F642f64180aa4"},
        {"server_pk": (PK[1], PK[0])},
        {"gateway_key": GatewayKey(kind="tls-spki-sha256", sha256=_binding().gateway_key.sha256)},
        {"gateway_key": GatewayKey(kind="onion-v3", sha256=b"\x01" * 32)},
    ],
)
def test_changing_any_bound_value_changes_report_data(change: dict[str, object]) -> None:
    assert _binding(**change).report_data() != _binding().report_data()


def test_a_real_quotes_own_report_data_set_as_the_expected_binding_passes() -> None:
    quote = parse_tdx_quote(vector("tdx_quote").raw)
    check_binding(quote.report_data, quote.report_data)


def test_a_real_quote_does_not_bind_a_provider_it_was_not_made_for() -> None:
    quote = parse_tdx_quote(vector("tdx_quote").raw)
    with pytest.raises(BindingMismatchError) as info:
        check_binding(quote.report_data, _binding().report_data())
    assert info.value.field == "report_data"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"chain_id": 10}, "binding.chain_id"),
        ({"vault": "0x" + "11" * 20}, "binding.vault"),
        ({"server_pk": (1, 2)}, "binding.server_pk"),
        ({"gateway_key": GatewayKey(kind="onion-v3", sha256=b"\x01" * 32)}, "binding.gateway_key"),
    ],
)
def test_a_claimed_binding_that_differs_names_the_value(
    change: dict[str, object], field: str
) -> None:
    with pytest.raises(BindingMismatchError) as info:
        check_claimed(_binding(**change), _binding())
    assert info.value.field == field


def test_the_vault_address_compares_without_regard_to_checksum_case() -> None:
    check_claimed(_binding(vault="0x5fbdb2315678afecb367f032d93f642f64180aa3"), _binding())


@pytest.mark.parametrize(
    "bad",
    [
        {"chain_id": 0},
        {"vault": "0x1234"},
        {
            "server_pk": [
                "21888242871839275222246405745257275088548364400416034343698204186575808495617",
                "1",
            ]
        },
    ],
)
def test_malformed_binding_values_are_refused(bad: dict[str, object]) -> None:
    data = _binding().model_dump(mode="json") | bad
    with pytest.raises(ValidationError):
        Binding.model_validate(data)
