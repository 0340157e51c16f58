"""`zkcredits client` on the real stack: balance with dates, recover that settles or says what
remains (exit 1), a hex secret file, and recovery of a lost wallet from an export."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from prover.client.errors import GatewayUnreachableError
from prover.client.wallet import Wallet
from prover.client.why_not import day_date

from .cli_kit import (  # type: ignore[import-not-found]
    CHAT,
    PASS,
    _body,
    _deposit,
    _invoke,
    _json,
    _user,
)
from .conftest import World  # type: ignore[import-not-found]
from .proxy_kit import forwarder_to  # type: ignore[import-not-found]

pytestmark = pytest.mark.slow


def test_balance_shows_dates_days_left_and_real_spendable(world: World, tmp_path: Path) -> None:
    env = _user(world, tmp_path, "dates")
    dep = _deposit(world, env)
    assert dep["expires"] == day_date(dep["expiry"]).isoformat()
    called = _json(["call", CHAT, "--data", _body("dates")], env)
    data = _json(["balance"], env)
    [line] = data["notes"]
    assert line["expires"] == day_date(dep["expiry"]).isoformat()
    assert line["days_left"] == dep["expiry"] - int(time.time()) // 86_400  # wall-clock today
    assert line["withdraw_before"] == day_date(dep["expiry"] + 7 + 1).isoformat()
    assert line["spendable"] == 10_000 - called["cost"] - 2000 == data["spendable"]
    assert called["spendable"] == data["spendable"]
    code, out, _ = _invoke(["balance"], env)
    assert code == 0
    assert line["expires"] in out and "spendable:" in out
    assert not out.lstrip().startswith("{")  # a table, not JSON, unless --json


def test_recover_settles_what_it_can_and_exits_1_naming_what_remains(
    world: World, tmp_path: Path
) -> None:
    env = _user(world, tmp_path, "pending")
    dep = _deposit(world, env)
    wallet = Wallet.open(env["ZKCREDITS_WALLET"], PASS)
    try:  # a call whose reply never came: the gateway went away while it was in flight
        payer = world.payer(wallet, "pending-payer", retries=0)
        asyncio.run(payer.ensure_terms())
        with forwarder_to(world.gateway_url) as path:
            path.muted = True  # takes the request, never answers: it stays in flight
            payer.pin = world.pin.model_copy(update={"gateway_url": path.url})
            with pytest.raises(GatewayUnreachableError):
                asyncio.run(payer.call("POST", CHAT, _body("lost").encode(), "application/json"))
    finally:
        wallet.close()

    code, out, err = _invoke(["recover", "--no-resend"], env)  # the gateway never saw it
    assert code == 1
    assert "still have a call waiting" in err and dep["note"][:12] in err
    assert "client withdraw --note" in err
    assert not out.strip().startswith("{")  # text unless --json

    code, out, err = _invoke(["recover", "--json"], env)  # resent as bound: settled
    assert code == 0, out + err
    data = json.loads(out.strip().splitlines()[-1])
    assert data["remaining"] == []
    [row] = data["notes"]
    assert row["pending"] is False and row["tickets"] == 1 and row["outcome"].startswith("settled")


def test_a_hex_secret_file_restores_the_note_and_a_malformed_one_is_one_line(
    world: World, tmp_path: Path
) -> None:
    env = _user(world, tmp_path, "owner")
    dep = _deposit(world, env)
    _json(["call", CHAT, "--data", _body("before the loss")], env)
    with Wallet.open(env["ZKCREDITS_WALLET"], PASS) as opened:
        note = opened.note(int(dep["note"]))
    fresh = _user(world, tmp_path, "restored")
    bad = tmp_path / "bad.secret"
    bad.write_text("0xnot-hex\n")
    code, _, err = _invoke(["recover", "--secret-file", str(bad)], fresh)
    assert code == 1 and "Traceback" not in err
    assert next(line for line in err.splitlines() if line.strip()).startswith("error:")
    secret = tmp_path / "k.hex"
    secret.write_text(hex(note.k) + "\n")
    restored = _json(["recover", "--secret-file", str(secret)], fresh)
    [row] = restored["notes"]
    assert row["note"] == dep["note"] and row["tickets"] == 1 and row["C"] == note.state.C


def test_a_lost_wallet_is_recovered_from_an_export_with_calls_made_after_it(
    world: World, tmp_path: Path
) -> None:
    env = _user(world, tmp_path, "lost")
    dep = _deposit(world, env, 20_000)
    _json(["call", CHAT, "--data", _body("one")], env)
    backup = tmp_path / "notes.zkx"
    exported = _json(["export", "--out", str(backup), "--kdf-log2-n", "10"], env)
    assert exported["notes"] == 1 and backup.is_file()
    assert str(dep["note"]).encode() not in backup.read_bytes()  # sealed, not plain
    _json(["call", CHAT, "--data", _body("two, after the backup")], env)
    with Wallet.open(env["ZKCREDITS_WALLET"], PASS) as opened:
        latest = opened.note(int(dep["note"])).state
    assert latest.n == 2
    Path(env["ZKCREDITS_WALLET"]).unlink()  # the wallet is lost; only the export remains

    new = _user(world, tmp_path, "new")
    imported = _json(["import", str(backup)], new)
    assert imported["added"] == [dep["note"]]
    caught = _json(["recover"], new)  # walks GET /state past the backup's state
    [row] = caught["notes"]
    assert row["tickets"] == 2 and row["C"] == latest.C and row["outcome"] == "caught up 1 call(s)"
    after = _json(["call", CHAT, "--data", _body("three, from the new wallet")], new)
    assert after["status"] == 200 and after["note"] == dep["note"]
    with Wallet.open(new["ZKCREDITS_WALLET"], PASS) as opened:
        assert opened.note(int(dep["note"])).state.n == 3
