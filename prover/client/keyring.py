"""Where a client's proving keys for a provider come from: its build, its cache, the provider.

For each circuit the client proves (`request`, `withdraw`) and each verifier it checks
(`withdraw`, `slash`), keys are taken, in order, from:

1. the repository's build (`build/keys`, `build/circuits`) when its vk hash is the pinned one;
2. the user's cache (`$ZKCREDITS_CACHE_DIR`, else `$XDG_CACHE_HOME/zkcredits`, else
   `~/.cache/zkcredits`): `keys/<circuit>-<vk hash>/`, installed by `key_fetch.install_keys`;
3. the provider's published files (the registration's `zkcredits.keys`), fetched once through
   the private transport, checked and installed in the cache.

A vk hash names its keys exactly, so the cache is shared by every provider using the same keys.
`KeysUnavailableError` (naming the file) when none of the three yields usable keys: the client
then refuses to deposit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from prover.chain.registration import KeyFiles
from prover.circuits.artifacts import (
    CIRCUITS_BUILD_DIR,
    GENERATED_DIR,
    KEYS_DIR,
    CircuitArtifacts,
)
from prover.circuits.errors import CircuitError
from prover.circuits.keys import load_vk
from prover.circuits.manifest import VK_JSON_NAME, SetupKind, read_manifest
from prover.circuits.prover import CircuitKeys
from prover.circuits.verifier_code import CodehashCache, expected_codehash
from prover.circuits.vkey import SnarkjsVerifyingKey
from prover.client.errors import KeysUnavailableError
from prover.client.key_fetch import checked_vk, fetch_vk, install_keys
from prover.client.profile import ProviderPin
from prover.client.transport.private import PrivateTransport
from prover.plumbing.atomic import atomic_write_text
from prover.plumbing.digest import sha256_file
from prover.toolchain.checkout import in_checkout

PROVED_CIRCUITS: Final = ("request", "withdraw")
"""The circuits a client proves (the provider alone proves `slash`)."""


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/zkcredits`, else `~/.cache/zkcredits` (never the working directory)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "zkcredits"


class KeySettings(BaseSettings):
    """`ZKCREDITS_CACHE_DIR`, `ZKCREDITS_BUILD_KEYS` (use a matching local build; default on)."""

    model_config = SettingsConfigDict(
        env_prefix="ZKCREDITS_", extra="ignore", frozen=True, use_attribute_docstrings=True
    )

    cache_dir: Path = Field(default_factory=default_cache_dir)
    """Where fetched provider keys and verifier codehashes are cached (default
    `$XDG_CACHE_HOME/zkcredits`, else `~/.cache/zkcredits`)."""
    build_keys: bool = True
    """Use a matching local build's keys when there is one."""


