"""The ERC-8004 validator on a real Anvil chain, answering requests about real TDX quotes.

The provider (account 1) registers an agent whose registration file carries chain id, vault,
`server_pk` and the `zkcredits.tee` pins (the real quote's measurements), and asks validator
account 6. The real quote's `report_data` binds nobody we can register (it is a hash), so the
registration path ends in a refusal naming the binding; the accepting path sets the quote's own
`report_data` as the expected binding, as the issue's tests allow.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from web3 import Web3
from web3.contract import Contract
from zkcredits_testing.devkeys import anvil_account

from prover.attest.appraise import Expectation
from prover.attest.evidence import evidence_hash
from prover.attest.policy import TcbPolicy
from prover.attest.quote import parse_tdx_quote
from prover.attest.registration import TeeView, tee_section, tee_view
from prover.attest.registry import VALIDATION_ABI, ValidationRegistry
from prover.attest.route import attestation_router
from prover.attest.validator import Validator, ValidatorConfig
from prover.chain.erc8004 import (
    deploy_registries,
    register_agent,
    registry_abis,
    registry_contract,
)
from prover.chain.erc8004_build import compile_registries
from prover.chain.sender import Sender
from prover.crypto.rln import keccak256
from prover.toolchain.anvil import ChainInfo

from .documents import TLS_KEY, binding_with_tls_key, own_expectation, write_document
from .servers import Server
from .vectors import vector

pytestmark = pytest.mark.slow
OWNER, VALIDATOR = 1, 6
V = vector("tdx_quote")


def _sender(w3: Web3, index: int) -> Sender:
    return Sender(w3, anvil_account(index), abis=registry_abis())


def _registration(with_tee: bool = True) -> dict[str, object]:
    binding = binding_with_tls_key()
    pins = own_expectation().pins
    terms: dict[str, object] = {
        "chain_id": binding.chain_id,
        "vault": binding.vault,
        "params": {"server_pk": [str(binding.server_pk[0]), str(binding.server_pk[1])]},
    }
    if with_tee:
        terms["tee"] = tee_section(TLS_KEY, pins.images)
    return {"type": "https://eips.ethereum.org/EIPS/eip-8004#registration-v1", "zkcredits": terms}


def _data_uri(data: dict[str, object] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return "data:application/json;base64," + base64.b64encode(raw).decode()


class OwnReportData(TeeView):
    """The registration's pins and binding, but the real quote's own report_data expected."""

    def expectation(self, policy: TcbPolicy | None = None) -> Expectation:
        own = parse_tdx_quote(V.raw).report_data
        return super().expectation(policy).model_copy(update={"report_data": own})


class World:
    def __init__(self, w3: Web3, tmp: Path) -> None:
        deployed = deploy_registries(_sender(w3, 0))
        self.w3 = w3
        self.identity = deployed["IdentityRegistry"].address
        self.validation: Contract = registry_contract(
            w3, "ValidationRegistry", deployed["ValidationRegistry"].address
        )
        self.registry = ValidationRegistry(w3, self.validation.address)
        self.start = int(w3.eth.block_number)
        self.tmp = tmp
        self.agent = self.new_agent()

    def new_agent(self, registration: dict[str, object] | None = None) -> int:
        uri = _data_uri(registration or _registration())
        return register_agent(_sender(self.w3, OWNER), self.identity, uri).agent_id

    def request(self, uri: str, request_hash: bytes, agent: int | None = None) -> None:
        validator = anvil_account(VALIDATOR).address
        agent_id = self.agent if agent is None else agent
        self.registry.request(_sender(self.w3, OWNER), validator, agent_id, uri, request_hash)

    def validator(self, view: object = None, **options: object) -> Validator:
        config = ValidatorConfig.model_validate({"allow_private_hosts": True, **options})
        return Validator(
            self.w3,
            self.registry,
            self.identity,
            _sender(self.w3, VALIDATOR),
            self.tmp / "validator-state.json",
            config=config,
            start_block=self.start,
            now=lambda: V.now,
            view=view,  # type: ignore[arg-type]
        )

    def responses(self) -> list[dict[str, object]]:
        logs = self.validation.events.ValidationResponse().get_logs(from_block=self.start)
        return [dict(log["args"]) for log in logs]


@pytest.fixture
def world(w3: Web3, anvil: ChainInfo, tmp_path: Path) -> World:
    return World(w3, tmp_path)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, bytes]]:
    """The real quote's document behind a real HTTP server: (URL, document bytes)."""
    path = tmp_path / "attestation.json"
    body = write_document(path)
    app = FastAPI()
    app.include_router(attestation_router(path))
    with Server(app) as url:
        yield url + "/.well-known/zkcredits/attestation", body


def _verdict(answer_uri: str) -> dict[str, object]:
    body = base64.b64decode(answer_uri.split(",", 1)[1])
    data = json.loads(body)
    assert isinstance(data, dict)
    return data


def test_a_real_quote_that_does_not_bind_the_registered_provider_is_answered_0_naming_it(
    world: World, served: tuple[str, bytes]
) -> None:
    url, body = served
    world.request(url, evidence_hash(body))
    answers = world.validator().poll_once()
    assert [a.score for a in answers] == [0]
    verdict = answers[0].verdict
    assert (verdict.failed_check, verdict.field) == ("binding", "report_data")
    (event,) = world.responses()
    assert event["response"] == 0 and event["tag"] == "zkcredits-tdx"
    assert event["requestHash"] == evidence_hash(body)
    document = base64.b64decode(str(event["responseURI"]).split(",", 1)[1])
    assert event["responseHash"] == keccak256(document)
    assert _verdict(str(event["responseURI"]))["verdict"] == verdict.model_dump(mode="json")
    status = world.validation.functions.getValidationStatus(world.agent, evidence_hash(body)).call()
    assert status[2] == 0 and status[4] == "zkcredits-tdx"


