"""A small vault world for the gateway tests: settings, a note tree, real request proofs, and
honest in-test stand-ins for the colleagues' components (named as such):

- `TreeChainView`: a `ChainView` whose accepted roots are real LeanIMT roots of the notes;
- `FixedUpstream`: an `Upstream` that returns fixed bytes and usage (and records what it got);
- `NoPenalty`: a `Policy` that never penalises.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from prover.circuits.inputs import CallParams, Note, NoteState, ServiceParams, request_inputs
from prover.circuits.prover import Prover
from prover.crypto import (
    LeanIMT,
    Point,
    commit,
    eta,
    genesis_opening,
    leaf,
    next_opening,
    note_id,
    public_key,
    rho0,
    verify_state,
)
from prover.crypto.request_hash import RequestFields, canonical_request, request_digest
from prover.crypto.ticket_key import TicketKey
from prover.gateway.app import GatewaySettings
from prover.gateway.ports import (
    ForwardReply,
    ForwardRequest,
    ForwardStream,
    PolicyDecision,
)
from prover.pricing.schedule import ModelPrice, PriceRoute, PriceSchedule, RouteKind, Usage
from prover.wire import PaymentPayload, PaymentResponse, PaymentSignature, encode_header
from prover.wire.required import VkHashes

SERVER_SK = 0x012E3F4A5B6C7D8E9F00112233445566778899AABBCCDDEEFF0011223344556
CHAIN_ID = 31337
VAULT = "0x" + "ab" * 20
DEPOSIT = 1000
N_NOTES = 8
SECRETS = tuple(4242 + 7919 * i for i in range(N_NOTES))

CHAT_PRICE = ModelPrice(
    flat=2, per_1k_input_tokens=100, per_1k_output_tokens=200, max_output_tokens=200
)
SCHEDULE = PriceSchedule(
    quantum=2,
    c_max=50,
    routes=(
        PriceRoute(
            method="POST",
            path="/v1/chat/completions",
            kind=RouteKind.CHAT,
            models={"m": CHAT_PRICE},
        ),
        PriceRoute(method="GET", path="/v1/data", kind=RouteKind.HTTP, flat=4),
    ),
)


def today() -> int:
    return int(time.time()) // 86_400


def settings(**overrides: object) -> GatewaySettings:
    base: dict[str, object] = {
        "chain_id": CHAIN_ID,
        "vault": VAULT,
        "unit": 10**9,
        "c_max": 50,
        "reserve": 30,
        "penalty_max": 25,
        "price_schedule": SCHEDULE,
        "vk_hashes": VkHashes(request=b"\x01" * 32, withdraw=b"\x02" * 32, slash=b"\x03" * 32),
    }
    base.update(overrides)
    return GatewaySettings.model_validate(base)


SETTINGS = settings()
SERVICE = ServiceParams(
    service_id=SETTINGS.service_id,
    c_max=50,
    reserve=30,
    penalty_max=25,
    server_pk=public_key(SERVER_SK),
)


def expiry() -> int:
    return today() + 30


def tree() -> LeanIMT:
    return LeanIMT([leaf(note_id(k), DEPOSIT, expiry()) for k in SECRETS])


@dataclass(frozen=True)
class Paid:
    """One real paid request: what to send, and what the client knows to check the reply."""

    note: int
    method: str
    path: str
    body: bytes
    header: str = field(repr=False)
    payment: PaymentSignature = field(repr=False)
    key: TicketKey = field(repr=False)

    @property
    def nullifier(self) -> int:
        return self.payment.payload.nullifier

    def headers(self) -> dict[str, str]:
        return {"PAYMENT-SIGNATURE": self.header, "content-type": "application/json"}

    @property
    def digest(self) -> int:
        """h (D5) of the signed request: what the gateway reserves the ticket for."""
        p = self.payment.payload
        return request_digest(
            RequestFields.create(
                method=self.method,
                path=self.path,
                body=self.body,
                service_id=SERVICE.service_id,
                today=p.today,
                request_id=p.request_id,
            )
        )

    def reserve_args(self) -> tuple[int, int, int, tuple[int, int], int]:
        """What the gateway passes to `store.reserve` for this call."""
        p = self.payment.payload
        return (p.nullifier, p.x, p.y, (p.e_anon.x, p.e_anon.y), self.digest)

    def resigned(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        body: bytes | None = None,
        request_id: bytes | None = None,
    ) -> Paid:
        """The same ticket (same key, same proof: x does not depend on the request) signing
        another request."""
        p = self.payment.payload
        return signed_paid(
            self.note,
            self.key,
            self.payment,
            method or self.method,
            self.path if path is None else path,
            self.body if body is None else body,
            request_id or p.request_id,
            p.today,
        )


def signed_paid(
    note: int,
    key: TicketKey,
    base: PaymentSignature,
    method: str,
    path: str,
    body: bytes,
    request_id: bytes,
    day: int,
) -> Paid:
    """`base`'s proof and signals with `key`'s signature over this request (v3 §8)."""
    fields = RequestFields.create(
        method=method,
        path=path,
        body=body,
        service_id=SERVICE.service_id,
        today=day,
        request_id=request_id,
    )
    payload = base.payload.model_copy(
        update={
            "request_id": request_id,
            "today": day,
            "pk": key.pk,
            "signature": key.sign(canonical_request(fields)),
        }
    )
    payment = base.model_copy(update={"payload": payload})
    return Paid(note, method, path, body, encode_header(payment), payment, key)


def make_paid(
    prover: Prover,
    note_index: int,
    method: str,
    path: str,
    body: bytes,
    request_id: bytes,
    day: int | None = None,
    key: TicketKey | None = None,
    eta_value: int | None = None,
) -> Paid:
    """A genesis-state call of note `note_index` (ticket 0) under the one-time key `key` (a fresh
    one by default), proven with the real request circuit and signed over this request.
    `eta_value` replaces the deterministic η_0 (a client may prove with any η: another E_anon)."""
    day = today() if day is None else day
    key = key or TicketKey.generate()
    k = SECRETS[note_index]
    t = tree()
    note = Note(k=k, D=DEPOSIT, expiry=expiry(), proof=t.proof(note_index))
    state = NoteState.genesis(rho0(k, SERVICE.service_id))
    rerandomiser = eta(k, 0, SERVICE.service_id) if eta_value is None else eta_value
    call = CallParams(x=key.x, today=day, eta=rerandomiser)
    proof = prover.prove(request_inputs(note, state, SERVICE, call))
    unsigned = PaymentSignature(
        x402_version=2,
        scheme="zk-rln-credit",
        network=f"eip155:{CHAIN_ID}",
        payload=PaymentPayload(
            proof=proof.calldata,
            public_signals=tuple(int(s) for s in proof.public_signals),
            request_id=request_id,
            today=day,
            pk=key.pk,
            signature=bytes(64),
        ),
    )
    return signed_paid(note_index, key, unsigned, method, path, body, request_id, day)


def check_reply(paid: Paid, response: PaymentResponse) -> None:
    """The client's own checks (§6): E_new from its opening, σ_new under server_pk."""
    k = SECRETS[paid.note]
    sid = SERVICE.service_id
    genesis = genesis_opening(k, note_id(k), sid)
    opening = next_opening(genesis, eta(k, 0, sid), response.cost, response.p)
    assert response.nullifier == paid.nullifier
    assert response.E_new == commit(opening)
    assert verify_state(SERVICE.server_pk, sid, response.E_new, response.sigma_new)
    assert SCHEDULE.is_valid_cost(response.cost)


