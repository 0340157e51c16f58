"""`--components` factory for the CLI test: the in-test chain view (honest LeanIMT roots) with
the real upstream side (embedded upstream through `HttpUpstream`) and the rule policy."""

from __future__ import annotations

from gateway_world import TreeChainView

from prover.gateway.app.settings import GatewaySettings
from prover.gateway.app.wiring import Components, WiringOptions, build_policy, build_upstream
from prover.gateway.store import NullifierStore


def components(
    settings: GatewaySettings, store: NullifierStore, options: WiringOptions
) -> Components:
    return Components(
        chain=TreeChainView(), upstream=build_upstream(options), policy=build_policy(settings)
    )
