"""Chain ids of local development chains (Anvil 31337, Ganache/Hardhat 1337).

Dev keys, a zero confirmation depth and a loopback vault are accepted only on these chains.
"""

from __future__ import annotations

from typing import Final

LOCAL_CHAIN_IDS: Final = frozenset({31337, 1337})
