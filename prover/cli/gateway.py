"""`zkcredits gateway`: make the state-signing key (`keygen`) and run the gateway (`serve`).

From nothing to a running gateway (docs/operations.md §3):

    zkcredits gateway keygen                      # prints server_pk for the deploy config
    zkcredits deploy run --config deploy.json …   # writes deployments/<chainId>.gateway.json
    zkcredits gateway serve --deployment deployments/<chainId>.gateway.json --upstream URL
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from prover.gateway.config import load_serve_settings
from prover.gateway.datadir import SERVER_KEY_NAME, default_data_dir
from prover.gateway.server_key import read_server_key, write_server_key
from prover.logs import configure_logging

__all__ = ["app", "read_server_key"]

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)


@app.command()
def keygen(
    out: Annotated[
        Path | None,
        typer.Option(help="Key file to create (default: server.key in the default data dir)."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """Make a state-signing key (mode 0600, never overwriting a file) and print its server_pk."""
    path = out if out is not None else default_data_dir() / SERVER_KEY_NAME
    pk = write_server_key(path)
    server_pk = [str(pk.x), str(pk.y)]
    if json_out:
        typer.echo(json.dumps({"path": str(path), "server_pk": server_pk}))
        return
    typer.echo(f"wrote {path} (mode 0600); put server_pk in the deploy config:")
    typer.echo(json.dumps({"server_pk": server_pk}))


@app.command()
def serve(
    deployment: Annotated[
        Path | None,
        typer.Option(help="Gateway bundle written by `deploy run` (<chainId>.gateway.json)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Config file (JSON): any serve setting and limit.")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="All state and key files (default: XDG data dir).")
    ] = None,
    upstream: Annotated[
        str | None, typer.Option(help="The API's base URL, or 'embedded' (offline demo).")
    ] = None,
    rpc_url: Annotated[
        str | None, typer.Option(help="Chain RPC (default: the bundle's hint).")
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(help="postgresql://… for replicas (default: SQLite in the data dir)."),
    ] = None,
    server_key_file: Annotated[
        Path | None,
        typer.Option(
            "--server-key-file", "--server-key", help="State key (default: <data-dir>/server.key)."
        ),
    ] = None,
    slasher_key_file: Annotated[
        Path | None,
        typer.Option(
            "--slasher-key-file",
            "--slasher-key",
            help="Slasher's chain key (default: <data-dir>/slasher.key).",
        ),
    ] = None,
    host: Annotated[str | None, typer.Option(help="Listen address (127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (8402; 0: any free).")] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="Prometheus /metrics port (off unless set).")
    ] = None,
    finality: Annotated[
        str | None, typer.Option(help="auto | finalized | N confirmations (auto).")
    ] = None,
    components: Annotated[
        str | None,
        typer.Option(help="module:function returning the chain view, upstream, policy, sink."),
    ] = None,
    log_format: Annotated[
        str | None, typer.Option(help="Logs: console or json (else $ZKCREDITS_LOG_FORMAT).")
    ] = None,
) -> None:
    """Serve paid API calls: 402 terms, proof checks, exactly-once accounting, signed states."""
    from prover.gateway.run import serve_gateway

    configure_logging(log_format)
    cli = {
        "deployment": deployment, "data_dir": data_dir, "upstream": upstream,
        "rpc_url": rpc_url, "store": store, "server_key_file": server_key_file,
        "slasher_key_file": slasher_key_file, "host": host, "port": port,
        "metrics_port": metrics_port, "finality": finality, "components": components,
    }  # fmt: skip
    serve_gateway(load_serve_settings(cli, config), config)


# `zkcredits gateway attest` (docs/tee.md) lives in its own module and adds itself to this group.
from prover.cli import gateway_attest as _attest  # noqa: E402, F401
