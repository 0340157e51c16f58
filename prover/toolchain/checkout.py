"""The build/dev boundary: the source checkout, for build-time code only.

Runtime code never reads the source tree: it loads what the build packaged
(`prover.artifacts`). Build-time code (compiling contracts and circuits, rendering verifiers,
ceremonies, the artifact build itself) calls `checkout_root()`, which fails with
`CheckoutRequiredError` in an installed package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from prover.toolchain.errors import CheckoutRequiredError

_CANDIDATE: Final = Path(__file__).resolve().parents[2]
MARKERS: Final = ("pyproject.toml", "contracts/vault", "circuits/instances.json")
"""Files only a zkcredits source checkout has beside the `prover` package."""


def in_checkout() -> bool:
    """True when this `prover` package runs from a source checkout (editable install)."""
    return all((_CANDIDATE / marker).exists() for marker in MARKERS)


def checkout_root(purpose: str) -> Path:
    """The checkout's root, for `purpose` (a build step); raises outside a checkout."""
    if not in_checkout():
        raise CheckoutRequiredError(
            f"{purpose} needs the zkcredits source checkout; this installed package has only "
            "the built artifacts (prover/artifacts)",
            field="checkout",
        )
    return _CANDIDATE
