"""The gateway's `ChainView` over the mirror, the background `ChainSync` loop, and a slasher
process killed with SIGKILL in the middle of a job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from zkcredits_testing.devkeys import anvil_account

from prover.chain.mirror import Finality, VaultMirror
from prover.chain.vault import CreditVaultClient, NoteStatus
from prover.crypto.rln import note_id, share, slope
from prover.gateway.chain import (
    GatewayChainError,
    JobStatus,
    MirrorChainView,
    Slasher,
    SlashJobs,
    open_gateway_chain,
)
from prover.gateway.ports import ChainView
from prover.gateway.store import Kind, SqliteNullifierStore

DevNet = Any  # tests/prover/chain/conftest.py
NewNote = Callable[[CreditVaultClient, VaultMirror], Any]
SLASHER = anvil_account(6)


def test_the_view_is_unsynced_until_the_first_sync_and_again_when_stale(
    net: DevNet, secret: Callable[[], int]
) -> None:
    vault = net.fresh_vault()
    k = secret()
    net.deposit(vault, k)
    net.next_epoch()
    now = [1000.0]
    mirror = VaultMirror(
        net.w3, vault.address, net.tmp / "clocked.sqlite", finality=Finality.after(2),
        clock=lambda: now[0],
    )  # fmt: skip
    view: ChainView = MirrorChainView(mirror, max_staleness=30, clock=lambda: now[0])
    assert not view.is_synced()
    net.mine(2)
    mirror.sync()
    root = mirror.root
    chain_now = net.timestamp()
    assert view.is_synced()
    assert view.is_accepted_root(root, chain_now)
    assert view.is_deposited_id(note_id(k)) and not view.is_deposited_id(note_id(k) + 1)
    now[0] += 31  # no successful sync for longer than max_staleness
    assert not view.is_synced()
    assert not view.is_accepted_root(root, chain_now)  # nothing is accepted while unsynced
    mirror.sync()
    assert view.is_synced()
    mirror.close()


@pytest.mark.slow
def test_the_background_loop_records_an_exit_without_being_asked(
    net: DevNet, store: SqliteNullifierStore, new_note: NewNote
) -> None:
    vault = net.fresh_vault()
    chain = open_gateway_chain(
        net.w3, vault.address, store, SLASHER, net.tmp / "chain",
        finality=Finality.after(2), poll_interval=0.2,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not chain.view.is_synced() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert chain.view.is_synced()
        note = new_note(vault, chain.mirror)
        proof = note.withdraw_proof(0, net.user)
        signals = [int(s) for s in proof.public_signals]
        vault.request_withdrawal(proof.calldata, signals, sender=net.user)
        net.mine(2)
        while store.get_record(signals[3]) is None and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        chain.close()
    record = store.get_record(signals[3])
    assert record is not None and record.kind is Kind.WITHDRAWAL
    assert chain.loop.last_error is None and chain.loop.steps > 0


def test_the_serve_components_factory_wires_the_view_and_the_slasher(
    net: DevNet, store: SqliteNullifierStore, deployment: Any, anvil: Any, server_secret: int
) -> None:
    from prover.crypto.eddsa import public_key
    from prover.gateway.app.settings import GatewaySettings
    from prover.gateway.app.wiring import Components, RunContext, WiringOptions, load_factory
    from prover.gateway.chain.vault_check import LocalKeys
    from prover.gateway.config import ServeSettings
    from prover.gateway.datadir import DataDir
    from prover.gateway.replicas import open_shared_state

    vault = net.fresh_vault()
    params = vault.params()
    key_file = net.tmp / "slasher.key"
    key_file.write_text("0x" + bytes(SLASHER.key).hex())
    key_file.chmod(0o600)
    settings = GatewaySettings(
        chain_id=31337, vault=vault.address, unit=params.unit, c_max=params.c_max,
        reserve=params.reserve, penalty_max=params.penalty_max,
        price_schedule=deployment.price_schedule, vk_hashes=deployment.vk_hashes,
        root_epoch=params.root_epoch, root_ttl=params.root_ttl,
    )  # fmt: skip
    data = DataDir.open(net.tmp / "data")
    where = data.deployment(31337, vault.address)
    shared = open_shared_state("sqlite", where.store_url, where, settings, server_secret)
    serve = ServeSettings(slasher_key_file=key_file, finality="2", chain_poll_seconds=0.2)
    run = RunContext(
        serve=serve, data=data, deployment=where, server_pk=public_key(server_secret),
        start_block=0, local_keys=LocalKeys(), shared=shared,
    )  # fmt: skip
    factory = load_factory("prover.gateway.chain.components:components")
    options = WiringOptions(rpc_url=anvil.rpc_url, upstream="embedded", run=run)
    parts = factory(settings, store, options)
    try:
        assert isinstance(parts, Components)
        assert isinstance(parts.chain, MirrorChainView)
        assert isinstance(parts.double_spend_sink, Slasher)
        assert parts.double_spend_sink.account.address == SLASHER.address
        assert parts.chain.mirror.finality == Finality.after(2)
        assert (where.chain_dir / "mirror.sqlite").exists()
    finally:
        parts.close()
        shared.close()
    with pytest.raises(GatewayChainError) as info:
        factory(settings, store, WiringOptions(rpc_url=None, run=run))
    assert info.value.field == "rpc_url"


_CHILD = """
import sys, time
from pathlib import Path
from web3 import Web3
from zkcredits_testing.devkeys import anvil_account
from prover.chain.mirror import Finality, VaultMirror
from prover.gateway.chain import Slasher
from prover.gateway.store import SqliteNullifierStore
rpc, vault, tmp = sys.argv[1], sys.argv[2], Path(sys.argv[3])
w3 = Web3(Web3.HTTPProvider(rpc))
mirror = VaultMirror(w3, vault, tmp / "child-mirror.sqlite", finality=Finality.after(2))
mirror.sync()
slasher = Slasher(w3, mirror, SqliteNullifierStore(tmp / "store.sqlite"), anvil_account(6),
                  tmp / "jobs.sqlite")
