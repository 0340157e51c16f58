"""Measurement pins: the MRTD and RTMR0-3 of the images a client accepts, and the check.

A provider publishes, in its registration file, the measurements of the image(s) its gateway runs
and where each image comes from (`image`: a name, a digest, the build recipe); docs/tee.md says
how to build an image whose measurements anyone can reproduce. A quote passes only if its five
registers equal, all of them, those of one pinned image.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from prover.attest.errors import MeasurementNotPinnedError

REGISTERS: Final = ("mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3")
MEASUREMENT_BYTES: Final = 48
MAX_PINNED_IMAGES: Final = 64


def _register(value: object) -> bytes:
    if isinstance(value, bytes):
        raw = value
    elif isinstance(value, str):
        text = value.removeprefix("0x")
        if len(text) != 2 * MEASUREMENT_BYTES:
            raise ValueError(f"must be {2 * MEASUREMENT_BYTES} hex digits (48 bytes)")
        try:
            raw = bytes.fromhex(text)
        except ValueError as exc:
            raise ValueError("is not hex") from exc
    else:
        raise ValueError("must be a hex string")
    if len(raw) != MEASUREMENT_BYTES:
        raise ValueError("must be 48 bytes")
    return raw


Register = Annotated[
    bytes, BeforeValidator(_register), PlainSerializer(lambda b: b.hex(), return_type=str)
]
"""A 48-byte SHA-384 measurement register; plain lowercase hex on the wire (as TDX tools print)."""


class Measurements(BaseModel):
    """The five measurement registers of a TD report."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mrtd: Register
    """The TD's initial contents (firmware, TDVF): measured by the TDX module at build time."""
    rtmr0: Register
    """Firmware configuration (TD HOB, ACPI tables, CFV) as measured by TDVF."""
    rtmr1: Register
    """The OS loader and kernel (EFI boot services, kernel image)."""
    rtmr2: Register
    """Kernel command line and initrd."""
    rtmr3: Register
    """Run-time extensions by the TD's own software (zero if the image never extends it)."""


class PinnedImage(Measurements):
    """One accepted image: its measurements and what they come from."""

    image: str = Field(min_length=1, max_length=512)
    """Where the measurements come from: image name and digest, and the recipe that rebuilds it."""


class MeasurementPins(BaseModel):
    """The images a client (or validator) accepts; the registration file carries this list."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    images: tuple[PinnedImage, ...] = Field(min_length=1, max_length=MAX_PINNED_IMAGES)

    def match(self, measured: Measurements) -> PinnedImage:
        """The pinned image whose five registers all equal `measured`; else
        `MeasurementNotPinnedError` naming the first differing register of the closest image."""
        best: tuple[int, str] | None = None
        for image in self.images:
            differing = [r for r in REGISTERS if getattr(image, r) != getattr(measured, r)]
            if not differing:
                return image
            if best is None or len(differing) < best[0]:
                best = (len(differing), differing[0])
        assert best is not None  # images is never empty
        register = best[1]
        raise MeasurementNotPinnedError(
            f"{register} {getattr(measured, register).hex()} is not pinned "
            f"(no pinned image has these five measurements)",
            field=f"measurements.{register}",
        )
