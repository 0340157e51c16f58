"""Discovery with `--require-tee` against a real deployment on Anvil whose registration file pins
a TEE (its deploy config's `tee`), and a real gateway route serving a real TDX quote.

The real quote's `report_data` cannot bind this deployment's vault and `server_pk` (it is a hash
of other values), so the honest check is refused naming the binding; the accepting path sets the
quote's own `report_data` as the expected binding. Library checks run at the vectors' fixed time;
the command runs at the real time, when the 2025 collateral has expired.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner
from web3 import Web3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/prover: the attest helpers
from attest.documents import TLS_KEY, write_document
from attest.servers import Server
from attest.vectors import vector
from zkcredits_testing.devprovider import deploy_dev_provider

from prover.attest.binding import Binding
from prover.attest.fetch import DirectTransport
from prover.attest.pins import PinnedImage
from prover.attest.quote import parse_tdx_quote
from prover.attest.registration import TeeRegistration
from prover.attest.route import attestation_router
from prover.chain.deploy.deployment_file import Deployment
from prover.cli.main import app as cli
from prover.client.discovery import connect_chain, discover
from prover.client.errors import TeeRefusedError
from prover.client.tee_check import TeeSettings, check_provider_tee, expectation_for
from prover.crypto import generate_secret_key
from prover.toolchain.anvil import AnvilProcess, ChainInfo

pytestmark = pytest.mark.slow
V = vector("tdx_quote")
QUOTE = parse_tdx_quote(V.raw)
IMAGE = PinnedImage(image="tdx_quote image", **QUOTE.measurements.model_dump())
TEE = TeeRegistration(gateway_key=TLS_KEY, images=(IMAGE,))
PLAIN = TeeSettings(allow_plain_http=True)  # the test gateway speaks plain http


@pytest.fixture(scope="module")
def chain() -> Iterator[ChainInfo]:
    with AnvilProcess() as info:
        yield info


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("attestation") / "attestation.json"
    write_document(path)
    return path


@pytest.fixture(scope="module")
def gateway(document: Path) -> Iterator[str]:
    app = FastAPI()
    app.include_router(attestation_router(document))
    with Server(app) as url:
        yield url + "/"


@pytest.fixture(scope="module")
def deployment(
    chain: ChainInfo, gateway: str, tmp_path_factory: pytest.TempPathFactory
) -> Deployment:
    return deploy_dev_provider(
        chain.rpc_url, generate_secret_key(), gateway, tmp_path_factory.mktemp("d"), tee=TEE
    )


@pytest.fixture(scope="module")
def w3(chain: ChainInfo) -> Web3:
    return connect_chain(chain.rpc_url)


def test_discovery_pins_the_registered_tee_and_the_check_refuses_a_quote_that_binds_others(
    w3: Web3, deployment: Deployment, document: Path
) -> None:
    pin = discover(w3, deployment.registries.identity, deployment.agent.agent_id)
    assert pin.tee == TEE and not pin.tee_required
    pk = pin.service.server_pk
    claim = Binding(
        chain_id=31337, vault=deployment.vault, server_pk=(pk.x, pk.y), gateway_key=TLS_KEY
    )
    write_document(document, binding=claim)  # it claims this provider; the quote says otherwise
    with pytest.raises(TeeRefusedError) as info:
        check_provider_tee(pin, settings=PLAIN, transport=DirectTransport(), now=lambda: V.now)
    assert (info.value.check, info.value.field) == ("binding", "report_data")
    # The same path with the quote's own report_data expected: everything else passes.
    own = expectation_for(pin).model_copy(update={"report_data": QUOTE.report_data})
    appraisal = check_provider_tee(
        pin, settings=PLAIN, transport=DirectTransport(), now=lambda: V.now, expectation=own
    )
    assert appraisal.image == IMAGE and appraisal.verified.tcb_status == "UpToDate"


def _init(deployment: Deployment, rpc: str, tmp: Path, *flags: str) -> tuple[int, str, str]:
    env = {
        "ZKCREDITS_WALLET_PASSPHRASE": "tee passphrase",
        "ZKCREDITS_CONFIRMATIONS": "0",
        "ZKCREDITS_TEE_ALLOW_PLAIN_HTTP": "1",
    }
    args = ["client", "init", "--wallet", str(tmp / "w.zkw"), "--rpc-url", rpc,
            "--identity-registry", deployment.registries.identity,
            "--agent-id", str(deployment.agent.agent_id), "--kdf-log2-n", "10", *flags]  # fmt: skip
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def test_init_with_require_tee_refuses_the_provider_in_one_line_and_pins_nothing(
    chain: ChainInfo, deployment: Deployment, tmp_path: Path
) -> None:
    code, _out, err = _init(deployment, chain.rpc_url, tmp_path, "--require-tee")
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: the provider's TEE attestation")
    assert time.time() > V.expires  # the command verifies now: the 2025 collateral has expired
    assert "`collateral_expired`" in lines[0]
    assert not (tmp_path / "w.zkw").exists()
    assert not (tmp_path / "w.zkw.client.json").exists()


def test_init_with_require_tee_refuses_a_provider_that_declares_no_tee(
    chain: ChainInfo, gateway: str, tmp_path: Path
) -> None:
    plain = deploy_dev_provider(chain.rpc_url, generate_secret_key(), gateway, tmp_path / "d")
    code, _out, err = _init(plain, chain.rpc_url, tmp_path, "--require-tee")
    assert code == 1
    assert "`registration`" in err and "zkcredits.tee" in err
