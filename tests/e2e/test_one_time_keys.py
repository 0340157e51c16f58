"""Issue 10 on the real stack: Anvil, the gateway, the embedded upstream, the prover service (its
proof pool, ready proofs) and the official openai client.

No path strands a ticket: a refusal, a gateway killed before reservation, a UTC midnight between
binding and retrying each leave the ticket usable, with no second share (the store holds one
share per nullifier, under the ticket's one key) and no `pending = 1` exit. A served ticket does
not serve another request. Hostile keys and signatures are refused before any Groth16 work, with
nothing reserved.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from e2e_world import DAY, World, free_port, prover_service

from prover.chain.vault import NoteStatus as ChainStatus
from prover.client.discovery import vault_contract
from prover.client.payer.attempt import Attempt, new_request, sign_header
from prover.client.payer.request_prover import CallProof
from prover.client.wallet import Note, StoredRequest, Ticket, Wallet
from prover.client.withdraw import exit_pending
from prover.crypto import RequestFields, TicketKey, canonical_request
from prover.crypto.request_hash import request_digest
from prover.crypto.ticket_key import ED25519_Q
from prover.gateway.embedded import CHAT_MODEL, EMBED_MODEL
from prover.gateway.store import NullifierStore, open_store
from prover.wire import PaymentResponse, PaymentSignature, decode_header, encode_header

pytestmark = pytest.mark.slow
CHAT = "/v1/chat/completions"
HERE = Path(__file__).parent


def _chat(client: openai.OpenAI, text: str, **extra: Any) -> Any:
    return client.chat.completions.create(
        model=CHAT_MODEL, messages=[{"role": "user", "content": text}], **extra
    )


def _no_second_share(world: World, note_before: Note, note_after: Note, x: int) -> None:
    """Ticket n of the note was spent once, under the ticket's one key; nothing stuck."""
    assert note_after.state.n == note_before.state.n + 1
    assert note_after.ticket is None or note_after.ticket.n == note_after.state.n
    record = world.store.get_record(note_after.last_reply.nullifier)  # type: ignore[union-attr]
    assert record is not None and record.x == x and record.reply is not None
    assert note_after.in_flight is None and not exit_pending(note_after)


def _ticket(wallet: Wallet, note: Note) -> Ticket:
    """The note's next ticket, keyed now (the prover service would key it the same way)."""
    return wallet.key_ticket(note.id)


def test_the_openai_sdks_default_chat_without_max_tokens_is_served_and_charged(
    world: World,
) -> None:
    wallet, [note] = world.new_wallet("default-chat", [20_000])
    with prover_service(world.payer(wallet, "default-chat")) as client:
        reply = _chat(client, "no max_tokens here")
    assert reply.choices[0].message.content
    after = wallet.note(note.id)
    assert after.state.n == 1 and world.pin.price_schedule.is_valid_cost(after.state.C)


def test_a_gateway_refusal_leaves_the_ticket_for_the_next_call(world: World) -> None:
    """The gateway's chain view lags the client's (a newer checkpoint): `stale_root`, refused
    before any reservation; the request is released, the same ticket pays the next call."""
    wallet, [note] = world.new_wallet("refusal", [20_000])
    ticket = _ticket(wallet, note)
    world.new_wallet("refusal-newer-root", [20_000], gateway_sees=False)  # a newer checkpoint
    calls = world.verifier.calls
    with prover_service(world.payer(wallet, "refusal")) as client:
        with pytest.raises(openai.APIStatusError) as refused:
            _chat(client, "refused", max_tokens=8)
        assert "stale_root" in str(refused.value)
        assert world.verifier.calls == calls  # refused before any Groth16 work
        assert world.store.get_record(ticket.nullifier) is None
        kept = wallet.note(note.id).ticket
        assert kept is not None and kept.pk == ticket.pk and kept.request is None and kept.shown
        world.settle()
        reply = _chat(client, "served", max_tokens=8)
    assert reply.choices[0].message.content
    after = wallet.note(note.id)
    assert after.last_reply is not None and after.last_reply.nullifier == ticket.nullifier
    _no_second_share(world, note, after, ticket.x)


