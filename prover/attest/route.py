"""The gateway's `GET /.well-known/zkcredits/attestation`: its attestation document, byte for byte.

`zkcredits gateway attest` writes the document to a file; the route serves that file's bytes
(re-read when the file changes, so a fresh quote or collateral is served without a restart). A
file that does not parse as a document is not served: the last good one stays, and the failure
is logged. With no document the route answers `404 not_attested` in the one error shape (D8), so
a gateway without attestation stays usable by clients that do not require one.

The gateway app (`prover.gateway.app.factory`) mounts it before its catch-all API route (FastAPI
matches routes in order), with the setting `attestation_file` (`ZKCREDITS_GATEWAY_ATTESTATION_FILE`)
as `path` and its unpaid-request rate limit as `limited`. The route is free: no ticket.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import JSONResponse, Response

from prover.attest.errors import AttestError
from prover.attest.evidence import ATTESTATION_PATH, MAX_EVIDENCE_BYTES, parse_evidence
from prover.logs import get_logger
from prover.wire.errors import ErrorCode, WireError

log = get_logger("zkcredits.attest.route")


class EvidenceFile:
    """The attestation document in `path`, re-read when its size or modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._body: bytes | None = None

    def current(self) -> bytes | None:
        """The last good document's bytes, or None if there never was one."""
        try:
            stat = self.path.stat()
        except OSError:
            return self._body
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._stamp = stamp
                self._reload()
            return self._body

    def _reload(self) -> None:
        try:
            with self.path.open("rb") as f:
                body = f.read(MAX_EVIDENCE_BYTES + 1)
            parse_evidence(body)
        except (OSError, AttestError) as exc:
            log.error("attestation_document_unusable", path=str(self.path), error=str(exc))
            return
        self._body = body
        log.info("attestation_document_loaded", path=str(self.path), bytes=len(body))


def attestation_router(
    path: Path | None, limited: Callable[[], Response | None] | None = None
) -> APIRouter:
    """A router serving the document in `path` (None: this gateway publishes none); `limited`
    returns the reply refusing a request over the unpaid-request rate, or None to serve it."""
    router = APIRouter()
    source = None if path is None else EvidenceFile(path)

    @router.get(ATTESTATION_PATH)
    def attestation() -> Response:
        if limited is not None and (refused := limited()) is not None:
            return refused
        body = None if source is None else source.current()
        if body is None:
            error = WireError(ErrorCode.NOT_ATTESTED, "this gateway publishes no TEE attestation")
            return JSONResponse(error.body().model_dump(mode="json"), status_code=error.status)
        return Response(body, media_type="application/json", headers={"Cache-Control": "no-cache"})

    return router
