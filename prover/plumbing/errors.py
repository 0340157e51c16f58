"""Errors of `prover.plumbing`; all derive from `PlumbingError`."""

from __future__ import annotations

from prover.errors import ZkCreditsError


class PlumbingError(ZkCreditsError):
    """Root of every error the plumbing raises on purpose (`field` names the setting, if any)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SqliteOpenError(PlumbingError):
    """A SQLite file could not be opened with the durable settings (the message says why)."""


class ServerStartError(PlumbingError):
    """A threaded server did not start serving in time (or its thread ended first)."""


class SecretFileError(PlumbingError):
    """A secret file breaks the one rule (owner-only, present, readable, well formed)."""


class SecretFileMissingError(SecretFileError):
    """No file at the path."""


class SecretFileUnreadableError(SecretFileError):
    """The path exists but cannot be read (permissions, a directory, an I/O error)."""


class SecretFileExposedError(SecretFileError):
    """Group or other users have permissions on the file: `chmod 600 PATH` fixes it."""


class SecretFileMalformedError(SecretFileError):
    """The file is empty or not UTF-8 text where text is expected."""


class SecretFileExistsError(SecretFileError):
    """A secret is never overwritten: the path already exists."""


class SqliteWalRefusedError(SqliteOpenError):
    """The file opened but would not switch to WAL (e.g. a file system without shared memory)."""


class SecretFileWriteError(SecretFileError):
    """A secret file could not be written (its directory, the disk)."""


class StrictJsonError(PlumbingError, ValueError):
    """JSON that the strict loader refuses beyond Python's own `ValueError`s."""


class JsonDuplicateKeyError(StrictJsonError):
    """An object repeats a key (`key`): Python would keep the last one silently."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the key {key!r} appears twice")
        self.key = key


class JsonNonIntegerError(StrictJsonError):
    """A number that is not a plain integer where only integers are allowed (`text`)."""

    def __init__(self, text: str) -> None:
        super().__init__(f"the number {text} is not a plain integer")
        self.text = text
