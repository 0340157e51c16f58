"""Proving/verifying keys per circuit: the cached dev setup and the ceremony import.

Dev setup (PROTOCOL §15): groth16py's single-party `setup(r1cs)`; whoever ran it could forge
proofs, so it is labelled `dev-single-party` everywhere (manifest, CLI banner, verifier comment)
and the deploy command refuses it for any chain but a local one. It is cached by the r1cs sha256:
the same r1cs reuses its keys, a new r1cs gets new keys. Ceremony keys (an imported snarkjs zkey)
for the same r1cs are never overwritten by a dev setup.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import groth16py

from prover.circuits.artifacts import KEYS_DIR, CircuitArtifacts
from prover.circuits.errors import ArtifactError, KeySetupError
from prover.circuits.g16 import guarded
from prover.circuits.manifest import (
    CEREMONY_SETUP,
    DEV_SETUP,
    MANIFEST_NAME,
    PROVING_KEY_NAME,
    VK_JSON_NAME,
    KeyManifest,
    read_manifest,
    write_manifest,
)
from prover.circuits.r1cs import read_r1cs_header
from prover.circuits.vkey import SnarkjsVerifyingKey, parse_vk
from prover.plumbing.atomic import atomic_write_text, atomic_write_with
from prover.plumbing.digest import sha256_file

DEV_WARNING = (
    "DEV ONLY: single-party setup; whoever ran it can forge proofs. "
    "Never deploy to a public chain; run `zkcredits circuits ceremony` instead."
)


@dataclass(frozen=True)
class SetupResult:
    """What `ensure_dev_keys`/`import_ceremony_keys` did."""

    manifest: KeyManifest
    directory: Path
    reused: bool


def key_dir(circuit: str, keys_dir: Path = KEYS_DIR) -> Path:
    """`build/keys/<circuit>/`."""
    return keys_dir / circuit


def ensure_dev_keys(circuit: CircuitArtifacts, keys_dir: Path = KEYS_DIR) -> SetupResult:
    """Reuse keys made for this exact r1cs (dev or ceremony), else run the dev setup."""
    directory = key_dir(circuit.name, keys_dir)
    r1cs_hash = sha256_file(circuit.r1cs)
    current = _current(directory)
    if current is not None and current.r1cs_sha256 == r1cs_hash:
        return SetupResult(current, directory, reused=True)
    pk, vk = guarded(
        KeySetupError, f"dev setup of {circuit.name}", groth16py.setup, str(circuit.r1cs)
    )
    manifest = _write_keys(
        directory, circuit, r1cs_hash, pk, vk.to_json(), setup=DEV_SETUP, warning=DEV_WARNING
    )
    return SetupResult(manifest, directory, reused=False)


def import_ceremony_keys(
    circuit: CircuitArtifacts,
    zkey: Path,
    keys_dir: Path = KEYS_DIR,
    transcript: Path | None = None,
) -> SetupResult:
    """Install keys from a ceremony's final zkey (groth16py.import_zkey) for `circuit`."""
    directory = key_dir(circuit.name, keys_dir)
    pk, vk = guarded(KeySetupError, f"import of {zkey}", groth16py.import_zkey, str(zkey))
    r1cs_hash = sha256_file(circuit.r1cs)
    manifest = _write_keys(
        directory,
        circuit,
        r1cs_hash,
        pk,
        vk.to_json(),
        setup=CEREMONY_SETUP,
        zkey_sha256=sha256_file(zkey),
        transcript=str(transcript) if transcript else None,
    )
    return SetupResult(manifest, directory, reused=False)


def load_vk(directory: Path) -> SnarkjsVerifyingKey:
    """The verifying key of a complete key directory."""
    read_manifest(directory)
    return parse_vk((directory / VK_JSON_NAME).read_text())


def _current(directory: Path) -> KeyManifest | None:
    try:
        return read_manifest(directory)
    except ArtifactError:
        return None


def _write_keys(
    directory: Path,
    circuit: CircuitArtifacts,
    r1cs_hash: str,
    pk: groth16py.ProvingKey,
    vk_json: str,
    *,
    setup: str,
    warning: str | None = None,
    zkey_sha256: str | None = None,
    transcript: str | None = None,
) -> KeyManifest:
    header = read_r1cs_header(circuit.r1cs)
    vk = parse_vk(vk_json)
    if vk.n_public != header.n_public:
        raise KeySetupError(
            f"{circuit.name}: key has {vk.n_public} public signals, r1cs has {header.n_public}",
            field="nPublic",
        )
    directory.mkdir(parents=True, exist_ok=True)
    # The old manifest goes first: until the new one is written the directory is incomplete.
    (directory / MANIFEST_NAME).unlink(missing_ok=True)
    atomic_write_with(
        directory / PROVING_KEY_NAME,
        lambda tmp: guarded(KeySetupError, "saving the proving key", pk.save, str(tmp)),
    )
    atomic_write_text(directory / VK_JSON_NAME, vk.canonical_json() + "\n")
    manifest = KeyManifest.model_validate(
        {
            "circuit": circuit.name,
            "setup": setup,
            "warning": warning,
            "r1cs_sha256": r1cs_hash,
            "n_constraints": header.n_constraints,
            "n_public": header.n_public,
            "vk_hash": vk.hash_hex(),
            "files": {
                name: sha256_file(directory / name) for name in (PROVING_KEY_NAME, VK_JSON_NAME)
            },
            "zkey_sha256": zkey_sha256,
            "transcript": transcript,
            "groth16py_version": groth16py.__version__,
        }
    )
    write_manifest(directory, manifest)
    return manifest
