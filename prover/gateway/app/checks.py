"""§6 step 1: every public input of a payment against the vault, the chain view, the ticket's
one-time key and the request as received (PROTOCOL v3 §6, §8).

Pure checks, cheap, run before the proof is verified. Each failure is a `WireError` with its
stable code (D8); a stale root never echoes the root the client used. The pipeline marks every
one of them `ticket: "unreserved"` (nothing is reserved before §6 step 3).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

from prover.crypto.babyjub import Point
from prover.crypto.errors import CryptoError
from prover.crypto.request_hash import RequestFields, canonical_request, digest_of_canonical
from prover.crypto.ticket_key import verify_signature, x_of_pk
from prover.gateway.ports import ChainView
from prover.pricing import preflight
from prover.pricing.errors import PreflightRefused
from prover.pricing.schedule import PriceRoute, PriceSchedule
from prover.wire import PaymentSignature
from prover.wire.errors import ErrorCode, WireError

DAY = 86_400


@dataclass(frozen=True)
class VaultParams:
    """The vault's immutable parameters a proof's public inputs must equal."""

    network: str
    service_id: int
    c_max: int
    reserve: int
    server_pk: Point


@dataclass(frozen=True)
class ReceivedRequest:
    """Exactly what arrived: method, raw path with query string, body bytes, content type."""

    method: str
    path: str
    body: bytes
    content_type: str | None


_DECIMAL = re.compile(r"0|[1-9][0-9]{0,76}")


def require_decimal_signals(header: str) -> None:
    """D8: signals travel as decimal strings only. The wire model also takes `0x` hex (its
    field parser is shared with other inputs), so the gateway re-checks the raw JSON: one
    value, one encoding. Call after `decode_header` succeeded (the JSON is known valid)."""
    raw = json.loads(base64.b64decode(header, validate=True))
    for i, value in enumerate(raw["payload"]["public_signals"]):
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
            raise _bad("public signals must be decimal strings", f"public_signals.{i}")


def _bad(message: str, field: str) -> WireError:
    return WireError(ErrorCode.BAD_REQUEST, message, field=field)


def check_vault_inputs(payment: PaymentSignature, vault: VaultParams) -> None:
    """service_id, c_max, reserve, server_pk equal the vault's; the network is ours."""
    p = payment.payload
    if payment.network != vault.network:
        raise _bad(f"network {payment.network} is not {vault.network}", "network")
    expected = {
        "service_id": vault.service_id,
        "c_max": vault.c_max,
        "reserve": vault.reserve,
        "server_pk_x": vault.server_pk.x,
        "server_pk_y": vault.server_pk.y,
    }
    for name, value in expected.items():
        if p.signal(name) != value:
            raise _bad(f"public signal {name} does not match the vault", f"public_signals.{name}")
    if p.today != p.signal("today"):
        raise _bad("payload.today differs from the today signal", "payload.today")
    if p.x == 0:
        raise _bad("x must be non-zero", "public_signals.x")
    p.e_anon  # noqa: B018 — raises bad_request when E_anon is off the curve


def check_root(payment: PaymentSignature, chain: ChainView, now: float) -> None:
    root = payment.payload.signal("root")
    if root == 0 or not chain.is_accepted_root(root, now):
        raise WireError(ErrorCode.STALE_ROOT, "the proof's root is not an accepted checkpoint")


def today_ok(today: int, now: float, grace_seconds: int) -> bool:
    """`today` is the UTC day of `now`, or yesterday during the first `grace_seconds` of a day."""
    day, into = divmod(int(now), DAY)
    return today == day or (today == day - 1 and into < grace_seconds)


def bound_request(
    request: ReceivedRequest, payment: PaymentSignature, service_id: int
) -> RequestFields:
    """The D5 request fields of exactly what was received."""
    p = payment.payload
    try:
        return RequestFields.create(
            method=request.method,
            path=request.path,
            body=request.body,
            service_id=service_id,
            today=p.today,
            request_id=p.request_id,
        )
    except CryptoError as exc:
        raise _bad(f"the request cannot be bound: {exc}", "request") from exc


def check_key(payment: PaymentSignature) -> None:
    """The one-time key `pk` hashes to the proof's `x` (D5): the key is the ticket's."""
    p = payment.payload
    if x_of_pk(p.pk) != p.x:
        raise WireError(
            ErrorCode.KEY_MISMATCH, "pk does not hash to the proof's x", field="payload.pk"
        )


def check_signature(request: ReceivedRequest, payment: PaymentSignature, service_id: int) -> int:
    """The ticket key signed exactly what was received (method, raw target, body bytes, service,
    day, request id); returns the digest `h` of those bytes (the request's identity, D5)."""
    canonical = canonical_request(bound_request(request, payment, service_id))
    p = payment.payload
    if not verify_signature(p.pk, p.signature, canonical):
        raise WireError(
            ErrorCode.INVALID_SIGNATURE,
            "the ticket key's signature does not cover this request (method, path, body, "
            "day, id) as received",
            field="payload.signature",
        )
    return digest_of_canonical(canonical)


def check_work_cap(
    request: ReceivedRequest, route: PriceRoute, schedule: PriceSchedule
) -> preflight.Bound:
    """The pre-flight (`prover.pricing.preflight.check`): the request's worst-case price within
    `c_max`, its reply within the size limit, a model the schedule sells, a streamed chat asking
    for usage. Refused before any ticket is reserved, each with its code (D8)."""
    try:
        return preflight.check(schedule, route, request.body)
    except PreflightRefused as exc:
        raise WireError(ErrorCode(exc.reason.value), str(exc), field=exc.field) from exc
