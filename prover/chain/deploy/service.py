"""Deploy a zkcredits service: verifiers, Poseidon libraries, vault, ERC-8004 registries and agent.

Everything that can fail without spending gas is checked first (config, build, chain id, dev
setup refusal, compilation, funds). `deployments/<chainId>.json` is written once, atomically, at
the very end, after the agent's registration file was read back from chain and checked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.types import TxReceipt

from prover.chain.artifacts import LIBRARIES, all_errors_abi, link, placeholder, vault_artifacts
from prover.chain.deploy.agent import (
    deploy_or_reuse_registries,
    published_keys,
    register_provider_agent,
)
from prover.chain.deploy.deployment_file import (
    DEPLOYMENTS_DIR,
    ContractRecord,
    Deployment,
    write_deployment,
)
from prover.chain.deploy.errors import (
    DeployError,
    DevSetupRefusedError,
    InsufficientFundsError,
    RpcUnreachableError,
)
from prover.chain.deploy.inputs import BuildInputs, DeployConfig, read_build
from prover.chain.erc8004 import (
    check_existing_registries,
    compile_registries,
    registry_abis,
)
from prover.chain.errors import FinalityLagError
from prover.chain.local_chains import LOCAL_CHAIN_IDS
from prover.chain.registration import (
    RegisteredParams,
    VaultView,
)
from prover.chain.root_window import finality_lag, root_window_problem
from prover.chain.sender import Sender, checksum
from prover.chain.vault_params import VaultParams
from prover.circuits.artifacts import GENERATED_DIR, KEYS_DIR
from prover.circuits.manifest import DEV_SETUP
from prover.toolchain.compiled import CompiledContract

Progress = Callable[[str], None]
# Gas of steps that cannot be estimated before earlier contracts exist (generous upper bounds).
_VAULT_CONSTRUCTOR_GAS = 600_000
_REGISTER_GAS = 250_000
_SET_WALLET_GAS = 150_000
_URI_BYTES_GUESS = 8_192


def connect(rpc_url: str, timeout: float = 15.0) -> Web3:
    """A web3 connection that answered `eth_chainId`; RpcUnreachableError otherwise."""
    if not rpc_url.startswith(("http://", "https://")):
        raise RpcUnreachableError(f"RPC URL must be http(s)://, got {rpc_url!r}", field="rpc_url")
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
    try:
        w3.eth.chain_id  # noqa: B018 - the call is the check
    except (requests.RequestException, OSError, ValueError) as exc:
        raise RpcUnreachableError(f"no Ethereum node answers at {rpc_url}: {exc}") from exc
    return w3


def refuse_dev_setup(setup: str, chain_id: int) -> None:
    """PROTOCOL §15: a single-party setup is for local chains (31337, 1337) only."""
    if setup == DEV_SETUP and chain_id not in LOCAL_CHAIN_IDS:
        raise DevSetupRefusedError(
            f"the verifying keys come from a single-party dev setup: refusing to deploy on chain "
            f"{chain_id} (allowed only on local chains {sorted(LOCAL_CHAIN_IDS)}); "
            "run the multi-party ceremony (`zkcredits circuits ceremony`) and rebuild",
            field="setup",
        )


def check_root_window(w3: Web3, config: DeployConfig) -> int:
    """`root_ttl` must cover `root_epoch`, the chain's finality lag and a margin (the vault
    checks the lag-free part): the lag from the config, else measured. Returns the lag used."""
    lag = config.finality_lag_seconds
    if lag is None:
        try:
            lag = finality_lag(w3)
        except FinalityLagError as exc:
            raise DeployError(str(exc), field="finality_lag_seconds") from exc
    problem = root_window_problem(config.root_epoch, config.root_ttl, lag)
    if problem is not None:
        raise DeployError(f"{problem}; raise root_ttl", field="root_ttl")
    return lag


def _record(receipt: TxReceipt) -> ContractRecord:
    return ContractRecord(
        address=checksum(str(receipt["contractAddress"])),
        tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
        block_number=int(receipt["blockNumber"]),
        gas_used=int(receipt["gasUsed"]),
    )


def vault_view(w3: Web3, vault: str, abi: list[dict[str, Any]]) -> VaultView:
    """Read chain id, asset, service_id and every parameter of a deployed vault."""
    contract = w3.eth.contract(address=checksum(vault), abi=abi)
    asset = str(contract.functions.asset().call())
    return VaultView(
        chain_id=w3.eth.chain_id,
        vault=checksum(vault),
        asset="native" if int(asset, 16) == 0 else checksum(asset),
        service_id=int(contract.functions.serviceId().call()),
        params=VaultParams.from_tuple(contract.functions.params().call()),
    )


class _Plan:
    """Everything compiled and checked before the first transaction."""

    def __init__(self, config: DeployConfig, build: BuildInputs) -> None:
        vaults = vault_artifacts()
        self.vault_name = "EthCreditVault" if config.asset == "native" else "TokenCreditVault"
        self.vault: CompiledContract = vaults[self.vault_name]
        self.libraries = {
            name: vaults[name]
            for name in LIBRARIES
            if placeholder(vaults[name]) in self.vault.bytecode
        }
        self.all_libraries = {name: vaults[name] for name in LIBRARIES}
        self.registries = compile_registries()
        self.build = build
        self.config = config

    def params(self, withdraw_verifier: str, slash_verifier: str) -> VaultParams:
        c = self.config
        hashes = self.build.vk_hashes
        return VaultParams(
            unit=c.unit, c_max=c.c_max, penalty_max=c.penalty_max, reserve=c.reserve,
            min_deposit=c.min_deposit, note_ttl_days=c.note_ttl_days,
            exit_grace_days=c.exit_grace_days, exit_delay=c.exit_delay, root_epoch=c.root_epoch,
            root_ttl=c.root_ttl, server_pk_x=c.server_pk[0], server_pk_y=c.server_pk[1],
            price_schedule_hash="0x" + c.price_schedule.schedule_hash().hex(),
            treasury=checksum(c.treasury), withdraw_verifier=withdraw_verifier,
            slash_verifier=slash_verifier, withdraw_vk_hash="0x" + hashes.withdraw.hex(),
            slash_vk_hash="0x" + hashes.slash.hex(), max_depth=c.max_depth,
        )  # fmt: skip

    def gas_budget(self, w3: Web3, deployer: str) -> int:
        """Upper bound of the gas of the whole deployment."""
        creations = [c.bytecode for c in self.libraries.values()]
        creations += [v.bytecode for v in self.build.verifiers.values()]
        total = 0
        for code in creations:
            total += w3.eth.estimate_gas({"from": checksum(deployer), "data": code})  # type: ignore[typeddict-item]
        if self.config.registries is None:
            identity = self.registries["IdentityRegistry"]
            total += w3.eth.estimate_gas({"from": checksum(deployer), "data": identity.bytecode})  # type: ignore[typeddict-item]
            for name in ("ReputationRegistry", "ValidationRegistry"):
                total += 32_000 + 21_000 + 250 * (len(self.registries[name].bytecode) // 2)
        vault_bytes = len(self.vault.bytecode) // 2
        total += 53_000 + 250 * vault_bytes + _VAULT_CONSTRUCTOR_GAS
        total += _REGISTER_GAS + _SET_WALLET_GAS + 100_000 + 23_000 * (_URI_BYTES_GUESS // 32)
        return total


def _check_deployed_vk_hash(
    w3: Web3, verifier: CompiledContract, address: str, build: BuildInputs, circuit: str
) -> None:
    """The verifier must expose `VK_HASH` (the vault refuses one without it) and report the
    manifest's vk hash once deployed."""
    if not any(item.get("name") == "VK_HASH" for item in verifier.abi):
        raise DeployError(
            f"the {circuit} verifier has no VK_HASH() getter, so the vault cannot check its pin; "
            "regenerate it with `zkcredits circuits build`",
            field=circuit,
        )
    on_chain = bytes(
        w3.eth.contract(address=checksum(address), abi=verifier.abi).functions.VK_HASH().call()
    )
    if "0x" + on_chain.hex() != build.manifests[circuit].vk_hash.lower():
        raise DeployError(
            f"the deployed {circuit} verifier reports vk hash 0x{on_chain.hex()}, "
            f"not {build.manifests[circuit].vk_hash}",
            field=circuit,
        )


