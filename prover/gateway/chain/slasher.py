"""The slasher (PROTOCOL §10): from a recovered secret to `slash(proof, id)` on chain.

`on_double_spend(x1, y1, x2, y2)` (the `DoubleSpendSink` the gateway app and the watcher call)
recovers `k`, checks `H(TAG_ID, k)` is a deposited note, persists a job and deny-lists the note's
next `deny_ahead` nullifiers at once; `process_pending()` (the background loop) proves the `slash`
circuit, signs `slash(proof, id)` with an explicit gas limit from the provider's account, stores
the raw transaction *before* broadcasting it, broadcasts and waits for the receipt. After a crash
it re-broadcasts the stored bytes (same nonce and hash): a note is never slashed twice, and a note
someone else already slashed is skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Protocol

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import TimeExhausted, TransactionNotFound

from prover.chain.errors import ContractRevertError
from prover.chain.mirror import VaultMirror
from prover.chain.tx import dry_run
from prover.chain.vault import PROOF_GAS, CreditVaultClient, NoteStatus, proof_words
from prover.circuits.inputs import slash_inputs
from prover.circuits.prover import CircuitKeys, Prover
from prover.crypto.errors import CryptoError
from prover.crypto.field import P
from prover.crypto.rln import note_id, nullifier, recover_secret, slope
from prover.gateway.chain.errors import GatewayChainError, SecretNotDepositedError
from prover.gateway.chain.jobs import JobStatus, JobStore, SlashJob, SlashJobs
from prover.gateway.store import NullifierStore
from prover.logs import get_logger

log = get_logger("zkcredits.gateway.slasher")

DEFAULT_DENY_AHEAD: Final[int] = 1024
"""K: how many tickets after the note's first unspent one are deny-listed (docs: §Chain sync)."""
SLASH_GAS: Final[int] = PROOF_GAS
_MAX_TICKET: Final[int] = (1 << 32) - 1


class DoubleSpendSink(Protocol):
    """Told about two RLN shares `(x1, y1)`, `(x2, y2)` of one ticket (different `x`)."""

    def on_double_spend(self, x1: int, y1: int, x2: int, y2: int) -> SlashJob: ...


def ticket_nullifier(k: int, ticket: int, service_id: int) -> int:
    return nullifier(slope(k, ticket, service_id))


