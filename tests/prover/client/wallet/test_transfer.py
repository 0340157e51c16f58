"""Export and import between wallets, under a different passphrase."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prover.client.wallet import (
    CorruptWalletError,
    ImportConflictError,
    InvalidTransitionError,
    Note,
    NoteState,
    ServiceParams,
    UnknownNoteError,
    Wallet,
    WalletContents,
    WalletExistsError,
    WrongPassphraseError,
)
from prover.client.wallet.sealing import FileKind
from prover.client.wallet.store import write_sealed
from prover.crypto import L, RequestFields, eta, generate_secret_key

Req = Callable[[bytes], RequestFields]
EXPORT_PASS = "a different passphrase for the export"


def files(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.rglob("*") if p.is_file()
    }


@pytest.fixture
def other(tmp_path: Path, kit: Any) -> Wallet:
    (tmp_path / "other").mkdir()
    return Wallet.create(tmp_path / "other" / "w.zkw", "other wallet pass", kdf=kit.kdf)


@pytest.fixture
def exported(
    wallet: Wallet,
    active_note: Note,
    service: ServiceParams,
    gateway: Any,
    request_for: Req,
    tmp_path: Path,
    kit: Any,
) -> Path:
    """Export of: an active note with one call done and one request in flight, plus an
    undeposited note."""
    ticket = wallet.begin_call(active_note.id, request_for(b"done"))
    wallet.complete_call(active_note.id, gateway.serve(active_note, ticket, cost=12))
    wallet.begin_call(active_note.id, request_for(b"pending"))
    wallet.new_note(service)
    path = tmp_path / "export.zkx"
    wallet.export(path, EXPORT_PASS, kdf=kit.kdf)
    return path


def test_an_export_imports_every_note_byte_for_byte_under_another_passphrase(
    wallet: Wallet, exported: Path, other: Wallet, kit: Any
) -> None:
    report = other.import_(exported, EXPORT_PASS)
    assert sorted(report.added) == sorted(n.id for n in wallet.notes())
    assert other.notes() == wallet.notes()
    path = other.path
    other.close()
    with Wallet.open(path, "other wallet pass") as again:
        assert again.notes() == wallet.notes()


def test_importing_the_same_export_twice_changes_nothing(exported: Path, other: Wallet) -> None:
    other.import_(exported, EXPORT_PASS)
    before = other.notes()
    report = other.import_(exported, EXPORT_PASS)
    assert report.added == [] and report.advanced == [] and len(report.kept) == 2
    assert other.notes() == before


def test_an_export_with_a_wrong_passphrase_is_refused_and_touches_nothing(
    exported: Path, other: Wallet, tmp_path: Path
) -> None:
    before = files(tmp_path)
    with pytest.raises(WrongPassphraseError):
        other.import_(exported, EXPORT_PASS + "?")
    assert files(tmp_path) == before
    assert other.notes() == []


def test_a_damaged_export_is_refused_and_the_wallet_is_unchanged(
    exported: Path, other: Wallet
) -> None:
    data = bytearray(exported.read_bytes())
    data[len(data) // 2] ^= 1
    exported.write_bytes(bytes(data))
    with pytest.raises(CorruptWalletError, match="authentication"):
        other.import_(exported, EXPORT_PASS)
    assert other.notes() == []


def test_an_export_file_is_not_a_wallet_and_a_wallet_file_is_not_an_export(
    exported: Path, other: Wallet, wallet_path: Path, kit: Any
) -> None:
    with pytest.raises(CorruptWalletError, match="kind export, expected wallet"):
        Wallet.open(exported, EXPORT_PASS)
    with pytest.raises(CorruptWalletError, match="kind wallet, expected export"):
        other.import_(wallet_path, kit.passphrase)


def test_exporting_over_an_existing_file_is_refused(exported: Path, wallet: Wallet) -> None:
    before = exported.read_bytes()
    with pytest.raises(WalletExistsError):
        wallet.export(exported, "x")
    assert exported.read_bytes() == before


def test_an_export_of_chosen_notes_holds_only_those(
    wallet: Wallet, active_note: Note, other: Wallet, tmp_path: Path, kit: Any
) -> None:
    path = tmp_path / "one.zkx"
    wallet.export(path, EXPORT_PASS, note_ids=[active_note.id], kdf=kit.kdf)
    other.import_(path, EXPORT_PASS)
    assert [n.id for n in other.notes()] == [active_note.id]
    with pytest.raises(UnknownNoteError):
        wallet.export(tmp_path / "two.zkx", EXPORT_PASS, note_ids=[7])


def test_import_never_moves_a_state_backwards(
    wallet: Wallet,
    active_note: Note,
    other: Wallet,
    gateway: Any,
    request_for: Req,
    tmp_path: Path,
    kit: Any,
) -> None:
    old = tmp_path / "old.zkx"
    wallet.export(old, EXPORT_PASS, kdf=kit.kdf)
    ticket = wallet.begin_call(active_note.id, request_for(b"a"))
    wallet.complete_call(active_note.id, gateway.serve(active_note, ticket, cost=3))
    new = tmp_path / "new.zkx"
    wallet.export(new, EXPORT_PASS, kdf=kit.kdf)

    other.import_(old, EXPORT_PASS)
    assert other.note(active_note.id).state.n == 0
    assert other.import_(new, EXPORT_PASS).advanced == [active_note.id]
    assert other.note(active_note.id) == wallet.note(active_note.id)
    assert other.import_(old, EXPORT_PASS).kept == [active_note.id]
    assert other.note(active_note.id).state.n == 1


def test_an_imported_ticket_key_and_request_are_adopted_and_conflicting_ones_refused(
    wallet: Wallet, active_note: Note, other: Wallet, request_for: Req, tmp_path: Path, kit: Any
) -> None:
    clean = tmp_path / "clean.zkx"
    wallet.export(clean, EXPORT_PASS, kdf=kit.kdf)
    ticket = wallet.begin_call(active_note.id, request_for(b"sent from the first wallet"))
    bound = tmp_path / "bound.zkx"
    wallet.export(bound, EXPORT_PASS, kdf=kit.kdf)

    other.import_(clean, EXPORT_PASS)
    other.import_(bound, EXPORT_PASS)
    assert other.in_flight(active_note.id) == ticket  # the other copy resends that request
    assert other.key_ticket(active_note.id).pk == ticket.pk  # and never draws a second key

    third = Wallet.create(tmp_path / "third.zkw", "p", kdf=kit.kdf)
    third.import_(clean, EXPORT_PASS)
    third.begin_call(active_note.id, request_for(b"a different request"))  # another key
    before = third.notes()
    with pytest.raises(ImportConflictError, match="two different one-time keys"):
        third.import_(bound, EXPORT_PASS)
    assert third.notes() == before


def test_an_import_with_the_same_key_but_another_request_in_flight_is_refused(
    wallet: Wallet, active_note: Note, request_for: Req, tmp_path: Path, kit: Any
) -> None:
    wallet.key_ticket(active_note.id)
    keyed = tmp_path / "keyed.zkx"
    wallet.export(keyed, EXPORT_PASS, kdf=kit.kdf)
    copy = Wallet.create(tmp_path / "copy.zkw", "p", kdf=kit.kdf)
    copy.import_(keyed, EXPORT_PASS)
    assert copy.key_ticket(active_note.id) == wallet.key_ticket(active_note.id)
    wallet.begin_call(active_note.id, request_for(b"one"))
    copy.begin_call(active_note.id, request_for(b"two"))
    bound = tmp_path / "bound.zkx"
    wallet.export(bound, EXPORT_PASS, kdf=kit.kdf)
    with pytest.raises(ImportConflictError, match="different requests in flight"):
        copy.import_(bound, EXPORT_PASS)


def test_a_shown_ticket_stays_shown_through_export_and_import(
    wallet: Wallet, active_note: Note, other: Wallet, request_for: Req, tmp_path: Path, kit: Any
) -> None:
    """Its share was seen: the importing wallet must not exit with another share of it."""
    wallet.export(tmp_path / "clean.zkx", EXPORT_PASS, kdf=kit.kdf)
    other.import_(tmp_path / "clean.zkx", EXPORT_PASS)
    ticket = wallet.begin_call(active_note.id, request_for(b"refused"))
    assert ticket.request is not None
    wallet.release_call(active_note.id, ticket.request.request_id, sent=True, reason="refused")
    wallet.export(tmp_path / "shown.zkx", EXPORT_PASS, kdf=kit.kdf)
    report = other.import_(tmp_path / "shown.zkx", EXPORT_PASS)
    assert report.advanced == [active_note.id]
    mine = other.note(active_note.id).ticket
    assert mine is not None and mine.shown and mine.pk == ticket.pk and mine.request is None


def forged_export(path: Path, note: Note, kit: Any) -> None:
    """An export file holding `note` as given (sealed correctly, contents chosen by the test)."""
    write_sealed(
        path, WalletContents(notes={str(note.id): note}), EXPORT_PASS, FileKind.EXPORT, kit.kdf
    )


def test_an_imported_state_signed_by_another_key_is_refused(
    wallet: Wallet,
    active_note: Note,
    other: Wallet,
    request_for: Req,
    tmp_path: Path,
    kit: Any,
    service: ServiceParams,
) -> None:
    impostor = kit.gateway(generate_secret_key(), service)
    ticket = wallet.begin_call(active_note.id, request_for(b"x"))
    reply = impostor.serve(active_note, ticket, cost=1)  # E_new is right, the signer is not
    rho = (active_note.state.rho + eta(active_note.k, 0, service.service_id)) % L
    state = NoteState(n=1, C=1, P=0, rho=rho, E=reply.E_new, sigma=reply.sigma_new)
    forged_export(tmp_path / "forged.zkx", active_note.model_copy(update={"state": state}), kit)
    with pytest.raises(InvalidTransitionError, match="server_pk"):
        other.import_(tmp_path / "forged.zkx", EXPORT_PASS)
    assert other.notes() == []


def test_an_imported_ticket_whose_key_does_not_match_its_x_is_refused(
    wallet: Wallet, active_note: Note, other: Wallet, request_for: Req, tmp_path: Path, kit: Any
) -> None:
    ticket = wallet.begin_call(active_note.id, request_for(b"real body"))
    lying = ticket.model_copy(update={"x": (ticket.x + 1) % (2**200)})
    forged_export(
        tmp_path / "forged.zkx",
        wallet.note(active_note.id).model_copy(update={"ticket": lying}),
        kit,
    )
    with pytest.raises(InvalidTransitionError, match="pk and x"):
        other.import_(tmp_path / "forged.zkx", EXPORT_PASS)
    assert other.notes() == []
