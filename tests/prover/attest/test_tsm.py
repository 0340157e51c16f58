"""configfs-tsm quote generation, driven against a directory that MIMICS the kernel interface.

No TDX hardware exists here. `MimicConfigFs` performs every file operation for real on a
temporary directory (the code under test runs unchanged) and adds the side effects the kernel
would have: `mkdir` creates the attribute files, a write to `inblob` bumps `generation`, a read of
`outblob` returns a quote. That quote is a real TDX quote with the requested `report_data` spliced
in, so its signature no longer verifies: this tests the protocol, not a TDX module.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from prover.attest.errors import QuoteSignatureError, TsmError
from prover.attest.quote import parse_tdx_quote
from prover.attest.tsm import ConfigFs, generate_quote
from prover.attest.verify import verify_quote

from .test_binding import _binding
from .vectors import regions, vector


class MimicConfigFs(ConfigFs):
    """A plain directory plus the kernel's side effects (see the module docstring)."""

    def __init__(self, provider: str = "tdx_guest") -> None:
        self.provider = provider
        self.outblob_error: int | None = None
        self.concurrent_writer = False
        self.calls: list[str] = []

    def mkdir(self, path: Path) -> None:
        super().mkdir(path)
        self.calls.append("mkdir")
        (path / "provider").write_text(self.provider + "\n")
        (path / "generation").write_text("0\n")
        (path / "inblob").write_bytes(b"")
        (path / "outblob").write_bytes(b"")

    def rmdir(self, path: Path) -> None:
        self.calls.append("rmdir")
        for child in path.iterdir():  # configfs removes the attributes with the directory
            child.unlink()
        super().rmdir(path)

    def write(self, path: Path, data: bytes) -> None:
        super().write(path, data)
        self.calls.append(f"write {path.name}")
        if path.name == "inblob":
            generation = path.parent / "generation"
            bump = 2 if self.concurrent_writer else 1
            generation.write_text(f"{int(generation.read_text()) + bump}\n")

    def read(self, path: Path) -> bytes:
        self.calls.append(f"read {path.name}")
        if path.name == "outblob":
            if self.outblob_error is not None:
                raise OSError(self.outblob_error, "mimicked kernel error")
            inblob = (path.parent / "inblob").read_bytes()
            raw = bytearray(vector("tdx_quote").raw)
            where = regions(bytes(raw)).report_data
            raw[where.start : where.stop] = inblob
            path.write_bytes(bytes(raw))
        return super().read(path)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    report = tmp_path / "config" / "tsm" / "report"
    report.mkdir(parents=True)
    return report


def test_a_quote_is_generated_over_the_binding_and_the_instance_is_removed(root: Path) -> None:
    fs = MimicConfigFs()
    report_data = _binding().report_data()
    raw = generate_quote(report_data, root=root, fs=fs)
    assert parse_tdx_quote(raw).report_data == report_data
    assert fs.calls == [
        "mkdir",
        "read provider",
        "read generation",
        "write inblob",
        "read outblob",
        "read generation",
        "rmdir",
    ]
    assert list(root.iterdir()) == []


def test_the_mimicked_quote_is_not_a_valid_quote(root: Path) -> None:
    """The mimic cannot sign: whatever it returns fails verification (labelled, not pretended)."""
    raw = generate_quote(_binding().report_data(), root=root, fs=MimicConfigFs())
    v = vector("tdx_quote")
    with pytest.raises(QuoteSignatureError):
        verify_quote(raw, v.collateral, now=v.now)


def test_a_missing_interface_is_a_named_error(tmp_path: Path) -> None:
    with pytest.raises(TsmError) as info:
        generate_quote(bytes(64), root=tmp_path / "absent", fs=MimicConfigFs())
    assert info.value.field == "tsm_root"


def test_a_provider_other_than_tdx_guest_is_refused_and_cleaned_up(root: Path) -> None:
    with pytest.raises(TsmError) as info:
        generate_quote(bytes(64), root=root, fs=MimicConfigFs(provider="sev_guest"))
    assert info.value.field == "provider"
    assert "sev_guest" in str(info.value)
    assert list(root.iterdir()) == []


def test_a_concurrent_writer_is_detected_through_generation(root: Path) -> None:
    fs = MimicConfigFs()
    fs.concurrent_writer = True
    with pytest.raises(TsmError) as info:
        generate_quote(bytes(64), root=root, fs=fs)
    assert info.value.field == "generation"
    assert list(root.iterdir()) == []


@pytest.mark.parametrize(
    ("code", "hint"), [(errno.EFBIG, "maximum"), (errno.EBUSY, "still"), (errno.EIO, "host")]
)
def test_a_kernel_error_on_outblob_is_named_with_its_errno(
    root: Path, code: int, hint: str
) -> None:
    fs = MimicConfigFs()
    fs.outblob_error = code
    with pytest.raises(TsmError) as info:
        generate_quote(bytes(64), root=root, fs=fs)
    assert info.value.field == "outblob"
    assert errno.errorcode[code] in str(info.value) and hint in str(info.value)
    assert list(root.iterdir()) == []


@pytest.mark.parametrize("length", [0, 32, 63, 65])
def test_report_data_of_any_length_but_64_is_refused_before_touching_the_interface(
    root: Path, length: int
) -> None:
    fs = MimicConfigFs()
    with pytest.raises(TsmError) as info:
        generate_quote(bytes(length), root=root, fs=fs)
    assert info.value.field == "report_data"
    assert fs.calls == []
