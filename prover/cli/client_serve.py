"""`zkcredits client serve`: the OpenAI-compatible local proxy that pays with the wallet.

Order of start-up, so mistakes show at once: the bind address is checked and the port bound
first (a taken port is one line and exit status 1 in well under a second), then the wallet is
opened (key derivation), the chain and the provider's keys are loaded, and the proxy serves.
Tickets left pending by an earlier run are resent in the background once the gateway answers.
A provider pinned with `--require-tee` (or any provider with `ZKCREDITS_TEE_REQUIRE=1`) must pass
its TEE attestation first: a refused attestation is one line and exit status 1 (a gateway that
cannot be reached yet only delays the check to the first call), and every paid call re-checks it
(`prover.client.service.tee_gate`).
"""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from prover.cli.client_common import (
    DEFAULT_WALLET,
    PassOpt,
    SidOpt,
    WalletOpt,
    app,
    err,
    errors,
    open_session,
    pin_of,
)
from prover.client.profile import ProviderPin, load_profile, profile_path
from prover.client.service.settings import DEFAULT_PROXY_PORT, ProxySettings

if TYPE_CHECKING:
    from prover.attest.appraise import Appraisal
    from prover.client.service.tee_gate import TeeGate

HostOpt = Annotated[
    str,
    typer.Option(
        help="Bind address: 127.0.0.1, or an IP address of this machine (0.0.0.0: all) to serve "
        "agents elsewhere, e.g. in Docker; every request still needs the bearer token."
    ),
]
AllowHostOpt = Annotated[
    list[str] | None,
    typer.Option(
        help="Host header name also accepted (repeatable), e.g. host.docker.internal; needed "
        "with a 0.0.0.0 or :: bind."
    ),
]


@app.command()
def serve(
    port: Annotated[
        int | None,
        typer.Option(help=f"Port (default {DEFAULT_PROXY_PORT}, or $ZKCREDITS_PROXY_PORT)."),
    ] = None,
    host: HostOpt = "127.0.0.1",
    allow_host: AllowHostOpt = None,
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
    """Run the OpenAI-compatible proxy (default 127.0.0.1:8420; bearer token from the profile)."""
    from prover.client.service.run import bind_socket
    from prover.client.service.security import check_bind_host, is_loopback_bind
    from prover.logs import configure_logging, get_logger

    with errors(False):
        settings = ProxySettings()
        port = settings.port if port is None else port
        configure_logging(log_format, private=True)  # client side: no note data in logs (§13)
        log = get_logger("zkcredits.client.serve")
        token = load_profile(wallet).token
        check_bind_host(host, token)
        sock = bind_socket(host, port)  # before anything slow: a taken port is said at once
        try:
            if not is_loopback_bind(host):
                _warn_exposed(host, port, allow_host or [], wallet)
                log.warning("proxy_exposed", host=host, port=port)
            _serve(sock, host, port, wallet, service_id, passphrase_file, settings,
                   tuple(allow_host or ()), tuple(allow_origin or ()))  # fmt: skip
        finally:
            sock.close()


def _warn_exposed(host: str, port: int, hosts: list[str], wallet: Path) -> None:
    names = ", ".join(hosts) if hosts else "none given (use --allow-host)"
    err.print(
        f"[yellow]warning:[/] the proxy listens on {host}:{port}, beyond this machine's loopback: "
        f"whoever reaches it with the bearer token (in {profile_path(wallet)}) spends this "
        f"wallet's credit. Accepted Host names besides 127.0.0.1/localhost: {names}.",
        highlight=False,
    )


def _serve(
    sock: socket.socket,
    host: str,
    port: int,
    wallet: Path,
    service_id: str | None,
    passphrase_file: Path | None,
    settings: ProxySettings,
    hosts: tuple[str, ...],
    origins: tuple[str, ...],
) -> None:
    from prover.client.service.ledger import ProxyLedger
    from prover.client.service.reachability import GatewayGate, gateway_probe
    from prover.client.service.run import server
    from prover.client.session import client_confirmations
    from prover.client.why_not import Timing
    from prover.logs import get_logger

    log = get_logger("zkcredits.client.serve")
    session = open_session(wallet, passphrase_file)
    try:
        pin = pin_of(session.profile, service_id)
        payer = session.payer(
            pin,
            retries=settings.send_retries,
            retry_wait_s=settings.send_retry_wait_s,
            service=True,  # a proof pool and ready proofs: no proving on a call's path
        )
        depth = client_confirmations(pin.service.chain_id)
        ledger = ProxyLedger(session.wallet, pin, Timing.of(pin, depth))
        probe = gateway_probe(payer.transport, pin, settings.probe_timeout_s)
        gate = GatewayGate(probe, pin.gateway_url, on_back=payer.settle_pending)
        tee = _tee_gate(pin)
        srv = server(
            payer, host=host, port=port, token=session.profile.token, origins=origins,
            hosts=hosts, ledger=ledger, gate=gate, tee=tee,
        )  # fmt: skip

        async def main() -> None:
            if tee is not None:  # before anything is sent to the gateway, pending tickets too
                await _first_tee_check(tee)
            gate.down_since = time.monotonic()  # unknown until the first check: probe it now
            try:
                await gate.check()  # reachable: resends tickets an earlier run left pending
            except Exception as exc:
                log.warning("gateway_unreachable_at_start", error_type=type(exc).__name__)
            report = ledger.report()
            shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            log.info(
                "proxy_serving",
                url=f"http://{shown}/v1",
                token_file=str(profile_path(wallet)),
                spendable=report.spendable,
                calls_left=report.calls_left,
            )
            for warning in ledger.fresh_warnings(report):
                log.warning("balance_warning", **warning.loggable())
            await payer.proofs.start()  # in-flight requests are resent by the gate's on_back
            try:
                await srv.serve(sockets=[sock])
            finally:
                await payer.stop()

        asyncio.run(main())
    finally:
        session.close()


def _tee_gate(pin: ProviderPin) -> TeeGate | None:
    """The attestation gate of a provider that must run in a TEE (None otherwise)."""
    from prover.attest.require import AttestationCache
    from prover.client.service.tee_gate import TeeGate
    from prover.client.tee_check import check_provider_tee, tee_settings
    from prover.client.transport.private import PrivateTransport

    settings = tee_settings()
    if not (pin.tee_required or settings.require):
        return None
    transport, cache = PrivateTransport(), AttestationCache()

    def check() -> Appraisal:
        return check_provider_tee(pin, settings=settings, transport=transport, cache=cache)

    return TeeGate(
        check, recheck_seconds=settings.recheck_seconds, pinned_quote=pin.tee_quote_sha256
    )


async def _first_tee_check(tee: TeeGate) -> None:
    """A refused attestation stops the proxy; an unreachable gateway is checked at the first
    call instead."""
    from prover.client.errors import TeeRefusedError
    from prover.logs import get_logger

    try:
        await tee.check()
    except TeeRefusedError as exc:
        if not exc.retryable:
            raise
        get_logger("zkcredits.client.serve").warning("tee_check_deferred", error=str(exc))
