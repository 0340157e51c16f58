"""Read circom's binary `.r1cs` and `.wtns` files, and check a witness against the constraints.

groth16py proves an unsatisfied witness without complaint (the proof then fails to verify), so
the prover checks `A·w ∘ B·w = C·w` here before spending a ticket on a proof.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from operator import mul
from pathlib import Path

from prover.circuits.errors import ArtifactError, WitnessFailedError
from prover.circuits.proof import P

LinearCombination = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True)
class R1csHeader:
    """Sizes from the r1cs header; public signals are wires 1..n_public (outputs first)."""

    n_wires: int
    n_pub_out: int
    n_pub_in: int
    n_prv_in: int
    n_constraints: int

    @property
    def n_public(self) -> int:
        return self.n_pub_out + self.n_pub_in


@dataclass(frozen=True)
class R1cs:
    """A parsed constraint system (coefficients reduced mod p)."""

    header: R1csHeader
    constraints: tuple[tuple[LinearCombination, LinearCombination, LinearCombination], ...]

    def first_unsatisfied(self, witness: list[int]) -> int | None:
        """Index of the first constraint the witness breaks, or None if all hold."""
        if len(witness) != self.header.n_wires:
            raise WitnessFailedError(
                f"witness has {len(witness)} wires, the circuit has {self.header.n_wires}",
                field="witness",
            )
        if witness[0] != 1:
            raise WitnessFailedError("witness wire 0 must be 1", field="witness[0]")
        at = witness.__getitem__  # map() keeps the per-term loop in C: ~40% less time
        for index, ((aw, ak), (bw, bk), (cw, ck)) in enumerate(self.constraints):
            a = sum(map(mul, ak, map(at, aw)))
            b = sum(map(mul, bk, map(at, bw)))
            if (a * b - sum(map(mul, ck, map(at, cw)))) % P:
                return index
        return None


def _sections(data: bytes, magic: bytes, path: Path) -> dict[int, tuple[int, int]]:
    if data[:4] != magic:
        raise ArtifactError(f"{path} is not a {magic.decode()} file", field=str(path))
    (n_sections,) = struct.unpack_from("<I", data, 8)
    pos, out = 12, {}
    for _ in range(n_sections):
        kind, size = struct.unpack_from("<IQ", data, pos)
        out[kind] = (pos + 12, size)
        pos += 12 + size
    if pos != len(data):
        raise ArtifactError(f"{path} is truncated or has trailing bytes", field=str(path))
    return out


def _check_prime(data: bytes, pos: int, path: Path) -> int:
    (n8,) = struct.unpack_from("<I", data, pos)
    prime = int.from_bytes(data[pos + 4 : pos + 4 + n8], "little")
    if prime != P:
        raise ArtifactError(f"{path} is not over the BN254 scalar field", field=str(path))
    return int(n8)


def read_r1cs_header(path: Path) -> R1csHeader:
    """Only the header (cheap)."""
    return read_r1cs(path, constraints=False).header


def read_r1cs(path: Path, *, constraints: bool = True) -> R1cs:
    """Parse an r1cs file; `constraints=False` skips the constraint section."""
    data = path.read_bytes()
    sections = _sections(data, b"r1cs", path)
    pos, _ = sections[1]
    n8 = _check_prime(data, pos, path)
    pos += 4 + n8
    n_wires, n_pub_out, n_pub_in, n_prv_in = struct.unpack_from("<IIII", data, pos)
    (n_constraints,) = struct.unpack_from("<I", data, pos + 24)
    header = R1csHeader(n_wires, n_pub_out, n_pub_in, n_prv_in, n_constraints)
    if not constraints:
        return R1cs(header, ())
    pos, _ = sections[2]
    parsed = []
    for _ in range(n_constraints):
        lcs = []
        for _ in range(3):
            (n_terms,) = struct.unpack_from("<I", data, pos)
            pos += 4
            wires, coeffs = [], []
            for _ in range(n_terms):
                (wire,) = struct.unpack_from("<I", data, pos)
                wires.append(wire)
                coeffs.append(int.from_bytes(data[pos + 4 : pos + 4 + n8], "little") % P)
                pos += 4 + n8
            lcs.append((tuple(wires), tuple(coeffs)))
        parsed.append((lcs[0], lcs[1], lcs[2]))
    return R1cs(header, tuple(parsed))


def read_wtns(path: Path) -> list[int]:
    """All witness values (wire 0 is the constant 1)."""
    data = path.read_bytes()
    sections = _sections(data, b"wtns", path)
    pos, _ = sections[1]
    n8 = _check_prime(data, pos, path)
    (count,) = struct.unpack_from("<I", data, pos + 4 + n8)
    start, size = sections[2]
    if size != count * n8:
        raise ArtifactError(f"{path} has a witness section of the wrong size", field=str(path))
    return [
        int.from_bytes(data[start + i * n8 : start + (i + 1) * n8], "little") for i in range(count)
    ]
