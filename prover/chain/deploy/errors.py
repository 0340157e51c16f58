"""Errors of the deploy / ERC-8004 layer; all derive from `DeployError` (a `ChainError`)."""

from __future__ import annotations

from prover.chain.errors import ChainError


class DeployError(ChainError):
    """Root of every deploy, registry and registration-file error. `field` names the culprit."""


class RpcUnreachableError(DeployError):
    """The RPC URL does not answer, or answers something that is not an Ethereum node."""


class DeployerKeyError(DeployError):
    """The deployer's private key is missing or malformed."""


class InsufficientFundsError(DeployError):
    """The deployer cannot pay for the whole deployment."""


class MissingBuildError(DeployError):
    """Generated verifiers, the build manifest or a contract source is missing."""


class DevSetupRefusedError(DeployError):
    """A single-party (dev) trusted setup may only be deployed on a local chain."""


class TransactionRevertedError(DeployError):
    """A transaction or call reverted; `error_name`/`error_args` decode the custom error."""

    def __init__(
        self, message: str, *, error_name: str | None = None, error_args: tuple[object, ...] = ()
    ) -> None:
        super().__init__(message, field=error_name)
        self.error_name = error_name
        self.error_args = error_args


class RegistrationError(DeployError):
    """A registration file is malformed (bad URI, bad JSON, wrong type or shape)."""


class RegistrationMismatchError(RegistrationError):
    """A registration file disagrees with the vault on chain; `field` names the value."""

    def __init__(self, field: str, expected: object, actual: object) -> None:
        super().__init__(
            f"registration field {field!r} is {actual!r} but the vault says {expected!r}",
            field=field,
        )
        self.expected = expected
        self.actual = actual
