"""Stopping a child process by its PID: SIGTERM, then SIGKILL if it does not exit in time."""

from __future__ import annotations

import subprocess
from typing import Any


def stop_process(proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Terminate `proc` (ours, by PID) and reap it; kill it if it outlives `timeout` seconds."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def end_piped_process(proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """End a helper that serves requests on its stdin: close stdin (its signal to exit), reap it,
    kill it if it outlives `timeout` seconds, and close its stdout."""
    if proc.stdin is not None and not proc.stdin.closed:
        proc.stdin.close()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
