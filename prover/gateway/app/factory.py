"""`create_app`: the provider's verifying gateway as a FastAPI app.

Routes: `GET /healthz`; `GET /.well-known/zkcredits` (the public terms, as in PAYMENT-REQUIRED);
`GET /state/{nullifier}` (§9); every other method and path is a candidate API call: a sold route
(per the price schedule) without `PAYMENT-SIGNATURE` gets `402` + `PAYMENT-REQUIRED`, with it the
paid-call pipeline. Until `chain.is_synced()` everything but `/healthz` is `503`. Every reply
that is not a served call carries the one error shape of D8; nothing escapes as a 500.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from anyio import to_thread
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prover.circuits.prover import CircuitKeys
from prover.crypto.field import parse_field
from prover.errors import ZkCreditsError
from prover.gateway.app import checks
from prover.gateway.app.body_cache import BodyCache
from prover.gateway.app.doublespend import DoubleSpendSink, ignore_double_spends
from prover.gateway.app.pipeline import Pipeline
from prover.gateway.app.ratelimit import TokenBucket
from prover.gateway.app.requests import read_body, request_target, safe_path
from prover.gateway.app.responses import JSON, error_response, payment_required, unavailable
from prover.gateway.app.serve import CallServer
from prover.gateway.app.settings import GatewaySettings
from prover.gateway.app.signer import StateSigner, to_payment_response
from prover.gateway.app.verify import VerifyFn, verifier_from_keys
from prover.gateway.policy.log import PenaltyLog, entries_to_wire
from prover.gateway.ports import ChainView, Policy, Upstream
from prover.gateway.store import Kind, NullifierStore
from prover.logs import get_logger
from prover.wire import HEADER_SIGNATURE
from prover.wire.errors import ErrorCode, WireError

log = get_logger("zkcredits.gateway")

API_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(
    settings: GatewaySettings,
    *,
    chain: ChainView,
    upstream: Upstream,
    policy: Policy,
    store: NullifierStore,
    keys: CircuitKeys | VerifyFn,
    server_secret: int,
    double_spend_sink: DoubleSpendSink = ignore_double_spends,
    clock: Callable[[], float] = time.time,
    penalty_log: PenaltyLog | None = None,
) -> FastAPI:
    settings.check()
    verify = verifier_from_keys(keys) if isinstance(keys, CircuitKeys) else keys
    signer = StateSigner(server_secret, settings.service_id)
    terms = settings.terms(signer.public_key)
    cache = BodyCache(settings.body_cache_seconds, settings.body_cache_bytes)
    server = CallServer(
        schedule=settings.price_schedule,
        penalty_max=settings.penalty_max,
        upstream=upstream,
        policy=policy,
        store=store,
        signer=signer,
        cache=cache,
    )
    vault = checks.VaultParams(
        network=settings.network,
        service_id=settings.service_id,
        c_max=settings.c_max,
        reserve=settings.reserve,
        server_pk=signer.public_key,
    )
    pipeline = Pipeline(
        settings, vault, chain, store, verify, server, double_spend_sink, cache, clock
    )
    bucket = TokenBucket(settings.unpaid_rate_per_s, settings.unpaid_burst)
    terms_json = terms.model_dump(mode="json", by_alias=True)
    terms_json_pk = [str(signer.public_key.x), str(signer.public_key.y)]

    app = FastAPI(title="zkcredits gateway", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.pipeline = pipeline

    def limited() -> Response | None:
        if bucket.take():
            return None
        return error_response(
            WireError(ErrorCode.RATE_LIMITED, "too many unpaid requests"),
            headers={"Retry-After": "1"},
        )

    @app.get("/healthz")
    async def healthz() -> Response:
        return JSONResponse({"status": "ok" if chain.is_synced() else "syncing"})

    @app.get("/.well-known/zkcredits")
    async def well_known() -> Response:
        return limited() or JSONResponse(terms_json)

    @app.get("/penalties")
    async def penalties(since: int = 0, limit: int = 1000) -> Response:
        """The signed, hash-chained penalty log: anyone checks it with `verify_log`."""
        if (refused := limited()) is not None:
            return refused
        if not (0 <= since < 1 << 63 and 0 < limit <= 1000):
            raise WireError(ErrorCode.BAD_REQUEST, "since ≥ 0 and 0 < limit ≤ 1000", field="since")
        entries = [] if penalty_log is None else penalty_log.entries(since, limit)
        return JSONResponse({"server_pk": terms_json_pk, "entries": entries_to_wire(entries)})

    @app.get("/state/{nullifier}")
    async def state(nullifier: str) -> Response:
        if (refused := limited()) is not None:
            return refused
        try:
            key = parse_field(nullifier, "nullifier")
        except ZkCreditsError as exc:
            raise WireError(ErrorCode.BAD_REQUEST, str(exc), field="nullifier") from exc
        record = await to_thread.run_sync(store.get_record, key)
        if record is None:
            return error_response(
                WireError(
                    ErrorCode.BAD_REQUEST, "no served ticket has this nullifier", field="nullifier"
                ),
                status=404,
            )
        if record.kind is not Kind.CALL:
            raise WireError(
                ErrorCode.RESPONSE_EXPIRED, "this ticket was spent by an exit or deny-listed"
            )
        if record.reply is None:
            raise WireError(ErrorCode.IN_PROGRESS, "this ticket's call is still running")
        body = to_payment_response(key, record.reply).model_dump_json(by_alias=True)
        return Response(body, media_type=JSON)

    @app.api_route("/{rest:path}", methods=API_METHODS)
    async def api_call(request: Request, rest: str) -> Response:
        target = request_target(request.scope)
        route = settings.price_schedule.route_for(request.method, target)
        header = request.headers.get(HEADER_SIGNATURE)
        if route is None or not safe_path(target):
            return limited() or error_response(
                WireError(
                    ErrorCode.BAD_REQUEST,
                    f"{request.method} {target.split('?')[0]} is not sold",
                    field="path",
                    unreserved=True,
                )
            )
        if len(request.headers.getlist(HEADER_SIGNATURE)) > 1:
            raise WireError(
                ErrorCode.BAD_REQUEST,
                "one PAYMENT-SIGNATURE per request",
                field="header",
                unreserved=True,
            )
        if header is None:
            return limited() or payment_required(
                terms, f"{request.method} {route.path} needs a payment"
            )
        try:
            body = await read_body(request, settings.max_body_bytes)
        except WireError as exc:
            raise exc.before_reserve() from None  # nothing of the payment was looked at yet
        received = checks.ReceivedRequest(
            request.method, target, body, request.headers.get("content-type")
        )
        return await pipeline.handle(received, header, route)

    @app.exception_handler(WireError)
    async def wire_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WireError)
        return error_response(exc)

    app.add_middleware(Guard, chain=chain, max_header_bytes=settings.max_header_bytes)
    return app


class Guard:
    """ASGI layer around the routes: header size limit, the sync gate, and the no-500 rule
    (anything unexpected becomes a 503 error shape: retry the same request)."""

    def __init__(self, app: ASGIApp, chain: ChainView, max_header_bytes: int) -> None:
        self.app = app
        self.chain = chain
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response = self._gate(scope)
        if response is not None:
            await response(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unexpected_error", method=scope.get("method"), path=scope.get("path"))
            if not started:
                await unavailable("internal error; retry the same request")(scope, receive, send)

    def _gate(self, scope: Scope) -> Response | None:
        size = sum(len(k) + len(v) for k, v in scope.get("headers", []))
        if size > self.max_header_bytes:
            return error_response(
                WireError(
                    ErrorCode.BAD_REQUEST,
                    f"headers exceed {self.max_header_bytes} bytes",
                    field="headers",
                    unreserved=True,
                )
            )
        if scope.get("path") != "/healthz" and not self.chain.is_synced():
            return unavailable("the gateway is not synced with the chain yet", unreserved=True)
        return None
