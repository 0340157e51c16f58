"""ERC-8004 Validation Registry on Anvil: requests by the agent, responses by its validator."""

from __future__ import annotations

from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from zkcredits_testing.devkeys import anvil_account

from .erc8004_setup import OWNER, reverts, sender_for, view_reverts

VALIDATOR, OTHER_VALIDATOR, STRANGER = 6, 7, 2


def _request(
    w3: Web3,
    validation: Contract,
    agent_id: int,
    request_hash: bytes,
    *,
    validator: int = VALIDATOR,
    caller: int = OWNER,
    uri: str = "ipfs://job",
) -> object:
    fn = validation.functions.validationRequest(
        anvil_account(validator).address if validator >= 0 else "0x" + "00" * 20,
        agent_id,
        uri,
        request_hash,
    )
    return sender_for(w3, caller).call_fn(fn, "validationRequest")


def _respond(
    w3: Web3,
    validation: Contract,
    agent_id: int,
    request_hash: bytes,
    response: int,
    *,
    caller: int = VALIDATOR,
    tag: str = "",
) -> object:
    fn = validation.functions.validationResponse(
        agent_id, request_hash, response, "ipfs://evidence", b"\x22" * 32, tag
    )
    return sender_for(w3, caller).call_fn(fn, "validationResponse")


def test_the_agent_requests_and_its_validator_answers_and_the_last_answer_stands(
    w3: Web3, identity: Contract, validation: Contract, agent_id: int
) -> None:
    request_hash = Web3.keccak(text=f"job-{agent_id}")
    validator = anvil_account(VALIDATOR).address
    receipt = _request(w3, validation, agent_id, request_hash)
    event = validation.events.ValidationRequest().process_receipt(receipt, errors=DISCARD)[0][
        "args"
    ]
    assert (event["validatorAddress"], event["agentId"], event["requestURI"]) == (
        validator,
        agent_id,
        "ipfs://job",
    )
    assert event["requestHash"] == request_hash
    status = validation.functions.getValidationStatus(agent_id, request_hash).call()
    assert status[:5] == [validator, agent_id, 0, b"\x00" * 32, ""]
    assert validation.functions.hasResponse(agent_id, request_hash).call() is False
    receipt = _respond(w3, validation, agent_id, request_hash, 40, tag="soft")
    answer = validation.events.ValidationResponse().process_receipt(receipt, errors=DISCARD)[0][
        "args"
    ]
    assert (answer["response"], answer["tag"], answer["responseURI"]) == (
        40,
        "soft",
        "ipfs://evidence",
    )
    _respond(w3, validation, agent_id, request_hash, 100, tag="hard")
    status = validation.functions.getValidationStatus(agent_id, request_hash).call()
    assert status[:5] == [validator, agent_id, 100, b"\x22" * 32, "hard"]
    assert status[5] == w3.eth.get_block("latest")["timestamp"]
    assert validation.functions.hasResponse(agent_id, request_hash).call() is True
    assert validation.functions.getAgentValidations(agent_id).call() == [request_hash]
    agents, hashes = validation.functions.getValidatorRequests(validator).call()
    assert (agent_id, request_hash) in zip(agents, hashes, strict=True)
    assert validation.functions.getIdentityRegistry().call() == identity.address


def test_only_the_owner_or_an_operator_may_request_and_requests_are_unique(
    w3: Web3, validation: Contract, agent_id: int
) -> None:
    request_hash = Web3.keccak(text=f"unique-{agent_id}")
    args = reverts(
        "NotAgentOperator",
        lambda: _request(w3, validation, agent_id, request_hash, caller=STRANGER),
    )
    assert args == (anvil_account(STRANGER).address, agent_id)
    _request(w3, validation, agent_id, request_hash)
    assert reverts(
        "RequestAlreadyExists", lambda: _request(w3, validation, agent_id, request_hash)
    ) == (agent_id, request_hash)
    fresh = Web3.keccak(text=f"other-{agent_id}")
    reverts("ZeroValidator", lambda: _request(w3, validation, agent_id, fresh, validator=-1))
    reverts("ZeroRequestHash", lambda: _request(w3, validation, agent_id, b"\x00" * 32))
    reverts("EmptyRequestURI", lambda: _request(w3, validation, agent_id, fresh, uri=""))
    reverts("ERC721NonexistentToken", lambda: _request(w3, validation, 10**9, fresh))


