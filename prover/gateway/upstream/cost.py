"""The charge of a forwarded call, by who caused what (`docs/failure-costs.md`, §6 step 5).

- the provider's failure (`failed`: unreachable, timeout, 5xx, its key or quota refused): 0;
- a reply over the size limit the caller asked for (`over_limit`): the request's worst case (the
  work may all have been done, and could not be measured: the most the caller agreed to pay);
- otherwise the schedule's price of the reported usage, each count clamped to its pre-flight
  bound, never above the worst case (and so never above `c_max`).
"""

from __future__ import annotations

from prover.gateway.ports import ForwardReply, ForwardStream
from prover.pricing.preflight import Bound
from prover.pricing.schedule import PriceSchedule


def reply_cost(schedule: PriceSchedule, bound: Bound, reply: ForwardReply | ForwardStream) -> int:
    """Use this, not `schedule.cost(...)`: a failed call costs 0 even on a route with a flat
    price, and an over-limit reply costs its worst case."""
    if reply.failed:
        return 0
    if reply.over_limit:
        return schedule.quantise(bound.worst_raw)
    return bound.charge(schedule, reply.usage)
