"""Gas of the ERC-8004 on-boarding, as `bench/gas.py` measures it."""

from __future__ import annotations

import base64

from web3 import Web3
from zkcredits_testing.devkeys import anvil_account
from zkcredits_testing.registration_gas import measure_agent_registration_gas


def _uri(n_bytes: int) -> str:
    return "data:application/json;base64," + base64.b64encode(b"{" + b" " * n_bytes + b"}").decode()


def test_registration_gas_is_measured_from_receipts_and_grows_with_the_uri(w3: Web3) -> None:
    small = measure_agent_registration_gas(w3, anvil_account(0), anvil_account(9), _uri(96))
    large = measure_agent_registration_gas(w3, anvil_account(0), anvil_account(9), _uri(3000))
    assert large.agent_uri_bytes - small.agent_uri_bytes == 3872
    # Storing the URI costs a fresh storage slot (20 k gas + calldata) per 32 bytes.
    per_word = (large.set_agent_uri - small.set_agent_uri) / (3872 / 32)
    assert 20_000 < per_word < 23_500
    assert large.register_without_uri == small.register_without_uri
    # One `register(uri)` saves a transaction's base cost against `register()` + `setAgentURI`.
    two_step = large.register_without_uri + large.set_agent_uri
    assert 0 < two_step - large.register_with_uri < 60_000
    assert 50_000 < large.set_agent_wallet < 150_000
    assert min(small.deploy_identity, small.deploy_reputation, small.deploy_validation) > 500_000
