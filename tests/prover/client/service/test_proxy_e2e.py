"""The local proxy, running on 127.0.0.1 with the real payer, called like the openai client."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from prover.client.profile import new_token
from prover.client.service.run import server
from prover.client.wallet import Note, Wallet
from prover.gateway.embedded import CHAT_MODEL, EMBED_MODEL
from prover.pricing.schedule import Usage

from .conftest import World  # type: ignore[import-not-found]

pytestmark = pytest.mark.slow
TOKEN = new_token()


def _openai_headers() -> dict[str, str]:
    return {
        "Authorization": f"Bearer {TOKEN}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": "OpenAI/Python 1.99.0",
        "X-Stainless-Lang": "python",
        "X-Stainless-OS": "Linux",
    }


@pytest.fixture(scope="module")
def proxy(world: World) -> Iterator[tuple[str, Wallet, list[Note]]]:
    wallet, notes = world.new_wallet("proxy", [30_000, 30_000])
    payer = world.payer(wallet, "proxy")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    srv = server(payer, host="127.0.0.1", port=port, token=TOKEN)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "proxy did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1", wallet, notes
    finally:
        srv.should_exit = True
        thread.join(10)


def _chat(**extra: object) -> dict[str, object]:
    return {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "hi proxy"}], **extra}


def test_a_chat_completion_through_the_proxy_is_paid_and_answered(
    proxy: tuple[str, Wallet, list[Note]],
) -> None:
    base, wallet, notes = proxy
    before = sum(wallet.note(n.id).state.n for n in notes)
    reply = httpx.post(
        f"{base}/chat/completions", json=_chat(max_tokens=8), headers=_openai_headers(),
        trust_env=False, timeout=120,
    )  # fmt: skip
    assert reply.status_code == 200, reply.text
    assert reply.json()["choices"][0]["message"]["role"] == "assistant"
    assert sum(wallet.note(n.id).state.n for n in notes) == before + 1


def test_a_streamed_chat_completion_through_the_proxy_is_relayed(
    proxy: tuple[str, Wallet, list[Note]],
) -> None:
    base, wallet, notes = proxy
    before = sum(wallet.note(n.id).state.n for n in notes)
    events: list[str] = []
    with httpx.stream(
        "POST", f"{base}/chat/completions", json=_chat(max_tokens=8, stream=True),
        headers=_openai_headers(), trust_env=False, timeout=120,
    ) as reply:  # fmt: skip
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        events = [line for line in reply.iter_lines() if line]
    assert events[-1] == "data: [DONE]"
    assert all(not e.startswith("event:") for e in events)
    chunks = [json.loads(e[6:]) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert sum(wallet.note(n.id).state.n for n in notes) == before + 1


def test_the_models_list_is_served_through_the_proxy(proxy: tuple[str, Wallet, list[Note]]) -> None:
    base, _, _ = proxy
    reply = httpx.get(f"{base}/models", headers=_openai_headers(), trust_env=False, timeout=120)
    assert reply.status_code == 200, reply.text
    assert any(m["id"] == CHAT_MODEL for m in reply.json()["data"])


def test_an_over_cap_request_gets_an_openai_shaped_400(
    proxy: tuple[str, Wallet, list[Note]],
) -> None:
    base, wallet, notes = proxy
    before = [wallet.note(n.id).state for n in notes]
    reply = httpx.post(
        f"{base}/chat/completions", json=_chat(max_tokens=100_000), headers=_openai_headers(),
        trust_env=False, timeout=120,
    )  # fmt: skip
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "max_tokens"
    assert [wallet.note(n.id).state for n in notes] == before


def test_an_unsold_path_is_relayed_with_the_gateways_refusal(
    proxy: tuple[str, Wallet, list[Note]],
) -> None:
    base, _, _ = proxy
    reply = httpx.get(f"{base}/files", headers=_openai_headers(), trust_env=False, timeout=60)
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "bad_request"
    assert reply.json()["error"]["type"] == "invalid_request_error"


def test_the_running_proxy_refuses_a_request_without_the_token(
    proxy: tuple[str, Wallet, list[Note]],
) -> None:
    base, wallet, notes = proxy
    before = [wallet.note(n.id).state for n in notes]
    headers = _openai_headers()
    del headers["Authorization"]
    reply = httpx.post(
        f"{base}/chat/completions", json=_chat(max_tokens=4), headers=headers, trust_env=False
    )
    assert reply.status_code == 401
    assert [wallet.note(n.id).state for n in notes] == before


def test_the_official_openai_client_works_against_the_proxy(
    proxy: tuple[str, Wallet, list[Note]],
) -> None:
    import openai

    base, wallet, notes = proxy
    before = sum(wallet.note(n.id).state.n for n in notes)
    http_client: Any = httpx.Client(trust_env=False)  # openai's stubs name its vendored httpx
    client = openai.OpenAI(base_url=base, api_key=TOKEN, http_client=http_client, max_retries=0)
    messages: list[Any] = [{"role": "user", "content": "hello from openai"}]
    done = client.chat.completions.create(model=CHAT_MODEL, messages=messages, max_tokens=8)
    assert done.choices[0].message.content
    pieces = [
        chunk.choices[0].delta.content or ""
        for chunk in client.chat.completions.create(
            model=CHAT_MODEL, messages=messages, max_tokens=8, stream=True
        )
        if chunk.choices
    ]
    assert "".join(pieces)
    assert client.embeddings.create(model=EMBED_MODEL, input="x").data
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=CHAT_MODEL, messages=messages, max_tokens=10**6)
    assert sum(wallet.note(n.id).state.n for n in notes) == before + 3


def test_an_application_that_hangs_up_mid_stream_still_gets_the_payment_committed(
    proxy: tuple[str, Wallet, list[Note]],
) -> None:
    base, wallet, notes = proxy
    before = sum(wallet.note(n.id).state.n for n in notes)
    with httpx.stream(
        "POST", f"{base}/chat/completions", json=_chat(max_tokens=64, stream=True),
        headers=_openai_headers(), trust_env=False, timeout=120,
    ) as reply:  # fmt: skip
        assert reply.status_code == 200
        next(reply.iter_lines())  # read one line, then hang up
    deadline = time.monotonic() + 60
    while sum(wallet.note(n.id).state.n for n in notes) != before + 1:
        assert time.monotonic() < deadline, "the payment of the abandoned stream was not committed"
        time.sleep(0.1)
    assert all(wallet.note(n.id).in_flight is None for n in notes)


def test_the_openai_sdks_default_chat_without_max_tokens_is_served_and_charged_its_usage(
    proxy: tuple[str, Wallet, list[Note]], world: World
) -> None:
    """Issue 10 point 5: the SDK's default request (no `max_tokens`, and a stream without
    `stream_options`) is brought within c_max by the shared pre-flight, served, and charged the
    schedule's price of the usage the upstream reported; a header says what was changed."""
    import openai

    from prover.client.service.app import ADJUSTED_HEADER

    base, wallet, notes = proxy
    price = world.pin.price_schedule.routes[0].models[CHAT_MODEL]
    http_client: Any = httpx.Client(trust_env=False)
    client = openai.OpenAI(base_url=base, api_key=TOKEN, http_client=http_client, max_retries=0)
    messages: list[Any] = [{"role": "user", "content": "answer in 12 words please"}]
    before = {n.id: wallet.note(n.id).state for n in notes}
    raw = client.chat.completions.with_raw_response.create(model=CHAT_MODEL, messages=messages)
    done = raw.parse()
    assert raw.headers[ADJUSTED_HEADER] == f"max_tokens={price.max_output_tokens}"
    assert len((done.choices[0].message.content or "").split()) == 12
    assert done.usage is not None
    after = {n.id: wallet.note(n.id).state for n in notes}
    (note_id,) = [i for i in after if after[i].n == before[i].n + 1]
    usage = Usage(input_tokens=done.usage.prompt_tokens, output_tokens=done.usage.completion_tokens)
    expected = world.pin.price_schedule.cost(price, usage)
    assert after[note_id].C - before[note_id].C == expected > 0
    with client.chat.completions.with_streaming_response.create(
        model=CHAT_MODEL, messages=messages, stream=True
    ) as streamed:
        adjusted = streamed.headers[ADJUSTED_HEADER]
        chunks = list(streamed.parse())
    assert adjusted == f"max_tokens={price.max_output_tokens}; stream_options.include_usage=true"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].usage is not None  # the usage chunk the pre-flight asked for


def test_a_request_the_pre_flight_cannot_bring_within_c_max_is_refused_before_binding(
    proxy: tuple[str, Wallet, list[Note]],
) -> None:
    base, wallet, notes = proxy
    before = [wallet.note(n.id).state for n in notes]
    huge = _chat() | {"messages": [{"role": "user", "content": "x" * 200_000}]}
    reply = httpx.post(
        f"{base}/chat/completions", json=huge, headers=_openai_headers(), trust_env=False,
        timeout=60,
    )  # fmt: skip
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert (error["code"], error["param"]) == ("cost_exceeds_c_max", "messages")
    assert [wallet.note(n.id).state for n in notes] == before
    assert all(wallet.note(n.id).in_flight is None for n in notes)
