"""The provider's revenue: what the vault owes the treasury, what is on its way, and collecting it.

`revenue_report` reads:
- `owedOf(treasury)`: already the treasury's, waiting for `withdrawOwed` (pull payments, §7);
- pending exits: notes `Exiting` whose `charged` goes to the treasury when finalized, with the
  end of their challenge window (`ready_at`) and whether it has passed;
- expired notes the treasury can sweep: `Active` notes past `expiry + exit_grace_days`
  (`claimExpired` moves the whole deposit to the treasury).
Candidates come from a vault mirror of the deployment's data directory (`revenue-mirror.sqlite`,
its own file: never the gateway's); each is then read live (`noteOf`) and a sweep is confirmed by
a dry run of `claimExpired`, so the report follows the contract's own rules.

`collect` sends, from the treasury's key: `claimExpired` for each sweepable note,
`finalizeWithdrawal` for each exit whose window has passed (anyone may; it credits the user's and
the treasury's `owed`), then `withdrawOwed`. Each transaction is dry-run first; a note someone
else settled meanwhile is skipped, not an error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from pydantic import BaseModel, ConfigDict
from web3 import Web3

from prover.chain.errors import ChainError
from prover.chain.mirror import Finality, MirrorError, VaultMirror
from prover.chain.sender import Sender
from prover.chain.vault import CreditVaultClient, NoteStatus
from prover.gateway.errors import RevenueError
from prover.logs import get_logger

log = get_logger("zkcredits.provider.revenue")
DAY = 86_400


class PendingExit(BaseModel):
    model_config = ConfigDict(frozen=True)

    note_id: str
    recipient: str
    pending_call: bool
    charged: int
    """Accounting units the treasury gets when the exit is finalized."""
    penalties: int
    ready_at: int
    """Unix time the challenge window ends; `finalizeWithdrawal` works from then on."""
    ready: bool
    treasury_amount: int
    """`charged · unit`, in the asset's base units."""


class SweepableNote(BaseModel):
    model_config = ConfigDict(frozen=True)

    note_id: str
    deposit: int
    expiry_day: int
    last_exit_day: int
    amount: int
    """`deposit · unit`, in base units."""


class RevenueReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    chain_id: int
    vault: str
    treasury: str
    asset: str
    unit: int
    block: int
    chain_time: int
    owed: int
    """`owedOf(treasury)`, base units: collectable now."""
    pending_exits: list[PendingExit]
    pending_exit_amount: int
    sweepable: list[SweepableNote]
    sweepable_amount: int


class CollectedTx(BaseModel):
    model_config = ConfigDict(frozen=True)

    action: str
    note_id: str | None = None
    tx_hash: str
    gas_used: int


class Collection(BaseModel):
    model_config = ConfigDict(frozen=True)

    transactions: list[CollectedTx]
    skipped: list[str]
    withdrawn: int
    """Base units paid to the treasury by `withdrawOwed` (0 if nothing was owed)."""
    owed_after: int


def open_revenue_mirror(
    w3: Web3, vault: str, path: Path, *, confirmations: int | None, start_block: int
) -> VaultMirror:
    """The report's own mirror of the vault's events, synced to the finality point."""
    finality = Finality.finalized_tag() if confirmations is None else Finality.after(confirmations)
    try:
        mirror = VaultMirror(w3, vault, path, finality=finality, start_block=start_block)
        mirror.sync()
    except MirrorError as exc:
        raise RevenueError(f"chain mirror {path}: {exc}", field="data_dir") from exc
    return mirror


def _sweep_ok(vault: CreditVaultClient, note_id: int, sender: str) -> bool:
    try:
        vault.contract.functions.claimExpired(note_id).call({"from": sender})
    except Exception:  # the contract's own rule says no (window open, already settled)
        return False
    return True


