"""Where the mirror stops ingesting (PROTOCOL §11): the node's `finalized` block, or
`latest − confirmations` (Anvil, or an L2 whose node has no meaningful finalized tag)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from web3 import Web3

from prover.chain.mirror.errors import MirrorRpcError


class BlockRef(BaseModel):
    """One block: number, hash (0x hex) and timestamp."""

    model_config = ConfigDict(frozen=True)

    number: int = Field(ge=0)
    hash: str
    timestamp: int = Field(ge=0)


class Finality(BaseModel):
    """`use_finalized_tag` asks the node for its `finalized` block; otherwise the finality point
    is `latest − confirmations`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    confirmations: int = Field(default=12, ge=0)
    use_finalized_tag: bool = False

    @classmethod
    def finalized_tag(cls) -> Finality:
        return cls(confirmations=0, use_finalized_tag=True)

    @classmethod
    def after(cls, confirmations: int) -> Finality:
        return cls(confirmations=confirmations)

    def describe(self) -> str:
        if self.use_finalized_tag:
            return "the node's finalized block"
        return f"latest - {self.confirmations} confirmations"


def block_ref(w3: Web3, block: int | str) -> BlockRef:
    """The block `block` (a number or a tag) as a `BlockRef`; MirrorRpcError if unavailable."""
    try:
        b = w3.eth.get_block(block)  # type: ignore[arg-type]
    except Exception as exc:  # web3 raises many transport/RPC types
        raise MirrorRpcError(f"cannot read block {block!r}: {exc}", field="block") from exc
    number, digest, ts = b.get("number"), b.get("hash"), b.get("timestamp")
    if number is None or digest is None or ts is None:
        raise MirrorRpcError(f"block {block!r} has no number/hash/timestamp", field="block")
    return BlockRef(number=int(number), hash="0x" + bytes(digest).hex(), timestamp=int(ts))


def finality_point(w3: Web3, finality: Finality) -> BlockRef | None:
    """The newest block the mirror may ingest now (None: the chain is shorter than the depth)."""
    if finality.use_finalized_tag:
        return block_ref(w3, "finalized")
    try:
        latest = int(w3.eth.block_number)
    except Exception as exc:
        raise MirrorRpcError(f"cannot read the latest block number: {exc}") from exc
    target = latest - finality.confirmations
    return None if target < 0 else block_ref(w3, target)
