"""Fixtures of the policy tests: a gateway key, a penalty log file, forwarded requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from prover.crypto import generate_secret_key
from prover.gateway.policy import PenaltyLog
from prover.gateway.ports import ForwardRequest
from prover.pricing.schedule import ModelPrice, PriceRoute, RouteKind

PENALTY_MAX = 1000
ROUTE = PriceRoute(
    method="POST",
    path="/v1/chat/completions",
    kind=RouteKind.CHAT,
    models={"m": ModelPrice(max_output_tokens=64)},
)


def chat(body: bytes, path: str = "/v1/chat/completions") -> ForwardRequest:
    return ForwardRequest("POST", path, body, "application/json", ROUTE, 64)


class Clock:
    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


@pytest.fixture(scope="session")
def secret_key() -> int:
    return generate_secret_key()


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "penalties.sqlite"


@pytest.fixture
def penalty_log(log_path: Path, secret_key: int) -> Iterator[PenaltyLog]:
    log = PenaltyLog(log_path, secret_key, clock=Clock())
    yield log
    log.close()
