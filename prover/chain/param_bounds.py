"""Bounds of the vault parameters (PROTOCOL §3), the Python twin of `CreditVault._checkParams`.

One table for every model that carries a vault parameter (`VaultParams`, the deploy config, the
registration file, the client's pin, the gateway's settings): each applies the same limits the
constructor enforces, so a bad value is refused, naming the field, before anything is sent.
`tests/contracts/test_vault_constructor.py` checks each limit on both sides of the boundary.

- `note_ttl_days ≤ 3650`: `today + note_ttl_days` then fits the stored uint32 expiry until the
  year ~11 million (the contract also refuses, rather than truncates, a value that would not fit).
- `exit_delay ≤ 365 days`, `exit_grace_days ≤ 365`: `now + exit_delay` fits the stored uint64
  `readyAt` (never wraps into a window already over); a longer wait only locks users' money.
- `root_epoch ≤ 1 day`; `root_epoch + 5 min ≤ root_ttl ≤ 30 days` on chain. The chain's finality
  lag is added off chain (`prover.chain.root_window`): the contract cannot know it.
- `max_depth` equals the request circuit's `MAX_DEPTH` (circuits/instances.json).
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import AfterValidator, Field, ValidationInfo

from prover.chain.circuit_params import request_max_depth

DAY: Final[int] = 86400
MIN_NOTE_TTL_DAYS: Final[int] = 1
MAX_NOTE_TTL_DAYS: Final[int] = 3650
MIN_EXIT_GRACE_DAYS: Final[int] = 2
MAX_EXIT_GRACE_DAYS: Final[int] = 365
MIN_EXIT_DELAY: Final[int] = 2 * DAY
MAX_EXIT_DELAY: Final[int] = 365 * DAY
MAX_ROOT_EPOCH: Final[int] = DAY
MIN_ROOT_TTL_MARGIN: Final[int] = 300
MAX_ROOT_TTL: Final[int] = 30 * DAY
MAX_DEPTH: Final[int] = request_max_depth()


def root_ttl_problem(root_epoch: int, root_ttl: int) -> str | None:
    """Why `root_ttl` breaks the on-chain rule for this `root_epoch` (None if it does not)."""
    minimum = root_epoch + MIN_ROOT_TTL_MARGIN
    if root_ttl < minimum:
        return f"root_ttl {root_ttl} < root_epoch + {MIN_ROOT_TTL_MARGIN} s = {minimum}"
    return None


def max_depth_problem(max_depth: int) -> str | None:
    """Why `max_depth` is refused (None if it is the circuit's depth)."""
    if max_depth != MAX_DEPTH:
        return f"max_depth {max_depth} is not the request circuit's MAX_DEPTH {MAX_DEPTH}"
    return None


def _max_depth(value: int) -> int:
    if (problem := max_depth_problem(value)) is not None:
        raise ValueError(problem)
    return value


def check_root_ttl(value: int, info: ValidationInfo) -> int:
    """Body of a `field_validator("root_ttl")` (the model declares `root_epoch` before it)."""
    epoch = info.data.get("root_epoch")
    if epoch is not None and (problem := root_ttl_problem(int(epoch), int(value))) is not None:
        raise ValueError(problem)
    return value


NoteTtlDays = Annotated[int, Field(ge=MIN_NOTE_TTL_DAYS, le=MAX_NOTE_TTL_DAYS)]
ExitGraceDays = Annotated[int, Field(ge=MIN_EXIT_GRACE_DAYS, le=MAX_EXIT_GRACE_DAYS)]
ExitDelay = Annotated[int, Field(ge=MIN_EXIT_DELAY, le=MAX_EXIT_DELAY)]
RootEpoch = Annotated[int, Field(gt=0, le=MAX_ROOT_EPOCH)]
RootTtl = Annotated[int, Field(gt=0, le=MAX_ROOT_TTL)]
MaxDepth = Annotated[int, AfterValidator(_max_depth)]
"""Each vault parameter's bounds as a pydantic type; `root_ttl` also needs `check_root_ttl`."""