def test_a_gateway_killed_before_reservation_and_restarted_leaves_the_ticket_usable(
    world: World, tmp_path: Path
) -> None:
    wallet, [note] = world.new_wallet("killed", [20_000])
    ticket = _ticket(wallet, note)
    port, stall = free_port(), tmp_path / "stall"
    config = tmp_path / "gateway.json"
    config.write_text(json.dumps({
        "settings": world.settings.model_dump(mode="json"), "rpc_url": world.rpc_url,
        "mirror": str(tmp_path / "mirror.sqlite"), "store": str(tmp_path / "store.sqlite"),
        "upstream_url": world.upstream_url, "port": port, "stall_file": str(stall),
        "server_sk": str(world.server_sk),
    }))  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    payer = world.payer(wallet, "killed", retries=1)
    payer.pin = payer.pin.model_copy(update={"gateway_url": url})
    stall.write_text("stall")
    first = _start_gateway(config, url)
    try:
        with prover_service(payer) as client:
            sent: dict[str, Any] = {}

            def call() -> None:
                try:
                    sent["reply"] = _chat(client, "the gateway dies under me", max_tokens=8)
                except openai.APIStatusError as exc:
                    sent["error"] = exc

            caller = threading.Thread(target=call)
            caller.start()
            _wait_for(lambda: Path(str(stall) + ".hit").exists(), "the call to reach verify")
            os.kill(first.pid, signal.SIGKILL)  # before the reservation
            first.wait(30)
            caller.join(120)
            assert "error" in sent, sent  # the application saw the call fail...
            in_flight = wallet.note(note.id).ticket
            assert in_flight is not None and in_flight.request is not None  # ...still in flight
            assert in_flight.pk == ticket.pk
            stall.unlink()
            second = _start_gateway(config, url)
            try:
                reply = _chat(client, "after the restart", max_tokens=8)
            finally:
                second.send_signal(signal.SIGTERM)
                second.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
    assert reply.choices[0].message.content
    after = wallet.note(note.id)
    assert after.state.n == 2  # the request left in flight was resent and served, then this one
    assert after.in_flight is None and not exit_pending(after)
    store = _open(tmp_path / "store.sqlite")
    record = store.get_record(ticket.nullifier)
    assert record is not None and record.x == ticket.x and record.reply is not None
    assert record.request_digest == request_digest(
        in_flight.request.fields(world.pin.service.service_id)
    )
    store.close()


