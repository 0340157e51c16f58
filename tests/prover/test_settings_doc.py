"""docs/operations.md's settings table is generated from the settings classes: regenerating it
changes nothing, every field has a description, and any drift names its variable."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from prover.gateway.config import ServeSettings
from prover.settings_doc import (
    SettingsEntry,
    drift,
    missing_descriptions,
    registered,
    settings_table,
    with_table,
)

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "operations.md").read_text()


def test_the_documented_table_is_exactly_the_one_the_classes_generate() -> None:
    drifted = drift(DOC)
    assert drifted == [], f"run scripts/settings_table.py; drifted: {drifted}"
    assert with_table(DOC, settings_table()) == DOC


def test_every_field_of_every_settings_class_has_a_description() -> None:
    assert missing_descriptions() == []


def test_every_settings_class_of_the_package_is_in_the_table() -> None:
    found: set[type[BaseSettings]] = set()
    for path in sorted((ROOT / "prover").rglob("*.py")):
        if "BaseSettings)" not in path.read_text():
            continue
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        found |= {
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, BaseSettings)
            and obj.__module__ == module.__name__
        }
    listed = {entry.cls for entry in registered()}
    assert ServeSettings in found and len(found) >= 14
    assert sorted(c.__name__ for c in found - listed) == []


def _extended() -> type[BaseSettings]:
    """`ServeSettings` (same name, same rows) plus one field the doc does not know."""
    knob: int = Field(default=3, description="A field the doc does not know.")
    extended = type(
        "ServeSettings",
        (ServeSettings,),
        {"__annotations__": {"brand_new_knob": int}, "brand_new_knob": knob,
         "__module__": __name__},
    )  # fmt: skip
    assert issubclass(extended, BaseSettings)
    return extended


class _Undescribed(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZKCREDITS_TEST_")

    silent: int = 1


def test_a_field_added_to_a_class_but_not_to_the_doc_is_drift_naming_its_variable() -> None:
    entries = [
        _entry if _entry.cls is not ServeSettings else SettingsEntry(_extended(), _entry.read_by)
        for _entry in registered()
    ]
    assert drift(DOC, entries) == ["ZKCREDITS_GATEWAY_BRAND_NEW_KNOB"]


def test_a_changed_default_or_a_removed_row_is_drift_naming_its_variable() -> None:
    changed = DOC.replace("| `8402` | Port the paid API", "| `8403` | Port the paid API")
    assert changed != DOC
    assert drift(changed) == ["ZKCREDITS_GATEWAY_PORT"]
    row = next(line for line in DOC.splitlines() if line.startswith("| `ZKCREDITS_CONFIRMATIONS`"))
    assert drift(DOC.replace(row + "\n", "")) == ["ZKCREDITS_CONFIRMATIONS"]


def test_a_field_without_a_description_is_reported_by_its_variable() -> None:
    assert missing_descriptions([SettingsEntry(_Undescribed, "tests")]) == ["ZKCREDITS_TEST_SILENT"]


def test_a_doc_without_the_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="BEGIN settings table"):
        drift("# Operations\n")
