"""Fresh SOCKS credentials per call: Tor isolates circuits by SOCKS username/password
(`IsolateSOCKSAuth`, on by default), so no two calls share a circuit."""

from __future__ import annotations

import secrets


def fresh_socks_credentials() -> tuple[str, str]:
    """A random (username, password) pair, 128 bits each, never reused."""
    return secrets.token_hex(16), secrets.token_hex(16)
