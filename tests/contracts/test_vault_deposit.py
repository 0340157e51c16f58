"""deposit(ID) of PROTOCOL §4 on EthCreditVault: leaf, tree, event and every refusal."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from web3 import Web3

from prover.chain.tx import send
from prover.chain.vault import CreditVaultClient, NoteStatus
from prover.crypto.field import P
from prover.crypto.leanimt import LeanIMT
from prover.crypto.rln import leaf, note_id

from .vault_setup import DAY, GWEI, D, reverts_with

MIN = D * GWEI


def test_a_deposit_appends_the_poseidon_leaf_and_emits_the_twin_trees_root(
    eth_vault: CreditVaultClient, alice: str
) -> None:
    tree = LeanIMT()
    for i in range(7):
        nid = note_id(1000 + i)
        amount = MIN + i * GWEI
        receipt = eth_vault.deposit(nid, amount, sender=alice)
        (event,) = eth_vault.events("Deposited", receipt)
        expiry = eth_vault.current_day() + 30
        assert event["id"] == nid
        assert event["index"] == i
        assert event["deposit"] == amount // GWEI
        assert event["expiry"] == expiry
        assert event["leaf"] == leaf(nid, amount // GWEI, expiry)
        tree.insert(event["leaf"])
        assert event["root"] == tree.root == eth_vault.root()
        note = eth_vault.note(nid)
        assert (note.status, note.deposit, note.expiry) == (
            NoteStatus.ACTIVE,
            amount // GWEI,
            expiry,
        )
    assert eth_vault.tree_size() == 7
    assert eth_vault.tree_depth() == tree.depth == 3
    assert eth_vault.balance() == sum(MIN + i * GWEI for i in range(7))


def test_the_append_only_tree_gives_zk_kits_roots_and_depths_for_every_size(
    w3: Web3, isolated: None, deployer: str, deploy_helper: Callable[..., Any]
) -> None:
    reference = deploy_helper("LeanIMTReference")
    address = reference.address
    rng = random.Random(7)
    leaves = [rng.randrange(1, P) for _ in range(70)]
    twin = LeanIMT()
    for batch in (leaves[:1], leaves[1:2], leaves[2:17], leaves[17:33], leaves[33:]):
        data = reference.encode_abi("insertBoth", args=[batch])
        send(w3, sender=deployer, to=address, data=data, gas=20_000_000)
        for item in batch:
            twin.insert(item)
        zkkit, append_only = reference.functions.roots().call()
        assert zkkit == append_only == twin.root


def test_an_id_of_zero_or_not_below_p_is_refused_as_non_canonical(
    eth_vault: CreditVaultClient, alice: str
) -> None:
    for bad in (0, P, P + 5, 2**256 - 1):
        with reverts_with("IdNotCanonical") as err:
            eth_vault.deposit(bad, MIN, sender=alice)
        assert err.args == (bad,)
    eth_vault.deposit(P - 1, MIN, sender=alice)
    assert eth_vault.note(P - 1).status == NoteStatus.ACTIVE


def test_an_id_is_single_use_forever(eth_vault: CreditVaultClient, alice: str, bob: str) -> None:
    nid = note_id(42)
    eth_vault.deposit(nid, MIN, sender=alice)
    with reverts_with("IdAlreadyUsed") as err:
        eth_vault.deposit(nid, MIN, sender=bob)
    assert err.args == (nid,)
    assert eth_vault.tree_size() == 1


def test_a_deposit_that_is_not_a_multiple_of_the_unit_is_refused(
    eth_vault: CreditVaultClient, alice: str
) -> None:
    with reverts_with("DepositNotMultipleOfUnit") as err:
        eth_vault.deposit(note_id(1), MIN + 1, sender=alice)
    assert err.args == (MIN + 1, GWEI)


def test_a_deposit_below_the_minimum_is_refused(eth_vault: CreditVaultClient, alice: str) -> None:
    with reverts_with("DepositBelowMinimum") as err:
        eth_vault.deposit(note_id(1), MIN - GWEI, sender=alice)
    assert err.args == (9_999, 10_000)
    with reverts_with("DepositBelowMinimum"):
        eth_vault.deposit(note_id(1), 0, sender=alice)


def test_a_deposit_of_two_to_the_64_units_or_more_is_refused(
    deploy_vault: Callable[..., CreditVaultClient], alice: str, dev: Any
) -> None:
    vault = deploy_vault(unit=1)
    dev.set_balance(alice, 2**70)
    with reverts_with("DepositTooLarge") as err:
        vault.deposit(note_id(1), 2**64, sender=alice)
    assert err.args == (2**64,)
    vault.deposit(note_id(1), 2**64 - 1, sender=alice)
    assert vault.note(note_id(1)).deposit == 2**64 - 1


def test_a_full_tree_refuses_the_next_deposit(
    eth_vault: CreditVaultClient, alice: str, dev: Any
) -> None:
    from zkcredits_testing.tree_state import SLOT_TREE_SIZE

    from prover.chain.circuit_params import request_max_depth

    capacity = 1 << request_max_depth()
    # 2^20 deposits are out of reach of a test: jump the tree's size to one below capacity (the
    # frontier is not read by the capacity check, and the last leaf still fits).
    dev.set_storage(eth_vault.address, SLOT_TREE_SIZE, capacity - 1)
    eth_vault.deposit(note_id(1), MIN, sender=alice)
    assert eth_vault.tree_size() == capacity
    with reverts_with("TreeFull") as err:
        eth_vault.deposit(note_id(2), MIN, sender=alice)
    assert err.args == (capacity,)


def test_a_deposit_whose_expiry_would_not_fit_its_storage_is_refused_not_truncated(
    eth_vault: CreditVaultClient, alice: str, dev: Any
) -> None:
    # today + note_ttl_days (30) above 2^32 - 1: the stored uint32 would wrap to a past day.
    last_day = 2**32 - 1 - 30
    dev.advance_to((last_day + 1) * DAY)
    with reverts_with("ExpiryOutOfRange") as err:
        eth_vault.deposit(note_id(1), MIN, sender=alice)
    assert err.args == (2**32,)


def test_plain_ether_sent_without_deposit_is_refused(
    w3: Web3, eth_vault: CreditVaultClient, alice: str
) -> None:
    with reverts_with(""):
        send(w3, sender=alice, to=eth_vault.address, data="0x", value=MIN)
    assert eth_vault.balance() == 0


def test_the_expiry_is_today_plus_the_note_lifetime(
    eth_vault: CreditVaultClient, alice: str, dev: Any
) -> None:
    dev.advance(5 * DAY + 123)
    nid = note_id(9)
    eth_vault.deposit(nid, MIN, sender=alice)
    assert eth_vault.note(nid).expiry == dev.timestamp() // DAY + 30


def test_the_solidity_tag_table_matches_python_and_circom(
    deploy_helper: Callable[..., Any],
) -> None:
    import re

    from prover.crypto.tags import Tag
    from prover.toolchain.paths import REPO_ROOT

    probe = deploy_helper("TagsProbe")
    solidity = probe.functions.tags().call()
    assert solidity == [int(t) for t in Tag]
    assert [t.name for t in Tag] == ["ID", "LEAF", "SLOPE", "NULL", "STATE", "MSG", "WD", "ETA"]
    circom_text = (REPO_ROOT / "circuits" / "lib" / "tags.circom").read_text()
    circom = dict(re.findall(r"function TAG_(\w+)\(\) \{ return (\d+); \}", circom_text))
    assert {name: int(v) for name, v in circom.items()} == {t.name: int(t) for t in Tag}
