"""Settings of the prover service's proving (pydantic-settings, environment `ZKCREDITS_*`).

`ZKCREDITS_READY_PROOFS` (default true): keep every note's next proof ready in the background
(PROTOCOL v3 §8); false proves on each call's path (the benchmark's reference mode).
`ZKCREDITS_PROOF_WORKERS` (default: one per core): processes of the proof pool.
`ZKCREDITS_PROOF_REFRESH_S` (default 2): how often the newest checkpoint and the UTC day are read
(a new one remakes every ready proof).
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ProvingSettings(BaseSettings):
    """How the prover service makes its proofs."""

    model_config = SettingsConfigDict(
        env_prefix="ZKCREDITS_", extra="ignore", frozen=True, use_attribute_docstrings=True
    )

    ready_proofs: bool = True
    """Keep every note's next proof made ahead of time (off: each call proves on its path)."""
    proof_workers: int | None = Field(default=None, ge=1, le=256)
    """Processes in the proof pool (unset: one per core)."""
    proof_refresh_s: float = Field(default=2.0, gt=0, le=600)
    """How often the newest checkpoint and the UTC day are read to remake stale ready proofs."""
