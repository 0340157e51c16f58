"""The vault's compiled contracts and library linking.

At run time the contracts come from the package (`prover.artifacts`, built by
`scripts/build_artifacts.py`): no process compiles Solidity to deploy or to talk to a vault. The
`compile_*` functions are the build's (they need the checkout).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from eth_hash.auto import keccak

from prover.artifacts import packaged
from prover.chain.errors import ChainError
from prover.toolchain.checkout import checkout_root
from prover.toolchain.compiled import CompiledContract

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


VAULT_CONTRACTS: Final[tuple[str, ...]] = ("EthCreditVault", "TokenCreditVault")
TEST_CONTRACTS: Final[tuple[str, ...]] = (
    "FeeOnTransferToken",
    "RevertingRecipient",
    "ReentrantRecipient",
    "AcceptAllVerifier",
    "LeanIMTReference",
    "TagsProbe",
)


def compile_vault_artifacts(include_test_contracts: bool = False) -> dict[str, CompiledContract]:
    """Build time: compile every contract of the vault sources (and the test helpers if asked).

    `PoseidonT3`/`PoseidonT5` are the high-`runs` builds of `compile_library_artifacts()` (same
    source unit names, so the vault's link placeholders are unchanged).
    """
    from prover.toolchain.solc import compile_files

    root = checkout_root("compiling the vault")
    paths = list(VAULT_SOURCES) + (list(TEST_SOURCES) if include_test_contracts else [])
    compiled = compile_files([root / p for p in paths])
    compiled.update(compile_library_artifacts())
    return compiled


def compile_library_artifacts() -> dict[str, CompiledContract]:
    """Build time: PoseidonT3/T5 compiled for cheap execution (deployed separately, linked)."""
    from prover.toolchain.solc import compile_files

    root = checkout_root("compiling the Poseidon libraries")
    compiled = compile_files(
        [root / p for p in LIBRARY_SOURCES], optimize_runs=LIBRARY_OPTIMIZE_RUNS
    )
    return {name: compiled[name] for name in LIBRARIES}


@lru_cache(maxsize=4)
def vault_artifacts(include_test_contracts: bool = False) -> dict[str, CompiledContract]:
    """The packaged vault contracts and libraries (and the test helpers if asked), by name."""
    names = VAULT_CONTRACTS + LIBRARIES + (TEST_CONTRACTS if include_test_contracts else ())
    return {name: packaged.contract(name) for name in names}


@lru_cache(maxsize=1)
def library_artifacts() -> dict[str, CompiledContract]:
    """The packaged PoseidonT3/T5 (deployed separately and linked)."""
    return {name: packaged.contract(name) for name in LIBRARIES}


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
    """Every `error` ABI entry of every vault/test contract (for revert decoding; packaged)."""
    return list(packaged.errors_abi())


def source_path(relative: str) -> Path:
    """Build time: absolute path of a contract source inside the checkout."""
    return checkout_root("reading a contract source") / relative