while True:
    slasher.process_pending()
    time.sleep(0.05)
"""


@pytest.mark.slow
def test_a_slasher_process_killed_mid_job_is_resumed_without_a_second_submission(
    net: DevNet, anvil: Any, secret: Callable[[], int]
) -> None:
    vault = net.fresh_vault()
    k = secret()
    nid = note_id(k)
    net.deposit(vault, k)
    mirror = net.open_mirror(vault)
    net.settle(mirror)
    store = SqliteNullifierStore(net.tmp / "store.sqlite")
    first = Slasher(net.w3, mirror, store, SLASHER, net.tmp / "jobs.sqlite")
    a = slope(k, 0, mirror.service_id)
    first.on_double_spend(3, share(k, a, 3), 4, share(k, a, 4))
    first.close()
    nonce = int(net.w3.eth.get_transaction_count(SLASHER.address))

    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, anvil.rpc_url, vault.address, str(net.tmp)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        jobs = SlashJobs(net.tmp / "jobs.sqlite", chain_id=mirror.chain_id, vault=mirror.vault)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job = jobs.get(nid)
            if job is not None and job.status is not JobStatus.QUEUED:
                break
            assert child.poll() is None, "the slasher child died on its own"
            time.sleep(0.02)
        jobs.close()
    finally:
        os.kill(child.pid, signal.SIGKILL)  # mid-job: signed, maybe broadcast, maybe confirmed
        child.wait()

    resumed = Slasher(net.w3, mirror, store, SLASHER, net.tmp / "jobs.sqlite")
    resumed.process_pending()
    job = resumed.jobs.get(nid)
    assert job is not None and job.status is JobStatus.DONE and job.signings == 1
    assert vault.note(nid).status is NoteStatus.SLASHED
    assert int(net.w3.eth.get_transaction_count(SLASHER.address)) == nonce + 1
    net.settle(mirror)
    slashes = [e for e in mirror.db.note_events() if e.kind == "slashed" and e.note_id == nid]
    assert len(slashes) == 1
    resumed.close()
    store.close()
    mirror.close()
