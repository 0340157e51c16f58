"""`zkcredits client deposit` into an ERC-20 `TokenCreditVault` on Anvil (real deployment).

Two providers are deployed with the real `deploy` (verifiers of the circuit build, ERC-8004
registries, agent): one over a plain test token, one over a token that burns a fixed fee from every
transfer. The user's wallet discovers each through `client init`, as a user would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from web3 import Web3
from web3.contract import Contract
from zkcredits_testing.devkeys import anvil_account
from zkcredits_testing.devprovider import deploy_dev_provider

from prover.chain.artifacts import artifact
from prover.chain.tx import deploy, send
from prover.cli.main import app
from prover.client.chain_abi import vault_abi
from prover.client.deposit import deposit_note
from prover.client.discovery import discover
from prover.client.token_deposit import deposit_errors_abi, erc20_abi, token_vault_abi
from prover.client.wallet import KdfParams, NoteStatus, Wallet, crashpoints
from prover.crypto import generate_secret_key
from prover.toolchain.anvil import AnvilProcess

pytestmark = pytest.mark.slow
PASS = "token deposit passphrase"
UNIT = 1_000  # base units per accounting unit, as for a 6-decimal token
FEE = 3 * UNIT  # the fee token burns 3 units' worth from every transfer


@dataclass
class Provider:
    token: Contract
    vault: str
    identity: str
    agent_id: int

    def balance(self, who: str) -> int:
        return int(self.token.functions.balanceOf(Web3.to_checksum_address(who)).call())

    def allowance(self, owner: str) -> int:
        return int(self.token.functions.allowance(owner, self.vault).call())


@dataclass
class World:
    w3: Web3
    rpc: str
    root: Path
    plain: Provider
    fee: Provider


def _provider(w3: Web3, rpc: str, root: Path, fee: int, holders: list[int]) -> Provider:
    art = artifact("FeeOnTransferToken", test=True)
    deployer = anvil_account(0).address
    receipt = deploy(w3, sender=deployer, abi=art.abi, bytecode=art.bytecode, args=[fee])
    token = w3.eth.contract(
        address=Web3.to_checksum_address(str(receipt.contract_address)), abi=art.abi
    )
    for index in holders:
        data = token.encode_abi("mint", [anvil_account(index).address, 100_000 * UNIT])
        send(w3, sender=deployer, to=token.address, data=data)
    deployment = deploy_dev_provider(
        rpc, generate_secret_key(), "http://127.0.0.1:9/", root / f"deployments-{fee}",
        asset=token.address, unit=UNIT,
    )  # fmt: skip
    assert deployment.asset == token.address
    identity, agent_id = deployment.registries.identity, deployment.agent.agent_id
    return Provider(token, deployment.vault, identity, agent_id)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("token-deposit")
    with AnvilProcess() as chain:
        w3 = Web3(Web3.HTTPProvider(chain.rpc_url))
        plain = _provider(w3, chain.rpc_url, root, 0, holders=[5, 8, 9])
        fee = _provider(w3, chain.rpc_url, root, FEE, holders=[6])
        yield World(w3, chain.rpc_url, root, plain, fee)


def _cli(args: list[str], env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(app, ["client", *args, "--json"], env=env)
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def _user(world: World, provider: Provider, name: str, account: int) -> dict[str, str]:
    """A fresh wallet that discovered `provider`, and the env + key file of dev `account`."""
    key = world.root / f"{name}.key"
    key.write_text(anvil_account(account).key.hex())
    key.chmod(0o600)
    env = {
        "ZKCREDITS_WALLET_PASSPHRASE": PASS,
        "ZKCREDITS_WALLET": str(world.root / f"{name}.zkw"),
        "ZKCREDITS_SEND_DELAY_MAX_S": "0.05",
        "KEY": str(key),
    }
    code, out = _cli(["init", "--rpc-url", world.rpc, "--identity-registry", provider.identity,
                      "--agent-id", str(provider.agent_id), "--kdf-log2-n", "10"], env)  # fmt: skip
    assert code == 0, out
    return env


def _deposit(env: dict[str, str], amount: int) -> tuple[int, dict[str, Any]]:
    return _cli(["deposit", "--amount", str(amount), "--key-file", env["KEY"]], env)


def _notes(env: dict[str, str]) -> dict[int, tuple[NoteStatus, int | None]]:
    with Wallet.open(Path(env["ZKCREDITS_WALLET"]), PASS) as opened:
        return {n.id: (n.status, n.deposit.D if n.deposit else None) for n in opened.notes()}


def _approvals(world: World, provider: Provider, owner: str, since: int) -> list[int]:
    logs = provider.token.events.Approval().get_logs(
        from_block=since, argument_filters={"owner": owner}
    )
    return [int(log["args"]["value"]) for log in logs]


def test_the_deposit_abi_subset_matches_the_compiled_contracts() -> None:
    vault = artifact("TokenCreditVault").abi
    token = artifact("FeeOnTransferToken", test=True).abi
    for entry in [*token_vault_abi(), *erc20_abi(), *deposit_errors_abi()]:
        assert entry in vault or entry in token, entry["name"]


def test_the_cli_approves_exactly_the_amount_and_the_vault_gains_exactly_the_deposit(
    world: World,
) -> None:
    env, p = _user(world, world.plain, "exact", 8), world.plain
    user = anvil_account(8).address
    start, vault_before, user_before = (
        world.w3.eth.block_number,
        p.balance(p.vault),
        p.balance(user),
    )
    code, out = _deposit(env, 20_000)
    assert code == 0, out
    assert out["token"] == p.token.address and out["D"] == 20_000
    assert p.balance(p.vault) - vault_before == 20_000 * UNIT
    assert user_before - p.balance(user) == 20_000 * UNIT
    assert _approvals(world, p, user, start) == [20_000 * UNIT]  # exactly the deposit, once
    assert p.allowance(user) == 0
    assert _notes(env) == {int(out["note"]): (NoteStatus.ACTIVE, 20_000)}
    vault = world.w3.eth.contract(address=Web3.to_checksum_address(p.vault), abi=vault_abi())
    assert vault.functions.noteOf(int(out["note"])).call()[1] == 20_000


def test_an_allowance_that_already_covers_the_deposit_is_used_without_a_new_approve(
    world: World,
) -> None:
    env, p = _user(world, world.plain, "allowed", 9), world.plain
    user = anvil_account(9).address
    send(world.w3, sender=user, to=p.token.address,
         data=p.token.encode_abi("approve", [p.vault, 50_000 * UNIT]))  # fmt: skip
    start, nonce, vault_before = (
        world.w3.eth.block_number + 1,
        world.w3.eth.get_transaction_count(user),
        p.balance(p.vault),
    )
    code, out = _deposit(env, 10_000)
    assert code == 0, out
    assert world.w3.eth.get_transaction_count(user) == nonce + 1  # the deposit alone
    assert _approvals(world, p, user, start) == []
    assert p.allowance(user) == 40_000 * UNIT
    assert p.balance(p.vault) - vault_before == 10_000 * UNIT


def test_a_deposit_beyond_the_token_balance_is_refused_clearly_and_writes_no_note(
    world: World,
) -> None:
    env, p = _user(world, world.plain, "poor", 7), world.plain  # account 7 holds no token
    user = anvil_account(7).address
    nonce, vault_before = world.w3.eth.get_transaction_count(user), p.balance(p.vault)
    code, out = _deposit(env, 10_000)
    assert code == 1
    assert out["error"]["type"] == "InsufficientTokenBalanceError"
    assert p.token.address in out["error"]["message"]
    assert f"needs {10_000 * UNIT}" in out["error"]["message"]
    assert _notes(env) == {}
    assert world.w3.eth.get_transaction_count(user) == nonce  # not even an approve
    assert p.balance(p.vault) == vault_before and p.allowance(user) == 0


def test_a_fee_on_transfer_token_is_credited_net_and_a_net_below_the_minimum_is_refused_by_name(
    world: World,
) -> None:
    env, p = _user(world, world.fee, "fee", 6), world.fee
    user = anvil_account(6).address
    user_before, vault_before = p.balance(user), p.balance(p.vault)
    code, out = _deposit(env, 10_000)  # arrives 9_997 units: under min_deposit
    assert code == 1
    assert out["error"]["type"] == "DepositError"
    assert "DepositBelowMinimum(9997, 10000)" in out["error"]["message"]
    assert _notes(env) == {}
    assert p.balance(user) == user_before and p.balance(p.vault) == vault_before
    code, out = _deposit(env, 20_000)
    assert code == 0, out
    assert out["D"] == 20_000 - FEE // UNIT
    assert _notes(env) == {int(out["note"]): (NoteStatus.ACTIVE, 20_000 - FEE // UNIT)}
    assert p.balance(p.vault) - vault_before == (20_000 * UNIT) - FEE
    assert user_before - p.balance(user) == 20_000 * UNIT


class _Crash(Exception):
    pass


def test_the_note_is_journalled_before_the_token_deposit_is_sent(world: World) -> None:
    p = world.plain
    account = anvil_account(5)
    pin = discover(world.w3, p.identity, p.agent_id)
    path = world.root / "crash.zkw"
    Wallet.create(path, PASS, kdf=KdfParams(log2_n=10, r=8, p=1)).close()
    vault_before = p.balance(p.vault)

    def crash(point: str) -> None:
        if point == "deposit.note_journalled":
            raise _Crash(point)

    crashpoints.set_hook(crash)
    try:
        with Wallet.open(path, PASS) as wallet, pytest.raises(_Crash):
            deposit_note(world.w3, account, pin, wallet, 10_000)
    finally:
        crashpoints.set_hook(None)
    with Wallet.open(path, PASS) as reopened:
        [note] = reopened.notes()
    assert note.status is NoteStatus.CREATED and note.deposit is None and note.k > 0
    assert p.balance(p.vault) == vault_before
    assert p.allowance(account.address) == 10_000 * UNIT  # approved, unused, reusable
