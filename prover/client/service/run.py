"""Run the local proxy with uvicorn: bind first (a taken port is reported at once), then serve."""

from __future__ import annotations

import errno
import socket

import uvicorn

from prover.client.errors import ProxyConfigError
from prover.client.service.app import CallHandler, Guarded, create_proxy_app
from prover.client.service.ledger import ProxyLedger
from prover.client.service.reachability import GatewayGate
from prover.client.service.security import ProxySecurity, check_bind_host
from prover.client.service.tee_gate import TeeGate

_WHY = {
    errno.EADDRINUSE: "is in use (another proxy, or the gateway?): pick another with --port",
    errno.EADDRNOTAVAIL: "is not an address of this machine",
    errno.EACCES: "needs privileges (a port below 1024?)",
}


def bind_socket(host: str, port: int) -> socket.socket:
    """The listening socket, bound now: `ProxyConfigError` names a taken port or a foreign
    address before anything slow (the wallet's key derivation, the chain) starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        why = _WHY.get(exc.errno or 0, f"cannot be bound ({exc.strerror})")
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        raise ProxyConfigError(f"the proxy's address {where} {why}", field="port") from exc
    sock.set_inheritable(True)
    return sock


def server(
    handler: CallHandler,
    *,
    host: str,
    port: int,
    token: str,
    origins: tuple[str, ...] = (),
    hosts: tuple[str, ...] = (),
    ledger: ProxyLedger | None = None,
    gate: GatewayGate | None = None,
    tee: TeeGate | None = None,
) -> uvicorn.Server:
    """A uvicorn server for the proxy; `ProxyConfigError` for a bind address `check_bind_host`
    refuses. Run it with `server.run()`, or `await server.serve(sockets=[bind_socket(...)])`."""
    check_bind_host(host, token)
    security = ProxySecurity.build(token, port, origins, bind_host=host, hosts=hosts)
    app: Guarded = create_proxy_app(handler, security, ledger=ledger, gate=gate, tee=tee)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # no dictConfig: records go to the root logger (`configure_logging`)
        log_level="warning",
        server_header=False,
        date_header=False,
        proxy_headers=False,
        access_log=False,
    )
    return uvicorn.Server(config)
