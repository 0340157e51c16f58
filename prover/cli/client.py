"""`zkcredits client`: the user's wallet and local prover service.

init | deposit | balance | call | serve | withdraw | recover. Secrets never come from the command
line: the wallet passphrase from `--passphrase-file`, `$ZKCREDITS_WALLET_PASSPHRASE` or a
prompt; the chain key from `--key-file` or `$ZKCREDITS_CLIENT_KEY`. A deliberate error is one
line (`error: …`, or `{"error": …}` with `--json`) and exit status 2; nothing is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from prover.client.client_errors import ClientError
from prover.client.discovery import (
    connect_chain,
    deposit_note,
    discover,
    load_chain_account,
    vault_contract,
)
from prover.client.profile import (
    ClientProfile,
    load_profile,
    new_token,
    profile_path,
    save_profile,
)
from prover.client.session import Session, open_mirror, open_session, read_passphrase
from prover.client.state_fetch import gateway_fetch_state
from prover.client.transport import PrivateTransport
from prover.client.wallet import DepositInfo, KdfParams, Note, NoteStatus, Wallet, restore_note
from prover.client.withdraw import exit_info, exit_pending, finalize_and_pull, request_withdrawal
from prover.errors import ZkCreditsError

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
err = Console(stderr=True, soft_wrap=True)

WalletOpt = Annotated[
    Path, typer.Option("--wallet", envvar="ZKCREDITS_WALLET", help="Wallet file.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
PassOpt = Annotated[
    Path | None, typer.Option(help="File holding the wallet passphrase (else env or prompt).")
]
KeyOpt = Annotated[
    Path | None, typer.Option(help="File holding the chain key (else $ZKCREDITS_CLIENT_KEY).")
]
RpcOpt = Annotated[str | None, typer.Option(help="Chain JSON-RPC URL (default: from init).")]
SidOpt = Annotated[str | None, typer.Option(help="Service id of the provider (if several).")]
DEFAULT_WALLET = Path.home() / ".zkcredits" / "wallet.zkw"


def _fail(exc: ZkCreditsError, as_json: bool) -> None:
    if as_json:
        body = {"error": {"type": type(exc).__name__, "message": str(exc)}}
        typer.echo(json.dumps(body))
    else:
        err.print(f"[red]error:[/] {exc}", highlight=False)
    raise typer.Exit(2)


@contextmanager
def _errors(as_json: bool) -> Iterator[None]:
    try:
        yield
    except ZkCreditsError as exc:
        _fail(exc, as_json)


@contextmanager
def _progress(as_json: bool) -> Iterator[Callable[[str], None]]:
    """A rich spinner with elapsed time per step (silent with --json)."""
    if as_json:
        yield lambda _message: None
        return
    if not err.is_terminal:
        yield lambda _message: None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("starting", total=None)

        def step(message: str) -> None:
            progress.update(task, description=message)

        yield step


def _passphrase(path: Path | None, *, confirm: bool = False) -> str:
    value = read_passphrase(path)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise ClientError(
            "no passphrase: use --passphrase-file or $ZKCREDITS_WALLET_PASSPHRASE",
            field="passphrase",
        )
    prompted: str = typer.prompt("Wallet passphrase", hide_input=True, confirmation_prompt=confirm)
    return prompted


def _session(wallet: Path, passphrase_file: Path | None) -> Session:
    return open_session(wallet, _passphrase(passphrase_file))


def _emit(data: dict[str, Any], as_json: bool, text: str) -> None:
    if as_json:
        typer.echo(json.dumps(data))
    else:
        err.print(text, highlight=False)


def _find_note(wallet: Wallet, ref: str) -> Note:
    matches = [n for n in wallet.notes() if str(n.id).startswith(ref)]
    if len(ref) < 6 or len(matches) != 1:
        raise ClientError(
            f"--note {ref!r} matches {len(matches)} notes (give at least 6 leading digits)",
            field="note",
        )
    return matches[0]


def _pin(profile: ClientProfile, service_id: str | None) -> Any:
    return profile.provider(None if service_id is None else int(service_id))


@app.command()
def init(
    wallet: WalletOpt = DEFAULT_WALLET,
    rpc_url: RpcOpt = None,
    identity_registry: Annotated[
        str | None, typer.Option(help="ERC-8004 Identity Registry.")
    ] = None,
    agent_id: Annotated[int | None, typer.Option(help="The provider's agent id.")] = None,
    passphrase_file: PassOpt = None,
    show_token: Annotated[bool, typer.Option(help="Print the proxy's bearer token.")] = False,
    kdf_log2_n: Annotated[int, typer.Option(hidden=True)] = 17,
    as_json: JsonOpt = False,
) -> None:
    """Create the wallet (or open it) and pin a provider discovered through ERC-8004."""
    with _errors(as_json), _progress(as_json) as step:
        if (identity_registry is None) != (agent_id is None):
            raise ClientError("give both --identity-registry and --agent-id", field="agent_id")
        if wallet.exists():
            passphrase = _passphrase(passphrase_file)
            with Wallet.open(wallet, passphrase):  # checks the passphrase; writes nothing
                pass
            profile = load_profile(wallet)
            if rpc_url is not None:
                profile = profile.model_copy(update={"rpc_url": rpc_url})
        else:
            passphrase = _passphrase(passphrase_file, confirm=True)
            profile = ClientProfile(token=new_token(), rpc_url=rpc_url)
        pinned = None
        if identity_registry is not None and agent_id is not None:
            if profile.rpc_url is None:
                raise ClientError("discovery needs --rpc-url", field="rpc_url")
            step(f"discovering agent {agent_id} and checking it against its vault")
            pinned = discover(connect_chain(profile.rpc_url), identity_registry, agent_id)
            profile = profile.with_provider(pinned)
        if not wallet.exists():
            wallet.parent.mkdir(parents=True, exist_ok=True)
            step("creating the encrypted wallet")
            kdf = KdfParams(log2_n=kdf_log2_n, r=8, p=1)
            Wallet.create(wallet, passphrase, kdf=kdf).close()
        save_profile(wallet, profile)
    data: dict[str, Any] = {"wallet": str(wallet), "profile": str(profile_path(wallet))}
    if pinned is not None:
        data |= {"service_id": str(pinned.service.service_id), "gateway": pinned.gateway_url}
    if show_token:
        data["token"] = profile.token
    _emit(data, as_json, "\n".join(f"{k}: {v}" for k, v in data.items()))


@app.command()
def deposit(
    amount: Annotated[int, typer.Option(help="Deposit D in the vault's accounting unit.")],
    wallet: WalletOpt = DEFAULT_WALLET,
    key_file: KeyOpt = None,
    rpc_url: RpcOpt = None,
    service_id: SidOpt = None,
    passphrase_file: PassOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a note (fresh secret) and deposit it from your chain account (ETH or ERC-20).

    For a token vault, the vault is approved for exactly the deposit when its allowance is short.
    """
    with _errors(as_json), _progress(as_json) as step:
        account = load_chain_account(key_file)
        session = _session(wallet, passphrase_file)
        try:
            pin = _pin(session.profile, service_id)
            w3 = session.w3(rpc_url)
            step(f"depositing {amount} units into {pin.service.vault_address}")
            note = deposit_note(w3, account, pin, session.wallet, amount, progress=step)
        finally:
            session.close()
    assert note.deposit is not None
    data: dict[str, Any] = {
        "note": str(note.id),
        "leaf_index": note.deposit.leaf_index,
        "D": note.deposit.D,
        "expiry": note.deposit.expiry,
        "tx": "0x" + note.deposit.tx_hash.hex(),
    }
    text = f"deposited note {str(note.id)[:12]}… (leaf {data['leaf_index']})"
    if pin.asset != "native":
        data["token"] = pin.asset
        text += f" in the token {pin.asset}"
    credited = note.deposit.D
    if credited != amount:
        text += f"; the vault credited {credited} of {amount} units (token transfer fee)"
    _emit(data, as_json, text)


