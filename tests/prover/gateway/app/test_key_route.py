"""`GET /.well-known/zkcredits/keys/<circuit>/<file>` serves exactly the build's published files."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from gateway_world import SERVER_SK, FixedUpstream, NoPenalty, TreeChainView, settings

from prover.circuits.artifacts import CIRCUITS_BUILD_DIR, KEYS_DIR
from prover.circuits.build import CircuitBuild
from prover.circuits.key_files import file_hashes, published_files
from prover.circuits.prover import CircuitKeys
from prover.gateway.app import create_app
from prover.gateway.app.errors import GatewayConfigError
from prover.gateway.app.key_route import PublishedKeys
from prover.gateway.store import SqliteNullifierStore

PREFIX = "/.well-known/zkcredits/keys/"


@pytest.fixture
def client(
    request_keys: CircuitKeys, tmp_path: Path, circuits_built: list[CircuitBuild]
) -> Iterator[TestClient]:
    store = SqliteNullifierStore(tmp_path / "store.db")
    app = create_app(
        settings(),
        chain=TreeChainView(),
        upstream=FixedUpstream(),
        policy=NoPenalty(),
        store=store,
        keys=request_keys,
        server_secret=SERVER_SK,
        published_keys=PublishedKeys.from_build(),
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    store.close()


def test_every_published_file_is_served_byte_for_byte_with_its_hash(client: TestClient) -> None:
    files = published_files(("request", "withdraw", "slash"))
    assert len(files) == 12
    for name, path in files.items():
        reply = client.get(PREFIX + name)
        assert reply.status_code == 200, name
        assert reply.content == path.read_bytes(), name
        digest = hashlib.sha256(reply.content).hexdigest()
        assert reply.headers["x-content-sha256"] == digest == file_hashes({name: path})[name]
        wanted = "application/json" if name.endswith(".json") else "application/octet-stream"
        assert reply.headers["content-type"].startswith(wanted)


@pytest.mark.parametrize(
    "name",
    [
        "request/manifest.json",
        "request/witness_calculator.js",
        "nope/proving_key.bin",
        "request/withdraw.wasm",
    ],
)
def test_anything_else_under_the_key_route_is_a_404_in_the_error_shape(
    client: TestClient, name: str
) -> None:
    reply = client.get(PREFIX + name)
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "bad_request"


def test_a_path_that_climbs_out_of_the_key_directory_gets_no_file(client: TestClient) -> None:
    for name in ("request/..%2F..%2Fmanifest.json", "request/../request/manifest.json"):
        reply = client.get(PREFIX + name)
        assert reply.status_code in (400, 404), name
        assert "error" in reply.json()


def test_a_gateway_refuses_to_start_with_a_file_its_registration_does_not_list(
    tmp_path: Path, circuits_built: list[CircuitBuild]
) -> None:
    files = published_files(("slash",))
    expected = file_hashes(files)
    assert PublishedKeys(files, expected).hashes == expected
    wrong = {**expected, "slash/slash.r1cs": "00" * 32}
    with pytest.raises(GatewayConfigError) as info:
        PublishedKeys(files, wrong)
    assert info.value.field == "keys.slash/slash.r1cs"
    keys = tmp_path / "keys"
    shutil.copytree(KEYS_DIR / "slash", keys / "slash")
    (keys / "slash" / "proving_key.bin").write_bytes(b"tampered")
    with pytest.raises(GatewayConfigError) as missing:
        PublishedKeys.from_build(keys, CIRCUITS_BUILD_DIR, circuits=("slash",))
    assert missing.value.field == "keys"
