"""Proofs made ahead of time (issue 10 point 4) against the real gateway, chain and prover.

A call with a ready proof does no proving on its path; a newer checkpoint or a new UTC day
remakes the ready proofs (a call's root and day never tell when its proof was made); a ready
proof never travels with any ticket key but its own.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from zkcredits_testing.devchain import DevChain

from prover.client.errors import ProvingError
from prover.client.payer.ready_proofs import ProofKeeper, ProofKey
from prover.client.payer.request_prover import check_call_proof
from prover.gateway.embedded import CHAT_MODEL

from .conftest import World  # type: ignore[import-not-found]

pytestmark = pytest.mark.slow
CHAT = "/v1/chat/completions"
DAY = 86_400


def chat(content: str) -> bytes:
    body = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": content}]}
    return json.dumps({**body, "max_tokens": 8}).encode()


async def _until(check: object, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not within the timeout"
        await asyncio.sleep(0.05)


def _key(keeper: ProofKeeper, note_id: int) -> ProofKey:
    ready = keeper.ready_for(note_id)
    assert ready is not None
    return ready[0]


def test_a_call_with_a_ready_proof_does_no_proving_on_its_path(world: World) -> None:
    wallet, [note] = world.new_wallet("ready", [20_000])
    payer = world.payer(wallet, "ready", ready=True)
    keeper = payer.proofs

    async def go() -> None:
        await payer.start()
        try:
            await _until(lambda: note.id in keeper.ready_notes())
            made = keeper.stats.made
            reply = await payer.call("POST", CHAT, chat("ready"), "application/json")
            assert reply.status == 200
            assert (keeper.stats.ready, keeper.stats.on_path, keeper.stats.awaited) == (1, 0, 0)
            assert keeper.stats.made == made  # nothing was proven for this call
            # right after the reply the next ticket's key and proof are made in the background
            await _until(lambda: note.id in keeper.ready_notes())
            ticket = wallet.note(note.id).ticket
            assert ticket is not None and ticket.n == 1 and ticket.request is None
        finally:
            await payer.stop()

    asyncio.run(go())
    assert wallet.note(note.id).state.n == 1


def test_a_newer_final_checkpoint_remakes_the_ready_proofs(world: World) -> None:
    wallet, [note] = world.new_wallet("remade", [20_000])
    payer = world.payer(wallet, "remade", ready=True)
    keeper = payer.proofs

    async def go() -> None:
        await payer.start()
        try:
            await _until(lambda: note.id in keeper.ready_notes())
            old_root = _key(keeper, note.id).root
            # a new leaf, a new final checkpoint (the keeper's loop keeps running meanwhile)
            await asyncio.to_thread(world.new_wallet, "remade-other", [20_000])
            await keeper.refresh()
            new_root = (await keeper.checkpoint()).root
            assert new_root != old_root
            await _until(
                lambda: note.id in keeper.ready_notes() and _key(keeper, note.id).root == new_root
            )
            reply = await payer.call("POST", CHAT, chat("remade"), "application/json")
            assert reply.status == 200 and keeper.stats.ready == 1
            assert keeper.stats.discarded >= 1
        finally:
            await payer.stop()

    asyncio.run(go())


def test_a_new_utc_day_remakes_the_ready_proofs_for_that_day(world: World) -> None:
    wallet, [note] = world.new_wallet("new-day", [20_000])
    now = [time.time()]
    payer = world.payer(wallet, "new-day", ready=True, clock=lambda: now[0])
    keeper = payer.proofs

    async def go() -> None:
        await payer.start()
        try:
            await _until(lambda: note.id in keeper.ready_notes())
            first = _key(keeper, note.id)
            made = keeper.stats.made
            await asyncio.to_thread(DevChain(world.w3).advance, DAY)  # the chain moves on too
            now[0] += DAY  # the client's clock crosses a UTC midnight
            assert note.id not in keeper.ready_notes()  # yesterday's proof is no longer used
            # the keeper's own loop may notice the new day first: either way a new proof is made
            await keeper.refresh()
            await _until(lambda: note.id in keeper.ready_notes())
            second = _key(keeper, note.id)
            assert second.today == first.today + 1 and second.pk == first.pk
            assert keeper.stats.made > made
        finally:
            await payer.stop()

    asyncio.run(go())


def test_a_ready_proof_is_never_used_with_another_ticket_key(world: World) -> None:
    wallet, [note] = world.new_wallet("own-key", [20_000])
    keeping = world.payer(wallet, "own-key", ready=True)
    keeper = keeping.proofs
    other = world.payer(wallet, "own-key-other")  # pays the same note, proving on its path

    async def go() -> None:
        await keeping.start()
        try:
            await _until(lambda: note.id in keeper.ready_notes())
            ready = keeper.ready_for(note.id)
            assert ready is not None
            key0, proof0 = ready
            await other.call("POST", CHAT, chat("spends ticket 0"), "application/json")
            current = wallet.note(note.id)
            ticket1 = wallet.key_ticket(note.id)
            assert ticket1.n == 1 and ticket1.pk != key0.pk
            with pytest.raises(ProvingError, match="another ticket key"):
                check_call_proof(proof0, ticket1, key0.today)
            proof1 = await keeper.proof_for(current, ticket1, key0.today)
            assert proof1.signal("x") == ticket1.x and proof1.signal("nullifier") == (
                ticket1.nullifier
            )
        finally:
            await keeping.stop()

    asyncio.run(go())
