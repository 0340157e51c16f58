"""The root of every error the `prover` package raises on purpose."""


class ZkCreditsError(Exception):
    """Base class: callers catch this to handle any zkcredits failure."""
