"""Chain JSON-RPC through the private transport: web3 over the SOCKS route, fixed headers, fresh
SOCKS identity per RPC, no direct fallback."""

from __future__ import annotations

import re
from typing import Any

import pytest
from web3 import Web3

from prover.client.transport.config import TransportSettings
from prover.client.transport.errors import TransportError
from prover.client.transport.private import PrivateTransport
from prover.client.transport.web3_rpc import PrivateHTTPProvider
from prover.toolchain.anvil import ChainInfo


def test_web3_reaches_a_real_anvil_through_the_socks_proxy_with_a_fresh_identity_per_rpc(
    anvil: ChainInfo, socks_server: Any
) -> None:
    transport = PrivateTransport(TransportSettings(socks_proxy=socks_server.url))
    w3 = Web3(PrivateHTTPProvider(anvil.rpc_url, transport))
    assert w3.eth.chain_id == anvil.chain_id == 31337
    assert w3.eth.get_balance(w3.eth.accounts[0]) > 0
    assert len(socks_server.connects) >= 3
    assert len({c["username"] for c in socks_server.connects}) == len(socks_server.connects)
    port = int(anvil.rpc_url.rsplit(":", 1)[1])
    assert {(c["host"], c["port"]) for c in socks_server.connects} == {("127.0.0.1", port)}


def test_web3_requests_carry_only_the_fixed_headers(echo_server: Any, socks_server: Any) -> None:
    transport = PrivateTransport(TransportSettings(socks_proxy=socks_server.url))
    w3 = Web3(PrivateHTTPProvider(f"{echo_server.url}/rpc", transport))
    assert w3.eth.chain_id == 31337
    (record,) = echo_server.requests
    names = {name.lower() for name, _ in record["headers"]}
    assert names == {
        "host",
        "content-type",
        "content-length",
        "accept",
        "accept-encoding",
        "connection",
    }
    assert '"method":"eth_chainId"' in record["body"].replace(" ", "")


def test_web3_with_a_dead_proxy_fails_once_and_never_goes_direct(
    echo_server: Any, dead_port: int
) -> None:
    transport = PrivateTransport(TransportSettings(socks_proxy=f"socks5h://127.0.0.1:{dead_port}"))
    w3 = Web3(PrivateHTTPProvider(f"{echo_server.url}/rpc", transport))
    with pytest.raises(TransportError, match=re.escape(f"127.0.0.1:{dead_port}")):
        _ = w3.eth.chain_id
    assert echo_server.connections == []
