"""The penalty log: durable, hash-chained, signed; any edit, drop or reorder is detected."""

from __future__ import annotations

import itertools
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from prover.crypto import generate_secret_key, poseidon, public_key, verify
from prover.crypto.eddsa import Signature
from prover.crypto.rln import keccak256
from prover.gateway.policy import (
    PENALTY_LOG_TAG,
    LogTamperError,
    PenaltyEntry,
    PenaltyLog,
    RulePolicy,
    entries_to_wire,
    entry_message,
    is_valid_log,
    verify_log,
)
from prover.gateway.policy.entry import chain_hash
from prover.gateway.policy.evidence import canonical

from .conftest import PENALTY_MAX, Clock, chat

REPO = Path(__file__).resolve().parents[4]


def _evidence(i: int) -> bytes:
    return canonical({"v": 1, "rule": "r", "penalty": "1000", "request_digest": f"0x{i:064x}"})


def _filled(log: PenaltyLog, n: int = 4) -> list[PenaltyEntry]:
    for i in range(n):
        log.append(_evidence(i))
    return log.entries()


def _resealed(entry: PenaltyEntry, **changes: object) -> PenaltyEntry:
    """An edited entry whose hashes are recomputed (but whose signature cannot be)."""
    data = entry.model_dump() | changes
    ev = data["evidence"].encode()
    data["evidence_hash"] = "0x" + keccak256(ev).hex()
    prev = bytes.fromhex(data["prev"][2:])
    digest = chain_hash(data["seq"], prev, data["created_at"], keccak256(ev), ev)
    data["entry_hash"] = "0x" + digest.hex()
    return PenaltyEntry.model_validate(data)


def test_appended_entries_form_a_signed_chain(penalty_log: PenaltyLog, secret_key: int) -> None:
    entries = _filled(penalty_log)
    pk = public_key(secret_key)
    verify_log(entries, pk)
    assert [e.seq for e in entries] == [0, 1, 2, 3]
    assert entries[0].prev == "0x" + "00" * 32
    for before, after in itertools.pairwise(entries):
        assert after.prev == before.entry_hash
    for entry in entries:
        digest = bytes.fromhex(entry.entry_hash[2:])
        msg = poseidon(PENALTY_LOG_TAG, int.from_bytes(digest[:16]), int.from_bytes(digest[16:]))
        assert entry_message(digest) == msg
        assert verify(pk, msg, Signature.from_wire(entry.signature))
    assert penalty_log.head() == entries[-1]


def test_appending_the_same_evidence_twice_returns_the_first_entry(
    penalty_log: PenaltyLog,
) -> None:
    first = penalty_log.append(_evidence(1))
    again = penalty_log.append(_evidence(1))
    assert again == first
    assert len(penalty_log.entries()) == 1


