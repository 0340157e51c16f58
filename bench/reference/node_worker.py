"""A warm Node process speaking the line protocol of `harness.mjs` (one JSON line each way)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Any

from prover.toolchain.process import end_piped_process

ROOT = Path(__file__).resolve().parents[2]


class NodeWorkerError(RuntimeError):
    pass


class NodeWorker:
    """`with NodeWorker(script) as node: node.call({...})`; stderr goes to ours."""

    def __init__(self, script: Path) -> None:
        node = shutil.which("node")
        if node is None:
            raise NodeWorkerError("node is not on PATH")
        self.script = script.resolve()
        self._proc = subprocess.Popen(
            [node, str(self.script)],
            cwd=ROOT,  # node_modules/ is resolved from the repository root
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            raise NodeWorkerError(f"{self.script.name} exited ({proc.poll()}) without answering")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise NodeWorkerError(f"{self.script.name}: {answer['error']}")
        return answer

    def ready(self) -> None:
        """Wait until the helper has loaded (its start-up must not overlap a measurement)."""
        self.call({"ping": True})

    def close(self) -> None:
        end_piped_process(self._proc, timeout=30)

    def __enter__(self) -> NodeWorker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
