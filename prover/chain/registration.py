"""The provider's ERC-8004 registration file (PROTOCOL §12): model, data: URI, checks.

The file follows the ERC-8004 `registration-v1` shape (type, name, description, services,
x402Support, registrations, supportedTrust) and carries everything a client pins at deposit under
one extension key, `zkcredits`: chain id, vault, asset, service_id, every vault parameter, the
price schedule and its hash, the vk hashes, and optionally the TEE pins (`tee`: the gateway key
its quotes bind and the measured images clients accept; docs/tee.md). Big numbers travel as
decimal strings.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Annotated, Final, Literal

from eth_abi.abi import encode as abi_encode
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from prover.attest.registration import TeeRegistration
from prover.chain import param_bounds as bounds
from prover.chain.deploy.errors import RegistrationError, RegistrationMismatchError
from prover.chain.vault_params import VaultParams
from prover.circuits.key_files import file_names, is_published_name
from prover.circuits.manifest import SetupKind
from prover.crypto.field import P
from prover.crypto.rln import keccak256
from prover.pricing.schedule import PriceSchedule
from prover.wire.fields import Amount, FieldElement, Hash32
from prover.wire.required import VkHashes

REGISTRATION_TYPE: Final = "https://eips.ethereum.org/EIPS/eip-8004#registration-v1"
DATA_URI_PREFIX: Final = "data:application/json;base64,"
GATEWAY_SERVICE_NAME: Final = "zkcredits-gateway"
TRUST_MODEL: Final = "crypto-economic"
MAX_URI_BYTES: Final = 64 * 1024

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]
_AGENT_REGISTRY = re.compile(r"^eip155:([1-9][0-9]{0,18}):(0x[0-9a-fA-F]{40})$")


def service_id_for(chain_id: int, vault: str) -> int:
    """`uint256(keccak256(abi.encode(chainid, vault))) mod p` (PROTOCOL §2), computed here."""
    return int.from_bytes(keccak256(abi_encode(["uint256", "address"], [chain_id, vault]))) % P


def agent_registry_id(chain_id: int, identity_registry: str) -> str:
    """`eip155:<chainId>:<identityRegistry>` as ERC-8004 names a registry."""
    return f"eip155:{chain_id}:{identity_registry}"


class Service(BaseModel):
    """One advertised endpoint (ERC-8004 `services[]`)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(min_length=1)
    endpoint: str = Field(min_length=1)
    version: str | None = None


class AgentRef(BaseModel):
    """One on-chain registration of this agent (ERC-8004 `registrations[]`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    agent_id: int = Field(alias="agentId", ge=0)
    agent_registry: str = Field(alias="agentRegistry", pattern=_AGENT_REGISTRY.pattern)


class RegisteredParams(BaseModel):
    """`VaultParams` in wire form (decimal strings for every number beyond 2^53)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: FieldElement
    c_max: Amount
    penalty_max: Amount
    reserve: Amount
    min_deposit: Amount
    note_ttl_days: bounds.NoteTtlDays
    exit_grace_days: bounds.ExitGraceDays
    exit_delay: Annotated[Amount, Field(ge=bounds.MIN_EXIT_DELAY, le=bounds.MAX_EXIT_DELAY)]
    root_epoch: Annotated[Amount, Field(gt=0, le=bounds.MAX_ROOT_EPOCH)]
    root_ttl: Annotated[Amount, Field(gt=0, le=bounds.MAX_ROOT_TTL)]
    server_pk: tuple[FieldElement, FieldElement]
    price_schedule_hash: Hash32
    treasury: Address
    withdraw_verifier: Address
    slash_verifier: Address
    withdraw_vk_hash: Hash32
    slash_vk_hash: Hash32
    max_depth: bounds.MaxDepth

    _root_ttl = field_validator("root_ttl")(bounds.check_root_ttl)

    @classmethod
    def from_params(cls, p: VaultParams) -> RegisteredParams:
        return cls(
            unit=p.unit, c_max=p.c_max, penalty_max=p.penalty_max, reserve=p.reserve,
            min_deposit=p.min_deposit, note_ttl_days=p.note_ttl_days,
            exit_grace_days=p.exit_grace_days, exit_delay=p.exit_delay, root_epoch=p.root_epoch,
            root_ttl=p.root_ttl, server_pk=(p.server_pk_x, p.server_pk_y),
            price_schedule_hash=bytes.fromhex(p.price_schedule_hash[2:]), treasury=p.treasury,
            withdraw_verifier=p.withdraw_verifier, slash_verifier=p.slash_verifier,
            withdraw_vk_hash=bytes.fromhex(p.withdraw_vk_hash[2:]),
            slash_vk_hash=bytes.fromhex(p.slash_vk_hash[2:]), max_depth=p.max_depth,
        )  # fmt: skip


