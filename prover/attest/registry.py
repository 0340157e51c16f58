"""Every call the TEE code makes to the ERC-8004 registries, in one small module.

The validator and `zkcredits gateway attest` use only what is here: the `ValidationRequest`
event, `validationRequest`, `validationResponse`, `hasResponse`, and the Identity Registry's
`tokenURI`. The ABI fragments are written out (no compiler at run time); a test checks each one
against the compiled `contracts/erc8004/` registries. The registry keys a request by
`(agentId, requestHash)` (docs/erc8004.md: per-agent namespaces, so nobody can occupy another
agent's request hash first): every call about a request takes both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from eth_typing import HexStr
from web3 import Web3
from web3.types import LogReceipt, TxReceipt

from prover.chain.sender import Sender, checksum

_BYTES32 = {"name": "requestHash", "type": "bytes32"}
_AGENT = {"name": "agentId", "type": "uint256"}
VALIDATION_ABI: Final[list[dict[str, Any]]] = [
    {
        "type": "event",
        "name": "ValidationRequest",
        "anonymous": False,
        "inputs": [
            {"name": "validatorAddress", "type": "address", "indexed": True},
            {"name": "agentId", "type": "uint256", "indexed": True},
            {"name": "requestURI", "type": "string", "indexed": False},
            {"name": "requestHash", "type": "bytes32", "indexed": True},
        ],
    },
    {
        "type": "function",
        "name": "validationRequest",
        "stateMutability": "nonpayable",
        "inputs": [
            {"name": "validatorAddress", "type": "address"},
            {"name": "agentId", "type": "uint256"},
            {"name": "requestURI", "type": "string"},
            _BYTES32,
        ],
        "outputs": [],
    },
    {
        "type": "function",
        "name": "validationResponse",
        "stateMutability": "nonpayable",
        "inputs": [
            _AGENT,
            _BYTES32,
            {"name": "response", "type": "uint8"},
            {"name": "responseURI", "type": "string"},
            {"name": "responseHash", "type": "bytes32"},
            {"name": "tag", "type": "string"},
        ],
        "outputs": [],
    },
    {
        "type": "function",
        "name": "hasResponse",
        "stateMutability": "view",
        "inputs": [_AGENT, _BYTES32],
        "outputs": [{"name": "", "type": "bool"}],
    },
    *[
        {"type": "error", "name": name, "inputs": inputs}
        for name, inputs in (
            ("ZeroValidator", []),
            ("ZeroRequestHash", []),
            ("EmptyRequestURI", []),
            ("RequestAlreadyExists", [_AGENT, _BYTES32]),
            (
                "NotAgentOperator",
                [{"name": "caller", "type": "address"}, _AGENT],
            ),
            ("UnknownRequest", [_AGENT, _BYTES32]),
            (
                "NotValidator",
                [
                    {"name": "caller", "type": "address"},
                    {"name": "validatorAddress", "type": "address"},
                ],
            ),
            ("ResponseOutOfRange", [{"name": "response", "type": "uint8"}]),
        )
    ],
]
IDENTITY_ABI: Final[list[dict[str, Any]]] = [
    {
        "type": "function",
        "name": "tokenURI",
        "stateMutability": "view",
        "inputs": [{"name": "tokenId", "type": "uint256"}],
        "outputs": [{"name": "", "type": "string"}],
    },
]
MAX_RESPONSE: Final = 100


@dataclass(frozen=True)
class ValidationRequestSeen:
    """One `ValidationRequest` event addressed to a validator."""

    validator: str
    agent_id: int
    request_uri: str
    request_hash: bytes
    block_number: int
    log_index: int


class ValidationRegistry:
    """The Validation Registry at `address` (reads through `w3`, writes through a `Sender`)."""

    def __init__(self, w3: Web3, address: str) -> None:
        self.w3 = w3
        self.contract = w3.eth.contract(address=checksum(address), abi=VALIDATION_ABI)

    def requests_for(
        self, validator: str, from_block: int, to_block: int
    ) -> list[ValidationRequestSeen]:
        """The requests naming `validator` in blocks `[from_block, to_block]`, in chain order."""
        event = self.contract.events.ValidationRequest
        logs: list[LogReceipt] = self.w3.eth.get_logs(
            {
                "address": self.contract.address,
                "fromBlock": from_block,
                "toBlock": to_block,
                "topics": [
                    event.topic,
                    HexStr("0x" + bytes(12).hex() + checksum(validator)[2:].lower()),
                ],
            }
        )
        seen = []
        for log in logs:
            args = event().process_log(log)["args"]
            seen.append(
                ValidationRequestSeen(
                    validator=checksum(args["validatorAddress"]),
                    agent_id=int(args["agentId"]),
                    request_uri=str(args["requestURI"]),
                    request_hash=bytes(args["requestHash"]),
                    block_number=int(log["blockNumber"]),
                    log_index=int(log["logIndex"]),
                )
            )
        return sorted(seen, key=lambda r: (r.block_number, r.log_index))

    def has_response(self, request_hash: bytes, agent_id: int) -> bool:
        """Whether the request `(agent_id, request_hash)` holds an answer (reverts
        `UnknownRequest` for a request the registry never saw)."""
        return bool(self.contract.functions.hasResponse(agent_id, request_hash).call())

    def respond(
        self,
        sender: Sender,
        request_hash: bytes,
        agent_id: int,
        *,
        score: int,
        response_uri: str,
        response_hash: bytes,
        tag: str,
    ) -> TxReceipt:
        fn = self.contract.functions.validationResponse(
            agent_id, request_hash, score, response_uri, response_hash, tag
        )
        return sender.call_fn(fn, "validationResponse")

    def request(
        self, sender: Sender, validator: str, agent_id: int, request_uri: str, request_hash: bytes
    ) -> TxReceipt:
        fn = self.contract.functions.validationRequest(
            checksum(validator), agent_id, request_uri, request_hash
        )
        return sender.call_fn(fn, "validationRequest")


def agent_uri(w3: Web3, identity_registry: str, agent_id: int) -> str:
    """The agent's registration URI (`tokenURI`) in the Identity Registry."""
    identity = w3.eth.contract(address=checksum(identity_registry), abi=IDENTITY_ABI)
    return str(identity.functions.tokenURI(agent_id).call())
