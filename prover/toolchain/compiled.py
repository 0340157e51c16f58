"""A compiled contract: what the build packages and what runtime code deploys or calls.

Apart from `solc.py` so that loading packaged contracts never imports the compiler bindings.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class CompiledContract(BaseModel):
    """ABI, creation and runtime bytecode of one compiled contract."""

    model_config = ConfigDict(frozen=True)

    name: str
    source: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
