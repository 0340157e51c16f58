"""Errors of the user's prover service (discovery, deposit, payer, proxy, CLI).

Every one derives from `ClientError`; `code` is a stable machine name and `status` the HTTP
status the local proxy answers with (OpenAI-shaped body `{"error": {message, type, code}}`).
"""

from __future__ import annotations

from enum import StrEnum

from prover.errors import SettingsValueError, ZkCreditsError
from prover.pricing.errors import PreflightRefused


class ClientError(ZkCreditsError):
    """Root of the prover service's errors. `field` names the offending value when there is one."""

    code = "client_error"
    status = 500
    kind = "api_error"


class DiscoveryError(ClientError):
    """The provider's ERC-8004 registration cannot be read, parsed or trusted."""

    code = "discovery_failed"
    status = 502


class TermsMismatchError(ClientError):
    """The gateway's 402 terms disagree with the values pinned from the vault (`field`)."""

    code = "terms_mismatch"
    status = 502


class ChainAccountError(ClientError):
    """The user's chain key is missing or malformed (it never comes from the command line)."""

    code = "chain_account"
    status = 400


class ChainUnreachableError(ClientError):
    """The chain RPC does not answer."""

    code = "chain_unreachable"
    status = 503


class RequestRefusedError(ClientError):
    """The request is refused before any proof (over the price cap, malformed, not sold)."""

    code = "request_refused"
    status = 400
    kind = "invalid_request_error"


class NoPayableNoteError(ClientError):
    """No note can pay for a call now (all busy, spent, expired, or not yet in a checkpoint)."""

    code = "insufficient_quota"
    status = 402
    kind = "insufficient_quota"


class NotesBusyError(NoPayableNoteError):
    """Every payable note is serving another call (one call per note at a time)."""

    code = "notes_busy"
    status = 429
    kind = "rate_limit_error"


class ChainViewError(ClientError):
    """The client's own chain view has no usable checkpoint root or Merkle path for the note."""

    code = "chain_view"
    status = 503


class ProvingError(ClientError):
    """Proving failed or the proof's public signals differ from what the wallet computed."""

    code = "proving_failed"
    status = 500


class GatewayError(ClientError):
    """The gateway refused the paid call with a wire error (`code` is the gateway's).

    `unreserved`: the refusal said `ticket: "unreserved"` (made before §6 step 3): the ticket is
    free for the next request."""

    status = 502
    kind = "api_error"

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int,
        field: str | None = None,
        unreserved: bool = False,
    ) -> None:
        super().__init__(f"gateway refused the call ({code}): {message}", field=field)
        self.code = code
        self.status = status
        self.kind = _KIND_BY_STATUS.get(status, "api_error")
        self.unreserved = unreserved


_KIND_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "insufficient_quota",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    429: "rate_limit_error",
}


class GatewayUnreachableError(ClientError):
    """No usable reply from the gateway after every retry of the same request: the request stays
    in flight on its ticket (resent before the note's next call)."""

    code = "gateway_unreachable"
    status = 504


class InvalidGatewayReplyError(ClientError):
    """A reply is malformed, or its PAYMENT-RESPONSE fails the wallet's or the schedule's check."""

    code = "invalid_gateway_reply"
    status = 502


class PenaltyChargedError(ClientError):
    """The gateway charged the policy penalty: the note is halted; `evidence_hash` says why."""

    code = "penalty_charged"
    status = 403
    kind = "permission_error"

    def __init__(self, message: str, *, evidence_hash: bytes) -> None:
        super().__init__(message, field="p")
        self.evidence_hash = evidence_hash


class ProxySecurityError(ClientError):
    """The local proxy refused a request: no/wrong bearer token, foreign Host or Origin."""

    code = "forbidden"
    status = 403
    kind = "permission_error"


class ProxyAuthError(ProxySecurityError):
    """No bearer token, or not the proxy's."""

    code = "invalid_api_key"
    status = 401
    kind = "authentication_error"


