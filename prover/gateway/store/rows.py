"""Row <-> database tuple conversion shared by both backends (field elements as 32-byte blobs)."""

from __future__ import annotations

from typing import Any, Final

from prover.gateway.store.logic import Row
from prover.gateway.store.models import Kind, Status

COLUMNS: Final = (
    "nullifier, kind, status, x, y, e_anon_x, e_anon_y, reply, created_us, served_us,"
    " request_digest"
)
WIDTH: Final = COLUMNS.count(",") + 1


def blob(value: int | None) -> bytes | None:
    return None if value is None else value.to_bytes(32, "big")


def unblob(value: Any) -> int | None:
    return None if value is None else int.from_bytes(bytes(value), "big")


def key(nullifier: int) -> bytes:
    return nullifier.to_bytes(32, "big")


def to_params(row: Row) -> tuple[object, ...]:
    return (
        key(row.nullifier),
        row.kind.value,
        row.status.value,
        blob(row.x),
        blob(row.y),
        blob(row.e_anon_x),
        blob(row.e_anon_y),
        row.reply,
        row.created_us,
        row.served_us,
        blob(row.request_digest),
    )


def from_db(values: tuple[Any, ...] | None) -> Row | None:
    if values is None:
        return None
    nullifier, kind, status, x, y, ex, ey, reply, created_us, served_us, digest = values
    return Row(
        nullifier=int.from_bytes(bytes(nullifier), "big"),
        kind=Kind(kind),
        status=Status(status),
        x=unblob(x),
        y=unblob(y),
        e_anon_x=unblob(ex),
        e_anon_y=unblob(ey),
        reply=reply,
        created_us=int(created_us),
        served_us=None if served_us is None else int(served_us),
        request_digest=unblob(digest),
    )
