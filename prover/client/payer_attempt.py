"""One paid attempt: the ticket bound to one request, and its proof as `PAYMENT-SIGNATURE`.

The ticket is bound durably (`begin_call`) BEFORE any proof leaves (PROTOCOL §6, §8); the proof
is made against the newest checkpoint root of the client's own chain view (§11) and sent in the
x402 header (§9). A retry re-proves the SAME ticket, never a new one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from anyio import to_thread

from prover.client.client_errors import RequestRefusedError
from prover.client.request_prover import CallProof, NoteProver
from prover.client.tree_view import TreeView
from prover.client.wallet import Note, PendingTicket, Wallet, WalletError
from prover.crypto import RequestFields
from prover.crypto.errors import CryptoError
from prover.wire import (
    HEADER_SIGNATURE,
    SCHEME,
    X402_VERSION,
    PaymentPayload,
    PaymentSignature,
    encode_header,
)


@dataclass
class Attempt:
    """A leased note, the ticket bound on it, and (once proved) the header that pays."""

    note: Note
    ticket: PendingTicket
    proof: CallProof | None = None
    header: str | None = None


def bind_ticket(
    wallet: Wallet, service_id: int, note: Note, method: str, target: str, body: bytes, today: int
) -> PendingTicket:
    """Bind the note's next ticket to this request under a fresh random request id."""
    while True:
        try:
            fields = RequestFields.create(
                method=method,
                path=target,
                body=body,
                service_id=service_id,
                today=today,
                request_id=secrets.token_bytes(16),
            )
        except CryptoError as exc:
            raise RequestRefusedError(f"request cannot be bound: {exc}", field="request") from exc
        try:
            return wallet.begin_call(note.id, fields)
        except WalletError as exc:
            if exc.field == "x":
                continue  # x = 0 (≈ 2^-254): draw a new request id
            raise


async def prove_attempt(
    attempt: Attempt, wallet: Wallet, tree: TreeView, prover: NoteProver, chain_id: int
) -> None:
    """Prove the attempt's ticket against the newest checkpoint and encode the header."""
    note = wallet.note(attempt.note.id)
    path = await to_thread.run_sync(tree.merkle_proof, note.deposit.leaf_index)  # type: ignore[union-attr]
    proof = await to_thread.run_sync(prover.prove, note, attempt.ticket, path)
    payload = PaymentPayload(
        proof=proof.calldata,
        public_signals=proof.public_signals,
        request_id=attempt.ticket.request.request_id,
        today=attempt.ticket.request.today,
    )
    signature = PaymentSignature(
        x402_version=X402_VERSION,
        scheme=SCHEME,
        network=f"eip155:{chain_id}",
        payload=payload,
    )
    attempt.proof = proof
    attempt.header = encode_header(signature)


def paid_headers(attempt: Attempt, content_type: str | None, accept: str) -> dict[str, str]:
    """The headers of a paid request: the proved `PAYMENT-SIGNATURE`, Accept, Content-Type."""
    assert attempt.header is not None
    headers = {HEADER_SIGNATURE: attempt.header, "Accept": accept}
    if content_type:
        headers["Content-Type"] = content_type
    return headers
