"""One-call construction of the gateway's chain side, and a `--components` factory for
`zkcredits gateway serve` (`prover.gateway.chain.components:components`).

`open_gateway_chain(...)` opens the mirror, the slasher and the watcher under one data directory
(`mirror.sqlite`, `slash-jobs.sqlite`), and starts the `ChainSync` loop; its `view` is the
gateway's `ChainView` and `slasher` its double-spend sink.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from prover.chain.mirror import Finality, VaultMirror
from prover.gateway.chain.errors import GatewayChainError
from prover.gateway.chain.service import ChainSync
from prover.gateway.chain.slasher import DEFAULT_DENY_AHEAD, Slasher
from prover.gateway.chain.view import MirrorChainView
from prover.gateway.chain.watcher import WithdrawalWatcher
from prover.gateway.store import NullifierStore


@dataclass
class GatewayChain:
    view: MirrorChainView
    mirror: VaultMirror
    slasher: Slasher
    watcher: WithdrawalWatcher
    loop: ChainSync

    def close(self) -> None:
        self.loop.stop()
        self.slasher.close()
        self.mirror.close()


def open_gateway_chain(
    w3: Web3,
    vault: str,
    store: NullifierStore,
    account: LocalAccount,
    data_dir: Path,
    *,
    finality: Finality | None = None,
    start_block: int = 0,
    poll_interval: float = 2.0,
    max_staleness: float = 60.0,
    deny_ahead: int = DEFAULT_DENY_AHEAD,
    start: bool = True,
) -> GatewayChain:
    """Open everything; with `start`, the loop runs in a daemon thread until `close()`."""
    mirror = VaultMirror(w3, vault, data_dir / "mirror.sqlite", finality=finality,
                         start_block=start_block)  # fmt: skip
    slasher = Slasher(w3, mirror, store, account, data_dir / "slash-jobs.sqlite",
                      deny_ahead=deny_ahead)  # fmt: skip
    watcher = WithdrawalWatcher(mirror, store, slasher)
    loop = ChainSync(mirror, watcher, slasher, poll_interval=poll_interval)
    chain = GatewayChain(
        MirrorChainView(mirror, max_staleness=max(max_staleness, 3 * poll_interval)),
        mirror, slasher, watcher, loop,
    )  # fmt: skip
    if start:
        loop.start()
    return chain


def read_account_key(path: Path) -> LocalAccount:
    """The provider's chain account from a file holding a 32-byte hex private key."""
    text = path.read_text().strip().removeprefix("0x")
    if len(text) != 64:
        raise GatewayChainError(f"{path}: expected 64 hex digits", field="slasher_key")
    try:
        account: LocalAccount = Account.from_key("0x" + text)
    except ValueError as exc:
        raise GatewayChainError(f"{path}: not a valid private key", field="slasher_key") from exc
    return account


def components(settings: object, store: NullifierStore, options: object) -> object:
    """`--components prover.gateway.chain.components:components` for `zkcredits gateway serve`.

    Needs `--rpc-url`; the slasher key file comes from `ZKCREDITS_SLASHER_KEY_FILE` (or the
    options' `extra["slasher_key_file"]`), the data directory from `ZKCREDITS_CHAIN_DIR`
    (default `build/gateway/chain`), the finality depth from `ZKCREDITS_CONFIRMATIONS`
    (default 12; `finalized` for the node's finalized tag).
    """
    from prover.gateway.app.settings import GatewaySettings
    from prover.gateway.app.wiring import Components, WiringOptions, build_policy, build_upstream

    assert isinstance(settings, GatewaySettings) and isinstance(options, WiringOptions)
    if options.rpc_url is None:
        raise GatewayChainError("the chain side needs --rpc-url", field="rpc_url")
    key_file = options.extra.get("slasher_key_file") or os.environ.get("ZKCREDITS_SLASHER_KEY_FILE")
    if not key_file:
        raise GatewayChainError("set ZKCREDITS_SLASHER_KEY_FILE", field="slasher_key")
    depth = os.environ.get("ZKCREDITS_CONFIRMATIONS", "12")
    finality = Finality.finalized_tag() if depth == "finalized" else Finality.after(int(depth))
    w3 = Web3(Web3.HTTPProvider(options.rpc_url, request_kwargs={"timeout": 30}))
    if int(w3.eth.chain_id) != settings.chain_id:
        raise GatewayChainError(
            f"the RPC serves chain {w3.eth.chain_id}, the settings name {settings.chain_id}",
            field="chain_id",
        )
    chain = open_gateway_chain(
        w3, settings.vault, store, read_account_key(Path(key_file)),
        Path(os.environ.get("ZKCREDITS_CHAIN_DIR", "build/gateway/chain")), finality=finality,
    )  # fmt: skip
    for name in ("root_epoch", "root_ttl"):
        if getattr(chain.mirror, name) != getattr(settings, name):
            chain.close()
            raise GatewayChainError(f"settings.{name} differs from the vault's", field=name)
    return Components(
        chain=chain.view,
        upstream=build_upstream(options),
        policy=build_policy(settings, options.penalty_log),
        double_spend_sink=chain.slasher,
        close=chain.close,
    )