def _check_funds(sender: Sender, gas: int) -> None:
    fee = sender.fees()["maxFeePerGas"]
    w3, deployer = sender.w3, sender.address
    need = gas * fee
    balance = int(w3.eth.get_balance(checksum(deployer)))
    if balance < need:
        raise InsufficientFundsError(
            f"deployer {deployer} holds {balance} wei but the deployment may cost up to {need} wei "
            f"({gas} gas at {fee} wei/gas); nothing was sent",
            field="balance",
        )


def deploy(
    *,
    rpc_url: str,
    deployer: LocalAccount,
    config: DeployConfig,
    agent_wallet: LocalAccount | None = None,
    generated_dir: Path = GENERATED_DIR,
    keys_dir: Path = KEYS_DIR,
    deployments_dir: Path = DEPLOYMENTS_DIR,
    progress: Progress | None = None,
    circuits_dir: Path | None = None,
) -> Deployment:
    """Deploy everything, register the provider as an ERC-8004 agent, write the deployment file.

    `agent_wallet` signs the EIP-712 `agentWallet` proof (default: the deployer itself).
    """
    say = progress or (lambda _message: None)
    say("reading the circuit build")
    build = read_build(generated_dir, keys_dir, circuits_dir)
    say(f"connecting to {rpc_url}")
    w3 = connect(rpc_url)
    chain_id = w3.eth.chain_id
    refuse_dev_setup(build.setup, chain_id)
    check_root_window(w3, config)
    say("compiling contracts")
    plan = _Plan(config, build)
    plan.params(withdraw_verifier="0x" + "00" * 20, slash_verifier="0x" + "00" * 20)
    sender = Sender(w3, deployer, abis=[*registry_abis(), all_errors_abi(), plan.vault.abi])
    if config.registries is not None:
        say("checking the existing ERC-8004 registries")
        check_existing_registries(w3, config.registries)
    _check_funds(sender, plan.gas_budget(w3, sender.address))

    records: dict[str, ContractRecord] = {}
    linked: dict[str, str] = {}
    for name, library in plan.libraries.items():
        say(f"deploying library {name}")
        records[name] = _record(sender.deploy(library.abi, library.bytecode, [], name))
        linked[name] = records[name].address
    verifier_addresses: dict[str, str] = {}
    for circuit, verifier in build.verifiers.items():
        say(f"deploying the {circuit} verifier")
        records[verifier.name] = _record(
            sender.deploy(verifier.abi, verifier.bytecode, [], verifier.name)
        )
        verifier_addresses[circuit] = records[verifier.name].address
        _check_deployed_vk_hash(w3, verifier, records[verifier.name].address, build, circuit)
    params = plan.params(verifier_addresses["withdraw"], verifier_addresses["slash"])
    say(f"deploying {plan.vault_name}")
    args: list[object] = [params.as_tuple()]
    if config.asset != "native":
        args.append(checksum(config.asset))
    bytecode = link(plan.vault.bytecode, linked, plan.all_libraries)
    records[plan.vault_name] = _record(
        sender.deploy(plan.vault.abi, bytecode, args, plan.vault_name)
    )
    view = vault_view(w3, records[plan.vault_name].address, plan.vault.abi)
    if view.params != params:
        raise DeployError(
            "the vault reports other parameters than it was deployed with", field="params"
        )

    registries = deploy_or_reuse_registries(sender, config.registries, records, say)
    agent = register_provider_agent(
        sender, config, build, view, registries, agent_wallet or deployer, say
    )
    deployed_at = int(w3.eth.get_block(agent.set_uri_tx.block_number)["timestamp"])
    deployment = Deployment(
        chain_id=chain_id,
        deployer=sender.address,
        deployed_at=deployed_at,
        setup=build.setup,
        vault=view.vault,
        vault_contract=plan.vault_name,
        asset=view.asset,
        service_id=view.service_id,
        params=RegisteredParams.from_params(params),
        price_schedule=config.price_schedule,
        vk_hashes=build.vk_hashes,
        registries=registries,
        contracts=records,
        agent=agent,
        keys=published_keys(config, build),
    )
    path = write_deployment(deployment, deployments_dir)
    say(f"wrote {path}")
    return deployment
