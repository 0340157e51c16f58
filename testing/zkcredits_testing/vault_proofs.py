"""Withdraw and slash proofs for the vault, with the verifiers that check them (tests, bench).

`CircuitProofs` compiles the real circuit sources (`circuits/withdraw.circom`,
`circuits/slash.circom`, wrapped as `instances.json` declares their public inputs) with
groth16py's single-party DEV setup, renders the verifiers with the snarkjs template the build
uses (`prover.circuits.verifier_export`, with `VK_HASH`), and proves with groth16py. The public
signals are computed in Python from the statement (§7), so a proof only verifies on chain when
the circuit agrees with the Python twin. DEV keys: never for a public chain.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Final, Protocol

import groth16py
from pydantic import BaseModel, ConfigDict
from web3 import Web3

from prover.chain.errors import ChainError
from prover.chain.signals import SlashSignals, WithdrawSignals
from prover.chain.tx import deploy
from prover.crypto.babyjub import BASE8
from prover.crypto.commitment import rho0
from prover.crypto.rln import note_id, nullifier, share, slope, withdrawal_point
from prover.toolchain.paths import BUILD_DIR, REPO_ROOT
from prover.toolchain.solc import compile_files


class GeneratedProof(BaseModel):
    """256 calldata bytes and the public signals in D6 order."""

    model_config = ConfigDict(frozen=True)

    calldata: bytes
    signals: list[int]


class Verifiers(BaseModel):
    """Deployed verifiers and the vk hashes to pin in `VaultParams`."""

    model_config = ConfigDict(frozen=True)

    withdraw: str
    slash: str
    withdraw_vk_hash: str
    slash_vk_hash: str


class WithdrawStatement(BaseModel):
    """A withdrawal from a note's latest state: genesis (`signature` None, n = C = P = 0) or a
    state `(n, C, P, rho)` signed by the server (`signature` = (R8.x, R8.y, S))."""

    model_config = ConfigDict(frozen=True)

    k: int
    deposit: int
    service_id: int
    c_max: int
    penalty_max: int
    server_pk: tuple[int, int]
    recipient: str
    pending: bool
    n: int = 0
    C: int = 0
    P: int = 0
    rho: int | None = None
    signature: tuple[int, int, int] | None = None


def withdraw_signals(s: WithdrawStatement) -> WithdrawSignals:
    """§7: t = n + pending, charged = C + pending·c_max, penalties = P + pending·penalty_max."""
    t = s.n + int(s.pending)
    a = slope(s.k, t, s.service_id)
    return WithdrawSignals(
        id=note_id(s.k),
        charged=s.C + int(s.pending) * s.c_max,
        penalties=s.P + int(s.pending) * s.penalty_max,
        nullifier_t=nullifier(a),
        y_w=share(s.k, a, withdrawal_point(s.service_id)),
        service_id=s.service_id,
        c_max=s.c_max,
        penalty_max=s.penalty_max,
        server_pk_x=s.server_pk[0],
        server_pk_y=s.server_pk[1],
        deposit=s.deposit,
        recipient=int(Web3.to_checksum_address(s.recipient), 16),
        pending=int(s.pending),
    )


class ProofSource(Protocol):
    label: str

    def deploy_verifiers(self, w3: Web3, sender: str) -> Verifiers: ...

    def withdraw(self, statement: WithdrawStatement) -> GeneratedProof: ...

    def slash(self, k: int, service_id: int) -> GeneratedProof: ...


def _deploy_sources(w3: Web3, sender: str, sources: dict[str, str]) -> dict[str, str]:
    compiled = compile_files([], extra_sources=sources)
    out = {}
    for name in ("WithdrawVerifier", "SlashVerifier"):
        art = compiled[name]
        receipt = deploy(w3, sender=sender, abi=art.abi, bytecode=art.bytecode, context=name)
        out[name] = str(receipt.contract_address)
    return out


CIRCUITS_DIR: Final[Path] = REPO_ROOT / "circuits"
REAL_DIR: Final[Path] = BUILD_DIR / "vault-circuits"
_MAINS: Final[dict[str, str]] = {
    "withdraw": "component main {public [service_id, c_max, penalty_max, server_pk, D, "
    "recipient, pending]} = Withdraw();",
    "slash": "component main {public [service_id]} = Slash();",
}


class CircuitProofs:
    """The real `withdraw` and `slash` circuits, DEV single-party keys made here (TEST/BENCH)."""

    label = "real circuits (dev single-party keys)"

    def __init__(self) -> None:
        from prover.circuits.manifest import KeyManifest
        from prover.circuits.verifier_export import render_verifier
        from prover.circuits.vkey import parse_vk

        REAL_DIR.mkdir(parents=True, exist_ok=True)
        libs = [str(CIRCUITS_DIR), str(REPO_ROOT / "node_modules" / "circomlib" / "circuits")]
        self._keys: dict[str, groth16py.ProvingKey] = {}
        self._sources: dict[str, str] = {}
        self._hashes: dict[str, str] = {}
        for circuit, main in _MAINS.items():
            path = REAL_DIR / f"{circuit}_main.circom"
            path.write_text(f'pragma circom 2.1.5;\ninclude "{circuit}.circom";\n{main}\n')
            pk, vk = groth16py.setup_circom(str(path), libs)
            parsed = parse_vk(vk.to_json())
            manifest = KeyManifest(
                circuit=circuit,
                setup="dev-single-party",
                warning="dev keys made by the vault tests",
                r1cs_sha256="0" * 64,
                n_constraints=0,
                n_public=vk.n_public,
                vk_hash=parsed.hash_hex(),
                files={},
                groth16py_version=groth16py.__version__,
            )
            self._keys[circuit] = pk
            self._hashes[circuit] = parsed.hash_hex()
            self._sources[f"build/vault-circuits/{circuit}.sol"] = render_verifier(parsed, manifest)

    def deploy_verifiers(self, w3: Web3, sender: str) -> Verifiers:
        addresses = _deploy_sources(w3, sender, self._sources)
        return Verifiers(
            withdraw=addresses["WithdrawVerifier"],
            slash=addresses["SlashVerifier"],
            withdraw_vk_hash=self._hashes["withdraw"],
            slash_vk_hash=self._hashes["slash"],
        )

    def withdraw(self, statement: WithdrawStatement) -> GeneratedProof:
        s = statement
        if s.signature is None:
            r8x, r8y, sig_s = BASE8.x, BASE8.y, 0  # the satisfiable dummy of a genesis state
            rho = rho0(s.k, s.service_id) if s.rho is None else s.rho
        else:
            r8x, r8y, sig_s = s.signature
            if s.rho is None:
                raise ChainError("a signed state needs its blinding rho")
            rho = s.rho
        inputs = {
            "k": s.k, "n": s.n, "C": s.C, "P": s.P, "rho": rho,
            "is_genesis": int(s.signature is None), "sig_R8": [r8x, r8y], "sig_S": sig_s,
            "service_id": s.service_id, "c_max": s.c_max, "penalty_max": s.penalty_max,
            "server_pk": list(s.server_pk), "D": s.deposit,
            "recipient": int(Web3.to_checksum_address(s.recipient), 16),
            "pending": int(s.pending),
        }  # fmt: skip
        calldata = groth16py.prove(self._keys["withdraw"], inputs)
        return GeneratedProof(calldata=bytes(calldata), signals=withdraw_signals(s).to_list())

    def slash(self, k: int, service_id: int) -> GeneratedProof:
        calldata = groth16py.prove(self._keys["slash"], {"k": k, "service_id": service_id})
        signals = SlashSignals(id=note_id(k), service_id=service_id).to_list()
        return GeneratedProof(calldata=bytes(calldata), signals=signals)


@lru_cache(maxsize=1)
def proof_source() -> ProofSource:
    """The real `withdraw` and `slash` circuits with dev keys (made once per process)."""
    return CircuitProofs()
