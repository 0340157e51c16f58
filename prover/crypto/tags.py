"""Domain tags of D1 (docs/protocol-decisions.md); mirrored in circom and Solidity."""

from __future__ import annotations

from enum import IntEnum
from typing import Final


class Tag(IntEnum):
    """Every non-Merkle Poseidon hash starts with one of these tags."""

    ID = 1
    LEAF = 2
    SLOPE = 3
    NULL = 4
    STATE = 5
    MSG = 6
    WD = 7
    ETA = 8


TAG_ID: Final[int] = int(Tag.ID)
TAG_LEAF: Final[int] = int(Tag.LEAF)
TAG_SLOPE: Final[int] = int(Tag.SLOPE)
TAG_NULL: Final[int] = int(Tag.NULL)
TAG_STATE: Final[int] = int(Tag.STATE)
TAG_MSG: Final[int] = int(Tag.MSG)
TAG_WD: Final[int] = int(Tag.WD)
TAG_ETA: Final[int] = int(Tag.ETA)
