"""`require_tee`: the client checks the gateway's attestation itself, trusting no validator.

What the discovery code (`--require-tee`) and the prover service call before paying a provider:

1. fetch `GET <gateway>/.well-known/zkcredits/attestation` (`fetch.fetch_document`);
2. compare the gateway key seen on that connection (TLS public key, or the onion host dialled)
   with the one the expectation binds (`GatewayKeyError`; plain http shows none and is refused
   unless `allow_unobserved_key`, for local development);
3. if this exact document (sha256 of its bytes: quote, collateral and claimed binding) was
   appraised before and its collateral has not expired, reuse that appraisal;
4. else parse the document and `appraise` it: dcap-qvl verification at `now`, the TCB policy, the
   measurement pins, the binding. A changed quote (or collateral) is a new document: re-checked.

A refusal raises the `CheckFailed` subclass naming the check; fetch trouble `EvidenceFetchError`.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from prover.attest.appraise import Appraisal, Expectation, appraise
from prover.attest.errors import GatewayKeyError
from prover.attest.evidence import ATTESTATION_PATH, parse_evidence
from prover.attest.fetch import DirectTransport, StreamingTransport, fetch_document
from prover.attest.gateway_key import GatewayKey
from prover.logs import get_logger

log = get_logger("zkcredits.attest.require")


class AttestationCache:
    """Appraisals by document hash, each valid until its collateral expires (bounded, LRU)."""

    def __init__(self, max_entries: int = 32) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], Appraisal] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], now: int) -> Appraisal | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            if now >= hit.verified.expires_at or now < hit.verified.verified_at:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return hit

    def put(self, key: tuple[str, str], appraisal: Appraisal) -> None:
        with self._lock:
            self._entries[key] = appraisal
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def attestation_url(gateway_url: str) -> str:
    return gateway_url.rstrip("/") + ATTESTATION_PATH


def check_gateway_key(
    observed: GatewayKey | None, expected: GatewayKey | None, *, allow_unobserved: bool
) -> None:
    """The key the connection showed must be the bound one (`GatewayKeyError` names why not)."""
    if expected is None:
        return  # the expectation pins report_data directly: nothing to compare the key with
    if observed is None:
        if allow_unobserved:
            return
        raise GatewayKeyError(
            "plain http shows no gateway key to compare with the bound one: use https or onion",
            field="gateway_key",
        )
    if observed != expected:
        raise GatewayKeyError(
            f"the connection showed {observed.kind} {observed.sha256.hex()}, the quote binds "
            f"{expected.kind} {expected.sha256.hex()}",
            field="gateway_key",
        )


def require_tee(
    gateway_url: str,
    expectation: Expectation,
    *,
    transport: StreamingTransport | None = None,
    cache: AttestationCache | None = None,
    now: Callable[[], float] = time.time,
    allow_unobserved_key: bool = False,
) -> Appraisal:
    """Verify the gateway at `gateway_url` runs a pinned image in an attested TDX trust domain
    bound to this provider; the appraisal, or the `CheckFailed` naming the failed check."""
    fetched = fetch_document(attestation_url(gateway_url), transport or DirectTransport())
    expected_key = None if expectation.binding is None else expectation.binding.gateway_key
    check_gateway_key(fetched.observed_key, expected_key, allow_unobserved=allow_unobserved_key)
    at = int(now())
    key = (hashlib.sha256(fetched.body).hexdigest(), expectation.model_dump_json())
    if cache is not None and (hit := cache.get(key, at)) is not None:
        return hit
    document = parse_evidence(fetched.body)
    appraisal = appraise(
        document.quote, document.collateral, expectation, now=at, claimed=document.binding
    )
    log.info(
        "tee_attestation_verified",
        quote_sha256=appraisal.verified.quote.sha256,
        image=appraisal.image.image,
        tcb_status=appraisal.verified.tcb_status,
        expires_at=appraisal.verified.expires_at,
    )
    if cache is not None:
        cache.put(key, appraisal)
    return appraisal