class Slasher:
    """Slashes notes whose secret leaked; implements `DoubleSpendSink`."""

    def __init__(
        self,
        w3: Web3,
        mirror: VaultMirror,
        store: NullifierStore,
        account: LocalAccount,
        jobs_path: Path | None,
        *,
        jobs: JobStore | None = None,
        keys: CircuitKeys | None = None,
        deny_ahead: int = DEFAULT_DENY_AHEAD,
        gas: int = SLASH_GAS,
        receipt_timeout: float = 60.0,
        on_event: Callable[[str], None] = lambda _event: None,
    ) -> None:
        """`jobs`: a shared job store (replicas on PostgreSQL); else a SQLite file at
        `jobs_path`. `on_event` hears `queued`, `signed`, `confirmed`, `skipped`, `failed`."""
        if deny_ahead < 1:
            raise GatewayChainError("deny_ahead must be at least 1", field="deny_ahead")
        self.w3 = w3
        self.mirror = mirror
        self.store = store
        self.account = account
        self.vault = CreditVaultClient(w3, mirror.vault)
        if jobs is None:
            if jobs_path is None:
                raise GatewayChainError("a slash-job file or store is needed", field="jobs")
            jobs = SlashJobs(jobs_path, chain_id=mirror.chain_id, vault=mirror.vault)
        self.jobs: JobStore = jobs
        self.on_event = on_event
        self.deny_ahead = deny_ahead
        self.gas = gas
        self.receipt_timeout = receipt_timeout
        self._keys = keys
        self._prover: Prover | None = None
        self._lock = threading.RLock()  # processing (prove, sign, send): one job at a time
        self._intake = threading.Lock()  # intake from app threads never waits for a proof
        self.last_errors: dict[int, str] = {}
        """Per note: the exception of its last failed processing attempt (retried next pass)."""
        self.wakeup = threading.Event()
        """Set when a job is queued, so a background loop processes it without waiting."""

    # ------------------------------------------------------------------ intake

    def on_double_spend(self, x1: int, y1: int, x2: int, y2: int) -> SlashJob:
        """Recover `k` from two shares of one ticket and queue the slash (idempotent)."""
        try:
            k = recover_secret(x1, y1, x2, y2)
        except CryptoError as exc:
            raise GatewayChainError(f"cannot recover the secret: {exc}", field="x2") from exc
        return self.enqueue_secret(k, reason="double-spend")

    def __call__(self, evidence: Any) -> None:
        """Adapter for the gateway app's sink type (`Callable[[DoubleSpendEvidence], None]`)."""
        (x1, y1), (x2, y2) = evidence.first_share, evidence.second_share
        try:
            self.on_double_spend(x1, y1, x2, y2)
        except SecretNotDepositedError as exc:
            log.warning("double_spend_without_deposit", error=str(exc))

    def enqueue_secret(self, k: int, *, reason: str) -> SlashJob:
        """Queue the slash of the note whose secret is `k` and deny-list its next tickets."""
        if not 0 < k < P:
            raise GatewayChainError("k must be a non-zero field element", field="k")
        nid = note_id(k)
        if not self.mirror.is_deposited(nid):
            raise SecretNotDepositedError(
                f"recovered secret maps to ID {nid}, which is not a deposited note", field="k"
            )
        with self._intake:
            job, created = self.jobs.add(nid, k, reason)
            if created or job.denied_from is None:
                first, last = self._deny_next(k)
                job = self.jobs.update(nid, denied_from=first, denied_to=last)
        if created:
            log.warning("slash_queued", note_id=nid, reason=reason)
            self.on_event("queued")
        self.wakeup.set()
        return job

    def first_unspent_ticket(self, k: int) -> int:
        """The note's first ticket the store has no record of (tickets are spent in order)."""
        sid = self.mirror.service_id
        t = 0
        while t < _MAX_TICKET and self.store.get_record(ticket_nullifier(k, t, sid)) is not None:
            t += 1
        return t

    def _deny_next(self, k: int) -> tuple[int, int]:
        sid = self.mirror.service_id
        first = self.first_unspent_ticket(k)
        last = min(first + self.deny_ahead - 1, _MAX_TICKET)
        self.store.deny(ticket_nullifier(k, t, sid) for t in range(first, last + 1))
        return first, last

    # ------------------------------------------------------------------ processing

    def process_pending(self) -> list[SlashJob]:
        """Drive every open job as far as it goes now (prove, sign, broadcast, confirm). A job
        whose attempt raises (RPC down, prover failure) is logged and retried next pass; it
        does not hold up the others."""
        self.wakeup.clear()
        done = []
        for job in self.jobs.open_jobs():
            try:
                done.append(self.run(job.note_id))
                self.last_errors.pop(job.note_id, None)
            except Exception as exc:  # keep going: other jobs may still make their window
                self.last_errors[job.note_id] = repr(exc)
                log.exception("slash_attempt_failed", note_id=job.note_id)
        return done

    def run(self, nid: int) -> SlashJob:
        with self._lock:
            job = self.jobs.get(nid)
            if job is None:
                raise GatewayChainError(f"no slash job for note {nid}", field="note_id")
            if job.status is JobStatus.QUEUED:
                job = self.prepare(nid)
            if job.status is JobStatus.SIGNED:
                job = self.broadcast(nid)
                job = self.confirm(nid)
            return job

    def _skip_if_settled(self, job: SlashJob) -> SlashJob | None:
        status = self.vault.note(job.note_id).status
        if status not in (NoteStatus.ACTIVE, NoteStatus.EXITING):
            self.on_event("skipped")
        if status is NoteStatus.SLASHED:
            return self.jobs.update(job.note_id, status=JobStatus.ALREADY_SLASHED)
        if status not in (NoteStatus.ACTIVE, NoteStatus.EXITING):
            return self.jobs.update(
                job.note_id, status=JobStatus.NOT_SLASHABLE, error=f"note is {status.name}"
            )
        return None

    def prepare(self, nid: int) -> SlashJob:
        """queued → signed: prove, dry-run, sign and store the raw transaction (not sent)."""
        with self._lock:
            job = self.jobs.get(nid)
            assert job is not None
            if job.status is not JobStatus.QUEUED:
                return job
            settled = self._skip_if_settled(job)
            if settled is not None:
                return settled
            calldata = self._prove(job)
            data = self.vault.contract.encode_abi("slash", args=[proof_words(calldata), nid])
            call = {"from": self.account.address, "to": self.vault.address, "data": data}
            try:
                dry_run(self.w3, {**call, "gas": self.gas}, "slash")
            except ContractRevertError as exc:
                if exc.name == "NoteNotSlashable":
                    settled = self._skip_if_settled(job)
                    if settled is not None:
                        return settled
                self.on_event("failed")
                return self.jobs.update(nid, status=JobStatus.FAILED, error=str(exc))
            nonce = int(self.w3.eth.get_transaction_count(self.account.address, "pending"))
            tx = {
                "to": self.vault.address,
                "data": data,
                "value": 0,
                "gas": self.gas,
                "nonce": nonce,
                "chainId": self.mirror.chain_id,
                **self._fees(),
            }
            signed = self.account.sign_transaction(tx)
            self.on_event("signed")
            return self.jobs.update(
                nid,
                status=JobStatus.SIGNED,
                nonce=nonce,
                raw_tx=bytes(signed.raw_transaction),
                tx_hash="0x" + bytes(signed.hash).hex(),
                signings=job.signings + 1,
            )

    def broadcast(self, nid: int) -> SlashJob:
        """Send the stored raw transaction (again): the same bytes, so never a second slash."""
        job = self.jobs.get(nid)
        assert job is not None
        if job.status is not JobStatus.SIGNED or job.raw_tx is None:
            return job
        try:
            self.w3.eth.send_raw_transaction(job.raw_tx)
        except Exception as exc:  # "already known", "nonce too low": settled by confirm()
            log.info("slash_rebroadcast_answered", note_id=nid, answer=str(exc))
        return job

    def confirm(self, nid: int, timeout: float | None = None) -> SlashJob:
        """signed → done when the stored transaction is mined; handles a lost nonce."""
        job = self.jobs.get(nid)
        assert job is not None and job.tx_hash is not None
        if job.status is not JobStatus.SIGNED:
            return job
        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(
                job.tx_hash,  # type: ignore[arg-type]
                timeout=self.receipt_timeout if timeout is None else timeout,
            )
        except (TimeExhausted, TransactionNotFound):
            receipt = None
        if receipt is not None:
            if int(receipt["status"]) == 1:
                log.warning("note_slashed", note_id=nid, tx=job.tx_hash)
                self.on_event("confirmed")
                return self.jobs.update(nid, status=JobStatus.DONE, error=None)
            settled = self._skip_if_settled(job)
            if settled is None:
                self.on_event("failed")
            return settled or self.jobs.update(
                nid, status=JobStatus.FAILED, error=f"slash tx {job.tx_hash} reverted"
            )
        mined_nonce = int(self.w3.eth.get_transaction_count(self.account.address, "latest"))
        if job.nonce is not None and mined_nonce > job.nonce:
            # Our nonce was used by another transaction: sign again (only now).
            settled = self._skip_if_settled(job)
            return settled or self.jobs.update(nid, status=JobStatus.QUEUED, raw_tx=None)
        return job

    # ------------------------------------------------------------------ helpers

    def _prove(self, job: SlashJob) -> bytes:
        if self._prover is None:
            self._prover = Prover(self._keys or CircuitKeys.load("slash"))
        proof = self._prover.prove(slash_inputs(job.k, self.mirror.service_id))
        signals = [int(s) for s in proof.public_signals]
        if signals != [job.note_id, self.mirror.service_id]:
            raise GatewayChainError(f"slash proof signals {signals} do not match the job")
        return bytes(proof.calldata)

    def _fees(self) -> dict[str, int]:
        block = self.w3.eth.get_block("latest")
        base = int(block.get("baseFeePerGas", 0) or 0)
        try:
            tip = int(self.w3.eth.max_priority_fee)
        except Exception:  # nodes without eth_maxPriorityFeePerGas
            tip = 1_000_000_000
        return {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}

    def close(self) -> None:
        if self._prover is not None:
            self._prover.close()
            self._prover = None
        self.jobs.close()
