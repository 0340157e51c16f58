"""`zkcredits gateway serve`: the provider's verifying gateway (PROTOCOL §6, §9) under uvicorn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from prover.crypto.eddsa import secret_key_from_bytes
from prover.gateway.app.errors import GatewayConfigError
from prover.gateway.app.settings import GatewaySettings
from prover.gateway.app.wiring import EMBEDDED, WiringOptions, load_factory
from prover.gateway.policy.log import PenaltyLog
from prover.logs import configure_logging, get_logger

DEFAULT_COMPONENTS = "prover.gateway.chain.components:components"
"""The real chain side (mirror, watcher, slasher) with the real upstream side and policy."""

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
log = get_logger("zkcredits.gateway.serve")


def read_server_key(path: Path) -> int:
    """D4 key file: 32 bytes big-endian, raw or as 64 hex digits (optionally 0x-prefixed)."""
    data = path.read_bytes()
    text = data.strip().decode("ascii", "replace").removeprefix("0x")
    if len(data) != 32 and len(text) == 64:
        try:
            data = bytes.fromhex(text)
        except ValueError as exc:
            raise GatewayConfigError(f"{path}: not hex", field="server_key") from exc
    if len(data) != 32:
        raise GatewayConfigError(f"{path}: expected a 32-byte key", field="server_key")
    return secret_key_from_bytes(data)


def load_settings(config: Path | None) -> GatewaySettings:
    """Settings from a JSON file (its values win) and `ZKCREDITS_GATEWAY_*` variables."""
    data = json.loads(config.read_text()) if config is not None else {}
    return GatewaySettings(**data)


@app.command()
def serve(
    server_key: Annotated[Path, typer.Option(help="State-signing key file (D4, 32 bytes).")],
    components: Annotated[
        str,
        typer.Option(help="module:function returning the chain view, upstream, policy, sink."),
    ] = DEFAULT_COMPONENTS,
    config: Annotated[Path | None, typer.Option(help="Gateway settings (JSON).")] = None,
    store: Annotated[
        str, typer.Option(help="Nullifier store: sqlite:///abs/path or postgresql://…")
    ] = "sqlite:///" + str(Path("build/gateway/nullifiers.db").resolve()),
    upstream: Annotated[str, typer.Option(help="Upstream base URL, or 'embedded'.")] = EMBEDDED,
    rpc_url: Annotated[str | None, typer.Option(help="Chain RPC for the chain view.")] = None,
    slasher_key: Annotated[
        Path | None, typer.Option(help="Chain key file of the slasher (64 hex digits).")
    ] = None,
    penalty_log: Annotated[
        Path, typer.Option(help="Signed penalty log (SQLite), served at GET /penalties.")
    ] = Path("build/gateway/penalties.db"),
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8402,
    log_format: Annotated[
        str | None, typer.Option(help="Logs: console or json (else $ZKCREDITS_LOG_FORMAT).")
    ] = None,
) -> None:
    """Serve paid API calls: 402 terms, proof checks, exactly-once accounting, signed states."""
    import uvicorn

    from prover.circuits.prover import CircuitKeys
    from prover.gateway.app.factory import create_app
    from prover.gateway.app.key_route import PublishedKeys
    from prover.gateway.store import open_store

    configure_logging(log_format)
    settings = load_settings(config)
    secret = read_server_key(server_key)
    if store.startswith("sqlite:///"):
        Path(store.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)
    nullifiers = open_store(store)
    extra = {"slasher_key_file": str(slasher_key)} if slasher_key is not None else {}
    penalty_log.parent.mkdir(parents=True, exist_ok=True)
    penalties = PenaltyLog(penalty_log, secret)
    options = WiringOptions(upstream=upstream, rpc_url=rpc_url, extra=extra, penalty_log=penalties)
    parts = load_factory(components)(settings, nullifiers, options)
    keys = CircuitKeys.load("request")
    if keys.is_dev:
        log.warning("dev_only_keys", circuit="request", setup="single-party")
    gateway = create_app(
        settings,
        chain=parts.chain,
        upstream=parts.upstream,
        policy=parts.policy,
        store=nullifiers,
        keys=keys,
        server_secret=secret,
        double_spend_sink=parts.double_spend_sink,
        penalty_log=penalties,
        published_keys=PublishedKeys.from_build(),  # GET /.well-known/zkcredits/keys/…
    )
    log.info("gateway_starting", url=f"http://{host}:{port}", service_id=settings.service_id)
    try:
        uvicorn.run(
            gateway,
            host=host,
            port=port,
            log_config=None,  # uvicorn's records go through `configure_logging`'s formatter
            log_level=None,  # … at the level it set on the root logger
            h11_max_incomplete_event_size=settings.max_header_bytes + 4096,
        )
    finally:
        parts.close()
        nullifiers.close()
