"""Withdrawing a note (PROTOCOL §7): prove, `requestWithdrawal`, wait out the window, finalise,
pull the payout.

The proof is for the note's latest signed state (or genesis). `pending` is 1 exactly when the
note's next ticket has shown its share to the gateway and was not served: a request is in flight
on it (it may have been served, and the gateway did not give the reply back), or a request on it
was sent and refused. The exit's share of that ticket at `x_w` would otherwise be a second share
of one ticket (the gateway could recover `k` and slash), so it skips the ticket and pays it in
full (`c_max` and `penalty_max`): never a free call. Callers settle in-flight requests first
(`Payer.settle_pending`, `Wallet.resync`), so `pending = 1` is left only when the gateway will
not answer. The public signals are checked against the Python twin before sending.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from prover.chain.sender import Sender, checksum
from prover.chain.vault import NoteStatus as ChainStatus
from prover.chain.vault import proof_words
from prover.circuits.errors import CircuitError
from prover.circuits.inputs import Note as CircuitNote
from prover.circuits.inputs import NoteState as CircuitState
from prover.circuits.inputs import ServiceParams as CircuitService
from prover.circuits.inputs import expected_withdraw_signals, withdraw_inputs
from prover.circuits.prover import CircuitKeys, Prover
from prover.client.chain_abi import vault_abi
from prover.client.discovery import vault_contract
from prover.client.errors import ClientError, ProvingError
from prover.client.wallet import Note, NoteStatus, Wallet
from prover.errors import ZkCreditsError


@dataclass(frozen=True)
class ExitInfo:
    status: ChainStatus
    deposit: int
    charged: int
    penalties: int
    recipient: str
    exit_ready_at: int


def exit_info(contract: Contract, note_id: int) -> ExitInfo:
    v = contract.functions.noteOf(note_id).call()
    return ExitInfo(ChainStatus(v[0]), v[1], v[3], v[4], str(v[5]), v[6])


def exit_pending(note: Note) -> bool:
    """Must the exit skip the next ticket (`pending = 1`)? Yes iff its share may be known."""
    return note.share_shown


def withdraw_proof(
    note: Note, recipient: str, pending: bool, keys: CircuitKeys | None = None
) -> tuple[bytes, list[int]]:
    """A withdraw proof for the note's latest state; signals checked against the twin.

    `keys`: the provider's withdraw keys (`prover.client.keyring.provider_keys`); by default the
    repository's build."""
    if note.deposit is None:
        raise ClientError(f"note {note.id} was never deposited", field="deposit")
    service = note.service
    state = note.state
    try:
        cnote = CircuitNote(k=note.k, D=note.deposit.D, expiry=note.deposit.expiry)
        cstate = (
            CircuitState.genesis(state.rho)
            if state.sigma is None
            else CircuitState(n=state.n, C=state.C, P=state.P, rho=state.rho, signature=state.sigma)
        )
        cservice = CircuitService(
            service_id=service.service_id,
            c_max=service.c_max,
            reserve=service.reserve,
            penalty_max=service.penalty_max,
            server_pk=service.server_pk,
        )
        to = int(checksum(recipient), 16)
        inputs = withdraw_inputs(cnote, cstate, cservice, to, pending)
        expected = expected_withdraw_signals(cnote, cstate, cservice, to, pending)
        with Prover(keys or CircuitKeys.load("withdraw")) as prover:
            proof = prover.prove(inputs)
    except CircuitError as exc:
        raise ProvingError(f"withdraw proof: {exc}", field=getattr(exc, "field", None)) from exc
    signals = [int(s) for s in proof.public_signals]
    if signals != expected:
        raise ProvingError("withdraw proof signals differ from the wallet's computation")
    if signals[1] + signals[2] > note.deposit.D:
        raise ClientError("charged + penalties exceed the deposit", field="charged")
    return bytes(proof.calldata), signals


def request_withdrawal(
    w3: Web3,
    account: LocalAccount,
    wallet: Wallet,
    note_id: int,
    recipient: str,
    pending: bool,
    *,
    keys: CircuitKeys | None = None,
) -> ExitInfo:
    """Send `requestWithdrawal` for the note and mark it exiting in the wallet (`keys`: the
    provider's withdraw keys, see `withdraw_proof`)."""
    note = wallet.note(note_id)
    if note.status not in (NoteStatus.ACTIVE, NoteStatus.HALTED):
        raise ClientError(
            f"note {note_id} is {note.status}; it cannot start an exit", field="status"
        )
    if pending != exit_pending(note):
        raise ClientError(
            "pending must be set exactly when the next ticket's share was shown and not served",
            field="pending",
        )
    calldata, signals = withdraw_proof(note, recipient, pending, keys)
    contract = vault_contract(w3, note.service.vault_address)
    outputs = (signals[1], signals[2], signals[3], signals[4])
    fn = contract.functions.requestWithdrawal(
        proof_words(calldata), note_id, checksum(recipient), pending, outputs
    )
    sender = Sender(w3, account, abis=[vault_abi()])
    try:
        sender.call_fn(fn, "requestWithdrawal", gas=1_500_000)
    except ZkCreditsError as exc:
        raise ClientError(f"requestWithdrawal failed: {exc}", field="withdraw") from exc
    wallet.mark_exiting(note_id)
    return exit_info(contract, note_id)


def finalize_and_pull(w3: Web3, account: LocalAccount, wallet: Wallet, note_id: int) -> int:
    """`finalizeWithdrawal` (once the window passed) then `withdrawOwed`; returns the wei pulled
    by `account` (which must be the exit's recipient)."""
    note = wallet.note(note_id)
    contract = vault_contract(w3, note.service.vault_address)
    info = exit_info(contract, note_id)
    sender = Sender(w3, account, abis=[vault_abi()])
    if info.status is ChainStatus.EXITING:
        now = int(w3.eth.get_block("latest")["timestamp"])
        if now < info.exit_ready_at:
            raise ClientError(
                f"the exit window ends at {info.exit_ready_at} (chain time now {now})",
                field="exit_ready_at",
            )
        sender.call_fn(contract.functions.finalizeWithdrawal(note_id), "finalizeWithdrawal")
    elif info.status is not ChainStatus.CLOSED:
        raise ClientError(f"the vault reports the note as {info.status.name}", field="status")
    if wallet.note(note_id).status is NoteStatus.EXITING:
        wallet.mark_closed(note_id)
    owed = int(contract.functions.owedOf(account.address).call())
    if owed == 0:
        return 0
    before = int(w3.eth.get_balance(account.address))
    receipt = sender.call_fn(contract.functions.withdrawOwed(), "withdrawOwed")
    fee = int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])
    after = int(w3.eth.get_balance(account.address))
    return after - before + fee
