"""`PAYMENT-RESPONSE`: the signed next state of a served ticket (also `GET /state/{nullifier}`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from prover.wire.fields import Amount, FieldElement, Hash32
from prover.wire.points import WirePoint, WireSignature


class PaymentResponse(BaseModel):
    """`{nullifier, cost, p, evidence_hash, E_new, sigma_new}` (PROTOCOL §9).

    `evidence_hash` is 32 zero bytes when `p == 0`. The client recomputes `E_new` from its own
    opening and checks `sigma_new` before committing the new state.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    nullifier: FieldElement
    cost: Amount
    p: Amount
    evidence_hash: Hash32
    E_new: WirePoint  # the protocol's name
    sigma_new: WireSignature
