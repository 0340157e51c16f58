"""State commitment of §5 / D3: opening, commit, rerandomisation and the per-call update."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from prover.crypto.babyjub import L, Point, fixed_base_sum
from prover.crypto.eddsa import Signature, sign, verify
from prover.crypto.field import require_canonical, require_range
from prover.crypto.generators import G_C, G_H, G_ID, G_N, G_P
from prover.crypto.poseidon import poseidon
from prover.crypto.tags import TAG_ETA, TAG_STATE

TICKET_BOUND: Final[int] = 1 << 32
"""Ticket counters n satisfy n < 2^32."""
AMOUNT_BOUND: Final[int] = 1 << 64
"""Amounts C, P, D, cost, penalty satisfy v < 2^64."""
GENESIS_INDEX: Final[int] = 1 << 32
"""Ticket index used for the genesis blinding ρ0 (outside the ticket range)."""


@dataclass(frozen=True, slots=True)
class Opening:
    """Opening (n, C, P, ID, ρ) of a state commitment; every field range-checked (D3)."""

    n: int
    C: int
    P: int
    ID: int
    rho: int

    def __post_init__(self) -> None:
        require_range(self.n, TICKET_BOUND, "n")
        require_range(self.C, AMOUNT_BOUND, "C")
        require_range(self.P, AMOUNT_BOUND, "P")
        require_canonical(self.ID, "ID")
        require_range(self.rho, L, "rho")

    @property
    def is_genesis(self) -> bool:
        return self.n == 0 and self.C == 0 and self.P == 0

    def to_wire(self) -> dict[str, str]:
        return {k: str(getattr(self, k)) for k in ("n", "C", "P", "ID", "rho")}


def commit(opening: Opening) -> Point:
    """E = n·G_n + C·G_C + P·G_P + ID·G_ID + ρ·G_H."""
    o = opening
    return fixed_base_sum([(G_N, o.n), (G_C, o.C), (G_P, o.P), (G_ID, o.ID), (G_H, o.rho)])


def eta(k: int, i: int, service_id: int) -> int:
    """η_i = H(TAG_ETA, k, i, service_id) mod L (the rerandomiser of ticket i)."""
    require_canonical(k, "k")
    require_range(i, TICKET_BOUND + 1, "i")
    return poseidon(TAG_ETA, k, i, require_canonical(service_id, "service_id")) % L


def rho0(k: int, service_id: int) -> int:
    """Genesis blinding ρ0 = H(TAG_ETA, k, 2^32, service_id) mod L."""
    return eta(k, GENESIS_INDEX, service_id)


def genesis_opening(k: int, note_id: int, service_id: int) -> Opening:
    """The genesis opening (0, 0, 0, ID, ρ0) of a note."""
    return Opening(n=0, C=0, P=0, ID=note_id, rho=rho0(k, service_id))


def rerandomise(e: Point, eta_i: int) -> Point:
    """E_anon = E + η·G_H."""
    require_range(eta_i, L, "eta")
    return fixed_base_sum([(G_H, eta_i)], extra=[e])


def next_commitment(e_anon: Point, cost: int, penalty: int) -> Point:
    """E_new = E_anon + G_n + cost·G_C + p·G_P (the gateway's per-call update)."""
    require_range(cost, AMOUNT_BOUND, "cost")
    require_range(penalty, AMOUNT_BOUND, "penalty")
    return fixed_base_sum([(G_C, cost), (G_P, penalty)], extra=[e_anon, G_N])


def next_opening(opening: Opening, eta_i: int, cost: int, penalty: int) -> Opening:
    """Client-side update: (n+1, C+cost, P+p, ID, (ρ+η) mod L); raises if a range overflows."""
    require_range(eta_i, L, "eta")
    require_range(cost, AMOUNT_BOUND, "cost")
    require_range(penalty, AMOUNT_BOUND, "penalty")
    return Opening(
        n=opening.n + 1,
        C=opening.C + cost,
        P=opening.P + penalty,
        ID=opening.ID,
        rho=(opening.rho + eta_i) % L,
    )


def state_message(service_id: int, e: Point) -> int:
    """msg = H(TAG_STATE, service_id, E.x, E.y): what the server signs for a state."""
    return poseidon(TAG_STATE, require_canonical(service_id, "service_id"), e.x, e.y)


def sign_state(secret_key: int, service_id: int, e: Point, pk: Point | None = None) -> Signature:
    """The gateway's signature σ over state commitment `e`."""
    return sign(secret_key, state_message(service_id, e), pk)


def verify_state(server_pk: Point, service_id: int, e: Point, sig: Signature) -> bool:
    """The client's check of σ over `e` (circuit rules, see `eddsa.verify`)."""
    return verify(server_pk, state_message(service_id, e), sig)
