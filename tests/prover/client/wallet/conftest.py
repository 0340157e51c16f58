"""Fixtures for the wallet tests: a service with a real server key, a reference gateway, wallets.

`ReferenceGateway` is NOT the gateway: it is a few lines computing, with the real crypto of
`prover.crypto`, exactly what PROTOCOL §6 step 5 says the gateway computes for a served ticket
(`E_new = E_anon + G_n + cost·G_C + p·G_P`, signed with EdDSA-Poseidon), plus a nullifier store
that fails the test on a double spend and answers `GET /state/{nullifier}` for recovery tests.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from prover.client.wallet import (
    DepositInfo,
    KdfParams,
    Note,
    ServiceParams,
    Ticket,
    Wallet,
    ticket_nullifier,
)
from prover.crypto import (
    RequestFields,
    commit,
    eta,
    generate_secret_key,
    next_commitment,
    public_key,
    rerandomise,
    service_id,
)
from prover.crypto.commitment import sign_state
from prover.wire.response import PaymentResponse

VAULT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CHAIN_ID = 31337
FAST_KDF = KdfParams(log2_n=10, r=8, p=1)
PASSPHRASE = "correct horse battery staple"
TODAY = 20_000


def make_service(
    sk: int, *, c_max: int = 100, reserve: int = 60, penalty_max: int = 50
) -> ServiceParams:
    return ServiceParams(
        chain_id=CHAIN_ID,
        vault_address=VAULT,
        service_id=service_id(CHAIN_ID, VAULT),
        server_pk=public_key(sk),
        c_max=c_max,
        reserve=reserve,
        penalty_max=penalty_max,
        unit=1,
    )


def make_request(
    service: ServiceParams, body: bytes, *, today: int = TODAY, rid: bytes | None = None
) -> RequestFields:
    return RequestFields.create(
        method="POST",
        path="/v1/chat/completions",
        body=body,
        service_id=service.service_id,
        today=today,
        request_id=rid if rid is not None else secrets.token_bytes(16),
    )


def deposit_info(D: int = 10_000, expiry: int = TODAY + 30) -> DepositInfo:
    return DepositInfo(tx_hash=b"\x11" * 32, leaf_index=0, D=D, expiry=expiry)


@dataclass
class ReferenceGateway:
    """What the gateway computes for a served ticket, with the real crypto (see module doc)."""

    sk: int
    service: ServiceParams
    bound: dict[int, int] = field(default_factory=dict)  # nullifier -> x
    served: dict[int, PaymentResponse] = field(default_factory=dict)

    def record_sent(self, nullifier: int, x: int) -> None:
        """The nullifier store's reserve step: a second x for one nullifier is a double spend
        (two one-time keys, so two shares, for one ticket)."""
        seen = self.bound.setdefault(nullifier, x)
        assert seen == x, f"double spend: ticket nullifier {nullifier} sent under two keys"

    def serve(
        self,
        note: Note,
        ticket: Ticket,
        cost: int,
        p: int = 0,
        evidence: bytes | None = None,
    ) -> PaymentResponse:
        """Reply to the proof the client would send for `ticket` from `note`'s state."""
        sid = self.service.service_id
        assert ticket.n == note.state.n
        self.record_sent(ticket.nullifier, ticket.x)
        if ticket.nullifier in self.served:
            return self.served[ticket.nullifier]  # a retry gets the stored reply
        # The proof shows E_anon = E + η·G_H for the client's E (circuit rows 5 and 6).
        e_anon = rerandomise(commit(note.state.opening(note.id)), eta(note.k, ticket.n, sid))
        e_new = next_commitment(e_anon, cost, p)
        reply = PaymentResponse(
            nullifier=ticket_nullifier(note.k, ticket.n, sid),
            cost=cost,
            p=p,
            evidence_hash=evidence if evidence is not None else bytes(32),
            E_new=e_new,
            sigma_new=sign_state(self.sk, sid, e_new),
        )
        self.served[ticket.nullifier] = reply
        return reply

    def fetch_state(self, nullifier: int) -> PaymentResponse | None:
        """`GET /state/{nullifier}`."""
        return self.served.get(nullifier)


@pytest.fixture(scope="session")
def server_sk() -> int:
    return generate_secret_key()


@pytest.fixture(scope="session")
def service(server_sk: int) -> ServiceParams:
    return make_service(server_sk)


@pytest.fixture
def gateway(server_sk: int, service: ServiceParams) -> ReferenceGateway:
    return ReferenceGateway(server_sk, service)


@pytest.fixture
def wallet_path(tmp_path: Path) -> Path:
    return tmp_path / "wallet.zkw"


@pytest.fixture
def wallet(wallet_path: Path) -> Wallet:
    return Wallet.create(wallet_path, PASSPHRASE, kdf=FAST_KDF)


@pytest.fixture
def active_note(wallet: Wallet, service: ServiceParams) -> Note:
    note = wallet.new_note(service)
    return wallet.record_deposit(note.id, deposit_info())


@pytest.fixture
def request_for(service: ServiceParams) -> Callable[[bytes], RequestFields]:
    return lambda body: make_request(service, body)


@dataclass(frozen=True)
class Kit:
    """Constants and helpers of this folder, handed to tests as the `kit` fixture."""

    passphrase: str = PASSPHRASE
    kdf: KdfParams = FAST_KDF
    today: int = TODAY
    make_request: Callable[..., RequestFields] = make_request
    deposit_info: Callable[..., DepositInfo] = deposit_info
    make_service: Callable[..., ServiceParams] = make_service
    gateway: type[ReferenceGateway] = ReferenceGateway


@pytest.fixture(scope="session")
def kit() -> Kit:
    return Kit()
