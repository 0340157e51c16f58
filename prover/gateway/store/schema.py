"""The store's schema, versioned (a `schema_version` table holding one row).

Version 1: table `nullifiers`, one row per spent ticket, keyed by the 32-byte big-endian
nullifier. Field elements are stored as 32-byte big-endian blobs (fixed width, so equality is
byte equality), timestamps as integer microseconds since the Unix epoch (UTC), the reply as
the canonical JSON of `StoredReply`.

Version 2 (protocol v3, one-time ticket keys): column `request_digest`, the digest
`h = keccak256(canonical request) mod p` of the request a call record was reserved for (calls
only). A version-1 store is migrated in place when it is opened (`MIGRATIONS`): the column is
added, existing rows keep it NULL (a v2-protocol call's `x` hashed its request, so "same x" still
means "same request" for them).
"""

from __future__ import annotations

from typing import Final

from prover.gateway.store.errors import SchemaVersionError

SCHEMA_VERSION: Final = 2

_COLUMNS = """
    kind TEXT NOT NULL CHECK (kind IN ('call', 'withdrawal', 'denied')),
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'served')),
    x {blob} CHECK ({len}(x) = 32),
    y {blob} CHECK ({len}(y) = 32),
    e_anon_x {blob} CHECK ({len}(e_anon_x) = 32),
    e_anon_y {blob} CHECK ({len}(e_anon_y) = 32),
    reply TEXT,
    created_us BIGINT NOT NULL,
    served_us BIGINT,
    request_digest {blob} {digest_check},
    CHECK ((kind = 'denied') = (x IS NULL) AND (x IS NULL) = (y IS NULL)),
    CHECK ((kind = 'call') = (e_anon_x IS NOT NULL) AND (e_anon_x IS NULL) = (e_anon_y IS NULL)),
    CHECK ((kind = 'call' AND status = 'served') = (reply IS NOT NULL)),
    CHECK (kind = 'call' OR status = 'served')
"""

_DIGEST_CHECK = "CHECK (request_digest IS NULL OR ({len}(request_digest) = 32 AND kind = 'call'))"

SQLITE_DDL: Final = [
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS nullifiers ("
    " nullifier BLOB NOT NULL PRIMARY KEY CHECK (length(nullifier) = 32),"
    + _COLUMNS.format(blob="BLOB", len="length", digest_check=_DIGEST_CHECK.format(len="length"))
    + ") WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS nullifiers_by_age ON nullifiers (created_us)",
]

POSTGRES_DDL: Final = [
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS nullifiers ("
    " nullifier BYTEA NOT NULL PRIMARY KEY CHECK (octet_length(nullifier) = 32),"
    + _COLUMNS.format(
        blob="BYTEA", len="octet_length", digest_check=_DIGEST_CHECK.format(len="octet_length")
    )
    + ")",
    "CREATE INDEX IF NOT EXISTS nullifiers_by_age ON nullifiers (created_us)",
]


def _add_digest(blob: str, length: str) -> list[str]:
    check = _DIGEST_CHECK.format(len=length)
    return [f"ALTER TABLE nullifiers ADD COLUMN request_digest {blob} {check}"]


SQLITE_MIGRATIONS: Final[dict[int, list[str]]] = {1: _add_digest("BLOB", "length")}
POSTGRES_MIGRATIONS: Final[dict[int, list[str]]] = {1: _add_digest("BYTEA", "octet_length")}
"""Statements taking a store from version `v` to `v + 1` (run in the opening transaction, which
then records the new version)."""


def migration_steps(found: int, migrations: dict[int, list[str]]) -> list[str]:
    """Every statement from version `found` up to `SCHEMA_VERSION`, in order."""
    steps: list[str] = []
    for version in range(found, SCHEMA_VERSION):
        steps.extend(migrations[version])
    return steps


def check_version(found: int | None, where: str) -> None:
    """Refuse a database whose schema this code does not know: newer than `SCHEMA_VERSION`, or
    older without a migration (`found` None: an empty database, created now)."""
    if found is None or 1 <= found <= SCHEMA_VERSION:
        return
    if found > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{where} has schema_version {found}, newer than this code's {SCHEMA_VERSION}: "
            "upgrade the gateway (never downgrade a nullifier store)"
        )
    raise SchemaVersionError(
        f"{where} has schema_version {found} and no migration to {SCHEMA_VERSION} exists"
    )
