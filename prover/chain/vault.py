"""Typed client for the CreditVault contracts: deploy, transact, read (PROTOCOL §4, §7, §10, §11).

Deploying links the two Poseidon libraries (`PoseidonT3` for the LeanIMT, `PoseidonT5` for the
leaf) into the vault bytecode; pass `libraries=` to reuse already deployed ones. All proof-verifying
transactions carry an explicit gas limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any, Final

from pydantic import BaseModel, ConfigDict
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError

from prover.chain.artifacts import artifact, library_artifacts, link
from prover.chain.errors import ChainError
from prover.chain.signals import SlashSignals, WithdrawSignals
from prover.chain.tx import DEFAULT_GAS, Receipt, decode_revert, deploy, send
from prover.chain.vault_params import VaultParams

PROOF_GAS: Final[int] = 1_500_000
ZERO_ADDRESS: Final[str] = "0x" + "00" * 20


class NoteStatus(IntEnum):
    """`NoteStatus` of ICreditVault.sol."""

    NONE = 0
    ACTIVE = 1
    EXITING = 2
    CLOSED = 3
    SLASHED = 4
    SWEPT = 5


class NoteView(BaseModel):
    """`noteOf(id)`: deposit/charged/penalties in accounting units, expiry a day number."""

    model_config = ConfigDict(frozen=True)

    status: NoteStatus
    deposit: int
    expiry: int
    charged: int
    penalties: int
    recipient: str
    exit_ready_at: int


def proof_words(calldata: bytes) -> tuple[list[int], list[list[int]], list[int]]:
    """The `Groth16Proof` struct `(a, b, c)` from a 256-byte calldata proof."""
    if len(calldata) != 256:
        raise ChainError(f"proof must be 256 bytes, got {len(calldata)}")
    w = [int.from_bytes(calldata[i : i + 32], "big") for i in range(0, 256, 32)]
    return [w[0], w[1]], [[w[2], w[3]], [w[4], w[5]]], [w[6], w[7]]


def deploy_libraries(w3: Web3, sender: str) -> dict[str, str]:
    """Deploy PoseidonT3 and PoseidonT5; returns their addresses by name."""
    out: dict[str, str] = {}
    for name, lib in library_artifacts().items():
        out[name] = str(
            deploy(
                w3, sender=sender, abi=lib.abi, bytecode=lib.bytecode, context=name
            ).contract_address
        )
    return out


def _deploy_vault(
    w3: Web3, name: str, args: Sequence[object], sender: str, libraries: dict[str, str] | None
) -> CreditVaultClient:
    libs = libraries or deploy_libraries(w3, sender)
    art = artifact(name)
    bytecode = link(art.bytecode, libs, library_artifacts())
    receipt = deploy(w3, sender=sender, abi=art.abi, bytecode=bytecode, args=args, context=name)
    assert receipt.contract_address is not None
    return CreditVaultClient(w3, receipt.contract_address, token=name == "TokenCreditVault")


def deploy_eth_vault(
    w3: Web3, params: VaultParams, *, sender: str, libraries: dict[str, str] | None = None
) -> CreditVaultClient:
    """Deploy `EthCreditVault(params)`."""
    return _deploy_vault(w3, "EthCreditVault", [params.as_tuple()], sender, libraries)


def deploy_token_vault(
    w3: Web3,
    params: VaultParams,
    token: str,
    *,
    sender: str,
    libraries: dict[str, str] | None = None,
) -> CreditVaultClient:
    """Deploy `TokenCreditVault(params, token)`."""
    return _deploy_vault(w3, "TokenCreditVault", [params.as_tuple(), token], sender, libraries)


class CreditVaultClient:
    """One deployed vault. Transactions come from unlocked accounts (`sender=`)."""

    def __init__(self, w3: Web3, address: str, *, token: bool | None = None) -> None:
        self.w3 = w3
        self.address = Web3.to_checksum_address(address)
        name = "TokenCreditVault" if token else "EthCreditVault"
        self.contract: Contract = w3.eth.contract(address=self.address, abi=artifact(name).abi)
        if token is None:
            token = self.asset() != ZERO_ADDRESS
            if token:
                abi = artifact("TokenCreditVault").abi
                self.contract = w3.eth.contract(address=self.address, abi=abi)
        self.is_token = token

    # ------------------------------------------------------------------ transactions

    def _send(
        self,
        fn: str,
        args: Sequence[object],
        sender: str,
        *,
        value: int = 0,
        gas: int = DEFAULT_GAS,
    ) -> Receipt:
        data = self.contract.encode_abi(fn, args=list(args))
        return send(
            self.w3, sender=sender, to=self.address, data=data, value=value, gas=gas, context=fn
        )

    def deposit(self, note_id: int, amount: int, *, sender: str) -> Receipt:
        """Deposit `amount` base units (ETH value, or an approved token amount) for `note_id`."""
        if self.is_token:
            return self._send("deposit", [note_id, amount], sender)
        return self._send("deposit", [note_id], sender, value=amount)

    def request_withdrawal_raw(
        self,
        calldata: bytes,
        note_id: int,
        recipient: str,
        pending: bool,
        outputs: tuple[int, int, int, int],
        *,
        sender: str,
        gas: int = PROOF_GAS,
    ) -> Receipt:
        """`requestWithdrawal` with explicit arguments.

        `outputs` = (charged, penalties, nullifier_t, y_w).
        """
        args = [proof_words(calldata), note_id, recipient, pending, outputs]
        return self._send("requestWithdrawal", args, sender, gas=gas)

    def request_withdrawal(
        self, calldata: bytes, signals: Sequence[int], *, sender: str, gas: int = PROOF_GAS
    ) -> Receipt:
        """`requestWithdrawal` from a withdraw proof and its 13 public signals (D6 order)."""
        s = WithdrawSignals.from_list(signals)
        outputs = (s.charged, s.penalties, s.nullifier_t, s.y_w)
        return self.request_withdrawal_raw(
            calldata, s.id, s.recipient_address, s.pending == 1, outputs, sender=sender, gas=gas
        )

    def finalize_withdrawal(self, note_id: int, *, sender: str) -> Receipt:
        return self._send("finalizeWithdrawal", [note_id], sender)

    def slash(self, calldata: bytes, note_id: int, *, sender: str, gas: int = PROOF_GAS) -> Receipt:
        return self._send("slash", [proof_words(calldata), note_id], sender, gas=gas)

    def slash_with_signals(
        self, calldata: bytes, signals: Sequence[int], *, sender: str, gas: int = PROOF_GAS
    ) -> Receipt:
        """`slash` from a slash proof and its public signals `[ID, service_id]`."""
        return self.slash(calldata, SlashSignals.from_list(signals).id, sender=sender, gas=gas)

    def claim_expired(self, note_id: int, *, sender: str) -> Receipt:
        return self._send("claimExpired", [note_id], sender)

    def withdraw_owed(self, *, sender: str, to: str | None = None) -> Receipt:
        if to is None:
            return self._send("withdrawOwed", [], sender)
        return self._send("withdrawOwedTo", [to], sender)

    # ------------------------------------------------------------------ views

    def _call(self, fn: str, *args: object, block: int | str = "latest") -> Any:
        try:
            return getattr(self.contract.functions, fn)(*args).call(block_identifier=block)
        except (ContractCustomError, ContractLogicError) as exc:
            data = exc.data if isinstance(exc.data, str) else ""
            raise decode_revert(bytes.fromhex(data.removeprefix("0x")), fn) from exc

    def service_id(self) -> int:
        return int(self._call("serviceId"))

    def params(self) -> VaultParams:
        return VaultParams.from_tuple(self._call("params"))

    def note(self, note_id: int) -> NoteView:
        v = self._call("noteOf", note_id)
        return NoteView(
            status=NoteStatus(v[0]),
            deposit=v[1],
            expiry=v[2],
            charged=v[3],
            penalties=v[4],
            recipient=v[5],
            exit_ready_at=v[6],
        )

    def owed(self, account: str) -> int:
        return int(self._call("owedOf", account))

    def burned(self) -> int:
        return int(self._call("burned"))

    def root(self, block: int | str = "latest") -> int:
        return int(self._call("root", block=block))

    def tree_size(self) -> int:
        return int(self._call("treeSize"))

    def tree_depth(self) -> int:
        return int(self._call("treeDepth"))

    def current_day(self) -> int:
        return int(self._call("currentDay"))

    def current_epoch(self) -> int:
        return int(self._call("currentEpoch"))

    def checkpoint_root(self, epoch: int, block: int | str = "latest") -> int:
        return int(self._call("checkpointRoot", epoch, block=block))

    def latest_checkpoint(self, block: int | str = "latest") -> tuple[int, int]:
        epoch, root = self._call("latestCheckpoint", block=block)
        return int(epoch), int(root)

    def asset(self) -> str:
        return str(self._call("asset"))

    def balance(self) -> int:
        """What the vault holds of its asset, in base units."""
        if not self.is_token:
            return int(self.w3.eth.get_balance(self.address))
        token = self.w3.eth.contract(
            address=Web3.to_checksum_address(self.asset()), abi=_BALANCE_OF_ABI
        )
        return int(token.functions.balanceOf(self.address).call())

    def events(self, name: str, receipt: Receipt) -> list[dict[str, Any]]:
        """Decoded `name` events of this vault in a receipt (args only)."""
        event = getattr(self.contract.events, name)()
        out = []
        for log in receipt.logs:
            if Web3.to_checksum_address(log["address"]) != self.address:
                continue
            try:
                out.append(dict(event.process_log(log)["args"]))
            except Exception:  # a log of another event of this contract
                continue
        return out


_BALANCE_OF_ABI: Final[list[dict[str, Any]]] = [
    {
        "type": "function",
        "name": "balanceOf",
        "stateMutability": "view",
        "inputs": [{"name": "a", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]
