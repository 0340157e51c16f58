"""The client's own view of the vault's note tree (PROTOCOL §4 step 4, §11).

A call proves membership against the newest checkpoint root of the client's OWN chain view, never
a root the gateway suggests. `TreeView` is what the payer needs; `EventTreeView` is a small
implementation that rebuilds the LeanIMT from every `Deposited` event (so no indexer learns which
note the client cares about) and reads the newest checkpoint from the vault at a chosen block tag.
The gateway team's event mirror (`prover/chain/mirror/`) satisfies the same protocol through
`MirrorTreeView`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

from web3 import Web3
from web3.exceptions import Web3Exception

from prover.chain.mirror import Checkpoint as MirrorCheckpoint
from prover.chain.mirror import MirrorError, VaultMirror
from prover.client.chain_abi import vault_abi
from prover.client.errors import ChainViewError
from prover.crypto.errors import CryptoError
from prover.crypto.leanimt import LeanIMT, MerkleProof


@dataclass(frozen=True)
class Checkpoint:
    epoch: int
    root: int
    size: int  # number of leaves in the tree at that root


class TreeView(Protocol):
    def newest_checkpoint(self) -> Checkpoint:
        """The newest accepted (final, non-zero) checkpoint of the client's own view."""
        ...

    def merkle_proof(self, leaf_index: int) -> MerkleProof:
        """The path of leaf `leaf_index` to the newest checkpoint root (padded to MAX_DEPTH)."""
        ...


class EventTreeView:
    """`TreeView` from the vault's `Deposited` events and `latestCheckpoint()` at `block`."""

    def __init__(
        self, w3: Web3, vault: str, *, max_depth: int = 20, block: str | int = "latest"
    ) -> None:
        self._w3 = w3
        self._contract = w3.eth.contract(address=Web3.to_checksum_address(vault), abi=vault_abi())
        self._max_depth = max_depth
        self._block = block
        self._leaves: list[int] = []
        self._roots: list[int] = []  # root after each leaf
        self._next_block = 0

    def _sync(self) -> int:
        """Fetch new `Deposited` events up to the view's block; returns that block number."""
        try:
            head = int(self._w3.eth.get_block(cast(Any, self._block))["number"])
            if head >= self._next_block:
                logs: list[Any] = self._contract.events.Deposited().get_logs(
                    from_block=self._next_block, to_block=head
                )
                for log in sorted(logs, key=lambda e: int(e["args"]["index"])):
                    args = log["args"]
                    if int(args["index"]) != len(self._leaves):
                        raise ChainViewError(
                            f"Deposited event index {args['index']} out of order "
                            f"(expected {len(self._leaves)})",
                            field="index",
                        )
                    self._leaves.append(int(args["leaf"]))
                    self._roots.append(int(args["root"]))
                self._next_block = head + 1
        except (Web3Exception, ValueError, OSError) as exc:
            raise ChainViewError(f"cannot read the vault's events: {exc}") from exc
        return head

    def newest_checkpoint(self) -> Checkpoint:
        head = self._sync()
        try:
            epoch, root = self._contract.functions.latestCheckpoint().call(block_identifier=head)
        except (Web3Exception, ValueError, OSError) as exc:
            raise ChainViewError(f"cannot read latestCheckpoint(): {exc}") from exc
        if int(root) == 0:
            raise ChainViewError(
                "the vault has no non-zero checkpoint yet: a new note becomes usable at the next "
                "root epoch boundary (after another deposit)",
                field="root",
            )
        matches = [i for i, r in enumerate(self._roots) if r == int(root)]
        if not matches:
            raise ChainViewError("the checkpoint root matches no tree prefix", field="root")
        return Checkpoint(epoch=int(epoch), root=int(root), size=matches[-1] + 1)

    def merkle_proof(self, leaf_index: int) -> MerkleProof:
        checkpoint = self.newest_checkpoint()
        if leaf_index >= checkpoint.size:
            raise ChainViewError(
                f"leaf {leaf_index} is not in the newest checkpoint yet "
                f"({checkpoint.size} leaves): wait for the next root epoch",
                field="leaf_index",
            )
        try:
            tree = LeanIMT(self._leaves[: checkpoint.size], max_depth=self._max_depth)
            proof = tree.proof(leaf_index)
        except CryptoError as exc:
            raise ChainViewError(f"cannot build the Merkle path: {exc}") from exc
        if proof.root != checkpoint.root:
            raise ChainViewError("rebuilt tree root differs from the checkpoint", field="root")
        return proof


class MirrorTreeView:
    """`TreeView` over the shared event mirror (`prover.chain.mirror.VaultMirror`), synced to its
    finality point before each use; proofs are against the same newest checkpoint."""

    def __init__(self, mirror: VaultMirror, clock: Callable[[], float] = time.time) -> None:
        self.mirror = mirror
        self._clock = clock

    def _newest(self) -> MirrorCheckpoint:
        try:
            self.mirror.sync()
            newest = self.mirror.newest_checkpoint(now=self._clock())
        except MirrorError as exc:
            raise ChainViewError(f"chain view: {exc}", field=exc.field) from exc
        if newest is None:
            raise ChainViewError(
                "no accepted checkpoint yet: a new note becomes usable at the next root epoch "
                "boundary that is final",
                field="root",
            )
        return newest

    def newest_checkpoint(self) -> Checkpoint:
        cp = self._newest()
        return Checkpoint(epoch=cp.epoch, root=cp.root, size=cp.size)

    def merkle_proof(self, leaf_index: int) -> MerkleProof:
        cp = self._newest()
        try:
            return self.mirror.merkle_proof(leaf_index, checkpoint=cp)
        except MirrorError as exc:
            raise ChainViewError(f"chain view: {exc}", field=exc.field) from exc
