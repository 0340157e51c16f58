"""One convention across every command group: exit 0 ok, 1 a domain error (one line, no
traceback), 2 a usage error; and no `<bool>` type beside a flag in any `--help`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from prover.cli.main import SUBCOMMANDS, app


def _invoke(args: list[str], **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, args, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _commands(group: str) -> list[str]:
    code, output = _invoke([group, "--help"])
    assert code == 0, output
    names = []
    in_commands = False
    for line in output.splitlines():
        if "Commands" in line:
            in_commands = True
            continue
        if in_commands and line.startswith("│ ") and line[2:3] != " " and line[2:].split():
            word = line[2:].split()[0]
            if word.isidentifier() or word.replace("-", "").isalnum():
                names.append(word)
    return names


def test_no_help_page_shows_a_bool_type() -> None:
    pages = [["--help"]]
    for group in SUBCOMMANDS:
        pages.append([group, "--help"])
        pages += [[group, sub, "--help"] for sub in _commands(group)]
    assert len(pages) > 10
    for page in pages:
        code, output = _invoke(page)
        assert code == 0, (page, output)
        assert "<bool>" not in output, page
    code, output = _invoke(["client", "init", "--help"])
    assert "--show-token" in output and "--json" in output  # flags are still listed


@pytest.mark.parametrize("group", sorted(SUBCOMMANDS))
def test_an_unknown_option_is_a_usage_error_with_status_2(group: str) -> None:
    code, output = _invoke([group, "--no-such-option"])
    assert code == 2, output
    assert "No such option" in output or "no-such-option" in output


def test_an_unknown_command_is_a_usage_error_with_status_2() -> None:
    assert _invoke(["no-such-group"])[0] == 2


def _one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), output
    return lines[0]


def test_a_domain_error_is_status_1_in_the_client_group(tmp_path: Path) -> None:
    code, output = _invoke(
        ["client", "balance", "--wallet", str(tmp_path / "missing.zkw")],
        ZKCREDITS_WALLET_PASSPHRASE="x",
    )
    assert code == 1
    _one_line(output)


def test_a_domain_error_is_status_1_in_the_gateway_group(tmp_path: Path) -> None:
    key = tmp_path / "server.key"
    key.write_text("not a key")
    code, output = _invoke(["gateway", "serve", "--server-key", str(key)])
    assert code == 1
    _one_line(output)  # settings or key refused, by name, without a traceback


def test_a_domain_error_is_status_1_in_the_chain_group(tmp_path: Path) -> None:
    code, _ = _invoke(["chain", "status"], ZKCREDITS_CHAIN_STATE=str(tmp_path / "none.json"))
    assert code == 1


def test_a_domain_error_is_status_1_in_the_deploy_group(tmp_path: Path) -> None:
    config = tmp_path / "deploy.json"
    config.write_text("{not json")
    code, output = _invoke(
        ["deploy", "run", "--config", str(config), "--rpc-url", "http://127.0.0.1:9"]
    )
    assert code == 1, output
    assert "Traceback" not in output
