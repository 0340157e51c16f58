"""Is there always a usable root? `root_ttl` against `root_epoch` and the chain's finality lag.

A client proves against the newest checkpoint of its finalized view, and the gateway accepts a
checkpoint of epoch `e` while `e·root_epoch + root_ttl ≥ now` (PROTOCOL §11). The finalized view
trails the head by the finality lag, so its newest checkpoint is up to `root_epoch + lag` old when
it is made; with `root_ttl` below that, some epochs (or all time) have no usable root. Hence

    root_ttl ≥ root_epoch + lag + margin,   margin = max(5 minutes, lag)

(the margin covers the time a proof travels, clock skew, and the lag's own variation). The vault
cannot know the lag and enforces `root_ttl ≥ root_epoch + 5 minutes` (a lag of 0: a local chain);
the deploy command adds the chain's lag (given in the config, or measured from the RPC's
`finalized` block), and clients check it again at discovery with the lag they measure.
"""

from __future__ import annotations

from typing import Final

from web3 import Web3
from web3.exceptions import Web3Exception

from prover.chain.errors import FinalityLagError
from prover.chain.local_chains import LOCAL_CHAIN_IDS
from prover.chain.param_bounds import MIN_ROOT_TTL_MARGIN

MAX_MEASURED_LAG: Final[int] = 86400
"""A finalized block more than a day behind is an outage, not a lag: refused, not used."""


def required_root_ttl(root_epoch: int, lag: int) -> int:
    """The smallest `root_ttl` that always leaves a usable root at this finality lag."""
    return root_epoch + lag + max(MIN_ROOT_TTL_MARGIN, lag)


def root_window_problem(root_epoch: int, root_ttl: int, lag: int) -> str | None:
    """Why no root may be usable at some time (None if one always is)."""
    need = required_root_ttl(root_epoch, lag)
    if root_ttl < need:
        return (
            f"root_ttl {root_ttl} s < root_epoch {root_epoch} + finality lag {lag} + margin "
            f"{max(MIN_ROOT_TTL_MARGIN, lag)} = {need} s: some epochs would have no usable root"
        )
    return None


def _timestamp(w3: Web3, block: int | str) -> int:
    return int(w3.eth.get_block(block)["timestamp"])  # type: ignore[arg-type]


def finality_lag(w3: Web3, *, confirmations: int | None = None) -> int:
    """Seconds the chain's final view trails its head, measured now.

    0 on a local chain (31337, 1337: every block is final). Elsewhere the RPC's `finalized`
    block; when the RPC has none, the block `confirmations` below the head (a client's policy).
    """
    try:
        if w3.eth.chain_id in LOCAL_CHAIN_IDS:
            return 0
        head = w3.eth.get_block("latest")
        try:
            final = _timestamp(w3, "finalized")
        except (Web3Exception, ValueError) as exc:
            if confirmations is None:
                raise FinalityLagError(
                    f"the RPC has no `finalized` block ({exc}): give finality_lag_seconds"
                ) from exc
            final = _timestamp(w3, max(int(head["number"]) - confirmations, 0))
    except (Web3Exception, ValueError, OSError) as exc:
        raise FinalityLagError(f"cannot measure the chain's finality lag: {exc}") from exc
    lag = max(int(head["timestamp"]) - final, 0)
    if lag > MAX_MEASURED_LAG:
        raise FinalityLagError(f"the finalized block is {lag} s behind the head (over a day)")
    return lag
