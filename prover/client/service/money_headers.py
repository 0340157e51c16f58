"""The money a proxied reply carries: its cost and what is left (one small function per form).

Plain replies get headers; a streamed reply's cost is known only once its payment is committed,
after its headers went out, so it comes in a server-sent-event comment just before
`data: [DONE]` (clients ignore comment lines). Amounts are in the vault's unit.

- `X-Zkcredits-Cost`: what this call was charged (0 for an unsold, unpaid route).
- `X-Zkcredits-Penalty`: only when a penalty was charged.
- `X-Zkcredits-Balance`: what the next calls can spend (`prover.client.balance`).
- `X-Zkcredits-Calls-Left`: calls certain to fit at the worst-case price.
"""

from __future__ import annotations

from prover.client.balance import BalanceReport

COST = "X-Zkcredits-Cost"
PENALTY = "X-Zkcredits-Penalty"
BALANCE = "X-Zkcredits-Balance"
CALLS_LEFT = "X-Zkcredits-Calls-Left"


def money_headers(
    cost: int | None, report: BalanceReport | None, penalty: int = 0
) -> dict[str, str]:
    """Headers for a reply: the call's cost (when known) and the balance left (when known)."""
    headers: dict[str, str] = {}
    if cost is not None:
        headers[COST] = str(cost)
    if penalty:
        headers[PENALTY] = str(penalty)
    if report is not None:
        headers[BALANCE] = str(report.spendable)
        headers[CALLS_LEFT] = str(report.calls_left)
    return headers


def money_comment(cost: int | None, report: BalanceReport | None, penalty: int = 0) -> bytes:
    """The same values as one SSE comment event (`: x-zkcredits-cost=… …`)."""
    pairs = " ".join(f"{k.lower()}={v}" for k, v in money_headers(cost, report, penalty).items())
    return f": {pairs}\n\n".encode() if pairs else b""
