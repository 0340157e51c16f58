"""Outages on the real stack: the proxy fails fast with a named error while the gateway or the
chain is unreachable, binds no new ticket meanwhile, and settles what was left pending once the
gateway answers again. The paths go through a TCP forwarder that is closed and reopened."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from prover.chain.mirror import Finality, VaultMirror
from prover.client.discovery import connect_chain
from prover.client.payer.payer import Payer
from prover.client.payer.ready_proofs import ProofKeeper
from prover.client.payer.request_prover import ThreadProver
from prover.client.transport.delay import DelayBounds, PreSendDelay
from prover.client.transport.private import AsyncPrivateTransport
from prover.client.tree_view import MirrorTreeView
from prover.client.wallet import Wallet
from prover.gateway.embedded import CHAT_MODEL

from .conftest import World  # type: ignore[import-not-found]
from .proxy_kit import RunningProxy, forwarder_to, running_proxy  # type: ignore[import-not-found]

pytestmark = pytest.mark.slow
GENEROUS_S = 60.0
"""A bound no healthy run comes near (the old behaviour took minutes); elapsed times are printed."""


def _call(proxy: RunningProxy) -> tuple[httpx.Response, float]:
    body = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "o"}], "max_tokens": 4}
    started = time.monotonic()
    reply = httpx.post(
        f"{proxy.base}/chat/completions", content=json.dumps(body), headers=proxy.headers(),
        trust_env=False, timeout=600,
    )  # fmt: skip
    return reply, time.monotonic() - started


def _pending(wallet: Wallet) -> int:
    return sum(1 for n in wallet.notes() if n.in_flight is not None)


def test_a_gateway_outage_fails_fast_strands_nothing_more_and_settles_when_it_is_back(
    world: World,
) -> None:
    wallet, notes = world.new_wallet("outage", [10_000, 10_000])
    payer = world.payer(wallet, "outage", retries=1)
    with forwarder_to(world.gateway_url) as path:
        payer.pin = world.pin.model_copy(update={"gateway_url": path.url})
        with running_proxy(payer, probe_timeout_s=3.0) as proxy:
            ok, _ = _call(proxy)
            assert ok.status_code == 200, ok.text

            path.muted = True  # the gateway takes requests and never answers
            lost, first_s = _call(proxy)  # in flight when the path went away: ticket kept
            assert lost.status_code == 504
            assert lost.json()["error"]["code"] == "gateway_unreachable"
            assert _pending(wallet) == 1

            fast, second_s = _call(proxy)  # known down: refused before any note is touched
            assert fast.status_code == 504
            assert "does not answer" in fast.json()["error"]["message"]
            assert _pending(wallet) == 1
            print(f"first failure {first_s:.1f} s, while known down {second_s:.2f} s")
            assert first_s < GENEROUS_S and second_s < GENEROUS_S

            path.muted = False
            back, _ = _call(proxy)  # answers: the probe passes, the pending call is resent
            assert back.status_code == 200, back.text
            deadline = time.monotonic() + 300
            while _pending(wallet):
                assert time.monotonic() < deadline, "the pending ticket was not settled"
                time.sleep(0.2)
    assert sum(wallet.note(n.id).state.n for n in notes) == 3  # ok, lost-then-settled, back


def test_an_unreachable_chain_is_named_and_fails_fast(world: World) -> None:
    wallet, notes = world.new_wallet("chain-down", [10_000])
    rpc = str(world.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    with forwarder_to(rpc) as path:
        w3 = connect_chain(path.url)
        mirror = VaultMirror(
            w3, world.pin.service.vault_address, world.root / "chain-down-mirror.sqlite",
            finality=Finality.after(0),
        )  # fmt: skip
        payer = Payer(
            wallet=wallet,
            pin=world.pin,
            proofs=ProofKeeper(
                wallet,
                MirrorTreeView(mirror),
                ThreadProver(world.prover),
                world.pin.service.service_id,
                enabled=False,
            ),
            transport=AsyncPrivateTransport(),
            delay=PreSendDelay(DelayBounds(min_s=0.0, max_s=0.05)),
        )
        try:
            with running_proxy(payer) as proxy:
                path.down()
                reply, elapsed = _call(proxy)
        finally:
            mirror.close()
    print(f"unreachable chain refused in {elapsed:.2f} s")
    assert reply.status_code == 503
    error = reply.json()["error"]
    assert error["code"] == "chain_unreachable"
    assert "chain RPC does not answer" in error["message"]
    assert elapsed < GENEROUS_S
    assert wallet.note(notes[0].id).in_flight is None and wallet.note(notes[0].id).state.n == 0