def _note_row(note: Note) -> dict[str, Any]:
    d = note.deposit
    return {
        "note": str(note.id),
        "status": str(note.status),
        "D": d.D if d else 0,
        "C": note.state.C,
        "P": note.state.P,
        "tickets": note.state.n,
        "balance": note.balance,
        "expiry": d.expiry if d else None,
        "pending": note.in_flight is not None,
    }


@app.command()
def balance(
    wallet: WalletOpt = DEFAULT_WALLET, passphrase_file: PassOpt = None, as_json: JsonOpt = False
) -> None:
    """Every note's deposit, charges, penalties and spendable balance (no network)."""
    with _errors(as_json), Wallet.open(wallet, _passphrase(passphrase_file)) as opened:
        rows = [_note_row(n) for n in opened.notes()]
    payable = sum(r["balance"] for r in rows if r["status"] == NoteStatus.ACTIVE)
    if as_json:
        typer.echo(json.dumps({"notes": rows, "spendable": payable}))
        return
    table = Table("note", "status", "D", "C", "P", "calls", "balance", "expiry", "pending")
    for r in rows:
        table.add_row(
            r["note"][:12] + "…", r["status"], *(str(r[k]) for k in ("D", "C", "P", "tickets")),
            str(r["balance"]), str(r["expiry"]), "yes" if r["pending"] else "",
        )  # fmt: skip
    Console().print(table)
    Console().print(f"spendable on active notes: {payable}")