class ProxyConfigError(ClientError):
    """The local proxy was asked to listen where it must not (anything but loopback)."""

    code = "proxy_config"
    status = 500


class KeysUnavailableError(ClientError):
    """No usable proving keys for the provider: none built locally with its pinned vk hashes, none
    cached, and its published files missing, unreachable or not what it pins (`field` names the
    file, e.g. `keys.request/proving_key.bin`). Nothing is deposited without usable keys."""

    code = "keys_unavailable"
    status = 503


class Cause(StrEnum):
    CHECKPOINT_PENDING = "checkpoint_pending"
    TICKET_PENDING = "ticket_pending"
    CREDIT_EXHAUSTED = "credit_exhausted"
    NOTE_EXPIRED = "note_expired"
    NO_DEPOSIT = "no_deposit"


class WhyNotError(NoPayableNoteError):
    """No note can pay; `cause` says why and `retry_after_s` when waiting helps."""

    cause: Cause = Cause.NO_DEPOSIT
    retry_after_s: int | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)


class NoDepositError(WhyNotError):
    """There is no deposited, active note for this provider."""

    cause = Cause.NO_DEPOSIT
    code = "no_deposit"
    status = 402
    kind = "insufficient_quota"


class CreditExhaustedError(WhyNotError):
    """Every live note is below one call's worst-case price (c_max) plus the reserve."""

    cause = Cause.CREDIT_EXHAUSTED
    code = "credit_exhausted"
    status = 402
    kind = "insufficient_quota"


class NotesExpiredError(WhyNotError):
    """Every note that still had credit is past its expiry day."""

    cause = Cause.NOTE_EXPIRED
    code = "note_expired"
    status = 402
    kind = "insufficient_quota"


class TicketPendingError(WhyNotError):
    """The notes that could pay each have a call still waiting for its reply."""

    cause = Cause.TICKET_PENDING
    code = "ticket_pending"
    status = 409
    kind = "conflict_error"


class CheckpointPendingError(WhyNotError):
    """A note is funded but its deposit is not in a final checkpoint yet."""

    cause = Cause.CHECKPOINT_PENDING
    code = "checkpoint_pending"
    status = 503
    kind = "api_error"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message, field="checkpoint")
        self.retry_after_s = retry_after_s


class TeeRefusedError(ClientError):
    """The provider's TEE attestation failed a check (`check`), or there is none to check."""

    code = "tee_refused"
    status = 502

    def __init__(
        self, message: str, *, check: str, field: str | None = None, retryable: bool = False
    ) -> None:
        super().__init__(message, field=field)
        self.check = check
        self.retryable = retryable
        """The document could not be fetched (network): nothing was judged yet."""


class DepositError(ClientError):
    """The vault refused the deposit (its custom error by name), or the transaction failed."""

    code = "deposit_failed"
    status = 502


class InsufficientTokenBalanceError(ClientError):
    """The account holds fewer tokens than the deposit needs (nothing was sent)."""

    code = "insufficient_token_balance"
    status = 400


class TokenApprovalError(ClientError):
    """`approve(vault, amount)` reverted, or did not leave the allowance the deposit needs."""

    code = "approve_failed"
    status = 502


class ProfileError(ClientError):
    """The profile file is missing, unreadable or malformed."""

    code = "profile_error"


class PreflightRefusedError(RequestRefusedError):
    """The shared pre-flight refuses the request (the gateway would, before reservation): no
    ticket is bound. `code` is the pre-flight's (`cost_exceeds_c_max`, `unknown_model`, …)."""

    def __init__(self, refused: PreflightRefused) -> None:
        super().__init__(str(refused), field=refused.field)
        self.code = refused.reason.value


class RequestNotSent(GatewayUnreachableError):
    """No attempt left the machine: the request never reached the gateway (ticket free)."""


class TeeSettingError(ClientError, SettingsValueError):
    """A `ZKCREDITS_TEE_*` variable holds a malformed value (exit status 2 on the command line)."""

    code = "bad_setting"  # ClientError's code would come first in the MRO
