"""Contract style the compiler does not enforce: NatSpec on the ERC-8004 interfaces, `@inheritdoc`
in their implementations, and one exact pragma in every contract (issue 15, point 6)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from prover.chain.circuit_params import render_solidity
from prover.circuits.verifier_export import PRAGMA
from prover.toolchain.paths import REPO_ROOT

CONTRACTS = REPO_ROOT / "contracts"
INTERFACES = {
    "IdentityRegistry": "IIdentityRegistry",
    "ReputationRegistry": "IReputationRegistry",
    "ValidationRegistry": "IValidationRegistry",
}
_DECLARATION = re.compile(r"^\s*(function|event|error)\s+(\w+)\s*\(")
_PRAGMA = re.compile(r"^[ \t]*(pragma[ \t]+solidity\b[^;]*;)", re.MULTILINE)


def _doc_before(lines: list[str], index: int) -> str:
    """The `///` NatSpec lines directly above line `index`."""
    doc: list[str] = []
    i = index - 1
    while i >= 0 and lines[i].strip().startswith("///"):
        doc.insert(0, lines[i].strip())
        i -= 1
    return "\n".join(doc)


def _parameter_names(lines: list[str], index: int) -> list[str]:
    """Named parameters of the declaration starting at line `index`."""
    text = " ".join(lines[index : index + 12])
    inside = text[text.index("(") + 1 :]
    depth, end = 1, 0
    while depth and end < len(inside):
        depth += {"(": 1, ")": -1}.get(inside[end], 0)
        end += 1
    end -= 1  # the closing parenthesis
    names = []
    for part in inside[:end].split(","):
        words = part.split()
        if len(words) >= 2 and words[-1] not in {"memory", "calldata", "storage", "indexed"}:
            names.append(words[-1])
    return names


def natspec_problems(source: str) -> list[str]:
    """Interface declarations (function, event, error) without `@notice`; functions with a named
    parameter and no `@param` for it."""
    lines = source.splitlines()
    found = []
    for index, line in enumerate(lines):
        match = _DECLARATION.match(line)
        if match is None:
            continue
        kind, name = match.groups()
        doc = _doc_before(lines, index)
        if "@notice" not in doc:
            found.append(f"{kind} {name}: no @notice")
        if kind == "function":
            for param in _parameter_names(lines, index):
                if not re.search(rf"@param\s+{param}\b", doc):
                    found.append(f"function {name}: no @param {param}")
    return found


def inheritdoc_problems(source: str, interface_source: str, interface: str) -> list[str]:
    """Functions of `interface` implemented in `source` without `/// @inheritdoc <interface>`."""
    declared = {m.group(2) for m in map(_DECLARATION.match, interface_source.splitlines()) if m}
    lines = source.splitlines()
    found = []
    for index, line in enumerate(lines):
        match = _DECLARATION.match(line)
        if match is None or match.group(1) != "function" or match.group(2) not in declared:
            continue
        if f"@inheritdoc {interface}" not in _doc_before(lines, index):
            found.append(
                f"function {match.group(2)} (line {index + 1}): no @inheritdoc {interface}"
            )
    return found


def pragma_problems(source: str) -> list[str]:
    pragmas = _PRAGMA.findall(source)
    return [] if pragmas == [PRAGMA] else [f"pragmas {pragmas}, expected exactly [{PRAGMA!r}]"]


def _project_sol_files() -> list[Path]:
    """The committed contract sources. The verifiers under contracts/generated are build outputs
    (git-ignored, rendered from the pinned keys): their pragma is the renderer's, checked where
    the build renders them (tests/circuits/test_build_keys.py)."""
    listed = subprocess.run(
        ["git", "ls-files", "*.sol"], cwd=CONTRACTS, capture_output=True, text=True, check=True
    ).stdout.split()
    return sorted(CONTRACTS / name for name in listed)


def test_every_erc8004_interface_declaration_has_a_notice_and_every_parameter_a_param() -> None:
    for interface in INTERFACES.values():
        source = (CONTRACTS / "interfaces" / f"{interface}.sol").read_text()
        assert len(re.findall(r"^\s*function ", source, re.MULTILINE)) >= 3, interface
        assert natspec_problems(source) == [], interface


def test_every_erc8004_implementation_function_inherits_its_interface_docs() -> None:
    for contract, interface in INTERFACES.items():
        source = (CONTRACTS / "erc8004" / f"{contract}.sol").read_text()
        interface_source = (CONTRACTS / "interfaces" / f"{interface}.sol").read_text()
        assert f"is {interface}" in source or f", {interface}" in source, contract
        assert inheritdoc_problems(source, interface_source, interface) == [], contract


def test_every_contract_has_exactly_the_one_pragma() -> None:
    files = _project_sol_files()
    assert len(files) >= 25  # the walk found the tree (vault, libraries, erc8004, test, ...)
    bad = {str(p.relative_to(REPO_ROOT)): pragma_problems(p.read_text()) for p in files}
    assert {path: found for path, found in bad.items() if found} == {}
    assert PRAGMA == "pragma solidity 0.8.37;"
    assert pragma_problems(render_solidity()) == []  # CircuitParams.sol's generator


def test_the_checks_catch_a_missing_notice_param_inheritdoc_or_pragma() -> None:
    interface = (
        "interface IThing {\n"
        "    /// @notice Fine.\n"
        "    /// @param a The a.\n"
        "    function good(uint256 a) external;\n"
        "    /// Untagged text only.\n"
        "    function bare() external;\n"
        "    /// @notice Missing one param.\n"
        "    /// @param a The a.\n"
        "    function half(uint256 a, address b) external;\n"
        "    event Happened(uint256 indexed a);\n"
        "    /// @notice Fine.\n"
        "    error Broken(uint256 a);\n"
        "}\n"
    )
    found = natspec_problems(interface)
    assert sorted(found) == sorted(
        ["function bare: no @notice", "function half: no @param b", "event Happened: no @notice"]
    )
    implementation = (
        "contract Thing is IThing {\n"
        "    /// @inheritdoc IThing\n"
        "    function good(uint256 a) external {}\n"
        "    /// Documented, but not inherited.\n"
        "    function bare() external {}\n"
        "    function extra() external {}\n"
        "}\n"
    )
    assert inheritdoc_problems(implementation, interface, "IThing") == [
        "function bare (line 5): no @inheritdoc IThing"
    ]
    assert pragma_problems("pragma solidity ^0.8.24;\ncontract A {}") != []
    assert pragma_problems("pragma solidity 0.8.37;\npragma solidity 0.8.37;\n") != []
    assert pragma_problems("contract A {}") != []
    assert pragma_problems("// x\n\npragma solidity 0.8.37;\n\ncontract A {}") == []
    assert pragma_problems("// x\npragma solidity 0.8.37;\ncontract A {}") == []
