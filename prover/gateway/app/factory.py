"""`create_app`: the provider's verifying gateway as a FastAPI app.

Routes: `GET /healthz` (readiness: chain, upstream, store; `health.py`);
`GET /.well-known/zkcredits` (the public terms, as in PAYMENT-REQUIRED);
`GET /.well-known/zkcredits/keys/<circuit>/<file>` (the published proving keys, `key_route.py`);
`GET /.well-known/zkcredits/attestation` (the TEE attestation document, free; `attest/route.py`);
`GET /state/{nullifier}` (§9); every other method and path is a candidate API call: a sold route
(per the price schedule) without `PAYMENT-SIGNATURE` gets `402` + `PAYMENT-REQUIRED`, with it the
paid-call pipeline. Until `chain.is_synced()` everything but `/healthz` is `503
chain_unavailable`; while the upstream monitor finds the upstream unreachable, paid calls are `503
upstream_unavailable` before reservation. Every reply that is not a served call carries the one
error shape of D8; nothing escapes as a 500. With `metrics`, the verifier, signer and store are
timed and error replies counted by code.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from anyio import to_thread
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from prover.attest.route import attestation_router
from prover.circuits.prover import CircuitKeys
from prover.crypto.field import parse_field
from prover.errors import ZkCreditsError
from prover.gateway.app import checks
from prover.gateway.app.body_cache import BodyCache, ReplyBodies
from prover.gateway.app.doublespend import DoubleSpendSink, ignore_double_spends
from prover.gateway.app.error_shape import install_error_handlers
from prover.gateway.app.guard import Guard
from prover.gateway.app.health import ChainHealth, HealthSources, UpstreamMonitor
from prover.gateway.app.key_route import PublishedKeys, add_key_route
from prover.gateway.app.metered import MeteredSigner, MeteredStore, metered_verify
from prover.gateway.app.metrics import GatewayMetrics
from prover.gateway.app.pipeline import Pipeline
from prover.gateway.app.ratelimit import TokenBucket
from prover.gateway.app.requests import read_body, request_target, safe_path
from prover.gateway.app.responses import JSON, error_response, payment_required
from prover.gateway.app.serve import CallServer
from prover.gateway.app.settings import GatewaySettings
from prover.gateway.app.signer import StateSigner, to_payment_response
from prover.gateway.app.verify import VerifyFn, verifier_from_keys
from prover.gateway.policy.log import PenaltyLedger, entries_to_wire
from prover.gateway.policy.rules import PolicyConfig
from prover.gateway.ports import ChainView, Policy, Upstream
from prover.gateway.store import Kind, NullifierStore
from prover.gateway.upstream.models import model_entry, models_list
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
    penalty_log: PenaltyLedger | None = None,
    bodies: ReplyBodies | None = None,
    metrics: GatewayMetrics | None = None,
    chain_health: Callable[[], ChainHealth] | None = None,
    upstream_monitor: UpstreamMonitor | None = None,
    published_keys: PublishedKeys | None = None,
) -> FastAPI:
    """`bodies`: where reply bodies are kept for retries (default: in memory; replicas share
    `PostgresReplyBodies`); `chain_health` and `upstream_monitor` feed `/healthz`."""
    settings.check()
    verify = verifier_from_keys(keys) if isinstance(keys, CircuitKeys) else keys
    if metrics is not None:
        verify = metered_verify(verify, metrics)
        store = MeteredStore(store, metrics)
        signer: StateSigner = MeteredSigner(server_secret, settings.service_id, metrics)
    else:
        signer = StateSigner(server_secret, settings.service_id)
    terms = settings.terms(signer.public_key)
    cache = bodies or BodyCache(settings.body_cache_seconds, settings.body_cache_bytes)
    health = HealthSources(store, chain, chain_health, upstream_monitor)
    if metrics is not None:
        metrics.watch(health.gauges)
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

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = None
        if upstream_monitor is not None and upstream_monitor.interval > 0:
            task = asyncio.create_task(upstream_monitor.run())
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        title="zkcredits gateway",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
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
        status, report = await health.report()
        return JSONResponse(report, status_code=status)

    @app.get("/.well-known/zkcredits")
    async def well_known() -> Response:
        return limited() or JSONResponse(terms_json)

    @app.get("/v1/models")
    async def models() -> Response:
        """Free and unpaid: the models the schedule sells (OpenAI list shape)."""
        return limited() or JSONResponse(models_list(settings.price_schedule))

    @app.get("/v1/models/{model:path}")
    async def model(model: str) -> Response:
        if (refused := limited()) is not None:
            return refused
        if model not in settings.price_schedule.models():
            raise WireError(
                ErrorCode.UNKNOWN_MODEL, f"model {model!r} is not sold here", field="model"
            )
        return JSONResponse(model_entry(model))

    @app.get("/.well-known/zkcredits/policy")
    async def policy_rules() -> Response:
        """The rules a call is judged by, and their hash (the registration file's policy_hash)."""
        if (refused := limited()) is not None:
            return refused
        config = getattr(policy, "config", None)
        if not isinstance(config, PolicyConfig):
            raise WireError(ErrorCode.BAD_REQUEST, "this gateway publishes no rule set")
        return JSONResponse(
            {
                "policy": config.model_dump(mode="json"),
                "policy_hash": "0x" + config.policy_hash().hex(),
            }
        )

    @app.get("/penalties")
    async def penalties(since: int = 0, limit: int = 1000) -> Response:
        """The signed, hash-chained penalty log: anyone checks it with `verify_log`."""
        if (refused := limited()) is not None:
            return refused
        if not (0 <= since < 1 << 63 and 0 < limit <= 1000):
            raise WireError(ErrorCode.BAD_REQUEST, "since ≥ 0 and 0 < limit ≤ 1000", field="since")
        entries = (
            []
            if penalty_log is None
            else await to_thread.run_sync(penalty_log.entries, since, limit)
        )
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

    if published_keys is not None:  # GET /.well-known/zkcredits/keys/<circuit>/<file>
        add_key_route(app, published_keys, limited)
    # GET /.well-known/zkcredits/attestation, free; before the catch-all, which would shadow it
    app.include_router(attestation_router(settings.attestation_file, limited))

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
        if upstream_monitor is not None and not upstream_monitor.available():
            return error_response(
                WireError(
                    ErrorCode.UPSTREAM_UNAVAILABLE,
                    "the upstream does not answer; the ticket was not reserved: retry later",
                    unreserved=True,
                ),
                headers={"Retry-After": str(max(1, int(upstream_monitor.interval)))},
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

    install_error_handlers(app)
    app.add_middleware(
        Guard, chain=chain, max_header_bytes=settings.max_header_bytes, metrics=metrics
    )
    return app
