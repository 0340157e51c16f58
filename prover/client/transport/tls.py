"""One TLS context for every outgoing request of the client.

httpx builds a new `ssl.SSLContext` (and loads the whole CA bundle) for every transport it
creates: 20–70 ms per request on this machine, and the transport makes a new client for every
request (no connection reuse, PROTOCOL §13). The context is built once instead. It links nothing:
certificate checks are the same, and no TLS session is ever resumed across requests (httpcore
never hands a session from one connection to another).
"""

from __future__ import annotations

import ssl
from functools import lru_cache

import httpx


@lru_cache(maxsize=1)
def shared_ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi's CA bundle; no environment variables)."""
    return httpx.create_ssl_context(trust_env=False)
