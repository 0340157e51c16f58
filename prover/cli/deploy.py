"""`zkcredits deploy`: deploy verifiers, vault and ERC-8004 registries; check a deployment.

The deployer's private key never appears on the command line: it comes from `--key-file` or the
environment variable `ZKCREDITS_DEPLOYER_KEY`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from eth_account.signers.local import LocalAccount
from rich.console import Console
from web3.exceptions import ContractLogicError

from prover.chain.deploy.deployment_file import DEPLOYMENTS_DIR, deployment_path, read_deployment
from prover.chain.deploy.errors import DeployerKeyError
from prover.chain.deploy.inputs import load_config
from prover.chain.deploy.service import connect, deploy, vault_view
from prover.chain.erc8004 import registry_contract
from prover.chain.registration import check_registration_against_vault, parse_data_uri
from prover.chain.sender import load_account
from prover.circuits.artifacts import GENERATED_DIR, KEYS_DIR
from prover.cli.errors import exit_code
from prover.cli.operator_settings import operator_key
from prover.errors import ZkCreditsError
from prover.gateway.bundle import check_rpc_hint
from prover.gateway.bundle import write_gateway_bundle as write_bundle
from prover.plumbing.errors import SecretFileError, SecretFileMissingError
from prover.plumbing.secret_file import read_secret_text

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
console = Console(stderr=True)
KEY_ENV = "ZKCREDITS_DEPLOYER_KEY"
WALLET_KEY_ENV = "ZKCREDITS_AGENT_WALLET_KEY"
EXAMPLE_CONFIG = {
    "asset": "native",
    "unit": 1_000_000_000,
    "c_max": 1000,
    "penalty_max": 5000,
    "reserve": 5000,
    "min_deposit": 100_000,
    "note_ttl_days": 30,
    "exit_grace_days": 7,
    "exit_delay": 172800,
    "root_epoch": 600,
    "root_ttl": 3600,
    "server_pk": ["<Baby Jubjub x>", "<Baby Jubjub y>"],
    "treasury": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "max_depth": 20,
    "price_schedule": {
        "version": 2,
        "quantum": 10,
        "c_max": 1000,
        "max_reply_bytes": 8388608,
        "routes": [
            {
                "method": "POST",
                "path": "/v1/chat/completions",
                "kind": "chat",
                "models": {
                    "my-model": {
                        "per_1k_input_tokens": 3,
                        "per_1k_output_tokens": 15,
                        "max_output_tokens": 4096,
                    }
                },
            }
        ],
    },
    "agent_name": "My LLM API",
    "agent_description": "OpenAI-compatible API paid per call with zkcredits",
    "gateway_url": "https://gateway.example/",
    "registries": None,
}


def _read_key(path: Path | None, env: str, what: str, *, required: bool) -> LocalAccount | None:
    if path is not None:
        try:
            return load_account(read_secret_text(path))
        except SecretFileMissingError as exc:
            raise DeployerKeyError(
                f"{what} key file {path} does not exist", field="key_file"
            ) from exc
        except SecretFileError as exc:
            raise DeployerKeyError(f"{what} key file: {exc}", field="key_file") from exc
    value = operator_key(env)  # `OperatorKeySettings`
    if value:
        return load_account(value)
    if required:
        raise DeployerKeyError(
            f"no {what} key: pass --key-file PATH or set {env} (never the key itself as an "
            "argument)",
            field="key",
        )
    return None


@app.command("run")
def run(
    config: Annotated[Path, typer.Option(help="Deploy config (JSON); see `example-config`.")],
    rpc_url: Annotated[str, typer.Option(help="JSON-RPC URL of the chain.")],
    key_file: Annotated[
        Path | None, typer.Option(help=f"File holding the deployer's hex key (else ${KEY_ENV}).")
    ] = None,
    agent_wallet_key_file: Annotated[
        Path | None,
        typer.Option(
            help=f"Key of the agent wallet to prove (else ${WALLET_KEY_ENV}, else the deployer)."
        ),
    ] = None,
    deployments_dir: Annotated[
        Path, typer.Option(help="Where <chainId>.json goes.")
    ] = DEPLOYMENTS_DIR,
    generated_dir: Annotated[Path, typer.Option(help="Generated verifiers.")] = GENERATED_DIR,
    keys_dir: Annotated[Path, typer.Option(help="Key manifests of the circuit build.")] = KEYS_DIR,
    gateway_rpc_url: Annotated[
        str | None,
        typer.Option(
            help="RPC URL the gateway bundle records for `gateway serve` (default: --rpc-url "
            "if it is a loopback URL; a hosted URL may embed an API key, so it is never copied)."
        ),
    ] = None,
) -> None:
    """Deploy everything, register the provider as an ERC-8004 agent, write the deployment and
    the gateway bundle (`<chainId>.gateway.json`) beside it."""
    try:
        check_rpc_hint(gateway_rpc_url)
        deployer = _read_key(key_file, KEY_ENV, "deployer", required=True)
        assert deployer is not None
        wallet = _read_key(agent_wallet_key_file, WALLET_KEY_ENV, "agent wallet", required=False)
        cfg = load_config(config)
        with console.status("deploying") as status:

            def step(message: str) -> None:
                console.print(f"[green]•[/] {message}")
                status.update(message)

            result = deploy(
                rpc_url=rpc_url,
                deployer=deployer,
                config=cfg,
                agent_wallet=wallet,
                generated_dir=generated_dir,
                keys_dir=keys_dir,
                deployments_dir=deployments_dir,
                progress=step,
            )
        bundle = write_bundle(
            result,
            deployment_path(result.chain_id, deployments_dir),
            deploy_rpc_url=rpc_url,
            gateway_rpc_url=gateway_rpc_url,
        )
    except ZkCreditsError as exc:
        console.print(f"[red]deploy failed:[/] {exc}")
        raise typer.Exit(exit_code(exc)) from exc
    console.print(f"[green]•[/] wrote the gateway bundle {bundle}")
    if result.setup == "dev-single-party":
        console.print("[yellow]DEV SETUP: single-party keys, for this local chain only")
    console.print(
        f"[green]deployed[/] vault {result.vault} on chain {result.chain_id}; "
        f"agent {result.agent.agent_id} in {result.registries.identity}"
    )
    typer.echo(str(deployment_path(result.chain_id, deployments_dir)))


@app.command("example-config")
def example_config() -> None:
    """Print an example deploy config (fill in server_pk from `zkcredits gateway keygen`, the
    treasury, prices and gateway_url)."""
    typer.echo(json.dumps(EXAMPLE_CONFIG, indent=2))


@app.command("verify")
def verify(
    rpc_url: Annotated[str, typer.Option(help="JSON-RPC URL of the chain.")],
    deployment: Annotated[
        Path | None, typer.Option(help="Deployment file (default: deployments/<chainId>.json).")
    ] = None,
) -> None:
    """Fetch the agent's registration file from chain and check every value against the vault."""
    from prover.chain.artifacts import artifact

    try:
        w3 = connect(rpc_url)
        path = deployment or deployment_path(w3.eth.chain_id)
        record = read_deployment(path)
        identity = registry_contract(w3, "IdentityRegistry", record.registries.identity)
        registration = parse_data_uri(identity.functions.tokenURI(record.agent.agent_id).call())
        view = vault_view(w3, record.vault, artifact(record.vault_contract).abi)
        check_registration_against_vault(
            registration,
            view,
            agent_id=record.agent.agent_id,
            identity_registry=record.registries.identity,
        )
    except (ZkCreditsError, ContractLogicError) as exc:
        console.print(f"[red]verification failed:[/] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"[green]agent {record.agent.agent_id} matches vault {record.vault}")
