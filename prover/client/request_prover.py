"""Proving one paid call (circuit `request`) for a wallet note, checked before it is sent.

`NoteProver` holds the request keys loaded once and one warm witness process (`Prover`); it
refuses keys whose vk hash differs from the provider's pinned one (the gateway would reject every
proof). A proof is returned only if its public signals equal, signal by signal, what the Python
twin computes from the note's opening (`expected_request_signals`): the witness is checked
against every R1CS constraint by `Prover` and the result against the wallet's own view, before
any ticket is spent on the wire.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import TracebackType

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
from prover.client.client_errors import ProvingError
from prover.client.wallet import Note, PendingTicket
from prover.crypto import eta
from prover.crypto.leanimt import MerkleProof


@dataclass(frozen=True)
class CallProof:
    calldata: bytes
    public_signals: tuple[int, ...]


def circuit_inputs(
    note: Note, ticket: PendingTicket, path: MerkleProof, max_depth: int
) -> tuple[dict[str, object], list[int]]:
    """Inputs of `Request(max_depth)` for `ticket` of `note`, and the expected public signals."""
    if note.deposit is None:
        raise ProvingError(f"note {note.id} has no deposit", field="deposit")
    if ticket.n != note.state.n:
        raise ProvingError(
            f"ticket {ticket.n} is not the note's current ticket {note.state.n}", field="n"
        )
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
        call = CallParams(
            x=ticket.x, today=ticket.request.today, eta=eta(note.k, state.n, service.service_id)
        )
        inputs = request_inputs(cnote, cstate, cservice, call, max_depth)
        expected = expected_request_signals(cnote, cstate, cservice, call, max_depth)
    except CircuitError as exc:
        raise ProvingError(f"request inputs: {exc}", field=getattr(exc, "field", None)) from exc
    return inputs, expected


class NoteProver:
    """The `request` prover with keys kept loaded; thread-safe (one proof at a time)."""

    def __init__(self, keys: CircuitKeys, *, max_depth: int = 20) -> None:
        self.keys = keys
        self.max_depth = max_depth
        self._prover = Prover(keys)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, expected_vk_hash: bytes, *, max_depth: int = 20) -> NoteProver:
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
        return cls(keys, max_depth=max_depth)

    def prove(self, note: Note, ticket: PendingTicket, path: MerkleProof) -> CallProof:
        """Prove `ticket`; `ProvingError` if proving fails or any signal differs from the twin."""
        inputs, expected = circuit_inputs(note, ticket, path, self.max_depth)
        try:
            with self._lock:
                proof = self._prover.prove(inputs)
        except CircuitError as exc:
            raise ProvingError(f"proving ticket {ticket.n} failed: {exc}") from exc
        signals = tuple(int(s) for s in proof.public_signals)
        if list(signals) != expected:
            raise ProvingError("the proof's public signals differ from the wallet's computation")
        if signals[1] != ticket.nullifier or signals[6] != ticket.x:
            raise ProvingError("the proof is not for the bound ticket", field="nullifier")
        return CallProof(calldata=bytes(proof.calldata), public_signals=signals)

    def close(self) -> None:
        self._prover.close()

    def __enter__(self) -> NoteProver:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
