"""Recovering a note's latest signed state from its secret alone (PROTOCOL §9 `GET /state`).

Walk tickets n = 0, 1, 2, …: ask the gateway for the stored reply of nullifier_n, rebuild the
opening from k (ρ0 and every η_n are deterministic, D3), and accept a reply only if `E_new`
commits to the rebuilt next opening and `σ_new` verifies under the pinned `server_pk`. The walk
stops at the first ticket the gateway has not served. This walk links the note's history for the
gateway: use it only when the wallet's own copy is lost.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from prover.client.wallet.errors import WalletError
from prover.client.wallet.models import TICKET_LIMIT, ServiceParams
from prover.client.wallet.note import DepositInfo, Note, NoteState, NoteStatus
from prover.client.wallet.replies import next_state, ticket_nullifier
from prover.crypto import commit, genesis_opening, note_id
from prover.crypto.field import require_canonical
from prover.wire.fields import Hash32
from prover.wire.response import PaymentResponse

FetchState = Callable[[int], PaymentResponse | None]
"""`GET /state/{nullifier}`: the stored reply of a served ticket, or None if never served."""


class RecoveredNote(BaseModel):
    """The latest state found, how many tickets were served, and the last evidence hash."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    note_id: int
    state: NoteState
    served: int
    evidence_hash: Hash32 | None = None


def walk(
    k: int,
    service: ServiceParams,
    start: NoteState,
    fetch_state: FetchState,
    max_tickets: int = TICKET_LIMIT - 1,
) -> tuple[NoteState, bytes | None]:
    """Follow served tickets from `start`; return the last state and the last evidence hash."""
    nid = note_id(k)
    state, evidence = start, None
    while state.n < max_tickets:
        reply = fetch_state(ticket_nullifier(k, state.n, service.service_id))
        if reply is None:
            break
        state = next_state(k, nid, service, state, reply)
        if reply.p > 0:
            evidence = reply.evidence_hash
    return state, evidence


def recover_note(
    k: int,
    service: ServiceParams,
    fetch_state: FetchState,
    *,
    max_tickets: int = TICKET_LIMIT - 1,
) -> RecoveredNote:
    """Walk the note's tickets from genesis; `InvalidReplyError` if any reply does not match."""
    require_canonical(k, "k")
    if k == 0:
        raise WalletError("k must be non-zero", field="k")
    nid = note_id(k)
    genesis = genesis_opening(k, nid, service.service_id)
    start = NoteState(n=0, C=0, P=0, rho=genesis.rho, E=commit(genesis))
    state, evidence = walk(k, service, start, fetch_state, max_tickets)
    return RecoveredNote(note_id=nid, state=state, served=state.n, evidence_hash=evidence)


def restore_note(
    k: int, service: ServiceParams, deposit: DepositInfo, fetch_state: FetchState
) -> Note:
    """A complete note rebuilt from k, its pinned service and its deposit (for `Wallet.add_note`).

    A note that was ever charged a penalty comes back halted.
    """
    found = recover_note(k, service, fetch_state)
    status = NoteStatus.ACTIVE if found.evidence_hash is None else NoteStatus.HALTED
    return Note(
        id=found.note_id,
        k=k,
        service=service,
        status=status,
        deposit=deposit,
        state=found.state,
        evidence_hash=found.evidence_hash,
    )
