"""The proxy on the real stack (Anvil, deployment, gateway, real proofs): what each call cost and
what is left, the balance endpoint, one log line per call, and an error per cause."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from zkcredits_testing.devkeys import anvil_account

from prover.client.discovery import deposit_note
from prover.client.errors import GatewayUnreachableError
from prover.client.wallet import Note, NoteState, Wallet
from prover.client.why_not import day_date
from prover.crypto import Opening, commit
from prover.crypto.commitment import sign_state
from prover.gateway.embedded import CHAT_MODEL
from prover.logs import configure_logging

from .conftest import World  # type: ignore[import-not-found]
from .proxy_kit import (  # type: ignore[import-not-found]
    TOKEN,
    RunningProxy,
    forwarder_to,
    running_proxy,
)

pytestmark = pytest.mark.slow


def _chat(**extra: object) -> dict[str, object]:
    return {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "money"}], **extra}


def _post(proxy: RunningProxy, body: dict[str, object]) -> httpx.Response:
    return httpx.post(
        f"{proxy.base}/chat/completions", json=body, headers=proxy.headers(),
        trust_env=False, timeout=300,
    )  # fmt: skip


def _spent(wallet: Wallet, notes: list[Note]) -> int:
    return sum(wallet.note(n.id).state.C + wallet.note(n.id).state.P for n in notes)


def _spendable(wallet: Wallet, notes: list[Note]) -> int:
    """What the notes can still spend, computed here from the circuit's solvency rule."""
    total = 0
    for n in notes:
        note = wallet.note(n.id)
        if note.in_flight is None and note.balance >= note.service.c_max:
            total += note.balance
    return total


@pytest.fixture(scope="module")
def logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    configure_logging("json", "info", private=True, stream=stream)
    try:
        yield stream
    finally:
        for handler in [h for h in root.handlers if h.get_name() == "zkcredits-structured"]:
            root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture(scope="module")
def paying(world: World, logs: io.StringIO) -> Iterator[tuple[RunningProxy, Wallet, list[Note]]]:
    wallet, notes = world.new_wallet("money", [30_000, 20_000])
    with running_proxy(world.payer(wallet, "money")) as proxy:
        yield proxy, wallet, notes


def test_a_paid_reply_carries_its_cost_and_the_balance_left(
    paying: tuple[RunningProxy, Wallet, list[Note]],
) -> None:
    proxy, wallet, notes = paying
    before = _spent(wallet, notes)
    reply = _post(proxy, _chat(max_tokens=8))
    assert reply.status_code == 200, reply.text
    cost = _spent(wallet, notes) - before
    assert cost > 0
    assert reply.headers["x-zkcredits-cost"] == str(cost)
    assert reply.headers["x-zkcredits-balance"] == str(_spendable(wallet, notes))
    c_max = notes[0].service.c_max
    calls = sum(wallet.note(n.id).balance // c_max for n in notes)
    assert reply.headers["x-zkcredits-calls-left"] == str(calls)


def test_a_streamed_reply_says_its_cost_in_a_comment_before_done(
    paying: tuple[RunningProxy, Wallet, list[Note]],
) -> None:
    proxy, wallet, notes = paying
    before = _spent(wallet, notes)
    with httpx.stream(
        "POST", f"{proxy.base}/chat/completions", json=_chat(max_tokens=8, stream=True),
        headers=proxy.headers(), trust_env=False, timeout=300,
    ) as reply:  # fmt: skip
        assert reply.status_code == 200
        lines = [line for line in reply.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    comment = lines[-2]
    assert comment.startswith(": ")
    fields = dict(pair.split("=") for pair in comment[2:].split())
    assert int(fields["x-zkcredits-cost"]) == _spent(wallet, notes) - before > 0
    assert int(fields["x-zkcredits-balance"]) == _spendable(wallet, notes)


def test_the_balance_endpoint_answers_behind_the_token(
    paying: tuple[RunningProxy, Wallet, list[Note]],
) -> None:
    proxy, wallet, notes = paying
    url = f"{proxy.base}/zkcredits/balance"
    refused = httpx.get(url, trust_env=False, timeout=60)
    assert refused.status_code == 401
    reply = httpx.get(url, headers=proxy.headers(), trust_env=False, timeout=60)
    assert reply.status_code == 200
    report = reply.json()
    assert report["spendable"] == _spendable(wallet, notes)
    assert {line["note"] for line in report["notes"]} == {str(n.id) for n in notes}
    assert all(line["expires"] == day_date(n.deposit.expiry).isoformat()  # type: ignore[union-attr]
               for line, n in zip(report["notes"], sorted(notes, key=lambda n: str(n.id)),
                                  strict=True))  # fmt: skip


def test_each_call_writes_one_log_line_without_content_token_or_note(
    paying: tuple[RunningProxy, Wallet, list[Note]], logs: io.StringIO
) -> None:
    proxy, wallet, notes = paying
    logs.seek(0)
    logs.truncate()
    marker = "a-secret-prompt-word"
    body = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": marker}],
            "max_tokens": 4}  # fmt: skip
    assert _post(proxy, body).status_code == 200
    assert httpx.get(f"{proxy.base}/zkcredits/balance", trust_env=False).status_code == 401
    # The line is written once the reply has gone out, from the proxy's own thread: wait for it.
    deadline = time.monotonic() + 30
    while True:
        text = logs.getvalue()
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
        calls = [line for line in lines if line["event"] == "proxy_call"]
        if len(calls) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("POST", "/v1/chat/completions", 200),
        ("GET", "/v1/zkcredits/balance", 401),
    ]
    assert calls[0]["cost"] > 0 and calls[0]["balance"] == _spendable(wallet, notes)
    assert calls[1]["error"] == "invalid_api_key"
    assert marker not in text and TOKEN not in text
    for note in notes:
        assert str(note.id)[:12] not in text and str(note.k)[:12] not in text


