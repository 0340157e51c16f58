"""The watcher and the slasher end to end with real proofs: `request` proofs recorded through the
store's `reserve`, a real `withdraw` proof submitted to the real vault, a real `slash` proof."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from zkcredits_testing.devkeys import anvil_account

from prover.chain.errors import ContractRevertError
from prover.chain.mirror import VaultMirror
from prover.chain.vault import CreditVaultClient, NoteStatus
from prover.crypto.field import P
from prover.crypto.rln import note_id, withdrawal_point
from prover.gateway.app.doublespend import evidence_for
from prover.gateway.chain import (
    DEFAULT_DENY_AHEAD,
    JobStatus,
    MirrorChainView,
    Slasher,
    WithdrawalWatcher,
    ticket_nullifier,
)
from prover.gateway.store import DoubleSpend, Kind, SqliteNullifierStore

REQ = 0xD16E57  # the request digest h (D5) the calls here are reserved for

DevNet = Any  # tests/prover/chain/conftest.py
NewNote = Callable[[CreditVaultClient, VaultMirror], Any]  # conftest.UserNote
SLASHER = anvil_account(6)
DAY = 86400


@dataclass
class Gateway:
    vault: CreditVaultClient
    mirror: VaultMirror
    store: SqliteNullifierStore
    slasher: Slasher
    watcher: WithdrawalWatcher


@pytest.fixture
def gateway(net: DevNet, store: SqliteNullifierStore) -> Iterator[Gateway]:
    vault = net.fresh_vault()
    mirror = net.open_mirror(vault)
    slasher = Slasher(net.w3, mirror, store, SLASHER, net.tmp / "slash-jobs.sqlite")
    yield Gateway(vault, mirror, store, slasher, WithdrawalWatcher(mirror, store, slasher))
    slasher.close()
    mirror.close()


def _x() -> int:
    return secrets.randbelow(P - 1) + 1


def _signals(proof: Any) -> list[int]:
    return [int(s) for s in proof.public_signals]


@pytest.mark.slow
def test_an_honest_withdrawal_burns_its_ticket_in_the_store_and_slashes_nothing(
    net: DevNet, gateway: Gateway, new_note: NewNote
) -> None:
    g = gateway
    note = new_note(g.vault, g.mirror)
    today = net.timestamp() // DAY
    note.pay(g.store, _x(), today)
    proof = note.withdraw_proof(1, net.user)  # the newest state: ticket 1 is unspent
    g.vault.request_withdrawal(proof.calldata, _signals(proof), sender=net.user)
    net.settle(g.mirror)
    report = g.watcher.process()
    assert (report.recorded, report.stale_exits) == (1, [])
    (exit_event,) = g.mirror.withdrawals()
    assert exit_event.note_id == note_id(note.k) and exit_event.recipient == net.user
    assert (exit_event.charged, exit_event.penalties, exit_event.pending) == (100, 0, False)
    assert exit_event.nullifier_t == _signals(proof)[3]
    assert exit_event.ready_at == g.vault.note(note_id(note.k)).exit_ready_at
    nullifier_t, y_w = _signals(proof)[3], _signals(proof)[4]
    record = g.store.get_record(nullifier_t)
    assert record is not None and record.kind is Kind.WITHDRAWAL
    assert (record.x, record.y) == (withdrawal_point(g.mirror.service_id), y_w)
    assert g.slasher.jobs.all() == []
    assert g.mirror.note_status(note_id(note.k)) is NoteStatus.EXITING
    # The burnt ticket can no longer pay a call: the store answers a double-spend with its share.
    late = note.request_proof(1, _x(), today)
    y, nul, ex, ey = _signals(late)[:4]
    outcome = g.store.reserve(nul, _signals(late)[6], y, (ex, ey), REQ)
    assert isinstance(outcome, DoubleSpend) and outcome.first_kind is Kind.WITHDRAWAL
    assert g.watcher.process().recorded == 0  # the cursor moved on
    net.dev.advance(2 * DAY + 1)  # exit_delay: nobody challenged an honest exit
    g.vault.finalize_withdrawal(note_id(note.k), sender=net.user)
    net.settle(g.mirror)
    assert g.mirror.note_status(note_id(note.k)) is NoteStatus.CLOSED
    assert g.slasher.jobs.all() == []


@pytest.mark.slow
def test_a_stale_exit_from_a_spent_ticket_is_slashed_inside_the_exit_window(
    net: DevNet, gateway: Gateway, new_note: NewNote
) -> None:
    """THE KEY TEST: ticket m = 1 was spent on a call at x; the user then exits from the stale
    state m (t = 1). The watcher recovers k from the call's share and the exit's share, the
    slasher proves and submits `slash`, the exit is cancelled and the whole deposit goes to the
    treasury; the note's next nullifiers are deny-listed."""
    g = gateway
    note = new_note(g.vault, g.mirror)
    nid = note_id(note.k)
    today = net.timestamp() // DAY
    note.pay(g.store, _x(), today)  # ticket 0
    note.pay(g.store, _x(), today)  # ticket 1 = m, spent on a call
    stale = note.withdraw_proof(1, net.user)  # t = n + pending = 1: the spent ticket
    g.vault.request_withdrawal(stale.calldata, _signals(stale), sender=net.user)
    ready_at = g.vault.note(nid).exit_ready_at
    treasury_before = g.vault.owed(net.treasury)

    net.settle(g.mirror)
    report = g.watcher.process()
    assert report.stale_exits == [nid]
    job = g.slasher.jobs.get(nid)
    assert job is not None and job.k == note.k and job.status is JobStatus.QUEUED
    assert (job.denied_from, job.denied_to) == (2, 2 + DEFAULT_DENY_AHEAD - 1)

    (done,) = g.slasher.process_pending()
    assert done.status is JobStatus.DONE and done.signings == 1
    assert net.timestamp() < ready_at  # inside the exit window
    receipt = net.w3.eth.get_transaction_receipt(done.tx_hash)
    assert receipt["from"] == SLASHER.address and receipt["gasUsed"] < 1_500_000
    (slashed,) = g.vault.contract.events.Slashed().process_receipt(receipt)
    assert slashed["args"]["id"] == nid and slashed["args"]["exitCancelled"] is True
    view = g.vault.note(nid)
    assert view.status is NoteStatus.SLASHED
    unit = g.vault.params().unit
    assert g.vault.owed(net.treasury) - treasury_before == note.deposit * unit
    assert g.vault.owed(net.user) == 0
    net.settle(g.mirror)
    assert g.mirror.note_status(nid) is NoteStatus.SLASHED
    net.dev.advance(2 * DAY + 1)
    with pytest.raises(ContractRevertError) as info:
        g.vault.finalize_withdrawal(nid, sender=net.user)
    assert info.value.name == "NoteNotExiting"  # the exit was cancelled

    sid = g.mirror.service_id
    for t in (2, 3, 2 + DEFAULT_DENY_AHEAD - 1):
        record = g.store.get_record(ticket_nullifier(note.k, t, sid))
        assert record is not None and record.kind is Kind.DENIED
    assert g.store.get_record(ticket_nullifier(note.k, 2 + DEFAULT_DENY_AHEAD, sid)) is None
    for t, (x, _y, nul) in enumerate(note.calls):  # spent tickets keep their call records
        record = g.store.get_record(nul)
        assert record is not None and record.kind is Kind.CALL and record.x == x, t
    # The note's next real call is refused by the store.
    nxt = note.request_proof(2, _x(), today)
    y, nul, ex, ey = _signals(nxt)[:4]
    outcome = g.store.reserve(nul, _signals(nxt)[6], y, (ex, ey), REQ)
    assert isinstance(outcome, DoubleSpend) and outcome.first_kind is Kind.DENIED


