"""The signer of next states (§6 step 5): `E_new = E_anon + G_n + cost·G_C + p·G_P`, signed."""

from __future__ import annotations

from prover.crypto.babyjub import Point
from prover.crypto.commitment import next_commitment, sign_state
from prover.crypto.eddsa import public_key, require_secret_key
from prover.crypto.generators import precompute_tables
from prover.gateway.ports import PolicyDecision
from prover.gateway.store import StoredReply
from prover.wire.response import PaymentResponse


class StateSigner:
    """Holds the server's state-signing key (D4) for one service."""

    def __init__(self, server_secret: int, service_id: int) -> None:
        self._secret = require_secret_key(server_secret)
        self.public_key: Point = public_key(self._secret)
        self.service_id = service_id
        # Build the fixed-base tables (Base8, the generators) now, not on the first paid call.
        precompute_tables()

    def next_state(self, e_anon: Point, cost: int, decision: PolicyDecision) -> StoredReply:
        e_new = next_commitment(e_anon, cost, decision.penalty)
        sig = sign_state(self._secret, self.service_id, e_new, self.public_key)
        return StoredReply(
            cost=str(cost),
            p=str(decision.penalty),
            evidence_hash=str(int.from_bytes(decision.evidence_hash, "big")),
            E_new=(str(e_new.x), str(e_new.y)),
            sigma_new={"R8": (str(sig.R8.x), str(sig.R8.y)), "S": str(sig.S)},
        )


def to_payment_response(nullifier: int, reply: StoredReply) -> PaymentResponse:
    """The wire form (`PAYMENT-RESPONSE`, `GET /state`) of a stored reply."""
    return PaymentResponse(
        nullifier=nullifier,
        cost=int(reply.cost),
        p=int(reply.p),
        evidence_hash=reply.evidence_hash_bytes,
        E_new=[reply.E_new[0], reply.E_new[1]],
        sigma_new={"R8": list(reply.sigma_new.R8), "S": reply.sigma_new.S},
    )
