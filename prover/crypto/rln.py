"""Rate-Limiting Nullifier pieces of §4, §6, §7 and §10 (note ID, leaf, slope, shares)."""

from __future__ import annotations

import re
from typing import Final

from Crypto.Hash import keccak

from prover.crypto.errors import EncodingError, RecoveryError
from prover.crypto.field import P, inv, require_canonical, require_range
from prover.crypto.poseidon import poseidon
from prover.crypto.tags import TAG_ID, TAG_LEAF, TAG_NULL, TAG_SLOPE, TAG_WD

_ADDRESS_RE: Final = re.compile(r"0x[0-9a-fA-F]{40}")
_U64: Final[int] = 1 << 64
_U256: Final[int] = 1 << 256


def keccak256(data: bytes) -> bytes:
    """Ethereum keccak-256."""
    return keccak.new(digest_bits=256, data=data).digest()


def note_id(k: int) -> int:
    """ID = H(TAG_ID, k)."""
    return poseidon(TAG_ID, require_canonical(k, "k"))


def leaf(note: int, deposit: int, expiry: int) -> int:
    """leaf = H(TAG_LEAF, ID, D, expiry) with D < 2^64 and expiry < 2^64."""
    require_canonical(note, "ID")
    require_range(deposit, _U64, "D")
    require_range(expiry, _U64, "expiry")
    return poseidon(TAG_LEAF, note, deposit, expiry)


def slope(k: int, n: int, service_id: int) -> int:
    """a = H(TAG_SLOPE, k, n, service_id)."""
    require_canonical(k, "k")
    require_range(n, (1 << 32) + 1, "n")
    return poseidon(TAG_SLOPE, k, n, require_canonical(service_id, "service_id"))


def nullifier(a: int) -> int:
    """nullifier = H(TAG_NULL, a)."""
    return poseidon(TAG_NULL, require_canonical(a, "a"))


def share(k: int, a: int, x: int) -> int:
    """y = k + a·x (mod p)."""
    require_canonical(k, "k")
    require_canonical(a, "a")
    require_canonical(x, "x")
    return (k + a * x) % P


def recover_secret(x1: int, y1: int, x2: int, y2: int) -> int:
    """k = (y1·x2 − y2·x1)/(x2 − x1) from two shares on one line; refuses x1 == x2."""
    for name, v in (("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2)):
        require_canonical(v, name)
    if x1 == x2:
        raise RecoveryError("shares have the same x; the secret cannot be recovered", field="x2")
    return (y1 * x2 - y2 * x1) * inv((x2 - x1) % P, "x2 - x1") % P


def withdrawal_point(service_id: int) -> int:
    """x_w = H(TAG_WD, service_id)."""
    return poseidon(TAG_WD, require_canonical(service_id, "service_id"))


def parse_address(address: str | bytes, name: str = "address") -> bytes:
    """20-byte address from bytes or 0x-hex (mixed case must be a valid EIP-55 checksum)."""
    if isinstance(address, bytes | bytearray):
        if len(address) != 20:
            raise EncodingError(f"{name} must be 20 bytes", field=name)
        return bytes(address)
    if not isinstance(address, str) or not _ADDRESS_RE.fullmatch(address):
        raise EncodingError(f"{name} must be 0x followed by 40 hex digits", field=name)
    body = address[2:]
    if body != body.lower() and body != body.upper():
        digest = keccak256(body.lower().encode("ascii")).hex()
        expect = "".join(
            c.upper() if int(digest[i], 16) >= 8 else c for i, c in enumerate(body.lower())
        )
        if body != expect:
            raise EncodingError(f"{name} has an invalid EIP-55 checksum", field=name)
    return bytes.fromhex(body)


def service_id(chain_id: int, vault_address: str | bytes) -> int:
    """uint256(keccak256(abi.encode(chainid, address(vault)))) mod p."""
    require_range(chain_id, _U256, "chain_id")
    addr = parse_address(vault_address, "vault_address")
    encoded = chain_id.to_bytes(32, "big") + bytes(12) + addr
    return int.from_bytes(keccak256(encoded), "big") % P
