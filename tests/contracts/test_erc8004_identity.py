"""ERC-8004 Identity Registry on Anvil: registration, URI, metadata, EIP-712 agent wallet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from zkcredits_testing.devkeys import anvil_account

from prover.chain.erc8004 import (
    agent_wallet_digest,
    agent_wallet_typed_data,
    register_agent,
    set_agent_wallet,
    sign_agent_wallet,
)
from prover.chain.erc8004_build import compile_registries

from .erc8004_setup import OWNER, reverts, sender_for, view_reverts

STRANGER, WALLET, OPERATOR, BUYER = 2, 3, 4, 5


def _now(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def _wallet_call(
    w3: Web3,
    identity: Contract,
    agent_id: int,
    wallet: str,
    signer: LocalAccount,
    *,
    deadline: int | None = None,
    owner: str | None = None,
    caller: int = OWNER,
) -> tuple[Callable[[], Any], bytes]:
    deadline = deadline if deadline is not None else _now(w3) + 120
    typed = agent_wallet_typed_data(
        chain_id=w3.eth.chain_id,
        identity_address=identity.address,
        agent_id=agent_id,
        new_wallet=wallet,
        owner=owner or identity.functions.ownerOf(agent_id).call(),
        deadline=deadline,
    )
    signature = sign_agent_wallet(signer, typed)
    fn = identity.functions.setAgentWallet(agent_id, wallet, deadline, signature)
    return (lambda: sender_for(w3, caller).call_fn(fn, "setAgentWallet")), signature


def test_registering_with_a_uri_mints_the_next_id_to_the_caller_with_its_wallet(
    w3: Web3, identity: Contract
) -> None:
    before = identity.functions.totalAgents().call()
    uri = "data:application/json;base64,eyJ0eXBlIjoieCJ9"
    owner = anvil_account(OWNER).address
    sender = sender_for(w3, OWNER)
    receipt = sender.call_fn(identity.functions.register(uri), "register")
    registered = identity.events.Registered().process_receipt(receipt, errors=DISCARD)
    assert [e["args"]["agentId"] for e in registered] == [before]
    assert registered[0]["args"]["agentURI"] == uri and registered[0]["args"]["owner"] == owner
    meta = identity.events.MetadataSet().process_receipt(receipt, errors=DISCARD)
    assert [(e["args"]["metadataKey"], e["args"]["metadataValue"]) for e in meta] == [
        ("agentWallet", bytes.fromhex(owner[2:]))
    ]
    assert identity.functions.ownerOf(before).call() == owner
    assert identity.functions.tokenURI(before).call() == uri
    assert identity.functions.getAgentWallet(before).call() == owner
    assert identity.functions.totalAgents().call() == before + 1


def test_registering_without_a_uri_leaves_it_empty_until_set_agent_uri(
    w3: Web3, identity: Contract
) -> None:
    sender = sender_for(w3, OWNER)
    receipt = sender.call_fn(identity.functions.register(), "register()")
    agent_id = identity.events.Registered().process_receipt(receipt, errors=DISCARD)[0]["args"][
        "agentId"
    ]
    assert identity.functions.tokenURI(agent_id).call() == ""
    receipt = sender.call_fn(identity.functions.setAgentURI(agent_id, "ipfs://cid"), "setAgentURI")
    updated = identity.events.URIUpdated().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (updated["agentId"], updated["newURI"], updated["updatedBy"]) == (
        agent_id,
        "ipfs://cid",
        anvil_account(OWNER).address,
    )
    assert identity.functions.tokenURI(agent_id).call() == "ipfs://cid"


def test_registering_with_metadata_stores_each_entry_and_refuses_the_reserved_key(
    w3: Web3, identity: Contract
) -> None:
    reg = register_agent(
        sender_for(w3, OWNER), identity.address, "ipfs://a", [("vault", b"\x01\x02"), ("k", b"")]
    )
    assert identity.functions.getMetadata(reg.agent_id, "vault").call() == b"\x01\x02"
    assert identity.functions.getMetadata(reg.agent_id, "absent").call() == b""
    fn = identity.functions.register("ipfs://b", [["agentWallet", b"\x00" * 20]])
    args = reverts("ReservedMetadataKey", lambda: sender_for(w3, OWNER).call_fn(fn, "register"))
    assert args == ("agentWallet",)


def test_only_the_owner_or_an_approved_operator_may_change_uri_and_metadata(
    w3: Web3, identity: Contract, agent_id: int
) -> None:
    stranger = sender_for(w3, STRANGER)
    args = reverts(
        "NotAgentOperator",
        lambda: stranger.call_fn(identity.functions.setAgentURI(agent_id, "x"), "setAgentURI"),
    )
    assert args == (anvil_account(STRANGER).address, agent_id)
    reverts(
        "NotAgentOperator",
        lambda: stranger.call_fn(identity.functions.setMetadata(agent_id, "k", b"v"), "setMeta"),
    )
    reverts(
        "NotAgentOperator",
        lambda: stranger.call_fn(identity.functions.unsetAgentWallet(agent_id), "unset"),
    )
    operator = anvil_account(OPERATOR).address
    sender_for(w3, OWNER).call_fn(identity.functions.approve(operator, agent_id), "approve")
    op = sender_for(w3, OPERATOR)
    op.call_fn(identity.functions.setMetadata(agent_id, "k", b"v"), "setMetadata")
    op.call_fn(identity.functions.setAgentURI(agent_id, "https://x"), "setAgentURI")
    assert identity.functions.getMetadata(agent_id, "k").call() == b"v"
    assert identity.functions.tokenURI(agent_id).call() == "https://x"


def test_set_metadata_refuses_the_agent_wallet_key_even_from_the_owner(
    w3: Web3, identity: Contract, agent_id: int
) -> None:
    fn = identity.functions.setMetadata(agent_id, "agentWallet", b"\x11" * 20)
    reverts("ReservedMetadataKey", lambda: sender_for(w3, OWNER).call_fn(fn, "setMetadata"))
    assert identity.functions.getAgentWallet(agent_id).call() == anvil_account(OWNER).address


def test_unknown_agents_are_refused_for_reads_and_writes(w3: Web3, identity: Contract) -> None:
    unknown = 10**9
    view_reverts(
        "ERC721NonexistentToken", lambda: identity.functions.getMetadata(unknown, "k").call()
    )
    view_reverts(
        "ERC721NonexistentToken", lambda: identity.functions.getAgentWallet(unknown).call()
    )
    fn = identity.functions.setAgentURI(unknown, "x")
    reverts("ERC721NonexistentToken", lambda: sender_for(w3, OWNER).call_fn(fn, "setAgentURI"))


def test_the_contract_digest_equals_the_independent_eip712_digest(
    w3: Web3, identity: Contract
) -> None:
    typed = agent_wallet_typed_data(
        chain_id=w3.eth.chain_id,
        identity_address=identity.address,
        agent_id=7,
        new_wallet=anvil_account(WALLET).address,
        owner=anvil_account(OWNER).address,
        deadline=123456,
    )
    on_chain = identity.functions.walletDigest(
        7, anvil_account(WALLET).address, anvil_account(OWNER).address, 123456
    ).call()
    assert bytes(on_chain) == agent_wallet_digest(typed)
    other_chain = dict(typed, domain=dict(typed["domain"], chainId=1))
    assert agent_wallet_digest(other_chain) != bytes(on_chain)


def test_a_wallet_signature_sets_the_agent_wallet_once(
    w3: Web3, identity: Contract, agent_id: int
) -> None:
    wallet = anvil_account(WALLET)
    send, _ = _wallet_call(w3, identity, agent_id, wallet.address, wallet)
    receipt = send()
    meta = identity.events.MetadataSet().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert meta["metadataKey"] == "agentWallet"
    assert meta["metadataValue"] == bytes.fromhex(wallet.address[2:])
    assert identity.functions.getAgentWallet(agent_id).call() == wallet.address
    assert identity.functions.getMetadata(agent_id, "agentWallet").call() == bytes.fromhex(
        wallet.address[2:]
    )


def test_a_wallet_signature_by_another_key_is_rejected(
    w3: Web3, identity: Contract, agent_id: int
) -> None:
    wallet = anvil_account(WALLET)
    send, _ = _wallet_call(w3, identity, agent_id, wallet.address, anvil_account(STRANGER))
    assert reverts("InvalidWalletSignature", send) == (wallet.address,)
    assert identity.functions.getAgentWallet(agent_id).call() == anvil_account(OWNER).address


def test_a_signature_for_another_agent_or_owner_is_rejected(
    w3: Web3, identity: Contract, agent_id: int
) -> None:
    wallet = anvil_account(WALLET)
    deadline = _now(w3) + 120
    typed = agent_wallet_typed_data(
        chain_id=w3.eth.chain_id,
        identity_address=identity.address,
        agent_id=agent_id + 1,
        new_wallet=wallet.address,
        owner=anvil_account(OWNER).address,
        deadline=deadline,
    )
    fn = identity.functions.setAgentWallet(
        agent_id, wallet.address, deadline, sign_agent_wallet(wallet, typed)
    )
    reverts("InvalidWalletSignature", lambda: sender_for(w3, OWNER).call_fn(fn, "setAgentWallet"))
    send, _ = _wallet_call(
        w3, identity, agent_id, wallet.address, wallet, owner=anvil_account(STRANGER).address
    )
    reverts("InvalidWalletSignature", send)


def test_an_expired_or_too_distant_deadline_is_rejected(
    w3: Web3, identity: Contract, agent_id: int
) -> None:
    wallet = anvil_account(WALLET)
    past = _now(w3) - 1
    send, _ = _wallet_call(w3, identity, agent_id, wallet.address, wallet, deadline=past)
    args = reverts("SignatureExpired", send)
    assert args[0] == past
    far = _now(w3) + 3600
    send, _ = _wallet_call(w3, identity, agent_id, wallet.address, wallet, deadline=far)
    assert reverts("DeadlineTooFar", send)[0] == far


def test_a_replayed_wallet_signature_is_rejected(
    w3: Web3, identity: Contract, agent_id: int
) -> None:
    wallet = anvil_account(WALLET)
    send, _ = _wallet_call(w3, identity, agent_id, wallet.address, wallet)
    send()
    sender_for(w3, OWNER).call_fn(identity.functions.unsetAgentWallet(agent_id), "unset")
    assert identity.functions.getAgentWallet(agent_id).call() == "0x" + "00" * 20
    reverts("SignatureAlreadyUsed", send)
    assert identity.functions.getAgentWallet(agent_id).call() == "0x" + "00" * 20


def test_the_zero_wallet_and_a_stranger_caller_are_rejected(
    w3: Web3, identity: Contract, agent_id: int
) -> None:
    wallet = anvil_account(WALLET)
    zero = "0x" + "00" * 20
    send, _ = _wallet_call(w3, identity, agent_id, zero, wallet)
    reverts("ZeroWallet", send)
    send, _ = _wallet_call(w3, identity, agent_id, wallet.address, wallet, caller=STRANGER)
    reverts("NotAgentOperator", send)


def test_a_contract_wallet_is_accepted_through_erc1271_and_only_with_its_key(
    w3: Web3, identity: Contract, agent_id: int
) -> None:
    art = compile_registries()["ERC1271WalletMock"]
    key_holder = anvil_account(WALLET)
    receipt = sender_for(w3, 0).deploy(art.abi, art.bytecode, [key_holder.address], "wallet mock")
    contract_wallet = str(receipt["contractAddress"])

    def sign_raw(signer: LocalAccount) -> Callable[[], Any]:
        deadline = _now(w3) + 120
        typed = agent_wallet_typed_data(
            chain_id=w3.eth.chain_id,
            identity_address=identity.address,
            agent_id=agent_id,
            new_wallet=contract_wallet,
            owner=anvil_account(OWNER).address,
            deadline=deadline,
        )
        signature = bytes(
            Account.unsafe_sign_hash(agent_wallet_digest(typed), signer.key).signature
        )
        fn = identity.functions.setAgentWallet(agent_id, contract_wallet, deadline, signature)
        return lambda: sender_for(w3, OWNER).call_fn(fn, "setAgentWallet")

    reverts("InvalidWalletSignature", sign_raw(anvil_account(STRANGER)))
    sign_raw(key_holder)()
    assert identity.functions.getAgentWallet(agent_id).call() == Web3.to_checksum_address(
        contract_wallet
    )


def test_a_transfer_clears_the_wallet_and_the_old_signature_no_longer_fits(
    w3: Web3, identity: Contract, agent_id: int
) -> None:
    wallet = anvil_account(WALLET)
    set_agent_wallet(sender_for(w3, OWNER), identity.address, agent_id, wallet)
    assert identity.functions.getAgentWallet(agent_id).call() == wallet.address
    old_owner, buyer = anvil_account(OWNER).address, anvil_account(BUYER).address
    send_old, _ = _wallet_call(w3, identity, agent_id, wallet.address, wallet, owner=old_owner)
    fn = identity.functions.transferFrom(old_owner, buyer, agent_id)
    receipt = sender_for(w3, OWNER).call_fn(fn, "transfer")
    cleared = identity.events.MetadataSet().process_receipt(receipt, errors=DISCARD)
    assert [(e["args"]["metadataKey"], e["args"]["metadataValue"]) for e in cleared] == [
        ("agentWallet", b"")
    ]
    assert identity.functions.getAgentWallet(agent_id).call() == "0x" + "00" * 20
    assert identity.functions.ownerOf(agent_id).call() == buyer
    # Signed for the previous owner: invalid for the new one (and the old owner is no operator).
    reverts("NotAgentOperator", send_old)
    fresh_sig_for_old_owner, _ = _wallet_call(
        w3, identity, agent_id, wallet.address, wallet, owner=old_owner, caller=BUYER
    )
    reverts("InvalidWalletSignature", fresh_sig_for_old_owner)
    set_agent_wallet(sender_for(w3, BUYER), identity.address, agent_id, wallet)
    assert identity.functions.getAgentWallet(agent_id).call() == wallet.address


def test_the_registry_advertises_erc721_and_its_own_interface(identity: Contract) -> None:
    assert identity.functions.supportsInterface(bytes.fromhex("80ac58cd")).call()  # ERC-721
    assert identity.functions.supportsInterface(bytes.fromhex("5b5e139f")).call()  # metadata
    assert not identity.functions.supportsInterface(bytes.fromhex("ffffffff")).call()