def revenue_report(vault: CreditVaultClient, mirror: VaultMirror) -> RevenueReport:
    w3 = vault.w3
    params = vault.params()
    block = w3.eth.get_block("latest")
    now = int(block["timestamp"])
    today = now // DAY
    treasury = Web3.to_checksum_address(params.treasury)
    exits: list[PendingExit] = []
    for w in mirror.withdrawals():
        if mirror.note_status(w.note_id) is not NoteStatus.EXITING:
            continue
        note = vault.note(w.note_id)
        if note.status is not NoteStatus.EXITING:
            continue  # settled after the mirror's finality point
        exits.append(
            PendingExit(
                note_id=str(w.note_id),
                recipient=note.recipient,
                pending_call=w.pending,
                charged=note.charged,
                penalties=note.penalties,
                ready_at=note.exit_ready_at,
                ready=now >= note.exit_ready_at,
                treasury_amount=note.charged * params.unit,
            )
        )
    sweepable: list[SweepableNote] = []
    for i in range(mirror.size):
        d = mirror.deposit_at(i)
        last_day = d.expiry + params.exit_grace_days
        if mirror.note_status(d.note_id) is not NoteStatus.ACTIVE or today <= last_day:
            continue
        if vault.note(d.note_id).status is not NoteStatus.ACTIVE:
            continue
        if not _sweep_ok(vault, d.note_id, treasury):
            continue
        sweepable.append(
            SweepableNote(
                note_id=str(d.note_id),
                deposit=d.deposit,
                expiry_day=d.expiry,
                last_exit_day=last_day,
                amount=d.deposit * params.unit,
            )
        )
    asset = vault.asset()
    return RevenueReport(
        chain_id=int(w3.eth.chain_id),
        vault=vault.address,
        treasury=treasury,
        asset="native" if int(asset, 16) == 0 else asset,
        unit=params.unit,
        block=int(block["number"]),
        chain_time=now,
        owed=vault.owed(treasury),
        pending_exits=exits,
        pending_exit_amount=sum(e.treasury_amount for e in exits),
        sweepable=sweepable,
        sweepable_amount=sum(s.amount for s in sweepable),
    )


def collect(
    vault: CreditVaultClient,
    report: RevenueReport,
    account: LocalAccount,
    *,
    finalize: bool = True,
    progress: Callable[[str], None] = lambda _m: None,
) -> Collection:
    """Sweep, finalize ready exits, withdraw what is owed; from the treasury's own key."""
    if account.address != report.treasury:
        raise RevenueError(
            f"key_file: account {account.address} is not the vault's treasury {report.treasury}",
            field="key_file",
        )
    sender = Sender(vault.w3, account, abis=[cast(list[dict[str, Any]], vault.contract.abi)])
    sent: list[CollectedTx] = []
    skipped: list[str] = []

    def send(action: str, fn_name: str, note_id: int | None) -> None:
        fn = getattr(vault.contract.functions, fn_name)
        call = fn() if note_id is None else fn(note_id)
        label = action if note_id is None else f"{action} {note_id}"
        try:
            call.call({"from": account.address})
        except Exception:  # settled by someone else since the report, or nothing owed
            skipped.append(label)
            return
        progress(label)
        try:
            receipt = sender.call_fn(call, label)
        except ChainError as exc:
            raise RevenueError(f"{label}: {exc}", field="transaction") from exc
        sent.append(
            CollectedTx(
                action=action,
                note_id=None if note_id is None else str(note_id),
                tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
                gas_used=int(receipt["gasUsed"]),
            )
        )

    for note in report.sweepable:
        send("claimExpired", "claimExpired", int(note.note_id))
    if finalize:
        for exit_ in report.pending_exits:
            if exit_.ready:
                send("finalizeWithdrawal", "finalizeWithdrawal", int(exit_.note_id))
    owed = vault.owed(report.treasury)
    if owed > 0:
        send("withdrawOwed", "withdrawOwed", None)
    after = vault.owed(report.treasury)
    return Collection(transactions=sent, skipped=skipped, withdrawn=owed - after, owed_after=after)