def test_a_real_quote_with_its_own_report_data_expected_is_answered_100(
    world: World, served: tuple[str, bytes]
) -> None:
    url, body = served
    world.request(url, evidence_hash(body))
    view = OwnReportData.model_validate(tee_view(_registration()).model_dump())
    answers = world.validator(view=lambda _agent: view).poll_once()
    assert [a.score for a in answers] == [100]
    assert answers[0].verdict.passed and answers[0].verdict.tcb_status == "UpToDate"
    summary = world.validation.functions.getSummary(
        world.agent, [anvil_account(VALIDATOR).address], "zkcredits-tdx"
    ).call()
    assert summary == [1, 100]


def test_a_document_in_a_data_uri_is_judged_the_same(world: World) -> None:
    body = write_document(world.tmp / "doc.json")
    world.request(_data_uri(body), evidence_hash(body))
    answers = world.validator().poll_once()
    assert [a.verdict.failed_check for a in answers] == ["binding"]


def test_a_document_that_is_not_what_the_request_committed_to_is_answered_0(
    world: World, served: tuple[str, bytes]
) -> None:
    url, _body = served
    world.request(url, keccak256(b"some other document"))
    (answer,) = world.validator().poll_once()
    assert answer.score == 0
    assert (answer.verdict.failed_check, answer.verdict.field) == ("evidence", "request_hash")


def test_an_agent_whose_registration_declares_no_tee_is_answered_0(
    world: World, served: tuple[str, bytes]
) -> None:
    url, body = served
    agent = world.new_agent(_registration(with_tee=False))
    world.request(url, evidence_hash(body), agent=agent)
    (answer,) = world.validator().poll_once()
    assert (answer.verdict.failed_check, answer.verdict.field) == ("registration", "zkcredits.tee")


def test_an_unreachable_document_is_retried_then_answered_0(world: World) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    world.request(f"http://127.0.0.1:{port}/doc", keccak256(b"doc"))
    validator = world.validator(max_fetch_attempts=2)
    assert validator.poll_once() == []  # first failure: kept pending
    assert validator.state.pending and world.responses() == []
    restarted = world.validator(max_fetch_attempts=2)  # the pending request survives a restart
    (answer,) = restarted.poll_once()
    assert (answer.score, answer.verdict.failed_check) == (0, "evidence")
    assert restarted.state.pending == {}


def test_a_restart_never_answers_a_request_twice(world: World, served: tuple[str, bytes]) -> None:
    url, body = served
    world.request(url, evidence_hash(body))
    assert len(world.validator().poll_once()) == 1
    (world.tmp / "validator-state.json").unlink()  # as if it crashed before saving its state
    assert world.validator().poll_once() == []
    assert len(world.responses()) == 1


def test_two_agents_requesting_the_same_hash_are_each_answered_once(
    world: World, served: tuple[str, bytes]
) -> None:
    url, body = served
    second = world.new_agent()
    world.request(url, evidence_hash(body))
    world.request(url, evidence_hash(body), agent=second)
    answers = world.validator().poll_once()
    assert sorted(a.agent_id for a in answers) == sorted([world.agent, second])
    assert {a.request_hash for a in answers} == {"0x" + evidence_hash(body).hex()}
    for agent in (world.agent, second):
        assert world.validation.functions.hasResponse(agent, evidence_hash(body)).call()
    assert world.validator().poll_once() == []  # restarted from its state: nothing twice
    assert len(world.responses()) == 2


def test_a_pending_request_is_kept_per_agent_and_hash(world: World) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    second = world.new_agent()
    world.request(f"http://127.0.0.1:{port}/doc", keccak256(b"doc"))
    world.request(f"http://127.0.0.1:{port}/doc", keccak256(b"doc"), agent=second)
    validator = world.validator(max_fetch_attempts=2)
    assert validator.poll_once() == []
    hex_hash = "0x" + keccak256(b"doc").hex()
    assert set(validator.state.pending) == {f"{world.agent}/{hex_hash}", f"{second}/{hex_hash}"}
    answers = world.validator(max_fetch_attempts=2).poll_once()
    assert sorted(a.agent_id for a in answers) == sorted([world.agent, second])


def test_the_validation_abi_fragments_match_the_compiled_registry() -> None:
    compiled = compile_registries()["ValidationRegistry"].abi

    def shape(item: dict[str, object]) -> object:
        inputs = item.get("inputs", [])
        assert isinstance(inputs, list)
        return (
            item["type"],
            item["name"],
            tuple((i["name"], i["type"], i.get("indexed", False)) for i in inputs),
        )

    ours = {shape(item) for item in VALIDATION_ABI}
    theirs = {shape(item) for item in compiled if "name" in item}
    assert ours <= theirs, ours - theirs


def test_request_events_are_read_for_this_validator_only(world: World) -> None:
    world.request("data:application/json;base64,e30=", keccak256(b"a"))
    other = anvil_account(7).address
    world.registry.request(_sender(world.w3, OWNER), other, world.agent, "x://y", keccak256(b"b"))
    head = int(world.w3.eth.block_number)
    seen = world.registry.requests_for(anvil_account(VALIDATOR).address, world.start, head)
    assert [r.request_hash for r in seen] == [keccak256(b"a")]
    receipts = world.validation.events.ValidationRequest().get_logs(from_block=world.start)
    assert len(receipts) == 2
