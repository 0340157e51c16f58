"""`zkcredits client`: the user's wallet and local prover service.

init | deposit | balance | call | serve | withdraw | recover | export | import. Secrets never
come from the command line: the wallet passphrase from `--passphrase-file`,
`$ZKCREDITS_WALLET_PASSPHRASE` or a prompt; the chain key from `--key-file` or
`$ZKCREDITS_CLIENT_KEY`. A deliberate error is one line (`error: …`, or `{"error": …}` with
`--json`) and exit status 1 (`prover.cli.errors`); nothing is written. Heavy modules (web3, the
prover, the web stack) are imported inside the commands that need them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Annotated, Any

import typer

from prover.cli.client_common import (
    DEFAULT_WALLET,
    JsonOpt,
    KeyOpt,
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
from prover.client.balance import balance_report
from prover.client.errors import ClientError
from prover.client.profile import ClientProfile, load_profile, new_token, profile_path, save_profile
from prover.client.wallet import KdfParams, NoteStatus, Wallet
from prover.client.why_not import day_date
from prover.errors import ZkCreditsError

__all__ = ["app"]


@app.command()
def init(
    wallet: WalletOpt = DEFAULT_WALLET,
    rpc_url: RpcOpt = None,
    identity_registry: Annotated[
        str | None, typer.Option(help="ERC-8004 Identity Registry.")
    ] = None,
    agent_id: Annotated[int | None, typer.Option(help="The provider's agent id.")] = None,
    require_tee: Annotated[
        bool,
        typer.Option(
            "--require-tee",
            help="Refuse the provider unless its gateway's TEE (Intel TDX) attestation verifies "
            "here: pinned image, TCB policy, bound to this vault and keys (also "
            "$ZKCREDITS_TEE_REQUIRE). The prover service then re-checks it.",
        ),
    ] = False,
    passphrase_file: PassOpt = None,
    show_token: Annotated[bool, typer.Option(help="Print the proxy's bearer token.")] = False,
    kdf_log2_n: Annotated[int, typer.Option(hidden=True)] = 17,
    as_json: JsonOpt = False,
) -> None:
    """Create the wallet (or open it) and pin a provider discovered through ERC-8004."""
    from prover.client.discovery import connect_chain, discover
    from prover.client.keyring import Keyring, ensure_provider_keys
    from prover.client.session import client_confirmations
    from prover.client.tee_check import check_provider_tee, tee_settings
    from prover.client.transport.private import PrivateTransport

    with errors(as_json), progress(as_json) as step:
        if (identity_registry is None) != (agent_id is None):
            raise ClientError("give both --identity-registry and --agent-id", field="agent_id")
        if wallet.exists():
            secret = passphrase(passphrase_file)
            with Wallet.open(wallet, secret):  # checks the passphrase; writes nothing
                pass
            profile = load_profile(wallet)
            if rpc_url is not None:
                profile = profile.model_copy(update={"rpc_url": rpc_url})
        else:
            secret = passphrase(passphrase_file, confirm=True)
            profile = ClientProfile(token=new_token(), rpc_url=rpc_url)
        pinned = None
        attested: str | None = None
        if identity_registry is not None and agent_id is not None:
            if profile.rpc_url is None:
                raise ClientError("discovery needs --rpc-url", field="rpc_url")
            step(f"discovering agent {agent_id} and checking it against its vault")
            keyring = Keyring.from_settings()
            w3 = connect_chain(profile.rpc_url)
            confirmations = client_confirmations(int(w3.eth.chain_id))
            pinned = discover(
                w3, identity_registry, agent_id, keyring=keyring, confirmations=confirmations
            )
            tee = tee_settings()
            if require_tee or tee.require:
                step("verifying the provider's TEE attestation (Intel TDX quote)")
                appraisal = check_provider_tee(pinned, settings=tee, transport=PrivateTransport())
                pinned = pinned.model_copy(
                    update={
                        "tee_required": True,
                        "tee_quote_sha256": appraisal.verified.quote.sha256,
                    }
                )
                attested = appraisal.image.image
            step("getting the provider's proving keys (once per provider)")
            ensure_provider_keys(keyring, pinned)
            profile = profile.with_provider(pinned)
        if not wallet.exists():
            wallet.parent.mkdir(parents=True, exist_ok=True)
            step("creating the encrypted wallet")
            kdf = KdfParams(log2_n=kdf_log2_n, r=8, p=1)
            Wallet.create(wallet, secret, kdf=kdf).close()
        save_profile(wallet, profile)
    data: dict[str, Any] = {"wallet": str(wallet), "profile": str(profile_path(wallet))}
    if pinned is not None:
        data |= {"service_id": str(pinned.service.service_id), "gateway": pinned.gateway_url}
    if attested is not None:
        data["tee_image"] = attested
    if show_token:
        data["token"] = profile.token
    emit(data, as_json, "\n".join(f"{k}: {v}" for k, v in data.items()))


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
    from prover.client.discovery import deposit_note, load_chain_account

    with errors(as_json), progress(as_json) as step:
        account = load_chain_account(key_file)
        session = open_session(wallet, passphrase_file)
        try:
            pin = pin_of(session.profile, service_id)
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
        "expires": day_date(note.deposit.expiry).isoformat(),
        "tx": "0x" + note.deposit.tx_hash.hex(),
    }
    text = (
        f"deposited note {str(note.id)[:12]}… (leaf {data['leaf_index']}); it pays for calls "
        f"until {data['expires']} (UTC) and becomes usable at the next final checkpoint"
    )
    if pin.asset != "native":
        data["token"] = pin.asset
        text += f" in the token {pin.asset}"
    credited = note.deposit.D
    if credited != amount:
        text += f"; the vault credited {credited} of {amount} units (token transfer fee)"
    emit(data, as_json, text)


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
    with errors(as_json), progress(as_json) as step:
        session = open_session(wallet, passphrase_file)
        try:
            pin = pin_of(session.profile, service_id)
            payer = session.payer(pin)
            step("proving and paying for the call")
            reply = asyncio.run(payer.call(method.upper(), path, data.encode(), "application/json"))
            sid = pin.service.service_id
            notes = [n for n in session.wallet.notes() if n.service.service_id == sid]
            left = balance_report(notes, {sid: pin.exit_grace_days}, time.time())
        finally:
            session.close()
    if as_json:
        body: Any = reply.body.decode(errors="replace")
        with contextlib.suppress(ValueError):
            body = json.loads(body)
        out = {"status": reply.status, "cost": reply.cost, "note": str(reply.note_id), "body": body,
               "spendable": left.spendable, "calls_left": left.calls_left}  # fmt: skip
        typer.echo(json.dumps(out))
    else:
        typer.echo(reply.body.decode(errors="replace"))
        err.print(
            f"cost: {reply.cost}; spendable left: {left.spendable} "
            f"({left.calls_left} call(s) at the worst-case price)"
        )
        for warning in left.warnings:
            err.print(f"[yellow]warning:[/] {warning.message}", highlight=False)


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
    from prover.client.discovery import load_chain_account, vault_contract
    from prover.client.keyring import Keyring, provider_keys
    from prover.client.state_fetch import gateway_fetch_state
    from prover.client.transport.private import PrivateTransport
    from prover.client.withdraw import (
        exit_info,
        exit_pending,
        finalize_and_pull,
        request_withdrawal,
    )

    with errors(as_json), progress(as_json) as step:
        account = load_chain_account(key_file)
        session = open_session(wallet, passphrase_file)
        try:
            target = find_note(session.wallet, note)
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
                pin = session.profile.provider(target.service.service_id)
                keys = provider_keys(Keyring.from_settings(), pin, "withdraw")
                request_withdrawal(w3, account, session.wallet, target.id, to, pending, keys=keys)
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
    emit(data, as_json, "\n".join(f"{k}: {v}" for k, v in data.items()))


# The other commands of the group live in their own modules; importing them registers them.
from prover.cli import client_money, client_recovery, client_serve  # noqa: E402, F401
