"""Valid example inputs for the real circuits, built from the crypto core (prover.crypto).

For benchmarks and end-to-end tests of the proving pipeline; the circuits engineer's
`prover.circuits.inputs` is the production builder.
"""

from __future__ import annotations

from typing import Any

from prover import crypto as zc
from prover.circuits.errors import MalformedInputsError
from prover.circuits.inputs import Note, NoteState, ServiceParams, withdraw_inputs
from prover.crypto.commitment import sign_state


def request_example() -> dict[str, Any]:
    """Valid inputs for `request`: a signed (non-genesis) state of a note in a 5-leaf tree.

    Built from the crypto core (prover.crypto), the Python twin of the circuit.
    """
    k, service_id, deposit, expiry, today = 123456789, 987654321, 10**9, 20_500, 20_400
    note = zc.note_id(k)
    tree = zc.LeanIMT([zc.leaf(zc.note_id(1000 + i), deposit, expiry) for i in range(4)])
    tree.insert(zc.leaf(note, deposit, expiry))
    path = tree.proof(tree.size - 1)
    server_sk = 4242424242
    server_pk = zc.public_key(server_sk)
    opening = zc.Opening(n=3, C=300, P=0, ID=note, rho=zc.eta(k, 7, service_id))
    signature = sign_state(server_sk, service_id, zc.commit(opening), server_pk)
    x = zc.poseidon(zc.TAG_MSG, 31337)
    merkle = path.to_circuit_inputs()
    return {
        "k": k,
        "D": deposit,
        "expiry": expiry,
        "depth": merkle["depth"],
        "indices": merkle["indices"],
        "siblings": merkle["siblings"],
        "n": opening.n,
        "C": opening.C,
        "P": opening.P,
        "rho": opening.rho,
        "eta": zc.eta(k, opening.n, service_id),
        "is_genesis": 0,
        "sig_R8": [signature.R8.x, signature.R8.y],
        "sig_S": signature.S,
        "root": tree.root,
        "service_id": service_id,
        "x": x,
        "c_max": 100,
        "reserve": 1000,
        "server_pk": [server_pk.x, server_pk.y],
        "today": today,
    }


def withdraw_example() -> dict[str, Any]:
    """Valid inputs for `withdraw`: a signed state (n = 3, C = 300) of a 10^9-unit note."""
    k, service_id, server_sk = 123456789, 987654321, 4242424242
    server_pk = zc.public_key(server_sk)
    note = Note(k=k, D=10**9, expiry=20_500)
    rho = zc.eta(k, 7, service_id)
    opening = zc.Opening(n=3, C=300, P=0, ID=note.id, rho=rho)
    signature = sign_state(server_sk, service_id, zc.commit(opening), server_pk)
    state = NoteState(n=3, C=300, P=0, rho=rho, signature=signature)
    service = ServiceParams(
        service_id=service_id, c_max=100, reserve=1000, penalty_max=500, server_pk=server_pk
    )
    return withdraw_inputs(note, state, service, recipient=0xABCDEF, pending=False)


def slash_example(k: int = 123456789, service_id: int = 987654321) -> dict[str, Any]:
    """`slash`: knowledge of k for ID = H(TAG_ID, k) under service_id."""
    return {"k": k, "service_id": service_id}


def example_inputs(name: str) -> dict[str, Any]:
    """Example inputs for `request`, `withdraw` or `slash`."""
    if name == "request":
        return request_example()
    if name == "withdraw":
        return withdraw_example()
    if name == "slash":
        return slash_example()
    raise MalformedInputsError(f"no example inputs for circuit {name!r}", field="circuit")