@pytest.mark.slow
def test_two_calls_on_one_ticket_reported_by_the_app_get_the_note_slashed(
    net: DevNet, gateway: Gateway, new_note: NewNote
) -> None:
    g = gateway
    note = new_note(g.vault, g.mirror)
    nid = note_id(note.k)
    today = net.timestamp() // DAY
    note.pay(g.store, _x(), today)  # ticket 0 at x_a
    x_b = _x()
    second = note.request_proof(0, x_b, today)  # the same ticket again, another request
    y_b, nul, ex, ey = _signals(second)[:4]
    outcome = g.store.reserve(nul, x_b, y_b, (ex, ey), REQ)
    assert isinstance(outcome, DoubleSpend) and outcome.first_kind is Kind.CALL
    # The app's own double-spend branch (evidence_for) hands the evidence to the slasher.
    evidence = evidence_for(outcome, nul, x_b, y_b, MirrorChainView(g.mirror))
    assert evidence is not None and evidence.k == note.k and evidence.deposited
    treasury_before = g.vault.owed(net.treasury)
    g.slasher(evidence)
    job = g.slasher.jobs.get(nid)
    assert job is not None and job.status is JobStatus.QUEUED and job.denied_from == 1
    (done,) = g.slasher.process_pending()
    assert done.status is JobStatus.DONE
    assert g.vault.note(nid).status is NoteStatus.SLASHED
    assert g.vault.owed(net.treasury) - treasury_before == note.deposit * g.vault.params().unit
    # Reported again (a retry of the same evidence): one job, no second transaction.
    nonce = net.w3.eth.get_transaction_count(SLASHER.address)
    first_share = outcome.share
    assert first_share is not None
    again = g.slasher.on_double_spend(first_share[0], first_share[1], x_b, y_b)
    assert again.status is JobStatus.DONE
    assert g.slasher.process_pending() == []
    assert net.w3.eth.get_transaction_count(SLASHER.address) == nonce