def test_the_log_survives_reopening(log_path: Path, secret_key: int) -> None:
    log = PenaltyLog(log_path, secret_key, clock=Clock())
    written = _filled(log, 3)
    log.close()
    reopened = PenaltyLog(log_path, secret_key, clock=Clock())
    assert reopened.entries() == written
    reopened.append(_evidence(9))
    verify_log(reopened.entries(), public_key(secret_key))
    with sqlite3.connect(log_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened.close()


def test_entries_since_is_a_verifiable_suffix(penalty_log: PenaltyLog, secret_key: int) -> None:
    entries = _filled(penalty_log, 5)
    suffix = penalty_log.entries(since=2)
    assert suffix == entries[2:]
    anchor = bytes.fromhex(entries[1].entry_hash[2:])
    verify_log(suffix, public_key(secret_key), since=2, anchor=anchor)
    verify_log(suffix, public_key(secret_key), since=2)
    with pytest.raises(LogTamperError) as err:
        verify_log(suffix, public_key(secret_key), since=2, anchor=bytes(32))
    assert err.value.field == "prev"
    assert penalty_log.entries(since=2, limit=2) == entries[2:4]
    with pytest.raises(LogTamperError) as err:
        verify_log(suffix, public_key(secret_key))  # presented as the whole log
    assert (err.value.seq, err.value.field) == (2, "seq")


def test_an_edited_entry_is_detected(penalty_log: PenaltyLog, secret_key: int) -> None:
    entries = _filled(penalty_log)
    pk = public_key(secret_key)
    raw = entries[1].evidence.replace('"r"', '"s"')
    naive = entries[1].model_copy(update={"evidence": raw})
    with pytest.raises(LogTamperError) as err:
        verify_log([entries[0], naive, *entries[2:]], pk)
    assert (err.value.seq, err.value.field) == (1, "evidence_hash")
    resealed = _resealed(entries[1], evidence=raw)
    with pytest.raises(LogTamperError) as err:
        verify_log([entries[0], resealed, *entries[2:]], pk)
    assert err.value.seq in (1, 2)  # its signature fails, or the next entry's link
    with pytest.raises(LogTamperError) as err:
        verify_log([entries[0], resealed], pk)
    assert (err.value.seq, err.value.field) == (1, "signature")
    later = entries[2].model_copy(update={"created_at": entries[2].created_at + 1})
    with pytest.raises(LogTamperError) as err:
        verify_log([*entries[:2], later, entries[3]], pk)
    assert (err.value.seq, err.value.field) == (2, "entry_hash")


def test_non_canonical_evidence_is_detected(penalty_log: PenaltyLog, secret_key: int) -> None:
    entries = _filled(penalty_log, 1)
    spaced = json.dumps(json.loads(entries[0].evidence), indent=1)
    with pytest.raises(LogTamperError) as err:
        verify_log([_resealed(entries[0], evidence=spaced)], public_key(secret_key))
    assert err.value.field == "evidence"


def test_a_dropped_entry_is_detected(penalty_log: PenaltyLog, secret_key: int) -> None:
    entries = _filled(penalty_log)
    with pytest.raises(LogTamperError) as err:
        verify_log([entries[0], *entries[2:]], public_key(secret_key))
    assert (err.value.seq, err.value.field) == (2, "seq")
    renumbered = entries[2].model_copy(update={"seq": 1})
    with pytest.raises(LogTamperError) as err:
        verify_log([entries[0], renumbered], public_key(secret_key))
    assert err.value.field == "prev"
    assert not is_valid_log(entries[1:], public_key(secret_key))  # the first entry dropped


def test_reordered_entries_are_detected(penalty_log: PenaltyLog, secret_key: int) -> None:
    entries = _filled(penalty_log)
    swapped = [entries[0], entries[2], entries[1], entries[3]]
    assert not is_valid_log(swapped, public_key(secret_key))
    assert is_valid_log(entries, public_key(secret_key))


def test_a_log_signed_by_another_key_is_rejected(penalty_log: PenaltyLog) -> None:
    entries = _filled(penalty_log, 2)
    with pytest.raises(LogTamperError) as err:
        verify_log(entries, public_key(generate_secret_key()))
    assert (err.value.seq, err.value.field) == (0, "signature")
    junk_sig = entries[0].model_copy(update={"signature": {"R8": ["1", "2"], "S": "3"}})
    with pytest.raises(LogTamperError) as err:
        verify_log([junk_sig], public_key(generate_secret_key()))
    assert err.value.field == "signature"


def test_the_wire_form_round_trips(penalty_log: PenaltyLog, secret_key: int) -> None:
    entries = _filled(penalty_log, 2)
    wire = json.loads(json.dumps(entries_to_wire(entries)))
    parsed = [PenaltyEntry.model_validate(e) for e in wire]
    verify_log(parsed, public_key(secret_key))


def test_the_policy_logs_each_penalty_under_the_decision_evidence_hash(
    penalty_log: PenaltyLog, secret_key: int
) -> None:
    policy = RulePolicy.from_config(None, penalty_max=PENALTY_MAX, log=penalty_log)
    body = b'{"messages":[{"role":"user","content":"ZKC-FORBIDDEN-DEMO"}]}'
    decision = policy.evaluate(chat(body), b"", request_digest=42)
    retried = policy.evaluate(chat(body), b"", request_digest=42)
    assert retried == decision
    assert policy.evaluate(chat(b"{}"), b"").penalty == 0
    (entry,) = penalty_log.entries()
    assert entry.evidence_hash == "0x" + decision.evidence_hash.hex()
    assert penalty_log.find(decision.evidence_hash) == entry
    assert json.loads(entry.evidence)["rule"] == "demo-forbidden-marker"
    verify_log([entry], public_key(secret_key))


def test_a_penalty_that_cannot_be_logged_is_not_imposed(log_path: Path, secret_key: int) -> None:
    log = PenaltyLog(log_path, secret_key)
    policy = RulePolicy.from_config(None, penalty_max=PENALTY_MAX, log=log)
    log.close()
    decision = policy.evaluate(chat(b"ZKC-FORBIDDEN-DEMO"), b"")
    assert decision.penalty == 0 and decision.evidence_hash == bytes(32)


@pytest.mark.slow
def test_circomlibjs_verifies_a_log_signature_and_the_signed_message(
    penalty_log: PenaltyLog, secret_key: int
) -> None:
    (entry,) = _filled(penalty_log, 1)
    digest = bytes.fromhex(entry.entry_hash[2:])
    hi, lo = int.from_bytes(digest[:16]), int.from_bytes(digest[16:])
    msg = entry_message(digest)
    ops = [
        {"op": "poseidon", "inputs": [str(PENALTY_LOG_TAG), str(hi), str(lo)]},
        {
            "op": "eddsa_verify",
            "msg": str(msg),
            "A": public_key(secret_key).to_wire(),
            "sig": entry.signature,
        },
        {
            "op": "eddsa_verify",
            "msg": str(msg + 1),
            "A": public_key(secret_key).to_wire(),
            "sig": entry.signature,
        },
    ]
    node = shutil.which("node")
    assert node is not None
    proc = subprocess.run(
        [node, str(REPO / "tests" / "vectors" / "crypto_reference.mjs"), "eval"],
        input=json.dumps({"ops": ops}),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"] == [str(msg), True, False]


def test_two_writers_on_one_file_keep_one_chain(log_path: Path, secret_key: int) -> None:
    first = PenaltyLog(log_path, secret_key, clock=Clock())
    second = PenaltyLog(log_path, secret_key, clock=Clock())
    for i in range(6):
        (first if i % 2 else second).append(_evidence(100 + i))
    entries = first.entries()
    assert [e.seq for e in entries] == list(range(6))
    verify_log(entries, public_key(secret_key))
    assert second.entries() == entries
    first.close()
    second.close()
