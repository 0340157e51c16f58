"""The wallet's files: one sealed main file plus the write-ahead journal, kept in step.

`WalletStore` owns the derived keys, the current `WalletContents` and the journal position. Every
change goes `refresh → ledger.apply (check) → append one sealed frame + fsync → adopt`, under the
wallet-wide lock, so the journal only ever holds transitions that were checked, and a process
always sees what other processes wrote before it writes. `compact` folds the journal into the main
file (temp + fsync + rename + directory fsync, then a fresh journal the same way); a crash between
the two steps is harmless because replay skips records the main file already holds.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import ValidationError

from prover.client.wallet import ledger
from prover.client.wallet.contents import WalletContents
from prover.client.wallet.errors import (
    CorruptWalletError,
    WalletError,
    WalletExistsError,
    WalletFormatError,
    WalletNotFoundError,
)
from prover.client.wallet.fsutil import atomic_replace, fsync_dir, read_bytes
from prover.client.wallet.journal import (
    JOURNAL_HEADER_SIZE,
    append_frame,
    journal_header,
    parse_journal_header,
    scan,
    seal_frame,
)
from prover.client.wallet.locks import WalletLock, lock_dir
from prover.client.wallet.models import WALLET_FORMAT
from prover.client.wallet.records import ENTRY, Entry, Record
from prover.client.wallet.sealing import (
    FileKind,
    Header,
    KdfParams,
    Keys,
    check_passphrase,
    derive_keys,
    new_header,
    parse_header,
    seal,
    unseal,
)
from prover.logs import get_logger

_log = get_logger("zkcredits.client.wallet")
_FileId = tuple[int, int, int, int]


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def _file_id(path: Path) -> _FileId:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _format_of(plain: bytes) -> object:
    try:
        data = json.loads(plain)
    except ValueError:
        return None
    return data.get("format") if isinstance(data, dict) else None


def decode_contents(plain: bytes, what: str) -> WalletContents:
    found = _format_of(plain)
    if isinstance(found, int) and found != WALLET_FORMAT:
        raise WalletFormatError(
            f"{what} is in wallet format {found}; this version reads format {WALLET_FORMAT} "
            "(protocol v3: one-time ticket keys). Format 1 tickets were bound to one request "
            "(protocol v2): exit those notes with the release that wrote them, or restore each "
            "note from its secret (`zkcredits client recover --secret-file`) into a new wallet",
            field="format",
        )
    try:
        return WalletContents.model_validate_json(plain)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise CorruptWalletError(f"{what}: contents invalid at {where}: {first['msg']}") from exc


def read_sealed(path: Path, passphrase: str, kind: FileKind) -> tuple[Header, Keys, WalletContents]:
    """Read, authenticate and decode a sealed file of `kind`; never writes anything."""
    what = str(path)
    if not path.is_file():
        raise WalletNotFoundError(f"no wallet file at {path}", field="path")
    data = read_bytes(path)
    header = parse_header(data, what)
    if header.kind is not kind:
        raise CorruptWalletError(
            f"{what} has kind {header.kind.name.lower()}, expected {kind.name.lower()}",
            field="kind",
        )
    keys = check_passphrase(header, passphrase, what)
    return header, keys, decode_contents(unseal(data, header, keys, what), what)


def write_sealed(
    path: Path, contents: WalletContents, passphrase: str, kind: FileKind, kdf: KdfParams
) -> None:
    """Seal `contents` under a fresh salt and uid into a new file (refuses to overwrite)."""
    if path.exists():
        raise WalletExistsError(f"{path} already exists; refusing to overwrite", field="path")
    salt, uid = secrets.token_bytes(16), secrets.token_bytes(16)
    keys = derive_keys(passphrase, salt, kdf)
    header = new_header(kind, kdf, keys, salt, uid)
    atomic_replace(path, seal(header, keys, contents.model_dump_json().encode()), "export")


class WalletStore:
    def __init__(self, path: Path, header: Header, keys: Keys, compact_every: int) -> None:
        self.path = path
        self.journal = journal_path(path)
        self.keys = keys
        self._header = header
        self.lock = WalletLock(path)
        self.compact_every = compact_every
        self.contents = WalletContents()
        self._last_seq = 0
        self._valid_end = JOURNAL_HEADER_SIZE
        self._main_id: _FileId | None = None
        self._journal_id: tuple[int, int] | None = None

    @property
    def uid(self) -> bytes:
        return self._header.wallet_uid

    # ------------------------------------------------------------------ create / open

    @classmethod
    def create(cls, path: Path, passphrase: str, kdf: KdfParams, compact_every: int) -> WalletStore:
        path = Path(path)
        if path.exists():
            raise WalletExistsError(f"{path} already exists; refusing to overwrite", field="path")
        if not path.parent.is_dir():
            raise WalletNotFoundError(f"directory {path.parent} does not exist", field="path")
        orphan = journal_path(path)
        if orphan.exists() and orphan.stat().st_size > JOURNAL_HEADER_SIZE:
            raise WalletExistsError(
                f"{orphan} holds journal records of a wallet whose main file is gone; "
                "move it away first",
                field="path",
            )
        salt, uid = secrets.token_bytes(16), secrets.token_bytes(16)
        keys = derive_keys(passphrase, salt, kdf)
        store = cls(path, new_header(FileKind.WALLET, kdf, keys, salt, uid), keys, compact_every)
        lock_dir(path).mkdir(mode=0o700, exist_ok=True)
        with store.lock.held():
            # Journal first: a main file without a journal means the journal was lost.
            atomic_replace(store.journal, journal_header(uid, 0), "create.journal")
            atomic_replace(path, seal(store._header, keys, _dump(WalletContents())), "create.main")
            store._reload()
        return store

    @classmethod
    def open(cls, path: Path, passphrase: str, compact_every: int) -> WalletStore:
        path = Path(path)
        header, keys, _ = read_sealed(path, passphrase, FileKind.WALLET)
        store = cls(path, header, keys, compact_every)
        with store.lock.held():
            store._reload()
        return store

    # ------------------------------------------------------------------ reading

    def _reload(self) -> None:
        """Read the main file and replay the whole journal (caller holds the lock)."""
        what = str(self.path)
        main_id = _file_id(self.path)
        data = read_bytes(self.path)
        header = parse_header(data, what)
        if header.check != self.keys.check or header.wallet_uid != self.uid:
            raise WalletError(f"{what} was re-keyed or replaced by another process; reopen it")
        contents = decode_contents(unseal(data, header, self.keys, what), what)
        if not self.journal.is_file():
            raise CorruptWalletError(f"journal {self.journal} is missing", field="journal")
        jdata = read_bytes(self.journal)
        base = parse_journal_header(jdata, self.uid, str(self.journal))
        if base > contents.journal_seq:
            raise CorruptWalletError(
                f"journal starts after record {base} but {what} holds only up to "
                f"{contents.journal_seq} (main file rolled back?)"
            )
        st = os.stat(self.journal)
        self._header = header
        self.contents = contents
        self._last_seq = base
        self._valid_end = JOURNAL_HEADER_SIZE
        self._main_id = main_id
        self._journal_id = (st.st_dev, st.st_ino)
        self._fold(jdata)
        if self._last_seq < contents.journal_seq:
            raise CorruptWalletError(
                f"journal ends at record {self._last_seq} before the main file's "
                f"{contents.journal_seq} (records lost)"
            )

    def _fold(self, jdata: bytes) -> None:
        result = scan(
            jdata, self._valid_end, self.keys, self.uid, self._last_seq, str(self.journal)
        )
        contents = self.contents
        for seq, plain in result.records:
            try:
                entry = ENTRY.validate_json(plain)
            except ValidationError as exc:
                raise CorruptWalletError(f"journal record {seq} does not decode: {exc}") from exc
            if entry.seq != seq:
                raise CorruptWalletError(f"journal record {seq} claims sequence {entry.seq}")
            if seq <= contents.journal_seq:
                continue  # already folded into the main file by a compaction
            try:
                contents = ledger.apply(contents, entry.record)
            except WalletError as exc:
                raise CorruptWalletError(f"journal record {seq} does not apply: {exc}") from exc
        self.contents = contents
        self._last_seq = result.last_seq
        self._valid_end = result.valid_end

    def refresh(self) -> None:
        """Catch up with what other processes wrote (caller holds the lock)."""
        if not self.path.is_file() or not self.journal.is_file():
            raise CorruptWalletError(f"{self.path} or its journal disappeared", field="path")
        if _file_id(self.path) != self._main_id:
            self._reload()
            return
        st = os.stat(self.journal)
        if (st.st_dev, st.st_ino) != self._journal_id:
            self._reload()
        elif st.st_size != self._valid_end:
            self._fold(read_bytes(self.journal))

    # ------------------------------------------------------------------ writing

    def append(self, record: Record) -> WalletContents:
        """Check and durably journal one record; return the new contents (caller holds lock)."""
        new = ledger.apply(self.contents, record)
        seq = self._last_seq + 1
        plain = Entry(seq=seq, record=record).model_dump_json().encode()
        frame = seal_frame(self.keys, self.uid, seq, plain)
        self._valid_end = append_frame(self.journal, frame, self._valid_end)
        self._last_seq = seq
        self.contents = new
        if seq - self.contents.journal_seq >= self.compact_every:
            try:
                self.compact()
            except OSError as exc:  # the record itself is durable; compaction is retried later
                _log.warning(
                    "wallet_compaction_failed",
                    error_type=type(exc).__name__,
                    error=exc.strerror,
                    retry=True,
                )
        return self.contents

    def compact(self) -> None:
        """Fold the journal into the main file, then start a fresh journal (caller holds lock)."""
        folded = self.contents.model_copy(update={"journal_seq": self._last_seq})
        header = new_header(
            FileKind.WALLET, self._header.kdf, self.keys, self._header.salt, self.uid
        )
        atomic_replace(self.path, seal(header, self.keys, _dump(folded)), "compact.main")
        self._header = header
        self.contents = folded
        self._main_id = _file_id(self.path)
        atomic_replace(self.journal, journal_header(self.uid, self._last_seq), "compact.journal")
        st = os.stat(self.journal)
        self._journal_id = (st.st_dev, st.st_ino)
        self._valid_end = JOURNAL_HEADER_SIZE
        fsync_dir(self.path.parent)


def _dump(contents: WalletContents) -> bytes:
    return contents.model_dump_json().encode()
