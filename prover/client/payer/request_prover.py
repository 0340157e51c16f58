"""Proving one ticket (circuit `request`) for a wallet note, checked before it can be used.

v3: a ticket's proof binds `x = H(pk)` of its one-time key, never the request, so it can be made
ahead of time (`ready_proofs`). A proof is returned only if its public signals equal, signal by
signal, what the Python twin computes from the note's opening (`expected_request_signals`): the
witness is checked against every R1CS constraint by `Prover` and the result against the wallet's
own view. `check_call_proof` then refuses to send a proof with any ticket but its own.

`NoteProver` proves in this process (keys loaded once, one warm witness process); it refuses
keys whose vk hash differs from the provider's pinned one. `ThreadProver` runs it off the event
loop; `prover.client.payer.proof_pool.PoolProver` runs one per core in worker processes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from anyio import to_thread

from prover.circuits.errors import CircuitError
from prover.circuits.inputs import (
    CallParams,
    expected_request_signals,
    request_inputs,
)
from prover.circuits.inputs import Note as CircuitNote
from prover.circuits.inputs import NoteState as CircuitState
from prover.circuits.inputs import ServiceParams as CircuitService
from prover.circuits.prover import CircuitKeys, Prover
from prover.client.errors import ProvingError
from prover.client.wallet import Note, Ticket
from prover.crypto import eta
from prover.crypto.leanimt import MerkleProof
from prover.wire.payment import REQUEST_SIGNALS


@dataclass(frozen=True)
class CallProof:
    calldata: bytes
    public_signals: tuple[int, ...]

    def signal(self, name: str) -> int:
        return self.public_signals[REQUEST_SIGNALS.index(name)]


def circuit_inputs(
    note: Note, x: int, today: int, path: MerkleProof, max_depth: int
) -> tuple[dict[str, object], list[int]]:
    """Inputs of `Request(max_depth)` for the note's next ticket at point `x` on day `today`, and
    the public signals they must give."""
    if note.deposit is None:
        raise ProvingError(f"note {note.id} has no deposit", field="deposit")
    service = note.service
    try:
        cnote = CircuitNote(k=note.k, D=note.deposit.D, expiry=note.deposit.expiry, proof=path)
        state = note.state
        if state.sigma is None:
            cstate = CircuitState.genesis(state.rho)
        else:
            cstate = CircuitState(
                n=state.n, C=state.C, P=state.P, rho=state.rho, signature=state.sigma
            )
        cservice = CircuitService(
            service_id=service.service_id,
            c_max=service.c_max,
            reserve=service.reserve,
            penalty_max=service.penalty_max,
            server_pk=service.server_pk,
        )
        call = CallParams(x=x, today=today, eta=eta(note.k, state.n, service.service_id))
        inputs = request_inputs(cnote, cstate, cservice, call, max_depth)
        expected = expected_request_signals(cnote, cstate, cservice, call, max_depth)
    except CircuitError as exc:
        raise ProvingError(f"request inputs: {exc}", field=getattr(exc, "field", None)) from exc
    return inputs, expected


def check_call_proof(proof: CallProof, ticket: Ticket, today: int) -> None:
    """A proof may travel only with its own ticket: its `x` is this ticket key's, its nullifier
    this ticket's, its day the request's."""
    if proof.signal("x") != ticket.x:
        raise ProvingError("the proof was made for another ticket key", field="x")
    if proof.signal("nullifier") != ticket.nullifier:
        raise ProvingError("the proof is for another ticket", field="nullifier")
    if proof.signal("today") != today:
        raise ProvingError("the proof is for another day than the request", field="today")


class NoteProver:
    """The `request` prover with keys kept loaded; thread-safe (one proof at a time)."""

    def __init__(self, keys: CircuitKeys, *, max_depth: int = 20) -> None:
        self.keys = keys
        self.max_depth = max_depth
        self._prover = Prover(keys)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, expected_vk_hash: bytes, *, max_depth: int = 20) -> NoteProver:
        return cls(load_request_keys(expected_vk_hash), max_depth=max_depth)

    def prove(self, note: Note, x: int, today: int, path: MerkleProof) -> CallProof:
        """Prove the note's next ticket at `x` on `today`; `ProvingError` if proving fails or
        any signal differs from the twin."""
        inputs, expected = circuit_inputs(note, x, today, path, self.max_depth)
        try:
            with self._lock:
                proof = self._prover.prove(inputs)
        except CircuitError as exc:
            raise ProvingError(f"proving ticket {note.state.n} failed: {exc}") from exc
        signals = tuple(int(s) for s in proof.public_signals)
        if list(signals) != expected:
            raise ProvingError("the proof's public signals differ from the wallet's computation")
        return CallProof(calldata=bytes(proof.calldata), public_signals=signals)

    def close(self) -> None:
        self._prover.close()

    def __enter__(self) -> NoteProver:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def load_request_keys(expected_vk_hash: bytes) -> CircuitKeys:
    """The local request keys, refused unless their vk hash is the provider's pinned one."""
    try:
        keys = CircuitKeys.load("request")
    except CircuitError as exc:
        raise ProvingError(
            f"cannot load the request keys ({exc}); run `zkcredits circuits build`"
        ) from exc
    ours = bytes.fromhex(keys.manifest.vk_hash.removeprefix("0x"))
    if ours != expected_vk_hash:
        raise ProvingError(
            f"local request keys have vk hash 0x{ours.hex()}, the provider pins "
            f"0x{expected_vk_hash.hex()}",
            field="vk_hashes.request",
        )
    return keys


class RequestProving(Protocol):
    """What the payer and the ready-proof keeper prove with (off the event loop)."""

    async def prove(self, note: Note, x: int, today: int, path: MerkleProof) -> CallProof: ...

    @property
    def workers(self) -> int:
        """How many proofs can run at once."""
        ...

    def close(self) -> None: ...


class ThreadProver:
    """A `NoteProver` in a worker thread (one proof at a time): tests and single-core setups."""

    def __init__(self, prover: NoteProver) -> None:
        self.prover = prover

    async def prove(self, note: Note, x: int, today: int, path: MerkleProof) -> CallProof:
        return await to_thread.run_sync(self.prover.prove, note, x, today, path)

    @property
    def workers(self) -> int:
        return 1

    def close(self) -> None:
        """The wrapped prover belongs to the caller (it may be shared)."""
