"""The gateway bundle: which RPC hints it records, and a bundle that is not self-consistent
(service_id of another vault, a schedule that does not hash to the pinned hash) is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prover.gateway.app.errors import GatewayConfigError
from prover.gateway.bundle import bundle_path, credential_free, read_gateway_bundle


@pytest.mark.parametrize(
    ("url", "free"),
    [
        ("http://127.0.0.1:8545", True),
        ("http://localhost:8545/", True),
        ("http://[::1]:8545", True),
        ("https://mainnet.infura.io/v3/0123456789abcdef", False),  # the key is in the path
        ("http://user:secret@127.0.0.1:8545", False),
        ("http://127.0.0.1:8545/?apikey=x", False),
        ("http://10.0.0.5:8545", False),
        ("ws://127.0.0.1:8545", False),
    ],
)
def test_only_a_loopback_url_without_credentials_is_copied_as_the_rpc_hint(
    url: str, free: bool
) -> None:
    assert credential_free(url) is free


def test_the_bundle_sits_beside_the_deployment_file() -> None:
    assert bundle_path(Path("deployments/31337.json")) == Path("deployments/31337.gateway.json")


def test_a_bundle_that_is_not_self_consistent_is_refused(bundle_file: Path) -> None:
    good = json.loads(bundle_file.read_text())
    assert read_gateway_bundle(bundle_file).chain_id == 31337
    for change, words in (
        ({"service_id": "1"}, "service_id"),
        ({"price_schedule": {**good["price_schedule"], "quantum": 5}}, "price_schedule"),
        ({"format": "zkcredits-gateway-v0"}, "format"),
        ({"extra": 1}, "extra"),
    ):
        bundle_file.write_text(json.dumps({**good, **change}))
        with pytest.raises(GatewayConfigError) as info:
            read_gateway_bundle(bundle_file)
        assert words in str(info.value) and "\n" not in str(info.value)
