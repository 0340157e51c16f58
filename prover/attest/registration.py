"""The TEE part of a provider's registration file, and the expectation a verifier derives from it.

The registration file (PROTOCOL §12, docs/erc8004.md) gains one optional key under `zkcredits`:

    "tee": {"gateway_key": {"kind": "tls-spki-sha256" | "onion-v3", "sha256": "0x…"},
            "images": [{"image": "…", "mrtd": "…", "rtmr0": "…", …, "rtmr3": "…"}]}

`tee_view` reads only what a verifier needs (chain id, vault, `server_pk`, the `tee` key) from the
file's JSON, leniently about every other key, so this module does not depend on the exact shape
of the rest of the file. A verifier builds its `Expectation` from these values and its OWN TCB
policy; the provider never chooses the policy its quotes are judged by.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prover.attest.appraise import Expectation
from prover.attest.binding import Binding
from prover.attest.errors import AttestConfigError
from prover.attest.gateway_key import GatewayKey
from prover.attest.pins import MAX_PINNED_IMAGES, MeasurementPins, PinnedImage
from prover.attest.policy import TcbPolicy
from prover.wire.fields import FieldElement


class TeeRegistration(BaseModel):
    """`zkcredits.tee` in the registration file: the bound gateway key and the pinned images."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gateway_key: GatewayKey
    images: tuple[PinnedImage, ...] = Field(min_length=1, max_length=MAX_PINNED_IMAGES)

    def pins(self) -> MeasurementPins:
        return MeasurementPins(images=self.images)


class _Params(BaseModel):
    model_config = ConfigDict(extra="ignore")

    server_pk: tuple[FieldElement, FieldElement]


class _Terms(BaseModel):
    model_config = ConfigDict(extra="ignore")

    chain_id: int
    vault: str
    params: _Params
    tee: TeeRegistration | None = None


class _File(BaseModel):
    model_config = ConfigDict(extra="ignore")

    zkcredits: _Terms


class TeeView(BaseModel):
    """What a verifier reads from a registration file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    binding: Binding
    tee: TeeRegistration

    def expectation(self, policy: TcbPolicy | None = None) -> Expectation:
        return Expectation(pins=self.tee.pins(), policy=policy or TcbPolicy(), binding=self.binding)


def tee_view(registration: dict[str, Any]) -> TeeView:
    """The binding and pins a registration file declares; `AttestConfigError` if it has none or
    they are malformed (`field` names the first bad key)."""
    try:
        parsed = _File.model_validate(registration)
        terms = parsed.zkcredits
        if terms.tee is None:
            raise AttestConfigError(
                "the registration file declares no TEE attestation", field="zkcredits.tee"
            )
        binding = Binding(
            chain_id=terms.chain_id,
            vault=terms.vault,
            server_pk=terms.params.server_pk,
            gateway_key=terms.tee.gateway_key,
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise AttestConfigError(f"{where}: {error['msg']}", field=where or "zkcredits") from None
    return TeeView(binding=binding, tee=terms.tee)


def tee_section(gateway_key: GatewayKey, images: tuple[PinnedImage, ...]) -> dict[str, Any]:
    """The JSON value of `zkcredits.tee` for a registration file."""
    return TeeRegistration(gateway_key=gateway_key, images=images).model_dump(mode="json")
