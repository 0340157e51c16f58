"""The append-only encrypted write-ahead journal.

Layout::

    header: magic "ZKCJRNL\\0" (8) | version u16 | wallet uid (16) | base seq u64 | checksum (8)
    frame:  length u32 | seq u64 | crc32(length ‖ seq) u32 | nonce (12) | ciphertext ‖ tag (length)

Each frame is sealed on its own with AES-256-GCM under the wallet key, a fresh random nonce, and
associated data binding the wallet uid, the sequence number and the length. Sequence numbers run
`base seq + 1, base seq + 2, …` without gaps.

Reading distinguishes a *torn* final frame (the file ends inside it, or its remainder was
zero-filled by the filesystem after a crash) — never acknowledged to anyone, so it is ignored — from
damage anywhere else (a frame that is complete but fails its checksum, authentication or sequence
check), which is a `CorruptWalletError` naming the offset.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from Crypto.Cipher import AES

from prover.client.wallet import crashpoints
from prover.client.wallet.errors import CorruptWalletError
from prover.client.wallet.fsutil import write_all
from prover.client.wallet.sealing import FORMAT_VERSION, NONCE_SIZE, TAG_SIZE, Keys

JOURNAL_MAGIC: Final[bytes] = b"ZKCJRNL\x00"
_JHEAD = struct.Struct(">8sH16sQ")
JOURNAL_HEADER_SIZE: Final[int] = _JHEAD.size + 8
_FRAME = struct.Struct(">IQI")
FRAME_OVERHEAD: Final[int] = _FRAME.size + NONCE_SIZE
MAX_RECORD: Final[int] = 16 << 20


def journal_header(uid: bytes, base_seq: int) -> bytes:
    head = _JHEAD.pack(JOURNAL_MAGIC, FORMAT_VERSION, uid, base_seq)
    return head + hashlib.sha256(head).digest()[:8]


def parse_journal_header(data: bytes, uid: bytes, what: str) -> int:
    """Check the journal header belongs to wallet `uid`; return its base sequence number."""
    if len(data) < JOURNAL_HEADER_SIZE:
        raise CorruptWalletError(f"{what}: journal header is truncated ({len(data)} bytes)")
    head = data[: _JHEAD.size]
    magic, version, juid, base = _JHEAD.unpack(head)
    if magic != JOURNAL_MAGIC:
        raise CorruptWalletError(f"{what} is not a zkcredits journal (bad magic)")
    if hashlib.sha256(head).digest()[:8] != data[_JHEAD.size : JOURNAL_HEADER_SIZE]:
        raise CorruptWalletError(f"{what}: journal header checksum mismatch (damaged)")
    if version != FORMAT_VERSION:
        raise CorruptWalletError(f"{what}: unsupported journal version {version}")
    if juid != uid:
        raise CorruptWalletError(f"{what} belongs to a different wallet (uid mismatch)")
    return int(base)


def _aad(uid: bytes, seq: int, length: int) -> bytes:
    return b"zkcredits/journal/v1" + uid + seq.to_bytes(8, "big") + length.to_bytes(4, "big")


def seal_frame(keys: Keys, uid: bytes, seq: int, plaintext: bytes) -> bytes:
    if len(plaintext) > MAX_RECORD:
        raise CorruptWalletError(f"journal record of {len(plaintext)} bytes is too large")
    nonce = secrets.token_bytes(NONCE_SIZE)
    length = len(plaintext) + TAG_SIZE
    cipher = AES.new(keys.enc, AES.MODE_GCM, nonce=nonce, mac_len=TAG_SIZE)
    cipher.update(_aad(uid, seq, length))
    ct, tag = cipher.encrypt_and_digest(plaintext)
    lead = struct.pack(">IQ", length, seq)
    return _FRAME.pack(length, seq, zlib.crc32(lead)) + nonce + ct + tag


@dataclass(frozen=True, slots=True)
class JournalScan:
    records: list[tuple[int, bytes]]  # (seq, plaintext)
    valid_end: int  # offset just after the last good frame
    torn: bool  # a torn final frame was found (and ignored)
    last_seq: int


def scan(data: bytes, start: int, keys: Keys, uid: bytes, last_seq: int, what: str) -> JournalScan:
    """Read frames from `start`; the first must carry `last_seq + 1`."""
    records: list[tuple[int, bytes]] = []
    off = start
    size = len(data)
    while off < size:
        rest = data[off:]
        if len(rest) < _FRAME.size or not any(rest):
            return JournalScan(records, off, True, last_seq)
        length, seq, crc = _FRAME.unpack_from(data, off)
        if zlib.crc32(struct.pack(">IQ", length, seq)) != crc:
            raise CorruptWalletError(f"{what}: record header at offset {off} is damaged")
        if not TAG_SIZE < length <= MAX_RECORD + TAG_SIZE:
            raise CorruptWalletError(f"{what}: record at offset {off} has bad length {length}")
        end = off + FRAME_OVERHEAD + length
        if end > size:
            return JournalScan(records, off, True, last_seq)
        nonce = data[off + _FRAME.size : off + FRAME_OVERHEAD]
        body = data[off + FRAME_OVERHEAD : end]
        if end == size and not any(body[-TAG_SIZE:]):
            return JournalScan(records, off, True, last_seq)  # zero-filled tail after a crash
        if seq != last_seq + 1:
            raise CorruptWalletError(
                f"{what}: record at offset {off} has sequence {seq}, expected {last_seq + 1}"
            )
        cipher = AES.new(keys.enc, AES.MODE_GCM, nonce=nonce, mac_len=TAG_SIZE)
        cipher.update(_aad(uid, seq, length))
        try:
            plain = cipher.decrypt_and_verify(body[:-TAG_SIZE], body[-TAG_SIZE:])
        except ValueError as exc:
            raise CorruptWalletError(
                f"{what}: record {seq} at offset {off} fails authentication (damaged)"
            ) from exc
        records.append((seq, bytes(plain)))
        last_seq = seq
        off = end
    return JournalScan(records, off, False, last_seq)


def append_frame(path: Path, frame: bytes, valid_end: int) -> int:
    """Write `frame` at `valid_end` (cutting off any torn tail first) and fsync; return new end.

    The frame goes out in two writes, so a crash between them leaves a genuinely torn record.
    Crash points: `journal.start`, `journal.half_written`, `journal.written`, `journal.synced`.
    """
    crashpoints.reached("journal.start")
    fd = os.open(path, os.O_WRONLY)
    try:
        if os.fstat(fd).st_size != valid_end:
            os.ftruncate(fd, valid_end)
        os.lseek(fd, valid_end, os.SEEK_SET)
        half = len(frame) // 2
        write_all(fd, frame[:half])
        crashpoints.reached("journal.half_written")
        write_all(fd, frame[half:])
        crashpoints.reached("journal.written")
        os.fsync(fd)
    finally:
        os.close(fd)
    crashpoints.reached("journal.synced")
    return valid_end + len(frame)