PUBLISHED_CIRCUITS: Final = ("request", "withdraw", "slash")
KEYS_PATH: Final = ".well-known/zkcredits/keys/"
"""The gateway serves `<circuit>/<file>` under this path (any other URL works in the file)."""


def default_keys_url(gateway_url: str) -> str:
    """`<gateway>/.well-known/zkcredits/keys/`."""
    return gateway_url.rstrip("/") + "/" + KEYS_PATH


class KeyFiles(BaseModel):
    """Where the provider's proving keys and circuit files are served, with their sha256.

    `base_url + "<circuit>/<file>"` serves each file of `prover.circuits.key_files`; every file
    of the three circuits is listed, so a client that never built keys can prove.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(pattern=r"^https?://\S+/$", max_length=2048)
    files: dict[str, Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]]

    @model_validator(mode="after")
    def _complete(self) -> KeyFiles:
        unknown = sorted(n for n in self.files if not is_published_name(n))
        if unknown:
            raise ValueError(f"not a published key file: {unknown[0]!r}")
        wanted = {f"{c}/{f}" for c in PUBLISHED_CIRCUITS for f in file_names(c)}
        missing = sorted(wanted - set(self.files))
        if missing:
            raise ValueError(f"key file {missing[0]!r} is not listed")
        return self

    def url(self, name: str) -> str:
        """Where `<circuit>/<file>` is served."""
        if name not in self.files:
            raise RegistrationError(f"no key file {name!r} is listed", field="zkcredits.keys")
        return self.base_url + name


class VaultTerms(BaseModel):
    """The `zkcredits` extension: what a client checks against the vault and pins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chain_id: int = Field(ge=1, lt=1 << 63)
    vault: Address
    asset: str = Field(pattern=r"^(native|0x[0-9a-fA-F]{40})$")
    service_id: FieldElement
    params: RegisteredParams
    price_schedule: PriceSchedule
    price_schedule_hash: Hash32
    vk_hashes: VkHashes
    setup: SetupKind
    policy_hash: Hash32 | None = None  # keccak256 of the gateway's policy rules (canonical JSON)
    keys: KeyFiles | None = None
    """Where clients fetch the proving keys (absent in files made before issue 12.5)."""
    tee: TeeRegistration | None = None
    """The TEE attestation the provider's gateway gives (docs/tee.md): the gateway key its quotes
    bind and the pinned measurements (MRTD, RTMR0-3) with the image they come from. Absent: the
    gateway is not attested; clients requiring a TEE refuse it."""


class RegistrationFile(BaseModel):
    """An ERC-8004 agent registration file (`registration-v1`) with the zkcredits terms."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    type: Literal["https://eips.ethereum.org/EIPS/eip-8004#registration-v1"]
    name: str = Field(min_length=1)
    description: str
    image: str | None = None
    services: tuple[Service, ...] = Field(min_length=1)
    x402_support: bool = Field(alias="x402Support")
    active: bool = True
    registrations: tuple[AgentRef, ...] = ()
    supported_trust: tuple[str, ...] = Field(alias="supportedTrust")
    zkcredits: VaultTerms

    def gateway_endpoint(self) -> str:
        for service in self.services:
            if service.name == GATEWAY_SERVICE_NAME:
                return service.endpoint
        raise RegistrationError(f"no {GATEWAY_SERVICE_NAME!r} service", field="services")

    def to_json(self) -> str:
        """Canonical JSON (ERC-8004 key names, sorted keys, no spaces)."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return json.dumps(data, sort_keys=True, separators=(",", ":"))


class VaultView(BaseModel):
    """What the chain says about one vault (read with `vault_view`)."""

    model_config = ConfigDict(frozen=True)

    chain_id: int
    vault: Address
    asset: str
    service_id: int
    params: VaultParams


