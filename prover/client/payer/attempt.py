"""One paid attempt: a request journalled on a note's ticket, its proof, and the x402 header.

The ticket's one-time key is fixed before any proof of it exists (`Wallet.key_ticket`); the
request is journalled on the ticket BEFORE it is sent (`Wallet.begin_call`, PROTOCOL v3 §6, §8);
the proof (made ahead of time, or now) shows `x = H(pk)`, and the key signs the canonical request
into `PAYMENT-SIGNATURE` (§9). A resend carries exactly the same bytes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from prover.client.errors import RequestRefusedError
from prover.client.payer.request_prover import CallProof, check_call_proof
from prover.client.wallet import Note, StoredRequest, Ticket, Wallet
from prover.crypto import RequestFields, TicketKey
from prover.crypto.errors import CryptoError
from prover.wire import HEADER_SIGNATURE, encode_header, signed_payment


@dataclass
class Attempt:
    """A leased note, its ticket with the request in flight, and (once proved) the header."""

    note: Note
    ticket: Ticket
    proof: CallProof | None = None
    header: str | None = None

    @property
    def request(self) -> StoredRequest:
        assert self.ticket.request is not None, "an attempt always has its request in flight"
        return self.ticket.request


def new_request(
    service_id: int, method: str, target: str, body: bytes, today: int
) -> RequestFields:
    """The request's D5 fields under a fresh random 128-bit request id."""
    try:
        return RequestFields.create(
            method=method,
            path=target,
            body=body,
            service_id=service_id,
            today=today,
            request_id=secrets.token_bytes(16),
        )
    except CryptoError as exc:
        raise RequestRefusedError(f"request cannot be signed: {exc}", field="request") from exc


def bind(wallet: Wallet, note: Note, request: RequestFields) -> Attempt:
    """Journal `request` on the note's ticket (its key drawn first if needed) before sending."""
    ticket = wallet.begin_call(note.id, request)
    return Attempt(note=wallet.note(note.id), ticket=ticket)


def sign_header(attempt: Attempt, proof: CallProof, chain_id: int) -> None:
    """Attach the proof (checked to be this ticket's, for this day) and the signed header."""
    request = attempt.request
    check_call_proof(proof, attempt.ticket, request.today)
    payment = signed_payment(
        network=f"eip155:{chain_id}",
        proof=proof.calldata,
        public_signals=proof.public_signals,
        key=TicketKey.from_secret(attempt.ticket.secret),
        request=request.fields(attempt.note.service.service_id),
    )
    attempt.proof = proof
    attempt.header = encode_header(payment)


def paid_headers(attempt: Attempt, content_type: str | None, accept: str) -> dict[str, str]:
    """The headers of a paid request: the signed `PAYMENT-SIGNATURE`, Accept, Content-Type."""
    assert attempt.header is not None
    headers = {HEADER_SIGNATURE: attempt.header, "Accept": accept}
    if content_type:
        headers["Content-Type"] = content_type
    return headers
