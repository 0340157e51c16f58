"""What a deployment needs before it sends anything: config, generated verifiers, key manifests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from prover.attest.registration import TeeRegistration
from prover.chain import param_bounds as bounds
from prover.chain.deploy.errors import DeployError, MissingBuildError
from prover.chain.erc8004 import RegistryAddresses
from prover.circuits.artifacts import (
    CIRCUITS_BUILD_DIR,
    GENERATED_DIR,
    KEYS_DIR,
    verifier_contract_name,
)
from prover.circuits.errors import ArtifactError
from prover.circuits.key_files import file_hashes, published_files
from prover.circuits.manifest import (
    CEREMONY_SETUP,
    DEV_SETUP,
    KeyManifest,
    SetupKind,
    read_manifest,
)
from prover.circuits.verifier_code import compile_verifier, packaged_verifier
from prover.pricing.schedule import PriceSchedule
from prover.toolchain.compiled import CompiledContract
from prover.wire.fields import Hash32
from prover.wire.required import VkHashes

DEPLOYED_CIRCUITS: Final = ("withdraw", "slash")
"""Circuits with an on-chain verifier; `request` proofs are verified by the gateway only."""
ALL_CIRCUITS: Final = ("request", "withdraw", "slash")
BUILD_HINT: Final = "run `zkcredits circuits build` first"

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]


class DeployConfig(BaseModel):
    """The provider's choices (a JSON file): vault parameters, prices, agent identity.

    Verifier addresses, vk hashes and the price schedule hash are not here: the deployment
    derives them from the build and from `price_schedule`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    asset: str = Field(default="native", pattern=r"^(native|0x[0-9a-fA-F]{40})$")
    unit: int = Field(gt=0, lt=1 << 256)
    c_max: int = Field(gt=0, lt=1 << 64)
    penalty_max: int = Field(ge=0, lt=1 << 64)
    reserve: int = Field(ge=0, lt=1 << 64)
    min_deposit: int = Field(gt=0, lt=1 << 64)
    note_ttl_days: bounds.NoteTtlDays
    exit_grace_days: bounds.ExitGraceDays
    exit_delay: bounds.ExitDelay
    root_epoch: bounds.RootEpoch
    root_ttl: bounds.RootTtl
    server_pk: tuple[int, int]
    treasury: Address
    max_depth: bounds.MaxDepth = bounds.MAX_DEPTH
    price_schedule: PriceSchedule
    agent_name: str = Field(min_length=1)
    agent_description: str
    gateway_url: str = Field(pattern=r"^https?://")
    agent_image: str | None = None
    policy_hash: Hash32 | None = None
    """keccak256 of the gateway's policy rules (`PolicyConfig.policy_hash()`), published in the
    registration file so clients see the rules they pay under."""
    registries: RegistryAddresses | None = None
    """Reuse these ERC-8004 registries instead of deploying new ones."""
    finality_lag_seconds: int | None = Field(default=None, ge=0, le=bounds.DAY)
    """How far the chain's finalized block trails its head; measured from the RPC when omitted
    (`prover.chain.root_window`). `root_ttl` must cover `root_epoch` plus this lag and a margin."""
    keys_url: str | None = Field(default=None, pattern=r"^https?://.*/$")
    """Where the proving keys and circuit files are served (a directory URL ending in `/`;
    `<circuit>/<file>` is appended); default: the gateway's `/.well-known/zkcredits/keys/`."""
    tee: TeeRegistration | None = None
    """The TEE section of the registration file (`zkcredits.tee`, docs/tee.md): the value
    `zkcredits gateway attest` prints, for a gateway running in an attested TDX trust domain."""

    _root_ttl = field_validator("root_ttl")(bounds.check_root_ttl)


def load_config(path: Path) -> DeployConfig:
    if not path.is_file():
        raise DeployError(f"deploy config {path} does not exist", field="config")
    try:
        return DeployConfig.model_validate(json.loads(path.read_text()))
    except json.JSONDecodeError as exc:
        raise DeployError(f"deploy config {path} is not JSON: {exc}", field="config") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DeployError(f"deploy config {path}: {where}: {first['msg']}", field=where) from exc