@dataclass
class Keyring:
    """Keys and verifier codehashes for pinned vk hashes (see the module docstring)."""

    cache_dir: Path
    build_keys_dir: Path | None = KEYS_DIR
    build_circuits_dir: Path | None = CIRCUITS_BUILD_DIR
    generated_dir: Path | None = GENERATED_DIR
    transport: PrivateTransport = field(default_factory=PrivateTransport)

    @classmethod
    def from_settings(
        cls, settings: KeySettings | None = None, transport: PrivateTransport | None = None
    ) -> Keyring:
        s = settings or KeySettings()
        # the checkout's build only exists beside a source checkout; an installed package
        # fetches the keys the provider publishes (and finds its verifiers in the package data)
        build = s.build_keys and in_checkout()
        return cls(
            cache_dir=s.cache_dir,
            build_keys_dir=KEYS_DIR if build else None,
            build_circuits_dir=CIRCUITS_BUILD_DIR if build else None,
            generated_dir=GENERATED_DIR if build else None,
            transport=transport or PrivateTransport(),
        )

    # ------------------------------------------------------------------ paths

    def key_dir(self, circuit: str, vk_hash: str) -> Path:
        return self.cache_dir / "keys" / f"{circuit}-{vk_hash.lower().removeprefix('0x')}"

    def _vk_path(self, vk_hash: str) -> Path:
        return self.cache_dir / "vks" / f"{vk_hash.lower().removeprefix('0x')}.json"

    @property
    def codehashes(self) -> CodehashCache:
        return CodehashCache(self.cache_dir / "verifier-codehash")

    # ------------------------------------------------------------------ keys

    def usable_dir(self, circuit: str, vk_hash: str) -> tuple[Path, CircuitArtifacts] | None:
        """(key directory, circuit files) holding complete keys for `vk_hash`: the build's,
        else the cache's; every file hash-checked, nothing loaded (None if there are none)."""
        candidates: list[tuple[Path, Path]] = []
        if self.build_keys_dir is not None and self.build_circuits_dir is not None:
            candidates.append((self.build_keys_dir / circuit, self.build_circuits_dir / circuit))
        cached = self.key_dir(circuit, vk_hash)
        candidates.append((cached, cached))
        for keys_dir, circuit_dir in candidates:
            try:
                manifest = read_manifest(keys_dir)
                artifacts = CircuitArtifacts.in_dir(circuit, circuit_dir)
            except CircuitError:
                continue
            if manifest.vk_hash.lower() != vk_hash.lower():
                continue
            if manifest.r1cs_sha256 != sha256_file(artifacts.r1cs):
                continue
            return keys_dir, artifacts
        return None

    def ensure_keys(
        self, circuit: str, vk_hash: str, published: KeyFiles | None, setup: SetupKind
    ) -> None:
        """Usable keys for `vk_hash` exist here after this (fetched and tested once if needed)."""
        if self.usable_dir(circuit, vk_hash) is not None:
            return
        if published is None:
            raise KeysUnavailableError(
                f"no {circuit} keys with vk hash {vk_hash}: none built or cached here, and the "
                "provider's registration names no published keys",
                field=f"keys.{circuit}",
            )
        target = self.key_dir(circuit, vk_hash)
        shutil.rmtree(target, ignore_errors=True)  # a damaged copy, if any
        install_keys(self.transport, published, circuit, vk_hash, setup, target)

    def circuit_keys(
        self, circuit: str, vk_hash: str, published: KeyFiles | None, setup: SetupKind
    ) -> CircuitKeys:
        """Usable keys for `vk_hash`, loaded (built, cached, or fetched from `published` once)."""
        self.ensure_keys(circuit, vk_hash, published, setup)
        found = self.usable_dir(circuit, vk_hash)
        if found is None:  # pragma: no cover - ensure_keys just made them
            raise KeysUnavailableError(f"the {circuit} keys vanished", field=f"keys.{circuit}")
        directory, artifacts = found
        try:
            keys = CircuitKeys.load_from(directory, artifacts)
        except CircuitError as exc:
            raise KeysUnavailableError(f"{circuit} keys: {exc}", field=f"keys.{circuit}") from exc
        if keys.vk.hash_hex() != vk_hash.lower():
            raise KeysUnavailableError(
                f"{directory} holds vk {keys.vk.hash_hex()}, not {vk_hash}", field=f"keys.{circuit}"
            )
        return keys

    def verifying_key(
        self, circuit: str, vk_hash: str, published: KeyFiles | None
    ) -> SnarkjsVerifyingKey:
        """The full verifying key for `vk_hash` (checked against it), fetching only the vk."""
        for directory in self._key_dirs(circuit, vk_hash):
            try:
                vk = load_vk(directory)
            except CircuitError:
                continue
            if vk.hash_hex() == vk_hash.lower():
                return vk
        stored = self._vk_path(vk_hash)
        if stored.is_file():
            try:
                return checked_vk(stored.read_text(), circuit, vk_hash)
            except KeysUnavailableError:
                stored.unlink(missing_ok=True)
        if published is None:
            raise KeysUnavailableError(
                f"no {circuit} verifying key with hash {vk_hash} here, and the provider "
                "publishes none",
                field=f"keys.{circuit}/{VK_JSON_NAME}",
            )
        stored.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=stored.parent) as tmp:
            vk = fetch_vk(self.transport, published, circuit, vk_hash, Path(tmp))
        atomic_write_text(stored, vk.canonical_json() + "\n")
        return vk

    def verifier_codehash(self, circuit: str, vk: SnarkjsVerifyingKey, setup: SetupKind) -> str:
        """The runtime codehash of the verifier this project builds from `vk` (compiled at most
        once per new key: the build's index, then the cache)."""
        try:
            return expected_codehash(
                circuit, vk, setup, cache=self.codehashes, generated_dir=self.generated_dir
            )
        except CircuitError as exc:
            raise KeysUnavailableError(
                f"cannot rebuild the {circuit} verifier from its key: {exc}", field=circuit
            ) from exc

    # ------------------------------------------------------------------ internals

    def _key_dirs(self, circuit: str, vk_hash: str) -> list[Path]:
        dirs = [self.key_dir(circuit, vk_hash)]
        if self.build_keys_dir is not None:
            dirs.insert(0, self.build_keys_dir / circuit)
        return dirs


def pinned_vk_hash(pin: ProviderPin, circuit: str) -> str:
    """`0x`-hex vk hash the pin holds for `circuit` (request, withdraw or slash)."""
    value: bytes = getattr(pin.vk_hashes, circuit)
    return "0x" + value.hex()


def provider_keys(keyring: Keyring, pin: ProviderPin, circuit: str) -> CircuitKeys:
    """Usable keys of `circuit` for the pinned provider, loaded (fetched once if needed)."""
    return keyring.circuit_keys(circuit, pinned_vk_hash(pin, circuit), pin.keys, pin.setup)


def provider_key_files(
    keyring: Keyring, pin: ProviderPin, circuit: str
) -> tuple[Path, CircuitArtifacts]:
    """(key directory, circuit files) of `circuit` for the pinned provider, fetched once if
    needed, nothing loaded: for a proof pool whose workers each load them."""
    vk_hash = pinned_vk_hash(pin, circuit)
    keyring.ensure_keys(circuit, vk_hash, pin.keys, pin.setup)
    found = keyring.usable_dir(circuit, vk_hash)
    if found is None:  # pragma: no cover - ensure_keys just made them
        raise KeysUnavailableError(f"the {circuit} keys vanished", field=f"keys.{circuit}")
    return found


def ensure_provider_keys(keyring: Keyring, pin: ProviderPin) -> None:
    """Every circuit the client proves has usable keys here (`KeysUnavailableError` if not)."""
    for circuit in PROVED_CIRCUITS:
        keyring.ensure_keys(circuit, pinned_vk_hash(pin, circuit), pin.keys, pin.setup)
