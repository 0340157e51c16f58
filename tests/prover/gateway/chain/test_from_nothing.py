"""From nothing to a paid call with the CLI alone: `gateway keygen` → `deploy run` (writes the
gateway bundle) → `gateway serve --deployment BUNDLE --upstream embedded` with no other option
(keys and state in the XDG data directory) → a real paid call. A bundle or key that differs from
the vault is refused at start-up in one line naming the field."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from zkcredits_testing.devkeys import anvil_account

from prover.chain.vault import CreditVaultClient
from prover.circuits.inputs import CallParams, ServiceParams, request_inputs
from prover.cli.main import main
from prover.crypto.babyjub import Point
from prover.crypto.commitment import eta
from prover.crypto.request_hash import RequestFields
from prover.crypto.ticket_key import TicketKey
from prover.gateway.bundle import read_gateway_bundle
from prover.pricing.schedule import PriceSchedule
from prover.wire import PaymentResponse, decode_header, signed_payment
from prover.wire import encode_header as encode

DevNet = Any
NewNote = Callable[[CreditVaultClient, Any], Any]
ZKCREDITS = Path(sys.executable).with_name("zkcredits")
SLASHER = anvil_account(6)

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _one_error(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    code = main(args)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert code == 1 and len(lines) == 1, lines
    return lines[0]


def test_a_provider_goes_from_nothing_to_a_paid_call_and_a_drifted_bundle_is_refused(
    net: DevNet,
    new_note: NewNote,
    anvil: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chain = sys.modules["zkc_chain_fixtures"]
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg))
    for name in [n for n in os.environ if n.startswith("ZKCREDITS_GATEWAY_")]:
        monkeypatch.delenv(name)
    home = xdg / "zkcredits" / "gateway"

    # 1. The state-signing key, in the default data directory.
    assert main(["gateway", "keygen", "--json"]) == 0
    server_pk = json.loads(capsys.readouterr().out)["server_pk"]
    assert (home / "server.key").stat().st_mode & 0o777 == 0o600
    (home / "slasher.key").write_text(bytes(SLASHER.key).hex())
    (home / "slasher.key").chmod(0o600)

    # 2. Deploy with that server_pk: the bundle is written beside the deployment.
    config = chain.deploy_config().model_dump(mode="json")
    config["server_pk"] = server_pk
    (tmp_path / "deploy.json").write_text(json.dumps(config))
    monkeypatch.setenv("ZKCREDITS_DEPLOYER_KEY", "0x" + bytes(anvil_account(0).key).hex())
    out = tmp_path / "deployments"
    code = main(["deploy", "run", "--config", str(tmp_path / "deploy.json"),
                 "--rpc-url", anvil.rpc_url, "--deployments-dir", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    bundle_file = out / "31337.gateway.json"
    bundle = read_gateway_bundle(bundle_file)
    assert bundle.rpc_url == anvil.rpc_url  # a loopback URL carries no credential
    assert [str(v) for v in bundle.params.server_pk] == server_pk
    deployment = json.loads((out / "31337.json").read_text())
    # `serve --deployment` also takes the deployment file itself: the same terms, no RPC hint.
    assert read_gateway_bundle(out / "31337.json") == bundle.model_copy(update={"rpc_url": None})
    assert (
        bundle.start_block == deployment["contracts"][deployment["vault_contract"]]["block_number"]
    )

    # 3. `serve` from the bundle alone (and the upstream), in another working directory.
    vault = CreditVaultClient(net.w3, bundle.vault)
    mirror = net.open_mirror(vault)
    note = new_note(vault, mirror)
    port = _free_port()
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZKCREDITS_")}
    env["XDG_DATA_HOME"] = str(xdg)
    args = [str(ZKCREDITS), "gateway", "serve", "--deployment", str(bundle_file),
            "--upstream", "embedded", "--port", str(port)]  # fmt: skip
    log = tmp_path / "gateway.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(args, cwd=run_dir, env=env, stdout=sink, stderr=sink)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                health = httpx.get(url + "/healthz", timeout=2)
                if health.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        assert health.json()["chain"]["finality"] == "latest - 0 confirmations"
        terms = httpx.get(url + "/.well-known/zkcredits", timeout=10).json()
        assert terms["accepts"][0]["extra"]["server_pk"] == server_pk
        deadline = time.monotonic() + 60
        while httpx.get(url + "/healthz", timeout=5).json()["chain"]["last_block"] < int(
            net.w3.eth.block_number
        ):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        body = b'{"model":"m","input":"hello from nothing"}'
        today = int(time.time()) // 86_400
        fields = RequestFields.create(method="POST", path="/v1/embeddings", body=body,
                                      service_id=mirror.service_id, today=today,
                                      request_id=b"\x07" * 16)  # fmt: skip
        service = ServiceParams(
            service_id=mirror.service_id, c_max=bundle.params.c_max,
            reserve=bundle.params.reserve, penalty_max=bundle.params.penalty_max,
            server_pk=Point(int(server_pk[0]), int(server_pk[1])),
        )  # fmt: skip
        key = TicketKey.generate()
        call = CallParams(x=key.x, today=today, eta=eta(note.k, 0, mirror.service_id))
        proof = note.provers["request"].prove(
            request_inputs(note.note, note.states[0], service, call)
        )
        header = encode(signed_payment(
            network="eip155:31337", proof=proof.calldata, key=key, request=fields,
            public_signals=[int(s) for s in proof.public_signals],
        ))  # fmt: skip
        paid = httpx.post(url + "/v1/embeddings", content=body, timeout=60,
                          headers={"PAYMENT-SIGNATURE": header,
                                   "content-type": "application/json"})  # fmt: skip
        assert paid.status_code == 200, paid.text
        reply = decode_header(paid.headers["PAYMENT-RESPONSE"], PaymentResponse, "h")
        assert reply.cost > 0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    assert list(run_dir.iterdir()) == []  # nothing in the working directory
    assert (home / f"31337-{bundle.vault.lower()}" / "nullifiers.sqlite").exists()

    # 4. A changed price (re-hashed, so the file is self-consistent) is refused at start-up.
    changed = bundle.price_schedule.model_dump(mode="json")
    changed["quantum"] = 5
    schedule = PriceSchedule.model_validate(changed)
    drifted = bundle.model_copy(
        update={
            "price_schedule": schedule,
            "params": bundle.params.model_copy(
                update={"price_schedule_hash": schedule.schedule_hash()}
            ),
        }
    )
    (tmp_path / "drifted.json").write_text(drifted.model_dump_json())
    line = _one_error(capsys, ["gateway", "serve", "--deployment", str(tmp_path / "drifted.json"),
                               "--upstream", "embedded", "--port", "0"])  # fmt: skip
    assert "price_schedule_hash (vault " in line
    # 5. So is a state key the vault does not pin.
    other = tmp_path / "other.key"
    assert main(["gateway", "keygen", "--out", str(other)]) == 0
    capsys.readouterr()
    line = _one_error(capsys, ["gateway", "serve", "--deployment", str(bundle_file),
                               "--upstream", "embedded", "--port", "0",
                               "--server-key-file", str(other)])  # fmt: skip
    assert "server_pk (vault " in line
