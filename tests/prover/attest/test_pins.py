"""Measurement pins: all five registers of one pinned image must match; refusals name it."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from prover.attest.errors import MeasurementNotPinnedError
from prover.attest.pins import REGISTERS, MeasurementPins, PinnedImage
from prover.attest.quote import parse_tdx_quote

from .vectors import vector


def _image_of(name: str, label: str = "sample image") -> PinnedImage:
    m = parse_tdx_quote(vector(name).raw).measurements
    return PinnedImage(image=label, **m.model_dump())


def test_a_quote_whose_five_registers_are_pinned_matches_that_image() -> None:
    measured = parse_tdx_quote(vector("tdx_quote").raw).measurements
    pins = MeasurementPins(images=(_image_of("tdx_quote_td15ex", "other"), _image_of("tdx_quote")))
    assert pins.match(measured).image == "sample image"


@pytest.mark.parametrize("register", REGISTERS)
def test_one_differing_register_is_refused_naming_it(register: str) -> None:
    measured = parse_tdx_quote(vector("tdx_quote").raw).measurements
    pinned = _image_of("tdx_quote").model_copy(update={register: b"\x5a" * 48})
    with pytest.raises(MeasurementNotPinnedError) as info:
        MeasurementPins(images=(pinned,)).match(measured)
    assert info.value.field == f"measurements.{register}"


def test_registers_of_two_images_do_not_combine_into_a_match() -> None:
    measured = parse_tdx_quote(vector("tdx_quote").raw).measurements
    a = _image_of("tdx_quote").model_copy(update={"rtmr3": b"\x5a" * 48})
    b = _image_of("tdx_quote").model_copy(update={"mrtd": b"\x5a" * 48})
    with pytest.raises(MeasurementNotPinnedError):
        MeasurementPins(images=(a, b)).match(measured)


def test_the_refusal_names_a_register_of_the_closest_image() -> None:
    measured = parse_tdx_quote(vector("tdx_quote").raw).measurements
    far = _image_of("tdx_quote_td15ex")
    near = _image_of("tdx_quote").model_copy(update={"rtmr2": b"\x5a" * 48})
    with pytest.raises(MeasurementNotPinnedError) as info:
        MeasurementPins(images=(far, near)).match(measured)
    assert info.value.field == "measurements.rtmr2"


def test_pins_round_trip_as_json_with_plain_hex_registers() -> None:
    pins = MeasurementPins(images=(_image_of("tdx_quote"),))
    text = pins.model_dump_json()
    data = json.loads(text)
    assert len(data["images"][0]["mrtd"]) == 96
    assert MeasurementPins.model_validate_json(text) == pins


@pytest.mark.parametrize(
    "bad",
    [
        {"images": []},
        {
            "images": [
                {"image": "x", "mrtd": "00", "rtmr0": "", "rtmr1": "", "rtmr2": "", "rtmr3": ""}
            ]
        },
        {"images": [{"image": "", **{r: "00" * 48 for r in REGISTERS}}]},
        {"images": [{"image": "x", **{r: "zz" * 48 for r in REGISTERS}}]},
        {"images": [{"image": "x", "extra": 1, **{r: "00" * 48 for r in REGISTERS}}]},
    ],
)
def test_malformed_pins_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        MeasurementPins.model_validate(bad)
