"""Every configuration or command-line mistake of `zkcredits gateway` is one clear line naming
the field, a non-zero exit, and never a traceback (run through the real entry point, `main`)."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from prover.cli.main import main
from prover.crypto.eddsa import L, secret_key_to_bytes

SECRET = 0x0BADC0FFEE0DDF00D  # conftest.BUNDLE_SECRET


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ZKCREDITS_GATEWAY_"):
            monkeypatch.delenv(name)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield int(sock.getsockname()[1])


class World:
    """A bundle, a data dir with a valid state key, and a place for broken files."""

    def __init__(self, root: Path, bundle: Path) -> None:
        self.root = root
        self.bundle = bundle
        self.data = root / "data"
        self.data.mkdir(mode=0o700)
        self.key = self.data / "server.key"
        self.key.write_text(secret_key_to_bytes(SECRET).hex())
        self.key.chmod(0o600)

    def file(self, name: str, text: str) -> str:
        path = self.root / name
        path.write_text(text)
        path.chmod(0o600)
        return str(path)

    def serve(self, *extra: str) -> list[str]:
        return [
            "gateway", "serve", "--deployment", str(self.bundle), "--data-dir", str(self.data),
            "--upstream", "embedded", "--port", "0", *extra,
        ]  # fmt: skip


def _bundle_with(w: World, path: str, value: object) -> str:
    data = json.loads(w.bundle.read_text())
    node = data
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value
    return w.file("changed.gateway.json", json.dumps(data))


Case = Callable[[World, int], tuple[list[str], dict[str, str]]]
CASES: dict[str, tuple[Case, str]] = {
    "no deployment": (lambda w, p: (["gateway", "serve"], {}), "deployment"),
    "missing deployment": (
        lambda w, p: (["gateway", "serve", "--deployment", str(w.root / "none.json")], {}),
        "deployment",
    ),
    "deployment not JSON": (
        lambda w, p: (["gateway", "serve", "--deployment", w.file("d.json", "{")], {}),
        "deployment",
    ),
    "deployment field of the wrong type": (
        lambda w, p: (["gateway", "serve", "--deployment", _bundle_with(w, "chain_id", "x")], {}),
        "chain_id",
    ),
    "deployment edited price schedule": (
        lambda w, p: (
            ["gateway", "serve", "--deployment", _bundle_with(w, "price_schedule.quantum", 20)],
            {},
        ),
        "price_schedule",
    ),
    "port not a number": (lambda w, p: (w.serve("--port", "abc"), {}), "--port"),
    "port out of range": (lambda w, p: (w.serve("--port", "70000"), {}), "--port"),
    "port variable not a number": (
        lambda w, p: (w.serve()[:-2], {"ZKCREDITS_GATEWAY_PORT": "x"}),
        "ZKCREDITS_GATEWAY_PORT",
    ),
    "port already taken": (lambda w, p: (w.serve("--port", str(p)), {}), "port"),
    "config not JSON": (lambda w, p: (w.serve("--config", w.file("c.json", "[")), {}), "config"),
    "config not an object": (
        lambda w, p: (w.serve("--config", w.file("c.json", "[1]")), {}),
        "config",
    ),
    "config unknown key": (
        lambda w, p: (w.serve("--config", w.file("c.json", '{"prot": 1}')), {}),
        "prot",
    ),
    "config bad value": (
        lambda w, p: (w.serve("--config", w.file("c.json", '{"chain_poll_seconds": -1}')), {}),
        "chain_poll_seconds in",
    ),
    "config bad limit": (
        lambda w, p: (w.serve("--config", w.file("c.json", '{"unpaid_burst": 0}')), {}),
        "unpaid_burst in",
    ),
    "upstream not a URL": (lambda w, p: (w.serve("--upstream", "ftp://x"), {}), "--upstream"),
    "no upstream": (
        lambda w, p: (["gateway", "serve", "--deployment", str(w.bundle)], {}),
        "upstream",
    ),
    "store scheme": (lambda w, p: (w.serve("--store", "mysql://db/x"), {}), "--store"),
    "store relative path": (lambda w, p: (w.serve("--store", "rel/x.db"), {}), "--store"),
    "finality word": (lambda w, p: (w.serve("--finality", "soon"), {}), "--finality"),
    "rpc not http": (lambda w, p: (w.serve("--rpc-url", "ws://x"), {}), "--rpc-url"),
    "components spec": (lambda w, p: (w.serve("--components", "nocolon"), {}), "--components"),
    "metrics port": (lambda w, p: (w.serve("--metrics-port", "-1"), {}), "--metrics-port"),
    "unknown option": (lambda w, p: (w.serve("--nope"), {}), "--nope"),
    "key on the command line": (lambda w, p: (w.serve("--server-secret", "1"), {}), "No such"),
    "state key missing": (
        lambda w, p: (w.serve("--server-key-file", str(w.root / "absent.key")), {}),
        "server_key_file",
    ),
    "state key short": (
        lambda w, p: (w.serve("--server-key-file", w.file("k", "ab" * 31)), {}),
        "server_key_file",
    ),
    "state key out of range": (
        lambda w, p: (w.serve("--server-key-file", w.file("k", f"{L:064x}")), {}),
        "server_key_file",
    ),
    "data dir is a file": (
        lambda w, p: (w.serve("--data-dir", w.file("f", "x")), {}),
        "data_dir",
    ),
    "store unreachable": (
        lambda w, p: (w.serve("--store", "postgresql://nobody@127.0.0.1:9/none"), {}),
        "store",
    ),
    "keygen over an existing key": (
        lambda w, p: (["gateway", "keygen", "--out", str(w.key)], {}),
        "out",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_mistake_is_one_line_naming_the_field_and_a_non_zero_exit(
    name: str,
    tmp_path: Path,
    bundle_file: Path,
    busy_port: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = World(tmp_path, bundle_file)
    make, field = CASES[name]
    args, env = make(world, busy_port)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    code = main(args)
    out = capsys.readouterr()
    lines = [line for line in out.err.splitlines() if line.strip()]
    assert code != 0, out
    assert "Traceback" not in out.err + out.out
    assert len(lines) == 1, out.err
    assert lines[0].startswith("error:") and field in lines[0], lines[0]


def test_a_bad_gateway_rpc_url_is_refused_before_anything_is_deployed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZKCREDITS_DEPLOYER_KEY", "0x" + "11" * 32)
    config = tmp_path / "deploy.json"
    config.write_text("{}")
    args = ["deploy", "run", "--config", str(config), "--rpc-url", "http://127.0.0.1:9"]
    code = main([*args, "--gateway-rpc-url", "ftp://x", "--deployments-dir", str(tmp_path / "o")])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and "gateway_rpc_url" in lines[0], lines
    assert not (tmp_path / "o").exists()
