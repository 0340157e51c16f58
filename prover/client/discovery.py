"""Discover a provider through ERC-8004 and deposit a note into its vault (PROTOCOL §4, §12).

`discover` reads the agent's URI from the Identity Registry (`tokenURI`), parses the registration
file (a `data:` URI works offline), reads the vault on chain and checks EVERY value of the file
against it (`check_registration_against_vault`, which names the first mismatching field), then
returns a `ProviderPin`. `deposit_note` draws a fresh note (new k) in the wallet, sends
`deposit(ID)` with value D from the user's own account, and records the `Deposited` event.

Every RPC goes through `PrivateHTTPProvider` (PROTOCOL §13) when `connect_chain` is used.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from pydantic import ValidationError
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3Exception
from web3.logs import DISCARD

from prover.chain.deploy_errors import DeployerKeyError, DeployError
from prover.chain.errors import ChainError
from prover.chain.registration import (
    VaultView,
    check_registration_against_vault,
    parse_data_uri,
)
from prover.chain.sender import Sender, checksum, load_account
from prover.chain.vault_params import VaultParams
from prover.client.chain_abi import identity_abi, vault_abi
from prover.client.client_errors import (
    ChainAccountError,
    ChainUnreachableError,
    ClientError,
    DiscoveryError,
)
from prover.client.profile import ProviderPin
from prover.client.transport import PrivateTransport
from prover.client.transport_errors import TransportError
from prover.client.wallet import DepositInfo, Note, ServiceParams, Wallet
from prover.client.web3_transport import PrivateHTTPProvider
from prover.crypto.babyjub import Point
from prover.errors import ZkCreditsError

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
            if not key_file.is_file():
                raise ChainAccountError(f"key file {key_file} does not exist", field="key_file")
            if key_file.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise ChainAccountError(
                    f"key file {key_file} is readable by other users: chmod 600 it",
                    field="key_file",
                )
            return load_account(key_file.read_text())
        value = os.environ.get(env)
        if value:
            return load_account(value)
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


def discover(w3: Web3, identity_registry: str, agent_id: int) -> ProviderPin:
    """Find the provider, check every value of its registration file against its vault, pin it.

    Raises `DiscoveryError` whose `field` names the mismatching value (`zkcredits.params.c_max`…).
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
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(root)"
        raise DiscoveryError(f"agent {agent_id}: {where}: {first['msg']}", field=where) from exc


def _deposited(contract: Contract, receipt: Any, note_id: int) -> dict[str, Any]:
    events = contract.events.Deposited().process_receipt(receipt, errors=DISCARD)
    mine = [dict(e["args"]) for e in events if int(e["args"]["id"]) == note_id]
    if len(mine) != 1:
        raise DiscoveryError(f"expected one Deposited event for the note, got {len(mine)}")
    return mine[0]


def deposit_note(
    w3: Web3,
    account: LocalAccount,
    pin: ProviderPin,
    wallet: Wallet,
    amount: int,
) -> Note:
    """New note (fresh k), `deposit(ID)` with `amount` accounting units from `account`, recorded.

    Checks the amount against the pinned rules before anything is sent. The note is journalled
    (`created`) before the transaction, so a crash after sending leaves a note whose deposit can
    be recorded later from the chain.
    """
    if pin.asset != "native":
        raise ClientError("only native-ETH vaults are supported by `deposit` yet", field="asset")
    if amount < pin.min_deposit:
        raise ClientError(
            f"deposit {amount} is below the vault's min_deposit {pin.min_deposit}", field="amount"
        )
    if amount >= 1 << 64:
        raise ClientError("deposit must be below 2^64 units", field="amount")
    if w3.eth.chain_id != pin.service.chain_id:
        raise ClientError(
            f"connected to chain {w3.eth.chain_id}, the provider is on {pin.service.chain_id}",
            field="rpc_url",
        )
    value = amount * pin.service.unit
    balance = int(w3.eth.get_balance(account.address))
    if balance < value:
        raise ClientError(
            f"{account.address} holds {balance} wei, the deposit needs {value} wei plus gas",
            field="balance",
        )
    note = wallet.new_note(pin.service)
    contract = vault_contract(w3, pin.service.vault_address)
    sender = Sender(w3, account, abis=[vault_abi()])
    fn = contract.functions.deposit(note.id)
    try:
        receipt = sender.send(
            {"to": contract.address, "data": fn._encode_transaction_data(), "value": value},
            "deposit",
        )
    except ZkCreditsError as exc:
        raise ClientError(f"deposit failed, nothing recorded: {exc}", field="deposit") from exc
    event = _deposited(contract, receipt, note.id)
    info = DepositInfo(
        tx_hash=bytes(receipt["transactionHash"]),
        leaf_index=int(event["index"]),
        D=int(event["deposit"]),
        expiry=int(event["expiry"]),
    )
    return wallet.record_deposit(note.id, info)