def _refused(proxy: RunningProxy) -> tuple[int, dict[str, Any], httpx.Headers]:
    reply = _post(proxy, _chat(max_tokens=4))
    return reply.status_code, reply.json()["error"], reply.headers


def test_an_empty_wallet_is_told_to_deposit(world: World) -> None:
    wallet, _ = world.new_wallet("cause-empty", [])
    with running_proxy(world.payer(wallet, "cause-empty")) as proxy:
        status, error, _ = _refused(proxy)
    assert (status, error["code"], error["type"]) == (402, "no_deposit", "insufficient_quota")
    assert "client deposit" in error["message"]


def test_a_deposit_outside_the_final_checkpoint_says_how_long_to_wait(world: World) -> None:
    wallet, _ = world.new_wallet("cause-wait", [])
    deposit_note(world.w3, anvil_account(5), world.pin, wallet, 10_000)  # no checkpoint after it
    with running_proxy(world.payer(wallet, "cause-wait")) as proxy:
        status, error, headers = _refused(proxy)
    assert (status, error["code"]) == (503, "checkpoint_pending")
    wait = int(headers["retry-after"])
    assert 0 < wait <= world.pin.root_epoch  # the next boundary; Anvil finality 0 blocks here
    assert "minute" in error["message"]
    assert wallet.notes()[0].in_flight is None
    world.checkpoint()  # leave the chain with every deposit checkpointed


def test_a_call_left_in_flight_is_resent_before_the_notes_next_call(world: World) -> None:
    """v3: a request whose reply never came stays journalled on its ticket; the proxy resends
    it (same bytes, same share) before the note pays for anything else, so both are charged
    once and nothing stays in flight."""
    wallet, [note] = world.new_wallet("cause-pending", [10_000])
    payer = world.payer(wallet, "cause-pending", retries=0)
    good = payer.pin
    asyncio.run(payer.ensure_terms())  # checked at start; then the gateway goes away mid-call
    body = json.dumps(_chat(max_tokens=4)).encode()
    with forwarder_to(world.gateway_url) as path:
        path.muted = True  # takes the request, never answers
        payer.pin = good.model_copy(update={"gateway_url": path.url})
        with pytest.raises(GatewayUnreachableError):
            asyncio.run(payer.call("POST", "/v1/chat/completions", body, "application/json"))
    assert wallet.note(note.id).in_flight is not None
    payer.pin = good
    with running_proxy(payer) as proxy:
        reply = _post(proxy, _chat(max_tokens=8))
    assert reply.status_code == 200, reply.text
    after = wallet.note(note.id)
    assert after.in_flight is None and after.state.n == 2  # the resent one, then the new one


def test_an_expired_note_names_the_day_to_withdraw_before(world: World) -> None:
    wallet, [note] = world.new_wallet("cause-expired", [10_000])
    payer = world.payer(wallet, "cause-expired")
    assert note.deposit is not None
    later = (note.deposit.expiry + 2) * 86_400 + 60.0  # two days after the last day of use
    payer.clock = lambda: later
    with running_proxy(payer) as proxy:
        status, error, _ = _refused(proxy)
    assert (status, error["code"]) == (402, "note_expired")
    assert day_date(note.deposit.expiry).isoformat() in error["message"]
    grace = world.pin.exit_grace_days
    assert day_date(note.deposit.expiry + grace + 1).isoformat() in error["message"]


def test_a_note_below_one_calls_price_is_credit_exhausted(world: World) -> None:
    _, [note] = world.new_wallet("cause-broke", [10_000])
    # the note's state after calls worth 7 240 units, signed by the gateway's own key
    sid = note.service.service_id
    e = commit(Opening(n=12, C=7_240, P=0, ID=note.id, rho=note.state.rho))
    spent = NoteState(n=12, C=7_240, P=0, rho=note.state.rho, E=e,
                      sigma=sign_state(world.server_sk, sid, e))  # fmt: skip
    other, _ = world.new_wallet("cause-broke-2", [])
    other.add_note(note.model_copy(update={"state": spent}))
    with running_proxy(world.payer(other, "cause-broke-2")) as proxy:
        status, error, _ = _refused(proxy)
        report = httpx.get(f"{proxy.base}/zkcredits/balance", headers=proxy.headers(),
                           trust_env=False).json()  # fmt: skip
    assert (status, error["code"]) == (402, "credit_exhausted")
    assert "c_max = 1000" in error["message"] and "760 units" in error["message"]
    assert report["spendable"] == 0 and report["notes"][0]["stranded"] == 760
    assert "credit_stranded" in {w["code"] for w in report["warnings"]}
