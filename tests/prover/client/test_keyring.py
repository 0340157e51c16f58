"""A client with no build of its own gets a provider's keys from any URL its registration names:
fetched once, every file checked against the registration's sha256 and the pinned vk hash,
self-tested, cached by vk hash; anything else is refused by file name, and nothing is cached."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from prover.chain.registration import KeyFiles
from prover.circuits.artifacts import KEYS_DIR
from prover.circuits.build import CircuitBuild
from prover.circuits.key_files import file_hashes, published_files
from prover.circuits.manifest import read_manifest
from prover.client.errors import KeysUnavailableError
from prover.client.keyring import Keyring

pytestmark = pytest.mark.slow
CIRCUITS = ("request", "withdraw", "slash")


@dataclass
class KeyServer:
    """A plain static file server (any URL works): `<root>/<circuit>/<file>`."""

    root: Path
    url: str
    requests: list[str] = field(default_factory=list)

    def files(self) -> KeyFiles:
        on_disk = {f"{c}/{p.name}": p for c in CIRCUITS for p in (self.root / c).iterdir()}
        return KeyFiles(base_url=self.url, files=file_hashes(on_disk))


@pytest.fixture
def server(tmp_path: Path, circuits_built: list[CircuitBuild]) -> Iterator[KeyServer]:
    """The build's published files under `/keys-at-any-path/` of a static file server."""
    www = tmp_path / "www"
    root = www / "keys-at-any-path"
    for name, path in published_files(CIRCUITS).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, root / name)
    record = KeyServer(root, "")

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            record.requests.append(self.path)  # before the reply: no race with the client
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(www)))
    record.url = f"http://127.0.0.1:{httpd.server_address[1]}/keys-at-any-path/"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield record
    finally:
        httpd.shutdown()
        httpd.server_close()


def _vk_hash(circuit: str) -> str:
    return read_manifest(KEYS_DIR / circuit).vk_hash


def _no_build(cache: Path) -> Keyring:
    return Keyring(cache, build_keys_dir=None, build_circuits_dir=None, generated_dir=None)


def test_published_keys_are_fetched_once_checked_self_tested_and_cached(
    server: KeyServer, tmp_path: Path
) -> None:
    keyring = _no_build(tmp_path / "cache")
    published = server.files()
    for circuit in ("request", "withdraw"):
        assert keyring.usable_dir(circuit, _vk_hash(circuit)) is None
        keyring.ensure_keys(circuit, _vk_hash(circuit), published, "dev-single-party")
    assert sorted(server.requests) == sorted(
        f"/keys-at-any-path/{n}" for n in published.files if not n.startswith("slash/")
    )
    fetched = len(server.requests)
    # A second client process: everything from the cache, no request, keys that prove.
    again = _no_build(tmp_path / "cache")
    keys = again.circuit_keys("request", _vk_hash("request"), published, "dev-single-party")
    assert keys.vk.hash_hex() == _vk_hash("request")
    assert keys.artifacts.wasm.is_relative_to(tmp_path / "cache")
    assert len(server.requests) == fetched
    # Only the small verifying key is fetched when discovery needs slash's full key.
    vk = again.verifying_key("slash", _vk_hash("slash"), published)
    assert vk.hash_hex() == _vk_hash("slash")
    assert server.requests[fetched:] == ["/keys-at-any-path/slash/verification_key.json"]


def _refusal(keyring: Keyring, circuit: str, published: KeyFiles) -> KeysUnavailableError:
    with pytest.raises(KeysUnavailableError) as info:
        keyring.ensure_keys(circuit, _vk_hash(circuit), published, "dev-single-party")
    assert keyring.usable_dir(circuit, _vk_hash(circuit)) is None
    assert not any(p.name.startswith(circuit) for p in (keyring.cache_dir / "keys").glob("*"))
    return info.value


def test_a_file_that_is_not_the_registered_one_is_refused_by_name(
    server: KeyServer, tmp_path: Path
) -> None:
    published = server.files()
    wasm = server.root / "withdraw" / "withdraw.wasm"
    wasm.write_bytes(wasm.read_bytes()[:-1] + b"\x00")  # served, but not what is registered
    error = _refusal(_no_build(tmp_path / "c"), "withdraw", published)
    assert error.field == "keys.withdraw/withdraw.wasm" and "sha256" in str(error)


def test_a_verifying_key_that_is_not_the_pinned_one_is_refused(
    server: KeyServer, tmp_path: Path
) -> None:
    # The provider serves (and registers) the slash key as withdraw's: hashes match, the pin not.
    shutil.copyfile(KEYS_DIR / "slash" / "verification_key.json",
                    server.root / "withdraw" / "verification_key.json")  # fmt: skip
    error = _refusal(_no_build(tmp_path / "c"), "withdraw", server.files())
    assert error.field == "keys.withdraw/verification_key.json"
    assert _vk_hash("withdraw") in str(error)


def test_a_proving_key_that_does_not_prove_for_the_pinned_key_is_refused_by_its_self_test(
    server: KeyServer, tmp_path: Path
) -> None:
    # Another setup's proving key for the same circuit, registered with its own (correct) hash.
    import groth16py

    from prover.circuits.artifacts import CIRCUITS_BUILD_DIR

    pk, _vk = groth16py.setup(str(CIRCUITS_BUILD_DIR / "withdraw" / "withdraw.r1cs"))
    pk.save(str(server.root / "withdraw" / "proving_key.bin"))
    error = _refusal(_no_build(tmp_path / "c"), "withdraw", server.files())
    assert error.field == "keys.withdraw/proving_key.bin" and "cannot prove" in str(error)


def test_an_unreachable_provider_or_no_published_keys_is_a_named_refusal(
    server: KeyServer, tmp_path: Path
) -> None:
    keyring = _no_build(tmp_path / "c")
    assert _refusal(keyring, "request", None).field == "keys.request"  # type: ignore[arg-type]
    gone = server.files().model_copy(update={"base_url": "http://127.0.0.1:9/k/"})
    assert _refusal(keyring, "request", gone).field == "keys.request/proving_key.bin"


def test_a_damaged_cached_key_is_fetched_again(server: KeyServer, tmp_path: Path) -> None:
    keyring = _no_build(tmp_path / "cache")
    published = server.files()
    keyring.ensure_keys("withdraw", _vk_hash("withdraw"), published, "dev-single-party")
    directory = keyring.key_dir("withdraw", _vk_hash("withdraw"))
    (directory / "withdraw_js" / "withdraw.wasm").write_bytes(b"damaged")
    assert keyring.usable_dir("withdraw", _vk_hash("withdraw")) is None
    before = len(server.requests)
    keys = keyring.circuit_keys("withdraw", _vk_hash("withdraw"), published, "dev-single-party")
    assert keys.vk.hash_hex() == _vk_hash("withdraw") and len(server.requests) == before + 4
