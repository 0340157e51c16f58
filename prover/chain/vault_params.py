"""`VaultParams` of the CreditVault constructor (PROTOCOL §3), checked before deploying.

Amounts (`c_max`, `penalty_max`, `reserve`, `min_deposit`) are accounting units, `unit` token base
units each; the Merkle leaf and the circuits use the same units.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from prover.chain import param_bounds as bounds
from prover.chain.errors import VaultParamsError
from prover.crypto.babyjub import Point, in_subgroup
from prover.crypto.errors import NotOnCurveError

U64: Final[int] = 1 << 64
DAY: Final[int] = bounds.DAY
MIN_EXIT_DELAY: Final[int] = bounds.MIN_EXIT_DELAY
MIN_EXIT_GRACE_DAYS: Final[int] = bounds.MIN_EXIT_GRACE_DAYS

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]
Bytes32 = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")]
U64Int = Annotated[int, Field(ge=0, lt=U64)]


class VaultParams(BaseModel):
    """Mirror of the Solidity `VaultParams` struct, field for field, with the same checks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: Annotated[int, Field(gt=0, lt=1 << 256)]
    c_max: U64Int
    penalty_max: U64Int
    reserve: U64Int
    min_deposit: U64Int
    note_ttl_days: bounds.NoteTtlDays
    exit_grace_days: bounds.ExitGraceDays
    exit_delay: bounds.ExitDelay
    root_epoch: bounds.RootEpoch
    root_ttl: bounds.RootTtl
    server_pk_x: Annotated[int, Field(ge=0)]
    server_pk_y: Annotated[int, Field(ge=0)]
    price_schedule_hash: Bytes32
    treasury: Address
    withdraw_verifier: Address
    slash_verifier: Address
    withdraw_vk_hash: Bytes32
    slash_vk_hash: Bytes32
    max_depth: bounds.MaxDepth = bounds.MAX_DEPTH

    @model_validator(mode="after")
    def _protocol_rules(self) -> VaultParams:
        if self.c_max == 0:
            raise VaultParamsError("c_max must be positive")
        if self.reserve < self.penalty_max:
            raise VaultParamsError(f"reserve {self.reserve} < penalty_max {self.penalty_max}")
        if self.min_deposit < self.c_max + self.reserve:
            raise VaultParamsError(
                f"min_deposit {self.min_deposit} < c_max + reserve {self.c_max + self.reserve}"
            )
        if (problem := bounds.root_ttl_problem(self.root_epoch, self.root_ttl)) is not None:
            raise VaultParamsError(problem)
        try:
            pk = Point(self.server_pk_x, self.server_pk_y)
        except (NotOnCurveError, ValueError) as exc:
            raise VaultParamsError(f"server_pk is not on Baby Jubjub: {exc}") from exc
        if pk.is_identity or not in_subgroup(pk):
            raise VaultParamsError("server_pk is not of order l")
        return self

    def as_tuple(self) -> tuple[object, ...]:
        """The Solidity struct as an ABI tuple (field order of `VaultParams`)."""
        return (
            self.unit,
            self.c_max,
            self.penalty_max,
            self.reserve,
            self.min_deposit,
            self.note_ttl_days,
            self.exit_grace_days,
            self.exit_delay,
            self.root_epoch,
            self.root_ttl,
            self.server_pk_x,
            self.server_pk_y,
            bytes.fromhex(self.price_schedule_hash[2:]),
            self.treasury,
            self.withdraw_verifier,
            self.slash_verifier,
            bytes.fromhex(self.withdraw_vk_hash[2:]),
            bytes.fromhex(self.slash_vk_hash[2:]),
            self.max_depth,
        )

    @classmethod
    def from_tuple(cls, values: tuple[object, ...] | list[object]) -> VaultParams:
        """Parse what `params()` returns on chain."""
        v = list(values)

        def b32(x: object) -> str:
            if not isinstance(x, bytes | bytearray):
                raise VaultParamsError(f"expected bytes32, got {x!r}")
            return "0x" + bytes(x).hex()

        return cls(
            unit=v[0],
            c_max=v[1],
            penalty_max=v[2],
            reserve=v[3],
            min_deposit=v[4],
            note_ttl_days=v[5],
            exit_grace_days=v[6],
            exit_delay=v[7],
            root_epoch=v[8],
            root_ttl=v[9],
            server_pk_x=v[10],
            server_pk_y=v[11],
            price_schedule_hash=b32(v[12]),
            treasury=str(v[13]),
            withdraw_verifier=str(v[14]),
            slash_verifier=str(v[15]),
            withdraw_vk_hash=b32(v[16]),
            slash_vk_hash=b32(v[17]),
            max_depth=v[18],
        )
