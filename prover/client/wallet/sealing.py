"""The sealed main-file format: scrypt key derivation, an authenticated header, AES-256-GCM.

Layout (all integers big-endian)::

    magic "ZKCWALT\\0" (8) | version u16 | kind u8 | kdf u8 (1 = scrypt) | log2 N u8 | r u32 | p u32
    | salt (16) | wallet uid (16) | key check (32) | nonce (12) | header checksum (8)
    | AES-256-GCM ciphertext of the JSON body ‖ tag (16)

The whole header is the GCM associated data, so nothing in it can change unnoticed. The unkeyed
checksum (first 8 bytes of SHA-256 of the header) tells a damaged header from a wrong passphrase,
and the key check (HMAC of the scrypt output) tells a wrong passphrase from a damaged body.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from Crypto.Cipher import AES
from Crypto.Protocol.KDF import scrypt

from prover.client.wallet.errors import CorruptWalletError, WalletError, WrongPassphraseError

MAGIC: Final[bytes] = b"ZKCWALT\x00"
FORMAT_VERSION: Final[int] = 1
_HEAD = struct.Struct(">8sHBBBII16s16s32s12s")
HEADER_SIZE: Final[int] = _HEAD.size + 8
TAG_SIZE: Final[int] = 16
NONCE_SIZE: Final[int] = 12
KDF_SCRYPT: Final[int] = 1
# Bounds on header parameters: refuse absurd work factors an attacker could plant in a file.
MAX_LOG2_N: Final[int] = 22
MIN_LOG2_N: Final[int] = 4
MAX_R_TIMES_P: Final[int] = 64
MAX_MEMORY: Final[int] = 1 << 30  # scrypt needs 128·N·r bytes


class FileKind(IntEnum):
    WALLET = 1
    EXPORT = 2


@dataclass(frozen=True, slots=True)
class KdfParams:
    """scrypt cost: N = 2^log2_n, r, p. The default (2^17, 8, 1) takes ~0.5 s and 128 MiB."""

    log2_n: int = 17
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if not MIN_LOG2_N <= self.log2_n <= MAX_LOG2_N:
            raise WalletError(
                f"scrypt log2_n must be in [{MIN_LOG2_N}, {MAX_LOG2_N}], got {self.log2_n}",
                field="log2_n",
            )
        if self.r < 1 or self.p < 1 or self.r * self.p > MAX_R_TIMES_P:
            raise WalletError(
                f"scrypt r, p must be ≥ 1 with r·p ≤ {MAX_R_TIMES_P}", field="kdf_params"
            )
        if 128 * (1 << self.log2_n) * self.r > MAX_MEMORY:
            raise WalletError(
                "scrypt parameters need more than 1 GiB of memory", field="kdf_params"
            )


@dataclass(frozen=True, slots=True)
class Keys:
    """Keys derived from one scrypt output: body/journal encryption, key check, lock names."""

    enc: bytes
    check: bytes
    lock: bytes


@dataclass(frozen=True, slots=True)
class Header:
    version: int
    kind: FileKind
    kdf: KdfParams
    salt: bytes
    wallet_uid: bytes
    check: bytes
    nonce: bytes

    def pack(self) -> bytes:
        head = _HEAD.pack(
            MAGIC,
            self.version,
            int(self.kind),
            KDF_SCRYPT,
            self.kdf.log2_n,
            self.kdf.r,
            self.kdf.p,
            self.salt,
            self.wallet_uid,
            self.check,
            self.nonce,
        )
        return head + hashlib.sha256(head).digest()[:8]


def _label(master: bytes, label: bytes) -> bytes:
    return hmac.new(master, b"zkcredits/wallet/v1/" + label, hashlib.sha256).digest()


def derive_keys(passphrase: str, salt: bytes, kdf: KdfParams) -> Keys:
    """scrypt(passphrase, salt) → independent subkeys (HMAC-SHA256 with distinct labels)."""
    if not isinstance(passphrase, str) or passphrase == "":
        raise WalletError("passphrase must be a non-empty string", field="passphrase")
    kdf_fn: Callable[..., object] = scrypt  # the stubs type password and salt as str only
    master = kdf_fn(passphrase.encode("utf-8"), salt, 32, N=1 << kdf.log2_n, r=kdf.r, p=kdf.p)
    assert isinstance(master, bytes)
    return Keys(
        enc=_label(master, b"enc"), check=_label(master, b"check"), lock=_label(master, b"lock")
    )


def new_header(kind: FileKind, kdf: KdfParams, keys: Keys, salt: bytes, uid: bytes) -> Header:
    return Header(FORMAT_VERSION, kind, kdf, salt, uid, keys.check, secrets.token_bytes(NONCE_SIZE))


def parse_header(data: bytes, what: str) -> Header:
    """Parse and check a header; raise `CorruptWalletError` naming what is wrong."""
    if len(data) < HEADER_SIZE + TAG_SIZE:
        raise CorruptWalletError(f"{what} is too short to be a wallet file ({len(data)} bytes)")
    if data[:8] != MAGIC:
        raise CorruptWalletError(f"{what} is not a zkcredits wallet file (bad magic)")
    head = data[: _HEAD.size]
    if hashlib.sha256(head).digest()[:8] != data[_HEAD.size : HEADER_SIZE]:
        raise CorruptWalletError(f"{what}: header checksum mismatch (header is damaged)")
    _, version, kind, kdf_id, log2_n, r, p, salt, uid, check, nonce = _HEAD.unpack(head)
    if version != FORMAT_VERSION:
        raise CorruptWalletError(f"{what}: unsupported format version {version}", field="version")
    if kind not in (FileKind.WALLET, FileKind.EXPORT) or kdf_id != KDF_SCRYPT:
        raise CorruptWalletError(f"{what}: unknown file kind {kind} or KDF {kdf_id}", field="kind")
    try:
        kdf = KdfParams(log2_n, r, p)
    except WalletError as exc:
        raise CorruptWalletError(f"{what}: {exc}", field="kdf_params") from exc
    return Header(version, FileKind(kind), kdf, salt, uid, check, nonce)


def check_passphrase(header: Header, passphrase: str, what: str) -> Keys:
    keys = derive_keys(passphrase, header.salt, header.kdf)
    if not hmac.compare_digest(keys.check, header.check):
        raise WrongPassphraseError(f"wrong passphrase for {what}", field="passphrase")
    return keys


def seal(header: Header, keys: Keys, body: bytes) -> bytes:
    """Header ‖ AES-256-GCM(body) ‖ tag, the header as associated data."""
    head = header.pack()
    cipher = AES.new(keys.enc, AES.MODE_GCM, nonce=header.nonce, mac_len=TAG_SIZE)
    cipher.update(head)
    ct, tag = cipher.encrypt_and_digest(body)
    return head + ct + tag


def unseal(data: bytes, header: Header, keys: Keys, what: str) -> bytes:
    head = data[:HEADER_SIZE]
    cipher = AES.new(keys.enc, AES.MODE_GCM, nonce=header.nonce, mac_len=TAG_SIZE)
    cipher.update(head)
    try:
        return bytes(cipher.decrypt_and_verify(data[HEADER_SIZE:-TAG_SIZE], data[-TAG_SIZE:]))
    except ValueError as exc:
        raise CorruptWalletError(f"{what}: encrypted body fails authentication (damaged)") from exc
