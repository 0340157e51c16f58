"""Checking a gateway reply against the wallet's own opening (PROTOCOL §6, client side).

The wallet recomputes the next opening `(n+1, C+cost, P+p, ρ+η_n)` from its secret, commits to it,
and accepts the reply only if that commitment is exactly `E_new` and `σ_new` verifies under the
pinned `server_pk` — so it never stores a state the server did not sign.
"""

from __future__ import annotations

from prover.client.wallet.errors import InvalidReplyError
from prover.client.wallet.models import ZERO_HASH, ServiceParams
from prover.client.wallet.note import NoteState
from prover.crypto import commit, eta, next_opening, nullifier, slope
from prover.crypto.commitment import verify_state
from prover.crypto.errors import CryptoError
from prover.wire.response import PaymentResponse


def ticket_nullifier(k: int, n: int, service_id: int) -> int:
    """nullifier_n = H(TAG_NULL, H(TAG_SLOPE, k, n, service_id))."""
    return nullifier(slope(k, n, service_id))


def next_state(
    k: int, note_id: int, service: ServiceParams, state: NoteState, reply: PaymentResponse
) -> NoteState:
    """The signed state after ticket `state.n`, or `InvalidReplyError` naming the mismatch."""
    sid = service.service_id
    if reply.nullifier != ticket_nullifier(k, state.n, sid):
        raise InvalidReplyError(
            f"reply is for nullifier {reply.nullifier}, not ticket {state.n}", field="nullifier"
        )
    if reply.cost > service.c_max:
        raise InvalidReplyError(f"cost {reply.cost} exceeds c_max {service.c_max}", field="cost")
    if reply.p not in (0, service.penalty_max):
        raise InvalidReplyError(f"penalty {reply.p} is neither 0 nor penalty_max", field="p")
    if reply.p == 0 and reply.evidence_hash != ZERO_HASH:
        raise InvalidReplyError("evidence_hash must be zero when p = 0", field="evidence_hash")
    try:
        opening = next_opening(state.opening(note_id), eta(k, state.n, sid), reply.cost, reply.p)
    except CryptoError as exc:
        raise InvalidReplyError(f"next state out of range: {exc}", field=exc.field) from exc
    expected = commit(opening)
    if expected != reply.E_new:
        raise InvalidReplyError(
            f"E_new does not commit to the wallet's next opening for ticket {state.n}",
            field="E_new",
        )
    if not verify_state(service.server_pk, sid, reply.E_new, reply.sigma_new):
        raise InvalidReplyError(
            "sigma_new is not a valid signature by server_pk", field="sigma_new"
        )
    return NoteState(
        n=opening.n, C=opening.C, P=opening.P, rho=opening.rho, E=expected, sigma=reply.sigma_new
    )
