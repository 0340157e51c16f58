"""The ERC-8004 TEE validator (`zkcredits validator run`): anyone can run one.

Each poll reads the `ValidationRequest` events naming this validator since the last block it
finished, and answers each request once:

1. skip it if the registry already holds an answer (a restart after a crash never answers twice);
2. fetch the document at `requestURI` (data: or http(s)); its keccak256 must be the
   `requestHash` (the request commits to those bytes);
3. read the agent's registration file (`tokenURI`): chain id, vault, `server_pk`, and the
   `zkcredits.tee` key (gateway key and pinned images): the binding and the pins are the
   provider's public commitments, never the document's claims;
4. appraise the quote at the current time under this validator's own TCB policy;
5. `validationResponse(agentId, requestHash, 100 | 0, responseURI, responseHash, tag)` with the
   verdict (JSON naming the failed check) as a data: URI and its keccak256 as `responseHash`.

A fetch that fails for network reasons is retried on later polls (the request stays pending in
the state file) and answered 0 (check `evidence`) after `max_fetch_attempts`. Every malformed
input is a verdict, never a crash. The state file (next block, pending requests) is written
atomically after each answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, Web3Exception

from prover.attest.appraise import Verdict, appraise
from prover.attest.errors import (
    AttestConfigError,
    CheckFailed,
    EvidenceError,
    EvidenceFetchError,
    RegistrationPinsError,
    ValidatorError,
)
from prover.attest.evidence import evidence_hash, parse_evidence
from prover.attest.fetch import fetch_uri
from prover.attest.policy import TcbPolicy
from prover.attest.registration import TeeView, tee_view
from prover.attest.registry import ValidationRegistry, ValidationRequestSeen, agent_uri
from prover.chain.sender import Sender
from prover.crypto.rln import keccak256
from prover.errors import ZkCreditsError
from prover.logs import get_logger
from prover.plumbing.atomic import atomic_write_text

DEFAULT_TAG: Final = "zkcredits-tdx"
PASS_SCORE: Final = 100
FAIL_SCORE: Final = 0
RESPONSE_PREFIX: Final = "data:application/json;base64,"
log = get_logger("zkcredits.attest.validator")


class ValidatorConfig(BaseModel):
    """How a validator judges and answers (its own policy: never the provider's)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: TcbPolicy = TcbPolicy()
    tag: str = Field(default=DEFAULT_TAG, min_length=1, max_length=64)
    max_fetch_attempts: int = Field(default=5, ge=1, le=1000)
    max_blocks_per_poll: int = Field(default=2000, ge=1, le=100_000)
    confirmations: int = Field(default=0, ge=0, le=1000)
    allow_private_hosts: bool = False
    """Fetch request URIs on loopback/private addresses (local development and tests only)."""


class PendingRequest(BaseModel):
    """A request whose document could not be fetched yet."""

    model_config = ConfigDict(extra="forbid")

    agent_id: int
    request_hash: str = Field(pattern=r"^0x[0-9a-f]{64}$")
    request_uri: str
    block_number: int
    log_index: int
    attempts: int


class ValidatorState(BaseModel):
    """What survives a restart: the next block to read and the requests still to answer."""

    model_config = ConfigDict(extra="forbid")

    next_block: int = Field(ge=0)
    pending: dict[str, PendingRequest] = {}
    """By `request_key` (the registry keys a request by agent id and request hash)."""


class Answer(BaseModel):
    """One answered request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_hash: str
    agent_id: int
    score: int
    verdict: Verdict
    response_uri: str
    response_hash: str
    tx_hash: str


def request_key(agent_id: int, request_hash: bytes) -> str:
    """A request's key in the state file: `<agentId>/0x<requestHash>` (two agents may use the
    same request hash; the registry keeps them apart, so must the validator)."""
    return f"{agent_id}/0x{request_hash.hex()}"


def _seen(validator: str, pending: PendingRequest) -> ValidationRequestSeen:
    return ValidationRequestSeen(
        validator=validator,
        agent_id=pending.agent_id,
        request_uri=pending.request_uri,
        request_hash=bytes.fromhex(pending.request_hash[2:]),
        block_number=pending.block_number,
        log_index=pending.log_index,
    )


def response_document(request: ValidationRequestSeen, verdict: Verdict) -> bytes:
    """The canonical JSON a response URI carries (and `responseHash` commits to)."""
    data = {
        "version": 1,
        "request_hash": "0x" + request.request_hash.hex(),
        "agent_id": request.agent_id,
        "verdict": verdict.model_dump(mode="json"),
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def registration_view(w3: Web3, identity_registry: str, agent_id: int) -> TeeView:
    """The binding and pins the agent's registration file declares (`RegistrationPinsError`;
    `EvidenceFetchError` or `ValidatorError` for trouble worth retrying)."""
    try:
        uri = agent_uri(w3, identity_registry, agent_id)
    except (ContractLogicError, ContractCustomError) as exc:
        raise RegistrationPinsError(f"no agent {agent_id}: {exc}", field="agent_id") from exc
    except (Web3Exception, OSError, ValueError) as exc:
        raise ValidatorError(f"reading the agent URI failed: {exc}", field="rpc_url") from exc
    try:
        data = json.loads(fetch_uri(uri))
    except EvidenceError as exc:
        raise RegistrationPinsError(f"agent URI: {exc}", field="uri") from exc
    except (ValueError, RecursionError) as exc:
        raise RegistrationPinsError(f"the registration is not JSON: {exc}", field="uri") from exc
    if not isinstance(data, dict):
        raise RegistrationPinsError("the registration file is not a JSON object", field="uri")
    try:
        return tee_view(data)
    except AttestConfigError as exc:
        raise RegistrationPinsError(str(exc), field=exc.field) from exc


class Validator:
    """Watches one Validation Registry for requests naming `sender`'s address."""

    def __init__(
        self,
        w3: Web3,
        registry: ValidationRegistry,
        identity_registry: str,
        sender: Sender,
        state_path: Path,
        *,
        config: ValidatorConfig | None = None,
        start_block: int = 0,
        now: Callable[[], float] = time.time,
        fetch: Callable[[str], bytes] | None = None,
        view: Callable[[int], TeeView] | None = None,
    ) -> None:
        self.w3 = w3
        self.registry = registry
        self.sender = sender
        self.config = config or ValidatorConfig()
        self.state_path = state_path
        self.now = now
        self.fetch = fetch or (
            lambda uri: fetch_uri(uri, allow_private_hosts=self.config.allow_private_hosts)
        )
        self.view = view or (lambda agent_id: registration_view(w3, identity_registry, agent_id))
        self.state = self._load_state(start_block)

    def _load_state(self, start_block: int) -> ValidatorState:
        if not self.state_path.exists():
            return ValidatorState(next_block=start_block)
        try:
            return ValidatorState.model_validate_json(self.state_path.read_text())
        except (OSError, ValidationError) as exc:
            raise ValidatorError(
                f"{self.state_path}: unreadable validator state ({exc})", field="state"
            ) from exc

    def _save_state(self) -> None:
        atomic_write_text(self.state_path, self.state.model_dump_json())

    def poll_once(self) -> list[Answer]:
        """Answer every request up to the newest confirmed block (bounded per poll), then the
        pending ones. Chain trouble raises `ValidatorError`; the next poll starts over from the
        same block, and requests answered meanwhile are skipped (`hasResponse`)."""
        try:
            head = int(self.w3.eth.block_number) - self.config.confirmations
            first = self.state.next_block
            last = min(head, first + self.config.max_blocks_per_poll - 1)
            answers: list[Answer] = []
            if last >= first:
                for request in self.registry.requests_for(self.sender.address, first, last):
                    answers.extend(self._handle(request))
                self.state.next_block = last + 1
            for pending in list(self.state.pending.values()):
                if pending.block_number < first:
                    answers.extend(self._handle(_seen(self.sender.address, pending)))
        except (Web3Exception, OSError, ValueError) as exc:
            raise ValidatorError(f"the chain does not answer: {exc}", field="rpc_url") from exc
        except ValidatorError:
            raise
        except ZkCreditsError as exc:  # a response transaction failed (funds, revert)
            raise ValidatorError(f"answering failed: {exc}", field="transaction") from exc
        self._save_state()
        return answers

    def _handle(self, request: ValidationRequestSeen) -> list[Answer]:
        key = request_key(request.agent_id, request.request_hash)
        if self.registry.has_response(request.request_hash, request.agent_id):
            self.state.pending.pop(key, None)
            return []
        at = int(self.now())
        try:
            verdict = self._judge(request, at)
        except EvidenceFetchError as exc:
            attempts = self.state.pending[key].attempts + 1 if key in self.state.pending else 1
            if attempts < self.config.max_fetch_attempts:
                self.state.pending[key] = PendingRequest(
                    agent_id=request.agent_id,
                    request_hash="0x" + request.request_hash.hex(),
                    request_uri=request.request_uri,
                    block_number=request.block_number,
                    log_index=request.log_index,
                    attempts=attempts,
                )
                log.warning(
                    "validation_fetch_retry",
                    agent_id=request.agent_id,
                    request_hash="0x" + request.request_hash.hex(),
                    attempts=attempts,
                )
                return []
            verdict = Verdict.refused(
                EvidenceError(f"gave up after {attempts} attempts: {exc}", field=exc.field), now=at
            )
        answer = self._answer(request, verdict)
        self.state.pending.pop(key, None)
        return [answer]

    def _judge(self, request: ValidationRequestSeen, at: int) -> Verdict:
        quote_sha256 = None
        try:
            body = self.fetch(request.request_uri)
            if evidence_hash(body) != request.request_hash:
                raise EvidenceError(
                    "the document's keccak256 is not the request hash", field="request_hash"
                )
            document = parse_evidence(body)
            quote_sha256 = hashlib.sha256(document.quote).hexdigest()
            view = self.view(request.agent_id)
            appraisal = appraise(
                document.quote,
                document.collateral,
                view.expectation(self.config.policy),
                now=at,
                claimed=document.binding,
            )
        except CheckFailed as error:
            return Verdict.refused(error, now=at, quote_sha256=quote_sha256)
        return Verdict.of(appraisal)

    def _answer(self, request: ValidationRequestSeen, verdict: Verdict) -> Answer:
        body = response_document(request, verdict)
        uri = RESPONSE_PREFIX + base64.b64encode(body).decode()
        response_hash = keccak256(body)
        score = PASS_SCORE if verdict.passed else FAIL_SCORE
        receipt = self.registry.respond(
            self.sender,
            request.request_hash,
            request.agent_id,
            score=score,
            response_uri=uri,
            response_hash=response_hash,
            tag=self.config.tag,
        )
        answer = Answer(
            request_hash="0x" + request.request_hash.hex(),
            agent_id=request.agent_id,
            score=score,
            verdict=verdict,
            response_uri=uri,
            response_hash="0x" + response_hash.hex(),
            tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
        )
        log.info(
            "validation_answered",
            request_hash=answer.request_hash,
            agent_id=request.agent_id,
            score=score,
            failed_check=verdict.failed_check,
        )
        return answer

    def run(self, stop: threading.Event, interval: float = 5.0) -> None:
        """Poll until `stop` is set; a chain outage is logged and retried, not fatal."""
        while not stop.is_set():
            try:
                self.poll_once()
            except ValidatorError as exc:
                log.warning("validator_poll_failed", error=str(exc))
            stop.wait(interval)
