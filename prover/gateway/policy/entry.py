"""One penalty-log entry, its hash chain link, its signed field message, and `verify_log`.

    entry_hash = keccak256(canonical JSON {seq, prev, created_at, evidence_hash, evidence})
    msg        = Poseidon(PENALTY_LOG_TAG, entry_hash[0:16], entry_hash[16:32])   (two 128-bit ints)
    signature  = EdDSA-Poseidon (D4) of msg under the gateway's key `server_pk`

`prev` is the previous entry's `entry_hash` (32 zero bytes for seq 0), so an edited, dropped or
reordered entry breaks the chain or a signature. `PENALTY_LOG_TAG` is outside D1's tags 1–8 and the
message has arity 3 (state messages: arity 4, tag 5), so a log signature is never a state signature.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from prover.crypto import Point, Signature, poseidon, sign, verify
from prover.crypto.errors import CryptoError
from prover.crypto.rln import keccak256
from prover.gateway.policy.errors import LogTamperError
from prover.gateway.policy.evidence import ZERO_HASH, canonical

PENALTY_LOG_TAG: Final[int] = 0x7A6B_706C_6F67  # "zkplog"
_HEX32 = r"^0x[0-9a-f]{64}$"


class PenaltyEntry(BaseModel):
    """The wire and storage form of one entry (`GET /penalties` returns a list of these)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(ge=0)
    prev: str = Field(pattern=_HEX32)
    created_at: int = Field(ge=0)
    evidence_hash: str = Field(pattern=_HEX32)
    evidence: str = Field(max_length=4096)  # the canonical evidence JSON, verbatim
    entry_hash: str = Field(pattern=_HEX32)
    signature: dict[str, Any]

    @field_validator("evidence")
    @classmethod
    def _ascii(cls, v: str) -> str:
        if not v.isascii():
            raise ValueError("evidence must be ASCII canonical JSON")
        return v


def chain_hash(seq: int, prev: bytes, created_at: int, ev_hash: bytes, evidence: bytes) -> bytes:
    return keccak256(
        canonical(
            {
                "seq": seq,
                "prev": "0x" + prev.hex(),
                "created_at": created_at,
                "evidence_hash": "0x" + ev_hash.hex(),
                "evidence": evidence.decode("ascii"),
            }
        )
    )


def entry_message(entry_hash: bytes) -> int:
    """The field element the gateway signs for an entry."""
    hi = int.from_bytes(entry_hash[:16], "big")
    lo = int.from_bytes(entry_hash[16:], "big")
    return poseidon(PENALTY_LOG_TAG, hi, lo)


def make_entry(
    secret_key: int, seq: int, prev: bytes, created_at: int, evidence: bytes
) -> PenaltyEntry:
    ev_hash = keccak256(evidence)
    digest = chain_hash(seq, prev, created_at, ev_hash, evidence)
    sig = sign(secret_key, entry_message(digest))
    return PenaltyEntry(
        seq=seq,
        prev="0x" + prev.hex(),
        created_at=created_at,
        evidence_hash="0x" + ev_hash.hex(),
        evidence=evidence.decode("ascii"),
        entry_hash="0x" + digest.hex(),
        signature=sig.to_wire(),
    )


def _b(hex32: str) -> bytes:
    return bytes.fromhex(hex32[2:])


def verify_entry(entry: PenaltyEntry, server_pk: Point) -> None:
    """Check one entry on its own: evidence canonical and hashed, chain hash, signature."""
    seq = entry.seq
    evidence = entry.evidence.encode("ascii")
    try:
        parsed = json.loads(evidence)
    except ValueError as exc:
        raise LogTamperError(
            f"entry {seq}: evidence is not JSON", seq=seq, field="evidence"
        ) from exc
    if not isinstance(parsed, dict) or canonical(parsed) != evidence:
        raise LogTamperError(f"entry {seq}: evidence is not canonical", seq=seq, field="evidence")
    if keccak256(evidence) != _b(entry.evidence_hash):
        raise LogTamperError(f"entry {seq}: evidence_hash mismatch", seq=seq, field="evidence_hash")
    digest = chain_hash(seq, _b(entry.prev), entry.created_at, _b(entry.evidence_hash), evidence)
    if digest != _b(entry.entry_hash):
        raise LogTamperError(f"entry {seq}: entry_hash mismatch", seq=seq, field="entry_hash")
    try:
        sig = Signature.from_wire(entry.signature)
    except CryptoError as exc:
        raise LogTamperError(
            f"entry {seq}: bad signature: {exc}", seq=seq, field="signature"
        ) from exc
    if not verify(server_pk, entry_message(digest), sig):
        raise LogTamperError(f"entry {seq}: signature does not verify", seq=seq, field="signature")


def verify_log(
    entries: Sequence[PenaltyEntry],
    server_pk: Point,
    *,
    since: int = 0,
    anchor: bytes | None = None,
) -> None:
    """Raise `LogTamperError` unless `entries` is an intact, signed run of the log from `since`.

    By default the run is the whole log: it must start at seq 0, anchored at 32 zero bytes. A later
    run (`entries(since)`) must start at `since` and is anchored at `anchor` (the `entry_hash` of
    entry `since - 1`, if the verifier holds it) or else at its first `prev`. Dropping the newest
    entries is visible only against a head seen earlier: compare `entries[-1]` with it.
    """
    expected_seq = since
    expected_prev = ZERO_HASH if since == 0 else anchor
    for entry in entries:
        if entry.seq != expected_seq:
            raise LogTamperError(
                f"entry {entry.seq} where {expected_seq} was expected", seq=entry.seq, field="seq"
            )
        if expected_prev is not None and _b(entry.prev) != expected_prev:
            raise LogTamperError(
                f"entry {entry.seq}: prev does not link to the entry before",
                seq=entry.seq,
                field="prev",
            )
        verify_entry(entry, server_pk)
        expected_prev = _b(entry.entry_hash)
        expected_seq += 1


def is_valid_log(entries: Sequence[PenaltyEntry], server_pk: Point, *, since: int = 0) -> bool:
    try:
        verify_log(entries, server_pk, since=since)
    except LogTamperError:
        return False
    return True
