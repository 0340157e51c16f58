"""`HttpUpstream`: the gateway's `Upstream` over HTTP (httpx, async). PROTOCOL §6 steps 4–5.

- Forwards exactly the canonical bytes it is given: method, raw path with query (sent as the URL's
  raw path, never re-encoded), body bytes (never re-serialised), content type. No client header is
  copied; the outgoing set is fixed (`headers.py`) plus the operator's (the upstream API key).
- Caps work: a chat body whose output cap exceeds the pipeline's bound is never forwarded (it
  comes back as a failed 400 reply costing 0); streamed chat output is read event by event and cut
  if the upstream overruns the cap; billed output is clamped.
- Sorts failures by who caused them (`docs/failure-costs.md`): the provider's side — unreachable,
  timeout, 5xx, the provider's own key or quota refused (401, 403, 407, 408, 429; 404/405 on a
  token route, whose path the schedule fixes) — is `failed=True`, usage 0 (cost 0); a reply over
  the size limit the caller asked for is `over_limit=True` (charged the worst case); any other 4xx
  is a served reply about the caller's request. Never raises for upstream trouble.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from types import TracebackType

import httpx

from prover.gateway.ports import ForwardReply, ForwardRequest, ForwardStream, Upstream
from prover.gateway.upstream.chat import check_request
from prover.gateway.upstream.errors import RequestRefused, UpstreamConfigError
from prover.gateway.upstream.headers import configured_headers, reply_content_type, request_headers
from prover.gateway.upstream.sse import DONE_EVENT, EventSplitter
from prover.gateway.upstream.usage import ChatStreamMeter, reply_usage
from prover.logs import get_logger
from prover.pricing.schedule import RouteKind, Usage

log = get_logger("zkcredits.gateway.upstream")

DEFAULT_MAX_RESPONSE_BYTES = 8 << 20
_SSE = "text/event-stream"
_PATH = re.compile(r"/[\x21-\x7e]*")  # D5: visible ASCII, as hashed


PROVIDER_STATUSES = frozenset({401, 403, 407, 408, 429})
"""Upstream 4xx that are the provider's failure: its key, its proxy, its timeout, its quota."""
TOKEN_ROUTE_PROVIDER_STATUSES = PROVIDER_STATUSES | {404, 405}
"""On chat/embeddings routes the path is the schedule's own and the model one it sells: a
404/405 there is the provider's misconfiguration, not the caller's request."""


def _cap(request: ForwardRequest) -> int:
    return request.max_output_tokens


def provider_failure(status: int, kind: RouteKind) -> bool:
    """True if an upstream status is the provider's failure (the call then costs 0)."""
    if status >= 500:
        return True
    if kind is RouteKind.HTTP:
        return status in PROVIDER_STATUSES
    return status in TOKEN_ROUTE_PROVIDER_STATUSES


def _failed(status: int, reason: str) -> ForwardReply:
    log.warning("upstream_call_failed", status=status, reason=reason)
    return ForwardReply(
        status=status, content_type="application/json", body=b"", usage=Usage(), failed=True
    )


def _over_limit(limit: int) -> ForwardReply:
    log.warning("upstream_reply_over_limit", limit_bytes=limit)
    return ForwardReply(
        status=502, content_type="application/json", body=b"", usage=Usage(), over_limit=True
    )


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover - makes this an async generator


def _failed_stream(status: int, reason: str) -> ForwardStream:
    log.warning("upstream_stream_failed", status=status, reason=reason)
    return ForwardStream(status=status, content_type=_SSE, chunks=_nothing(), failed=True)


