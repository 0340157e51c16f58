"""Root checkpoints of PROTOCOL §11: the root at each root_epoch boundary, recorded lazily."""

from __future__ import annotations

from typing import Any

from prover.chain.vault import CreditVaultClient
from prover.crypto.rln import note_id

from .vault_setup import GWEI, D, reverts_with

EPOCH = 600


def test_each_boundary_checkpoints_the_root_after_every_earlier_deposit(
    eth_vault: CreditVaultClient, alice: str, dev: Any
) -> None:
    start = (dev.timestamp() // EPOCH + 1) * EPOCH
    dev.advance_to(start + 10)  # epoch e0
    e0 = start // EPOCH
    assert eth_vault.checkpoint_root(e0) == 0
    receipt = eth_vault.deposit(note_id(1), D * GWEI, sender=alice)
    assert eth_vault.events("RootCheckpointed", receipt) == [{"epoch": e0, "root": 0}]
    r1 = eth_vault.root()
    receipt = eth_vault.deposit(note_id(2), D * GWEI, sender=alice)  # same epoch: no record
    assert eth_vault.events("RootCheckpointed", receipt) == []
    r2 = eth_vault.root()
    assert eth_vault.checkpoint_root(e0) == 0  # the boundary came before both deposits
    assert eth_vault.latest_checkpoint() == (e0, 0)

    # Three quiet epochs later: every boundary since sees r2.
    dev.advance_to(start + 3 * EPOCH + 5)
    for e in (e0 + 1, e0 + 2, e0 + 3):
        assert eth_vault.checkpoint_root(e) == r2
    assert eth_vault.latest_checkpoint() == (e0 + 3, r2)
    receipt = eth_vault.deposit(note_id(3), D * GWEI, sender=alice)
    assert eth_vault.events("RootCheckpointed", receipt) == [{"epoch": e0 + 3, "root": r2}]
    r3 = eth_vault.root()
    assert r3 not in (r1, r2)
    for e in (e0 + 1, e0 + 2, e0 + 3):
        assert eth_vault.checkpoint_root(e) == r2  # unchanged by the later deposit
    assert eth_vault.checkpoint_root(e0) == 0

    # A block stamped exactly on a boundary belongs to the new epoch.
    dev.set_next_timestamp(start + 4 * EPOCH)
    receipt = eth_vault.deposit(note_id(4), D * GWEI, sender=alice)
    assert eth_vault.events("RootCheckpointed", receipt) == [{"epoch": e0 + 4, "root": r3}]
    assert eth_vault.latest_checkpoint() == (e0 + 4, r3)

    with reverts_with("EpochNotReached") as err:
        eth_vault.checkpoint_root(e0 + 5)
    assert err.args == (e0 + 5, e0 + 4)


def test_a_checkpoint_read_at_an_older_block_gives_that_blocks_view(
    eth_vault: CreditVaultClient, alice: str, dev: Any, w3: Any
) -> None:
    start = (dev.timestamp() // EPOCH + 1) * EPOCH
    dev.advance_to(start + 1)
    eth_vault.deposit(note_id(1), D * GWEI, sender=alice)
    dev.advance_to(start + EPOCH + 1)
    eth_vault.deposit(note_id(2), D * GWEI, sender=alice)
    old_block = w3.eth.block_number
    r_old = eth_vault.root()
    dev.advance_to(start + 2 * EPOCH + 1)
    eth_vault.deposit(note_id(3), D * GWEI, sender=alice)
    epoch, root = eth_vault.latest_checkpoint(block=old_block)
    assert (epoch, root) == (start // EPOCH + 1, eth_vault.checkpoint_root(start // EPOCH + 1))
    assert eth_vault.latest_checkpoint() == (start // EPOCH + 2, r_old)
