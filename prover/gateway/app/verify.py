"""Groth16 verification of a payment (§6 step 2), as a plain callable the app is given."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from prover.circuits.prover import CircuitKeys
from prover.errors import ZkCreditsError
from prover.gateway.app.errors import GatewayConfigError

VerifyFn = Callable[[bytes, Sequence[int]], bool]
"""`verify(proof_calldata_256_bytes, public_signals_in_D6_order) -> bool`; never raises."""


def verifier_from_keys(keys: CircuitKeys) -> VerifyFn:
    """The `request` circuit's prepared verifier; malformed proofs (off-curve points, coordinates
    ≥ q) count as invalid rather than raising."""
    if keys.name != "request" or keys.n_public != 12:
        raise GatewayConfigError(
            f"expected the request circuit's keys, got {keys.name}", field="keys"
        )

    def verify(proof: bytes, signals: Sequence[int]) -> bool:
        try:
            return keys.verify(proof, list(signals))
        except ZkCreditsError:
            return False

    return verify
