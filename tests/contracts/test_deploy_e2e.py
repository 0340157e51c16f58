"""`deploy()` end to end on fresh Anvil chains, and every refusal before a transaction is sent.

The circuits' own verifiers come from `zkcredits circuits build`; this file builds genuine
Groth16 verifiers (groth16py, single-party setup, labelled `dev-single-party`) of small
stand-in circuits with the same public-signal counts (withdraw: 13, slash: 2), so the deploy
pipeline can be tested without the circuit build. Proof verification itself is tested elsewhere.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import groth16py
import pytest
from eth_account import Account
from typer.testing import CliRunner
from web3 import Web3
from zkcredits_testing.devkeys import anvil_account
from zkcredits_testing.sandbox_compile import compile_standalone

from prover.attest.registration import TeeRegistration
from prover.chain.artifacts import artifact, vault_artifacts
from prover.chain.deploy.deployment_file import deployment_path, read_deployment
from prover.chain.deploy.errors import (
    DeployError,
    DevSetupRefusedError,
    InsufficientFundsError,
    MissingBuildError,
    RpcUnreachableError,
)
from prover.chain.deploy.inputs import DeployConfig, read_build
from prover.chain.deploy.service import connect, deploy, refuse_dev_setup, vault_view
from prover.chain.erc8004 import (
    RegistryAddresses,
    check_existing_registries,
    deploy_registries,
    registry_abis,
    registry_contract,
)
from prover.chain.registration import (
    RegisteredParams,
    check_registration_against_vault,
    parse_data_uri,
    service_id_for,
)
from prover.chain.sender import Sender
from prover.circuits.manifest import KeyManifest, write_manifest
from prover.circuits.vkey import parse_vk
from prover.cli.main import app as main_app
from prover.crypto.babyjub import BASE8
from prover.plumbing.digest import sha256_file
from prover.pricing.schedule import PriceSchedule
from prover.toolchain.anvil import AnvilProcess, ChainInfo

PUBLIC_SIGNALS = {"request": 12, "withdraw": 13, "slash": 2}
VERIFIER_NAMES = {"withdraw": "WithdrawVerifier", "slash": "SlashVerifier"}


def _standin_circuit(directory: Path, circuit: str, n_public: int) -> Path:
    # n_public - 1 public inputs and one output: o = a[0] * a[1].
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{circuit}.circom"
    path.write_text(
        "pragma circom 2.1.0;\n"
        "template S(n) { signal input a[n]; signal output o; o <== a[0] * a[n - 1]; }\n"
        f"component main {{public [a]}} = S({n_public - 1});\n"
    )
    return path


def _write_build(root: Path) -> tuple[Path, Path]:
    """Stand-in circuits compiled into `root/circuits`, dev keys in `root/keys`, verifiers in
    `root/generated`: the layout of the real build, so every file a deployment publishes exists."""
    generated, keys = root / "generated", root / "keys"
    generated.mkdir(parents=True)
    for circuit, n_public in PUBLIC_SIGNALS.items():
        source = _standin_circuit(root / "sources", circuit, n_public)
        artifacts = compile_standalone(source, root / "circuits" / circuit)
        pk, vk = groth16py.setup(str(artifacts.r1cs))
        assert vk.n_public == n_public
        directory = keys / circuit
        directory.mkdir(parents=True)
        vk_path = directory / "verification_key.json"
        vk_path.write_text(vk.to_json())
        pk.save(str(directory / "proving_key.bin"))
        write_manifest(
            directory,
            KeyManifest(
                circuit=circuit,
                setup="dev-single-party",
                warning="DEV ONLY (stand-in circuit for deploy tests)",
                r1cs_sha256=sha256_file(artifacts.r1cs),
                n_constraints=1,
                n_public=n_public,
                vk_hash=parse_vk(vk.to_json()).hash_hex(),
                files={
                    name: sha256_file(directory / name)
                    for name in ("verification_key.json", "proving_key.bin")
                },
                groth16py_version=groth16py.__version__,
            ),
        )
        if circuit in VERIFIER_NAMES:
            # Same provenance constants as `zkcredits circuits build` adds to its verifiers.
            constants = (
                f"contract {VERIFIER_NAMES[circuit]} {{\n"
                f"    bytes32 public constant VK_HASH = {parse_vk(vk.to_json()).hash_hex()};\n"
                "    bool public constant DEV_SETUP = true;\n"
            )
            source_sol = vk.to_solidity().replace("contract Verifier {", constants, 1)
            (generated / f"{VERIFIER_NAMES[circuit]}.sol").write_text(source_sol)
    return generated, keys


@pytest.fixture(scope="module")
def build_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    generated, keys = _write_build(tmp_path_factory.mktemp("standin-build"))
    read_build(generated, keys)  # compile once here (cached), not inside each test
    vault_artifacts()
    return generated, keys


TEE = TeeRegistration.model_validate(
    {
        "gateway_key": {"kind": "tls-spki-sha256", "sha256": "0x" + "5a" * 32},
        "images": [{"image": "img", "mrtd": "01" * 48, "rtmr0": "02" * 48, "rtmr1": "03" * 48,
                    "rtmr2": "04" * 48, "rtmr3": "00" * 48}],
    }
)  # fmt: skip


def _config(**overrides: object) -> DeployConfig:
    pk = BASE8 * 987654321
    schedule = PriceSchedule.model_validate(
        {
            "quantum": 10,
            "c_max": 1000,
            "routes": [{"method": "POST", "path": "/v1/embeddings", "kind": "embeddings",
                        "models": {"e": {"per_1k_input_tokens": 2, "dimensions": 8,
                                         "max_dimensions": 8}}}],
        }
    )  # fmt: skip
    data: dict[str, object] = {
        "unit": 10**9,
        "c_max": 1000,
        "penalty_max": 5000,
        "reserve": 5000,
        "min_deposit": 10_000,
        "note_ttl_days": 30,
        "exit_grace_days": 7,
        "exit_delay": 2 * 86400,
        "root_epoch": 600,
        "root_ttl": 3600,
        "server_pk": (pk.x, pk.y),
        "treasury": anvil_account(8).address,
        "price_schedule": schedule,
        "agent_name": "Test LLM API",
        "agent_description": "zk credits test provider",
        "gateway_url": "https://gateway.test/",
    }
    data.update(overrides)
    return DeployConfig.model_validate(data)


@pytest.fixture
def testnet_anvil() -> Iterator[ChainInfo]:
    with AnvilProcess(extra_args=["--chain-id", "11155111"]) as info:
        yield info


@pytest.mark.slow
def test_a_full_deployment_on_a_fresh_anvil_is_recorded_and_self_consistent(
    fresh_anvil: ChainInfo, build_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    generated, keys = build_dirs
    wallet = anvil_account(9)
    steps: list[str] = []
    result = deploy(
        rpc_url=fresh_anvil.rpc_url,
        deployer=anvil_account(0),
        config=_config(tee=TEE),
        agent_wallet=wallet,
        generated_dir=generated,
        keys_dir=keys,
        deployments_dir=tmp_path,
        progress=steps.append,
    )
    saved = read_deployment(deployment_path(31337, tmp_path))
    assert saved == result
    assert json.loads(deployment_path(31337, tmp_path).read_text())["chain_id"] == 31337
    w3 = Web3(Web3.HTTPProvider(fresh_anvil.rpc_url))
    for name, record in result.contracts.items():
        assert len(w3.eth.get_code(Web3.to_checksum_address(record.address))) > 0, name
        assert record.tx_hash is not None and not record.reused
        receipt = w3.eth.get_transaction_receipt(record.tx_hash)  # type: ignore[arg-type]
        assert receipt["contractAddress"] == record.address
        assert receipt["blockNumber"] == record.block_number
    expected = {"PoseidonT3", "PoseidonT5", "WithdrawVerifier", "SlashVerifier", "EthCreditVault"}
    expected |= {"IdentityRegistry", "ReputationRegistry", "ValidationRegistry"}
    assert expected <= set(result.contracts)
    view = vault_view(w3, result.vault, artifact("EthCreditVault").abi)
    assert view.service_id == service_id_for(31337, result.vault) == result.service_id
    assert RegisteredParams.from_params(view.params) == result.params
    assert view.params.withdraw_verifier == result.contracts["WithdrawVerifier"].address
    assert view.params.price_schedule_hash == "0x" + _config().price_schedule.schedule_hash().hex()
    manifest = json.loads((keys / "withdraw" / "manifest.json").read_text())
    assert "0x" + result.vk_hashes.withdraw.hex() == manifest["vk_hash"].lower()
    assert view.params.withdraw_vk_hash == manifest["vk_hash"].lower()
    assert result.setup == "dev-single-party"
    identity = registry_contract(w3, "IdentityRegistry", result.registries.identity)
    agent = result.agent
    assert identity.functions.ownerOf(agent.agent_id).call() == anvil_account(0).address
    assert identity.functions.getAgentWallet(agent.agent_id).call() == wallet.address
    on_chain = parse_data_uri(identity.functions.tokenURI(agent.agent_id).call())
    assert identity.functions.tokenURI(agent.agent_id).call() == agent.agent_uri
    check_registration_against_vault(
        on_chain, view, agent_id=agent.agent_id, identity_registry=result.registries.identity
    )
    assert on_chain.zkcredits.vk_hashes == result.vk_hashes
    assert on_chain.zkcredits.tee == TEE  # the config's TEE pins reach the registration file
    # Every file a client needs to prove is published, with its hash, at the gateway's route.
    published = on_chain.zkcredits.keys
    assert published is not None and published == result.keys
    assert published.base_url == "https://gateway.test/.well-known/zkcredits/keys/"
    circuits = keys.parent / "circuits"
    assert published.files["withdraw/proving_key.bin"] == sha256_file(
        keys / "withdraw" / "proving_key.bin"
    )
    assert published.files["request/request.wasm"] == sha256_file(
        circuits / "request" / "request_js" / "request.wasm"
    )
    assert published.files["slash/slash.r1cs"] == sha256_file(circuits / "slash" / "slash.r1cs")
    assert len(published.files) == 12
    reputation = registry_contract(w3, "ReputationRegistry", result.registries.reputation)
    assert reputation.functions.getIdentityRegistry().call() == result.registries.identity
    assert any("verifier" in s for s in steps) and steps[-1].startswith("wrote ")

    # A second provider reuses the registries: no new registry, the next agent id.
    reused = deploy(
        rpc_url=fresh_anvil.rpc_url,
        deployer=anvil_account(1),
        config=_config(registries=result.registries),
        generated_dir=generated,
        keys_dir=keys,
        deployments_dir=tmp_path / "second",
    )
    assert reused.registries == result.registries
    assert reused.contracts["IdentityRegistry"].reused
    assert reused.contracts["IdentityRegistry"].tx_hash is None
    assert reused.agent.agent_id == agent.agent_id + 1
    assert reused.vault != result.vault
    assert (
        identity.functions.getAgentWallet(reused.agent.agent_id).call() == anvil_account(1).address
    )


def test_a_dev_setup_is_refused_on_a_testnet_chain_id_before_any_transaction(
    testnet_anvil: ChainInfo, build_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    generated, keys = build_dirs
    w3 = connect(testnet_anvil.rpc_url)
    assert w3.eth.chain_id == 11155111
    with pytest.raises(DevSetupRefusedError) as info:
        deploy(
            rpc_url=testnet_anvil.rpc_url,
            deployer=anvil_account(0),
            config=_config(),
            generated_dir=generated,
            keys_dir=keys,
            deployments_dir=tmp_path,
        )
    assert "11155111" in str(info.value) and info.value.field == "setup"
    assert w3.eth.get_transaction_count(anvil_account(0).address) == 0
    assert list(tmp_path.iterdir()) == []


def test_the_dev_setup_gate_opens_only_for_local_chains_or_a_ceremony() -> None:
    refuse_dev_setup("dev-single-party", 31337)
    refuse_dev_setup("dev-single-party", 1337)
    refuse_dev_setup("multi-party-ceremony", 1)
    for chain_id in (1, 10, 8453, 11155111):
        with pytest.raises(DevSetupRefusedError):
            refuse_dev_setup("dev-single-party", chain_id)


def test_a_missing_build_says_to_run_the_circuit_build_and_writes_nothing(
    anvil: ChainInfo, tmp_path: Path
) -> None:
    with pytest.raises(MissingBuildError) as info:
        deploy(
            rpc_url=anvil.rpc_url,
            deployer=anvil_account(0),
            config=_config(),
            generated_dir=tmp_path / "none",
            keys_dir=tmp_path / "none",
            deployments_dir=tmp_path / "out",
        )
    assert "zkcredits circuits build" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_a_missing_verifier_file_is_named(
    anvil: ChainInfo, build_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    _generated, keys = build_dirs
    with pytest.raises(MissingBuildError) as info:
        deploy(
            rpc_url=anvil.rpc_url,
            deployer=anvil_account(0),
            config=_config(),
            generated_dir=tmp_path,
            keys_dir=keys,
            deployments_dir=tmp_path / "out",
        )
    assert "WithdrawVerifier.sol" in str(info.value) and info.value.field == "withdraw"


def test_an_unreachable_rpc_is_a_clear_error(build_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    generated, keys = build_dirs
    for url in ("http://127.0.0.1:9", "ftp://example.com"):
        with pytest.raises(RpcUnreachableError):
            deploy(
                rpc_url=url,
                deployer=anvil_account(0),
                config=_config(),
                generated_dir=generated,
                keys_dir=keys,
                deployments_dir=tmp_path,
            )
    assert list(tmp_path.iterdir()) == []


def test_an_unfunded_deployer_is_refused_before_sending_anything(
    anvil: ChainInfo, build_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    generated, keys = build_dirs
    pauper = Account.create()
    with pytest.raises(InsufficientFundsError) as info:
        deploy(
            rpc_url=anvil.rpc_url,
            deployer=pauper,
            config=_config(),
            generated_dir=generated,
            keys_dir=keys,
            deployments_dir=tmp_path,
        )
    assert pauper.address in str(info.value)
    assert connect(anvil.rpc_url).eth.get_transaction_count(pauper.address) == 0
    assert list(tmp_path.iterdir()) == []


def test_registries_that_do_not_exist_are_refused_before_sending_anything(
    anvil: ChainInfo, build_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    generated, keys = build_dirs
    nowhere = RegistryAddresses(
        identity="0x" + "12" * 20, reputation="0x" + "34" * 20, validation="0x" + "56" * 20
    )
    deployer = anvil_account(7)
    before = connect(anvil.rpc_url).eth.get_transaction_count(deployer.address)
    with pytest.raises(DeployError) as info:
        deploy(
            rpc_url=anvil.rpc_url,
            deployer=deployer,
            config=_config(registries=nowhere),
            generated_dir=generated,
            keys_dir=keys,
            deployments_dir=tmp_path,
        )
    assert info.value.field == "identity"
    assert connect(anvil.rpc_url).eth.get_transaction_count(deployer.address) == before
    assert list(tmp_path.iterdir()) == []


def _write_config(path: Path) -> Path:
    path.write_text(_config().model_dump_json())
    return path


@pytest.mark.slow
def test_the_cli_deploys_with_a_key_from_the_environment_and_verifies_the_agent(
    fresh_anvil: ChainInfo,
    build_dirs: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    generated, keys = build_dirs
    config = _write_config(tmp_path / "deploy.json")
    monkeypatch.setenv("ZKCREDITS_DEPLOYER_KEY", "0x" + anvil_account(2).key.hex())
    monkeypatch.delenv("ZKCREDITS_AGENT_WALLET_KEY", raising=False)
    out = tmp_path / "deployments"
    common = ["--generated-dir", str(generated), "--keys-dir", str(keys)]
    result = CliRunner().invoke(
        main_app,
        ["deploy", "run", "--config", str(config), "--rpc-url", fresh_anvil.rpc_url,
         "--deployments-dir", str(out), *common],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    saved = read_deployment(out / "31337.json")
    assert saved.deployer == anvil_account(2).address
    assert saved.agent.agent_wallet == anvil_account(2).address
    verify = ["deploy", "verify", "--rpc-url", fresh_anvil.rpc_url, "--deployment"]
    verified = CliRunner().invoke(main_app, [*verify, str(out / "31337.json")])
    assert verified.exit_code == 0, verified.output
    # A deployment file naming an agent that does not exist fails verification cleanly.
    data = json.loads((out / "31337.json").read_text())
    data["agent"]["agent_id"] = 999
    (tmp_path / "bad.json").write_text(json.dumps(data))
    bad = CliRunner().invoke(main_app, [*verify, str(tmp_path / "bad.json")])
    assert bad.exit_code == 1
    assert "verification failed" in bad.output


def test_the_cli_refuses_to_run_without_a_key_and_has_no_key_argument(
    anvil: ChainInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZKCREDITS_DEPLOYER_KEY", raising=False)
    config = _write_config(tmp_path / "deploy.json")
    args = ["deploy", "run", "--config", str(config), "--rpc-url", anvil.rpc_url]
    result = CliRunner().invoke(main_app, [*args, "--deployments-dir", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "ZKCREDITS_DEPLOYER_KEY" in result.output
    assert not (tmp_path / "out").exists()
    leaked = CliRunner().invoke(main_app, [*args, "--private-key", "0x" + "11" * 32])
    assert leaked.exit_code == 2  # no such option: keys never travel on the command line
    bad_key = tmp_path / "key"
    bad_key.write_text("0x1234")
    bad_key.chmod(0o600)
    result = CliRunner().invoke(main_app, [*args, "--key-file", str(bad_key)])
    assert result.exit_code == 1 and "32 bytes" in result.output


def test_registries_bound_to_another_identity_registry_are_refused(w3: Web3) -> None:
    sender = Sender(w3, anvil_account(6), abis=registry_abis())
    first, second = deploy_registries(sender), deploy_registries(sender)
    good = RegistryAddresses(
        identity=first["IdentityRegistry"].address,
        reputation=first["ReputationRegistry"].address,
        validation=first["ValidationRegistry"].address,
    )
    check_existing_registries(w3, good)
    for field, name in (("reputation", "ReputationRegistry"), ("validation", "ValidationRegistry")):
        mixed = good.model_copy(update={field: second[name].address})
        with pytest.raises(DeployError) as info:
            check_existing_registries(w3, mixed)
        assert info.value.field == field
    not_a_registry = good.model_copy(update={"validation": first["IdentityRegistry"].address})
    with pytest.raises(DeployError) as info:
        check_existing_registries(w3, not_a_registry)
    assert info.value.field == "validation"


def test_a_stale_verifier_whose_vk_hash_differs_from_the_keys_is_refused(
    anvil: ChainInfo, build_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    generated, keys = build_dirs
    stale = tmp_path / "generated"
    shutil.copytree(generated, stale)
    path = stale / "SlashVerifier.sol"
    manifest_hash = json.loads((keys / "slash" / "manifest.json").read_text())["vk_hash"]
    path.write_text(path.read_text().replace(manifest_hash, "0x" + "ab" * 32))
    error = _refused_build(anvil, stale, keys, tmp_path / "out")
    assert error.field == "slash" and "stale verifier" in str(error)


def _refused_build(anvil: ChainInfo, generated: Path, keys: Path, out: Path) -> MissingBuildError:
    """Deploy from a broken build: refused with MissingBuildError, no file, no transaction."""
    w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
    nonce = w3.eth.get_transaction_count(anvil_account(0).address)
    with pytest.raises(MissingBuildError) as info:
        deploy(
            rpc_url=anvil.rpc_url,
            deployer=anvil_account(0),
            config=_config(),
            generated_dir=generated,
            keys_dir=keys,
            deployments_dir=out,
        )
    assert not out.exists()
    assert w3.eth.get_transaction_count(anvil_account(0).address) == nonce
    return info.value


def test_a_verifier_that_does_not_state_its_vk_hash_is_refused_before_anything_is_sent(
    anvil: ChainInfo, build_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    generated, keys = build_dirs
    plain = tmp_path / "generated"
    shutil.copytree(generated, plain)
    path = plain / "WithdrawVerifier.sol"
    manifest_hash = json.loads((keys / "withdraw" / "manifest.json").read_text())["vk_hash"]
    line = f"    bytes32 public constant VK_HASH = {manifest_hash};\n"
    assert line in path.read_text()
    path.write_text(path.read_text().replace(line, ""))
    error = _refused_build(anvil, plain, keys, tmp_path / "out")
    assert error.field == "withdraw" and "VK_HASH" in str(error)
