"""Recovering a note from its secret alone by walking `GET /state/{nullifier}`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from prover.client.wallet import (
    InvalidReplyError,
    Note,
    NoteStatus,
    ServiceParams,
    Wallet,
    recover_note,
    restore_note,
    ticket_nullifier,
)
from prover.crypto import (
    RequestFields,
    commit,
    generate_secret_key,
    genesis_opening,
    nullifier,
    slope,
)
from prover.wire.response import PaymentResponse

Req = Callable[[bytes], RequestFields]


def spend(wallet: Wallet, note: Note, gateway: Any, request_for: Req, costs: list[int]) -> Note:
    for i, cost in enumerate(costs):
        ticket = wallet.begin_call(note.id, request_for(b"call %d" % i))
        wallet.complete_call(note.id, gateway.serve(wallet.note(note.id), ticket, cost=cost))
    return wallet.note(note.id)


def test_the_walk_rebuilds_the_latest_signed_state_from_k_alone(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req, service: ServiceParams
) -> None:
    latest = spend(wallet, active_note, gateway, request_for, [3, 0, 17, 40])
    asked: list[int] = []

    def fetch(n: int) -> PaymentResponse | None:
        asked.append(n)
        reply: PaymentResponse | None = gateway.fetch_state(n)
        return reply

    found = recover_note(active_note.k, service, fetch)
    assert found.state == latest.state
    assert found.served == 4
    # the walk asks for nullifier_n = H(TAG_NULL, H(TAG_SLOPE, k, n, service_id)), n = 0..4
    assert asked == [nullifier(slope(active_note.k, n, service.service_id)) for n in range(5)]


def test_a_note_never_used_recovers_to_its_genesis_state(
    active_note: Note, service: ServiceParams, gateway: Any
) -> None:
    found = recover_note(active_note.k, service, gateway.fetch_state)
    assert found.served == 0 and found.state.sigma is None
    assert (
        commit(genesis_opening(active_note.k, active_note.id, service.service_id)) == found.state.E
    )


def test_the_walk_stops_at_the_first_unserved_ticket_even_with_a_request_in_flight(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req, service: ServiceParams
) -> None:
    spend(wallet, active_note, gateway, request_for, [5])
    wallet.begin_call(active_note.id, request_for(b"never answered"))
    found = recover_note(active_note.k, service, gateway.fetch_state)
    assert found.state.n == 1 and found.state.C == 5


def test_a_served_but_unrecorded_reply_is_found_by_the_walk(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req, service: ServiceParams
) -> None:
    ticket = wallet.begin_call(active_note.id, request_for(b"lost reply"))
    reply = gateway.serve(active_note, ticket, cost=9)  # the client crashed before reading it
    found = recover_note(active_note.k, service, gateway.fetch_state)
    assert reply.E_new == found.state.E and found.state.C == 9
    assert wallet.complete_call(active_note.id, reply) == found.state


def test_a_gateway_reply_that_does_not_match_the_rebuilt_opening_is_refused(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req, service: ServiceParams
) -> None:
    spend(wallet, active_note, gateway, request_for, [5, 6])
    second = ticket_nullifier(active_note.k, 1, service.service_id)
    gateway.served[second] = gateway.served[second].model_copy(update={"cost": 1})
    with pytest.raises(InvalidReplyError, match="E_new"):
        recover_note(active_note.k, service, gateway.fetch_state)


def test_a_gateway_reply_signed_by_another_key_is_refused(
    wallet: Wallet, active_note: Note, request_for: Req, service: ServiceParams, kit: Any
) -> None:
    impostor = kit.gateway(generate_secret_key(), service)
    ticket = wallet.begin_call(active_note.id, request_for(b"x"))
    impostor.serve(active_note, ticket, cost=4)
    with pytest.raises(InvalidReplyError, match="server_pk"):
        recover_note(active_note.k, service, impostor.fetch_state)


def test_a_reply_returned_for_the_wrong_nullifier_is_refused(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req, service: ServiceParams
) -> None:
    spend(wallet, active_note, gateway, request_for, [5, 6])
    replies = list(gateway.served.values())
    with pytest.raises(InvalidReplyError, match="nullifier"):
        recover_note(active_note.k, service, lambda _n: replies[1])


def test_a_restored_note_can_keep_paying_from_the_recovered_state(
    wallet: Wallet,
    active_note: Note,
    gateway: Any,
    request_for: Req,
    service: ServiceParams,
    kit: Any,
    tmp_path: Any,
) -> None:
    spend(wallet, active_note, gateway, request_for, [3, 4])
    assert active_note.deposit is not None
    fresh = Wallet.create(tmp_path / "new.zkw", kit.passphrase, kdf=kit.kdf)
    fresh.add_note(restore_note(active_note.k, service, active_note.deposit, gateway.fetch_state))
    note = fresh.note(active_note.id)
    assert note.status is NoteStatus.ACTIVE and note.state == wallet.note(active_note.id).state
    ticket = fresh.begin_call(note.id, request_for(b"after restore"))
    assert ticket.n == 2
    state = fresh.complete_call(note.id, gateway.serve(note, ticket, cost=5))
    assert (state.n, state.C) == (3, 12)


def test_a_note_restored_after_a_penalty_comes_back_halted(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req, service: ServiceParams
) -> None:
    ticket = wallet.begin_call(active_note.id, request_for(b"bad"))
    evidence = b"\x42" * 32
    wallet.complete_call(
        active_note.id, gateway.serve(active_note, ticket, 1, service.penalty_max, evidence)
    )
    assert active_note.deposit is not None
    note = restore_note(active_note.k, service, active_note.deposit, gateway.fetch_state)
    assert note.status is NoteStatus.HALTED and note.evidence_hash == evidence


def test_resync_completes_a_ticket_whose_reply_was_lost(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req
) -> None:
    ticket = wallet.begin_call(active_note.id, request_for(b"lost"))
    reply = gateway.serve(active_note, ticket, cost=8)
    state = wallet.resync(active_note.id, gateway.fetch_state)
    assert reply.E_new == state.E
    assert wallet.in_flight(active_note.id) is None and wallet.note(active_note.id).state == state


def test_resync_moves_a_stale_backup_forward_to_the_served_state(
    wallet: Wallet,
    active_note: Note,
    gateway: Any,
    request_for: Req,
    kit: Any,
    tmp_path: Any,
) -> None:
    wallet.export(tmp_path / "backup.zkx", "backup pass", kdf=kit.kdf)
    latest = spend(wallet, active_note, gateway, request_for, [1, 2, 3])
    old = Wallet.create(tmp_path / "restored.zkw", kit.passphrase, kdf=kit.kdf)
    old.import_(tmp_path / "backup.zkx", "backup pass")
    assert old.note(active_note.id).state.n == 0
    assert old.resync(active_note.id, gateway.fetch_state) == latest.state
    assert old.note(active_note.id).state == latest.state


def test_resync_with_nothing_new_changes_nothing(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req
) -> None:
    before = spend(wallet, active_note, gateway, request_for, [1])
    assert wallet.resync(active_note.id, gateway.fetch_state) == before.state
    assert wallet.note(active_note.id) == before
