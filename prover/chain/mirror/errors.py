"""Errors raised on purpose by the event mirror; all derive from `MirrorError`."""

from __future__ import annotations

from prover.chain.errors import ChainError


class MirrorError(ChainError):
    """Root of every event-mirror error. `field` names the offending value when there is one."""


class MirrorMismatchError(MirrorError):
    """The mirror file belongs to another chain, vault or schema: it is refused, never reused."""


class MirrorReorgError(MirrorError):
    """A block the mirror already ingested is no longer on the chain (a reorg deeper than the
    finality point): the mirror stops; delete the file and resync with more confirmations."""


class MirrorInconsistentError(MirrorError):
    """An event disagrees with the mirror's own state (index, leaf or root): it is not ingested."""


class MirrorRpcError(MirrorError):
    """The node did not answer (or answered nonsense) while syncing."""
