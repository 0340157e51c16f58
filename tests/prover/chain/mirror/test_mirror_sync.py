"""The event mirror against a real Anvil and the real vault: tree, finality, restart, identity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from zkcredits_testing.devchain import DevChain

from prover.chain.mirror import (
    Finality,
    MirrorError,
    MirrorInconsistentError,
    MirrorMismatchError,
    MirrorReorgError,
    VaultMirror,
)
from prover.chain.vault import CreditVaultClient
from prover.crypto.leanimt import LeanIMT
from prover.crypto.rln import leaf, note_id
from prover.toolchain.anvil import AnvilProcess

DevNet = Any  # tests/prover/chain/conftest.py: DevNet (conftest modules are not importable)


@pytest.mark.slow
def test_the_mirror_matches_the_vaults_root_after_many_deposits(
    net: DevNet, secret: Callable[[], int]
) -> None:
    vault = net.fresh_vault()
    keys = [secret() for _ in range(37)]
    for i, k in enumerate(keys):
        net.deposit(vault, k, units=10_000 + i)
        if i % 9 == 0:
            net.mine(3)  # spread the deposits over many chunks
    mirror = net.open_mirror(vault, chunk_blocks=7)
    net.settle(mirror)
    final = mirror.last_block
    assert final is not None
    assert mirror.size == 37 == vault.tree_size()
    assert mirror.root == vault.root(block=final.number) != 0
    reference = LeanIMT()
    for i, k in enumerate(keys):
        d = mirror.deposit_at(i)
        assert d.note_id == note_id(k) and d.deposit == 10_000 + i
        assert d.leaf == leaf(note_id(k), 10_000 + i, d.expiry)
        assert reference.insert(d.leaf) == d.root  # every intermediate root was checked too
    assert reference.root == mirror.root


def test_deposits_are_ingested_only_once_they_have_enough_confirmations(
    net: DevNet, secret: Callable[[], int]
) -> None:
    vault = net.fresh_vault()
    mirror = net.open_mirror(vault, confirmations=3)
    mirror.sync()
    net.deposit(vault, secret())
    mirror.sync()
    assert mirror.size == 0
    net.mine(2)
    mirror.sync()
    assert mirror.size == 0
    net.mine(1)
    report = mirror.sync()
    assert mirror.size == 1 and report.deposits == 1
    assert mirror.root == vault.root()


def test_a_restarted_mirror_resumes_from_its_stored_block_without_reingesting(
    net: DevNet, secret: Callable[[], int]
) -> None:
    vault = net.fresh_vault()
    for _ in range(4):
        net.deposit(vault, secret())
    first = net.open_mirror(vault)
    net.settle(first)
    stored = first.last_block
    root = first.root
    assert stored is not None and first.size == 4
    first.close()

    again = net.open_mirror(vault)
    assert again.last_block == stored and again.root == root and again.size == 4
    report = again.sync()
    assert report.from_block == stored.number + 1
    assert report.events == 0
    for _ in range(3):
        net.deposit(vault, secret())
    net.mine(2)
    report = again.sync()
    assert report.from_block > stored.number and report.deposits == 3
    assert again.size == 7 and again.root == vault.root()


def test_a_mirror_file_of_another_vault_is_refused(net: DevNet, secret: Callable[[], int]) -> None:
    vault = net.fresh_vault()
    other = net.fresh_vault()
    net.deposit(vault, secret())
    net.settle(net.open_mirror(vault, name="shared.sqlite"))
    with pytest.raises(MirrorMismatchError) as info:
        net.open_mirror(other, name="shared.sqlite")
    assert info.value.field == "vault"


@pytest.mark.slow
def test_a_mirror_file_of_another_chain_at_the_same_vault_address_is_refused(
    tmp_path: Path,
    secret: Callable[[], int],
    deploy_standalone: Callable[[Web3], CreditVaultClient],
) -> None:
    """Two fresh Anvils (same chain id 31337, same deployer nonces: the same vault address and
    service_id). Anvil's genesis hash depends on its start second, so two Anvils may even share
    it: then the block the file ends at, which this chain does not have, refuses the file."""
    path = tmp_path / "mirror.sqlite"
    addresses = []
    for _ in range(2):
        with AnvilProcess() as info:
            w3 = Web3(Web3.HTTPProvider(info.rpc_url))
            vault = deploy_standalone(w3)
            addresses.append(vault.address)
            if len(addresses) == 1:
                vault.deposit(note_id(secret()), 10**13, sender=w3.eth.accounts[0])
                mirror = VaultMirror(w3, vault.address, path, finality=Finality.after(0))
                mirror.sync()
                assert mirror.size == 1
                mirror.close()
            else:
                assert addresses[0] == addresses[1]
                with pytest.raises(MirrorMismatchError) as info_:
                    VaultMirror(w3, vault.address, path, finality=Finality.after(0))
                assert info_.value.field in ("genesis_hash", "last_hash")


def test_a_reorg_below_the_ingested_block_stops_the_mirror(
    net: DevNet, w3: Web3, secret: Callable[[], int]
) -> None:
    vault = net.fresh_vault()
    dev = DevChain(w3)
    mirror = net.open_mirror(vault, confirmations=0)
    mirror.sync()
    before = dev.snapshot()
    net.deposit(vault, secret())
    mirror.sync()
    assert mirror.size == 1 and mirror.synced_at() is not None
    dev.revert(before)  # the ingested block disappears...
    net.deposit(vault, secret())  # ...and another block takes its number
    net.mine(1)
    with pytest.raises(MirrorReorgError) as info:
        mirror.sync()
    assert info.value.field == "last_hash"
    assert mirror.synced_at() is None
    with pytest.raises(MirrorReorgError):
        mirror.sync()  # stays stopped until the file is rebuilt


def test_the_finalized_tag_mode_ingests_only_up_to_the_nodes_finalized_block(
    net: DevNet, secret: Callable[[], int]
) -> None:
    vault = net.fresh_vault()
    net.deposit(vault, secret())
    deposit_block = net.w3.eth.block_number
    mirror = VaultMirror(
        net.w3, vault.address, net.tmp / "tag.sqlite", finality=Finality.finalized_tag()
    )
    mirror.sync()
    finalized = int(net.w3.eth.get_block("finalized")["number"])
    assert finalized < deposit_block and mirror.size == 0
    assert mirror.last_block is not None and mirror.last_block.number == finalized
    while int(net.w3.eth.get_block("finalized")["number"]) < deposit_block:
        net.mine(8)
    mirror.sync()
    assert mirror.size == 1


def test_bad_arguments_and_unknown_indices_are_refused_with_the_field_named(
    net: DevNet,
) -> None:
    vault = net.fresh_vault()
    with pytest.raises(MirrorError) as info:
        net.open_mirror(vault, chunk_blocks=0)
    assert info.value.field == "chunk_blocks"
    mirror = net.open_mirror(vault)
    with pytest.raises(MirrorError) as info:
        mirror.deposit_at(0)
    assert info.value.field == "index"
    with pytest.raises(MirrorError) as info:
        mirror.merkle_proof(0)
    assert info.value.field == "checkpoint"


def test_a_damaged_mirror_file_whose_leaves_disagree_with_its_roots_is_refused(
    net: DevNet, secret: Callable[[], int]
) -> None:
    import sqlite3

    vault = net.fresh_vault()
    for _ in range(3):
        net.deposit(vault, secret())
    mirror = net.open_mirror(vault)
    net.settle(mirror)
    mirror.close()
    with sqlite3.connect(net.tmp / "mirror.sqlite") as db:  # damage: one leaf changed on disk
        db.execute("UPDATE deposits SET leaf = ? WHERE idx = 1", (str(12345),))
    with pytest.raises(MirrorInconsistentError) as info:
        net.open_mirror(vault)
    assert info.value.field == "root"


def test_a_mirror_file_ending_at_a_block_this_chain_does_not_have_is_refused_on_open(
    net: DevNet, w3: Web3, secret: Callable[[], int]
) -> None:
    vault = net.fresh_vault()
    dev = DevChain(w3)
    before = dev.snapshot()
    net.deposit(vault, secret())
    mirror = net.open_mirror(vault, confirmations=0)
    mirror.sync()
    mirror.close()
    dev.revert(before)  # the file's last block is gone; other blocks take its number
    net.deposit(vault, secret())
    net.mine(3)
    with pytest.raises(MirrorMismatchError) as info:
        net.open_mirror(vault, confirmations=0)
    assert info.value.field == "last_hash"
