"""The circuit instances of `circuits/instances.json` (one config file for every main component).

At run time they are read from the package's copy (`prover.artifacts`); the circuit build reads
the checkout's file (`source_instances_file()`).

Each instance names its source, template, template parameters (in declaration order), the
public inputs of its main component and its public signals in D6 order. `main_source()` renders
the main component the compiler compiles.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prover.artifacts import packaged
from prover.circuits.errors import ArtifactError
from prover.toolchain.checkout import checkout_root

SOURCE_INSTANCES: Final = "circuits/instances.json"
_IDENT: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class CircuitInstance(BaseModel):
    """One entry of instances.json."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    source: str = Field(description="path of the template's .circom file, relative to the repo")
    template: str
    params: dict[str, int]
    public: list[str]
    signals: list[str] = Field(description="public signals in D6 (snarkjs) order")

    def main_source(self) -> str:
        """The generated main file (compiled from the repository root, see compiler.py)."""
        for ident in (self.template, *self.params, *self.public):
            if not _IDENT.fullmatch(ident):
                raise ArtifactError(f"{ident!r} is not a circom identifier", field=self.name)
        args = ", ".join(str(v) for v in self.params.values())
        public = ", ".join(self.public)
        return (
            f"// GENERATED from circuits/instances.json[{self.name!r}]; do not edit.\n"
            "pragma circom 2.1.5;\n"
            f'include "{self.source}";\n'
            f"component main {{public [{public}]}} = {self.template}({args});\n"
        )

    @property
    def source_path(self) -> Path:
        """Build time: the template's .circom file in the checkout."""
        return checkout_root("locating a circuit source") / self.source


def source_instances_file() -> Path:
    """Build time: the checkout's `circuits/instances.json`."""
    return checkout_root("reading circuits/instances.json") / SOURCE_INSTANCES


def load_instances(path: Path | None = None) -> dict[str, CircuitInstance]:
    """Parse instances.json (default: the packaged copy); a malformed entry raises
    `ArtifactError` naming it."""
    path = path or packaged.instances_file()
    return dict(_load(path, path.read_bytes()))


@lru_cache(maxsize=4)
def _load(path: Path, data: bytes) -> tuple[tuple[str, CircuitInstance], ...]:
    try:
        raw = json.loads(data)
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{path} is not JSON: {exc}", field=str(path)) from exc
    if not isinstance(raw, dict):
        raise ArtifactError(f"{path} must hold an object of instances", field=str(path))
    out = []
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            raise ArtifactError(f"instance {name!r} must be an object", field=name)
        try:
            out.append((name, CircuitInstance(name=name, **entry)))
        except ValidationError as exc:
            raise ArtifactError(f"instance {name!r} is malformed: {exc}", field=name) from exc
    return tuple(out)


def get_instance(name: str, path: Path | None = None) -> CircuitInstance:
    """The named instance; unknown names raise `ArtifactError`."""
    instances = load_instances(path)
    if name not in instances:
        raise ArtifactError(
            f"unknown circuit {name!r}; instances.json has {sorted(instances)}", field="name"
        )
    return instances[name]
