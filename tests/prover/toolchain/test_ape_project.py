"""`ape compile` and `ape test` work on the repository's own contracts (offline, solc wrapper).

The slow test runs ape on a copy of the repository root (contracts/, ape-config.yaml,
pyproject.toml, node_modules linked), so its caches (.build/, ape's package cache) never race
with a developer's or another test's ape run in the checkout.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from prover.toolchain.paths import NODE_MODULES, REPO_ROOT, tool_environment

APE = REPO_ROOT / ".venv" / "bin" / "ape"
CONTRACTS = REPO_ROOT / "contracts"
DECLARATION = re.compile(r"^\s*(?:abstract\s+)?(?:contract|library|interface)\s+(\w+)", re.M)
# They link PoseidonT3/T5: ape leaves them out until an ape test deploys and adds the libraries.
NEEDS_LINKED_LIBRARIES = {"EthCreditVault", "TokenCreditVault", "LeanIMTReference"}
REGISTRIES = {"IdentityRegistry", "ReputationRegistry", "ValidationRegistry"}

APE_TEST = """
from ape.contracts import ContractInstance


def test_the_identity_registry_registers_an_agent(accounts, project):
    owner = accounts[0]
    registry = owner.deploy(project.IdentityRegistry)
    registry.register("ipfs://agent", sender=owner)
    assert registry.totalAgents() == 1
    assert registry.ownerOf(0) == owner
    assert registry.tokenURI(0) == "ipfs://agent"
    assert registry.getAgentWallet(0) == owner


def test_poseidon_libraries_registered_under_their_compiled_source_names_link(
    accounts, project, compilers
):
    owner = accounts[0]
    poseidon = project.dependencies["poseidon-solidity"]["0.0.5"]
    for name in ("PoseidonT3", "PoseidonT5"):
        library = owner.deploy(getattr(poseidon, name))
        source = f"contracts/.cache/poseidon-solidity/0.0.5/{name}.sol"
        contract_type = library.contract_type.model_copy(update={"source_id": source})
        compilers.solidity.add_library(ContractInstance(library.address, contract_type))
    for name in ("EthCreditVault", "TokenCreditVault"):
        bytecode = getattr(project, name).contract_type.deployment_bytecode.bytecode
        assert len(bytecode) > 2 and "__$" not in bytecode
    tree = owner.deploy(project.LeanIMTReference)
    tree.insertBoth([1, 2, 3], sender=owner)
    zkkit, append_only = tree.roots()
    assert zkkit == append_only != 0
"""


def _ape_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((REPO_ROOT / "ape-config.yaml").read_text())
    return config


def _declared_contracts() -> set[str]:
    names: set[str] = set()
    for path in CONTRACTS.rglob("*.sol"):
        if ".cache" not in path.parts:
            names.update(DECLARATION.findall(path.read_text()))
    return names


def _copy_root(destination: Path) -> None:
    destination.mkdir()
    shutil.copytree(CONTRACTS, destination / "contracts", ignore=shutil.ignore_patterns(".cache"))
    for name in ("ape-config.yaml", "pyproject.toml", "package.json"):
        shutil.copy(REPO_ROOT / name, destination / name)
    (destination / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)


def _ape(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([APE, *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_the_ape_dependencies_are_the_npm_packages_package_json_pins() -> None:
    config = _ape_config()
    pinned = json.loads((REPO_ROOT / "package.json").read_text())["dependencies"]
    remappings = set(config["solidity"]["import_remapping"])

    for dependency in config["dependencies"]:
        installed = json.loads((NODE_MODULES / dependency["npm"] / "package.json").read_text())
        assert str(dependency["version"]) == pinned[dependency["npm"]] == installed["version"]
        remapping = f"{dependency['npm']}={dependency['name']}/{dependency['version']}"
        assert remapping in remappings


@pytest.mark.slow
def test_ape_compiles_the_project_contracts_and_ape_test_deploys_them_on_anvil(
    tmp_path: Path,
) -> None:
    root = tmp_path / "zkcredits"
    _copy_root(root)
    env = tool_environment()
    # ape compiles a project under the temp directory in place instead of in an isolated copy,
    # as it does at the real root: point TMPDIR elsewhere so the copy behaves like the root.
    (tmp_path / "tmp").mkdir()
    env["TMPDIR"] = str(tmp_path / "tmp")
    # A fresh package cache: the npm dependencies install from node_modules, offline.
    env["APE_DATA_FOLDER"] = str(tmp_path / "ape-data")

    compiled = _ape(["compile"], root, env)
    output = compiled.stdout + compiled.stderr
    assert compiled.returncode == 0, output
    assert "Compiling using Solidity compiler '0.8.37" in output
    manifest = json.loads((root / ".build" / "__local__.json").read_text())
    types = set(manifest["contractTypes"])
    assert {"CreditVault", *REGISTRIES} <= types
    assert types == _declared_contracts() - NEEDS_LINKED_LIBRARIES
    for name in NEEDS_LINKED_LIBRARIES:
        assert f"Unable to compile {name} - missing libraries" in output
    for name in REGISTRIES:
        assert manifest["contractTypes"][name]["deploymentBytecode"]["bytecode"] != "0x"
    (settings,) = [compiler["settings"] for compiler in manifest["compilers"]]
    assert settings["viaIR"] is True
    assert settings["optimizer"] == {"enabled": True, "runs": 200}
    assert settings["evmVersion"] == "cancun"

    (root / "tests" / "ape").mkdir(parents=True)
    (root / "tests" / "ape" / "test_registry.py").write_text(APE_TEST)
    # pyproject.toml's addopts disable ape's pytest plugin for the project's own suite.
    tested = _ape(["test", "-o", "addopts=", "-p", "no:cacheprovider", "tests/ape"], root, env)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "2 passed" in tested.stdout