def test_a_request_bound_at_23_59_59_and_retried_after_midnight_is_served_on_the_same_ticket(
    world: World,
) -> None:
    wallet, [note] = world.new_wallet("midnight", [20_000])
    ticket = _ticket(wallet, note)
    midnight = ((world.chain.timestamp() + 600) // DAY + 1) * DAY
    world.chain.advance_to(midnight - 120)
    world.settle()
    world.clock.frozen = midnight - 1  # 23:59:59 UTC, for the client and the gateway
    world.verifier.hold = True
    world.verifier.release.clear()
    world.verifier.done.clear()
    try:
        with prover_service(world.payer(wallet, "midnight", retries=0, timeout_s=5)) as client:
            with pytest.raises(openai.APIStatusError):
                _chat(client, "bound before midnight", max_tokens=8)  # times out in verify
            bound = wallet.note(note.id).ticket
            assert bound is not None and bound.request is not None
            assert bound.request.today == (midnight - 1) // DAY
            world.verifier.hold = False
            world.verifier.release.set()  # the stuck verification now fails: nothing reserved
            assert world.verifier.done.wait(30)
            world.chain.advance_to(midnight + 1800)  # 00:30 UTC, past the 15-minute grace
            world.settle()
            world.clock.frozen = midnight + 1800
            reply = _chat(client, "after midnight", max_tokens=8)
    finally:
        world.verifier.hold = False
        world.verifier.release.set()
        world.follow_chain()
    assert reply.choices[0].message.content
    after = wallet.note(note.id)
    assert after.last_reply is not None and after.last_reply.nullifier == ticket.nullifier
    record = world.store.get_record(ticket.nullifier)
    assert record is not None and record.x == ticket.x  # the same key: no second share
    sid = world.pin.service.service_id
    assert bound.request is not None
    # the request signed on day D was refused after midnight (not reserved) and released; the
    # ticket then served a request signed with day D + 1
    assert record.request_digest != request_digest(bound.request.fields(sid))
    _no_second_share(world, note, after, ticket.x)


def test_resending_a_served_ticket_with_another_request_is_refused_and_serves_nothing(
    world: World,
) -> None:
    wallet, [note] = world.new_wallet("reuse", [20_000])
    ticket = _ticket(wallet, note)
    payer = world.payer(wallet, "reuse")
    today = int(world.clock()) // DAY
    proof = asyncio.run(payer.proofs.proof_for(wallet.note(note.id), ticket, today))
    with prover_service(payer) as client:
        _chat(client, "the one request this ticket serves", max_tokens=8)
    served = wallet.note(note.id)
    assert served.last_reply is not None and served.last_reply.nullifier == ticket.nullifier
    before = world.upstream_received()
    free_work = json.dumps({"model": EMBED_MODEL, "input": "free work?"}).encode()
    other = new_request(world.pin.service.service_id, "POST", "/v1/embeddings", free_work, today)
    header = _header(world, note, ticket, other, proof)
    resp = _post(world, other, header)
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "ticket_reserved"
    state = decode_header(resp.headers["PAYMENT-RESPONSE"], PaymentResponse, "PAYMENT-RESPONSE")
    assert state == served.last_reply  # the state of the request it served, nothing new
    assert world.upstream_received() == before  # nothing served
    record = world.store.get_record(ticket.nullifier)
    assert record is not None and record.x == ticket.x
    vault = vault_contract(world.w3, world.pin.service.vault_address)
    assert ChainStatus(int(vault.functions.noteOf(note.id).call()[0])) is ChainStatus.ACTIVE


def test_hostile_keys_and_signatures_are_refused_before_groth16_work_with_nothing_reserved(
    world: World,
) -> None:
    wallet, [note] = world.new_wallet("hostile", [20_000])
    ticket = _ticket(wallet, note)
    payer = world.payer(wallet, "hostile")
    today = int(world.clock()) // DAY
    proof = asyncio.run(payer.proofs.proof_for(wallet.note(note.id), ticket, today))
    body = json.dumps({"model": EMBED_MODEL, "input": "hostile"}).encode()
    request = new_request(world.pin.service.service_id, "POST", "/v1/embeddings", body, today)
    honest = _header(world, note, ticket, request, proof)
    foreign = TicketKey.generate()
    cases = {
        "a tampered signature": (_tamper_sig(honest), "invalid_signature"),
        "a pk that does not hash to x": (
            _with(
                honest,
                pk="0x" + foreign.pk.hex(),
                signature="0x" + foreign.sign(canonical_request(request)).hex(),
            ),
            "key_mismatch",
        ),
        "a non-canonical pk encoding": (
            _with(honest, pk="0x" + (ED25519_Q + 5).to_bytes(32, "little").hex()),
            "bad_request",
        ),
        "a signature over other bytes": (
            _with(
                honest,
                signature="0x"
                + TicketKey.from_secret(ticket.secret)
                .sign(canonical_request(request.model_copy(update={"body": b"{}"})))
                .hex(),
            ),
            "invalid_signature",
        ),
    }
    for what, (header, code) in cases.items():
        calls = world.verifier.calls
        resp = _post(world, request, header)
        error = resp.json()["error"]
        assert (error["code"], error.get("ticket")) == (code, "unreserved"), what
        assert world.verifier.calls == calls, f"{what}: Groth16 ran"
        assert world.store.get_record(ticket.nullifier) is None, f"{what}: reserved"
    ok = _post(world, request, honest)  # the ticket is untouched
    assert ok.status_code == 200, ok.text
    assert world.verifier.calls == calls + 1


# ---------------------------------------------------------------------------------- helpers


def _header(
    world: World, note: Note, ticket: Ticket, request: RequestFields, proof: CallProof
) -> str:
    """The PAYMENT-SIGNATURE the prover service would send for `request` on `ticket`."""
    bound = ticket.model_copy(update={"request": StoredRequest.of(request)})
    attempt = Attempt(note=note, ticket=bound)
    sign_header(attempt, proof, world.pin.service.chain_id)
    assert attempt.header is not None
    return attempt.header


def _post(world: World, request: RequestFields, header: str) -> httpx.Response:
    url = world.pin.gateway_url.rstrip("/") + request.path
    return httpx.post(
        url, content=request.body, timeout=120, trust_env=False,
        headers={"PAYMENT-SIGNATURE": header, "Content-Type": "application/json"},
    )  # fmt: skip


def _with(header: str, **payload: str) -> str:
    raw = json.loads(base64.b64decode(header))
    raw["payload"].update(payload)
    return base64.b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode()


def _tamper_sig(header: str) -> str:
    payment = decode_header(header, PaymentSignature, "h")
    sig = bytearray(payment.payload.signature)
    sig[1] ^= 0x01
    return _with(encode_header(payment), signature="0x" + bytes(sig).hex())


def _start_gateway(config: Path, url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, str(HERE / "gateway_process.py"), str(config)])

    def up() -> bool:
        assert proc.poll() is None, "the gateway process died"
        try:
            return httpx.get(url + "healthz", timeout=2, trust_env=False).json()["status"] == "ok"
        except httpx.HTTPError:
            return False

    _wait_for(up, "the gateway process")
    return proc


def _wait_for(ready: Any, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(0.1)


def _open(path: Path) -> NullifierStore:
    return open_store(str(path))
