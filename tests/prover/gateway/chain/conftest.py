"""Fixtures of the chain view / watcher / slasher tests: the chain fixtures of
`tests/prover/chain/conftest.py` (loaded from its path: conftest modules are not importable
under `--import-mode=importlib`), a SQLite nullifier store, and the note-spending helpers that
make real `request` and `withdraw` proofs with the built keys."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from prover.chain.mirror import VaultMirror
from prover.chain.vault import CreditVaultClient
from prover.circuits.inputs import (
    CallParams,
    Note,
    NoteState,
    ServiceParams,
    request_inputs,
    withdraw_inputs,
)
from prover.circuits.proof import Proof
from prover.circuits.prover import CircuitKeys, Prover
from prover.crypto.babyjub import Point
from prover.crypto.commitment import (
    Opening,
    commit,
    eta,
    next_commitment,
    next_opening,
    rho0,
    sign_state,
)
from prover.crypto.eddsa import public_key
from prover.crypto.rln import note_id
from prover.gateway.store import Reserved, SqliteNullifierStore, StoredReply

REQ = 0xD16E57  # the request digest h (D5) the calls here are reserved for

_CHAIN_CONFTEST = Path(__file__).resolve().parents[2] / "chain" / "conftest.py"
if "zkc_chain_fixtures" in sys.modules:  # one copy per session (tests/prover/gateway/app too)
    chain_fixtures = sys.modules["zkc_chain_fixtures"]
else:
    _spec = importlib.util.spec_from_file_location("zkc_chain_fixtures", _CHAIN_CONFTEST)
    assert _spec is not None and _spec.loader is not None
    chain_fixtures = importlib.util.module_from_spec(_spec)
    sys.modules["zkc_chain_fixtures"] = chain_fixtures
    _spec.loader.exec_module(chain_fixtures)

circuits_built = chain_fixtures.circuits_built
deployment = chain_fixtures.deployment
net = chain_fixtures.net
secret = chain_fixtures.secret
SERVER_SECRET: int = chain_fixtures.SERVER_SECRET
DEPOSIT_UNITS: int = chain_fixtures.DEPOSIT_UNITS
SLASHER_INDEX: int = chain_fixtures.SLASHER_INDEX


@pytest.fixture(scope="session")
def server_secret() -> int:
    """The gateway's state-signing key the session deployment pinned (`server_pk`)."""
    return SERVER_SECRET


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteNullifierStore]:
    s = SqliteNullifierStore(tmp_path / "nullifiers.sqlite")
    yield s
    s.close()


@pytest.fixture(scope="session")
def provers(circuits_built: object) -> Iterator[dict[str, Prover]]:
    """Warm provers of the built `request` and `withdraw` keys (the user's side)."""
    out = {name: Prover(CircuitKeys.load(name)) for name in ("request", "withdraw")}
    yield out
    for p in out.values():
        p.close()


@dataclass
class UserNote:
    """A deposited note and the user's view of it; `spend()` makes real paid calls through the
    gateway's store, exactly as §6 steps 3 and 5 do (reserve, then complete with a signed reply)."""

    k: int
    index: int
    deposit: int
    expiry: int
    mirror: VaultMirror
    vault: CreditVaultClient
    provers: dict[str, Prover]
    states: list[NoteState] = field(default_factory=list)  # states[n]: the state before ticket n
    calls: list[tuple[int, int, int]] = field(default_factory=list)  # (x, y, nullifier) per call

    @property
    def service(self) -> ServiceParams:
        p = self.vault.params()
        pk = public_key(SERVER_SECRET)
        return ServiceParams(
            service_id=self.mirror.service_id,
            c_max=p.c_max,
            reserve=p.reserve,
            penalty_max=p.penalty_max,
            server_pk=pk,
        )

    @property
    def note(self) -> Note:
        return Note(k=self.k, D=self.deposit, expiry=self.expiry,
                    proof=self.mirror.merkle_proof(self.index))  # fmt: skip

    def __post_init__(self) -> None:
        self.states.append(NoteState.genesis(rho0(self.k, self.mirror.service_id)))

    def request_proof(self, n: int, x: int, today: int) -> Proof:
        """A real `request` proof for ticket `n` (from the state before it) at `x`."""
        sid = self.mirror.service_id
        call = CallParams(x=x, today=today, eta=eta(self.k, n, sid))
        return self.provers["request"].prove(
            request_inputs(self.note, self.states[n], self.service, call)
        )

    def pay(self, store: SqliteNullifierStore, x: int, today: int, cost: int = 100) -> Proof:
        """Spend the next ticket on a call at `x`; the gateway signs the next state."""
        n = len(self.states) - 1
        proof = self.request_proof(n, x, today)
        y, nul, ex, ey = (int(s) for s in proof.public_signals[:4])
        assert isinstance(store.reserve(nul, x, y, (ex, ey), REQ), Reserved)
        sid = self.mirror.service_id
        e_new = next_commitment(Point(ex, ey), cost, 0)
        sig = sign_state(SERVER_SECRET, sid, e_new)
        reply = StoredReply.model_validate(
            {"cost": str(cost), "p": "0", "evidence_hash": "0",
             "E_new": [str(e_new.x), str(e_new.y)],
             "sigma_new": {"R8": [str(sig.R8.x), str(sig.R8.y)], "S": str(sig.S)}}
        )  # fmt: skip
        store.complete(nul, x, reply)
        state = self.states[n]
        opening = next_opening(
            Opening(n=state.n, C=state.C, P=state.P, ID=note_id(self.k), rho=state.rho),
            eta(self.k, n, sid), cost, 0,
        )  # fmt: skip
        assert commit(opening) == e_new
        self.states.append(
            NoteState(n=opening.n, C=opening.C, P=opening.P, rho=opening.rho, signature=sig)
        )
        self.calls.append((x, y, nul))
        return proof

    def withdraw_proof(self, n: int, recipient: str, pending: bool = False) -> Proof:
        """A real `withdraw` proof from the state before ticket `n` (stale if `n` is not the
        newest), built with `prover.circuits.inputs.withdraw_inputs`."""
        return self.provers["withdraw"].prove(
            withdraw_inputs(self.note, self.states[n], self.service, int(recipient, 16), pending)
        )


@pytest.fixture
def new_note(
    net: object, provers: dict[str, Prover]
) -> Callable[[CreditVaultClient, VaultMirror], UserNote]:
    """Deposit a fresh note, wait for the next checkpoint (final), return the user's view."""

    def make(vault: CreditVaultClient, mirror: VaultMirror) -> UserNote:
        k = chain_fixtures.random_secret()
        net.deposit(vault, k)  # type: ignore[attr-defined]
        net.next_epoch()  # type: ignore[attr-defined]
        net.settle(mirror)  # type: ignore[attr-defined]
        record = mirror.deposit_of(note_id(k))
        assert record is not None
        return UserNote(k, record.index, record.deposit, record.expiry, mirror, vault, provers)

    return make
