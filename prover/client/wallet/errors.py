"""Errors raised on purpose by the wallet; all derive from `WalletError`."""

from __future__ import annotations

from prover.errors import ZkCreditsError


class WalletError(ZkCreditsError):
    """Root of every wallet error. `field` names the offending input when there is one."""


class WrongPassphraseError(WalletError):
    """The passphrase does not open this wallet file; no file was modified."""


class CorruptWalletError(WalletError):
    """A wallet, journal or export file is damaged or not a wallet file; no file was modified."""


class WalletExistsError(WalletError):
    """`create` or `export` refused to overwrite an existing file."""


class WalletNotFoundError(WalletError):
    """There is no wallet file at the given path."""


class WalletClosedError(WalletError):
    """The wallet object was closed."""


class UnknownNoteError(WalletError):
    """No note with this ID is in the wallet."""


class NoteStatusError(WalletError):
    """The note's status does not allow the operation (e.g. a call on a halted note)."""


class NoteBusyError(WalletError):
    """Another thread or process holds this note's lease (one note serves one call at a time)."""


class TicketBoundError(WalletError):
    """A request is in flight on the note's ticket: settle it (resend it) before another one."""


class WalletFormatError(WalletError):
    """The wallet file was written in a format this code does not read (e.g. format 1, protocol
    v2, whose tickets were bound to one request); no file was modified."""


class NoPendingTicketError(WalletError):
    """`complete_call` or `release_call` without a matching ticket or request in flight."""


class InsufficientCreditError(WalletError):
    """The note cannot pay for another call (C + c_max + P + reserve > D)."""


class NoteExpiredError(WalletError):
    """The request's day is after the note's expiry."""


class InvalidReplyError(WalletError):
    """A gateway reply does not match the wallet's own opening or is not signed by server_pk.

    The wallet never stores a state the server did not sign.
    """


class InvalidTransitionError(WalletError):
    """A journal record or import does not follow the note state machine."""


class ImportConflictError(WalletError):
    """An imported note conflicts with the wallet's copy (different pending request)."""
