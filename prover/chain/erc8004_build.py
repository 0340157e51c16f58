"""Compile the ERC-8004 registries once per source hash (cached under build/contracts/)."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from prover.plumbing.atomic import atomic_write_text
from prover.toolchain.paths import BUILD_DIR, REPO_ROOT, SOLC_VERSION
from prover.toolchain.solc import CompiledContract, compile_files

ERC8004_DIR = REPO_ROOT / "contracts" / "erc8004"
INTERFACES_DIR = REPO_ROOT / "contracts" / "interfaces"
REGISTRY_SOURCES: tuple[Path, ...] = (
    ERC8004_DIR / "IdentityRegistry.sol",
    ERC8004_DIR / "ReputationRegistry.sol",
    ERC8004_DIR / "ValidationRegistry.sol",
)
MOCK_SOURCES: tuple[Path, ...] = (ERC8004_DIR / "mocks" / "ERC1271WalletMock.sol",)
_HASHED: tuple[Path, ...] = (
    *REGISTRY_SOURCES,
    *MOCK_SOURCES,
    INTERFACES_DIR / "IIdentityRegistry.sol",
    INTERFACES_DIR / "IReputationRegistry.sol",
    INTERFACES_DIR / "IValidationRegistry.sol",
)
CACHE_DIR = BUILD_DIR / "contracts"
# The reputation registry's `readAllFeedback` returns seven arrays: it needs the IR pipeline.
VIA_IR = True
OPTIMIZE_RUNS = 200
WANTED = ("IdentityRegistry", "ReputationRegistry", "ValidationRegistry", "ERC1271WalletMock")


def sources_hash() -> str:
    digest = hashlib.sha256(f"solc {SOLC_VERSION} via_ir={VIA_IR} runs={OPTIMIZE_RUNS}".encode())
    for path in _HASHED:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=4)
def _compile(key: str) -> dict[str, CompiledContract]:
    cache = CACHE_DIR / f"erc8004-{key[:16]}.json"
    if cache.exists():
        raw = json.loads(cache.read_text())
        return {name: CompiledContract.model_validate(item) for name, item in raw.items()}
    compiled = compile_files(
        [*REGISTRY_SOURCES, *MOCK_SOURCES], optimize_runs=OPTIMIZE_RUNS, via_ir=VIA_IR
    )
    wanted = {name: compiled[name] for name in WANTED}
    atomic_write_text(
        cache, json.dumps({name: c.model_dump() for name, c in wanted.items()}, sort_keys=True)
    )
    return wanted


def compile_registries() -> dict[str, CompiledContract]:
    """IdentityRegistry, ReputationRegistry, ValidationRegistry and the ERC-1271 test wallet."""
    return _compile(sources_hash())
