"""`zkcredits client recover | export | import`: settle what is pending, back up, restore.

- `recover` asks the gateway (`GET /state/{nullifier}`) about every active or halted note and
  catches it up; a call still unanswered is then resent exactly as it was bound (`--no-resend`
  to skip), as `client serve` does at start. It settles what it can and exits 1 naming every
  note that still has a call waiting for its reply, with what to do about it.
- `recover --secret-file` rebuilds one note from its secret `k` (decimal, or hex with `0x`).
- `export` writes the notes (secrets, signed states, pending calls) to a file sealed under a
  passphrase (the wallet's, unless `--export-passphrase-file` names another); `import` merges such
  a file into this wallet (never moving a note backwards); `recover` then catches the imported
  notes up with calls made after the export.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from prover.cli.client_common import (
    DEFAULT_WALLET,
    JsonOpt,
    PassOpt,
    RpcOpt,
    SidOpt,
    WalletOpt,
    app,
    emit,
    err,
    errors,
    find_note,
    open_session,
    passphrase,
    pin_of,
    progress,
)
from prover.cli.errors import CliError, fail
from prover.client.errors import ClientError
from prover.client.profile import load_profile
from prover.client.wallet import KdfParams, Note, NoteStatus, Wallet
from prover.client.why_not import short
from prover.errors import ZkCreditsError

if TYPE_CHECKING:
    from prover.client.session import Session

EXPORT_PASSPHRASE_ENV = "ZKCREDITS_EXPORT_PASSPHRASE"
ExportPassOpt = Annotated[
    Path | None,
    typer.Option(
        help="File holding the export file's passphrase (else $ZKCREDITS_EXPORT_PASSPHRASE, "
        "else the wallet's passphrase)."
    ),
]


def parse_secret(text: str) -> int:
    """A note secret `k`: decimal digits, or hex digits after `0x` (one line, nothing else)."""
    from prover.crypto import P

    value = text.strip()
    try:
        k = int(value, 16) if value.lower().startswith("0x") else int(value, 10)
    except ValueError:
        raise CliError(
            "--secret-file must hold the note secret k on one line, as decimal digits or as "
            "hex digits after 0x",
            field="secret_file",
        ) from None
    if not 0 < k < P:
        raise CliError("--secret-file: k must be in 1 .. p-1 (a BN254 field element)", field="k")
    return k


def _row(note: Note, outcome: str) -> dict[str, Any]:
    return {
        "note": str(note.id),
        "status": str(note.status),
        "tickets": note.state.n,
        "C": note.state.C,
        "P": note.state.P,
        "balance": note.balance,
        "pending": note.in_flight is not None,
        "outcome": outcome,
    }


def _restore(session: Session, k: int, service_id: str | None, rpc_url: str | None) -> Note:
    from prover.client.session import open_mirror
    from prover.client.state_fetch import gateway_fetch_state
    from prover.client.transport.private import PrivateTransport
    from prover.client.wallet import DepositInfo, restore_note
    from prover.crypto import note_id

    pin = pin_of(session.profile, service_id)
    nid = note_id(k)
    if any(n.id == nid for n in session.wallet.notes()):
        raise ClientError(
            f"note {short(nid)} is already in this wallet: `client recover --note "
            f"{str(nid)[:12]}` catches it up",
            field="secret_file",
        )
    mirror = open_mirror(session.w3(rpc_url), session.wallet_path, pin, 0)
    try:
        mirror.sync()
        record = mirror.deposit_of(nid)
    finally:
        mirror.close()
    if record is None:
        raise ClientError("no deposit of this note on chain", field="secret")
    deposit = DepositInfo(
        tx_hash=bytes.fromhex(record.at.tx_hash.removeprefix("0x")),
        leaf_index=record.index, D=record.deposit, expiry=record.expiry,
    )  # fmt: skip
    fetch = gateway_fetch_state(pin.gateway_url, PrivateTransport())
    restored = restore_note(k, pin.service, deposit, fetch)
    session.wallet.add_note(restored)
    return restored


def _catch_up(session: Session, notes: list[Note], step: Any) -> dict[int, str]:
    """GET /state for each note; returns the outcome (or the failure) per note id."""
    from prover.client.state_fetch import gateway_fetch_state
    from prover.client.transport.private import PrivateTransport

    outcomes: dict[int, str] = {}
    for item in notes:
        step(f"asking the gateway about note {short(item.id)}")
        try:
            pin = session.profile.provider(item.service.service_id)
            before = item.state.n
            state = session.wallet.resync(
                item.id, gateway_fetch_state(pin.gateway_url, PrivateTransport())
            )
        except ZkCreditsError as exc:
            outcomes[item.id] = f"not settled: {exc}"
            continue
        moved = state.n - before
        outcomes[item.id] = f"caught up {moved} call(s)" if moved else "up to date"
    return outcomes


def _resend(session: Session, notes: list[Note], step: Any) -> dict[int, str]:
    """Resend each still-pending call exactly as bound (per provider); outcome per note id."""
    outcomes: dict[int, str] = {}
    services = {n.service.service_id for n in notes if n.in_flight is not None}
    for sid in services:
        step("resending the calls still waiting for their reply")
        try:
            payer = session.payer(session.profile.provider(sid))
            settled = asyncio.run(payer.settle_pending())
        except ZkCreditsError as exc:
            for n in notes:
                if n.service.service_id == sid and n.in_flight is not None:
                    outcomes[n.id] = f"not settled: {exc}"
            continue
        for nid in settled:
            outcomes[nid] = "settled (resent)"
    return outcomes


def _remaining_error(left: list[Note]) -> ClientError:
    first = left[0]
    ticket = first.ticket.n if first.ticket is not None else first.state.n
    names = ", ".join(f"{short(n.id)} (ticket {n.ticket.n if n.ticket else n.state.n})"
                      for n in left)  # fmt: skip
    return ClientError(
        f"{len(left)} note(s) still have a call waiting for its reply: {names}. Run "
        "`zkcredits client recover` again once the gateway answers, or exit the note with "
        f"`zkcredits client withdraw --note {str(first.id)[:12]}` (the unanswered ticket "
        f"{ticket} is then charged c_max and penalty_max)",
        field="pending",
    )


@app.command()
def recover(
    note: Annotated[str | None, typer.Option(help="Only this note (6+ leading digits).")] = None,
    secret_file: Annotated[
        Path | None,
        typer.Option(
            help="Restore a note from its secret k (decimal, or hex after 0x), in a file."
        ),
    ] = None,
    resend: Annotated[
        bool, typer.Option(help="Resend a call still unanswered, exactly as it was bound.")
    ] = True,
    wallet: WalletOpt = DEFAULT_WALLET,
    service_id: SidOpt = None,
    rpc_url: RpcOpt = None,
    passphrase_file: PassOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Settle pending calls and catch notes up with the gateway; exit 1 naming what remains."""
    with errors(as_json), progress(as_json) as step:
        k = None
        if secret_file is not None:
            if not secret_file.is_file():
                raise CliError(f"--secret-file {secret_file} does not exist", field="secret_file")
            k = parse_secret(secret_file.read_text())
        session = open_session(wallet, passphrase_file)
        try:
            if k is not None:
                step("restoring the note from its secret (links its history for the gateway)")
                restored = _restore(session, k, service_id, rpc_url)
                rows = [_row(restored, f"restored with {restored.state.n} call(s)")]
                left = [restored] if restored.in_flight is not None else []
            else:
                chosen = [find_note(session.wallet, note)] if note else session.wallet.notes()
                live = [n for n in chosen if n.status in (NoteStatus.ACTIVE, NoteStatus.HALTED)]
                outcomes = _catch_up(session, live, step)
                current = [session.wallet.note(n.id) for n in live]
                if resend:
                    outcomes |= _resend(session, current, step)
                current = [session.wallet.note(n.id) for n in live]
                rows = [_row(n, outcomes.get(n.id, "")) for n in current]
                left = [n for n in current if n.in_flight is not None]
        finally:
            session.close()
    if as_json:
        typer.echo(json.dumps({"notes": rows, "remaining": [str(n.id) for n in left]}))
    else:
        for row in rows:
            err.print(f"note {row['note'][:12]}…: {row['outcome']} ({row['tickets']} call(s), "
                      f"balance {row['balance']})", highlight=False)  # fmt: skip
        if not rows:
            err.print("no active or halted note to recover", highlight=False)
    if left:
        fail(_remaining_error(left), as_json=as_json)


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="Export file to write (never overwritten).")],
    note: Annotated[
        list[str] | None, typer.Option("--note", help="Only this note (repeatable).")
    ] = None,
    wallet: WalletOpt = DEFAULT_WALLET,
    passphrase_file: PassOpt = None,
    export_passphrase_file: ExportPassOpt = None,
    kdf_log2_n: Annotated[int, typer.Option(hidden=True)] = 17,
    as_json: JsonOpt = False,
) -> None:
    """Back the note secrets up: a file sealed under a passphrase (AES-GCM, scrypt)."""
    with errors(as_json), progress(as_json) as step:
        secret = passphrase(passphrase_file)
        with Wallet.open(wallet, secret) as opened:
            ids = [find_note(opened, ref).id for ref in note] if note else None
            sealed_with = _export_passphrase(export_passphrase_file, secret)
            step("sealing the export file")
            opened.export(
                out, sealed_with, note_ids=ids, kdf=KdfParams(log2_n=kdf_log2_n, r=8, p=1)
            )
            count = len(ids) if ids is not None else len(opened.notes())
    emit(
        {"export": str(out), "notes": count},
        as_json,
        f"exported {count} note(s) to {out}: it holds their secrets; whoever has it and its "
        "passphrase can spend and withdraw them. Keep it offline.",
    )