def test_only_the_named_validator_may_answer_within_zero_to_one_hundred(
    w3: Web3, validation: Contract, agent_id: int
) -> None:
    request_hash = Web3.keccak(text=f"answer-{agent_id}")
    _request(w3, validation, agent_id, request_hash)
    args = reverts(
        "NotValidator",
        lambda: _respond(w3, validation, agent_id, request_hash, 50, caller=OTHER_VALIDATOR),
    )
    assert args == (anvil_account(OTHER_VALIDATOR).address, anvil_account(VALIDATOR).address)
    assert reverts(
        "ResponseOutOfRange", lambda: _respond(w3, validation, agent_id, request_hash, 101)
    ) == (101,)
    unknown = Web3.keccak(text="never requested")
    assert reverts("UnknownRequest", lambda: _respond(w3, validation, agent_id, unknown, 1)) == (
        agent_id,
        unknown,
    )
    status = validation.functions.getValidationStatus
    view_reverts("UnknownRequest", lambda: status(agent_id, unknown).call())
    # The hash is known, but not for another agent.
    view_reverts("UnknownRequest", lambda: status(agent_id + 1, request_hash).call())


def test_the_summary_averages_answered_requests_filtered_by_validator_and_tag(
    w3: Web3, validation: Contract, agent_id: int
) -> None:
    hashes = [Web3.keccak(text=f"sum-{agent_id}-{i}") for i in range(4)]
    _request(w3, validation, agent_id, hashes[0])
    _request(w3, validation, agent_id, hashes[1])
    _request(w3, validation, agent_id, hashes[2], validator=OTHER_VALIDATOR)
    _request(w3, validation, agent_id, hashes[3])  # never answered: not counted
    _respond(w3, validation, agent_id, hashes[0], 100, tag="zk")
    _respond(w3, validation, agent_id, hashes[1], 0, tag="zk")  # a 0 answer counts
    _respond(w3, validation, agent_id, hashes[2], 51, caller=OTHER_VALIDATOR, tag="tee")
    summary = validation.functions.getSummary
    assert tuple(summary(agent_id, [], "").call()) == (3, 151 // 3)
    assert tuple(summary(agent_id, [], "zk").call()) == (2, 50)
    other = anvil_account(OTHER_VALIDATOR).address
    assert tuple(summary(agent_id, [other], "").call()) == (1, 51)
    assert tuple(summary(agent_id, [other], "zk").call()) == (0, 0)


def test_another_agent_taking_a_request_hash_first_cannot_block_or_answer_for_the_agent(
    w3: Web3, identity: Contract, validation: Contract, agent_id: int
) -> None:
    from .erc8004_setup import new_agent_of

    request_hash = Web3.keccak(text=f"front-run-{agent_id}")
    attacker = new_agent_of(w3, identity, STRANGER)
    # The attacker's agent sees the pending request and registers the same hash first.
    _request(w3, validation, attacker, request_hash, caller=STRANGER, validator=OTHER_VALIDATOR)
    _request(w3, validation, agent_id, request_hash)  # the agent's own request still goes through
    status = validation.functions.getValidationStatus
    assert status(agent_id, request_hash).call()[:2] == [anvil_account(VALIDATOR).address, agent_id]
    assert status(attacker, request_hash).call()[:2] == [
        anvil_account(OTHER_VALIDATOR).address,
        attacker,
    ]
    # Each request is answered by its own validator only; the answers stay apart.
    reverts(
        "NotValidator",
        lambda: _respond(w3, validation, agent_id, request_hash, 0, caller=OTHER_VALIDATOR),
    )
    _respond(w3, validation, agent_id, request_hash, 90)
    _respond(w3, validation, attacker, request_hash, 10, caller=OTHER_VALIDATOR)
    assert status(agent_id, request_hash).call()[2] == 90
    assert status(attacker, request_hash).call()[2] == 10
    assert tuple(validation.functions.getSummary(agent_id, [], "").call()) == (1, 90)
