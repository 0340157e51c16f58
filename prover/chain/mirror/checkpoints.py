"""Accepted roots (PROTOCOL §11) computed from final deposits, as the vault defines them.

The vault's checkpoint of epoch `e` is its root at the boundary `e · root_epoch`: the root after
every deposit in a block stamped before the boundary (a block stamped exactly on it belongs to
the new epoch). The vault records it lazily (`RootCheckpointed`, emitted by the first deposit of
an epoch); epochs without deposits share the root of the last deposit before them. So the root
after deposit `i` is the checkpoint of every epoch `e` with `ts_i < e·E ≤ ts_{i+1}`, and only of
final epochs (`e·E ≤` the timestamp of the finality point). It is accepted at time `now` iff such
an epoch exists, the root is non-zero, and `now ≤ e_max·E + root_ttl` for the newest such epoch.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from prover.chain.mirror.models import Checkpoint


@dataclass(frozen=True)
class CheckpointIndex:
    """Immutable view over final deposits: `roots[i]`/`times[i]` after deposit `i`."""

    roots: tuple[int, ...]
    times: tuple[int, ...]
    final_timestamp: int
    root_epoch: int
    root_ttl: int
    _by_root: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_root", {r: i for i, r in enumerate(self.roots)})

    @property
    def final_epoch(self) -> int:
        return self.final_timestamp // self.root_epoch

    def _epoch_range(self, i: int) -> tuple[int, int]:
        """Epochs whose checkpoint is the root after deposit `i` (empty if first > last)."""
        first = self.times[i] // self.root_epoch + 1
        nxt = i + 1
        last = self.times[nxt] // self.root_epoch if nxt < len(self.times) else self.final_epoch
        return first, min(last, self.final_epoch)

    def _checkpoint(self, i: int, epoch: int) -> Checkpoint:
        boundary = epoch * self.root_epoch
        return Checkpoint(
            epoch=epoch,
            root=self.roots[i],
            size=i + 1,
            boundary=boundary,
            expires_at=boundary + self.root_ttl,
        )

    def latest_for_root(self, root: int) -> Checkpoint | None:
        """The newest final checkpoint whose root is `root` (expired or not); None if none."""
        i = self._by_root.get(root)
        if root == 0 or i is None:
            return None
        first, last = self._epoch_range(i)
        return None if first > last else self._checkpoint(i, last)

    def is_accepted(self, root: int, now: float) -> bool:
        cp = self.latest_for_root(root)
        return cp is not None and now <= cp.expires_at

    def at_epoch(self, epoch: int) -> Checkpoint | None:
        """The checkpoint of a final epoch (None: not final yet, or the tree was empty)."""
        if epoch > self.final_epoch:
            return None
        boundary = epoch * self.root_epoch
        i = bisect.bisect_left(self.times, boundary) - 1  # last deposit stamped before boundary
        return None if i < 0 else self._checkpoint(i, epoch)

    def newest(self, now: float) -> Checkpoint | None:
        """The checkpoint of the newest final epoch, if non-zero and not expired at `now`."""
        cp = self.at_epoch(self.final_epoch)
        return cp if cp is not None and now <= cp.expires_at else None
