"""Circuit inputs from typed models, and the public signals the circuits must output (D6).

The builders check every value is well formed and canonical (ranges of §2/D3, field elements
< p, points on the curve) and raise `CircuitInputError` naming the field. They do not decide
whether a statement is *true* (an over-budget state, a forged signature…): that is the
circuit's job, and the soundness tests feed such statements through these same builders.

The `expected_*` functions compute, with the Python twin (`prover.crypto`), the public signals in
D6 order, so a caller compares the circuit's output to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from prover.circuits.errors import CircuitInputError
from prover.crypto.babyjub import BASE8, L, Point
from prover.crypto.commitment import Opening, commit, rerandomise
from prover.crypto.eddsa import Signature
from prover.crypto.errors import EncodingError
from prover.crypto.field import P
from prover.crypto.leanimt import MerkleProof
from prover.crypto.rln import note_id, nullifier, parse_address, share, slope, withdrawal_point

U32: Final = 1 << 32
U64: Final = 1 << 64
U160: Final = 1 << 160
DEFAULT_MAX_DEPTH: Final = 20

# The genesis state carries no signature; the disabled verifier still needs satisfiable values.
DUMMY_SIGNATURE: Final = Signature(R8=BASE8, S=0)


def _int(value: object, bound: int, name: str) -> int:
    if type(value) is not int:
        raise CircuitInputError(f"{name} must be an int, got {type(value).__name__}", field=name)
    if not 0 <= value < bound:
        raise CircuitInputError(f"{name} must be in [0, {bound}), got {value}", field=name)
    return value


def _bool(value: object, name: str) -> bool:
    if type(value) is not bool:
        raise CircuitInputError(f"{name} must be a bool, got {value!r}", field=name)
    return value


@dataclass(frozen=True)
class Note:
    """A deposited note: secret k, deposit D, expiry day and its LeanIMT proof (from `proof()`)."""

    k: int
    D: int
    expiry: int
    proof: MerkleProof | None = None

    def __post_init__(self) -> None:
        _int(self.k, P, "k")
        if self.k == 0:
            raise CircuitInputError("k must be non-zero (§4)", field="k")
        _int(self.D, U64, "D")
        _int(self.expiry, U64, "expiry")
        if self.proof is not None and not isinstance(self.proof, MerkleProof):
            raise CircuitInputError("proof must be a leanimt.MerkleProof", field="proof")

    @property
    def id(self) -> int:
        return note_id(self.k)

    def merkle_proof(self, max_depth: int) -> MerkleProof:
        """The proof, checked to have the circuit's shape (padded to `max_depth`)."""
        proof = self.proof
        if proof is None:
            raise CircuitInputError(
                "the request circuit needs the note's Merkle proof", field="proof"
            )
        if len(proof.indices) != max_depth or len(proof.siblings) != max_depth:
            raise CircuitInputError(
                f"proof must be padded to MAX_DEPTH={max_depth}, got {len(proof.siblings)}",
                field="proof.siblings",
            )
        _int(proof.root, P, "proof.root")
        _int(proof.depth, max_depth + 1, "proof.depth")
        for i, (bit, sib) in enumerate(zip(proof.indices, proof.siblings, strict=True)):
            _int(bit, 2, f"proof.indices[{i}]")
            _int(sib, P, f"proof.siblings[{i}]")
        return proof


@dataclass(frozen=True)
class NoteState:
    """The opening (n, C, P, ρ) of a note's state and its server signature (None at genesis)."""

    n: int
    C: int
    P: int
    rho: int
    signature: Signature | None = None
    is_genesis: bool = False

    def __post_init__(self) -> None:
        _int(self.n, U32, "n")
        _int(self.C, U64, "C")
        _int(self.P, U64, "P")
        _int(self.rho, L, "rho")
        _bool(self.is_genesis, "is_genesis")
        if self.signature is not None and not isinstance(self.signature, Signature):
            raise CircuitInputError("signature must be an eddsa.Signature", field="signature")
        if not self.is_genesis and self.signature is None:
            raise CircuitInputError("a non-genesis state needs its signature", field="signature")

    @classmethod
    def genesis(cls, rho: int) -> NoteState:
        return cls(n=0, C=0, P=0, rho=rho, signature=None, is_genesis=True)

    def opening(self, note: Note) -> Opening:
        return Opening(n=self.n, C=self.C, P=self.P, ID=note.id, rho=self.rho)

    def signature_inputs(self) -> dict[str, object]:
        sig = self.signature if self.signature is not None else DUMMY_SIGNATURE
        return {
            "is_genesis": int(self.is_genesis),
            "sig_R8": [sig.R8.x, sig.R8.y],
            "sig_S": sig.S,
        }


