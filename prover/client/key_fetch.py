"""Download a provider's published key files, check them, and install them in the cache.

One circuit at a time, into a scratch directory beside its final place: every file must have the
sha256 the registration lists (streamed, with a size cap), the verifying key must hash to the vk
hash the client pinned (from the vault for withdraw and slash) and must not be forgeable, the
r1cs must have as many public signals as the key, and the keys must make a proof that the pinned
key verifies (`examples.py` inputs; this catches a proving key, wasm or r1cs of another circuit).
Only then is the directory renamed into place, with a manifest that hash-checks every file at
each load (`CircuitKeys.load_from`). The witness runtime is the client's own copy.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Final

import groth16py

from prover.chain.registration import KeyFiles
from prover.circuits.artifacts import CircuitArtifacts
from prover.circuits.errors import CircuitError
from prover.circuits.examples import example_inputs
from prover.circuits.key_files import WITNESS_RUNTIME
from prover.circuits.manifest import (
    MANIFEST_NAME,
    PROVING_KEY_NAME,
    VK_JSON_NAME,
    KeyManifest,
    SetupKind,
    write_manifest,
)
from prover.circuits.prover import CircuitKeys, Prover
from prover.circuits.r1cs import read_r1cs_header
from prover.circuits.vkey import SnarkjsVerifyingKey, parse_vk
from prover.client.errors import KeysUnavailableError
from prover.client.transport.errors import TransportError
from prover.client.transport.private import PrivateTransport
from prover.plumbing.digest import sha256_file

MAX_FILE_BYTES: Final = 1 << 30
"""No published key file is near this (the request proving key is ~12 MB): a larger answer is
refused rather than filling the disk."""


def fetch_file(transport: PrivateTransport, keys: KeyFiles, name: str, target: Path) -> None:
    """Download `<circuit>/<file>` to `target`, refusing any byte beyond its registered hash."""
    url, digest = keys.url(name), keys.files[name]
    field = f"keys.{name}"
    sha = hashlib.sha256()
    size = 0
    try:
        with transport.stream("GET", url) as response, target.open("wb") as out:
            if response.status_code != 200:
                raise KeysUnavailableError(
                    f"{url} answered HTTP {response.status_code}", field=field
                )
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise KeysUnavailableError(f"{url} sends more than 1 GiB", field=field)
                sha.update(chunk)
                out.write(chunk)
    except TransportError as exc:
        raise KeysUnavailableError(f"cannot fetch {name}: {exc}", field=field) from exc
    if sha.hexdigest() != digest:
        raise KeysUnavailableError(
            f"{url} is not the file the registration lists (sha256 {sha.hexdigest()}, "
            f"registered {digest})",
            field=field,
        )


def fetch_vk(
    transport: PrivateTransport, keys: KeyFiles, circuit: str, vk_hash: str, work: Path
) -> SnarkjsVerifyingKey:
    """The provider's verifying key of `circuit`, checked against the pinned `vk_hash`."""
    path = work / f"{circuit}-{VK_JSON_NAME}"
    fetch_file(transport, keys, f"{circuit}/{VK_JSON_NAME}", path)
    return checked_vk(path.read_text(), circuit, vk_hash)


def checked_vk(text: str, circuit: str, vk_hash: str) -> SnarkjsVerifyingKey:
    field = f"keys.{circuit}/{VK_JSON_NAME}"
    try:
        vk = parse_vk(text)
    except CircuitError as exc:
        raise KeysUnavailableError(f"the {circuit} verifying key: {exc}", field=field) from exc
    if vk.hash_hex() != vk_hash.lower():
        raise KeysUnavailableError(
            f"the published {circuit} verifying key hashes to {vk.hash_hex()}, the provider "
            f"pins {vk_hash}",
            field=field,
        )
    return vk


def install_keys(
    transport: PrivateTransport,
    keys: KeyFiles,
    circuit: str,
    vk_hash: str,
    setup: SetupKind,
    target: Path,
) -> CircuitKeys:
    """Fetch, check and self-test one circuit's keys, then move them to `target` (atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        js = work / f"{circuit}_js"
        js.mkdir()
        places = {
            PROVING_KEY_NAME: work / PROVING_KEY_NAME,
            VK_JSON_NAME: work / VK_JSON_NAME,
            f"{circuit}.wasm": js / f"{circuit}.wasm",
            f"{circuit}.r1cs": work / f"{circuit}.r1cs",
        }
        for name, path in places.items():
            fetch_file(transport, keys, f"{circuit}/{name}", path)
        vk = checked_vk(places[VK_JSON_NAME].read_text(), circuit, vk_hash)
        shutil.copyfile(WITNESS_RUNTIME, js / WITNESS_RUNTIME.name)
        write_manifest(work, _manifest(work, circuit, vk, setup))
        _self_test(work, circuit)
        try:
            work.rename(target)
        except OSError:  # another process installed the same keys first: keep theirs
            if not (target / MANIFEST_NAME).is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return load_installed(target, circuit)


def load_installed(directory: Path, circuit: str) -> CircuitKeys:
    """Keys installed by `install_keys` (every file hash-checked against their manifest)."""
    return CircuitKeys.load_from(directory, CircuitArtifacts.in_dir(circuit, directory))


def _manifest(
    directory: Path, circuit: str, vk: SnarkjsVerifyingKey, setup: SetupKind
) -> KeyManifest:
    r1cs = directory / f"{circuit}.r1cs"
    try:
        header = read_r1cs_header(r1cs)
    except CircuitError as exc:
        field = f"keys.{circuit}/{circuit}.r1cs"
        raise KeysUnavailableError(f"{circuit}.r1cs: {exc}", field=field) from exc
    if header.n_public != vk.n_public:
        raise KeysUnavailableError(
            f"{circuit}.r1cs has {header.n_public} public signals, its key {vk.n_public}",
            field=f"keys.{circuit}/{circuit}.r1cs",
        )
    names = (
        PROVING_KEY_NAME,
        VK_JSON_NAME,
        f"{circuit}.r1cs",
        f"{circuit}_js/{circuit}.wasm",
        f"{circuit}_js/{WITNESS_RUNTIME.name}",
    )
    return KeyManifest(
        circuit=circuit,
        setup=setup,
        warning="fetched from the provider's published keys",
        r1cs_sha256=sha256_file(r1cs),
        n_constraints=header.n_constraints,
        n_public=header.n_public,
        vk_hash=vk.hash_hex(),
        files={name: sha256_file(directory / name) for name in names},
        groth16py_version=groth16py.__version__,
    )


def _self_test(directory: Path, circuit: str) -> None:
    """Prove example inputs and verify with the pinned key: the files belong together."""
    field = f"keys.{circuit}/{PROVING_KEY_NAME}"
    try:
        loaded = load_installed(directory, circuit)
        with Prover(loaded) as prover:
            proof = prover.prove(example_inputs(circuit))
        if not loaded.verify(proof):
            raise KeysUnavailableError(f"the {circuit} keys make proofs that fail", field=field)
    except CircuitError as exc:
        raise KeysUnavailableError(
            f"the provider's {circuit} keys cannot prove: {exc}", field=field
        ) from exc
