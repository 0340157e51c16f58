"""Compile Solidity with the repository's solc wrapper (solcjs speaking the native CLI)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import solcx

from prover.toolchain.checkout import checkout_root
from prover.toolchain.compiled import CompiledContract as CompiledContract
from prover.toolchain.errors import ToolchainError
from prover.toolchain.paths import NODE_MODULES, REPO_ROOT, solc_binary

# Import prefixes the contracts use, resolved inside node_modules.
DEFAULT_REMAPPINGS: tuple[str, ...] = (
    "@openzeppelin/=node_modules/@openzeppelin/",
    "@zk-kit/=node_modules/@zk-kit/",
    "poseidon-solidity/=node_modules/poseidon-solidity/",
)


def compile_files(
    sources: Sequence[Path],
    *,
    optimize_runs: int = 200,
    via_ir: bool = False,
    remappings: Sequence[str] = DEFAULT_REMAPPINGS,
    extra_sources: Mapping[str, str] | None = None,
) -> dict[str, CompiledContract]:
    """Compile Solidity files (paths inside the repo) and return every contract by name.

    Build time only (`CheckoutRequiredError` outside a checkout). Raises ToolchainError with the
    compiler's messages if compilation fails.
    """
    checkout_root("compiling Solidity")
    input_sources: dict[str, dict[str, str]] = {}
    for path in sources:
        resolved = path.resolve()
        try:
            key = str(resolved.relative_to(REPO_ROOT))
        except ValueError as exc:
            raise ToolchainError(f"{path} is outside the repository") from exc
        input_sources[key] = {"content": resolved.read_text()}
    for key, content in (extra_sources or {}).items():
        input_sources[key] = {"content": content}
    standard_input = {
        "language": "Solidity",
        "sources": input_sources,
        "settings": {
            "optimizer": {"enabled": True, "runs": optimize_runs},
            "viaIR": via_ir,
            "remappings": list(remappings),
            "outputSelection": {
                "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}
            },
        },
    }
    try:
        output = solcx.compile_standard(
            standard_input,
            solc_binary=solc_binary(),
            base_path=str(REPO_ROOT),
            allow_paths=[str(REPO_ROOT), str(NODE_MODULES)],
        )
    except solcx.exceptions.SolcError as exc:
        raise ToolchainError(f"solc failed: {exc.message}\n{exc.stdout_data}") from exc
    contracts: dict[str, CompiledContract] = {}
    for source, by_name in output.get("contracts", {}).items():
        for name, item in by_name.items():
            contracts[name] = CompiledContract(
                name=name,
                source=source,
                abi=item["abi"],
                bytecode="0x" + item["evm"]["bytecode"]["object"],
                deployed_bytecode="0x" + item["evm"]["deployedBytecode"]["object"],
            )
    return contracts
