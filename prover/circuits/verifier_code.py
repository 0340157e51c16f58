"""The runtime code a verifying key's Solidity verifier compiles to, and its codehash.

A vault pins vk hashes, and each verifier reports `VK_HASH()`, but nothing on chain ties the
verifier's *code* to that key: a contract that returns `true` for everything can report any hash.
Clients therefore compare the code deployed at each verifier address with the code this project's
build makes from the pinned key: `render_verifier_source` (snarkjs's own template, exactly as
`zkcredits circuits build` renders it) compiled by `compile_verifier` (solc 0.8.37, optimizer 200,
no via-IR, source unit `generated/<Name>.sol`: the deploy command's settings, so the bytecode,
metadata hash included, is identical byte for byte).

Compiling costs seconds, so the verifiers of the keys the build made ship in the package
(`prover.artifacts`: bytecode and codehash, looked up by vk hash or source sha256, with no node or
solc at run time); other codehashes are looked up by the sha256 of the rendered source: in
`contracts/generated/verifiers.json` (the build records the codehash of every verifier it makes,
so the common path never compiles) and in a `CodehashCache` directory (the client's cache). A
key never seen before costs one compile, once: the one place outside the build and the deploy
where this project compiles Solidity (docs/protocol-decisions.md, "Setup and proving").
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Final

from eth_hash.auto import keccak
from pydantic import BaseModel, ConfigDict, ValidationError

from prover.artifacts import packaged
from prover.circuits.artifacts import GENERATED_DIR, verifier_contract_name
from prover.circuits.errors import ArtifactError
from prover.circuits.manifest import SetupKind
from prover.circuits.vkey import SnarkjsVerifyingKey
from prover.plumbing.atomic import atomic_write_text
from prover.toolchain.compiled import CompiledContract
from prover.toolchain.errors import ToolchainError
from prover.toolchain.paths import SOLC_VERSION

COMPILER_ID: Final = f"solc-{SOLC_VERSION}+optimizer-200"
"""Part of every cache key: another compiler or setting makes another codehash."""
INDEX_NAME: Final = "verifiers.json"


def source_key(circuit: str) -> str:
    """The source unit name the build and the deploy compile a verifier under."""
    return f"generated/{verifier_contract_name(circuit)}.sol"


@lru_cache(maxsize=16)
def compile_verifier(circuit: str, source: str) -> CompiledContract:
    """Compile one verifier source (it imports nothing) exactly as the deploy command does."""
    from prover.toolchain.solc import compile_files  # build time: solc bindings load here only

    key = source_key(circuit)
    try:
        compiled = compile_files([], extra_sources={key: source})
    except ToolchainError as exc:
        raise ArtifactError(f"{key} does not compile: {exc}", field=circuit) from exc
    own = {n: c for n, c in compiled.items() if c.source == key}
    wanted = verifier_contract_name(circuit)
    if wanted in own:
        return own[wanted]
    candidates = [c for c in own.values() if any(i.get("name") == "verifyProof" for i in c.abi)]
    if len(candidates) != 1 or len(candidates[0].bytecode) <= 2:
        raise ArtifactError(f"{key} does not define one deployable Groth16 verifier", field=circuit)
    return candidates[0]


def codehash_of(runtime_code: bytes) -> str:
    """`0x` + keccak256 of runtime code (what `EXTCODEHASH` returns)."""
    return "0x" + keccak(runtime_code).hex()


def runtime_codehash(compiled: CompiledContract) -> str:
    return codehash_of(bytes.fromhex(compiled.deployed_bytecode.removeprefix("0x")))


def source_sha256(source: str) -> str:
    return hashlib.sha256(f"{COMPILER_ID}\n{source}".encode()).hexdigest()


class CodehashRecord(BaseModel):
    """One verifier source's codehash, cached by the sha256 of (compiler id, source)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    circuit: str
    vk_hash: str
    setup: SetupKind
    source_sha256: str
    runtime_codehash: str
    compiler: str = COMPILER_ID


class CodehashCache:
    """A directory of `CodehashRecord`s, one file per source hash (the client's cache)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def get(self, digest: str) -> str | None:
        path = self.directory / f"{digest}.json"
        try:
            record = CodehashRecord.model_validate_json(path.read_text())
        except (OSError, ValidationError):
            return None
        return record.runtime_codehash if record.source_sha256 == digest else None

    def put(self, record: CodehashRecord) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{record.source_sha256}.json"
        atomic_write_text(path, record.model_dump_json(indent=2) + "\n")


def recorded_codehash(digest: str, generated_dir: Path | None = GENERATED_DIR) -> str | None:
    """The codehash the project's build recorded for this source hash, if any."""
    if generated_dir is None:
        return None
    try:
        index = json.loads((generated_dir / INDEX_NAME).read_text())
    except (OSError, ValueError):
        return None
    for entry in index.values() if isinstance(index, dict) else ():
        if isinstance(entry, dict) and entry.get("source_sha256") == digest:
            codehash = entry.get("runtime_codehash")
            return codehash if isinstance(codehash, str) else None
    return None


def packaged_verifier(circuit: str, source: str) -> CompiledContract | None:
    """The packaged compiled verifier if the build made it from exactly this source."""
    entry = packaged.verifiers().get(circuit)
    if entry is None or entry.compiler != COMPILER_ID:
        return None
    if entry.source_sha256 != source_sha256(source):
        return None
    return packaged.contract(entry.contract)


def packaged_codehash(circuit: str, vk_hash: str, setup: SetupKind) -> str | None:
    """The codehash of the packaged verifier for this key (the vk hash binds the whole key)."""
    entry = packaged.verifiers().get(circuit)
    if entry is None or entry.compiler != COMPILER_ID or entry.setup != setup:
        return None
    return entry.runtime_codehash if entry.vk_hash.lower() == vk_hash.lower() else None


def expected_codehash(
    circuit: str,
    vk: SnarkjsVerifyingKey,
    setup: SetupKind,
    *,
    cache: CodehashCache | None = None,
    generated_dir: Path | None = GENERATED_DIR,
    packaged: bool = True,
) -> str:
    """The codehash of the verifier this project's build makes from `vk` (compiled at most once
    per new source: the package's record of a key it ships, then the build's index, then
    `cache`, then solc). `packaged=False` skips the package's record (to check it)."""
    from prover.circuits.verifier_export import render_verifier_source

    shipped = packaged_codehash(circuit, vk.hash_hex(), setup) if packaged else None
    if shipped is not None:
        return shipped
    source = render_verifier_source(circuit, vk, setup)
    digest = source_sha256(source)
    known = recorded_codehash(digest, generated_dir) or (cache.get(digest) if cache else None)
    if known is not None:
        return known
    codehash = runtime_codehash(compile_verifier(circuit, source))
    if cache is not None:
        cache.put(
            CodehashRecord(
                circuit=circuit,
                vk_hash=vk.hash_hex(),
                setup=setup,
                source_sha256=digest,
                runtime_codehash=codehash,
            )
        )
    return codehash
