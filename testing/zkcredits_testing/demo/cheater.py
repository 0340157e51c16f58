"""The cheating agent: two different paid calls on the SAME ticket under two different one-time
keys (so two shares of one ticket), built with the low-level pieces (request inputs, the Groth16
prover, the signed x402 header) and sent straight to the gateway. The second reveals the note's
secret (RLN); the gateway's slasher takes the deposit. (One key with two requests would only get
`ticket_reserved`: the wallet never makes a second key for a ticket.)"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

import httpx
from web3 import Web3

from prover.chain.mirror import Finality, VaultMirror
from prover.chain.vault import NoteStatus as ChainStatus
from prover.circuits.inputs import CallParams, NoteState, ServiceParams, request_inputs
from prover.circuits.inputs import Note as CircuitNote
from prover.circuits.prover import Prover
from prover.client.discovery import vault_contract
from prover.client.payer.payer import utc_day
from prover.crypto import eta, rho0
from prover.crypto.request_hash import RequestFields
from prover.crypto.ticket_key import TicketKey
from prover.gateway.embedded import EMBED_MODEL
from prover.wire import encode_header as encode
from prover.wire import signed_payment
from zkcredits_testing.demo.agent import Agent
from zkcredits_testing.demo.errors import DemoError
from zkcredits_testing.demo.stack import CONFIRMATIONS, Stack

PATH = "/v1/embeddings"


@dataclass
class CheatOutcome:
    first_status: int
    second_status: int
    second_code: str
    slashed_units: int
    treasury_gain_wei: int
    seconds_to_slash: float


def _paid_header(stack: Stack, agent: Agent, prover: Prover, mirror: VaultMirror,
                 body: bytes) -> str:  # fmt: skip
    """A valid payment for ticket 0 (genesis state) of the agent's note, for this body, under a
    fresh one-time key."""
    note = agent.notes[0]
    assert note.deposit is not None
    sid = agent.pin.service.service_id
    today = utc_day(time.time())  # the gateway's clock is the wall clock
    request_id = secrets.token_bytes(16)
    fields = RequestFields.create(
        method="POST", path=PATH, body=body, service_id=sid, today=today, request_id=request_id
    )
    svc = agent.pin.service
    service = ServiceParams(
        service_id=sid, c_max=svc.c_max, reserve=svc.reserve, penalty_max=svc.penalty_max,
        server_pk=svc.server_pk,
    )  # fmt: skip
    checkpoint = mirror.newest_checkpoint()
    cnote = CircuitNote(
        k=note.k, D=note.deposit.D, expiry=note.deposit.expiry,
        proof=mirror.merkle_proof(note.deposit.leaf_index, checkpoint=checkpoint),
    )  # fmt: skip
    key = TicketKey.generate()
    call = CallParams(x=key.x, today=today, eta=eta(note.k, 0, sid))
    proof = prover.prove(request_inputs(cnote, NoteState.genesis(rho0(note.k, sid)), service, call))
    return encode(
        signed_payment(
            network=f"eip155:{svc.chain_id}",
            proof=proof.calldata,
            public_signals=[int(s) for s in proof.public_signals],
            key=key,
            request=fields,
        )
    )


def double_spend(stack: Stack, agent: Agent, timeout: float = 120.0) -> CheatOutcome:
    """Spend ticket 0 twice; wait until the vault reports the note slashed."""
    note = agent.notes[0]
    assert note.deposit is not None
    vault = vault_contract(stack.w3, stack.deployment.vault)
    treasury = stack.treasury()
    owed_before = int(vault.functions.owedOf(treasury).call())
    mirror = VaultMirror(
        Web3(Web3.HTTPProvider(stack.rpc_url)), stack.deployment.vault,
        stack.root / f"{agent.name}-mirror.sqlite", finality=Finality.after(CONFIRMATIONS),
    )  # fmt: skip
    try:
        mirror.sync()
        bodies = [
            json.dumps({"model": EMBED_MODEL, "input": text}).encode()
            for text in ("the first spend of ticket 0", "a different request on ticket 0")
        ]
        with Prover(stack.request_keys) as prover:
            headers = [_paid_header(stack, agent, prover, mirror, b) for b in bodies]
    finally:
        mirror.close()
    url = stack.gateway_url.rstrip("/") + PATH
    with httpx.Client(trust_env=False, timeout=120) as http:
        replies = [
            http.post(url, content=b, headers={"PAYMENT-SIGNATURE": h,
                                               "Content-Type": "application/json"})
            for b, h in zip(bodies, headers, strict=True)
        ]  # fmt: skip
    first, second = replies
    code = ""
    if second.headers.get("content-type", "").startswith("application/json"):
        code = str(second.json().get("error", {}).get("code", ""))
    if first.status_code != 200 or second.status_code != 409 or code != "double_spend":
        raise DemoError(
            f"double spend: expected 200 then 409 double_spend, got {first.status_code} then "
            f"{second.status_code} {code!r}"
        )
    t0 = time.monotonic()
    while ChainStatus(int(vault.functions.noteOf(note.id).call()[0])) is not ChainStatus.SLASHED:
        if time.monotonic() - t0 > timeout:
            raise DemoError(f"the watcher did not slash note {note.id} within {timeout:.0f} s")
        time.sleep(0.2)
    waited = time.monotonic() - t0
    gain = int(vault.functions.owedOf(treasury).call()) - owed_before
    return CheatOutcome(first.status_code, second.status_code, code, note.deposit.D, gain, waited)
