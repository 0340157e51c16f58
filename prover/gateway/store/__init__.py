"""The gateway's nullifier store (PROTOCOL §16): the provider's ledger of spent tickets.

`NullifierStore` is the interface; `SqliteNullifierStore` (one gateway, the embedded default) and
`PostgresNullifierStore` (several replicas on one database) implement it; `open_store(url)` picks
one. `reserve` answers §6 step 3, `complete` records §6 step 5, `record_withdrawal` the §7 exit
watcher, `deny` the §10 deny-list, `get_reply` serves `GET /state/{nullifier}`.
"""

from prover.gateway.store.base import NullifierStore, prune_cutoff, utc_now
from prover.gateway.store.errors import (
    CompleteRefused,
    NonCanonicalValue,
    NotACall,
    ReplyConflict,
    RequestMismatch,
    SchemaVersionError,
    StoreBackendError,
    StoreConfigError,
    StoreError,
    UnknownNullifier,
)
from prover.gateway.store.factory import open_store
from prover.gateway.store.models import (
    DoubleSpend,
    EAnonMismatch,
    InProgress,
    Kind,
    NullifierRecord,
    Reserved,
    ReserveOutcome,
    Retry,
    Status,
    StoredReply,
    StoredSignature,
    StoreStats,
    TicketReserved,
    WithdrawalOutcome,
    WithdrawalRecorded,
)
from prover.gateway.store.postgres import PostgresNullifierStore
from prover.gateway.store.schema import SCHEMA_VERSION
from prover.gateway.store.sqlite import SqliteNullifierStore

__all__ = [
    "SCHEMA_VERSION",
    "CompleteRefused",
    "DoubleSpend",
    "EAnonMismatch",
    "InProgress",
    "Kind",
    "NonCanonicalValue",
    "NotACall",
    "NullifierRecord",
    "NullifierStore",
    "PostgresNullifierStore",
    "ReplyConflict",
    "RequestMismatch",
    "ReserveOutcome",
    "Reserved",
    "Retry",
    "SchemaVersionError",
    "SqliteNullifierStore",
    "Status",
    "StoreBackendError",
    "StoreConfigError",
    "StoreError",
    "StoreStats",
    "StoredReply",
    "StoredSignature",
    "TicketReserved",
    "UnknownNullifier",
    "WithdrawalOutcome",
    "WithdrawalRecorded",
    "open_store",
    "prune_cutoff",
    "utc_now",
]
