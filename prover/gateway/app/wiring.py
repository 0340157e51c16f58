"""What `zkcredits gateway serve` plugs into `create_app`: collaborators built from options.

`Components` bundles the chain view, upstream, policy and double-spend sink; a factory named with
`--components module:function` is called with the settings, the store and the options (default:
`prover.gateway.chain.components:components`, the real chain side). `build_upstream` (the real
`HttpUpstream` to `--upstream URL`, or the embedded offline upstream in process) and
`build_policy` (the rule policy) are the upstream-side parts such factories reuse.

`WiringOptions.run` carries what `gateway serve` resolved (settings, data directory, the
state key's public key, the local keys' vk hashes, the shared state of replicas, metrics); the
real chain side needs it, in-test factories may ignore it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prover.gateway.app.doublespend import DoubleSpendSink, ignore_double_spends
from prover.gateway.app.errors import GatewayConfigError
from prover.gateway.app.settings import GatewaySettings
from prover.gateway.policy.log import PenaltyLedger
from prover.gateway.ports import ChainView, Policy, Upstream
from prover.gateway.store import NullifierStore

if TYPE_CHECKING:
    from prover.crypto.babyjub import Point
    from prover.gateway.app.health import ChainHealth
    from prover.gateway.app.metrics import GatewayMetrics
    from prover.gateway.chain.vault_check import LocalKeys
    from prover.gateway.config import ServeSettings
    from prover.gateway.datadir import DataDir, DeploymentDir
    from prover.gateway.replicas import SharedState

EMBEDDED = "embedded"


@dataclass(frozen=True)
class RunContext:
    """Everything `gateway serve` resolved before building the components."""

    serve: ServeSettings
    data: DataDir
    deployment: DeploymentDir
    server_pk: Point
    start_block: int
    local_keys: LocalKeys
    shared: SharedState
    metrics: GatewayMetrics | None = None


@dataclass(frozen=True)
class WiringOptions:
    upstream: str | None = None  # a base URL, or "embedded" (the offline upstream, in process)
    rpc_url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    penalty_log: PenaltyLedger | None = None  # signed, hash-chained; served at GET /penalties
    run: RunContext | None = None


@dataclass
class Components:
    chain: ChainView
    upstream: Upstream
    policy: Policy
    double_spend_sink: DoubleSpendSink = ignore_double_spends
    close: Callable[[], None] = lambda: None
    chain_health: Callable[[], ChainHealth] | None = None
    """Chain sync state for `/healthz` and the metrics (the real chain side provides it)."""


ComponentsFactory = Callable[[GatewaySettings, NullifierStore, WiringOptions], Components]


def build_upstream(options: WiringOptions) -> Upstream:
    """The upstream of `UpstreamSettings` (`ZKCREDITS_UPSTREAM_*`: base URL, API key, headers,
    timeouts); `--upstream URL|embedded` overrides only the base URL. There is no default: with
    neither, it is refused (the embedded fake is used only when asked for by name). The reply
    limit of each call is the price schedule's (`max_reply_bytes`, carried by every forwarded
    request)."""
    from prover.gateway.upstream.settings import UpstreamSettings

    configured = UpstreamSettings()
    if options.upstream is not None:
        configured = UpstreamSettings(base_url=options.upstream)
    if configured.base_url is None:
        raise GatewayConfigError(
            "upstream: none configured: pass --upstream URL (the API's base URL) or set "
            "ZKCREDITS_UPSTREAM_BASE_URL, or --upstream embedded for the offline demo upstream",
            field="upstream",
        )
    return configured.build(max_response_bytes=1 << 31)


def build_policy(settings: GatewaySettings, log: PenaltyLedger | None = None) -> Policy:
    """The rule set of `ZKCREDITS_POLICY_FILE` (else the default one); every penalty it imposes
    is appended to `log` (signed)."""
    from prover.gateway.policy import RulePolicy
    from prover.gateway.policy.settings import PolicySettings

    config = PolicySettings().load()
    return RulePolicy.from_config(config, penalty_max=settings.penalty_max, log=log)


def load_factory(spec: str) -> ComponentsFactory:
    """`module:function` → the function (it must return `Components`)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise GatewayConfigError(f"--components must be module:function, got {spec!r}")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise GatewayConfigError(f"cannot load {spec}: {exc}", field="components") from exc
    if not callable(factory):
        raise GatewayConfigError(f"{spec} is not callable", field="components")
    return factory  # type: ignore[no-any-return]
