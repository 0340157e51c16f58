"""Round trips of the wallet API: notes, deposits, calls, replies, statuses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prover.client.wallet import (
    InsufficientCreditError,
    InvalidReplyError,
    InvalidTransitionError,
    NoPendingTicketError,
    Note,
    NoteExpiredError,
    NoteStatus,
    NoteStatusError,
    ServiceParams,
    TicketBoundError,
    UnknownNoteError,
    Wallet,
    WalletClosedError,
    WalletExistsError,
)
from prover.crypto import (
    RequestFields,
    TicketKey,
    canonical_request,
    commit,
    genesis_opening,
    note_id,
    rho0,
    x_of_pk,
)
from prover.crypto.commitment import verify_state

Req = Callable[[bytes], RequestFields]


def test_a_new_note_reopens_unchanged_from_the_file(
    wallet: Wallet, wallet_path: Path, service: ServiceParams, kit: Any
) -> None:
    note = wallet.new_note(service)
    wallet.close()
    with Wallet.open(wallet_path, kit.passphrase) as again:
        assert again.notes() == [note]
        assert again.note(note.id).status is NoteStatus.CREATED


def test_a_new_note_has_a_fresh_secret_its_id_and_the_genesis_state(
    wallet: Wallet, service: ServiceParams, kit: Any, server_sk: int
) -> None:
    other_service = kit.make_service(server_sk, c_max=7, reserve=60)
    notes = [wallet.new_note(service) for _ in range(3)] + [wallet.new_note(other_service)]
    assert len({n.k for n in notes}) == 4
    for n in notes:
        assert n.id == note_id(n.k)
        assert n.state.rho == rho0(n.k, n.service.service_id)
        assert commit(genesis_opening(n.k, n.id, n.service.service_id)) == n.state.E
        assert n.state.sigma is None


def test_creating_a_wallet_over_an_existing_file_is_refused(wallet_path: Path, kit: Any) -> None:
    wallet_path.write_bytes(b"precious")
    with pytest.raises(WalletExistsError):
        Wallet.create(wallet_path, kit.passphrase, kdf=kit.kdf)
    assert wallet_path.read_bytes() == b"precious"


def test_a_deposit_activates_a_note_and_sets_its_balance(
    wallet: Wallet, service: ServiceParams, kit: Any
) -> None:
    note = wallet.new_note(service)
    assert wallet.balance(note.id) == 0
    active = wallet.record_deposit(note.id, kit.deposit_info(D=1_000))
    assert active.status is NoteStatus.ACTIVE
    assert wallet.balance(note.id) == 1_000 - service.reserve


def test_a_deposit_below_c_max_plus_reserve_is_refused(
    wallet: Wallet, service: ServiceParams, kit: Any
) -> None:
    note = wallet.new_note(service)
    with pytest.raises(InvalidTransitionError, match="minimum"):
        wallet.record_deposit(note.id, kit.deposit_info(D=service.c_max + service.reserve - 1))
    assert wallet.note(note.id).status is NoteStatus.CREATED


def test_a_call_binds_a_ticket_and_a_verified_reply_commits_the_next_state(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req, service: ServiceParams
) -> None:
    req = request_for(b'{"q": 1}')
    with wallet.lease(active_note.id):
        ticket = wallet.begin_call(active_note.id, req)
        assert ticket.n == 0 and ticket.request is not None
        assert ticket.request.canonical(service.service_id) == canonical_request(req)
        assert wallet.in_flight(active_note.id) == ticket
        reply = gateway.serve(active_note, ticket, cost=30)
        state = wallet.complete_call(active_note.id, reply)
    assert (state.n, state.C, state.P) == (1, 30, 0)
    assert reply.E_new == state.E
    assert state.sigma is not None
    assert verify_state(service.server_pk, service.service_id, state.E, state.sigma)
    assert wallet.in_flight(active_note.id) is None
    assert wallet.balance(active_note.id) == 10_000 - 30 - service.reserve


def test_beginning_the_same_request_again_returns_the_same_ticket(
    wallet: Wallet, active_note: Note, request_for: Req
) -> None:
    req = request_for(b"same")
    first = wallet.begin_call(active_note.id, req)
    assert wallet.begin_call(active_note.id, req) == first


def test_another_request_while_one_is_in_flight_is_refused(
    wallet: Wallet, active_note: Note, request_for: Req
) -> None:
    first = wallet.begin_call(active_note.id, request_for(b"first"))
    with pytest.raises(TicketBoundError, match="in flight"):
        wallet.begin_call(active_note.id, request_for(b"second"))
    assert wallet.in_flight(active_note.id) == first


def test_a_request_in_flight_rebuilds_the_exact_signed_bytes_for_a_resend(
    wallet: Wallet, active_note: Note, request_for: Req, service: ServiceParams
) -> None:
    req = request_for(b"\x00\xffbinary body")
    ticket = wallet.begin_call(active_note.id, req)
    assert ticket.request is not None
    assert ticket.request.fields(service.service_id) == req
    key = TicketKey.from_secret(ticket.secret)
    signed = key.sign(ticket.request.canonical(service.service_id))
    assert signed == key.sign(canonical_request(req))  # Ed25519 is deterministic


def test_a_reply_with_a_tampered_state_is_refused_and_nothing_is_committed(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req
) -> None:
    ticket = wallet.begin_call(active_note.id, request_for(b"x"))
    good = gateway.serve(active_note, ticket, cost=20)
    lying = good.model_copy(update={"cost": 10})  # claims a cheaper call than it signed
    with pytest.raises(InvalidReplyError, match="E_new"):
        wallet.complete_call(active_note.id, lying)
    assert wallet.note(active_note.id).state == active_note.state
    assert wallet.in_flight(active_note.id) == ticket


def test_a_reply_signed_by_another_key_is_refused(
    wallet: Wallet, active_note: Note, request_for: Req, service: ServiceParams, kit: Any
) -> None:
    from prover.crypto import generate_secret_key

    ticket = wallet.begin_call(active_note.id, request_for(b"x"))
    impostor = kit.gateway(generate_secret_key(), service)
    with pytest.raises(InvalidReplyError, match="server_pk"):
        wallet.complete_call(active_note.id, impostor.serve(active_note, ticket, cost=5))
    assert wallet.in_flight(active_note.id) == ticket


def test_a_reply_for_another_ticket_is_refused(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req
) -> None:
    ticket = wallet.begin_call(active_note.id, request_for(b"x"))
    reply = gateway.serve(active_note, ticket, cost=5)
    wrong = reply.model_copy(update={"nullifier": reply.nullifier ^ 1})
    with pytest.raises(InvalidReplyError, match="nullifier"):
        wallet.complete_call(active_note.id, wrong)


def test_a_reply_charging_more_than_c_max_is_refused(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req, service: ServiceParams
) -> None:
    ticket = wallet.begin_call(active_note.id, request_for(b"x"))
    reply = gateway.serve(active_note, ticket, cost=service.c_max + 1)
    with pytest.raises(InvalidReplyError, match="c_max"):
        wallet.complete_call(active_note.id, reply)


def test_completing_twice_with_the_same_reply_returns_the_committed_state(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req
) -> None:
    ticket = wallet.begin_call(active_note.id, request_for(b"x"))
    reply = gateway.serve(active_note, ticket, cost=5)
    state = wallet.complete_call(active_note.id, reply)
    assert wallet.complete_call(active_note.id, reply) == state


def test_completing_without_a_keyed_ticket_is_refused(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req
) -> None:
    ticket = wallet.begin_call(active_note.id, request_for(b"x"))
    other_wallet_reply = gateway.serve(active_note, ticket, cost=5)
    wallet.complete_call(active_note.id, other_wallet_reply)
    stale = other_wallet_reply.model_copy(update={"cost": 6})
    with pytest.raises(NoPendingTicketError):
        wallet.complete_call(active_note.id, stale)


def test_a_penalty_halts_the_note_and_keeps_the_evidence(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req, service: ServiceParams
) -> None:
    ticket = wallet.begin_call(active_note.id, request_for(b"bad"))
    evidence = b"\xee" * 32
    reply = gateway.serve(active_note, ticket, cost=10, p=service.penalty_max, evidence=evidence)
    wallet.complete_call(active_note.id, reply)
    note = wallet.note(active_note.id)
    assert note.status is NoteStatus.HALTED
    assert note.evidence_hash == evidence
    assert service.penalty_max == note.state.P
    with pytest.raises(NoteStatusError, match="halted"):
        wallet.begin_call(active_note.id, request_for(b"more"))


def test_a_penalty_other_than_penalty_max_is_refused(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req, service: ServiceParams
) -> None:
    ticket = wallet.begin_call(active_note.id, request_for(b"x"))
    reply = gateway.serve(
        active_note, ticket, cost=1, p=service.penalty_max - 1, evidence=b"\x01" * 32
    )
    with pytest.raises(InvalidReplyError, match="penalty"):
        wallet.complete_call(active_note.id, reply)


def test_a_call_that_may_spend_exactly_the_last_credit_is_allowed(
    wallet: Wallet, service: ServiceParams, kit: Any, request_for: Req
) -> None:
    note = wallet.new_note(service)
    wallet.record_deposit(note.id, kit.deposit_info(D=service.c_max + service.reserve))
    ticket = wallet.begin_call(note.id, request_for(b"x"))  # C + c_max + P + reserve == D
    assert ticket.n == 0


def test_a_call_after_the_credit_is_used_up_is_refused(
    wallet: Wallet, service: ServiceParams, kit: Any, request_for: Req, gateway: Any
) -> None:
    note = wallet.new_note(service)
    note = wallet.record_deposit(note.id, kit.deposit_info(D=service.c_max + service.reserve + 5))
    ticket = wallet.begin_call(note.id, request_for(b"x"))
    wallet.complete_call(note.id, gateway.serve(note, ticket, cost=6))
    with pytest.raises(InsufficientCreditError, match="balance"):
        wallet.begin_call(note.id, request_for(b"y"))
    assert wallet.in_flight(note.id) is None
    assert wallet.note(note.id).ticket is None  # a refused request draws no ticket key


def test_a_call_after_expiry_is_refused(
    wallet: Wallet, active_note: Note, kit: Any, service: ServiceParams
) -> None:
    assert active_note.deposit is not None
    late = kit.make_request(service, b"x", today=active_note.deposit.expiry + 1)
    with pytest.raises(NoteExpiredError, match="expiry"):
        wallet.begin_call(active_note.id, late)


def test_a_call_on_an_undeposited_note_is_refused(
    wallet: Wallet, service: ServiceParams, request_for: Req
) -> None:
    note = wallet.new_note(service)
    with pytest.raises(NoteStatusError, match="created"):
        wallet.begin_call(note.id, request_for(b"x"))


def test_statuses_follow_exit_and_slash_rules(
    wallet: Wallet, service: ServiceParams, kit: Any
) -> None:
    a = wallet.record_deposit(wallet.new_note(service).id, kit.deposit_info())
    b = wallet.record_deposit(wallet.new_note(service).id, kit.deposit_info())
    wallet.mark_exiting(a.id)
    wallet.mark_closed(a.id)
    assert wallet.note(a.id).status is NoteStatus.CLOSED
    with pytest.raises(InvalidTransitionError, match="closed"):
        wallet.mark_slashed(a.id)
    with pytest.raises(InvalidTransitionError, match="active note cannot become closed"):
        wallet.mark_closed(b.id)
    wallet.halt(b.id, b"\x05" * 32)
    wallet.mark_slashed(b.id)
    assert wallet.note(b.id).status is NoteStatus.SLASHED
    assert wallet.note(b.id).evidence_hash == b"\x05" * 32


def test_unknown_notes_and_closed_wallets_give_clear_errors(wallet: Wallet) -> None:
    with pytest.raises(UnknownNoteError, match="no note with ID 42"):
        wallet.note(42)
    wallet.close()
    with pytest.raises(WalletClosedError):
        wallet.notes()


def test_payable_notes_are_the_active_solvent_unexpired_idle_notes_of_the_service(
    wallet: Wallet, service: ServiceParams, kit: Any, request_for: Req, gateway: Any
) -> None:
    def deposited(D: int = 10_000, expiry: int = kit.today + 30) -> Note:
        return wallet.record_deposit(
            wallet.new_note(service).id, kit.deposit_info(D=D, expiry=expiry)
        )

    idle = deposited()
    busy = deposited()
    wallet.begin_call(busy.id, request_for(b"in flight"))
    deposited(expiry=kit.today - 1)  # expired
    halted = deposited()
    wallet.halt(halted.id)
    wallet.new_note(service)  # never deposited
    spent = deposited(D=service.c_max + service.reserve + 1)
    ticket = wallet.begin_call(spent.id, request_for(b"spend"))
    wallet.complete_call(spent.id, gateway.serve(spent, ticket, cost=2))  # now below c_max
    ids = [n.id for n in wallet.payable_notes(service.service_id, kit.today)]
    assert ids == [idle.id]
    settle = wallet.payable_notes(service.service_id, kit.today, with_in_flight=True)
    assert sorted(n.id for n in settle) == sorted([idle.id, busy.id])
    assert [n.id for n in wallet.notes_in_flight(service.service_id)] == [busy.id]
    assert wallet.payable_notes(service.service_id + 1, kit.today) == []


def test_a_ticket_gets_one_key_journalled_once_whose_hash_is_x(
    wallet: Wallet, wallet_path: Path, active_note: Note, service: ServiceParams, kit: Any
) -> None:
    ticket = wallet.key_ticket(active_note.id)
    assert wallet.key_ticket(active_note.id) == ticket  # the same key, not a second one
    assert ticket.n == 0 and ticket.request is None and not ticket.shown
    assert TicketKey.from_secret(ticket.secret).pk == ticket.pk
    assert ticket.x == x_of_pk(ticket.pk) != 0
    from prover.client.wallet import ticket_nullifier

    assert ticket.nullifier == ticket_nullifier(active_note.k, 0, service.service_id)
    wallet.close()
    with Wallet.open(wallet_path, kit.passphrase) as again:
        assert again.key_ticket(active_note.id) == ticket  # durable before any proof leaves


def test_a_released_request_frees_the_same_ticket_key_and_share_for_another_request(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req
) -> None:
    first = wallet.begin_call(active_note.id, request_for(b"refused by the gateway"))
    assert first.request is not None
    gateway.record_sent(first.nullifier, first.x)  # the gateway saw the share, reserved nothing
    freed = wallet.release_call(
        active_note.id, first.request.request_id, sent=True, reason="bad_request (unreserved)"
    )
    assert freed.request is None and freed.shown and freed.pk == first.pk
    assert wallet.in_flight(active_note.id) is None
    second = wallet.begin_call(active_note.id, request_for(b"the next request"))
    assert (second.n, second.pk, second.x, second.nullifier) == (
        0,
        first.pk,
        first.x,
        first.nullifier,
    )
    reply = gateway.serve(
        wallet.note(active_note.id), second, cost=9
    )  # same share: no double spend
    state = wallet.complete_call(active_note.id, reply)
    assert state.n == 1 and wallet.note(active_note.id).ticket is None


def test_a_request_never_sent_is_released_without_showing_the_share(
    wallet: Wallet, active_note: Note, request_for: Req
) -> None:
    ticket = wallet.begin_call(active_note.id, request_for(b"connection refused"))
    assert ticket.request is not None
    freed = wallet.release_call(
        active_note.id, ticket.request.request_id, sent=False, reason="connection refused"
    )
    assert not freed.shown and freed.request is None


def test_releasing_a_request_that_is_not_in_flight_is_refused(
    wallet: Wallet, active_note: Note, request_for: Req
) -> None:
    with pytest.raises(NoPendingTicketError):
        wallet.release_call(active_note.id, b"\x01" * 16, sent=True, reason="x")
    ticket = wallet.begin_call(active_note.id, request_for(b"x"))
    with pytest.raises(NoPendingTicketError):
        wallet.release_call(active_note.id, b"\x02" * 16, sent=True, reason="another id")
    assert wallet.in_flight(active_note.id) == ticket


def test_a_reply_completes_the_ticket_even_after_its_request_was_released(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req
) -> None:
    """`ticket_reserved` with a signed state: the gateway served another request of the ticket
    (one released in error); its state completes the note all the same."""
    ticket = wallet.begin_call(active_note.id, request_for(b"served after all"))
    assert ticket.request is not None
    reply = gateway.serve(active_note, ticket, cost=4)
    wallet.release_call(active_note.id, ticket.request.request_id, sent=True, reason="lost")
    state = wallet.complete_call(active_note.id, reply)
    assert state.n == 1 and state.C == 4


def test_a_completed_ticket_is_consumed_and_the_next_one_gets_a_new_key(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req
) -> None:
    first = wallet.begin_call(active_note.id, request_for(b"one"))
    wallet.complete_call(active_note.id, gateway.serve(active_note, first, cost=3))
    second = wallet.key_ticket(active_note.id)
    assert second.n == 1 and second.pk != first.pk and second.nullifier != first.nullifier


def test_no_key_is_drawn_for_a_note_that_cannot_pay(wallet: Wallet, service: ServiceParams) -> None:
    note = wallet.new_note(service)
    with pytest.raises(NoteStatusError, match="created"):
        wallet.key_ticket(note.id)
    assert wallet.note(note.id).ticket is None
