"""`zkcredits gateway serve` behind the command line: from settings to a running gateway.

`build_gateway(serve, config)` reads the bundle, merges the operator's settings, opens the data
directory, the state key, the store and the replicas' shared state, loads the request keys,
builds the components (the real chain side checks the vault first and refuses any difference)
and the app. `serve_gateway(...)` binds the port (a taken port is one clear error), starts the
metrics listener if asked, and runs uvicorn until SIGINT/SIGTERM; everything is closed on exit.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI

from prover.circuits.keys import key_dir
from prover.circuits.manifest import read_manifest
from prover.circuits.prover import CircuitKeys
from prover.crypto.eddsa import public_key
from prover.errors import ZkCreditsError
from prover.gateway.app.errors import GatewayConfigError
from prover.gateway.app.factory import create_app
from prover.gateway.app.health import UpstreamMonitor
from prover.gateway.app.key_route import PublishedKeys
from prover.gateway.app.metrics import GatewayMetrics
from prover.gateway.app.settings import GatewaySettings
from prover.gateway.app.wiring import EMBEDDED, RunContext, WiringOptions, load_factory
from prover.gateway.bundle import read_gateway_bundle
from prover.gateway.chain.vault_check import LocalKeys
from prover.gateway.config import ServeSettings, gateway_settings
from prover.gateway.datadir import DataDir
from prover.gateway.replicas import open_shared_state
from prover.gateway.server_key import read_server_key
from prover.gateway.store import open_store
from prover.gateway.upstream.settings import UpstreamSettings
from prover.logs import get_logger

log = get_logger("zkcredits.gateway.serve")


@dataclass
class BuiltGateway:
    app: FastAPI
    settings: GatewaySettings
    serve: ServeSettings
    metrics: GatewayMetrics
    data_dir: Path
    store_backend: str
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self.closers):
            try:
                close()
            except Exception:
                log.exception("close_failed")
        self.closers.clear()


def local_keys() -> tuple[CircuitKeys, LocalKeys]:
    """The request keys the gateway verifies with, and the vk hashes of them and of the slash
    keys the slasher proves with (their manifests)."""
    keys = CircuitKeys.load("request")
    try:
        slash = read_manifest(key_dir("slash"), check_files=False).vk_hash
    except ZkCreditsError as exc:
        raise GatewayConfigError(
            f"slash keys: {exc} (the slasher proves with them: run `zkcredits circuits build`)",
            field="slash_keys",
        ) from exc
    return keys, LocalKeys(request=keys.manifest.vk_hash, slash=slash)


def build_gateway(serve: ServeSettings, config: Path | None) -> BuiltGateway:
    """Everything but the listening socket; on error, whatever was opened is closed."""
    assert serve.deployment is not None  # load_serve_settings requires it
    bundle = read_gateway_bundle(serve.deployment)
    settings = gateway_settings(bundle, config)
    upstream = serve.upstream or UpstreamSettings().base_url
    if upstream is None:
        raise GatewayConfigError(
            "upstream: none configured: pass --upstream URL (the API's base URL), set "
            "ZKCREDITS_GATEWAY_UPSTREAM or ZKCREDITS_UPSTREAM_BASE_URL, or --upstream embedded "
            "for the offline demo upstream",
            field="upstream",
        )
    data = DataDir.open(serve.data_dir)
    deployment = data.deployment(bundle.chain_id, bundle.vault)
    secret = read_server_key(serve.server_key_file or data.server_key, field="server_key_file")
    rpc_url = serve.rpc_url or bundle.rpc_url
    keys, hashes = local_keys()
    closers: list[Callable[[], None]] = []
    try:
        store_url = serve.store or deployment.store_url
        store = open_store(store_url)
        closers.append(store.close)
        if store.backend == "sqlite":
            lock = deployment.lock_single_gateway()
            closers.append(lambda: os.close(lock))
        shared = open_shared_state(
            store.backend, store_url, deployment, settings, secret,
            lease_seconds=serve.slasher_lease_seconds,
        )  # fmt: skip
        closers.append(shared.close)
        metrics = GatewayMetrics()
        closers.append(metrics.close)
        run = RunContext(
            serve=serve, data=data, deployment=deployment, server_pk=public_key(secret),
            start_block=bundle.start_block, local_keys=hashes, shared=shared, metrics=metrics,
        )  # fmt: skip
        options = WiringOptions(
            upstream=upstream, rpc_url=rpc_url, penalty_log=shared.penalties, run=run
        )
        parts = load_factory(serve.components)(settings, store, options)
        closers.append(parts.close)
        monitor = None
        if upstream != EMBEDDED and serve.upstream_probe_seconds > 0:
            monitor = UpstreamMonitor(
                upstream,
                interval=serve.upstream_probe_seconds,
                timeout=serve.upstream_probe_timeout_seconds,
            )
        if keys.is_dev:
            log.warning("dev_only_keys", circuit="request", setup="single-party")
        # GET /.well-known/zkcredits/keys/…: exactly the files the registration lists
        published = PublishedKeys.from_build(
            expected=None if bundle.keys is None else bundle.keys.files
        )
        app = create_app(
            settings, chain=parts.chain, upstream=parts.upstream, policy=parts.policy,
            store=store, keys=keys, server_secret=secret,
            double_spend_sink=parts.double_spend_sink, penalty_log=shared.penalties,
            bodies=shared.bodies, metrics=metrics, chain_health=parts.chain_health,
            upstream_monitor=monitor, published_keys=published,
        )  # fmt: skip
    except BaseException:
        for close in reversed(closers):
            try:
                close()
            except Exception:
                log.exception("close_failed")
        raise
    return BuiltGateway(app, settings, serve, metrics, data.root, store.backend, closers)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound now so a taken port is one clear error."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise GatewayConfigError(f"host: cannot resolve {host!r}: {exc}", field="host") from exc
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise GatewayConfigError(
            f"port: cannot listen on {host}:{port}: {exc.strerror}", field="port"
        ) from exc
    return sock


def serve_gateway(serve: ServeSettings, config: Path | None) -> None:
    """Build, bind, run until stopped; always closes what it opened."""
    import uvicorn

    from prover.gateway.app.error_shape import JsonErrorH11Protocol

    sock = bind(serve.host, serve.port)
    try:
        gateway = build_gateway(serve, config)
    except BaseException:
        sock.close()
        raise
    try:
        metrics_port = None
        if serve.metrics_port is not None:
            metrics_port = gateway.metrics.serve(serve.metrics_host, serve.metrics_port)
        host, port = sock.getsockname()[:2]
        log.info(
            "gateway_listening",
            url=f"http://{host}:{port}",
            chain_id=gateway.settings.chain_id,
            vault=gateway.settings.vault,
            service_id=gateway.settings.service_id,
            data_dir=str(gateway.data_dir),
            store=gateway.store_backend,
            metrics=None if metrics_port is None else f"http://{serve.metrics_host}:{metrics_port}",
        )
        config_ = uvicorn.Config(
            gateway.app,
            log_config=None,  # uvicorn's records go through `configure_logging`'s formatter
            log_level=None,  # … at the level it set on the root logger
            h11_max_incomplete_event_size=gateway.settings.max_header_bytes + 4096,
            http=JsonErrorH11Protocol,  # an unparsable request gets the one error shape too
            timeout_graceful_shutdown=10,
        )
        uvicorn.Server(config_).run(sockets=[sock])
    finally:
        gateway.close()
        sock.close()
