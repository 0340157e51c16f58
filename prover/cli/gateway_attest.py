"""`zkcredits gateway attest`: the gateway's TDX attestation document (docs/tee.md).

Run inside the gateway's Intel TDX confidential VM. Quote generation goes through configfs-tsm,
written against the kernel's documented interface and NOT tested on TDX hardware (none was
available). `--quote` takes a quote another attestation agent produced instead.

Registered on the `gateway` command group by `prover/cli/gateway.py` (one import line).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from web3 import Web3
from web3.exceptions import Web3Exception

from prover.attest.binding import Binding
from prover.attest.collateral import parse_collateral
from prover.attest.errors import AttestConfigError
from prover.attest.evidence import evidence_hash
from prover.attest.gateway_key import GatewayKey
from prover.attest.provider import attest_gateway
from prover.attest.registration import tee_section
from prover.attest.registry import VALIDATION_ABI, ValidationRegistry
from prover.attest.tsm import TSM_REPORT_ROOT
from prover.chain.deploy.deployment_file import read_deployment
from prover.chain.sender import Sender, load_account
from prover.cli.gateway import app as gateway_app
from prover.cli.operator_settings import operator_key
from prover.errors import ZkCreditsError
from prover.plumbing.atomic import atomic_write_bytes
from prover.plumbing.errors import SecretFileError
from prover.plumbing.secret_file import read_secret_text

err = Console(stderr=True, soft_wrap=True)
OWNER_KEY_ENV = "ZKCREDITS_DEPLOYER_KEY"


def _binding(
    deployment: Path | None,
    chain_id: int | None,
    vault: str | None,
    server_pk: str | None,
    gateway_key: GatewayKey,
) -> tuple[Binding, int | None, str | None]:
    """The binding, and (agent id, validation registry) when a deployment file gives them."""
    if deployment is not None:
        d = read_deployment(deployment)
        binding = Binding(
            chain_id=d.chain_id,
            vault=d.vault,
            server_pk=d.params.server_pk,
            gateway_key=gateway_key,
        )
        return binding, d.agent.agent_id, d.registries.validation
    if chain_id is None or vault is None or server_pk is None:
        raise AttestConfigError(
            "give --deployment, or all of --chain-id, --vault and --server-pk", field="deployment"
        )
    try:
        x, y = (int(part.strip(), 0) for part in server_pk.split(","))
        return (
            Binding(chain_id=chain_id, vault=vault, server_pk=(x, y), gateway_key=gateway_key),
            None,
            None,
        )
    except ValueError as exc:
        raise AttestConfigError(f"--chain-id/--vault/--server-pk: {exc}", field="binding") from exc


def _gateway_key(tls_cert: Path | None, onion_address: str | None) -> GatewayKey:
    if (tls_cert is None) == (onion_address is None):
        raise AttestConfigError(
            "give exactly one of --tls-cert and --onion-address", field="gateway_key"
        )
    if tls_cert is not None:
        try:
            return GatewayKey.from_certificate_pem(tls_cert.read_text())
        except OSError as exc:
            raise AttestConfigError(f"{tls_cert}: {exc}", field="tls_certificate") from exc
    assert onion_address is not None
    return GatewayKey.from_onion(onion_address)


@gateway_app.command()
def attest(
    image: Annotated[
        str, typer.Option(help="What the measurements come from (name, digest, recipe).")
    ],
    deployment: Annotated[Path | None, typer.Option(help="deployments/<chainId>.json.")] = None,
    chain_id: Annotated[int | None, typer.Option(help="Chain id (without --deployment).")] = None,
    vault: Annotated[str | None, typer.Option(help="Vault address (without --deployment).")] = None,
    server_pk: Annotated[
        str | None, typer.Option(help="'x,y' of the state key (without --deployment).")
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option(help="The gateway's TLS certificate (PEM).")
    ] = None,
    onion_address: Annotated[
        str | None, typer.Option(help="The gateway's v3 onion address.")
    ] = None,
    collateral: Annotated[
        Path | None, typer.Option(help="Collateral JSON (dcap-qvl shape).")
    ] = None,
    pccs_url: Annotated[
        str | None, typer.Option(help="Fetch collateral from this PCCS / Intel PCS.")
    ] = None,
    quote: Annotated[
        Path | None, typer.Option(help="A quote made by another agent (no configfs-tsm).")
    ] = None,
    tsm_root: Annotated[
        Path, typer.Option(help="configfs-tsm report directory.")
    ] = TSM_REPORT_ROOT,
    out: Annotated[Path, typer.Option(help="Where the gateway serves the document from.")] = Path(
        "attestation.json"
    ),
    request_uri: Annotated[
        str | None, typer.Option(help="Publish: the document's public URL.")
    ] = None,
    validator: Annotated[str | None, typer.Option(help="Publish: the validator's address.")] = None,
    rpc_url: Annotated[str | None, typer.Option(help="Publish: chain JSON-RPC URL.")] = None,
    key_file: Annotated[
        Path | None, typer.Option(help=f"Publish: agent owner key (or {OWNER_KEY_ENV}).")
    ] = None,
) -> None:
    """Quote the gateway's binding, verify it, write the document; optionally ask a validator."""
    try:
        key = _gateway_key(tls_cert, onion_address)
        binding, agent_id, registry = _binding(deployment, chain_id, vault, server_pk, key)
        if (collateral is None) == (pccs_url is None):
            raise AttestConfigError(
                "give exactly one of --collateral and --pccs-url", field="collateral"
            )
        attested = attest_gateway(
            binding,
            image=image,
            collateral=None if collateral is None else parse_collateral(collateral.read_bytes()),
            pccs_url=pccs_url,
            quote=None if quote is None else quote.read_bytes(),
            tsm_root=tsm_root,
        )
        body = attested.document.canonical()
        atomic_write_bytes(out, body)
        err.print(
            f"wrote {out} ({len(body)} bytes), TCB {attested.verified.tcb_status}, "
            f"collateral valid until {attested.verified.expires_at}"
        )
        typer.echo(json.dumps({"tee": tee_section(key, (attested.pin,))}, indent=2))
        if request_uri is not None:
            _publish(request_uri, validator, rpc_url, key_file, agent_id, registry, body)
    except (ZkCreditsError, OSError) as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from exc


def _publish(
    request_uri: str,
    validator: str | None,
    rpc_url: str | None,
    key_file: Path | None,
    agent_id: int | None,
    registry: str | None,
    body: bytes,
) -> None:
    """`validationRequest(validator, agentId, requestURI, keccak256(document))`."""
    if validator is None or rpc_url is None or agent_id is None or registry is None:
        raise AttestConfigError(
            "publishing needs --deployment, --validator and --rpc-url", field="validator"
        )
    try:
        text = read_secret_text(key_file) if key_file else operator_key(OWNER_KEY_ENV) or ""
    except SecretFileError as exc:
        raise AttestConfigError(f"key file: {exc}", field="key_file") from exc
    if not text:
        raise AttestConfigError(f"publishing needs --key-file or {OWNER_KEY_ENV}", field="key_file")
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
    try:
        sender = Sender(w3, load_account(text), abis=[VALIDATION_ABI])
        receipt = ValidationRegistry(w3, registry).request(
            sender, validator, agent_id, request_uri, evidence_hash(body)
        )
    except (Web3Exception, ValueError) as exc:
        raise AttestConfigError(f"the validation request failed: {exc}", field="rpc_url") from exc
    err.print(
        f"validation requested: hash 0x{evidence_hash(body).hex()}, "
        f"tx 0x{bytes(receipt['transactionHash']).hex()}"
    )
