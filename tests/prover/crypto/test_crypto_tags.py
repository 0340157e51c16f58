"""Domain tags: Python's table equals D1 in the decisions file and the Solidity `Tags` library."""

from __future__ import annotations

import re
from pathlib import Path

from prover.crypto import Tag
from prover.crypto import tags as tags_module

REPO = Path(__file__).resolve().parents[3]


def test_tags_are_distinct_non_zero_small_integers() -> None:
    values = [int(t) for t in Tag]
    assert len(set(values)) == len(values) == 8
    assert all(0 < v < 256 for v in values)
    for t in Tag:
        assert getattr(tags_module, f"TAG_{t.name}") == int(t)


def test_python_tags_equal_the_d1_table_of_the_decisions_file() -> None:
    text = (REPO / "docs" / "protocol-decisions.md").read_text()
    d1 = text[text.index("## D1.") : text.index("## D2.")]
    table = {name: int(v) for name, v in re.findall(r"\| `TAG_([A-Z]+)` \| (\d+) \|", d1)}
    assert table == {t.name: int(t) for t in Tag}


def test_python_tags_equal_the_solidity_tags_library() -> None:
    sol = (REPO / "contracts" / "libraries" / "Tags.sol").read_text()
    table = {name: int(v) for name, v in re.findall(r"constant ([A-Z]+) = (\d+);", sol)}
    assert table == {t.name: int(t) for t in Tag}
