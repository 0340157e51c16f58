"""The local proxy's gate (PROTOCOL §13): loopback bind, bearer token, Host and Origin checks.

The handler behind the gate records what reached it, so each refusal is shown to stop the
request before any payment code runs (nothing is recorded), and the accepted shape (what the
official openai client sends) is shown to reach it with the body and path untouched.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from prover.client.errors import ProxyConfigError
from prover.client.payer.payer import PaidReply, StreamedReply
from prover.client.service import ProxySecurity, check_bind_host, create_proxy_app
from prover.client.service.run import server

TOKEN = "t" * 20 + "0123456789abcdefXYZ"
PORT = 48123


@dataclass
class RecordingHandler:
    calls: list[tuple[str, str, bytes, str | None]] = field(default_factory=list)

    async def call(self, method: str, target: str, body: bytes, ctype: str | None) -> PaidReply:
        self.calls.append((method, target, body, ctype))
        return PaidReply(status=200, content_type="application/json", body=b'{"ok":true}')

    async def call_stream(
        self, method: str, target: str, body: bytes, ctype: str | None
    ) -> StreamedReply:
        self.calls.append((method, target, body, ctype))

        async def events() -> AsyncIterator[bytes]:
            yield b'data: {"choices":[]}\n\n'
            yield b"data: [DONE]\n\n"

        return StreamedReply(200, "text/event-stream", events(), note_id=1)


def _client(handler: RecordingHandler, origins: tuple[str, ...] = ()) -> httpx.AsyncClient:
    app = create_proxy_app(handler, ProxySecurity.build(TOKEN, PORT, origins))
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=f"http://127.0.0.1:{PORT}"
    )


def _openai_headers(token: str = TOKEN) -> dict[str, str]:
    """What openai-python 1.x sends, stainless telemetry included."""
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "User-Agent": "OpenAI/Python 1.99.0",
        "X-Stainless-Lang": "python",
        "X-Stainless-Package-Version": "1.99.0",
        "OpenAI-Organization": "org-secret",
    }


def _post(
    headers: dict[str, str], origins: tuple[str, ...] = ()
) -> tuple[httpx.Response, RecordingHandler]:
    handler = RecordingHandler()

    async def go() -> httpx.Response:
        async with _client(handler, origins) as client:
            return await client.post(
                "/v1/chat/completions", content=b'{"model":"m","messages":[]}', headers=headers
            )

    return asyncio.run(go()), handler


def _error(reply: httpx.Response) -> dict[str, object]:
    body = reply.json()
    assert set(body) == {"error"}
    error: dict[str, object] = body["error"]
    assert {"message", "type", "code"} <= set(error)
    return error


def test_a_request_shaped_like_the_openai_client_reaches_the_payer_unchanged() -> None:
    reply, handler = _post(_openai_headers())
    assert reply.status_code == 200
    assert handler.calls == [
        ("POST", "/v1/chat/completions", b'{"model":"m","messages":[]}', "application/json")
    ]


def test_a_request_without_a_token_is_refused_with_401_before_the_payer() -> None:
    headers = _openai_headers()
    del headers["Authorization"]
    reply, handler = _post(headers)
    assert reply.status_code == 401
    assert _error(reply)["type"] == "authentication_error"
    assert handler.calls == []


def test_a_wrong_token_is_refused() -> None:
    reply, handler = _post(_openai_headers(TOKEN[:-1] + "Q"))
    assert reply.status_code == 401
    assert _error(reply)["code"] == "invalid_api_key"
    assert handler.calls == []


def test_a_token_of_another_scheme_is_refused() -> None:
    headers = _openai_headers()
    headers["Authorization"] = f"Basic {TOKEN}"
    reply, handler = _post(headers)
    assert reply.status_code == 401
    assert handler.calls == []


def test_a_foreign_host_header_is_refused_even_with_the_right_token() -> None:
    headers = _openai_headers()
    headers["Host"] = f"evil.example:{PORT}"
    reply, handler = _post(headers)
    assert reply.status_code == 403
    assert _error(reply)["param"] == "host"
    assert handler.calls == []


def test_the_right_host_on_another_port_is_refused() -> None:
    headers = _openai_headers()
    headers["Host"] = f"127.0.0.1:{PORT + 1}"
    reply, handler = _post(headers)
    assert reply.status_code == 403
    assert handler.calls == []


def test_localhost_on_the_proxy_port_is_accepted() -> None:
    headers = _openai_headers()
    headers["Host"] = f"localhost:{PORT}"
    reply, handler = _post(headers)
    assert reply.status_code == 200
    assert len(handler.calls) == 1


def test_a_foreign_origin_is_refused_even_with_the_right_token() -> None:
    headers = _openai_headers()
    headers["Origin"] = "https://evil.example"
    reply, handler = _post(headers)
    assert reply.status_code == 403
    assert _error(reply)["param"] == "origin"
    assert handler.calls == []


def test_a_null_origin_is_refused() -> None:
    headers = _openai_headers()
    headers["Origin"] = "null"
    reply, handler = _post(headers)
    assert reply.status_code == 403
    assert handler.calls == []


def test_an_origin_on_the_allow_list_is_accepted() -> None:
    headers = _openai_headers()
    headers["Origin"] = "http://127.0.0.1:3000"
    reply, handler = _post(headers, origins=("http://127.0.0.1:3000/",))
    assert reply.status_code == 200
    assert len(handler.calls) == 1


def test_a_streamed_chat_request_is_relayed_as_server_sent_events() -> None:
    handler = RecordingHandler()

    async def go() -> tuple[int, str, bytes]:
        async with (
            _client(handler) as client,
            client.stream(
                "POST",
                "/v1/chat/completions",
                content=b'{"model":"m","messages":[],"stream":true}',
                headers=_openai_headers(),
            ) as reply,
        ):
            body = await reply.aread()
            return reply.status_code, reply.headers["content-type"], body

    status, ctype, body = asyncio.run(go())
    assert status == 200
    assert ctype.startswith("text/event-stream")
    assert body == b'data: {"choices":[]}\n\ndata: [DONE]\n\n'


def test_a_query_string_reaches_the_payer_as_sent() -> None:
    handler = RecordingHandler()

    async def go() -> httpx.Response:
        async with _client(handler) as client:
            return await client.get("/v1/files?purpose=x%20y", headers=_openai_headers())

    assert asyncio.run(go()).status_code == 200
    assert handler.calls[0][1] == "/v1/files?purpose=x%20y"


@pytest.mark.parametrize("host", ["localhost", "my-laptop.lan", "", "127.0.0.1.evil", "0.0.0"])
def test_binding_a_host_name_or_a_malformed_address_is_refused(host: str) -> None:
    with pytest.raises(ProxyConfigError) as info:
        server(RecordingHandler(), host=host, port=PORT, token=TOKEN)
    assert info.value.field == "host"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "::1", "192.168.1.10"])
def test_a_non_loopback_address_is_refused_without_the_bearer_token(host: str) -> None:
    with pytest.raises(ProxyConfigError) as info:
        check_bind_host(host, None)
    assert info.value.field == "host" and "bearer token" in str(info.value)
    with pytest.raises(ProxyConfigError):
        check_bind_host(host, "too-short-a-token")


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10"])
def test_a_non_loopback_address_is_accepted_with_the_bearer_token(host: str) -> None:
    assert check_bind_host(host, TOKEN) == host
    server(RecordingHandler(), host=host, port=PORT, token=TOKEN)  # builds; binds nothing


def test_a_short_token_is_refused() -> None:
    with pytest.raises(ProxyConfigError):
        ProxySecurity.build("short", PORT)


def test_check_bind_host_accepts_the_loopback_address_without_a_token() -> None:
    assert check_bind_host("127.0.0.1") == "127.0.0.1"


def _post_as(host: str, security: ProxySecurity) -> int:
    handler = RecordingHandler()

    async def go() -> httpx.Response:
        app = create_proxy_app(handler, security)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=f"http://{host}"
        ) as client:
            return await client.post(
                "/v1/embeddings", content=b"{}", headers={**_openai_headers(), "Host": host}
            )

    return asyncio.run(go()).status_code


def test_a_specific_bind_address_is_a_valid_host_but_foreign_names_stay_refused() -> None:
    security = ProxySecurity.build(TOKEN, PORT, bind_host="192.168.1.10")
    assert _post_as(f"192.168.1.10:{PORT}", security) == 200
    assert _post_as(f"127.0.0.1:{PORT}", security) == 200
    assert _post_as(f"evil.example:{PORT}", security) == 403
    assert _post_as(f"192.168.1.10:{PORT + 1}", security) == 403


def test_a_wildcard_bind_accepts_only_the_names_given_with_allow_host() -> None:
    security = ProxySecurity.build(
        TOKEN, PORT, bind_host="0.0.0.0", hosts=["host.docker.internal", "10.0.0.5:9999"]
    )
    assert _post_as(f"host.docker.internal:{PORT}", security) == 200
    assert _post_as("10.0.0.5:9999", security) == 200
    assert _post_as(f"0.0.0.0:{PORT}", security) == 403
    assert _post_as(f"172.17.0.1:{PORT}", security) == 403


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def running_proxy() -> Iterator[tuple[int, RecordingHandler]]:
    port = _free_port()
    handler = RecordingHandler()
    srv = server(handler, host="127.0.0.1", port=port, token=TOKEN)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "proxy did not start"
        time.sleep(0.05)
    try:
        yield port, handler
    finally:
        srv.should_exit = True
        thread.join(10)


def test_the_running_proxy_listens_on_loopback_and_checks_every_request(
    running_proxy: tuple[int, RecordingHandler],
) -> None:
    port, handler = running_proxy
    url = f"http://127.0.0.1:{port}/v1/embeddings"
    body = b'{"model":"e","input":"hi"}'
    good = httpx.post(url, content=body, headers=_openai_headers(), trust_env=False)
    refused = httpx.post(
        url, content=body, headers={"Content-Type": "application/json"}, trust_env=False
    )
    assert good.status_code == 200
    assert refused.status_code == 401
    assert handler.calls == [("POST", "/v1/embeddings", body, "application/json")]
    assert "server" not in good.headers
