"""The user's wallet: notes, signed states and pending tickets, encrypted and crash-safe.

`Wallet` is the API (see `wallet.py`); `models` the typed records; `sealing` + `journal` +
`store` the on-disk format; `ledger` the note state machine; `tickets` the pure ticket rules
(fresh note, the next ticket's one-time key, sending a request on it); `replies` the check of a
gateway reply; `recovery` the walk of
`GET /state/{nullifier}`; `transfer` export and import.
"""

from prover.client.wallet.contents import WalletContents
from prover.client.wallet.errors import (
    CorruptWalletError,
    ImportConflictError,
    InsufficientCreditError,
    InvalidReplyError,
    InvalidTransitionError,
    NoPendingTicketError,
    NoteBusyError,
    NoteExpiredError,
    NoteStatusError,
    TicketBoundError,
    UnknownNoteError,
    WalletClosedError,
    WalletError,
    WalletExistsError,
    WalletFormatError,
    WalletNotFoundError,
    WrongPassphraseError,
)
from prover.client.wallet.models import ServiceParams
from prover.client.wallet.note import DepositInfo, Note, NoteState, NoteStatus
from prover.client.wallet.recovery import FetchState, RecoveredNote, recover_note, restore_note
from prover.client.wallet.replies import next_state, ticket_nullifier
from prover.client.wallet.sealing import KdfParams
from prover.client.wallet.ticket import StoredRequest, Ticket
from prover.client.wallet.transfer import ImportReport
from prover.client.wallet.wallet import Wallet

__all__ = [
    "CorruptWalletError",
    "DepositInfo",
    "FetchState",
    "ImportConflictError",
    "ImportReport",
    "InsufficientCreditError",
    "InvalidReplyError",
    "InvalidTransitionError",
    "KdfParams",
    "NoPendingTicketError",
    "Note",
    "NoteBusyError",
    "NoteExpiredError",
    "NoteState",
    "NoteStatus",
    "NoteStatusError",
    "RecoveredNote",
    "ServiceParams",
    "StoredRequest",
    "Ticket",
    "TicketBoundError",
    "UnknownNoteError",
    "Wallet",
    "WalletClosedError",
    "WalletContents",
    "WalletError",
    "WalletExistsError",
    "WalletFormatError",
    "WalletNotFoundError",
    "WrongPassphraseError",
    "next_state",
    "recover_note",
    "restore_note",
    "ticket_nullifier",
]
