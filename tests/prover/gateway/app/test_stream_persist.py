"""A streamed call is persisted even when nobody reads the stream (the client went away)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from gateway_harness import CHAT, Payments
from gateway_world import SCHEDULE, SERVER_SK, SERVICE, FixedUpstream, NoPenalty

from prover.gateway.app.body_cache import BodyCache
from prover.gateway.app.checks import ReceivedRequest
from prover.gateway.app.serve import CallServer, PaidCall
from prover.gateway.app.signer import StateSigner
from prover.gateway.store import SqliteNullifierStore, Status

pytestmark = pytest.mark.slow


def test_an_unread_stream_is_still_priced_signed_and_stored(
    payments: Payments, tmp_path: Path
) -> None:
    paid = payments.stream
    p = paid.payment.payload
    route = SCHEDULE.route_for("POST", CHAT)
    assert route is not None
    with SqliteNullifierStore(tmp_path / "s.db") as store:
        store.reserve(*paid.reserve_args())
        server = CallServer(
            schedule=SCHEDULE,
            penalty_max=25,
            upstream=FixedUpstream(),
            policy=NoPenalty(),
            store=store,
            signer=StateSigner(SERVER_SK, SERVICE.service_id),
            cache=BodyCache(60, 1 << 20),
        )
        call = PaidCall(
            ReceivedRequest("POST", CHAT, paid.body, "application/json"),
            route,
            p.nullifier,
            p.x,
            p.e_anon,
        )

        async def abandon() -> None:
            await server.serve(call)  # a StreamingResponse nobody iterates
            assert p.nullifier in server.in_flight
            while server._tasks:  # the relay task finishes on its own
                await asyncio.sleep(0.01)

        asyncio.run(abandon())
        record = store.get_record(p.nullifier)
        assert record is not None and record.status is Status.SERVED
        assert record.reply is not None and record.reply.cost == "14"
        assert p.nullifier not in server.in_flight
