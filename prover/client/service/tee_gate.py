"""The prover service's `--require-tee`: no paid call unless the provider's attestation passes.

`TeeGate.check()` runs before every paid call (after the reachability gate) and once at start.
It fetches the gateway's attestation again when the last pass is older than `recheck_seconds`
(`ZKCREDITS_TEE_RECHECK_SECONDS`); `check_provider_tee` caches appraisals by the document's hash
until the collateral expires, so an unchanged document costs one small fetch, while a changed
quote (or collateral) is appraised from scratch. A refusal refuses the call at once with
`tee_refused` naming the failed check, before any note is leased or any ticket bound; the next
call checks again, so a provider that fixes its attestation is usable without a restart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from prover.attest.appraise import Appraisal
from prover.client.errors import TeeRefusedError
from prover.logs import get_logger

log = get_logger("zkcredits.client.proxy")


class TeeGate:
    """`check` is the blocking appraisal (`check_provider_tee` bound to one provider)."""

    def __init__(
        self,
        check: Callable[[], Appraisal],
        *,
        recheck_seconds: float,
        pinned_quote: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._check = check
        self.recheck_seconds = recheck_seconds
        self.quote_sha256 = pinned_quote
        """The quote last verified (the pinned one until the first check)."""
        self.clock = clock
        self._passed_at: float | None = None
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        return self._passed_at is not None and self.clock() - self._passed_at < self.recheck_seconds

    async def check(self) -> None:
        """Return if the attestation passed recently enough; else check it now (in a thread).
        Raises `TeeRefusedError` naming the failed check."""
        if self._fresh():
            return
        async with self._lock:
            if self._fresh():
                return
            try:
                appraisal = await asyncio.to_thread(self._check)
            except TeeRefusedError as exc:
                self._passed_at = None
                log.warning("tee_refused", check=exc.check, field=exc.field)
                raise
            quote = appraisal.verified.quote.sha256
            if quote != self.quote_sha256:
                log.info(
                    "tee_quote_verified",
                    quote_sha256=quote,
                    previous=self.quote_sha256,
                    image=appraisal.image.image,
                    tcb_status=appraisal.verified.tcb_status,
                )
                self.quote_sha256 = quote
            self._passed_at = self.clock()
