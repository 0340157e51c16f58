"""Errors raised on purpose by `prover.crypto`; all derive from `CryptoError`."""

from __future__ import annotations

from prover.errors import ZkCreditsError


class CryptoError(ZkCreditsError):
    """Root of every crypto-core error. `field` names the offending input when there is one."""


class NonCanonicalError(CryptoError):
    """A value is not a canonical element of its set (field element, scalar, range)."""


class EncodingError(CryptoError):
    """Bytes or a string do not have the exact expected encoding."""


class PoseidonArityError(CryptoError):
    """Poseidon was called with an unsupported number of inputs."""


class PointError(CryptoError):
    """A Baby Jubjub point is not acceptable."""


class NotOnCurveError(PointError):
    """Coordinates do not satisfy the Baby Jubjub curve equation."""


class NotInSubgroupError(PointError):
    """A point is on the curve but not in the prime-order subgroup (or is the identity)."""


class InvalidKeyError(CryptoError):
    """A secret or public key is outside its allowed range."""


class MalformedSignatureError(CryptoError):
    """A signature's wire form is malformed or out of range."""


class RecoveryError(CryptoError):
    """The RLN secret cannot be recovered from the given shares."""


class MerkleError(CryptoError):
    """A LeanIMT operation was refused (bad leaf, bad index, tree full, malformed proof)."""


class MalformedRequestError(CryptoError):
    """A request field for the request hash is malformed."""


class MalformedTicketKeyError(EncodingError):
    """A one-time key or signature is not in its one canonical encoding (or has small order)."""
