"""The price of a forwarded call: 0 when the upstream failed (§6 step 5), else the schedule's."""

from __future__ import annotations

from prover.gateway.ports import ForwardReply, ForwardStream
from prover.pricing.schedule import PriceRoute, PriceSchedule


def reply_cost(
    schedule: PriceSchedule, route: PriceRoute, reply: ForwardReply | ForwardStream
) -> int:
    """Use this, not `schedule.cost(route, reply.usage)`: a failed call costs 0 even on a route
    with a flat price (`cost(route, Usage())` is the flat price rounded up, not 0)."""
    if reply.failed:
        return 0
    return schedule.cost(route, reply.usage)
