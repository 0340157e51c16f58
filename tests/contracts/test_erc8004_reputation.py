"""ERC-8004 Reputation Registry on Anvil: feedback rules, revocation, responses, summaries."""

from __future__ import annotations

from decimal import Decimal

from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from zkcredits_testing.devkeys import anvil_account

from prover.chain.sender import Sender

from .erc8004_setup import OWNER, reverts, sender_for, view_reverts

CLIENT_A, CLIENT_B, OPERATOR, RESPONDER = 2, 3, 4, 5
A, B = anvil_account(CLIENT_A).address, anvil_account(CLIENT_B).address  # the clients' addresses
NO_HASH = b"\x00" * 32


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
    return sender_for(w3, client).call_fn(fn, "giveFeedback")


def test_feedback_is_stored_one_indexed_per_client_and_emitted_with_every_field(
    w3: Web3, identity: Contract, reputation: Contract, agent_id: int
) -> None:
    fn = reputation.functions.giveFeedback(
        agent_id, -32, 1, "tradingYield", "week", "https://e", "https://f.json", b"\xab" * 32
    )
    receipt = sender_for(w3, CLIENT_A).call_fn(fn, "giveFeedback")
    event = reputation.events.NewFeedback().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (event["agentId"], event["clientAddress"], event["feedbackIndex"]) == (
        agent_id,
        A,
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
    assert reputation.functions.getLastIndex(agent_id, A).call() == 2
    assert reputation.functions.readFeedback(agent_id, A, 1).call() == [
        -32,
        1,
        "tradingYield",
        "week",
        False,
    ]
    assert reputation.functions.readFeedback(agent_id, A, 2).call() == [87, 0, "", "", False]
    assert reputation.functions.getClients(agent_id).call() == [A]
    assert reputation.functions.getIdentityRegistry().call() == identity.address


def test_the_owner_and_its_operators_may_not_rate_their_own_agent(
    w3: Web3, identity: Contract, reputation: Contract, agent_id: int
) -> None:
    args = reverts("SelfFeedbackNotAllowed", lambda: _give(w3, reputation, OWNER, agent_id, 100))
    assert args == (anvil_account(OWNER).address, agent_id)
    operator = anvil_account(OPERATOR).address
    fn = identity.functions.setApprovalForAll(operator, True)
    sender_for(w3, OWNER).call_fn(fn, "setApprovalForAll")
    reverts("SelfFeedbackNotAllowed", lambda: _give(w3, reputation, OPERATOR, agent_id, 100))
    assert reputation.functions.getClients(agent_id).call() == []


def test_out_of_range_values_decimals_and_unknown_agents_are_refused(
    w3: Web3, reputation: Contract, agent_id: int
) -> None:
    assert reverts(
        "ValueDecimalsTooLarge", lambda: _give(w3, reputation, CLIENT_A, agent_id, 1, 19)
    ) == (19,)
    too_big = 10**38 + 1
    assert reverts(
        "ValueOutOfRange", lambda: _give(w3, reputation, CLIENT_A, agent_id, too_big)
    ) == (too_big,)
    reverts("ValueOutOfRange", lambda: _give(w3, reputation, CLIENT_A, agent_id, -too_big))
    _give(w3, reputation, CLIENT_A, agent_id, 10**38, 18)  # the bounds themselves are accepted
    reverts("ERC721NonexistentToken", lambda: _give(w3, reputation, CLIENT_A, 10**9, 1))


def test_a_client_revokes_its_own_feedback_once_and_only_existing_indexes(
    w3: Web3, reputation: Contract, agent_id: int
) -> None:
    _give(w3, reputation, CLIENT_A, agent_id, 50)
    sender = sender_for(w3, CLIENT_A)
    receipt = sender.call_fn(reputation.functions.revokeFeedback(agent_id, 1), "revoke")
    event = reputation.events.FeedbackRevoked().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (event["agentId"], event["clientAddress"], event["feedbackIndex"]) == (
        agent_id,
        A,
        1,
    )
    assert reputation.functions.readFeedback(agent_id, A, 1).call()[4] is True
    reverts(
        "FeedbackAlreadyRevoked",
        lambda: sender.call_fn(reputation.functions.revokeFeedback(agent_id, 1), "revoke"),
    )
    for index in (0, 2):
        args = reverts(
            "FeedbackIndexOutOfRange",
            lambda i=index: sender.call_fn(reputation.functions.revokeFeedback(agent_id, i), "rv"),
        )
        assert args == (index, 1)
    # Another A cannot revoke A's feedback: it has none of its own at that index.
    other = sender_for(w3, CLIENT_B)
    reverts(
        "FeedbackIndexOutOfRange",
        lambda: other.call_fn(reputation.functions.revokeFeedback(agent_id, 1), "revoke"),
    )


def test_anyone_may_append_responses_to_existing_feedback_and_they_are_counted(
    w3: Web3, reputation: Contract, agent_id: int
) -> None:
    _give(w3, reputation, CLIENT_A, agent_id, 1)
    _give(w3, reputation, CLIENT_A, agent_id, 2)
    _give(w3, reputation, CLIENT_B, agent_id, 3)
    responder, owner = sender_for(w3, RESPONDER), sender_for(w3, OWNER)

    def respond(sender: Sender, client: str, index: int, uri: str = "ipfs://r") -> object:
        fn = reputation.functions.appendResponse(agent_id, client, index, uri, NO_HASH)
        return sender.call_fn(fn, "appendResponse")

    receipt = respond(responder, A, 1)
    event = reputation.events.ResponseAppended().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert (event["clientAddress"], event["feedbackIndex"], event["responder"]) == (
        A,
        1,
        responder.address,
    )
    respond(responder, A, 1)
    respond(owner, A, 2)
    respond(owner, B, 1)
    count = reputation.functions.getResponseCount
    assert count(agent_id, A, 1, []).call() == 2
    assert count(agent_id, A, 1, [owner.address]).call() == 0
    assert count(agent_id, A, 0, []).call() == 3
    assert count(agent_id, "0x" + "00" * 20, 0, []).call() == 4
    assert count(agent_id, "0x" + "00" * 20, 0, [owner.address]).call() == 2
    reverts("EmptyResponseURI", lambda: respond(responder, A, 1, ""))
    assert reverts("FeedbackIndexOutOfRange", lambda: respond(responder, B, 2)) == (2, 1)


def _expected_summary(items: list[tuple[int, int]]) -> tuple[int, int, int]:
    """Independent reference: exact mean at the largest decimals, truncated toward zero."""
    decimals = max(d for _, d in items)
    mean = sum(Decimal(v).scaleb(-d) for v, d in items) / len(items)
    scaled = mean.scaleb(decimals)
    return (len(items), int(scaled), decimals)


def test_the_summary_averages_unrevoked_feedback_of_the_given_clients_and_tags(
    w3: Web3, reputation: Contract, agent_id: int
) -> None:
    _give(w3, reputation, CLIENT_A, agent_id, 9977, 2, "uptime")
    _give(w3, reputation, CLIENT_A, agent_id, 87, 0, "starred")
    _give(w3, reputation, CLIENT_B, agent_id, -5, 1, "starred", "week")
    _give(w3, reputation, CLIENT_B, agent_id, 1, 0, "starred")
    summary = reputation.functions.getSummary
    everything = [(9977, 2), (87, 0), (-5, 1), (1, 0)]
    assert tuple(summary(agent_id, [A, B], "", "").call()) == _expected_summary(everything)
    assert tuple(summary(agent_id, [A, B], "starred", "").call()) == _expected_summary(
        [(87, 0), (-5, 1), (1, 0)]
    )
    assert tuple(summary(agent_id, [B], "starred", "week").call()) == (1, -5, 1)
    assert tuple(summary(agent_id, [A], "nope", "").call()) == (0, 0, 0)
    sender_for(w3, CLIENT_B).call_fn(reputation.functions.revokeFeedback(agent_id, 2), "revoke")
    assert tuple(summary(agent_id, [B], "", "").call()) == (1, -5, 1)
    view_reverts("ClientAddressesRequired", lambda: summary(agent_id, [], "", "").call())


def test_read_all_feedback_filters_by_client_and_tag_and_hides_revoked_unless_asked(
    w3: Web3, reputation: Contract, agent_id: int
) -> None:
    _give(w3, reputation, CLIENT_A, agent_id, 10, 0, "t")
    _give(w3, reputation, CLIENT_B, agent_id, 20, 0, "u")
    _give(w3, reputation, CLIENT_B, agent_id, 30, 0, "t")
    sender_for(w3, CLIENT_A).call_fn(reputation.functions.revokeFeedback(agent_id, 1), "revoke")
    read = reputation.functions.readAllFeedback
    clients, indexes, values, decimals, tag1s, tag2s, revoked = read(
        agent_id, [], "", "", False
    ).call()
    assert (clients, indexes, values, tag1s, revoked) == (
        [B, B],
        [1, 2],
        [20, 30],
        ["u", "t"],
        [False, False],
    )
    assert decimals == [0, 0] and tag2s == ["", ""]
    result = read(agent_id, [A, B], "t", "", True).call()
    assert (result[0], result[1], result[2], result[6]) == ([A, B], [1, 2], [10, 30], [True, False])
    assert read(agent_id, [A], "", "", False).call()[0] == []


def test_a_client_listed_twice_is_counted_once_in_the_summary_and_the_feedback_list(
    w3: Web3, reputation: Contract, agent_id: int
) -> None:
    _give(w3, reputation, CLIENT_A, agent_id, 100, 0)
    _give(w3, reputation, CLIENT_B, agent_id, 0, 0)
    summary = reputation.functions.getSummary
    once = tuple(summary(agent_id, [A, B], "", "").call())
    assert once == (2, 50, 0)
    # Listing A again must not weigh A's feedback twice (the audit saw (3, 66, 0) here).
    assert tuple(summary(agent_id, [A, B, A], "", "").call()) == once
    assert tuple(summary(agent_id, [A, A, A], "", "").call()) == (1, 100, 0)
    read = reputation.functions.readAllFeedback
    assert read(agent_id, [B, A, B, A], "", "", False).call()[0] == [B, A]
