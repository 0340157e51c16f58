"""Exits with real withdraw proofs on the real vault: after calls, and with a pending call (§7)."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

import pytest
from zkcredits_testing.devchain import DevChain
from zkcredits_testing.devkeys import anvil_account

from prover.chain.vault import NoteStatus as ChainStatus
from prover.client.discovery import vault_contract
from prover.client.errors import ClientError
from prover.client.payer.payer import utc_day
from prover.client.wallet import NoteStatus
from prover.client.withdraw import exit_info, finalize_and_pull, request_withdrawal
from prover.crypto import RequestFields
from prover.gateway.embedded import CHAT_MODEL

from .conftest import World  # type: ignore[import-not-found]

pytestmark = pytest.mark.slow
CHAT = "/v1/chat/completions"
BODY = json.dumps({"model": CHAT_MODEL, "messages": [{"role": "user", "content": "w"}],
                   "max_tokens": 4}).encode()  # fmt: skip


def test_an_exit_after_a_paid_call_pays_out_the_deposit_minus_the_charges(world: World) -> None:
    wallet, [note] = world.new_wallet("exit", [20_000])
    payer = world.payer(wallet, "exit")
    reply = asyncio.run(payer.call("POST", CHAT, BODY, "application/json"))
    assert reply.cost is not None
    account = anvil_account(7)
    info = request_withdrawal(world.w3, account, wallet, note.id, account.address, pending=False)
    assert info.status is ChainStatus.EXITING and info.charged == reply.cost
    assert wallet.note(note.id).status is NoteStatus.EXITING
    with pytest.raises(ClientError) as early:
        finalize_and_pull(world.w3, account, wallet, note.id)
    assert early.value.field == "exit_ready_at"
    DevChain(world.w3).advance(world.pin.exit_delay + 1)
    pulled = finalize_and_pull(world.w3, account, wallet, note.id)
    assert pulled == (20_000 - reply.cost) * world.pin.service.unit
    assert wallet.note(note.id).status is NoteStatus.CLOSED


def test_an_exit_with_an_unanswered_call_pays_that_call_in_full(world: World) -> None:
    wallet, [note] = world.new_wallet("pending-exit", [20_000])
    fields = RequestFields.create(
        method="POST", path=CHAT, body=BODY, service_id=world.pin.service.service_id,
        today=utc_day(time.time()), request_id=secrets.token_bytes(16),
    )  # fmt: skip
    wallet.begin_call(note.id, fields)  # bound, never answered
    account = anvil_account(7)
    with pytest.raises(ClientError) as wrong:
        request_withdrawal(world.w3, account, wallet, note.id, account.address, pending=False)
    assert wrong.value.field == "pending"
    info = request_withdrawal(world.w3, account, wallet, note.id, account.address, pending=True)
    service = world.pin.service
    assert info.charged == service.c_max and info.penalties == service.penalty_max
    on_chain = exit_info(vault_contract(world.w3, service.vault_address), note.id)
    assert on_chain.status is ChainStatus.EXITING


def test_a_ticket_keyed_but_never_shown_exits_without_paying_for_it(world: World) -> None:
    """A ready proof (the key drawn, a proof made) reveals nothing: the exit takes ticket n at
    pending = 0 and charges nothing for it."""
    wallet, [note] = world.new_wallet("keyed-exit", [20_000])
    wallet.key_ticket(note.id)
    account = anvil_account(8)
    with pytest.raises(ClientError) as wrong:
        request_withdrawal(world.w3, account, wallet, note.id, account.address, pending=True)
    assert wrong.value.field == "pending"
    info = request_withdrawal(world.w3, account, wallet, note.id, account.address, pending=False)
    assert info.charged == 0 and info.penalties == 0
