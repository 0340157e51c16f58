"""What a client requires of a vault before trusting it, beyond its registration file matching it.

`check_registration_against_vault` proves the file describes the vault; these checks make sure the
vault is one a client may deposit into (docs/protocol-decisions.md, "Prover service"):

- **Setup.** Off a local chain (31337, 1337), the registration's `setup` must be
  `multi-party-ceremony` and neither verifier may report `DEV_SETUP() == true`: single-party keys
  let whoever ran the setup forge withdrawals and slashes.
- **Verifier code.** The vault pins vk hashes, and each verifier reports `VK_HASH()`, but nothing on
  chain ties a verifier's code to its key: a contract accepting every proof can report any hash
  and let the provider slash (take) every deposit. The runtime code at each verifier address must
  equal the code this project's build makes from the pinned key (`prover.circuits.verifier_code`;
  the full key comes from the client's build or cache, else from the provider's published files).
- **Roots.** `root_ttl` must cover `root_epoch`, the chain's finality lag as measured now, and a
  margin (`prover.chain.root_window`), or some epochs would have no usable root.
"""

from __future__ import annotations

from web3 import Web3
from web3.exceptions import Web3Exception

from prover.chain.errors import FinalityLagError
from prover.chain.local_chains import LOCAL_CHAIN_IDS
from prover.chain.registration import VaultTerms, VaultView
from prover.chain.root_window import finality_lag, root_window_problem
from prover.chain.sender import checksum
from prover.circuits.manifest import CEREMONY_SETUP
from prover.circuits.verifier_code import codehash_of
from prover.client.errors import DiscoveryError, KeysUnavailableError
from prover.client.keyring import Keyring

_DEV_SETUP_ABI = [
    {
        "type": "function",
        "name": "DEV_SETUP",
        "inputs": [],
        "outputs": [{"name": "", "type": "bool"}],
        "stateMutability": "view",
    }
]
VERIFIED_CIRCUITS = ("withdraw", "slash")


def check_setup(w3: Web3, view: VaultView, terms: VaultTerms) -> None:
    """Dev keys and a setup other than the ceremony are for local chains only."""
    if view.chain_id in LOCAL_CHAIN_IDS:
        return
    if terms.setup != CEREMONY_SETUP:
        raise DiscoveryError(
            f"the provider's keys come from a {terms.setup} setup: refused on chain "
            f"{view.chain_id} (only {sorted(LOCAL_CHAIN_IDS)} accept dev keys)",
            field="zkcredits.setup",
        )
    for circuit in VERIFIED_CIRCUITS:
        address = getattr(view.params, f"{circuit}_verifier")
        verifier = w3.eth.contract(address=checksum(address), abi=_DEV_SETUP_ABI)
        try:
            dev = bool(verifier.functions.DEV_SETUP().call())
        except (Web3Exception, ValueError):
            continue  # no DEV_SETUP getter: not our verifier, which the code check refuses
        if dev:
            raise DiscoveryError(
                f"the {circuit} verifier {address} says DEV_SETUP = true on chain {view.chain_id}",
                field=f"zkcredits.params.{circuit}_verifier",
            )


def check_verifier_code(w3: Web3, view: VaultView, terms: VaultTerms, keyring: Keyring) -> None:
    """Each verifier's runtime code must be what the project's build makes from its pinned key."""
    for circuit in VERIFIED_CIRCUITS:
        address = getattr(view.params, f"{circuit}_verifier")
        vk_hash = getattr(view.params, f"{circuit}_vk_hash")
        field = f"zkcredits.params.{circuit}_verifier"
        try:
            vk = keyring.verifying_key(circuit, vk_hash, terms.keys)
            expected = keyring.verifier_codehash(circuit, vk, terms.setup)
        except KeysUnavailableError as exc:
            raise DiscoveryError(
                f"cannot check the {circuit} verifier's code: {exc}", field=exc.field or field
            ) from exc
        try:
            code = bytes(w3.eth.get_code(checksum(address)))
        except (Web3Exception, ValueError) as exc:
            raise DiscoveryError(f"cannot read the {circuit} verifier: {exc}", field=field) from exc
        actual = codehash_of(code)
        if actual != expected:
            raise DiscoveryError(
                f"the {circuit} verifier {address} is not the verifier of its pinned key "
                f"{vk_hash} (code hash {actual}, expected {expected}): it could accept forged "
                "proofs",
                field=field,
            )


def check_root_window(w3: Web3, view: VaultView, confirmations: int | None) -> None:
    """`root_ttl` must leave a usable root at every moment at this chain's finality lag."""
    try:
        lag = finality_lag(w3, confirmations=confirmations)
    except FinalityLagError as exc:
        raise DiscoveryError(str(exc), field="finality_lag") from exc
    p = view.params
    problem = root_window_problem(p.root_epoch, p.root_ttl, lag)
    if problem is not None:
        raise DiscoveryError(problem, field="zkcredits.params.root_ttl")
