"""`GET /.well-known/zkcredits/keys/<circuit>/<file>`: the provider's proving keys, for clients.

A client that never built keys fetches, once per provider, the files its registration lists
(`prover.circuits.key_files`: proving key, verifying key, wasm, r1cs of each circuit) and checks
each against the sha256 in the registration and the verifying key against the vk hash pinned on
chain. The gateway serves them from its build (`build/keys`, `build/circuits`); at start-up every
file is hashed and, when the deployment's registered hashes are given, compared with them, so a
gateway never serves a file its registration does not vouch for. Unknown names are a 404 in the
D8 error shape; requests count against the unpaid-request rate limit like every free route.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from starlette.responses import FileResponse, Response

from prover.circuits.artifacts import CIRCUIT_NAMES, CIRCUITS_BUILD_DIR, KEYS_DIR
from prover.circuits.errors import CircuitError
from prover.circuits.key_files import file_hashes, published_files
from prover.gateway.app.errors import GatewayConfigError
from prover.gateway.app.responses import error_response
from prover.wire.errors import ErrorCode, WireError

KEYS_ROUTE: Final = "/.well-known/zkcredits/keys/{circuit}/{file}"


class PublishedKeys:
    """The files the gateway serves, by `<circuit>/<file>`, with their sha256."""

    def __init__(self, files: Mapping[str, Path], expected: Mapping[str, str] | None = None):
        self.files = dict(files)
        self.hashes = file_hashes(self.files)
        if expected is not None:
            for name, digest in sorted(expected.items()):
                if self.hashes.get(name) != digest:
                    raise GatewayConfigError(
                        f"key file {name} is not the one the registration lists "
                        f"(sha256 {self.hashes.get(name)}, registered {digest})",
                        field=f"keys.{name}",
                    )

    @classmethod
    def from_build(
        cls,
        keys_dir: Path = KEYS_DIR,
        circuits_dir: Path = CIRCUITS_BUILD_DIR,
        *,
        circuits: Iterable[str] = CIRCUIT_NAMES,
        expected: Mapping[str, str] | None = None,
    ) -> PublishedKeys:
        """Every published file of the build; `GatewayConfigError` if one is missing."""
        try:
            files = published_files(circuits, keys_dir, circuits_dir)
        except CircuitError as exc:
            raise GatewayConfigError(f"cannot publish the keys: {exc}", field="keys") from exc
        return cls(files, expected)


def add_key_route(
    app: FastAPI, keys: PublishedKeys, limited: Callable[[], Response | None]
) -> None:
    """Register the route (before any catch-all route of `app`)."""

    @app.get(KEYS_ROUTE)
    async def key_file(circuit: str, file: str) -> Response:
        if (refused := limited()) is not None:
            return refused
        name = f"{circuit}/{file}"
        path = keys.files.get(name)
        if path is None:
            return error_response(
                WireError(ErrorCode.BAD_REQUEST, f"no published key file {name}", field="file"),
                status=404,
            )
        media = "application/json" if file.endswith(".json") else "application/octet-stream"
        return FileResponse(
            path,
            media_type=media,
            headers={
                "Cache-Control": "public, max-age=86400",
                "X-Content-SHA256": keys.hashes[name],
            },
        )
