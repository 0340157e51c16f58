"""What the vault tests share besides fixtures: units, default parameters, revert checks.

- `DAY`, `GWEI`, `D`: a day in seconds, the default unit (1 gwei), the default deposit in units
  (the minimum deposit of `vault_params()`).
- `vault_params(**values)`: the default `VaultParams` with `values` on top (the fields with no
  default, such as the server key, treasury and verifiers, must be given).
- `reverts_with("ErrorName")`: context manager asserting the exact custom error; the decoded
  arguments are on the object it yields, for assertions after the block.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from prover.chain.errors import ContractRevertError
from prover.chain.vault_params import VaultParams

DAY = 86400
GWEI = 10**9
D = 10_000

DEFAULT_PARAMS: dict[str, Any] = {
    "unit": GWEI,
    "c_max": 1_000,
    "penalty_max": 5_000,
    "reserve": 5_000,
    "min_deposit": D,
    "note_ttl_days": 30,
    "exit_grace_days": 2,
    "exit_delay": 2 * DAY,
    "root_epoch": 600,
    "root_ttl": 3600,
    "price_schedule_hash": "0x" + "11" * 32,
    "max_depth": 20,
}


def vault_params(**values: Any) -> VaultParams:
    """Unit 1 gwei, c_max 1000, penalty 5000, reserve 5000, min deposit D units, then `values`."""
    return VaultParams(**{**DEFAULT_PARAMS, **values})


class RevertExpectation:
    """Filled by `reverts_with`: the decoded error, for assertions on its arguments."""

    def __init__(self) -> None:
        self.args: tuple[object, ...] = ()


@contextmanager
def reverts_with(name: str) -> Iterator[RevertExpectation]:
    """`with reverts_with("NoteNotActive") as err: ...` asserts the exact custom error."""
    expectation = RevertExpectation()
    with pytest.raises(ContractRevertError) as info:
        yield expectation
    assert info.value.name == name, f"expected {name}, got {info.value}"
    expectation.args = info.value.args_
