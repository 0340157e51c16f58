"""Calls into groth16py with its failures (Rust panics included) turned into typed errors.

A Rust panic surfaces as `pyo3_runtime.PanicException`, a `BaseException` that
`except Exception` does not catch (e.g. importing a zkey made from an O1 r1cs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import groth16py

from prover.circuits.errors import CircuitError

T = TypeVar("T")


def is_panic(exc: BaseException) -> bool:
    """True for pyo3's PanicException (identified by name: its module is created at runtime)."""
    return type(exc).__name__ == "PanicException"


def guarded(
    error: type[CircuitError],
    what: str,
    fn: Callable[..., T],
    *args: object,
    field: str | None = None,
) -> T:
    """`fn(*args)`, re-raising groth16py errors and panics as `error` (`what` says which step)."""
    try:
        return fn(*args)
    except (
        groth16py.EncodingError,
        groth16py.SetupError,
        groth16py.WitnessError,
        groth16py.VerificationError,
        ValueError,
        OSError,
    ) as exc:
        raise error(f"{what} failed: {exc}", field=field) from exc
    except BaseException as exc:
        if is_panic(exc):
            raise error(f"{what} panicked inside groth16py: {exc}", field=field) from exc
        raise