class TreeChainView:
    """Honest in-test `ChainView`: roots of a real LeanIMT, deposited IDs of its notes."""

    def __init__(self, synced: bool = True) -> None:
        self.synced = synced
        self.roots = {tree().root}
        self.ids = {note_id(k) for k in SECRETS}

    def is_synced(self) -> bool:
        return self.synced

    def is_accepted_root(self, root: int, now: float) -> bool:
        return root != 0 and root in self.roots

    def is_deposited_id(self, note_id: int) -> bool:
        return note_id in self.ids


CHAT_REPLY = b'{"choices":[{"message":{"content":"hi"}}]}'


@dataclass
class FixedUpstream:
    """Honest in-test `Upstream`: fixed bytes and usage; records every forwarded request."""

    body: bytes = CHAT_REPLY
    usage: Usage = field(default_factory=lambda: Usage(input_tokens=30, output_tokens=40))
    fail: bool = False
    raise_error: bool = False
    chunks: tuple[bytes, ...] = (b'data: {"a":1}\n\n', b'data: {"b":2}\n\n', b"data: [DONE]\n\n")
    seen: list[ForwardRequest] = field(default_factory=list)

    async def forward(self, request: ForwardRequest) -> ForwardReply:
        self.seen.append(request)
        if self.raise_error:
            raise RuntimeError("connection reset")
        return ForwardReply(200, "application/json", self.body, self.usage, failed=self.fail)

    async def forward_stream(self, request: ForwardRequest) -> ForwardStream:
        self.seen.append(request)
        stream = ForwardStream(200, "text/event-stream", _empty(), failed=self.fail)

        async def chunks() -> AsyncIterator[bytes]:
            for chunk in self.chunks:
                yield chunk
            stream.usage = self.usage

        stream.chunks = chunks()
        return stream


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""


class NoPenalty:
    """Honest in-test `Policy`: never penalises."""

    def evaluate(self, request: ForwardRequest, reply_body: bytes) -> PolicyDecision:
        return PolicyDecision(0, bytes(32))


def server_pk() -> Point:
    return SERVICE.server_pk