class BuildInputs(BaseModel):
    """The generated verifiers (compiled) and the key manifests they were generated from."""

    model_config = ConfigDict(frozen=True)

    verifiers: dict[str, CompiledContract]
    """circuit → compiled verifier (withdraw, slash)."""
    manifests: dict[str, KeyManifest]
    """circuit → key manifest (request, withdraw, slash)."""
    key_files: dict[str, str] = Field(default_factory=dict)
    """`<circuit>/<file>` → sha256 of every file clients fetch to prove (key_files.py)."""

    @property
    def setup(self) -> SetupKind:
        """`dev-single-party` if any key came from a single-party setup."""
        kinds = {m.setup for m in self.manifests.values()}
        return DEV_SETUP if kinds != {CEREMONY_SETUP} else CEREMONY_SETUP

    @property
    def vk_hashes(self) -> VkHashes:
        return VkHashes(
            request=_hash_bytes(self.manifests["request"]),
            withdraw=_hash_bytes(self.manifests["withdraw"]),
            slash=_hash_bytes(self.manifests["slash"]),
        )


def _hash_bytes(manifest: KeyManifest) -> bytes:
    text = manifest.vk_hash.removeprefix("0x")
    if len(text) != 64:
        raise MissingBuildError(
            f"manifest of {manifest.circuit} has a malformed vk_hash {manifest.vk_hash!r}",
            field=f"{manifest.circuit}.vk_hash",
        )
    return bytes.fromhex(text)


def _compile_verifier(circuit: str, path: Path) -> CompiledContract:
    # The build's verifiers ship compiled; only a new key's verifier (a ceremony) is compiled here.
    # Passed as source text (generated verifiers import nothing), so any directory works.
    source = path.read_text()
    shipped = packaged_verifier(circuit, source)
    if shipped is not None:
        return shipped
    try:
        return compile_verifier(circuit, source)
    except ArtifactError as exc:
        raise MissingBuildError(f"{exc} ({BUILD_HINT})", field=circuit) from exc


_VK_HASH_CONSTANT = re.compile(r"bytes32\s+public\s+constant\s+VK_HASH\s*=\s*(0x[0-9a-fA-F]{64})")
_DEV_CONSTANT = re.compile(r"bool\s+public\s+constant\s+DEV_SETUP\s*=\s*(true|false)")


def _check_verifier_source(path: Path, manifest: KeyManifest) -> None:
    """A generated verifier states its vk hash and setup kind: both must match the manifest."""
    text = path.read_text()
    vk = _VK_HASH_CONSTANT.search(text)
    if vk is None:
        raise MissingBuildError(
            f"{path} does not state its VK_HASH (not made by this project's build); {BUILD_HINT}",
            field=manifest.circuit,
        )
    if vk.group(1).lower() != manifest.vk_hash.lower():
        raise MissingBuildError(
            f"{path} was generated for vk {vk.group(1)} but the keys have {manifest.vk_hash} "
            f"(stale verifier); {BUILD_HINT}",
            field=manifest.circuit,
        )
    dev = _DEV_CONSTANT.search(text)
    if dev is not None and (dev.group(1) == "true") != (manifest.setup == DEV_SETUP):
        raise MissingBuildError(
            f"{path} says DEV_SETUP = {dev.group(1)} but the keys are {manifest.setup}; "
            f"{BUILD_HINT}",
            field=manifest.circuit,
        )


def read_build(
    generated_dir: Path = GENERATED_DIR,
    keys_dir: Path = KEYS_DIR,
    circuits_dir: Path | None = None,
) -> BuildInputs:
    """Compile the generated verifiers, read every key manifest (sha256-checked) and hash the
    files clients will fetch (proving keys, verifying keys, wasm, r1cs). The compiled circuits
    are beside the keys (`build/keys` → `build/circuits`) unless `circuits_dir` says otherwise.

    Raises MissingBuildError, telling the user to build, if anything is absent or inconsistent.
    """
    manifests: dict[str, KeyManifest] = {}
    for circuit in ALL_CIRCUITS:
        try:
            manifests[circuit] = read_manifest(keys_dir / circuit)
        except ArtifactError as exc:
            raise MissingBuildError(f"{exc}; {BUILD_HINT}", field=circuit) from exc
    paths: dict[str, Path] = {}
    verifiers: dict[str, CompiledContract] = {}
    for circuit in DEPLOYED_CIRCUITS:
        path = generated_dir / f"{verifier_contract_name(circuit)}.sol"
        if not path.is_file():
            raise MissingBuildError(f"{path} is missing; {BUILD_HINT}", field=circuit)
        _check_verifier_source(path, manifests[circuit])
        paths[circuit] = path
    try:
        circuits = circuits_dir or keys_dir.parent / CIRCUITS_BUILD_DIR.name
        key_files = file_hashes(published_files(ALL_CIRCUITS, keys_dir, circuits))
    except ArtifactError as exc:
        raise MissingBuildError(f"{exc}; {BUILD_HINT}", field=exc.field) from exc
    for circuit, path in paths.items():
        verifiers[circuit] = _compile_verifier(circuit, path)
    return BuildInputs(verifiers=verifiers, manifests=manifests, key_files=key_files)