class HttpUpstream:
    """`HttpUpstream(base_url, timeout=...)`; `transport` may be an `httpx.ASGITransport`."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        read_timeout: float | None = None,
        max_stream_seconds: float = 600.0,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        url = httpx.URL(base_url)
        if url.scheme not in {"http", "https"} or not url.host or url.query or url.fragment:
            raise UpstreamConfigError(
                f"base_url must be http(s)://host[:port][/prefix], got {base_url!r}",
                field="base_url",
            )
        for name, value in (("timeout", timeout), ("max_stream_seconds", max_stream_seconds)):
            if not value > 0:
                raise UpstreamConfigError(f"{name} must be positive, got {value!r}", field=name)
        if max_response_bytes < 1:
            raise UpstreamConfigError(
                f"max_response_bytes must be ≥ 1, got {max_response_bytes}",
                field="max_response_bytes",
            )
        self._base = url
        self._prefix = url.raw_path.split(b"?")[0].rstrip(b"/")
        self._timeout = timeout
        self._max_stream_seconds = max_stream_seconds
        self._limit = max_response_bytes
        self._extra = configured_headers(headers)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(
                timeout,
                connect=min(connect_timeout, timeout),
                read=timeout if read_timeout is None else min(read_timeout, timeout),
            ),
            follow_redirects=False,
            trust_env=False,
            transport=transport,
        )
        for name in list(self._client.headers):
            del self._client.headers[name]  # no default User-Agent, Accept, Connection, ...

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> HttpUpstream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def build_request(self, request: ForwardRequest) -> httpx.Request:
        """The exact HTTP request sent upstream (raises `RequestRefused` on unusable input)."""
        path = request.path
        if not _PATH.fullmatch(path):
            raise RequestRefused(
                f"path must be visible ASCII starting with /: {path!r}", field="path"
            )
        check_request(request.body, request.route, _cap(request))
        wanted = self._prefix + path.encode("ascii")
        try:
            url = self._base.copy_with(raw_path=wanted)
        except httpx.InvalidURL as exc:
            raise RequestRefused(f"path {path!r} is not a valid URL path", field="path") from exc
        if url.raw_path != wanted:  # never let the URL layer re-encode what was hashed
            raise RequestRefused(f"path {path!r} would not be sent byte-identical", field="path")
        try:
            headers = request_headers(request.content_type, self._extra)
        except UpstreamConfigError as exc:
            raise RequestRefused(str(exc), field="content_type") from exc
        content = request.body if request.body or request.method not in {"GET", "HEAD"} else None
        return self._client.build_request(request.method, url, content=content, headers=headers)

    async def forward(self, request: ForwardRequest) -> ForwardReply:
        try:
            outgoing = self.build_request(request)
        except RequestRefused as exc:
            return _failed(400, f"refused before forwarding: {exc}")
        try:
            return await asyncio.wait_for(self._exchange(outgoing, request), self._timeout)
        except TimeoutError:
            return _failed(504, "timeout")
        except Exception as exc:  # the Upstream contract: no exception escapes (cost 0)
            return _failed(502, f"{type(exc).__name__}: {exc}")

    def limit(self, request: ForwardRequest) -> int:
        """The reply size limit of one call: the schedule's if the request carries it."""
        if request.max_reply_bytes is None:
            return self._limit
        return min(self._limit, request.max_reply_bytes)

    async def _exchange(self, outgoing: httpx.Request, request: ForwardRequest) -> ForwardReply:
        response = await self._client.send(outgoing, stream=True)
        limit = self.limit(request)
        try:
            if provider_failure(response.status_code, request.route.kind):
                return _failed(response.status_code, f"upstream status {response.status_code}")
            body = bytearray()
            async for piece in response.aiter_bytes():
                body += piece
                if len(body) > limit:
                    return _over_limit(limit)
        finally:
            await response.aclose()
        content_type = reply_content_type(response.headers.get("content-type"))
        cap = _cap(request)
        if request.route.kind is RouteKind.CHAT and content_type.startswith(_SSE):
            meter = ChatStreamMeter(cap, request.body)
            splitter = EventSplitter()
            events = splitter.feed(bytes(body))
            if splitter.rest().strip():
                events += splitter.feed(b"\n\n")
            kept = [e for e in events if meter.admit(e)]
            if not meter.done:
                kept.append(DONE_EVENT)
            return ForwardReply(response.status_code, content_type, b"".join(kept), meter.usage())
        usage = Usage()
        if response.status_code < 400:  # an upstream refusal (4xx) consumed no tokens
            usage = reply_usage(request.route.kind, bytes(body), request.body, cap)
        return ForwardReply(response.status_code, content_type, bytes(body), usage)

    async def forward_stream(self, request: ForwardRequest) -> ForwardStream:
        try:
            outgoing = self.build_request(request)
        except RequestRefused as exc:
            return _failed_stream(400, f"refused before forwarding: {exc}")
        try:
            response = await asyncio.wait_for(
                self._client.send(outgoing, stream=True), self._timeout
            )
        except TimeoutError:
            return _failed_stream(504, "timeout")
        except Exception as exc:  # the Upstream contract: no exception escapes (cost 0)
            return _failed_stream(502, f"{type(exc).__name__}: {exc}")
        if provider_failure(response.status_code, request.route.kind):
            await response.aclose()
            return _failed_stream(response.status_code, f"upstream status {response.status_code}")
        content_type = reply_content_type(response.headers.get("content-type"))
        stream = ForwardStream(
            status=response.status_code, content_type=content_type, chunks=_nothing()
        )
        stream.chunks = self._pump(response, request, stream)
        return stream

    async def _pump(
        self, response: httpx.Response, request: ForwardRequest, stream: ForwardStream
    ) -> AsyncIterator[bytes]:
        """Relay the reply. Chat SSE: whole events, cut at the cap or the size limit, always ending
        with `[DONE]` (usage is set before that last event); anything else: raw pieces, usage at
        the end. Outgrowing the size limit marks the stream `over_limit` (the caller's: charged)."""
        cap = _cap(request)
        limit = self.limit(request)
        chat_sse = request.route.kind is RouteKind.CHAT and stream.content_type.startswith(_SSE)
        meter = ChatStreamMeter(cap, request.body)
        splitter = EventSplitter()
        body = bytearray()
        sent_done = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._max_stream_seconds
        pieces = response.aiter_bytes().__aiter__()
        try:
            total = 0
            while not (meter.done or meter.cut):
                try:
                    piece = await asyncio.wait_for(pieces.__anext__(), deadline - loop.time())
                except StopAsyncIteration:
                    break
                if not chat_sse:
                    total += len(piece)
                    if total > limit:  # a truncated raw body is no reply: over the limit
                        stream.over_limit = True
                        log.warning("upstream_stream_cut", reason="size", limit_bytes=limit)
                        break
                    body += piece
                    yield piece
                    continue
                for event in splitter.feed(piece):
                    total += len(event)
                    if total > limit:
                        meter.cut = True
                        stream.over_limit = True
                        log.warning("upstream_stream_cut", reason="size", limit_bytes=limit)
                        break
                    if not meter.admit(event):
                        log.info(
                            "upstream_stream_cut",
                            reason="output_tokens",
                            output_tokens=meter.counted,
                        )
                        break
                    if meter.done:
                        stream.usage = meter.usage()
                        sent_done = True
                    yield event
                if len(splitter.rest()) > limit:
                    meter.cut = True
                    stream.over_limit = True
            if chat_sse:
                stream.usage = meter.usage()
            elif stream.status < 400 and not stream.over_limit:
                stream.usage = reply_usage(request.route.kind, bytes(body), request.body, cap)
        except Exception as exc:  # mid-stream failure: the call costs 0 (§6 step 5)
            log.warning("upstream_stream_broke", error_type=type(exc).__name__, error=str(exc))
            stream.failed = True
            stream.usage = Usage()
        finally:
            await response.aclose()
        if chat_sse and not sent_done:
            yield DONE_EVENT


def _conforms(upstream: HttpUpstream) -> Upstream:
    return upstream  # mypy: HttpUpstream satisfies the pipeline's `Upstream` protocol
