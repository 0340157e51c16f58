"""Integration: the transport through a real private Tor network (Debian `tor`, offline, loopback).

One network for this module (~30 s to bootstrap), stopped by PID in the fixture's finally; the
last test stops it itself and checks every tor process is gone and its data dirs removed.
Each call's SOCKS username is recorded (injected credentials source) and matched with the Tor
client's STREAM events (`SOCKS_USERNAME`), which name the circuit each stream was attached to.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from zkcredits_testing.tor import PrivateTorNetwork, TorNetworkInfo
from zkcredits_testing.tor_control import TorControl

from prover.client.transport.config import TransportSettings
from prover.client.transport.errors import TransportError
from prover.client.transport.private import PrivateTransport
from prover.client.transport.socks_auth import fresh_socks_credentials
from prover.client.transport.web3_rpc import PrivateHTTPProvider
from prover.toolchain.anvil import ChainInfo

pytestmark = pytest.mark.slow


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _wait_until_calls_cross(info: TorNetworkInfo, timeout: float = 120.0) -> None:
    """A fresh private network re-fetches its directory once its first full consensus lands
    (~20 s after start), and calls made in that window fail at the exit. Wait until a real
    call crosses the network end to end before testing it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                if _via_tor(info, _RecordingCredentials()).request("GET", url).status_code == 200:
                    return
            except TransportError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(1.0)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def tor_network() -> Iterator[PrivateTorNetwork]:
    network = PrivateTorNetwork(bootstrap_timeout=240.0)
    try:
        network.start()
        _wait_until_calls_cross(_info(network))
        yield network
    finally:
        network.stop()


def _info(network: PrivateTorNetwork) -> TorNetworkInfo:
    assert network.info is not None
    return network.info


class _RecordingCredentials:
    """The default credentials source, remembering what it handed out."""

    def __init__(self, fixed: tuple[str, str] | None = None) -> None:
        self.fixed = fixed
        self.issued: list[tuple[str, str]] = []

    def __call__(self) -> tuple[str, str]:
        pair = self.fixed or fresh_socks_credentials()
        self.issued.append(pair)
        return pair


def _stream_circuits(
    control: TorControl, usernames: set[str], calls: int, timeout: float = 60.0
) -> dict[str, set[str]]:
    """username -> circuit ids of its SUCCEEDED streams, once `calls` of `usernames` have one.

    A username whose CONNECT the exit refused (the transport then retried on a fresh username,
    PROTOCOL §13 as decided in docs/protocol-decisions.md) never gets a SUCCEEDED stream."""
    deadline = time.monotonic() + timeout
    found: dict[str, set[str]] = {}
    while time.monotonic() < deadline:
        control.command("GETINFO version")  # collects pending asynchronous events
        for event in control.events:
            line = event.lines[0]
            fields = line.split()
            if len(fields) < 5 or fields[0] != "STREAM" or fields[2] != "SUCCEEDED":
                continue
            for name in usernames:
                if f'SOCKS_USERNAME="{name}"' in line:
                    found.setdefault(name, set()).add(fields[3])
        if len(found) >= calls:
            return found
        time.sleep(0.2)
    raise AssertionError(f"fewer than {calls} calls have a SUCCEEDED stream event: {found}")


def _via_tor(info: TorNetworkInfo, credentials: _RecordingCredentials) -> PrivateTransport:
    settings = TransportSettings(socks_proxy=info.socks_url, request_timeout_s=120)
    return PrivateTransport(settings, credentials=credentials)


def test_the_private_client_bootstrapped_and_lists_our_relays(
    tor_network: PrivateTorNetwork,
) -> None:
    info = _info(tor_network)
    ours = {"auth0", "auth1", "auth2", *info.exit_nicknames}
    deadline = time.monotonic() + 120
    with info.control() as control:
        assert "PROGRESS=100" in control.getinfo("status/bootstrap-phase")
        while True:  # authorities' own relay entries may join the consensus a few votes late
            consensus = control.getinfo("ns/all")
            nicknames = {
                line.split()[1] for line in consensus.splitlines() if line.startswith("r ")
            }
            assert set(info.exit_nicknames) <= nicknames <= ours  # never a relay not ours
            if nicknames == ours or time.monotonic() > deadline:
                break
            time.sleep(1.0)
    assert nicknames == ours


def test_each_call_crosses_tor_on_its_own_circuit(
    tor_network: PrivateTorNetwork, echo_server: Any
) -> None:
    info = _info(tor_network)
    credentials = _RecordingCredentials()
    transport = _via_tor(info, credentials)
    with info.control() as control:
        control.command("SETEVENTS STREAM")
        for _ in range(4):
            assert transport.request("GET", f"{echo_server.url}/").status_code == 200
        usernames = {name for name, _pw in credentials.issued}
        circuits = _stream_circuits(control, usernames, calls=4)
        status = control.getinfo("circuit-status")
    assert len(usernames) == len(credentials.issued)  # every attempt had its own identity
    assert len(circuits) == 4  # four calls served, each on one identity
    assert all(len(ids) == 1 for ids in circuits.values())
    circuit_ids = [next(iter(ids)) for ids in circuits.values()]
    assert len(set(circuit_ids)) == 4  # four calls, four circuits
    paths = {line.split()[0]: line.split()[2] for line in status.splitlines() if " BUILT " in line}
    for circuit in circuit_ids:  # each ends at one of our loopback exits
        assert paths[circuit].rsplit("~", 1)[1] in info.exit_nicknames
    # the server saw four connections, all from the exits on loopback, never from the SOCKS port
    assert len(echo_server.connections) == 4
    assert {host for host, _port in echo_server.connections} == {"127.0.0.1"}


def test_calls_sharing_a_socks_username_share_a_circuit(
    tor_network: PrivateTorNetwork, echo_server: Any
) -> None:
    info = _info(tor_network)
    credentials = _RecordingCredentials(fixed=fresh_socks_credentials())
    transport = _via_tor(info, credentials)
    with info.control() as control:
        control.command("SETEVENTS STREAM")
        for _ in range(2):
            assert transport.request("GET", f"{echo_server.url}/").status_code == 200
        (name,) = {n for n, _pw in credentials.issued}
        circuits = _stream_circuits(control, {name}, calls=1)
    assert len(credentials.issued) >= 2
    assert len(circuits[name]) == 1  # the control case: Tor isolates by username, nothing else


def test_chain_rpc_reaches_a_local_anvil_through_tor_one_circuit_per_rpc(
    tor_network: PrivateTorNetwork, anvil: ChainInfo
) -> None:
    info = _info(tor_network)
    credentials = _RecordingCredentials()
    w3 = Web3(PrivateHTTPProvider(anvil.rpc_url, _via_tor(info, credentials)))
    with info.control() as control:
        control.command("SETEVENTS STREAM")
        assert w3.eth.chain_id == 31337
        assert w3.eth.block_number >= 0
        usernames = {name for name, _pw in credentials.issued}
        circuits = _stream_circuits(control, usernames, calls=2)
    assert len(usernames) == len(credentials.issued)
    assert len(circuits) == 2  # two RPCs served, each on its own identity and circuit
    assert len({next(iter(ids)) for ids in circuits.values()}) == 2


def test_stopping_the_network_ends_every_tor_process_and_removes_its_files(
    tor_network: PrivateTorNetwork,
) -> None:
    info = _info(tor_network)
    base = Path(info.control_cookie).parents[1]
    assert base.is_dir()
    tor_network.stop()
    for pid in info.pids:
        status = Path(f"/proc/{pid}/status")
        assert not status.exists() or "zombie" in status.read_text(), f"tor {pid} still runs"
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not base.exists()
