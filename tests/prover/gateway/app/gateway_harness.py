"""Helpers of the gateway app tests: a gateway on a fresh SQLite store, the session's payments."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from gateway_world import SERVER_SK, FixedUpstream, NoPenalty, Paid, TreeChainView, settings

from prover.circuits.prover import CircuitKeys
from prover.gateway.app import DoubleSpendEvidence, DoubleSpendSink, GatewaySettings, create_app
from prover.gateway.app.verify import VerifyFn
from prover.gateway.app.wiring import build_policy
from prover.gateway.policy.log import PenaltyLog
from prover.gateway.ports import Policy, Upstream
from prover.gateway.store import SqliteNullifierStore

CHAT = "/v1/chat/completions"


def chat_body(text: str, stream: bool = False) -> bytes:
    s = ',"stream":true,"stream_options":{"include_usage":true}' if stream else ""
    body = '{"model":"m","max_tokens":50,"messages":[{"role":"user","content":"%s"}]%s}'
    return (body % (text, s)).encode()


@dataclass(frozen=True, repr=False)
class Payments:
    chat: Paid  # note 0, ticket 0
    chat_other: Paid  # note 0, ticket 0, another request: a double-spend of `chat`
    data: Paid  # note 1, GET with a query string
    stream: Paid  # note 2, streamed chat
    spare: Paid  # note 3, chat


@dataclass
class Gateway:
    client: TestClient
    store: SqliteNullifierStore
    chain: TreeChainView
    upstream: FixedUpstream
    slashed: list[DoubleSpendEvidence]


@contextmanager
def make_gateway(
    keys: CircuitKeys | VerifyFn,
    db: Path,
    cfg: GatewaySettings | None = None,
    real: Upstream | None = None,
    *,
    fail: bool = False,
    raise_error: bool = False,
    policy: Policy | None = None,
    sink: DoubleSpendSink | None = None,
    penalty_log: PenaltyLog | None = None,
) -> Iterator[Gateway]:
    """A gateway on a fresh SQLite store. With `real`, that upstream (the colleagues' real
    `HttpUpstream`) and the real `RulePolicy`; else the in-test `FixedUpstream` and `NoPenalty`."""
    cfg = cfg or settings()
    store = SqliteNullifierStore(db)
    chain = TreeChainView()
    up = FixedUpstream(fail=fail, raise_error=raise_error)
    slashed: list[DoubleSpendEvidence] = []
    app = create_app(
        cfg,
        chain=chain,
        upstream=real or up,
        policy=policy or (build_policy(cfg) if real else NoPenalty()),
        store=store,
        keys=keys,
        server_secret=SERVER_SK,
        double_spend_sink=sink or slashed.append,
        penalty_log=penalty_log,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Gateway(client, store, chain, up, slashed)
    store.close()
