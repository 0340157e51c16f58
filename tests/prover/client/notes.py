"""Real wallet notes in any state, for the pure tests of `why_not` and `balance`.

Each note has a real secret, ID and genesis blinding; a state past genesis is committed with the
real commitment and signed with a real server key; the next ticket is keyed as the wallet keys it
(one-time key, x and nullifier) and carries a real request in flight. Nothing here is a stand-in
for a wallet rule: the modules under test only read these records.
"""

from __future__ import annotations

import secrets

from prover.client.wallet import (
    DepositInfo,
    Note,
    NoteState,
    NoteStatus,
    ServiceParams,
    StoredRequest,
    Ticket,
)
from prover.client.wallet.ticket_rules import fresh_note, new_ticket
from prover.crypto import (
    Opening,
    RequestFields,
    commit,
    generate_secret_key,
    public_key,
    service_id,
)
from prover.crypto.commitment import sign_state

VAULT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
SERVER_SK = generate_secret_key()
TODAY = 20_400  # 2025-11-08
NOW = TODAY * 86_400 + 3_600.0  # 01:00 UTC that day


def make_service(
    *, c_max: int = 1000, reserve: int = 2000, penalty_max: int = 2000
) -> ServiceParams:
    return ServiceParams(
        chain_id=31337,
        vault_address=VAULT,
        service_id=service_id(31337, VAULT),
        server_pk=public_key(SERVER_SK),
        c_max=c_max,
        reserve=reserve,
        penalty_max=penalty_max,
        unit=10**9,
    )


def make_note(
    service: ServiceParams,
    *,
    D: int | None = 10_000,
    C: int = 0,
    P: int = 0,
    n: int = 0,
    status: NoteStatus = NoteStatus.ACTIVE,
    expiry: int = TODAY + 30,
    leaf: int = 0,
    pending: bool = False,
) -> Note:
    """A note deposited with `D` (None: created, not deposited) at state (n, C, P)."""
    note = fresh_note(service)
    state = note.state
    if (n, C, P) != (0, 0, 0):
        e = commit(Opening(n=n, C=C, P=P, ID=note.id, rho=state.rho))
        sigma = sign_state(SERVER_SK, service.service_id, e)
        state = NoteState(n=n, C=C, P=P, rho=state.rho, E=e, sigma=sigma)
    deposit = None
    if D is not None:
        deposit = DepositInfo(tx_hash=b"\x22" * 32, leaf_index=leaf, D=D, expiry=expiry)
    ticket = _ticket(note, service, n, expiry) if pending else None
    return note.model_copy(
        update={"status": status, "deposit": deposit, "state": state, "ticket": ticket}
    )


def _ticket(note: Note, service: ServiceParams, n: int, expiry: int) -> Ticket:
    """The note's next ticket keyed as the wallet keys it, with a request in flight on it."""
    request = RequestFields.create(
        method="POST",
        path="/v1/chat/completions",
        body=b'{"model":"m","messages":[]}',
        service_id=service.service_id,
        today=min(TODAY, expiry),
        request_id=secrets.token_bytes(16),
    )
    at_n = note.state.model_copy(update={"n": n})
    ticket = new_ticket(note.model_copy(update={"state": at_n, "status": NoteStatus.ACTIVE}))
    return ticket.model_copy(update={"request": StoredRequest.of(request), "shown": True})
