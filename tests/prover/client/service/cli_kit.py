"""Driving `zkcredits client` in-process for the end-to-end tests: a wallet per user that
discovered the test provider (`client init`), deposits, and JSON output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner
from zkcredits_testing.devkeys import anvil_account

from prover.cli.main import app
from prover.gateway.embedded import CHAT_MODEL

from .conftest import World  # type: ignore[import-not-found]

PASS = "cli money passphrase"
CHAT = "/v1/chat/completions"


def _invoke(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["client", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def _json(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    code, out, err = _invoke([*args, "--json"], env)
    assert code == 0, out + err
    data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return data


def _body(text: str, words: int = 4) -> str:
    return json.dumps({"model": CHAT_MODEL, "messages": [{"role": "user", "content": text}],
                       "max_tokens": words})  # fmt: skip


def _user(world: World, root: Path, name: str) -> dict[str, str]:
    """A fresh wallet that discovered the provider (`client init`), and its environment."""
    key = root / "key.hex"
    if not key.exists():
        key.write_text(anvil_account(8).key.hex())
        key.chmod(0o600)
    env = {
        "ZKCREDITS_WALLET_PASSPHRASE": PASS,
        "ZKCREDITS_WALLET": str(root / f"{name}.zkw"),
        "ZKCREDITS_CONFIRMATIONS": "0",
        "ZKCREDITS_SEND_DELAY_MAX_S": "0.05",
        "ZKCREDITS_CLIENT_KEY_FILE": str(key),
    }
    rpc = str(world.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    registry, agent = world.deployment.registries.identity, world.deployment.agent.agent_id
    _json(["init", "--rpc-url", rpc, "--identity-registry", registry, "--agent-id", str(agent),
           "--kdf-log2-n", "10"], env)  # fmt: skip
    return env


def _deposit(world: World, env: dict[str, str], amount: int = 10_000) -> dict[str, Any]:
    out = _json(["deposit", "--amount", str(amount), "--key-file",
                 env["ZKCREDITS_CLIENT_KEY_FILE"]], env)  # fmt: skip
    world.checkpoint()
    return out