@dataclass(frozen=True)
class ServiceParams:
    """The vault's parameters the circuits take as public inputs."""

    service_id: int
    c_max: int
    reserve: int
    penalty_max: int
    server_pk: Point

    def __post_init__(self) -> None:
        _int(self.service_id, P, "service_id")
        _int(self.c_max, U64, "c_max")
        _int(self.reserve, U64, "reserve")
        _int(self.penalty_max, U64, "penalty_max")
        if not isinstance(self.server_pk, Point):
            raise CircuitInputError("server_pk must be a babyjub.Point", field="server_pk")


@dataclass(frozen=True)
class CallParams:
    """One call: the request hash x (§8), today's day number and the rerandomiser η of §6."""

    x: int
    today: int
    eta: int

    def __post_init__(self) -> None:
        _int(self.x, P, "x")
        _int(self.today, U64, "today")
        _int(self.eta, L, "eta")


def request_inputs(
    note: Note,
    state: NoteState,
    service: ServiceParams,
    call: CallParams,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> dict[str, object]:
    """Inputs of `Request(MAX_DEPTH)`."""
    proof = note.merkle_proof(max_depth)
    return {
        "k": note.k,
        "D": note.D,
        "expiry": note.expiry,
        "depth": proof.depth,
        "indices": list(proof.indices),
        "siblings": list(proof.siblings),
        "n": state.n,
        "C": state.C,
        "P": state.P,
        "rho": state.rho,
        "eta": call.eta,
        **state.signature_inputs(),
        "root": proof.root,
        "service_id": service.service_id,
        "x": call.x,
        "c_max": service.c_max,
        "reserve": service.reserve,
        "server_pk": [service.server_pk.x, service.server_pk.y],
        "today": call.today,
    }


def expected_request_signals(
    note: Note,
    state: NoteState,
    service: ServiceParams,
    call: CallParams,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> list[int]:
    """D6: y, nullifier, E_anon.x, E_anon.y, root, service_id, x, c_max, reserve, pk, today."""
    proof = note.merkle_proof(max_depth)
    a = slope(note.k, state.n, service.service_id)
    e_anon = rerandomise(commit(state.opening(note)), call.eta)
    return [
        share(note.k, a, call.x),
        nullifier(a),
        e_anon.x,
        e_anon.y,
        proof.root,
        service.service_id,
        call.x,
        service.c_max,
        service.reserve,
        service.server_pk.x,
        service.server_pk.y,
        call.today,
    ]


def recipient_signal(address: str | bytes) -> int:
    """The `recipient` public input of an address (`0x` + 40 hex digits, EIP-55 if mixed case)."""
    try:
        return int.from_bytes(parse_address(address, "recipient"), "big")
    except EncodingError as exc:
        raise CircuitInputError(str(exc), field="recipient") from exc


def withdraw_inputs(
    note: Note, state: NoteState, service: ServiceParams, recipient: int, pending: bool
) -> dict[str, object]:
    """Inputs of `Withdraw()`; `recipient` is the 160-bit address as an integer."""
    _int(recipient, U160, "recipient")
    _bool(pending, "pending")
    return {
        "k": note.k,
        "n": state.n,
        "C": state.C,
        "P": state.P,
        "rho": state.rho,
        **state.signature_inputs(),
        "service_id": service.service_id,
        "c_max": service.c_max,
        "penalty_max": service.penalty_max,
        "server_pk": [service.server_pk.x, service.server_pk.y],
        "D": note.D,
        "recipient": recipient,
        "pending": int(pending),
    }


def expected_withdraw_signals(
    note: Note, state: NoteState, service: ServiceParams, recipient: int, pending: bool
) -> list[int]:
    """D6: ID, charged, penalties, nullifier_t, y_w, service_id, c_max, penalty_max, pk, D,
    recipient, pending (§7: t = n + pending, charged = C + pending·c_max, …)."""
    _int(recipient, U160, "recipient")
    bit = int(_bool(pending, "pending"))
    a = slope(note.k, state.n + bit, service.service_id)
    return [
        note.id,
        state.C + bit * service.c_max,
        state.P + bit * service.penalty_max,
        nullifier(a),
        share(note.k, a, withdrawal_point(service.service_id)),
        service.service_id,
        service.c_max,
        service.penalty_max,
        service.server_pk.x,
        service.server_pk.y,
        note.D,
        recipient,
        bit,
    ]


def slash_inputs(k: int, service_id: int) -> dict[str, object]:
    """Inputs of `Slash()`."""
    _int(k, P, "k")
    _int(service_id, P, "service_id")
    return {"k": k, "service_id": service_id}


def expected_slash_signals(k: int, service_id: int) -> list[int]:
    """D6: ID, service_id."""
    _int(k, P, "k")
    return [note_id(k), _int(service_id, P, "service_id")]
