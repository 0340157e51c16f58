"""`PostgresLease`: a named lease row (holder, expiry, term) in the shared database.

`acquire()` is one statement: insert the row, or take it over if it expired, or extend it if we
hold it; the database's clock decides expiry, so clock skew between replica hosts does not
matter. `term` grows by one at each change of holder. `holds(conn)` is the fence: a condition
evaluated inside another transaction (a slash-job update), true only while this holder's lease
is unexpired.
"""

from __future__ import annotations

import os
import secrets
import socket
from typing import Final

from prover.gateway.replicas.db import Conn, SharedDb

SLASHER: Final = "slasher"

_ACQUIRE: Final = (
    "INSERT INTO leases (name, holder, expires_at, term)"
    " VALUES (%(name)s, %(holder)s, clock_timestamp() + make_interval(secs => %(ttl)s), 1)"
    " ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder,"
    " expires_at = EXCLUDED.expires_at,"
    " term = leases.term + CASE WHEN leases.holder = EXCLUDED.holder THEN 0 ELSE 1 END"
    " WHERE leases.holder = EXCLUDED.holder OR leases.expires_at < clock_timestamp()"
    " RETURNING term"
)
FENCE: Final = (
    "EXISTS (SELECT 1 FROM leases WHERE name = %(lease)s AND holder = %(holder)s"
    " AND expires_at > clock_timestamp())"
)


def new_holder_id() -> str:
    """Unique per process: host, pid and 48 random bits."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(6)}"


class PostgresLease:
    def __init__(self, db: SharedDb, ttl: float, *, name: str = SLASHER, holder: str = "") -> None:
        self._db = db
        self.ttl = ttl
        self.name = name
        self.holder = holder or new_holder_id()

    def acquire(self) -> bool:
        with self._db.tx() as conn:
            row = conn.execute(
                _ACQUIRE, {"name": self.name, "holder": self.holder, "ttl": self.ttl}
            ).fetchone()
        return row is not None

    def release(self) -> None:
        with self._db.tx() as conn:
            conn.execute(
                "DELETE FROM leases WHERE name = %s AND holder = %s", (self.name, self.holder)
            )

    def current(self) -> tuple[str, int] | None:
        """(holder, term) of the unexpired lease, if any."""
        with self._db.tx() as conn:
            row = conn.execute(
                "SELECT holder, term FROM leases"
                " WHERE name = %s AND expires_at > clock_timestamp()",
                (self.name,),
            ).fetchone()
        return None if row is None else (str(row[0]), int(str(row[1])))

    def holds(self, conn: Conn) -> bool:
        row = conn.execute(
            "SELECT " + FENCE, {"lease": self.name, "holder": self.holder}
        ).fetchone()
        return bool(row and row[0])
