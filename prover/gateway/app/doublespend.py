"""§6 step 3, the double-spend branch: recover `k` from the two shares and hand it on.

The slasher (chain side) implements `DoubleSpendSink`; the gateway only recovers the secret,
checks it belongs to a deposited note and refuses the call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prover.crypto.errors import CryptoError
from prover.crypto.rln import note_id, recover_secret
from prover.gateway.ports import ChainView
from prover.gateway.store import DoubleSpend, Kind
from prover.logs import get_logger

log = get_logger("zkcredits.gateway")


@dataclass(frozen=True)
class DoubleSpendEvidence:
    """Two shares on one RLN line; `k` recovered from them and whether its note is deposited."""

    nullifier: int
    first_kind: Kind
    first_share: tuple[int, int]
    second_share: tuple[int, int]
    k: int
    note_id: int
    deposited: bool


DoubleSpendSink = Callable[[DoubleSpendEvidence], None]
"""Called (in a worker thread) for every double-spend with a recoverable secret."""


def ignore_double_spends(evidence: DoubleSpendEvidence) -> None:
    log.warning("double_spend_ignored", nullifier=evidence.nullifier, reason="no slasher wired")


def evidence_for(
    outcome: DoubleSpend, nullifier: int, x: int, y: int, chain: ChainView
) -> DoubleSpendEvidence | None:
    """Recover `k = (y1·x2 − y2·x1)/(x2 − x1)`; None for a deny-listed ticket (k already known)."""
    first = outcome.share
    if first is None:
        return None
    try:
        k = recover_secret(first[0], first[1], x, y)
    except CryptoError:
        return None
    nid = note_id(k)
    return DoubleSpendEvidence(
        nullifier=nullifier,
        first_kind=outcome.first_kind,
        first_share=first,
        second_share=(x, y),
        k=k,
        note_id=nid,
        deposited=chain.is_deposited_id(nid),
    )
