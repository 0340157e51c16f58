"""The manifest of a key directory: what was set up, how, and the hash of every file.

The manifest is written last and lists the sha256 of every file it vouches for, so a key
directory without a manifest, or whose files do not match it, is never taken as complete.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from prover.circuits.errors import ArtifactError
from prover.plumbing.atomic import atomic_write_text
from prover.plumbing.digest import sha256_file

DEV_SETUP: Final = "dev-single-party"
CEREMONY_SETUP: Final = "multi-party-ceremony"
SetupKind = Literal["dev-single-party", "multi-party-ceremony"]

MANIFEST_NAME: Final = "manifest.json"
PROVING_KEY_NAME: Final = "proving_key.bin"
VK_JSON_NAME: Final = "verification_key.json"


class KeyManifest(BaseModel):
    """`build/keys/<circuit>/manifest.json`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    circuit: str
    setup: SetupKind
    warning: str | None = None
    r1cs_sha256: str
    n_constraints: int
    n_public: int
    vk_hash: str
    files: dict[str, str]
    """file name (relative to the key directory) → sha256."""
    zkey_sha256: str | None = None
    transcript: str | None = None
    groth16py_version: str


def write_manifest(directory: Path, manifest: KeyManifest) -> None:
    """Write the manifest atomically (after every file it lists)."""
    atomic_write_text(directory / MANIFEST_NAME, manifest.model_dump_json(indent=2) + "\n")


def read_manifest(directory: Path, *, check_files: bool = True) -> KeyManifest:
    """The manifest, after checking every listed file's sha256."""
    path = directory / MANIFEST_NAME
    if not path.is_file():
        raise ArtifactError(f"no keys in {directory} (no {MANIFEST_NAME})", field=str(directory))
    try:
        manifest = KeyManifest.model_validate_json(path.read_text())
    except ValidationError as exc:
        raise ArtifactError(f"{path} is malformed: {exc}", field=str(path)) from exc
    if check_files:
        for name, digest in manifest.files.items():
            file = directory / name
            if not file.is_file() or sha256_file(file) != digest:
                raise ArtifactError(
                    f"{file} is missing or does not match its manifest hash", field=name
                )
    return manifest
