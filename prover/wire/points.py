"""Annotated wire types for Baby Jubjub points and EdDSA signatures (D4 wire forms)."""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainSerializer, PlainValidator

from prover.crypto.babyjub import Point
from prover.crypto.eddsa import Signature
from prover.crypto.errors import CryptoError


def _point(value: object) -> Point:
    if isinstance(value, Point):
        return value
    try:
        return Point.from_wire(value, "point")
    except CryptoError as exc:
        raise ValueError(str(exc)) from exc


def _signature(value: object) -> Signature:
    if isinstance(value, Signature):
        return value
    try:
        return Signature.from_wire(value)
    except CryptoError as exc:
        raise ValueError(str(exc)) from exc


def _point_out(point: Point) -> list[str]:
    return [str(point.x), str(point.y)]


def _signature_out(sig: Signature) -> dict[str, object]:
    return sig.to_wire()


WirePoint = Annotated[Point, PlainValidator(_point), PlainSerializer(_point_out)]
"""A Baby Jubjub point `[x, y]` (decimal strings), checked on the curve."""

WireSignature = Annotated[Signature, PlainValidator(_signature), PlainSerializer(_signature_out)]
"""An EdDSA-Poseidon signature `{"R8": [x, y], "S": s}`, S < l and R8 on the curve."""