def build_registration(
    *,
    name: str,
    description: str,
    gateway_url: str,
    view: VaultView,
    price_schedule: PriceSchedule,
    vk_hashes: VkHashes,
    setup: SetupKind,
    agent_id: int | None = None,
    identity_registry: str | None = None,
    image: str | None = None,
    policy_hash: bytes | None = None,
    keys: KeyFiles | None = None,
    tee: TeeRegistration | None = None,
) -> RegistrationFile:
    """The registration file of a deployed vault (with its registration once the id is known)."""
    registrations: tuple[AgentRef, ...] = ()
    if agent_id is not None:
        if identity_registry is None:
            raise RegistrationError(
                "an agent id needs its identity registry", field="registrations"
            )
        registrations = (
            AgentRef(
                agent_id=agent_id,
                agent_registry=agent_registry_id(view.chain_id, identity_registry),
            ),
        )
    return RegistrationFile(
        type=REGISTRATION_TYPE,
        name=name,
        description=description,
        image=image,
        services=(Service(name=GATEWAY_SERVICE_NAME, endpoint=gateway_url, version="x402-v2"),),
        x402_support=True,
        registrations=registrations,
        supported_trust=(TRUST_MODEL,),
        zkcredits=VaultTerms(
            chain_id=view.chain_id,
            vault=view.vault,
            asset=view.asset,
            service_id=view.service_id,
            params=RegisteredParams.from_params(view.params),
            price_schedule=price_schedule,
            price_schedule_hash=price_schedule.schedule_hash(),
            vk_hashes=vk_hashes,
            setup=setup,
            policy_hash=policy_hash,
            keys=keys,
            tee=tee,
        ),
    )


def to_data_uri(registration: RegistrationFile) -> str:
    """`data:application/json;base64,…` of the canonical JSON (resolvable offline)."""
    return DATA_URI_PREFIX + base64.b64encode(registration.to_json().encode()).decode()


def parse_data_uri(uri: str) -> RegistrationFile:
    """Decode and validate a base64 JSON data: URI; raises RegistrationError naming the problem."""
    if len(uri) > MAX_URI_BYTES:
        raise RegistrationError(f"agent URI is {len(uri)} bytes (max {MAX_URI_BYTES})", field="uri")
    if not uri.startswith(DATA_URI_PREFIX):
        raise RegistrationError(
            f"agent URI must start with {DATA_URI_PREFIX!r}, got {uri[:40]!r}", field="uri"
        )
    try:
        raw = base64.b64decode(uri[len(DATA_URI_PREFIX) :], validate=True)
        data = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RegistrationError(f"agent URI is not base64 JSON: {exc}", field="uri") from exc
    try:
        return RegistrationFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "<root>"
        raise RegistrationError(
            f"registration file is malformed at {where}: {first['msg']}", field=where
        ) from exc


def _same(field: str, expected: object, actual: object) -> None:
    if expected != actual:
        raise RegistrationMismatchError(field, expected, actual)


def check_registration_against_vault(
    registration: RegistrationFile,
    view: VaultView,
    *,
    agent_id: int | None = None,
    identity_registry: str | None = None,
) -> None:
    """Raise RegistrationMismatchError (naming the field) unless every value matches the vault.

    With `agent_id`/`identity_registry`, also require the file to list that registration.
    """
    if TRUST_MODEL not in registration.supported_trust:
        raise RegistrationMismatchError(
            "supportedTrust", [TRUST_MODEL], list(registration.supported_trust)
        )
    _same("x402Support", True, registration.x402_support)
    registration.gateway_endpoint()
    terms = registration.zkcredits
    _same("zkcredits.chain_id", view.chain_id, terms.chain_id)
    _same("zkcredits.vault", view.vault.lower(), terms.vault.lower())
    _same("zkcredits.asset", view.asset.lower(), terms.asset.lower())
    _same("zkcredits.service_id", view.service_id, terms.service_id)
    _same("zkcredits.service_id", service_id_for(view.chain_id, view.vault), terms.service_id)
    expected = RegisteredParams.from_params(view.params).model_dump()
    actual = terms.params.model_dump()
    for key, value in expected.items():
        if isinstance(value, str):
            _same(f"zkcredits.params.{key}", value.lower(), str(actual[key]).lower())
        else:
            _same(f"zkcredits.params.{key}", value, actual[key])
    pinned = terms.params.price_schedule_hash
    _same("zkcredits.price_schedule_hash", pinned, terms.price_schedule_hash)
    _same("zkcredits.price_schedule", pinned, terms.price_schedule.schedule_hash())
    _same("zkcredits.price_schedule.c_max", view.params.c_max, terms.price_schedule.c_max)
    _same("zkcredits.vk_hashes.withdraw", terms.params.withdraw_vk_hash, terms.vk_hashes.withdraw)
    _same("zkcredits.vk_hashes.slash", terms.params.slash_vk_hash, terms.vk_hashes.slash)
    if agent_id is not None and identity_registry is not None:
        wanted = agent_registry_id(view.chain_id, identity_registry).lower()
        listed = [(r.agent_id, r.agent_registry.lower()) for r in registration.registrations]
        if (agent_id, wanted) not in listed:
            raise RegistrationMismatchError("registrations", [(agent_id, wanted)], listed)
