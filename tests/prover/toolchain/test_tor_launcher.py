"""The private Tor network launcher without a full network: its torrc files pass the real tor's
`--verify-config`, and setup failures raise `TorStartError` and leave nothing behind.
(The full network is exercised once per session in tests/prover/client/transport/test_tor.py.)"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from zkcredits_testing.errors import TorStartError
from zkcredits_testing.tor import TOR_BINARY, PrivateTorNetwork
from zkcredits_testing.tor_config import TorNode, authority_line, torrc

from prover.toolchain.errors import ToolchainError

FAKE_FP = "A" * 40
FAKE_V3 = "B" * 40


def _node(tmp_path: Path, role: str) -> TorNode:
    data_dir = tmp_path / role
    data_dir.mkdir(mode=0o700)
    return TorNode(
        role=role,
        nickname=f"{role}0",
        data_dir=data_dir,
        control_port=30001,
        or_port=30002 if role != "client" else 0,
        dir_port=30003 if role == "authority" else 0,
        socks_port=30004 if role == "client" else 0,
    )


@pytest.mark.parametrize("role", ["authority", "exit", "client"])
def test_each_generated_torrc_is_accepted_by_the_real_tor(tmp_path: Path, role: str) -> None:
    node = _node(tmp_path, role)
    auth = _node(tmp_path, "authority") if role != "authority" else node
    text = torrc(node, [authority_line(auth, FAKE_V3, FAKE_FP)], os.getpid())
    node.torrc_path.write_text(text)
    done = subprocess.run(
        [str(TOR_BINARY), "--verify-config", "-f", str(node.torrc_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Configuration was valid" in done.stdout


def test_exits_may_leave_to_loopback_and_the_client_isolates_by_socks_auth(
    tmp_path: Path,
) -> None:
    exit_rc = torrc(_node(tmp_path, "exit"), [], 1).splitlines()
    assert {"ExitRelay 1", "ExitPolicyRejectPrivate 0"} <= set(exit_rc)
    policies = [line for line in exit_rc if line.startswith("ExitPolicy ")]
    # loopback first; then the whole space, which microdescriptor summaries need (tor #11264)
    assert policies == ["ExitPolicy accept 127.0.0.0/8:*", "ExitPolicy accept *:*"]
    client_rc = torrc(_node(tmp_path, "client"), [], 1)
    assert "SocksPort 127.0.0.1:30004 IsolateSOCKSAuth" in client_rc
    assert "SocksPort 0" in torrc(_node(tmp_path, "authority"), [], 1)


def test_the_authority_line_names_both_keys_and_both_ports(tmp_path: Path) -> None:
    line = authority_line(_node(tmp_path, "authority"), FAKE_V3, FAKE_FP)
    assert line == (
        f"DirAuthority authority0 orport=30002 no-v2 v3ident={FAKE_V3} 127.0.0.1:30003 {FAKE_FP}"
    )


def test_a_missing_tor_binary_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-tor"
    with pytest.raises(TorStartError, match="no-tor is missing: install the Debian package"):
        PrivateTorNetwork(tor_binary=missing, base_dir=tmp_path).start()


def test_a_tor_that_fails_during_setup_raises_and_leaves_no_files(tmp_path: Path) -> None:
    network = PrivateTorNetwork(tor_binary=Path("/bin/false"), base_dir=tmp_path / "nets")
    with pytest.raises(TorStartError, match="exited 1") as caught:
        network.start()
    assert isinstance(caught.value, ToolchainError)
    assert list((tmp_path / "nets").iterdir()) == []
    assert network.info is None


def test_a_network_needs_at_least_one_exit() -> None:
    with pytest.raises(TorStartError, match="exits must be at least 1, got 0"):
        PrivateTorNetwork(exits=0)


@pytest.mark.slow
def test_a_network_not_ready_in_time_raises_with_log_tails_and_stops_every_tor(
    tmp_path: Path,
) -> None:
    network = PrivateTorNetwork(bootstrap_timeout=0.5, base_dir=tmp_path / "nets")
    with pytest.raises(TorStartError) as caught:
        network.start()
    message = str(caught.value)
    assert "was not ready within 0.5s" in message
    for nickname in ("auth0", "auth1", "auth2", "exit0", "exit1", "client"):
        assert f"--- {nickname} ---" in message
    assert message.count("[notice]") >= 6  # real log tails, not empty placeholders
    assert list((tmp_path / "nets").iterdir()) == []
    tor_cmds = [Path(f"/proc/{pid}/cmdline") for pid in os.listdir("/proc") if pid.isdigit()]
    leftover = [cmd for cmd in tor_cmds if cmd.exists() and str(tmp_path).encode() in _read(cmd)]
    assert leftover == []


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
