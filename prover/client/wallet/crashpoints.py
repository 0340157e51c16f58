"""Named points inside every durable write, where tests kill the process (crash matrix).

Production code calls `reached(name)` at each point; it does nothing unless a test installed a
hook with `set_hook` (the crash tests install one that sends SIGKILL to the process itself).
"""

from __future__ import annotations

from collections.abc import Callable

_hook: Callable[[str], None] | None = None


def set_hook(hook: Callable[[str], None] | None) -> None:
    """Install (or remove, with None) the function called at every crash point."""
    global _hook
    _hook = hook


def reached(name: str) -> None:
    """Mark a crash point; calls the installed hook, if any."""
    if _hook is not None:
        _hook(name)
