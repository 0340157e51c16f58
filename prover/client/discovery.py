"""Discover a provider through ERC-8004 (PROTOCOL §12); the user's chain connection and key.

`discover` reads the agent's URI from the Identity Registry (`tokenURI`), parses the registration
file (a `data:` URI works offline), reads the vault on chain and checks EVERY value of the file
against it (`check_registration_against_vault`, which names the first mismatching field), then
what makes the vault trustworthy (`vault_trust`: a ceremony setup off local chains, each
verifier's code equal to the code built from its pinned key, a root window covering the chain's
finality lag), then returns a `ProviderPin` (with the registration's TEE pins, if any, which
`prover.client.tee_check` verifies under `--require-tee`). Depositing a note (ETH or ERC-20) is
`prover.client.deposit`; `deposit_note` is re-exported here for existing callers.

Every RPC goes through `PrivateHTTPProvider` (PROTOCOL §13) when `connect_chain` is used.
"""

from __future__ import annotations

from pathlib import Path

from eth_account.signers.local import LocalAccount
from pydantic import ValidationError
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3Exception

from prover.chain.deploy.errors import DeployerKeyError, DeployError
from prover.chain.errors import ChainError
from prover.chain.registration import (
    VaultView,
    check_registration_against_vault,
    parse_data_uri,
)
from prover.chain.sender import checksum, load_account
from prover.chain.vault_params import VaultParams
from prover.client.chain_abi import identity_abi, vault_abi
from prover.client.client_settings import client_secret
from prover.client.deposit import deposit_note as deposit_note  # re-export
from prover.client.errors import (
    ChainAccountError,
    ChainUnreachableError,
    ClientError,
    DiscoveryError,
)
from prover.client.keyring import Keyring
from prover.client.profile import ProviderPin
from prover.client.transport.errors import TransportError
from prover.client.transport.private import PrivateTransport
from prover.client.transport.web3_rpc import PrivateHTTPProvider
from prover.client.vault_trust import check_root_window, check_setup, check_verifier_code
from prover.client.wallet import ServiceParams
from prover.crypto.babyjub import Point
from prover.plumbing.errors import SecretFileError, SecretFileMissingError
from prover.plumbing.secret_file import read_secret_text

KEY_ENV = "ZKCREDITS_CLIENT_KEY"


def connect_chain(rpc_url: str, transport: PrivateTransport | None = None) -> Web3:
    """web3 over the private transport; `ChainUnreachableError` unless `eth_chainId` answers."""
    if not rpc_url.startswith(("http://", "https://")):
        raise ChainUnreachableError(f"RPC URL must be http(s)://, got {rpc_url!r}", field="rpc_url")
    w3 = Web3(PrivateHTTPProvider(rpc_url, transport))
    try:
        w3.eth.chain_id  # noqa: B018 - the call is the check
    except (TransportError, Web3Exception, OSError, ValueError) as exc:
        raise ChainUnreachableError(f"no Ethereum node answers at {rpc_url}: {exc}") from exc
    return w3


def load_chain_account(key_file: Path | None, env: str = KEY_ENV) -> LocalAccount:
    """The user's chain account from a key file or `$ZKCREDITS_CLIENT_KEY` (never an argument)."""
    try:
        if key_file is not None:
            return load_account(read_secret_text(key_file))
        value = client_secret(env)  # `ClientSettings`
        if value:
            return load_account(value)
    except SecretFileMissingError as exc:
        raise ChainAccountError(f"key file {key_file} does not exist", field="key_file") from exc
    except SecretFileError as exc:
        raise ChainAccountError(f"key file: {exc}", field="key_file") from exc
    except DeployerKeyError as exc:
        raise ChainAccountError(f"chain key: {exc}", field="key") from exc
    raise ChainAccountError(
        f"no chain key: pass --key-file PATH or set {env} (never the key itself as an argument)",
        field="key",
    )


def vault_contract(w3: Web3, address: str) -> Contract:
    return w3.eth.contract(address=checksum(address), abi=vault_abi())


