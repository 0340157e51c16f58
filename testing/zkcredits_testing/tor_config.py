"""torrc files of the private Tor test network (`zkcredits_testing.tor`), one function per role.

Follows the Tor Project's chutney templates (TestingTorNetwork, fast voting, every flag voted),
restricted to what an offline loopback network needs:

- directory authorities vote every 10 s (first consensus within ~10–20 s of start);
- every relay is `AssumeReachable 1` (publishes its descriptor at once, no self-test circuits);
- exits need `ExitRelay 1` and `ExitPolicyRejectPrivate 0` to exit to loopback at all; their
  policy is `accept 127.0.0.0/8:*` then `accept *:*` (chutney's choice): clients read exit policies
  from microdescriptor summaries, which ignore private addresses (tor #11264), so a loopback-only
  exit would look like it exits nowhere. (Full descriptors avoid that but break: relays republish,
  the consensus names descriptors the client never fetches, and it stalls with "no exits".) The
  exits listen on loopback only and are known only to this network's client; tests only ever ask
  for 127.0.0.1. Exits get no resolver configuration (`ServerDNSResolvConfFile /dev/null`; tor
  then tries 127.0.0.1): every target is an IP literal;
- the client does not use conflux (one circuit per stream, so tests can map streams to circuits);
- every process logs to `notice.log` in its data dir and exits if the controlling Python process
  dies (`__OwningControllerProcess`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

LOOPBACK = "127.0.0.1"
VOTING_INTERVAL_S = 10


class TorNode(BaseModel):
    """One tor process of the network: its role, nickname, data dir and ports."""

    model_config = ConfigDict(frozen=True)

    role: str  # "authority" | "exit" | "client"
    nickname: str
    data_dir: Path
    control_port: int
    or_port: int = 0
    dir_port: int = 0
    socks_port: int = 0

    @property
    def log_path(self) -> Path:
        return self.data_dir / "notice.log"

    @property
    def cookie_path(self) -> Path:
        return self.data_dir / "control_auth_cookie"

    @property
    def torrc_path(self) -> Path:
        return self.data_dir / "torrc"


def authority_line(node: TorNode, v3ident: str, fingerprint: str) -> str:
    """The `DirAuthority` line every node of the network is given for this authority."""
    return (
        f"DirAuthority {node.nickname} orport={node.or_port} no-v2 v3ident={v3ident} "
        f"{LOOPBACK}:{node.dir_port} {fingerprint}"
    )


def _common(node: TorNode, authority_lines: list[str], owner_pid: int) -> list[str]:
    return [
        "TestingTorNetwork 1",
        "PathsNeededToBuildCircuits 0.67",
        "TestingDirAuthVoteExit *",
        "TestingDirAuthVoteGuard *",
        "TestingDirAuthVoteHSDir *",
        "TestingMinExitFlagThreshold 0",
        "V3AuthNIntervalsValid 2",
        f"DataDirectory {node.data_dir}",
        f"Nickname {node.nickname}",
        "RunAsDaemon 0",
        "ShutdownWaitLength 0",
        "Sandbox 0",
        f"ControlPort {LOOPBACK}:{node.control_port}",
        "CookieAuthentication 1",
        f"Log notice file {node.log_path}",
        "SafeLogging 0",
        "LogTimeGranularity 1",
        f"__OwningControllerProcess {owner_pid}",
        *authority_lines,
    ]


def _relay(node: TorNode) -> list[str]:
    return [
        "SocksPort 0",
        f"ORPort {LOOPBACK}:{node.or_port}",
        f"Address {LOOPBACK}",
        "AssumeReachable 1",
        "ServerDNSDetectHijacking 0",
        "ServerDNSTestAddresses",
        "ServerDNSResolvConfFile /dev/null",
    ]


def torrc(node: TorNode, authority_lines: list[str], owner_pid: int) -> str:
    """The full torrc of one node."""
    lines = _common(node, authority_lines, owner_pid)
    if node.role == "authority":
        lines += _relay(node)
        lines += [
            f"DirPort {LOOPBACK}:{node.dir_port}",
            "ExitRelay 0",
            "ExitPolicy reject *:*",
            "AuthoritativeDirectory 1",
            "V3AuthoritativeDirectory 1",
            f"ContactInfo {node.nickname}@test.invalid",
            f"TestingV3AuthInitialVotingInterval {VOTING_INTERVAL_S}",
            "TestingV3AuthInitialVoteDelay 2",
            "TestingV3AuthInitialDistDelay 2",
            f"V3AuthVotingInterval {VOTING_INTERVAL_S}",
            "V3AuthVoteDelay 2",
            "V3AuthDistDelay 2",
        ]
    elif node.role == "exit":
        lines += _relay(node)
        lines += [
            "ExitRelay 1",
            "ExitPolicyRejectPrivate 0",
            "ExitPolicy accept 127.0.0.0/8:*",
            "ExitPolicy accept *:*",
            f"ContactInfo {node.nickname}@test.invalid",
        ]
    elif node.role == "client":
        lines += [
            f"SocksPort {LOOPBACK}:{node.socks_port} IsolateSOCKSAuth",
            "ConfluxEnabled 0",
        ]
    else:
        raise ValueError(f"unknown tor node role {node.role!r}")
    return "\n".join(lines) + "\n"
