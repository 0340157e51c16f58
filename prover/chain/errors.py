"""Errors raised on purpose by `prover.chain`; all derive from `ChainError`."""

from __future__ import annotations

from prover.errors import ZkCreditsError


class ChainError(ZkCreditsError):
    """Root of every chain-client error (compile, deploy, transaction, decoding)."""


class ContractRevertError(ChainError):
    """A call or transaction reverted; `name`/`args` decode the custom error when known.

    `name` is the Solidity error name (e.g. `NoteNotActive`), `Error` for `require` strings,
    `Panic` for panics, `""` for empty revert data, `"unknown"` for an unknown selector.
    """

    def __init__(self, name: str, args: tuple[object, ...], data: bytes, context: str) -> None:
        shown = f"{name}{args}" if name else "revert without data"
        super().__init__(f"{context} reverted: {shown}")
        self.name = name
        self.args_ = args
        self.data = data
        self.context = context


class TransactionFailedError(ChainError):
    """A mined transaction has status 0 although its dry run passed."""


class VaultParamsError(ChainError):
    """Vault parameters break a rule of PROTOCOL §3 (checked before deploying)."""


class FinalityLagError(ChainError):
    """The chain's finality lag cannot be measured (no `finalized` block, or an absurd one)."""