def read_vault(w3: Web3, vault: str) -> VaultView:
    """Chain id, asset, service_id and every parameter of the vault, read from chain."""
    contract = vault_contract(w3, vault)
    try:
        if len(w3.eth.get_code(checksum(vault))) == 0:
            raise DiscoveryError(f"no contract at the vault address {vault}", field="vault")
        asset = str(contract.functions.asset().call())
        return VaultView(
            chain_id=w3.eth.chain_id,
            vault=checksum(vault),
            asset="native" if int(asset, 16) == 0 else checksum(asset),
            service_id=int(contract.functions.serviceId().call()),
            params=VaultParams.from_tuple(contract.functions.params().call()),
        )
    except (Web3Exception, ValueError, ChainError) as exc:
        if isinstance(exc, ClientError):
            raise
        raise DiscoveryError(f"cannot read the vault {vault}: {exc}", field="vault") from exc


def read_agent_uri(w3: Web3, identity_registry: str, agent_id: int) -> str:
    registry = w3.eth.contract(address=checksum(identity_registry), abi=identity_abi())
    try:
        return str(registry.functions.tokenURI(agent_id).call())
    except (Web3Exception, ValueError) as exc:
        raise DiscoveryError(
            f"agent {agent_id} has no URI in the Identity Registry {identity_registry}: {exc}",
            field="agent_id",
        ) from exc


def discover(
    w3: Web3,
    identity_registry: str,
    agent_id: int,
    *,
    keyring: Keyring | None = None,
    confirmations: int | None = None,
) -> ProviderPin:
    """Find the provider, check every value of its registration file against its vault and the
    vault's trustworthiness (`vault_trust`), pin it.

    Raises `DiscoveryError` whose `field` names the refused value (`zkcredits.params.c_max`,
    `zkcredits.params.withdraw_verifier`, `zkcredits.setup`…). `keyring` supplies full verifying
    keys and verifier codehashes (default: from `ZKCREDITS_*` settings); `confirmations` is the
    client's finality policy, used for the lag when the RPC has no `finalized` block.
    """
    if not Web3.is_address(identity_registry):
        raise DiscoveryError(f"{identity_registry!r} is not an address", field="identity_registry")
    uri = read_agent_uri(w3, identity_registry, agent_id)
    try:
        registration = parse_data_uri(uri)
        view = read_vault(w3, registration.zkcredits.vault)
        check_registration_against_vault(
            registration, view, agent_id=agent_id, identity_registry=identity_registry
        )
        gateway = registration.gateway_endpoint()
    except DeployError as exc:
        raise DiscoveryError(f"agent {agent_id}: {exc}", field=exc.field) from exc
    terms, p = registration.zkcredits, view.params
    check_root_window(w3, view, confirmations)
    check_setup(w3, view, terms)
    check_verifier_code(w3, view, terms, keyring or Keyring.from_settings())
    try:
        service = ServiceParams(
            chain_id=view.chain_id,
            vault_address=view.vault,
            service_id=view.service_id,
            server_pk=Point(p.server_pk_x, p.server_pk_y),
            c_max=p.c_max,
            reserve=p.reserve,
            penalty_max=p.penalty_max,
            unit=p.unit,
        )
        return ProviderPin(
            agent_id=agent_id,
            identity_registry=checksum(identity_registry),
            gateway_url=gateway,
            service=service,
            asset=view.asset,
            min_deposit=p.min_deposit,
            note_ttl_days=p.note_ttl_days,
            exit_grace_days=p.exit_grace_days,
            exit_delay=p.exit_delay,
            root_epoch=p.root_epoch,
            root_ttl=p.root_ttl,
            max_depth=p.max_depth,
            price_schedule=terms.price_schedule,
            vk_hashes=terms.vk_hashes,
            setup=terms.setup,
            keys=terms.keys,
            tee=terms.tee,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(root)"
        raise DiscoveryError(f"agent {agent_id}: {where}: {first['msg']}", field=where) from exc
