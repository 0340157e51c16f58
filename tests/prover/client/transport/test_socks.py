"""SOCKS5 route of the transport (PROTOCOL §13), against a real local SOCKS5 server that records
each CONNECT: fresh credentials per call, remote DNS, no connection reuse, no direct fallback."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from typing import Any

import pytest

from prover.client.transport.config import ProxyAddress, TransportSettings
from prover.client.transport.errors import DirectConnectionRefused, TransportError
from prover.client.transport.private import AsyncPrivateTransport, PrivateTransport
from prover.client.transport.socks import ProxyOnlyBackend


def _via(proxy_url: str) -> PrivateTransport:
    return PrivateTransport(TransportSettings(socks_proxy=proxy_url, request_timeout_s=10))


def test_every_call_uses_a_fresh_random_socks_username_and_password(
    echo_server: Any, socks_server: Any
) -> None:
    transport = _via(socks_server.url)
    for _ in range(4):
        assert transport.request("GET", f"{echo_server.url}/").status_code == 200
    usernames = [c["username"] for c in socks_server.connects]
    passwords = [c["password"] for c in socks_server.connects]
    assert len(usernames) == 4
    assert len(set(usernames)) == 4 and len(set(passwords)) == 4
    assert all(len(name) == 32 and int(name, 16) >= 0 for name in usernames)


def test_the_proxy_resolves_the_host_name_not_this_machine(
    echo_server: Any, socks_server: Any
) -> None:
    # The name resolves only inside the test proxy; the request succeeds only if it is sent as-is.
    name = socks_server.remote_name
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo(name, echo_server.port)
    reply = _via(socks_server.url).request("GET", f"http://{name}:{echo_server.port}/hello")
    assert reply.status_code == 200
    (connect,) = socks_server.connects
    assert connect["atyp"] == 3  # DOMAINNAME, not an IPv4/IPv6 address
    assert connect["host"] == name and connect["port"] == echo_server.port
    assert dict((k.lower(), v) for k, v in reply.json()["headers"])["host"] == (
        f"{name}:{echo_server.port}"
    )


def test_no_connection_is_reused_between_calls_directly(echo_server: Any) -> None:
    transport = PrivateTransport(TransportSettings())
    for _ in range(5):
        transport.request("GET", f"{echo_server.url}/")
    ports = [port for _host, port in echo_server.connections]
    assert len(echo_server.requests) == 5
    assert len(ports) == 5 and len(set(ports)) == 5  # one TCP connection per request


def test_no_connection_is_reused_between_calls_through_the_proxy(
    echo_server: Any, socks_server: Any
) -> None:
    transport = _via(socks_server.url)
    for _ in range(3):
        transport.request("GET", f"{echo_server.url}/")

    async def three_async_calls() -> None:
        async_transport = AsyncPrivateTransport(TransportSettings(socks_proxy=socks_server.url))
        for _ in range(3):
            await async_transport.request("GET", f"{echo_server.url}/")

    asyncio.run(three_async_calls())
    assert len(socks_server.connects) == 6
    assert len({c["username"] for c in socks_server.connects}) == 6
    assert len({port for _h, port in echo_server.connections}) == 6


def test_a_dead_proxy_raises_a_transport_error_naming_it_and_nothing_goes_direct(
    echo_server: Any, dead_port: int
) -> None:
    transport = _via(f"socks5h://127.0.0.1:{dead_port}")
    with pytest.raises(TransportError) as caught:
        transport.request("GET", f"{echo_server.url}/")
    assert f"socks5h://127.0.0.1:{dead_port}" in str(caught.value)
    assert "never sent directly" in str(caught.value)
    assert echo_server.connections == [] and echo_server.requests == []


def test_a_proxy_that_refuses_the_connect_raises_and_nothing_goes_direct(
    echo_server: Any, refusing_socks_server: Any
) -> None:
    async def call() -> None:
        transport = AsyncPrivateTransport(TransportSettings(socks_proxy=refusing_socks_server.url))
        await transport.request("GET", f"{echo_server.url}/")

    with pytest.raises(TransportError, match=re.escape(refusing_socks_server.url)):
        _via(refusing_socks_server.url).request("GET", f"{echo_server.url}/")
    with pytest.raises(TransportError, match=re.escape(refusing_socks_server.url)):
        asyncio.run(call())
    # each request tried its CONNECT on three fresh identities (the default), then gave up
    assert len(refusing_socks_server.connects) == 6
    assert len({c["username"] for c in refusing_socks_server.connects}) == 6
    assert echo_server.connections == []


def test_a_failed_socks_connect_is_retried_on_a_fresh_identity_and_the_request_sent_once(
    echo_server: Any, flaky_socks_server: Any
) -> None:
    reply = _via(flaky_socks_server.url).request("POST", f"{echo_server.url}/pay", content=b"x1")
    assert reply.status_code == 200
    usernames = [c["username"] for c in flaky_socks_server.connects]
    assert len(usernames) == 3 and len(set(usernames)) == 3  # two refused, one served
    assert [r["body"] for r in echo_server.requests] == ["x1"]


def test_the_async_transport_retries_a_failed_connect_the_same_way(
    echo_server: Any, flaky_socks_server: Any
) -> None:
    async def call() -> int:
        transport = AsyncPrivateTransport(TransportSettings(socks_proxy=flaky_socks_server.url))
        return (await transport.request("GET", f"{echo_server.url}/")).status_code

    assert asyncio.run(call()) == 200
    assert len({c["username"] for c in flaky_socks_server.connects}) == 3
    assert len(echo_server.requests) == 1


def test_one_connect_attempt_turns_the_retry_off(echo_server: Any, flaky_socks_server: Any) -> None:
    settings = TransportSettings(socks_proxy=flaky_socks_server.url, socks_connect_attempts=1)
    with pytest.raises(TransportError, match="General SOCKS server failure"):
        PrivateTransport(settings).request("GET", f"{echo_server.url}/")
    assert len(flaky_socks_server.connects) == 1 and echo_server.requests == []


def test_a_request_whose_target_hangs_up_after_receiving_it_is_not_retried(
    socks_server: Any,
) -> None:
    received: list[bytes] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def hang_up_after_reading() -> None:
            conn, _ = listener.accept()
            with conn:
                received.append(conn.recv(65536))

        thread = threading.Thread(target=hang_up_after_reading, daemon=True)
        thread.start()
        port = listener.getsockname()[1]
        with pytest.raises(TransportError, match="never sent directly"):
            _via(socks_server.url).request("POST", f"http://127.0.0.1:{port}/pay", content=b"x1")
        thread.join(timeout=10)
    assert len(socks_server.connects) == 1  # the request was sent: it may have been served
    assert received and received[0].startswith(b"POST /pay")


def test_the_connection_layer_refuses_any_address_but_the_proxy(
    echo_server: Any, socks_server: Any
) -> None:
    backend = ProxyOnlyBackend(ProxyAddress(host="127.0.0.1", port=socks_server.port))
    with pytest.raises(DirectConnectionRefused, match=str(echo_server.port)):
        backend.connect_tcp("127.0.0.1", echo_server.port)
    with pytest.raises(DirectConnectionRefused):
        backend.connect_unix_socket("/tmp/anything.sock")
    assert echo_server.connections == []
    stream = backend.connect_tcp("127.0.0.1", socks_server.port)  # the proxy itself is allowed
    stream.close()


def test_the_async_transport_also_leaves_name_resolution_to_the_proxy(
    echo_server: Any, socks_server: Any
) -> None:
    name = socks_server.remote_name

    async def call() -> int:
        transport = AsyncPrivateTransport(TransportSettings(socks_proxy=socks_server.url))
        reply = await transport.request("GET", f"http://{name}:{echo_server.port}/")
        return reply.status_code

    assert asyncio.run(call()) == 200
    (connect,) = socks_server.connects
    assert (connect["atyp"], connect["host"]) == (3, name)


def test_a_streamed_reply_arrives_unread_and_reads_through_the_proxy(
    echo_server: Any, socks_server: Any
) -> None:
    transport = _via(socks_server.url)
    with transport.stream("GET", f"{echo_server.url}/events?n=1") as reply:
        assert reply.status_code == 200 and not reply.is_stream_consumed
        body = b"".join(reply.iter_bytes())
    assert b'"path": "/events?n=1"' in body
    assert len(socks_server.connects) == 1


@pytest.mark.parametrize(
    "url",
    ["http://[not-an-ip/", "http://exa mple.com/", "http:///x", "ftp://127.0.0.1/", "127.0.0.1:80"],
)
def test_a_malformed_target_url_is_refused_before_anything_is_sent(
    socks_server: Any, url: str
) -> None:
    with pytest.raises(TransportError, match="nothing sent"):
        _via(socks_server.url).request("GET", url)
    assert socks_server.connects == []


def test_a_proxy_that_hangs_up_mid_handshake_is_a_transport_error_naming_it(
    echo_server: Any, socks_server: Any
) -> None:
    # The test proxy cannot resolve this name, so it closes the connection without a reply.
    url = f"http://unknown.zkcredits.test:{echo_server.port}/"
    with pytest.raises(TransportError, match=re.escape(socks_server.url)) as caught:
        _via(socks_server.url).request("GET", url)
    assert "ProtocolError" in str(caught.value)
    assert len(socks_server.connects) == 1 and echo_server.connections == []
