"""Progress of long CLI steps: a rich bar on a terminal, one plain line per step otherwise.

Under a process supervisor, in CI or piped to a file there is no terminal, and rich's live bar
prints nothing until it ends; a ceremony or a build then looks hung for minutes. So when stderr is
not a terminal every step is also written as a line `<label>: <step> [<elapsed> s]`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


@dataclass
class Steps:
    """`say(message)` names the current step; `advance()` counts one unit of work done."""

    console: Console
    label: str
    bar: Progress | None = None
    task: TaskID | None = None
    started: float = field(default_factory=time.monotonic)

    def say(self, message: str) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, description=message)
            return
        elapsed = time.monotonic() - self.started
        self.console.print(f"{self.label}: {message} [{elapsed:.1f} s]", markup=False,
                           highlight=False)  # fmt: skip

    def advance(self) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.advance(self.task)


@contextmanager
def step_progress(console: Console, total: int, label: str) -> Iterator[Steps]:
    """A bar of `total` units on a terminal, plain lines (flushed per step) otherwise."""
    if not console.is_terminal:
        yield Steps(console, label)
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        yield Steps(console, label, bar, bar.add_task("starting", total=total))
