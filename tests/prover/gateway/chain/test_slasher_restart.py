"""A slasher that dies mid-job resumes from its job file without a second `slash` transaction;
a note someone else slashed is skipped; refusals name their field. The two shares here are the
note's real RLN shares computed by the Python twin (the circuits output the same values, checked
in the end-to-end tests); the slash proof and the vault are real."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from zkcredits_testing.devkeys import anvil_account

from prover.chain.mirror import VaultMirror
from prover.chain.vault import CreditVaultClient, NoteStatus
from prover.crypto.rln import note_id, share, slope
from prover.gateway.chain import (
    GatewayChainError,
    JobStatus,
    SecretNotDepositedError,
    Slasher,
    SlashJobsMismatchError,
)
from prover.gateway.store import SqliteNullifierStore

REQ = 0xD16E57  # the request digest h (D5) the calls here are reserved for

DevNet = Any  # tests/prover/chain/conftest.py
SLASHER = anvil_account(6)


def _two_shares(k: int, service_id: int, ticket: int = 0) -> tuple[int, int, int, int]:
    a = slope(k, ticket, service_id)
    return 11, share(k, a, 11), 22, share(k, a, 22)


@pytest.fixture
def setup(
    net: DevNet, store: SqliteNullifierStore, secret: Callable[[], int]
) -> Iterator[tuple[CreditVaultClient, VaultMirror, int]]:
    vault = net.fresh_vault()
    k = secret()
    net.deposit(vault, k)
    mirror = net.open_mirror(vault)
    net.settle(mirror)
    yield vault, mirror, k
    mirror.close()


def _slasher(net: DevNet, mirror: VaultMirror, store: SqliteNullifierStore, **kw: Any) -> Slasher:
    return Slasher(net.w3, mirror, store, SLASHER, net.tmp / "jobs.sqlite", **kw)


def _nonce(net: DevNet) -> int:
    return int(net.w3.eth.get_transaction_count(SLASHER.address))


@pytest.mark.slow
def test_a_slasher_killed_after_signing_resumes_with_the_same_transaction(
    net: DevNet, setup: Any, store: SqliteNullifierStore
) -> None:
    vault, mirror, k = setup
    nid = note_id(k)
    first = _slasher(net, mirror, store)
    first.on_double_spend(*_two_shares(k, mirror.service_id))
    signed = first.prepare(nid)
    assert signed.status is JobStatus.SIGNED and signed.tx_hash is not None
    first.close()  # dies before broadcasting
    nonce = _nonce(net)
    assert vault.note(nid).status is NoteStatus.ACTIVE

    second = _slasher(net, mirror, store)
    (done,) = second.process_pending()
    second.close()
    assert done.status is JobStatus.DONE and done.tx_hash == signed.tx_hash
    assert done.signings == 1 and _nonce(net) == nonce + 1
    assert vault.note(nid).status is NoteStatus.SLASHED
    net.settle(mirror)
    slashes = [e for e in mirror.db.note_events() if e.kind == "slashed" and e.note_id == nid]
    assert len(slashes) == 1


@pytest.mark.slow
def test_a_slasher_killed_after_broadcasting_confirms_without_sending_again(
    net: DevNet, setup: Any, store: SqliteNullifierStore
) -> None:
    vault, mirror, k = setup
    nid = note_id(k)
    first = _slasher(net, mirror, store)
    first.on_double_spend(*_two_shares(k, mirror.service_id))
    nonce = _nonce(net)
    first.prepare(nid)
    first.broadcast(nid)  # mined (automine), but the process dies before recording it
    first.close()
    assert vault.note(nid).status is NoteStatus.SLASHED

    second = _slasher(net, mirror, store)
    (done,) = second.process_pending()
    assert done.status is JobStatus.DONE and done.signings == 1
    assert _nonce(net) == nonce + 1
    assert second.process_pending() == []  # nothing left open
    second.close()


@pytest.mark.slow
def test_a_lost_nonce_is_detected_and_the_slash_is_signed_again(
    net: DevNet, setup: Any, store: SqliteNullifierStore
) -> None:
    vault, mirror, k = setup
    nid = note_id(k)
    first = _slasher(net, mirror, store, receipt_timeout=2.0)
    first.on_double_spend(*_two_shares(k, mirror.service_id))
    signed = first.prepare(nid)
    # Another transaction of the provider's account takes the job's nonce first.
    other = SLASHER.sign_transaction(
        {"to": net.user, "value": 1, "gas": 21_000, "nonce": int(signed.nonce or 0),
         "chainId": net.w3.eth.chain_id, "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9}
    )  # fmt: skip
    net.w3.eth.send_raw_transaction(other.raw_transaction)
    (requeued,) = first.process_pending()
    assert requeued.status is JobStatus.QUEUED and vault.note(nid).status is NoteStatus.ACTIVE
    (done,) = first.process_pending()
    assert done.status is JobStatus.DONE and done.signings == 2
    assert done.nonce == (signed.nonce or 0) + 1
    assert vault.note(nid).status is NoteStatus.SLASHED
    first.close()


@pytest.mark.slow
def test_a_note_already_slashed_by_another_gateway_is_skipped_without_a_transaction(
    net: DevNet, setup: Any, store: SqliteNullifierStore, tmp_path: Any
) -> None:
    vault, mirror, k = setup
    nid = note_id(k)
    replica = Slasher(net.w3, mirror, store, anvil_account(7), tmp_path / "replica-jobs.sqlite")
    replica.on_double_spend(*_two_shares(k, mirror.service_id))
    assert replica.process_pending()[0].status is JobStatus.DONE
    replica.close()
    assert vault.note(nid).status is NoteStatus.SLASHED

    nonce = _nonce(net)
    ours = _slasher(net, mirror, store)
    ours.on_double_spend(*_two_shares(k, mirror.service_id, ticket=0))
    (job,) = ours.process_pending()
    assert job.note_id == nid
    assert job.status is JobStatus.ALREADY_SLASHED and job.tx_hash is None
    assert _nonce(net) == nonce
    ours.close()


def test_a_secret_of_no_deposited_note_is_refused_and_queues_nothing(
    net: DevNet, setup: Any, store: SqliteNullifierStore, secret: Callable[[], int]
) -> None:
    _vault, mirror, _k = setup
    slasher = _slasher(net, mirror, store)
    with pytest.raises(SecretNotDepositedError) as refused:
        slasher.on_double_spend(*_two_shares(secret(), mirror.service_id))
    assert refused.value.field == "k"
    with pytest.raises(GatewayChainError) as info:
        slasher.on_double_spend(5, 7, 5, 9)  # one x: no line through the shares
    assert info.value.field == "x2"
    assert slasher.jobs.all() == [] and store.stats().denied == 0
    slasher.close()


def test_a_job_file_of_another_vault_is_refused(
    net: DevNet, setup: Any, store: SqliteNullifierStore
) -> None:
    _vault, mirror, _k = setup
    _slasher(net, mirror, store).close()
    other = net.open_mirror(net.fresh_vault(), name="other.sqlite")
    with pytest.raises(SlashJobsMismatchError) as info:
        _slasher(net, other, store)
    assert info.value.field == "vault"
    other.close()


def test_the_deny_list_starts_at_the_notes_first_unspent_ticket(
    net: DevNet, setup: Any, store: SqliteNullifierStore
) -> None:
    from prover.gateway.chain import ticket_nullifier

    _vault, mirror, k = setup
    sid = mirror.service_id
    for t in range(3):  # tickets 0..2 served (shares of the real line; any E_anon)
        a = slope(k, t, sid)
        nul = ticket_nullifier(k, t, sid)
        store.reserve(nul, 100 + t, share(k, a, 100 + t), (0, 1), REQ)
    slasher = _slasher(net, mirror, store, deny_ahead=5)
    job = slasher.on_double_spend(*_two_shares(k, sid, ticket=2))
    assert (job.denied_from, job.denied_to) == (3, 7)
    assert store.stats().denied == 5
    assert slasher.first_unspent_ticket(k) == 8
    slasher.close()
