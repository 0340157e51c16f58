"""ERC-8004 Reputation Registry on Anvil: feedback rules, revocation, responses, summaries."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError
from web3.logs import DISCARD

from prover.chain.deploy_errors import TransactionRevertedError
from prover.chain.devkeys import anvil_account
from prover.chain.erc8004 import deploy_registries, register_agent, registry_abis, registry_contract
from prover.chain.sender import Sender, decode_revert

OWNER, CLIENT_A, CLIENT_B, OPERATOR, RESPONDER = 1, 2, 3, 4, 5
NO_HASH = b"\x00" * 32


def _sender(w3: Web3, index: int) -> Sender:
    return Sender(w3, anvil_account(index), abis=registry_abis())


@pytest.fixture(scope="module")
def registries(w3: Web3) -> tuple[Contract, Contract]:
    deployed = deploy_registries(_sender(w3, 0))
    return (
        registry_contract(w3, "IdentityRegistry", deployed["IdentityRegistry"].address),
        registry_contract(w3, "ReputationRegistry", deployed["ReputationRegistry"].address),
    )


def _reverts(name: str, action: Callable[[], object]) -> tuple[object, ...]:
    with pytest.raises(TransactionRevertedError) as info:
        action()
    assert info.value.error_name == name, str(info.value)
    return info.value.error_args


def _agent(w3: Web3, identity: Contract) -> int:
    return register_agent(_sender(w3, OWNER), identity.address, "ipfs://agent").agent_id


def _give(
    w3: Web3,
    reputation: Contract,
    client: int,
    agent_id: int,
    value: int,
    decimals: int = 0,
    tag1: str = "",
    tag2: str = "",
) -> object:
    fn = reputation.functions.giveFeedback(
        agent_id, value, decimals, tag1, tag2, "https://api/x", "ipfs://fb", NO_HASH
    )
    return _sender(w3, client).call_fn(fn, "giveFeedback")


def test_feedback_is_stored_one_indexed_per_client_and_emitted_with_every_field(
    w3: Web3, registries: tuple[Contract, Contract]
) -> None:
    identity, reputation = registries
    agent_id = _agent(w3, identity)
    client = anvil_account(CLIENT_A).address
    fn = reputation.functions.giveFeedback(
        agent_id, -32, 1, "tradingYield", "week", "https://e", "https://f.json", b"\xab" * 32
    )
    receipt = _sender(w3, CLIENT_A).call_fn(fn, "giveFeedback")
    event = reputation.events.NewFeedback().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (event["agentId"], event["clientAddress"], event["feedbackIndex"]) == (
        agent_id,
        client,
        1,
    )
    assert (event["value"], event["valueDecimals"], event["tag1"], event["tag2"]) == (
        -32,
        1,
        "tradingYield",
        "week",
    )
    assert event["indexedTag1"] == Web3.keccak(text="tradingYield")
    assert (event["endpoint"], event["feedbackURI"], event["feedbackHash"]) == (
        "https://e",
        "https://f.json",
        b"\xab" * 32,
    )
    _give(w3, reputation, CLIENT_A, agent_id, 87)
    assert reputation.functions.getLastIndex(agent_id, client).call() == 2
    assert reputation.functions.readFeedback(agent_id, client, 1).call() == [
        -32,
        1,
        "tradingYield",
        "week",
        False,
    ]
    assert reputation.functions.readFeedback(agent_id, client, 2).call() == [87, 0, "", "", False]
    assert reputation.functions.getClients(agent_id).call() == [client]
    assert reputation.functions.getIdentityRegistry().call() == identity.address


def test_the_owner_and_its_operators_may_not_rate_their_own_agent(
    w3: Web3, registries: tuple[Contract, Contract]
) -> None:
    identity, reputation = registries
    agent_id = _agent(w3, identity)
    args = _reverts("SelfFeedbackNotAllowed", lambda: _give(w3, reputation, OWNER, agent_id, 100))
    assert args == (anvil_account(OWNER).address, agent_id)
    operator = anvil_account(OPERATOR).address
    fn = identity.functions.setApprovalForAll(operator, True)
    _sender(w3, OWNER).call_fn(fn, "setApprovalForAll")
    _reverts("SelfFeedbackNotAllowed", lambda: _give(w3, reputation, OPERATOR, agent_id, 100))
    assert reputation.functions.getClients(agent_id).call() == []


def test_out_of_range_values_decimals_and_unknown_agents_are_refused(
    w3: Web3, registries: tuple[Contract, Contract]
) -> None:
    identity, reputation = registries
    agent_id = _agent(w3, identity)
    assert _reverts(
        "ValueDecimalsTooLarge", lambda: _give(w3, reputation, CLIENT_A, agent_id, 1, 19)
    ) == (19,)
    too_big = 10**38 + 1
    assert _reverts(
        "ValueOutOfRange", lambda: _give(w3, reputation, CLIENT_A, agent_id, too_big)
    ) == (too_big,)
    _reverts("ValueOutOfRange", lambda: _give(w3, reputation, CLIENT_A, agent_id, -too_big))
    _give(w3, reputation, CLIENT_A, agent_id, 10**38, 18)  # the bounds themselves are accepted
    _reverts("ERC721NonexistentToken", lambda: _give(w3, reputation, CLIENT_A, 10**9, 1))


def test_a_client_revokes_its_own_feedback_once_and_only_existing_indexes(
    w3: Web3, registries: tuple[Contract, Contract]
) -> None:
    identity, reputation = registries
    agent_id = _agent(w3, identity)
    client = anvil_account(CLIENT_A).address
    _give(w3, reputation, CLIENT_A, agent_id, 50)
    sender = _sender(w3, CLIENT_A)
    receipt = sender.call_fn(reputation.functions.revokeFeedback(agent_id, 1), "revoke")
    event = reputation.events.FeedbackRevoked().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (event["agentId"], event["clientAddress"], event["feedbackIndex"]) == (
        agent_id,
        client,
        1,
    )
    assert reputation.functions.readFeedback(agent_id, client, 1).call()[4] is True
    _reverts(
        "FeedbackAlreadyRevoked",
        lambda: sender.call_fn(reputation.functions.revokeFeedback(agent_id, 1), "revoke"),
    )
    for index in (0, 2):
        args = _reverts(
            "FeedbackIndexOutOfRange",
            lambda i=index: sender.call_fn(reputation.functions.revokeFeedback(agent_id, i), "rv"),
        )
        assert args == (index, 1)
    # Another client cannot revoke A's feedback: it has none of its own at that index.
    other = _sender(w3, CLIENT_B)
    _reverts(
        "FeedbackIndexOutOfRange",
        lambda: other.call_fn(reputation.functions.revokeFeedback(agent_id, 1), "revoke"),
    )


def test_anyone_may_append_responses_to_existing_feedback_and_they_are_counted(
    w3: Web3, registries: tuple[Contract, Contract]
) -> None:
    identity, reputation = registries
    agent_id = _agent(w3, identity)
    a, b = anvil_account(CLIENT_A).address, anvil_account(CLIENT_B).address
    _give(w3, reputation, CLIENT_A, agent_id, 1)
    _give(w3, reputation, CLIENT_A, agent_id, 2)
    _give(w3, reputation, CLIENT_B, agent_id, 3)
    responder, owner = _sender(w3, RESPONDER), _sender(w3, OWNER)

    def respond(sender: Sender, client: str, index: int, uri: str = "ipfs://r") -> object:
        fn = reputation.functions.appendResponse(agent_id, client, index, uri, NO_HASH)
        return sender.call_fn(fn, "appendResponse")

    receipt = respond(responder, a, 1)
    event = reputation.events.ResponseAppended().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (event["clientAddress"], event["feedbackIndex"], event["responder"]) == (
        a,
        1,
        responder.address,
    )
    respond(responder, a, 1)
    respond(owner, a, 2)
    respond(owner, b, 1)
    count = reputation.functions.getResponseCount
    assert count(agent_id, a, 1, []).call() == 2
    assert count(agent_id, a, 1, [owner.address]).call() == 0
    assert count(agent_id, a, 0, []).call() == 3
    assert count(agent_id, "0x" + "00" * 20, 0, []).call() == 4
    assert count(agent_id, "0x" + "00" * 20, 0, [owner.address]).call() == 2
    _reverts("EmptyResponseURI", lambda: respond(responder, a, 1, ""))
    assert _reverts("FeedbackIndexOutOfRange", lambda: respond(responder, b, 2)) == (2, 1)


def _expected_summary(items: list[tuple[int, int]]) -> tuple[int, int, int]:
    """Independent reference: exact mean at the largest decimals, truncated toward zero."""
    decimals = max(d for _, d in items)
    mean = sum(Decimal(v).scaleb(-d) for v, d in items) / len(items)
    scaled = mean.scaleb(decimals)
    return (len(items), int(scaled), decimals)


def test_the_summary_averages_unrevoked_feedback_of_the_given_clients_and_tags(
    w3: Web3, registries: tuple[Contract, Contract]
) -> None:
    identity, reputation = registries
    agent_id = _agent(w3, identity)
    a, b = anvil_account(CLIENT_A).address, anvil_account(CLIENT_B).address
    _give(w3, reputation, CLIENT_A, agent_id, 9977, 2, "uptime")
    _give(w3, reputation, CLIENT_A, agent_id, 87, 0, "starred")
    _give(w3, reputation, CLIENT_B, agent_id, -5, 1, "starred", "week")
    _give(w3, reputation, CLIENT_B, agent_id, 1, 0, "starred")
    summary = reputation.functions.getSummary
    everything = [(9977, 2), (87, 0), (-5, 1), (1, 0)]
    assert tuple(summary(agent_id, [a, b], "", "").call()) == _expected_summary(everything)
    assert tuple(summary(agent_id, [a, b], "starred", "").call()) == _expected_summary(
        [(87, 0), (-5, 1), (1, 0)]
    )
    assert tuple(summary(agent_id, [b], "starred", "week").call()) == (1, -5, 1)
    assert tuple(summary(agent_id, [a], "nope", "").call()) == (0, 0, 0)
    _sender(w3, CLIENT_B).call_fn(reputation.functions.revokeFeedback(agent_id, 2), "revoke")
    assert tuple(summary(agent_id, [b], "", "").call()) == (1, -5, 1)
    with pytest.raises(ContractCustomError) as info:
        summary(agent_id, [], "", "").call()
    assert decode_revert(str(info.value.data), registry_abis())[0] == "ClientAddressesRequired"


def test_read_all_feedback_filters_by_client_and_tag_and_hides_revoked_unless_asked(
    w3: Web3, registries: tuple[Contract, Contract]
) -> None:
    identity, reputation = registries
    agent_id = _agent(w3, identity)
    a, b = anvil_account(CLIENT_A).address, anvil_account(CLIENT_B).address
    _give(w3, reputation, CLIENT_A, agent_id, 10, 0, "t")
    _give(w3, reputation, CLIENT_B, agent_id, 20, 0, "u")
    _give(w3, reputation, CLIENT_B, agent_id, 30, 0, "t")
    _sender(w3, CLIENT_A).call_fn(reputation.functions.revokeFeedback(agent_id, 1), "revoke")
    read = reputation.functions.readAllFeedback
    clients, indexes, values, decimals, tag1s, tag2s, revoked = read(
        agent_id, [], "", "", False
    ).call()
    assert (clients, indexes, values, tag1s, revoked) == (
        [b, b],
        [1, 2],
        [20, 30],
        ["u", "t"],
        [False, False],
    )
    assert decimals == [0, 0] and tag2s == ["", ""]
    result = read(agent_id, [a, b], "t", "", True).call()
    assert (result[0], result[1], result[2], result[6]) == ([a, b], [1, 2], [10, 30], [True, False])
    assert read(agent_id, [a], "", "", False).call()[0] == []
