"""Every reader of a secret file applies the one rule, through its own error, naming the fix.

Each case reads a well-formed secret: owner-only it is accepted, readable by others the same
file is refused (so the refusal is the mode's, not the content's), with `chmod 600 PATH`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from prover.attest.errors import AttestConfigError
from prover.chain.deploy.errors import DeployerKeyError
from prover.cli.deploy import _read_key
from prover.cli.gateway_attest import _publish
from prover.cli.provider import _treasury_key
from prover.cli.validator import _key as validator_key
from prover.client.discovery import load_chain_account
from prover.client.errors import ChainAccountError, ClientError
from prover.client.passphrase import read_passphrase
from prover.gateway.app.errors import GatewayConfigError
from prover.gateway.chain.components import read_account_key
from prover.gateway.chain.errors import GatewayChainError
from prover.gateway.revenue import RevenueError
from prover.gateway.server_key import read_server_key
from prover.gateway.upstream.errors import UpstreamConfigError
from prover.gateway.upstream.settings import UpstreamSettings

CHAIN_KEY = "0x" + "11" * 32
STATE_KEY = "00" * 31 + "05"  # a Baby Jubjub scalar in [1, l)

Reader = Callable[[Path], object]

READERS: dict[str, tuple[str, Reader, type[Exception]]] = {
    "gateway state key": (STATE_KEY, read_server_key, GatewayConfigError),
    "slasher key": (CHAIN_KEY, read_account_key, GatewayChainError),
    "client chain key": (CHAIN_KEY, load_chain_account, ChainAccountError),
    "deployer key": (
        CHAIN_KEY,
        lambda p: _read_key(p, "UNSET_ENV", "deployer", required=True),
        DeployerKeyError,
    ),
    "treasury key": (CHAIN_KEY, _treasury_key, RevenueError),
    "validator key": (CHAIN_KEY, validator_key, AttestConfigError),
    "wallet passphrase": ("correct horse battery", read_passphrase, ClientError),
    "upstream API key": (
        "sk-upstream",
        lambda p: UpstreamSettings(base_url="http://127.0.0.1:9", api_key_file=p).key(),
        UpstreamConfigError,
    ),
}


@pytest.fixture(params=sorted(READERS))
def reader(request: pytest.FixtureRequest) -> tuple[str, Reader, type[Exception]]:
    return READERS[request.param]


def test_an_owner_only_secret_file_is_accepted(
    tmp_path: Path, reader: tuple[str, Reader, type[Exception]]
) -> None:
    content, read, _ = reader
    path = tmp_path / "secret"
    path.write_text(content + "\n")
    path.chmod(0o600)
    assert read(path) is not None


def test_the_same_file_readable_by_others_is_refused_by_the_callers_own_error(
    tmp_path: Path, reader: tuple[str, Reader, type[Exception]]
) -> None:
    content, read, error = reader
    path = tmp_path / "secret"
    path.write_text(content + "\n")
    path.chmod(0o644)
    with pytest.raises(error) as info:
        read(path)
    assert f"chmod 600 {path}" in str(info.value)
    assert getattr(info.value, "field", None) is not None


def test_the_owner_key_of_an_attestation_request_is_refused_before_any_chain_call(
    tmp_path: Path,
) -> None:
    path = tmp_path / "owner.key"
    path.write_text(CHAIN_KEY)
    path.chmod(0o604)
    with pytest.raises(AttestConfigError) as info:
        _publish("https://x/e.json", "0x" + "22" * 20, "http://127.0.0.1:9", path, 1, "0x", b"")
    assert f"chmod 600 {path}" in str(info.value) and info.value.field == "key_file"
