"""One-call construction of the gateway's chain side, and the `--components` factory of
`zkcredits gateway serve` (`prover.gateway.chain.components:components`).

`open_gateway_chain(...)` opens the mirror, the slasher and the watcher under one data directory
(`mirror.sqlite`, `slash-jobs.sqlite` unless a shared job store is given), and starts the
`ChainSync` loop; its `view` is the gateway's `ChainView` and `slasher` its double-spend sink.
`components(...)` connects to the RPC (with a timeout), checks the vault against the gateway's
settings and keys (`vault_check`), picks the finality rule of the chain and opens all that under
the deployment's data directory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from prover.chain.mirror import Finality, MirrorError, VaultMirror
from prover.gateway.app.health import ChainHealth
from prover.gateway.chain.errors import GatewayChainError
from prover.gateway.chain.health import chain_health
from prover.gateway.chain.jobs import JobStore
from prover.gateway.chain.lease import LeaseKeeper
from prover.gateway.chain.service import ChainSync
from prover.gateway.chain.slasher import DEFAULT_DENY_AHEAD, Slasher
from prover.gateway.chain.vault_check import check_against_vault
from prover.gateway.chain.view import MirrorChainView
from prover.gateway.chain.watcher import WithdrawalWatcher
from prover.gateway.store import NullifierStore
from prover.logs import get_logger
from prover.plumbing.errors import SecretFileError, SecretFileMissingError
from prover.plumbing.secret_file import read_secret_text

log = get_logger("zkcredits.gateway.chain")


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

    def health(self) -> ChainHealth:
        return chain_health(self.view, self.mirror, self.loop)


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
    jobs: JobStore | None = None,
    lease: LeaseKeeper | None = None,
    on_slash_event: Callable[[str], None] = lambda _event: None,
) -> GatewayChain:
    """Open everything; with `start`, the loop runs in a daemon thread until `close()`.

    `jobs` and `lease`: the replicas' shared job store and slasher lease (PostgreSQL); by
    default a SQLite job file in `data_dir` and a lease this process always holds."""
    mirror = VaultMirror(w3, vault, data_dir / "mirror.sqlite", finality=finality,
                         start_block=start_block)  # fmt: skip
    slasher = Slasher(w3, mirror, store, account, data_dir / "slash-jobs.sqlite", jobs=jobs,
                      deny_ahead=deny_ahead, on_event=on_slash_event)  # fmt: skip
    watcher = WithdrawalWatcher(mirror, store, slasher)
    loop = ChainSync(mirror, watcher, slasher, poll_interval=poll_interval, lease=lease)
    chain = GatewayChain(
        MirrorChainView(mirror, max_staleness=max(max_staleness, 3 * poll_interval)),
        mirror, slasher, watcher, loop,
    )  # fmt: skip
    if start:
        loop.start()
    return chain


def read_account_key(path: Path) -> LocalAccount:
    """The slasher's chain account from a file holding a 32-byte hex private key (the file must
    be the owner's alone: the secret-file rule of `prover.plumbing.secret_file`)."""
    try:
        text = read_secret_text(path).removeprefix("0x")
    except SecretFileMissingError as exc:
        raise GatewayChainError(
            f"slasher_key_file: no key file at {path} (the slasher's chain key, 64 hex digits; "
            "--slasher-key-file or ZKCREDITS_GATEWAY_SLASHER_KEY_FILE)",
            field="slasher_key_file",
        ) from exc
    except SecretFileError as exc:
        raise GatewayChainError(f"slasher_key_file: {exc}", field="slasher_key_file") from exc
    if len(text) != 64:
        raise GatewayChainError(
            f"slasher_key_file: {path}: expected 64 hex digits", field="slasher_key_file"
        )
    try:
        account: LocalAccount = Account.from_key("0x" + text)
    except ValueError as exc:
        raise GatewayChainError(
            f"slasher_key_file: {path}: not a valid private key", field="slasher_key_file"
        ) from exc
    return account


def finality_for(chain_id: int, confirmations: int | None) -> Finality:
    """`None` → the node's `finalized` tag; otherwise `latest − confirmations`."""
    return Finality.finalized_tag() if confirmations is None else Finality.after(confirmations)


def connect(rpc_url: str, timeout: float) -> Web3:
    return Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))


def components(settings: object, store: NullifierStore, options: object) -> object:
    """`--components prover.gateway.chain.components:components` for `zkcredits gateway serve`.

    Needs the RPC (`options.rpc_url`) and what `serve` resolved (`options.run`): the data
    directory, the slasher's key file, the finality rule, timeouts, the shared state of
    replicas. Refuses to start if the vault differs from the settings or keys (naming each field).
    """
    from prover.gateway.app.settings import GatewaySettings
    from prover.gateway.app.wiring import Components, WiringOptions, build_policy, build_upstream

    assert isinstance(settings, GatewaySettings) and isinstance(options, WiringOptions)
    if options.rpc_url is None:
        raise GatewayChainError(
            "rpc_url: none configured: pass --rpc-url URL (the bundle records none)",
            field="rpc_url",
        )
    run = options.run
    if run is None:
        raise GatewayChainError("the chain side is built by `zkcredits gateway serve`", field="run")
    serve = run.serve
    key_file = serve.slasher_key_file or run.data.slasher_key
    account = read_account_key(key_file)
    w3 = connect(options.rpc_url, serve.rpc_timeout_seconds)
    check_against_vault(w3, settings, run.server_pk, run.local_keys)
    finality = finality_for(settings.chain_id, serve.confirmations(settings.chain_id))
    lease = LeaseKeeper(run.shared.lease, serve.slasher_lease_seconds)
    metrics = run.metrics
    try:
        chain = open_gateway_chain(
            w3, settings.vault, store, account, run.deployment.chain_dir,
            finality=finality, start_block=run.start_block,
            poll_interval=serve.chain_poll_seconds,
            max_staleness=serve.chain_max_staleness_seconds,
            jobs=run.shared.jobs, lease=lease,
            on_slash_event=metrics.slash_event if metrics is not None else lambda _e: None,
        )  # fmt: skip
    except MirrorError as exc:
        raise GatewayChainError(f"chain mirror: {exc}", field="data_dir") from exc
    log.info(
        "chain_side_started",
        finality=finality.describe(),
        slasher=account.address,
        lease=type(run.shared.lease).__name__,
    )
    return Components(
        chain=chain.view,
        upstream=build_upstream(options),
        policy=build_policy(settings, options.penalty_log),
        double_spend_sink=chain.slasher,
        close=chain.close,
        chain_health=chain.health,
    )
