"""The files on disk: wrong passphrases and damage give clear errors and touch nothing."""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prover.client.wallet import (
    CorruptWalletError,
    Note,
    NoteStatus,
    ServiceParams,
    Wallet,
    WalletNotFoundError,
    WrongPassphraseError,
)
from prover.client.wallet.journal import (
    FRAME_OVERHEAD,
    JOURNAL_HEADER_SIZE,
    append_frame,
    seal_frame,
)
from prover.client.wallet.records import Entry, StatusChanged
from prover.client.wallet.sealing import HEADER_SIZE
from prover.client.wallet.store import WalletStore
from prover.crypto import RequestFields

Req = Callable[[bytes], RequestFields]


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of every file under `directory` (lock files included)."""
    out = {}
    for p in sorted(directory.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(directory))] = (p.read_bytes(), p.stat().st_mtime_ns)
    return out


def journal_of(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def frame_offsets(journal: Path) -> list[tuple[int, int]]:
    """(start, end) of each frame, walked with the documented layout."""
    data = journal.read_bytes()
    off, frames = JOURNAL_HEADER_SIZE, []
    while off < len(data):
        (length,) = struct.unpack_from(">I", data, off)
        frames.append((off, off + FRAME_OVERHEAD + length))
        off += FRAME_OVERHEAD + length
    return frames


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x40
    path.write_bytes(bytes(data))


@pytest.fixture
def busy_wallet(
    wallet: Wallet, active_note: Note, gateway: Any, request_for: Req
) -> tuple[Path, Note]:
    """A wallet whose journal holds 5 records: note, deposit, ticket keyed, request bound, call
    completed."""
    ticket = wallet.begin_call(active_note.id, request_for(b"one"))
    wallet.complete_call(active_note.id, gateway.serve(active_note, ticket, cost=7))
    path = wallet.path
    wallet.close()
    assert len(frame_offsets(journal_of(path))) == 5
    return path, active_note


def test_a_wrong_passphrase_is_refused_and_touches_no_file(
    busy_wallet: tuple[Path, Note], kit: Any
) -> None:
    path, _ = busy_wallet
    before = snapshot(path.parent)
    with pytest.raises(WrongPassphraseError, match="wrong passphrase"):
        Wallet.open(path, kit.passphrase + "!")
    assert snapshot(path.parent) == before


def test_opening_a_missing_wallet_says_so(tmp_path: Path, kit: Any) -> None:
    with pytest.raises(WalletNotFoundError, match="no wallet file"):
        Wallet.open(tmp_path / "nope.zkw", kit.passphrase)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (lambda size: 0, "bad magic"),
        (lambda size: 12, "header checksum"),  # a KDF parameter
        (lambda size: 30, "header checksum"),  # the salt
        (lambda size: HEADER_SIZE - 1, "header checksum"),  # the checksum itself
        (lambda size: HEADER_SIZE + 3, "fails authentication"),  # the ciphertext
        (lambda size: size - 1, "fails authentication"),  # the GCM tag
    ],
    ids=["magic", "kdf-param", "salt", "checksum", "body", "tag"],
)
def test_a_flipped_byte_in_the_main_file_is_a_clear_error_and_nothing_changes(
    busy_wallet: tuple[Path, Note], kit: Any, where: Callable[[int], int], message: str
) -> None:
    path, _ = busy_wallet
    flip(path, where(path.stat().st_size))
    before = snapshot(path.parent)
    with pytest.raises(CorruptWalletError, match=message):
        Wallet.open(path, kit.passphrase)
    assert snapshot(path.parent) == before


def test_a_truncated_main_file_is_a_clear_error(busy_wallet: tuple[Path, Note], kit: Any) -> None:
    path, _ = busy_wallet
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(CorruptWalletError, match="too short"):
        Wallet.open(path, kit.passphrase)


@pytest.mark.parametrize("frame", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("part", ["length", "nonce", "ciphertext"])
def test_a_flipped_byte_in_any_complete_journal_record_is_a_clear_error(
    busy_wallet: tuple[Path, Note], kit: Any, frame: int, part: str
) -> None:
    path, _ = busy_wallet
    journal = journal_of(path)
    start, end = frame_offsets(journal)[frame]
    offset = {"length": start + 2, "nonce": start + 20, "ciphertext": end - 20}[part]
    flip(journal, offset)
    before = snapshot(path.parent)
    with pytest.raises(CorruptWalletError, match=f"offset {start}"):
        Wallet.open(path, kit.passphrase)
    assert snapshot(path.parent) == before


def test_a_damaged_journal_header_is_a_clear_error(
    busy_wallet: tuple[Path, Note], kit: Any
) -> None:
    path, _ = busy_wallet
    flip(journal_of(path), 12)
    with pytest.raises(CorruptWalletError, match="journal header checksum"):
        Wallet.open(path, kit.passphrase)


def test_a_missing_journal_is_a_clear_error(busy_wallet: tuple[Path, Note], kit: Any) -> None:
    path, _ = busy_wallet
    journal_of(path).unlink()
    with pytest.raises(CorruptWalletError, match="missing"):
        Wallet.open(path, kit.passphrase)


def test_a_journal_of_another_wallet_is_refused(
    busy_wallet: tuple[Path, Note], kit: Any, tmp_path: Path
) -> None:
    path, _ = busy_wallet
    other = tmp_path / "other.zkw"
    Wallet.create(other, kit.passphrase, kdf=kit.kdf).close()
    shutil.copy(journal_of(other), journal_of(path))
    with pytest.raises(CorruptWalletError, match="different wallet"):
        Wallet.open(path, kit.passphrase)


def test_a_main_file_rolled_back_behind_its_journal_is_refused(
    busy_wallet: tuple[Path, Note], kit: Any, tmp_path: Path
) -> None:
    path, _ = busy_wallet
    old = path.read_bytes()
    with Wallet.open(path, kit.passphrase) as w:
        w.compact()
    path.write_bytes(old)
    with pytest.raises(CorruptWalletError, match="rolled back"):
        Wallet.open(path, kit.passphrase)


@pytest.mark.parametrize("keep", [1, 15, 16, 40, -1])
def test_a_torn_last_journal_record_is_ignored_and_later_writes_replace_it(
    busy_wallet: tuple[Path, Note], kit: Any, keep: int, gateway: Any
) -> None:
    path, note = busy_wallet
    journal = journal_of(path)
    start, end = frame_offsets(journal)[4]
    cut = start + keep if keep > 0 else end + keep
    journal.write_bytes(journal.read_bytes()[:cut])
    with Wallet.open(path, kit.passphrase) as w:
        in_flight = w.in_flight(note.id)
        assert in_flight is not None and in_flight.n == 0  # the completion was torn away
        assert w.note(note.id).state == note.state
        w.halt(note.id)  # a record shorter than the torn one: leftover bytes would show
        state = w.complete_call(note.id, gateway.serve(note, in_flight, cost=7))
    assert len(frame_offsets(journal)) == 6  # torn bytes were cut, not left mid-journal
    with Wallet.open(path, kit.passphrase) as w:
        assert w.note(note.id).state == state
        assert w.in_flight(note.id) is None


def test_a_zero_filled_journal_tail_is_ignored(busy_wallet: tuple[Path, Note], kit: Any) -> None:
    path, note = busy_wallet
    journal = journal_of(path)
    with Wallet.open(path, kit.passphrase) as w:
        expected = w.note(note.id)
    with open(journal, "ab") as fh:
        fh.write(bytes(100))
    with Wallet.open(path, kit.passphrase) as w:
        assert w.note(note.id) == expected


def test_a_last_record_whose_tag_was_zero_filled_is_treated_as_torn(
    busy_wallet: tuple[Path, Note], kit: Any
) -> None:
    path, note = busy_wallet
    journal = journal_of(path)
    _, end = frame_offsets(journal)[4]
    data = bytearray(journal.read_bytes())
    data[end - 16 : end] = bytes(16)
    journal.write_bytes(bytes(data))
    with Wallet.open(path, kit.passphrase) as w:
        assert w.in_flight(note.id) is not None


def test_compaction_keeps_everything_and_empties_the_journal(
    busy_wallet: tuple[Path, Note], kit: Any
) -> None:
    path, _ = busy_wallet
    with Wallet.open(path, kit.passphrase) as w:
        before = w.notes()
        w.compact()
    assert os.path.getsize(journal_of(path)) == JOURNAL_HEADER_SIZE
    with Wallet.open(path, kit.passphrase) as w:
        assert w.notes() == before


def test_automatic_compaction_keeps_every_state(
    wallet_path: Path, kit: Any, service: ServiceParams, gateway: Any, request_for: Req
) -> None:
    w = Wallet.create(wallet_path, kit.passphrase, kdf=kit.kdf, compact_every=3)
    note = w.record_deposit(w.new_note(service).id, kit.deposit_info())
    for i in range(4):
        ticket = w.begin_call(note.id, request_for(b"%d" % i))
        w.complete_call(note.id, gateway.serve(w.note(note.id), ticket, cost=i))
    expected = w.note(note.id)
    w.close()
    assert len(frame_offsets(journal_of(wallet_path))) < 3
    with Wallet.open(wallet_path, kit.passphrase, compact_every=3) as again:
        assert again.note(note.id) == expected
        assert expected.state.n == 4 and expected.state.C == 0 + 1 + 2 + 3


def test_a_sealed_journal_record_the_state_machine_refuses_is_a_clear_error(
    busy_wallet: tuple[Path, Note], kit: Any
) -> None:
    path, note = busy_wallet
    store = WalletStore.open(path, kit.passphrase, compact_every=64)
    bad = Entry(seq=6, record=StatusChanged(note_id=note.id, status=NoteStatus.CLOSED))
    frame = seal_frame(store.keys, store.uid, 6, bad.model_dump_json().encode())
    journal = journal_of(path)
    append_frame(journal, frame, journal.stat().st_size)  # written without the ledger's check
    with pytest.raises(CorruptWalletError, match="record 6 does not apply"):
        Wallet.open(path, kit.passphrase)


def test_a_wallet_in_the_protocol_v2_format_is_refused_with_a_clear_error(
    wallet_path: Path, kit: Any
) -> None:
    """Format 1 (v2: tickets bound to one request) is not read; the file is left as it was."""
    from prover.client.wallet import WalletFormatError
    from prover.client.wallet.sealing import FileKind, KdfParams, derive_keys, new_header, seal

    salt, uid = b"\x01" * 16, b"\x02" * 16
    keys = derive_keys(kit.passphrase, salt, kit.kdf)
    header = new_header(FileKind.WALLET, kit.kdf, keys, salt, uid)
    wallet_path.write_bytes(seal(header, keys, b'{"format":1,"notes":{},"journal_seq":0}'))
    before = snapshot(wallet_path.parent)
    with pytest.raises(WalletFormatError, match="format 1") as info:
        Wallet.open(wallet_path, kit.passphrase)
    assert info.value.field == "format" and isinstance(kit.kdf, KdfParams)
    assert snapshot(wallet_path.parent) == before