@app.command()
def call(
    path: Annotated[str, typer.Argument(help="API path, e.g. /v1/chat/completions.")],
    data: Annotated[str, typer.Option(help="Request body (JSON text).")] = "",
    method: Annotated[str, typer.Option(help="HTTP method.")] = "POST",
    wallet: WalletOpt = DEFAULT_WALLET,
    service_id: SidOpt = None,
    passphrase_file: PassOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make one paid API call with a random note; print the reply body."""
    with _errors(as_json), _progress(as_json) as step:
        session = _session(wallet, passphrase_file)
        try:
            payer = session.payer(_pin(session.profile, service_id))
            step("proving and paying for the call")
            reply = asyncio.run(payer.call(method.upper(), path, data.encode(), "application/json"))
        finally:
            session.close()
    if as_json:
        body: Any = reply.body.decode(errors="replace")
        with contextlib.suppress(ValueError):
            body = json.loads(body)
        out = {"status": reply.status, "cost": reply.cost, "note": str(reply.note_id), "body": body}
        typer.echo(json.dumps(out))
    else:
        typer.echo(reply.body.decode(errors="replace"))
        err.print(f"cost: {reply.cost}")


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Loopback port.")] = 8402,
    host: Annotated[str, typer.Option(help="Must be 127.0.0.1.")] = "127.0.0.1",
    allow_origin: Annotated[
        list[str] | None, typer.Option(help="Origin allowed to call (repeatable).")
    ] = None,
    wallet: WalletOpt = DEFAULT_WALLET,
    service_id: SidOpt = None,
    passphrase_file: PassOpt = None,
    log_format: Annotated[
        str | None, typer.Option(help="Logs: console or json (else $ZKCREDITS_LOG_FORMAT).")
    ] = None,
) -> None:
    """Run the OpenAI-compatible proxy on 127.0.0.1 (bearer token from the profile)."""
    from prover.client.service.run import server
    from prover.client.service.security import check_bind_host
    from prover.logs import configure_logging, get_logger

    with _errors(False):
        check_bind_host(host)
        configure_logging(log_format, private=True)  # client side: no note data in logs (§13)
        log = get_logger("zkcredits.client.serve")
        session = _session(wallet, passphrase_file)
        try:
            payer = session.payer(_pin(session.profile, service_id), service=True)
            srv = server(
                payer,
                host=host,
                port=port,
                token=session.profile.token,
                origins=tuple(allow_origin or ()),
            )

            async def main() -> None:
                settled = await payer.start()  # resend what was in flight, then ready proofs
                if settled:
                    log.info("requests_in_flight_settled", count=len(settled))
                url, token_file = f"http://{host}:{port}/v1", str(profile_path(wallet))
                log.info("proxy_serving", url=url, token_file=token_file)
                try:
                    await srv.serve()
                finally:
                    await payer.stop()

            asyncio.run(main())
        finally:
            session.close()


@app.command()
def withdraw(
    note: Annotated[str, typer.Option(help="Note id (at least 6 leading digits).")],
    recipient: Annotated[str | None, typer.Option(help="Payout address (default: key's).")] = None,
    wait: Annotated[bool, typer.Option(help="Wait out the exit window, then finalise.")] = False,
    poll_seconds: Annotated[float, typer.Option(help="Polling interval with --wait.")] = 5.0,
    wallet: WalletOpt = DEFAULT_WALLET,
    key_file: KeyOpt = None,
    rpc_url: RpcOpt = None,
    passphrase_file: PassOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Exit a note: prove, requestWithdrawal, (--wait) finalise and pull the payout."""
    with _errors(as_json), _progress(as_json) as step:
        account = load_chain_account(key_file)
        session = _session(wallet, passphrase_file)
        try:
            target = _find_note(session.wallet, note)
            w3 = session.w3(rpc_url)
            to = recipient or account.address
            pulled = None
            if target.status in (NoteStatus.ACTIVE, NoteStatus.HALTED):
                if exit_pending(target):
                    step("settling the note's next ticket with the gateway")
                    pin = session.profile.provider(target.service.service_id)
                    try:
                        if target.in_flight is not None:  # resend it: served, or refused
                            asyncio.run(session.payer(pin, rpc_url=rpc_url).settle_pending())
                        fetch = gateway_fetch_state(pin.gateway_url, PrivateTransport())
                        session.wallet.resync(target.id, fetch)
                    except ZkCreditsError as exc:
                        step(f"the gateway did not settle it ({type(exc).__name__})")
                pending = exit_pending(session.wallet.note(target.id))
                if pending:
                    step(
                        "the next ticket's share was shown and it was not served: the exit skips "
                        "it with pending = 1 (charged c_max + penalty_max; one more paid call on "
                        "this note first avoids that)"
                    )
                step(f"proving the withdrawal (pending = {int(pending)}) and requesting it")
                request_withdrawal(w3, account, session.wallet, target.id, to, pending)
            contract = vault_contract(w3, target.service.vault_address)
            info = exit_info(contract, target.id)
            if wait:
                step(f"waiting for the exit window to end at {info.exit_ready_at}")
                while int(w3.eth.get_block("latest")["timestamp"]) < info.exit_ready_at:
                    time.sleep(poll_seconds)
            now = int(w3.eth.get_block("latest")["timestamp"])
            if now >= info.exit_ready_at:
                step("finalising and pulling the payout")
                pulled = finalize_and_pull(w3, account, session.wallet, target.id)
            status = session.wallet.note(target.id).status
        finally:
            session.close()
    data = {"note": str(target.id), "status": str(status), "exit_ready_at": info.exit_ready_at,
            "charged": info.charged, "penalties": info.penalties, "pulled_wei": pulled}  # fmt: skip
    _emit(data, as_json, "\n".join(f"{k}: {v}" for k, v in data.items()))


@app.command()
def recover(
    note: Annotated[str | None, typer.Option(help="Resync only this note.")] = None,
    secret_file: Annotated[
        Path | None, typer.Option(help="Restore a note from its secret k (decimal, in a file).")
    ] = None,
    wallet: WalletOpt = DEFAULT_WALLET,
    service_id: SidOpt = None,
    rpc_url: RpcOpt = None,
    passphrase_file: PassOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Walk GET /state/{nullifier} at the gateway to catch notes up (or restore one from k)."""
    with _errors(as_json), _progress(as_json) as step:
        session = _session(wallet, passphrase_file)
        try:
            results: list[dict[str, Any]] = []
            if secret_file is not None:
                pin = _pin(session.profile, service_id)
                step("restoring the note from its secret (links its history for the gateway)")
                k = int(secret_file.read_text().strip())
                w3 = session.w3(rpc_url)
                mirror = open_mirror(w3, session.wallet_path, pin, 0)
                try:
                    mirror.sync()
                    from prover.crypto import note_id

                    record = mirror.deposit_of(note_id(k))
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
                results.append(_note_row(restored))
            else:
                notes = [_find_note(session.wallet, note)] if note else session.wallet.notes()
                for item in notes:
                    if item.status not in (NoteStatus.ACTIVE, NoteStatus.HALTED):
                        continue
                    pin = session.profile.provider(item.service.service_id)
                    step(f"walking the tickets of note {str(item.id)[:12]}…")
                    fetch = gateway_fetch_state(pin.gateway_url, PrivateTransport())
                    session.wallet.resync(item.id, fetch)
                    results.append(_note_row(session.wallet.note(item.id)))
        finally:
            session.close()
    _emit({"notes": results}, as_json, "\n".join(json.dumps(r) for r in results))
