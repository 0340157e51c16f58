"""`zkcredits provider revenue|collect` on Anvil: what is owed, pending exits and their windows,
expired notes to sweep; collecting sweeps, finalizes ready exits and withdraws to the treasury."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from zkcredits_testing.devkeys import anvil_account

from prover.chain.vault import CreditVaultClient, NoteStatus
from prover.cli.main import main
from prover.crypto.rln import note_id
from prover.gateway.bundle import bundle_from_deployment

DevNet = Any
NewNote = Callable[[CreditVaultClient, Any], Any]
DAY = 86_400
TREASURY = anvil_account(8)  # deploy_config's treasury


def _request_exit(net: DevNet, vault: CreditVaultClient, note: Any) -> None:
    proof = note.withdraw_proof(0, net.user, pending=True)  # pays c_max for an unanswered call
    signals = [int(s) for s in proof.public_signals]
    vault.request_withdrawal(proof.calldata, signals, sender=net.user)


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(list(args))
    out = capsys.readouterr()
    body = json.loads(out.out) if code == 0 and out.out.strip().startswith("{") else {}
    return code, body, out.err


@pytest.mark.slow
def test_revenue_shows_owed_exits_and_sweeps_and_collect_pays_the_treasury(
    net: DevNet,
    new_note: NewNote,
    deployment: Any,
    anvil: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    vault = net.main_vault
    mirror = net.open_mirror(vault, confirmations=0)
    params = vault.params()
    expired = new_note(vault, mirror)
    ready = new_note(vault, mirror)
    _request_exit(net, vault, ready)
    net.dev.advance((30 + 7 + 1) * DAY)  # past expiry + exit_grace_days, past exit_delay
    waiting = new_note(vault, mirror)
    _request_exit(net, vault, waiting)
    bundle = tmp_path / "31337.gateway.json"
    bundle.write_text(bundle_from_deployment(deployment, anvil.rpc_url).model_dump_json())
    common = ["--deployment", str(bundle), "--data-dir", str(tmp_path / "data")]

    code, report, err = _cli(capsys, "provider", "revenue", *common, "--json")
    assert code == 0, err
    assert report["treasury"] == TREASURY.address and report["owed"] == 0
    exits = {e["note_id"]: e for e in report["pending_exits"]}
    assert set(exits) == {str(note_id(ready.k)), str(note_id(waiting.k))}
    assert exits[str(note_id(ready.k))]["ready"] is True
    assert exits[str(note_id(waiting.k))]["ready"] is False
    assert (
        exits[str(note_id(waiting.k))]["ready_at"] == vault.note(note_id(waiting.k)).exit_ready_at
    )
    assert all(e["treasury_amount"] == params.c_max * params.unit for e in exits.values())
    assert report["pending_exit_amount"] == 2 * params.c_max * params.unit
    (sweep,) = report["sweepable"]
    assert sweep["note_id"] == str(note_id(expired.k))
    assert sweep["amount"] == expired.deposit * params.unit == report["sweepable_amount"]

    # Only the treasury's key collects; nothing is sent with another.
    user_key = tmp_path / "user.key"
    user_key.write_text("0x" + bytes(anvil_account(3).key).hex())
    user_key.chmod(0o600)
    code, _, err = _cli(capsys, "provider", "collect", *common, "--key-file", str(user_key))
    assert code == 1 and "key_file" in err and "treasury" in err
    assert vault.note(note_id(expired.k)).status is NoteStatus.ACTIVE

    key = tmp_path / "treasury.key"
    key.write_text("0x" + bytes(TREASURY.key).hex())
    key.chmod(0o600)
    before = net.w3.eth.get_balance(TREASURY.address)
    code, done, err = _cli(capsys, "provider", "collect", *common, "--key-file", str(key), "--json")
    assert code == 0, err
    actions = [(t["action"], t["note_id"]) for t in done["transactions"]]
    assert actions == [
        ("claimExpired", str(note_id(expired.k))),
        ("finalizeWithdrawal", str(note_id(ready.k))),
        ("withdrawOwed", None),
    ]
    expected = (expired.deposit + params.c_max) * params.unit
    assert done["withdrawn"] == expected and done["owed_after"] == 0
    gas = sum(
        net.w3.eth.get_transaction_receipt(t["tx_hash"])["gasUsed"]
        * net.w3.eth.get_transaction_receipt(t["tx_hash"])["effectiveGasPrice"]
        for t in done["transactions"]
    )
    assert net.w3.eth.get_balance(TREASURY.address) == before + expected - gas
    assert vault.note(note_id(expired.k)).status is NoteStatus.SWEPT
    assert vault.note(note_id(ready.k)).status is NoteStatus.CLOSED
    assert vault.note(note_id(waiting.k)).status is NoteStatus.EXITING

    code, again, err = _cli(capsys, "provider", "revenue", *common, "--json")
    assert code == 0, err
    assert again["owed"] == 0 and again["sweepable"] == []
    assert [e["note_id"] for e in again["pending_exits"]] == [str(note_id(waiting.k))]
    assert main(["provider", "revenue", *common]) == 0
    text = capsys.readouterr().out
    assert "pending exits: 1" in text and "expired notes to sweep: 0" in text


def test_revenue_mistakes_are_one_line_naming_the_field(
    deployment: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "31337.gateway.json"
    bundle.write_text(bundle_from_deployment(deployment, None).model_dump_json())
    common = ["--deployment", str(bundle), "--data-dir", str(tmp_path / "data")]
    cases = [
        (["provider", "revenue", *common], "rpc_url"),
        (["provider", "revenue", *common, "--rpc-url", "http://127.0.0.1:9"], "rpc_url"),
        (["provider", "revenue", "--deployment", str(tmp_path / "none.json")], "deployment"),
        (["provider", "collect", *common, "--key-file", str(tmp_path / "none.key")], "key_file"),
    ]
    for args, field in cases:
        code = main(args)
        err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert code == 1 and len(err) == 1 and field in err[0], (args, err)
