"""docs/operations.md lists every `ZKCREDITS_*` variable the code reads, every field of every
settings class (as its variable), and every key of the gateway's config file."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from pydantic_settings import BaseSettings

from prover.gateway.config import ServeSettings, operator_fields

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "operations.md").read_text()
NAME = re.compile(r"ZKCREDITS_[A-Z0-9_]*[A-Z0-9]\b")


def _sources() -> list[Path]:
    return [*sorted((ROOT / "prover").rglob("*.py")), *sorted((ROOT / "scripts").glob("*"))]


def test_every_variable_named_in_the_code_is_documented() -> None:
    named = {m for path in _sources() if path.is_file() for m in NAME.findall(path.read_text())}
    assert named, "the scan found nothing: the pattern is broken"
    missing = sorted(n for n in named if n not in DOC)
    assert missing == [], f"add to docs/operations.md: {missing}"


def _settings_classes() -> list[type[BaseSettings]]:
    found: list[type[BaseSettings]] = []
    for path in sorted((ROOT / "prover").rglob("*.py")):
        if "BaseSettings" not in path.read_text():
            continue
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        found += [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, BaseSettings)
            and obj.__module__ == module.__name__
        ]
    return found


def test_every_field_of_every_settings_class_is_documented_as_its_variable() -> None:
    classes = _settings_classes()
    assert ServeSettings in classes and len(classes) >= 4
    missing = sorted(
        f"{cls.model_config.get('env_prefix', '')}{field}".upper()
        for cls in classes
        for field in cls.model_fields
        if f"{cls.model_config.get('env_prefix', '')}{field}".upper() not in DOC
    )
    assert missing == [], f"add to docs/operations.md: {missing}"


def test_every_config_file_key_has_a_row_in_the_settings_table() -> None:
    keys = set(ServeSettings.model_fields) | operator_fields()
    missing = sorted(k for k in keys if f"`{k}`" not in DOC)
    assert missing == [], f"add to the settings table of docs/operations.md: {missing}"
