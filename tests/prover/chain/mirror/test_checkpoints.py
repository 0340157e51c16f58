"""Checkpoint acceptance (PROTOCOL §11) on a real vault, cross-checked against the vault's own
`checkpointRoot` view, plus the boundary rules of the pure index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from prover.chain.mirror import CheckpointIndex, MirrorError
from prover.crypto.leanimt import verify_proof

DevNet = Any  # tests/prover/chain/conftest.py: DevNet (conftest modules are not importable)
EPOCH, TTL = 600, 3600  # the deployment's root_epoch and root_ttl (conftest)


@pytest.mark.slow
def test_a_new_deposit_becomes_usable_only_at_the_next_checkpoint(
    net: DevNet, secret: Callable[[], int]
) -> None:
    vault = net.fresh_vault()
    net.next_epoch(offset=5)
    net.deposit(vault, secret())
    mirror = net.open_mirror(vault)
    net.settle(mirror)
    root_a = mirror.root
    now = net.timestamp()
    assert not mirror.is_accepted_root(root_a, now)  # same epoch as the deposit
    assert mirror.newest_checkpoint(now) is None  # the tree was empty at this epoch's boundary

    boundary = net.next_epoch()
    net.settle(mirror)
    now = net.timestamp()
    assert mirror.is_accepted_root(root_a, now)
    cp = mirror.newest_checkpoint(now)
    assert cp is not None and cp.root == root_a and cp.size == 1 and cp.boundary == boundary
    assert vault.checkpoint_root(cp.epoch) == root_a

    net.deposit(vault, secret())  # first deposit of the epoch: RootCheckpointed(epoch, root_a)
    net.settle(mirror)
    root_ab = mirror.root
    now = net.timestamp()
    assert mirror.is_accepted_root(root_a, now) and not mirror.is_accepted_root(root_ab, now)
    recorded = mirror.recorded_checkpoints()[-1]
    assert (recorded.epoch, recorded.root) == (cp.epoch, root_a)
    proof = mirror.merkle_proof(0)
    assert proof.root == root_a and verify_proof(proof)
    with pytest.raises(MirrorError) as info:
        mirror.merkle_proof(1)  # the second note is not in any checkpoint yet
    assert info.value.field == "leaf_index"

    net.next_epoch()
    net.settle(mirror)
    now = net.timestamp()
    newest = mirror.newest_checkpoint(now)
    assert newest is not None and newest.root == root_ab and newest.size == 2
    assert mirror.is_accepted_root(root_ab, now) and mirror.is_accepted_root(root_a, now)
    second = mirror.merkle_proof(1)
    assert second.root == root_ab and verify_proof(second)


def test_an_expired_checkpoint_is_refused(net: DevNet, secret: Callable[[], int]) -> None:
    vault = net.fresh_vault()
    net.deposit(vault, secret())
    net.next_epoch()
    mirror = net.open_mirror(vault)
    net.settle(mirror)
    root_a = mirror.root
    cp = mirror.latest_checkpoint_for(root_a)
    assert cp is not None and mirror.is_accepted_root(root_a, net.timestamp())
    net.deposit(vault, secret())  # root_a is now the checkpoint of cp.epoch only
    net.settle(mirror)
    assert mirror.is_accepted_root(root_a, cp.expires_at)  # the last second it is accepted
    assert not mirror.is_accepted_root(root_a, cp.expires_at + 1)

    net.dev.advance_to(cp.expires_at + EPOCH)  # chain time past root_ttl
    net.settle(mirror)
    now = net.timestamp()
    assert not mirror.is_accepted_root(root_a, now)
    newest = mirror.newest_checkpoint(now)
    assert newest is not None and newest.root == mirror.root != root_a
    assert mirror.is_accepted_root(mirror.root, now)


def test_a_stalled_finality_point_lets_the_newest_checkpoint_expire(
    net: DevNet, secret: Callable[[], int]
) -> None:
    vault = net.fresh_vault()
    net.deposit(vault, secret())
    net.next_epoch()
    mirror = net.open_mirror(vault)
    net.settle(mirror)
    cp = mirror.newest_checkpoint(net.timestamp())
    assert cp is not None
    # No new final block: a gateway whose chain view stopped must not accept roots forever.
    assert mirror.newest_checkpoint(cp.expires_at + 1) is None
    assert not mirror.is_accepted_root(cp.root, cp.expires_at + 1)


def test_root_zero_and_roots_that_never_were_checkpoints_are_refused(
    net: DevNet, secret: Callable[[], int]
) -> None:
    vault = net.fresh_vault()
    mirror = net.open_mirror(vault)
    net.next_epoch()
    net.settle(mirror)
    now = net.timestamp()
    assert vault.checkpoint_root(now // EPOCH) == 0  # the vault's checkpoint of an empty tree
    assert not mirror.is_accepted_root(0, now)
    assert mirror.newest_checkpoint(now) is None
    net.deposit(vault, secret())
    net.deposit(vault, secret())  # same epoch: the one-leaf root is never a checkpoint
    net.next_epoch()
    net.settle(mirror)
    now = net.timestamp()
    one_leaf_root = mirror.deposit_at(0).root
    assert not mirror.is_accepted_root(one_leaf_root, now)
    assert not mirror.is_accepted_root(mirror.root + 1, now)
    assert mirror.is_accepted_root(mirror.root, now)
    assert not mirror.is_accepted_root(0, now)


def test_the_mirrors_checkpoints_agree_with_the_vaults_view_in_every_epoch(
    net: DevNet, secret: Callable[[], int]
) -> None:
    vault = net.fresh_vault()
    start_epoch = net.timestamp() // EPOCH
    plan = [2, 0, 1, 0, 0, 3, 1]  # deposits per epoch, with empty epochs in between
    for count in plan:
        for _ in range(count):
            net.deposit(vault, secret())
        net.next_epoch(offset=7)
    mirror = net.open_mirror(vault)
    net.settle(mirror)
    final = mirror.last_block
    assert final is not None
    last_epoch = final.timestamp // EPOCH
    for epoch in range(start_epoch + 1, last_epoch + 1):
        on_chain = vault.checkpoint_root(epoch, block=final.number)
        cp = mirror.checkpoint_at(epoch)
        assert (cp.root if cp is not None else 0) == on_chain, epoch
    assert mirror.checkpoint_at(last_epoch + 1) is None  # not final yet
    for event in mirror.recorded_checkpoints():
        assert vault.checkpoint_root(event.epoch, block=final.number) == event.root


def test_a_deposit_stamped_exactly_on_a_boundary_belongs_to_the_new_epoch() -> None:
    index = CheckpointIndex(
        roots=(11, 22), times=(1199, 1200), final_timestamp=1800, root_epoch=600, root_ttl=3600
    )
    assert index.latest_for_root(11) is not None
    cp = index.latest_for_root(11)
    assert cp is not None and cp.epoch == 2 and cp.size == 1  # root at the boundary 1200
    latest = index.latest_for_root(22)
    assert latest is not None and latest.epoch == 3  # final epoch 1800 // 600
    assert index.at_epoch(2) == cp
    assert index.at_epoch(4) is None  # beyond the finality point
    assert index.is_accepted(22, 1800 + 3600) and not index.is_accepted(22, 1800 + 3601)
    assert not index.is_accepted(11, 1200 + 3601) and index.is_accepted(11, 1200 + 3600)
