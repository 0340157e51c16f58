"""Where a gateway keeps its state: one data directory, never the working directory.

    <data-dir>/                       mode 0700
      server.key                      state-signing key (`zkcredits gateway keygen`)
      slasher.key                     the slasher's chain key (64 hex digits), if kept here
      <chainId>-<vault>/              one directory per deployment
        deployment.json               which chain and vault this directory belongs to
        nullifiers.sqlite             the nullifier store (unless --store names PostgreSQL)
        penalties.sqlite              the signed penalty log (SQLite store only)
        chain/mirror.sqlite           the vault's event mirror
        chain/slash-jobs.sqlite       slash jobs and the exit watcher's cursor (SQLite store only)
        chain/revenue-mirror.sqlite   `zkcredits provider revenue|collect`'s own mirror
        gateway.lock                  held by the one gateway of a SQLite store

The default data directory is `$XDG_DATA_HOME/zkcredits/gateway` (an absolute
`$XDG_DATA_HOME`, per the XDG base-directory rules), else `~/.local/share/zkcredits/gateway`.
A deployment directory is bound to its chain id and vault on first use; opening it for another
deployment is refused, so state of two vaults is never mixed.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from prover.gateway.app.errors import GatewayConfigError
from prover.plumbing.atomic import atomic_write_text

SERVER_KEY_NAME: Final = "server.key"
SLASHER_KEY_NAME: Final = "slasher.key"
IDENTITY_NAME: Final = "deployment.json"


def default_data_dir(env: dict[str, str] | None = None) -> Path:
    """`$XDG_DATA_HOME/zkcredits/gateway`, or `~/.local/share/zkcredits/gateway`."""
    environ = os.environ if env is None else env
    xdg = environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "zkcredits" / "gateway"


def _make_dir(path: Path, field: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise GatewayConfigError(
            f"{field}: cannot create {path}: {exc.strerror}", field=field
        ) from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise GatewayConfigError(f"{field}: {path} is not writable", field=field)


@dataclass(frozen=True)
class DataDir:
    """The root data directory (keys) and the paths of one deployment's state."""

    root: Path

    @classmethod
    def open(cls, root: Path | None) -> DataDir:
        """The data directory `root` (default: `default_data_dir()`), created with mode 0700."""
        path = (root or default_data_dir()).expanduser()
        if not path.is_absolute():
            path = path.resolve()
        _make_dir(path, "data_dir")
        return cls(path)

    @property
    def server_key(self) -> Path:
        return self.root / SERVER_KEY_NAME

    @property
    def slasher_key(self) -> Path:
        return self.root / SLASHER_KEY_NAME

    def deployment(self, chain_id: int, vault: str) -> DeploymentDir:
        """The state directory of one deployment, bound to it (refused for another)."""
        directory = DeploymentDir(self.root / f"{chain_id}-{vault.lower()}")
        _make_dir(directory.chain_dir, "data_dir")
        directory.bind(chain_id, vault)
        return directory


@dataclass(frozen=True)
class DeploymentDir:
    """One deployment's state files (see the module docstring for the layout)."""

    path: Path

    @property
    def store_url(self) -> str:
        return f"sqlite:///{self.path / 'nullifiers.sqlite'}"

    @property
    def penalty_log(self) -> Path:
        return self.path / "penalties.sqlite"

    @property
    def chain_dir(self) -> Path:
        return self.path / "chain"

    @property
    def mirror(self) -> Path:
        return self.chain_dir / "mirror.sqlite"

    @property
    def slash_jobs(self) -> Path:
        return self.chain_dir / "slash-jobs.sqlite"

    @property
    def revenue_mirror(self) -> Path:
        return self.chain_dir / "revenue-mirror.sqlite"

    def bind(self, chain_id: int, vault: str) -> None:
        """Record (first use) or check which deployment this directory holds."""
        marker = self.path / IDENTITY_NAME
        want = {"chain_id": chain_id, "vault": vault.lower()}
        try:
            if marker.exists():
                found = json.loads(marker.read_text())
                if found != want:
                    raise GatewayConfigError(
                        f"data_dir: {self.path} holds the state of chain {found.get('chain_id')} "
                        f"vault {found.get('vault')}, not of chain {chain_id} vault {vault}",
                        field="data_dir",
                    )
                return
            atomic_write_text(marker, json.dumps(want) + "\n")
        except (OSError, ValueError) as exc:
            raise GatewayConfigError(
                f"data_dir: cannot read or write {marker}: {exc}", field="data_dir"
            ) from exc

    def lock_single_gateway(self) -> int:
        """With a SQLite store there is one gateway per deployment (its orphan rule and its slash
        jobs assume it): hold an exclusive lock on `gateway.lock` for the life of the process.
        Returns the descriptor (closing it releases the lock); a second gateway is refused."""
        path = self.path / "gateway.lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise GatewayConfigError(
                f"data_dir: cannot open {path}: {exc.strerror}", field="data_dir"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise GatewayConfigError(
                f"data_dir: another gateway already serves {self.path} with its SQLite store "
                "(one gateway per SQLite store; use PostgreSQL for replicas)",
                field="data_dir",
            ) from exc
        return fd
