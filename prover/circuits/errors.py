"""Errors raised on purpose by `prover.circuits`; all derive from `CircuitError`."""

from __future__ import annotations

from prover.errors import ZkCreditsError


class CircuitError(ZkCreditsError):
    """Root of every circuits/keys/proving error. `field` names the offending input if any."""


class ArtifactError(CircuitError):
    """A compiled circuit, key or manifest is missing, incomplete or inconsistent."""


class ForgeableKeyError(ArtifactError):
    """A verifying key that accepts forged proofs (`gamma == delta`): refused everywhere."""


class KeySetupError(CircuitError):
    """A setup (dev or ceremony import) failed or produced an unusable key."""


class MalformedProofError(CircuitError):
    """Proof bytes or a snarkjs proof.json do not have the exact expected encoding."""


class MalformedSignalsError(CircuitError):
    """Public signals are not canonical field elements or have the wrong count."""


class MalformedInputsError(CircuitError):
    """Circuit inputs are not a mapping of signal names to (nested lists of) field elements."""


class WitnessFailedError(CircuitError):
    """The witness could not be computed or does not satisfy the circuit's constraints."""


class ProvingFailedError(CircuitError):
    """The prover failed (including a panic inside groth16py)."""


class SnarkjsError(CircuitError):
    """A snarkjs command failed or printed something unexpected."""


class CeremonyError(CircuitError):
    """A ceremony step failed, or a transcript/zkey does not verify."""


class WitnessError(WitnessFailedError):
    """The inputs do not satisfy the circuit; `template`/`line` locate the failing assert."""

    def __init__(
        self,
        message: str,
        *,
        template: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, field=field)
        self.template = template
        self.line = line


class ConstraintViolation(WitnessError):
    """A witness breaks an R1CS constraint; `constraint` is its index, `signals` its wires."""

    def __init__(self, message: str, *, constraint: int, signals: tuple[str, ...]) -> None:
        super().__init__(message, field=signals[0] if signals else None)
        self.constraint = constraint
        self.signals = signals


class CircuitInputError(MalformedInputsError):
    """A model field is malformed or non-canonical (`field` names it)."""
