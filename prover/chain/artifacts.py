"""Compiled vault contracts (cached per process) and library linking."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from eth_hash.auto import keccak

from prover.chain.errors import ChainError
from prover.toolchain.paths import REPO_ROOT
from prover.toolchain.solc import CompiledContract, compile_files

VAULT_SOURCES: Final[tuple[str, ...]] = (
    "contracts/vault/EthCreditVault.sol",
    "contracts/vault/TokenCreditVault.sol",
)
TEST_SOURCES: Final[tuple[str, ...]] = (
    "contracts/test/FeeOnTransferToken.sol",
    "contracts/test/RevertingRecipient.sol",
    "contracts/test/ReentrantRecipient.sol",
    "contracts/test/AcceptAllVerifier.sol",
    "contracts/test/LeanIMTReference.sol",
    "contracts/test/TagsProbe.sol",
)
LIBRARIES: Final[tuple[str, ...]] = ("PoseidonT3", "PoseidonT5")
LIBRARY_SOURCES: Final[tuple[str, ...]] = (
    "node_modules/poseidon-solidity/PoseidonT3.sol",
    "node_modules/poseidon-solidity/PoseidonT5.sol",
)
LIBRARY_OPTIMIZE_RUNS: Final[int] = 1_000_000
"""poseidon-solidity needs a high `runs` to inline its constants: PoseidonT5 costs ~56 k gas
instead of ~122 k at runs = 200 (T3: ~22 k instead of ~33 k). Same source unit names, so the
vault's link placeholders match."""


@lru_cache(maxsize=4)
def vault_artifacts(include_test_contracts: bool = False) -> dict[str, CompiledContract]:
    """Every contract of the vault sources (and the test helpers if asked), by name.

    `PoseidonT3`/`PoseidonT5` are the high-`runs` builds of `library_artifacts()` (same source
    unit names, so the vault's link placeholders are unchanged).
    """
    paths = list(VAULT_SOURCES) + (list(TEST_SOURCES) if include_test_contracts else [])
    compiled = compile_files([REPO_ROOT / p for p in paths])
    compiled.update(library_artifacts())
    return compiled


@lru_cache(maxsize=1)
def library_artifacts() -> dict[str, CompiledContract]:
    """PoseidonT3/T5 compiled for cheap execution (deployed separately and linked)."""
    compiled = compile_files(
        [REPO_ROOT / p for p in LIBRARY_SOURCES], optimize_runs=LIBRARY_OPTIMIZE_RUNS
    )
    return {name: compiled[name] for name in LIBRARIES}


def artifact(name: str, *, test: bool = False) -> CompiledContract:
    """One compiled contract by name; raises ChainError if it is not in the sources."""
    contracts = vault_artifacts(test)
    if name not in contracts:
        raise ChainError(f"contract {name!r} is not compiled from the vault sources")
    return contracts[name]


def placeholder(library: CompiledContract) -> str:
    """solc's link placeholder `__$<34 hex of keccak(source:name)>$__` for a library."""
    digest = keccak(f"{library.source}:{library.name}".encode()).hex()[:34]
    return f"__${digest}$__"


def link(bytecode: str, addresses: dict[str, str], libraries: dict[str, CompiledContract]) -> str:
    """Replace every library placeholder by its deployed address; refuse leftovers."""
    linked = bytecode
    for name, address in addresses.items():
        linked = linked.replace(placeholder(libraries[name]), address.lower().removeprefix("0x"))
    if "__$" in linked:
        raise ChainError("bytecode still has unlinked library placeholders")
    return linked


def all_errors_abi() -> list[dict[str, Any]]:
    """Every `error` ABI entry of every compiled vault/test contract (for revert decoding)."""
    seen: dict[str, dict[str, Any]] = {}
    for contract in vault_artifacts(True).values():
        for item in contract.abi:
            if item.get("type") == "error":
                key = item["name"] + str([i["type"] for i in item.get("inputs", [])])
                seen.setdefault(key, item)
    return list(seen.values())


def source_path(relative: str) -> Path:
    """Absolute path of a contract source inside the repository."""
    return REPO_ROOT / relative
