"""Errors of the packaged build artifacts."""

from prover.errors import ZkCreditsError


class ArtifactsError(ZkCreditsError):
    """Root: the packaged build artifacts are missing, incomplete or malformed."""


class PackagedArtifactMissingError(ArtifactsError):
    """An artifact the runtime needs was not built into the package (`field` names it)."""
