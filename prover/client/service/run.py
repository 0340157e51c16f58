"""Run the local proxy with uvicorn on 127.0.0.1 only."""

from __future__ import annotations

import uvicorn

from prover.client.service.app import CallHandler, Guarded, create_proxy_app
from prover.client.service.security import ProxySecurity, check_bind_host


def server(
    handler: CallHandler, *, host: str, port: int, token: str, origins: tuple[str, ...] = ()
) -> uvicorn.Server:
    """A uvicorn server for the proxy; `ProxyConfigError` for any host but 127.0.0.1."""
    check_bind_host(host)
    app: Guarded = create_proxy_app(handler, ProxySecurity.build(token, port, origins))
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
