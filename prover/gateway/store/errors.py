"""Errors of the nullifier store (PROTOCOL §16). Every one subclasses `StoreError`."""

from __future__ import annotations

from prover.errors import ZkCreditsError


class StoreError(ZkCreditsError):
    """Root of every error the nullifier store raises on purpose."""


class NonCanonicalValue(StoreError):
    """A nullifier, share or point coordinate that is not an int in [0, p); never reduced."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class UnknownNullifier(StoreError):
    """`complete` was called for a nullifier the store has no record of."""


class CompleteRefused(StoreError):
    """`complete` was refused: the record does not accept this reply."""


class RequestMismatch(CompleteRefused):
    """`complete` named an `x` different from the one the ticket was reserved with."""


class ReplyConflict(CompleteRefused):
    """The ticket was already served with a different reply (a served reply never changes)."""


class NotACall(CompleteRefused):
    """The record is a withdrawal or a deny-list entry: there is no call to complete."""


class SchemaVersionError(StoreError):
    """The database carries a schema version this code does not know (newer, or no migration)."""


class StoreConfigError(StoreError):
    """The store cannot be opened safely as configured (bad URL, durability switched off, ...)."""


class StoreBackendError(StoreError):
    """The database failed (I/O, connection lost, lock timeout); the operation did not happen
    or its outcome is unknown to this call — the caller must not reply as if it succeeded."""
