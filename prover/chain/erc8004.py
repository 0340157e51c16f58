"""Deploy and drive the ERC-8004 registries: register an agent, prove its wallet (EIP-712)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from pydantic import BaseModel, ConfigDict
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3Exception
from web3.logs import DISCARD
from web3.types import TxReceipt

from prover.artifacts import packaged
from prover.chain.deploy.errors import DeployError
from prover.chain.sender import AbiList, Sender, checksum
from prover.toolchain.compiled import CompiledContract

REGISTRY_CONTRACTS = (
    "IdentityRegistry",
    "ReputationRegistry",
    "ValidationRegistry",
    "ERC1271WalletMock",
)


def compile_registries() -> dict[str, CompiledContract]:
    """The packaged ERC-8004 registries (and the ERC-1271 test wallet), by name; the build
    compiles them (`prover.chain.erc8004_build`), nothing at run time does."""
    return {name: packaged.contract(name) for name in REGISTRY_CONTRACTS}


EIP712_NAME = "ERC8004IdentityRegistry"
EIP712_VERSION = "1"
AGENT_WALLET_KEY = "agentWallet"
MAX_DEADLINE_DELAY = 300
_AGENT_WALLET_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "AgentWalletSet": [
        {"name": "agentId", "type": "uint256"},
        {"name": "newWallet", "type": "address"},
        {"name": "owner", "type": "address"},
        {"name": "deadline", "type": "uint256"},
    ],
}


class DeployedContract(BaseModel):
    """Where one contract lives and the transaction that created it."""

    model_config = ConfigDict(frozen=True)

    name: str
    address: str
    tx_hash: str
    block_number: int
    gas_used: int


class RegistryAddresses(BaseModel):
    model_config = ConfigDict(frozen=True)

    identity: str
    reputation: str
    validation: str


class AgentRegistration(BaseModel):
    """The result of `register(agentURI)`."""

    model_config = ConfigDict(frozen=True)

    agent_id: int
    owner: str
    tx_hash: str
    block_number: int
    gas_used: int


def registry_abis() -> list[AbiList]:
    """ABIs of every registry (for decoding their custom errors)."""
    compiled = compile_registries()
    return [
        compiled[n].abi for n in ("IdentityRegistry", "ReputationRegistry", "ValidationRegistry")
    ]


def _deployed(name: str, receipt: TxReceipt) -> DeployedContract:
    return DeployedContract(
        name=name,
        address=checksum(str(receipt["contractAddress"])),
        tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
        block_number=int(receipt["blockNumber"]),
        gas_used=int(receipt["gasUsed"]),
    )


def deploy_identity_registry(sender: Sender) -> DeployedContract:
    art = compile_registries()["IdentityRegistry"]
    return _deployed(
        "IdentityRegistry", sender.deploy(art.abi, art.bytecode, [], "IdentityRegistry")
    )


def deploy_registries(sender: Sender) -> dict[str, DeployedContract]:
    """Deploy Identity, then Reputation and Validation bound to it."""
    compiled = compile_registries()
    identity = deploy_identity_registry(sender)
    out = {"IdentityRegistry": identity}
    for name in ("ReputationRegistry", "ValidationRegistry"):
        art = compiled[name]
        receipt = sender.deploy(art.abi, art.bytecode, [identity.address], name)
        out[name] = _deployed(name, receipt)
    return out


def registry_contract(w3: Web3, name: str, address: str) -> Contract:
    return w3.eth.contract(address=checksum(address), abi=compile_registries()[name].abi)


def check_existing_registries(w3: Web3, addresses: RegistryAddresses) -> None:
    """Refuse to reuse addresses without code, or registries not bound to `addresses.identity`."""
    for field, address in addresses.model_dump().items():
        if not Web3.is_address(address):
            raise DeployError(
                f"{field} registry address {address!r} is not an address", field=field
            )
        if len(w3.eth.get_code(checksum(address))) == 0:
            raise DeployError(f"no contract at the {field} registry {address}", field=field)
    for field, name in (("reputation", "ReputationRegistry"), ("validation", "ValidationRegistry")):
        contract = registry_contract(w3, name, getattr(addresses, field))
        try:
            bound = checksum(contract.functions.getIdentityRegistry().call())
        except (Web3Exception, ValueError) as exc:
            raise DeployError(
                f"the {field} registry is not an ERC-8004 registry", field=field
            ) from exc
        if bound != checksum(addresses.identity):
            raise DeployError(
                f"the {field} registry is bound to identity {bound}, not {addresses.identity}",
                field=field,
            )


def register_agent(
    sender: Sender,
    identity_address: str,
    agent_uri: str,
    metadata: Sequence[tuple[str, bytes]] = (),
) -> AgentRegistration:
    """Mint a new agent owned by the sender, with `agent_uri` and optional on-chain metadata."""
    identity = registry_contract(sender.w3, "IdentityRegistry", identity_address)
    if metadata:
        fn = identity.functions.register(agent_uri, [list(entry) for entry in metadata])
    else:
        fn = identity.functions.register(agent_uri)
    receipt = sender.call_fn(fn, "registering the agent")
    events = identity.events.Registered().process_receipt(receipt, errors=DISCARD)
    if len(events) != 1:
        raise DeployError(f"expected one Registered event, got {len(events)}")
    return AgentRegistration(
        agent_id=int(events[0]["args"]["agentId"]),
        owner=checksum(events[0]["args"]["owner"]),
        tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
        block_number=int(receipt["blockNumber"]),
        gas_used=int(receipt["gasUsed"]),
    )


def agent_wallet_typed_data(
    *,
    chain_id: int,
    identity_address: str,
    agent_id: int,
    new_wallet: str,
    owner: str,
    deadline: int,
) -> dict[str, Any]:
    """The EIP-712 message a new agent wallet signs (domain "ERC8004IdentityRegistry", "1")."""
    return {
        "types": _AGENT_WALLET_TYPES,
        "primaryType": "AgentWalletSet",
        "domain": {
            "name": EIP712_NAME,
            "version": EIP712_VERSION,
            "chainId": chain_id,
            "verifyingContract": checksum(identity_address),
        },
        "message": {
            "agentId": agent_id,
            "newWallet": checksum(new_wallet),
            "owner": checksum(owner),
            "deadline": deadline,
        },
    }


def agent_wallet_digest(typed: dict[str, Any]) -> bytes:
    """The 32-byte EIP-712 digest of `typed` (what an ERC-1271 wallet is asked about)."""
    signable = encode_typed_data(full_message=typed)
    return bytes(Web3.keccak(b"\x19" + signable.version + signable.header + signable.body))


def sign_agent_wallet(wallet: LocalAccount, typed: dict[str, Any]) -> bytes:
    """65-byte (r, s, v) signature of the typed data by `wallet`."""
    signed = wallet.sign_message(encode_typed_data(full_message=typed))
    return bytes(signed.signature)


def set_agent_wallet(
    sender: Sender,
    identity_address: str,
    agent_id: int,
    wallet: LocalAccount,
    *,
    deadline: int | None = None,
) -> TxReceipt:
    """Have `wallet` sign for `agent_id` (owned by the sender) and record it as `agentWallet`."""
    w3 = sender.w3
    if deadline is None:
        deadline = int(w3.eth.get_block("latest")["timestamp"]) + MAX_DEADLINE_DELAY // 2
    identity = registry_contract(w3, "IdentityRegistry", identity_address)
    owner = checksum(identity.functions.ownerOf(agent_id).call())
    typed = agent_wallet_typed_data(
        chain_id=w3.eth.chain_id,
        identity_address=identity_address,
        agent_id=agent_id,
        new_wallet=wallet.address,
        owner=owner,
        deadline=deadline,
    )
    signature = sign_agent_wallet(wallet, typed)
    fn = identity.functions.setAgentWallet(agent_id, wallet.address, deadline, signature)
    return sender.call_fn(fn, "setting the agent wallet")
