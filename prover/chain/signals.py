"""Named accessors for the public signals of `withdraw` and `slash` (decision D6 order).

Mirrors `contracts/libraries/WithdrawSignals.sol` / `SlashSignals.sol`: nobody indexes signals
by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict
from web3 import Web3

from prover.chain.errors import ChainError

P = 21888242871839275222246405745257275088548364400416034343698204186575808495617


def _canonical(values: Sequence[int], count: int, circuit: str) -> list[int]:
    if len(values) != count:
        raise ChainError(f"{circuit} has {count} public signals, got {len(values)}")
    out = []
    for i, v in enumerate(values):
        if type(v) is not int or not 0 <= v < P:
            raise ChainError(f"{circuit} public_signals[{i}] is not canonical: {v!r}")
        out.append(v)
    return out


class WithdrawSignals(BaseModel):
    """`ID, charged, penalties, nullifier_t, y_w, service_id, c_max, penalty_max, server_pk.x,
    server_pk.y, D, recipient, pending`."""

    model_config = ConfigDict(frozen=True)

    id: int
    charged: int
    penalties: int
    nullifier_t: int
    y_w: int
    service_id: int
    c_max: int
    penalty_max: int
    server_pk_x: int
    server_pk_y: int
    deposit: int
    recipient: int
    pending: int

    @classmethod
    def from_list(cls, values: Sequence[int]) -> WithdrawSignals:
        names = list(cls.model_fields)
        return cls(**dict(zip(names, _canonical(values, len(names), "withdraw"), strict=True)))

    def to_list(self) -> list[int]:
        return [int(getattr(self, name)) for name in type(self).model_fields]

    @property
    def recipient_address(self) -> str:
        if self.recipient >= 1 << 160:
            raise ChainError(f"recipient signal is not a 160-bit address: {self.recipient}")
        return Web3.to_checksum_address(self.recipient.to_bytes(20, "big"))


class SlashSignals(BaseModel):
    """`ID, service_id`."""

    model_config = ConfigDict(frozen=True)

    id: int
    service_id: int

    @classmethod
    def from_list(cls, values: Sequence[int]) -> SlashSignals:
        v = _canonical(values, 2, "slash")
        return cls(id=v[0], service_id=v[1])

    def to_list(self) -> list[int]:
        return [self.id, self.service_id]
