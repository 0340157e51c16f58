"""Hypothesis drives random sequences of wallet operations against a plain model of the notes.

Every operation is also run on the real files (compaction every 3 records, random reopen), and
after each step the wallet must agree with the model, each state must open its commitment, and
each signed state must verify under the server key.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from prover.client.wallet import (
    InsufficientCreditError,
    InvalidReplyError,
    InvalidTransitionError,
    NoPendingTicketError,
    NoteStatus,
    NoteStatusError,
    ServiceParams,
    TicketBoundError,
    Wallet,
)
from prover.client.wallet.ledger import ALLOWED
from prover.crypto import commit
from prover.crypto.commitment import verify_state

BODIES = [b"alpha", b"beta", b"gamma"]


@dataclass
class ModelNote:
    status: NoteStatus = NoteStatus.CREATED
    n: int = 0
    C: int = 0
    P: int = 0
    pending: bytes | None = None  # the body in flight on the current ticket
    pk: bytes | None = None  # the current ticket's one-time key, once drawn
    shown: bool = False  # a request on the current ticket may have been seen
    D: int = 0


class WalletMachine(RuleBasedStateMachine):
    kit: Any
    service: ServiceParams
    server_sk: int

    notes = Bundle("notes")

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="wallet-sm-"))
        self.path = self.dir / "w.zkw"
        self.wallet = Wallet.create(
            self.path, self.kit.passphrase, kdf=self.kit.kdf, compact_every=3
        )
        self.gateway = self.kit.gateway(self.server_sk, self.service)
        self.model: dict[int, ModelNote] = {}

    def teardown(self) -> None:
        self.wallet.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def request(self, body: bytes) -> Any:
        return self.kit.make_request(self.service, body, rid=hashlib.sha256(body).digest()[:16])

    @rule(target=notes)
    def new_note(self) -> int:
        note = self.wallet.new_note(self.service)
        self.model[note.id] = ModelNote()
        return note.id

    @rule(nid=notes, extra=st.integers(0, 150))
    def deposit(self, nid: int, extra: int) -> None:
        m = self.model[nid]
        D = self.service.c_max + self.service.reserve + extra
        if m.status is NoteStatus.CREATED:
            self.wallet.record_deposit(nid, self.kit.deposit_info(D=D))
            m.status, m.D = NoteStatus.ACTIVE, D
        else:
            try:
                self.wallet.record_deposit(nid, self.kit.deposit_info(D=D))
                raise AssertionError("a second deposit was accepted")
            except InvalidTransitionError:
                pass

    @rule(nid=notes, body=st.sampled_from(BODIES))
    def begin(self, nid: int, body: bytes) -> None:
        m = self.model[nid]
        try:
            ticket = self.wallet.begin_call(nid, self.request(body))
        except TicketBoundError:
            assert m.pending is not None and m.pending != body
            return
        except NoteStatusError:
            assert m.pending is None and m.status is not NoteStatus.ACTIVE
            return
        except InsufficientCreditError:
            assert m.pending is None and m.D - m.C - m.P - self.service.reserve < self.service.c_max
            return
        # a resend of the request in flight is always allowed; a new one needs an active note
        assert m.pending == body or (m.pending is None and m.status is NoteStatus.ACTIVE)
        assert ticket.n == m.n and ticket.request is not None and ticket.request.body == body
        assert m.pk in (None, ticket.pk)  # the key never changes once drawn
        m.pending, m.pk = body, ticket.pk

    @rule(nid=notes)
    def key(self, nid: int) -> None:
        m = self.model[nid]
        try:
            ticket = self.wallet.key_ticket(nid)
        except NoteStatusError:
            assert m.pk is None and m.status is not NoteStatus.ACTIVE
            return
        assert m.pk in (None, ticket.pk) and ticket.n == m.n
        m.pk = ticket.pk

    @rule(nid=notes, sent=st.booleans())
    def release(self, nid: int, sent: bool) -> None:
        m = self.model[nid]
        rid = hashlib.sha256(m.pending or b"none").digest()[:16]
        try:
            self.wallet.release_call(nid, rid, sent=sent, reason="refused: unreserved")
        except NoPendingTicketError:
            assert m.pending is None
            return
        assert m.pending is not None
        m.pending, m.shown = None, m.shown or sent

    @rule(nid=notes, cost=st.integers(0, 100), penalize=st.booleans(), tamper=st.booleans())
    def complete(self, nid: int, cost: int, penalize: bool, tamper: bool) -> None:
        m = self.model[nid]
        note = self.wallet.note(nid)
        if note.ticket is None:
            assert m.pk is None
            return
        p = self.service.penalty_max if penalize else 0
        reply = self.gateway.serve(note, note.ticket, cost, p, b"\x07" * 32 if p else None)
        if tamper:
            forged = reply.model_copy(update={"cost": (reply.cost + 1) % (self.service.c_max + 1)})
            try:
                self.wallet.complete_call(nid, forged)
                raise AssertionError("a forged reply was committed")
            except InvalidReplyError:
                return
        self.wallet.complete_call(nid, reply)
        # a ticket served before (then forged) gets its stored reply back, as from a gateway
        m.n, m.C, m.P, m.pending = m.n + 1, m.C + reply.cost, m.P + reply.p, None
        m.pk, m.shown = None, False
        if reply.p and m.status is NoteStatus.ACTIVE:
            m.status = NoteStatus.HALTED

    @rule(nid=notes)
    def complete_without_a_ticket(self, nid: int) -> None:
        if self.model[nid].pk is None:
            stale = self.wallet.note(nid).last_reply
            if stale is None:
                return
            forged = stale.model_copy(update={"p": stale.p ^ 1})
            try:
                self.wallet.complete_call(nid, forged)
                raise AssertionError("a reply without a keyed ticket was accepted")
            except NoPendingTicketError:
                pass

    @rule(nid=notes, target_status=st.sampled_from(list(NoteStatus)))
    def change_status(self, nid: int, target_status: NoteStatus) -> None:
        m = self.model[nid]
        mark = {
            NoteStatus.HALTED: self.wallet.halt,
            NoteStatus.EXITING: self.wallet.mark_exiting,
            NoteStatus.CLOSED: self.wallet.mark_closed,
            NoteStatus.SLASHED: self.wallet.mark_slashed,
        }.get(target_status)
        if mark is None:
            return
        if target_status in ALLOWED[m.status]:
            mark(nid)
            m.status = target_status
        else:
            try:
                mark(nid)
                raise AssertionError(f"{m.status} -> {target_status} was accepted")
            except InvalidTransitionError:
                pass

    @rule()
    def reopen(self) -> None:
        self.wallet.close()
        self.wallet = Wallet.open(self.path, self.kit.passphrase, compact_every=3)

    @invariant()
    def wallet_matches_the_model(self) -> None:
        notes = {n.id: n for n in self.wallet.notes()}
        assert set(notes) == set(self.model)
        for nid, m in self.model.items():
            note = notes[nid]
            s = note.state
            assert (note.status, s.n, s.C, s.P) == (m.status, m.n, m.C, m.P)
            assert (note.in_flight.body if note.in_flight else None) == m.pending
            assert (note.ticket.pk if note.ticket else None) == m.pk
            assert (note.ticket.shown if note.ticket else False) == m.shown
            assert commit(s.opening(nid)) == s.E
            if s.sigma is not None:
                assert verify_state(self.service.server_pk, self.service.service_id, s.E, s.sigma)
            if m.D:
                assert note.balance == m.D - m.C - m.P - self.service.reserve


def test_random_operation_sequences_keep_the_wallet_equal_to_its_model(
    kit: Any, service: ServiceParams, server_sk: int
) -> None:
    WalletMachine.kit, WalletMachine.service, WalletMachine.server_sk = kit, service, server_sk
    run_state_machine_as_test(
        WalletMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
