"""The payer against the real gateway, real proofs, real chain (see conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest

from prover.client.errors import (
    GatewayUnreachableError,
    NoPayableNoteError,
    PenaltyChargedError,
    RequestRefusedError,
    TermsMismatchError,
)
from prover.client.payer.sse import PAYMENT_EVENT
from prover.client.wallet import NoteStatus
from prover.gateway.embedded import CHAT_MODEL, EMBED_MODEL

from .conftest import World  # type: ignore[import-not-found]

pytestmark = pytest.mark.slow
CHAT = "/v1/chat/completions"


def chat(content: str, **extra: object) -> bytes:
    body = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": content}], **extra}
    return json.dumps(body).encode()


def test_a_paid_chat_call_commits_the_signed_state_at_a_schedule_cost(world: World) -> None:
    wallet, [note] = world.new_wallet("plain", [20_000])
    payer = world.payer(wallet, "plain")
    reply = asyncio.run(
        payer.call("POST", CHAT, chat("hello there", max_tokens=16), "application/json")
    )
    assert reply.status == 200
    assert json.loads(reply.body)["object"] == "chat.completion"
    after = wallet.note(note.id)
    assert reply.cost is not None and world.pin.price_schedule.is_valid_cost(reply.cost)
    assert reply.cost > 0
    assert after.state.n == 1 and reply.cost == after.state.C and after.state.P == 0
    assert after.in_flight is None and after.state.sigma is not None
    assert wallet.balance(note.id) == 20_000 - reply.cost - world.pin.service.reserve


def test_an_over_cap_chat_request_is_refused_before_any_ticket_is_bound(world: World) -> None:
    wallet, [note] = world.new_wallet("overcap", [10_000])
    payer = world.payer(wallet, "overcap")
    cap = world.pin.price_schedule.routes[0].models[CHAT_MODEL].max_output_tokens
    with pytest.raises(RequestRefusedError) as info:
        asyncio.run(payer.call("POST", CHAT, chat("hi", max_tokens=cap + 1), "application/json"))
    assert info.value.field == "max_tokens"
    assert wallet.note(note.id).in_flight is None and wallet.note(note.id).state.n == 0


def test_a_streamed_call_relays_events_and_takes_the_payment_from_the_last_event(
    world: World,
) -> None:
    wallet, [note] = world.new_wallet("stream", [10_000])
    payer = world.payer(wallet, "stream")

    async def go() -> list[bytes]:
        streamed = await payer.call_stream(
            "POST", CHAT, chat("stream me", max_tokens=8, stream=True), "application/json"
        )
        assert streamed.content_type.startswith("text/event-stream")
        return [event async for event in streamed.events]

    events = asyncio.run(go())
    assert events[-1].strip() == b"data: [DONE]"
    assert not any(PAYMENT_EVENT.encode() in e for e in events)
    assert any(b"chat.completion.chunk" in e for e in events)
    after = wallet.note(note.id)
    assert after.state.n == 1 and after.in_flight is None
    assert world.pin.price_schedule.is_valid_cost(after.state.C)


def test_a_paid_embeddings_call_works(world: World) -> None:
    wallet, [note] = world.new_wallet("embed", [10_000])
    payer = world.payer(wallet, "embed")
    body = json.dumps({"model": EMBED_MODEL, "input": "vectors please"}).encode()
    reply = asyncio.run(payer.call("POST", "/v1/embeddings", body, "application/json"))
    assert reply.status == 200 and json.loads(reply.body)["object"] == "list"
    assert wallet.note(note.id).state.n == 1


def test_a_penalty_halts_the_note_and_surfaces_the_evidence_hash(world: World) -> None:
    wallet, [note] = world.new_wallet("penalty", [20_000])
    payer = world.payer(wallet, "penalty")
    with pytest.raises(PenaltyChargedError) as info:
        asyncio.run(
            payer.call("POST", CHAT, chat("ZKC-FORBIDDEN-DEMO", max_tokens=4), "application/json")
        )
    assert info.value.evidence_hash != bytes(32)
    assert "0x" + info.value.evidence_hash.hex() in str(info.value)
    after = wallet.note(note.id)
    assert after.status is NoteStatus.HALTED
    assert world.pin.service.penalty_max == after.state.P
    assert after.evidence_hash == info.value.evidence_hash


def test_terms_that_differ_from_the_pinned_vault_are_refused_before_any_note_is_used(
    world: World,
) -> None:
    wallet, [note] = world.new_wallet("terms", [10_000])
    payer = world.payer(wallet, "terms")
    schedule = world.pin.price_schedule.model_copy(update={"quantum": 5})
    payer.pin = world.pin.model_copy(update={"price_schedule": schedule})
    with pytest.raises(TermsMismatchError) as info:
        asyncio.run(payer.call("POST", CHAT, chat("hi", max_tokens=4), "application/json"))
    assert info.value.field == "extra.price_schedule_hash"
    assert wallet.note(note.id).in_flight is None


def test_a_lost_reply_is_settled_by_resending_the_same_request_and_charged_once(
    world: World,
) -> None:
    wallet, [note] = world.new_wallet("lost", [10_000])
    payer = world.payer(wallet, "lost")
    body = chat("the reply of this one gets lost", max_tokens=8)

    async def send_and_lose() -> None:
        with contextlib.ExitStack() as stack:
            leased, today = await payer._lease(stack)
            attempt = await payer._attempt(leased, "POST", CHAT, body, today)
            await payer.send(attempt, "POST", CHAT, body, "application/json")  # reply dropped

    asyncio.run(send_and_lose())
    bound = wallet.in_flight(note.id)
    assert bound is not None and bound.request is not None and bound.request.body == body
    settled = asyncio.run(payer.settle_pending())
    assert settled == [note.id]
    after = wallet.note(note.id)
    assert after.in_flight is None and after.state.n == 1
    assert after.last_reply is not None and after.last_reply.nullifier == bound.nullifier
    # a second settle finds nothing to do: the ticket was charged once
    assert asyncio.run(payer.settle_pending()) == []


def test_a_gateway_refusing_connections_leaves_the_ticket_free_for_the_next_call(
    world: World,
) -> None:
    """Connection refused: nothing left the machine, so the request is released (journalled)
    and the next call pays with the same ticket, key and share; nothing is left in flight."""
    wallet, [note] = world.new_wallet("unreachable", [10_000])
    payer = world.payer(wallet, "unreachable", retries=1)
    asyncio.run(payer.ensure_terms())
    payer.pin = payer.pin.model_copy(update={"gateway_url": "http://127.0.0.1:9/"})
    with pytest.raises(GatewayUnreachableError, match="nothing was sent"):
        asyncio.run(
            payer.call("POST", CHAT, chat("nobody listens", max_tokens=4), "application/json")
        )
    ticket = wallet.note(note.id).ticket
    assert ticket is not None and ticket.request is None and not ticket.shown
    payer.pin = world.pin
    reply = asyncio.run(payer.call("POST", CHAT, chat("now", max_tokens=4), "application/json"))
    assert reply.status == 200
    after = wallet.note(note.id)
    assert after.state.n == 1 and after.last_reply is not None
    assert after.last_reply.nullifier == ticket.nullifier


def test_two_concurrent_calls_use_two_different_notes(world: World) -> None:
    wallet, notes = world.new_wallet("concurrent", [10_000, 10_000])
    payer = world.payer(wallet, "concurrent")

    async def both() -> list[int | None]:
        replies = await asyncio.gather(
            payer.call("POST", CHAT, chat("one", max_tokens=4), "application/json"),
            payer.call("POST", CHAT, chat("two", max_tokens=4), "application/json"),
        )
        return [r.note_id for r in replies]

    used = asyncio.run(both())
    assert sorted(used) == sorted(n.id for n in notes)  # type: ignore[type-var]
    assert all(wallet.note(n.id).state.n == 1 for n in notes)


def test_a_body_with_odd_bytes_is_paid_for_exactly_as_sent(world: World) -> None:
    wallet, [note] = world.new_wallet("hash", [10_000])
    payer = world.payer(wallet, "hash")
    body = chat("  odd   spacing\u00e9 ", max_tokens=4).replace(b", ", b",\t ")
    reply = asyncio.run(payer.call("POST", CHAT + "?trace=1", body, "application/json"))
    assert reply.status == 200  # the gateway's x over what it received equals the client's
    assert wallet.note(note.id).state.n == 1


def test_two_concurrent_calls_on_a_single_note_are_served_one_after_the_other(
    world: World,
) -> None:
    wallet, [note] = world.new_wallet("serial", [20_000])
    payer = world.payer(wallet, "serial")

    async def both() -> list[int | None]:
        replies = await asyncio.gather(
            payer.call("POST", CHAT, chat("first", max_tokens=4), "application/json"),
            payer.call("POST", CHAT, chat("second", max_tokens=4), "application/json"),
        )
        return [r.note_id for r in replies]

    assert asyncio.run(both()) == [note.id, note.id]
    after = wallet.note(note.id)
    assert after.state.n == 2 and after.in_flight is None


def test_a_wallet_without_a_payable_note_is_refused_with_insufficient_quota(world: World) -> None:
    wallet, _ = world.new_wallet("empty", [])
    payer = world.payer(wallet, "empty")
    with pytest.raises(NoPayableNoteError) as info:
        asyncio.run(payer.call("POST", CHAT, chat("x", max_tokens=4), "application/json"))
    assert info.value.status == 402
