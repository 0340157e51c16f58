"""`ZKCREDITS_SOCKS_PROXY` and the other transport settings: valid forms parse, bad ones are
refused with a message naming the value."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from prover.client.transport.config import ProxyAddress, TransportSettings, parse_proxy_url
from prover.client.transport.errors import ProxyConfigError, TransportConfigError, TransportError
from prover.errors import ZkCreditsError


@pytest.mark.parametrize(
    ("url", "host", "port"),
    [
        ("socks5h://127.0.0.1:9050", "127.0.0.1", 9050),
        ("SOCKS5H://127.0.0.1:9150/", "127.0.0.1", 9150),
        ("socks5h://[::1]:9050", "::1", 9050),
        ("socks5h://tor-proxy.internal:1080", "tor-proxy.internal", 1080),
    ],
)
def test_a_socks5h_url_parses_into_host_and_port(url: str, host: str, port: int) -> None:
    assert parse_proxy_url(url) == ProxyAddress(host=host, port=port)


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("socks5://127.0.0.1:9050", "use socks5h://"),
        ("http://127.0.0.1:8080", "scheme must be socks5h"),
        ("127.0.0.1:9050", "scheme must be socks5h"),
        ("socks5h://127.0.0.1", "port is missing"),
        ("socks5h://127.0.0.1:0", "1–65535"),
        ("socks5h://127.0.0.1:70000", "not a valid URL"),
        ("socks5h://127.0.0.1:90x0", "not a valid URL"),
        ("socks5h://:9050", "host is missing"),
        ("socks5h://user:pw@127.0.0.1:9050", "credentials"),
        ("socks5h://127.0.0.1:9050/path", "no path"),
        ("socks5h://bad_host!:9050", "not an IP address or host name"),
    ],
)
def test_a_malformed_proxy_url_is_refused_with_a_clear_error(url: str, complaint: str) -> None:
    with pytest.raises(ProxyConfigError) as caught:
        parse_proxy_url(url)
    assert complaint in str(caught.value)
    assert repr(url) in str(caught.value)
    assert isinstance(caught.value, TransportError) and isinstance(caught.value, ZkCreditsError)


def test_the_proxy_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZKCREDITS_SOCKS_PROXY", "socks5h://127.0.0.1:9050")
    monkeypatch.setenv("ZKCREDITS_SEND_DELAY_MAX_S", "5")
    settings = TransportSettings()
    assert settings.proxy == ProxyAddress(host="127.0.0.1", port=9050)
    assert settings.send_delay_max_s == 5.0


def test_an_empty_proxy_variable_means_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZKCREDITS_SOCKS_PROXY", "  ")
    assert TransportSettings().proxy is None


def test_a_malformed_proxy_in_the_environment_fails_at_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZKCREDITS_SOCKS_PROXY", "socks5://127.0.0.1:9050")
    with pytest.raises(
        ProxyConfigError, match=re.escape("ZKCREDITS_SOCKS_PROXY='socks5://127.0.0.1:9050'")
    ):
        TransportSettings()


def test_inverted_delay_bounds_are_refused() -> None:
    with pytest.raises(TransportConfigError, match=re.escape("send_delay_max_s=1.0")):
        TransportSettings(send_delay_min_s=2.0, send_delay_max_s=1.0)


@pytest.mark.parametrize("value", ["0", "11", "-1", "three", ""])
def test_a_connect_attempt_count_outside_1_to_10_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ZKCREDITS_SOCKS_CONNECT_ATTEMPTS", value)
    with pytest.raises(ValidationError, match="socks_connect_attempts"):
        TransportSettings()


def test_the_connect_attempt_count_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZKCREDITS_SOCKS_CONNECT_ATTEMPTS", "5")
    assert TransportSettings().socks_connect_attempts == 5