@app.command(name="import")
def import_(
    file: Annotated[Path, typer.Argument(help="Export file written by `client export`.")],
    wallet: WalletOpt = DEFAULT_WALLET,
    passphrase_file: PassOpt = None,
    export_passphrase_file: ExportPassOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Merge an export file into this wallet (a note never moves backwards); then `recover`."""
    with errors(as_json):
        if not file.is_file():
            raise CliError(f"export file {file} does not exist", field="file")
        secret = passphrase(passphrase_file)
        with Wallet.open(wallet, secret) as opened:
            report = opened.import_(file, _export_passphrase(export_passphrase_file, secret))
            services = {n.service.service_id for n in opened.notes()}
        pinned = {int(key) for key in load_profile(wallet).providers}
    unpinned = sorted(services - pinned)
    data = {
        "added": [str(n) for n in report.added],
        "advanced": [str(n) for n in report.advanced],
        "kept": [str(n) for n in report.kept],
        "unpinned_services": [str(s) for s in unpinned],
    }
    text = (
        f"imported: {len(report.added)} added, {len(report.advanced)} moved forward, "
        f"{len(report.kept)} kept as they were. Run `zkcredits client recover` to catch them "
        "up with calls made after the export."
    )
    if unpinned:
        text += " Some notes belong to a provider not pinned here: `client init` it first."
    emit(data, as_json, text)


def _export_passphrase(path: Path | None, wallet_secret: str) -> str:
    from prover.client.passphrase import read_passphrase

    value = read_passphrase(path, EXPORT_PASSPHRASE_ENV)
    return wallet_secret if value is None else value
