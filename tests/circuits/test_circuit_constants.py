"""The constants the circuits hard-code equal the Python twin's, and instances follow D6."""

from __future__ import annotations

import re

from prover.circuits.circom_constants import (
    GENERATORS_FILE,
    TAGS_FILE,
    expected_files,
    render_generators,
)
from prover.circuits.instances import load_instances
from prover.crypto import GENERATORS, L, Tag, derive_generator, in_subgroup

_FUNCTION = re.compile(r"function (\w+)\(\) \{\s*return \[\s*(\d+),\s*(\d+)\s*\];\s*\}")


def test_the_generated_circom_constant_files_are_up_to_date() -> None:
    for path, text in expected_files().items():
        assert path.read_text() == text, f"{path} is stale: run circuits/gen_constants.py"


def test_the_circom_generators_parsed_from_the_file_equal_the_python_ones() -> None:
    parsed = {m[0]: (int(m[1]), int(m[2])) for m in _FUNCTION.findall(GENERATORS_FILE.read_text())}
    names = {"GEN_N": "G_n", "GEN_C": "G_C", "GEN_P": "G_P", "GEN_ID": "G_ID", "GEN_H": "G_H"}
    assert set(parsed) == set(names)
    for circom_name, python_name in names.items():
        point = GENERATORS[python_name]
        assert parsed[circom_name] == (point.x, point.y)
        rederived = derive_generator(python_name)
        assert parsed[circom_name] == (rederived.x, rederived.y)
        assert in_subgroup(rederived) and not rederived.is_identity
    assert len(set(parsed.values())) == 5
    assert f"return {L};" in GENERATORS_FILE.read_text()


def test_the_circom_tags_equal_the_d1_table() -> None:
    parsed = dict(re.findall(r"function TAG_(\w+)\(\) \{ return (\d+); \}", TAGS_FILE.read_text()))
    assert {k: int(v) for k, v in parsed.items()} == {t.name: int(t) for t in Tag}
    assert {int(t) for t in Tag} == set(range(1, 9))


def test_a_changed_generator_would_change_the_rendered_file() -> None:
    assert str(GENERATORS["G_H"].x) in render_generators()


def test_instances_list_the_public_signals_of_d6_in_order() -> None:
    d6 = {
        "request": "y, nullifier, E_anon.x, E_anon.y, root, service_id, x, c_max, reserve, "
        "server_pk.x, server_pk.y, today",
        "withdraw": "ID, charged, penalties, nullifier_t, y_w, service_id, c_max, penalty_max, "
        "server_pk.x, server_pk.y, D, recipient, pending",
        "slash": "ID, service_id",
    }
    instances = load_instances()
    assert set(instances) == set(d6)
    for name, order in d6.items():
        assert instances[name].signals == order.split(", ")
    assert instances["request"].params == {"MAX_DEPTH": 20}


def test_the_compiled_public_signal_names_follow_d6(
    request_circuit: object, withdraw_circuit: object, slash_circuit: object
) -> None:
    from prover.circuits.witness import WitnessCalculator

    for calc in (request_circuit, withdraw_circuit, slash_circuit):
        assert isinstance(calc, WitnessCalculator)
        instance = load_instances()[calc.circuit.name]
        names = [calc.symbols.name_of(1 + i) for i in range(calc.circuit.n_public)]
        expected = [
            "main." + re.sub(r"\.x$", "[0]", re.sub(r"\.y$", "[1]", s)) for s in instance.signals
        ]
        assert names == expected
