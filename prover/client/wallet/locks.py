"""Locks: a short wallet-wide lock around every file change, and per-note leases.

Both combine an in-process `threading` lock with an `flock` on a file in `<wallet>.locks/`, so two
threads, two `Wallet` objects or two processes never interleave writes or use one note at once.
Note lock files are named by an HMAC of the note ID under a key derived from the passphrase, so
the directory does not reveal which deposits the wallet owns.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prover.client.wallet.errors import NoteBusyError


def lock_dir(wallet_path: Path) -> Path:
    return wallet_path.with_name(wallet_path.name + ".locks")


def _open_lock(path: Path) -> int:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


class WalletLock:
    """Exclusive lock held briefly while reading new journal records and writing one."""

    def __init__(self, wallet_path: Path) -> None:
        self._path = lock_dir(wallet_path) / "wallet.lock"
        self._thread = threading.RLock()
        self._fd: int | None = None
        self._depth = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread:
            if self._depth == 0:
                fd = _open_lock(self._path)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                self._fd = fd
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    os.close(self._fd)  # closing releases the flock
                    self._fd = None


class NoteLeases:
    """Per-note leases. A lease is re-entrant within one thread of one `Wallet` object."""

    def __init__(self, wallet_path: Path, lock_key: bytes) -> None:
        self._dir = lock_dir(wallet_path)
        self._key = lock_key
        self._guard = threading.Lock()
        self._held: dict[int, tuple[int, int, int]] = {}  # note -> (thread id, depth, fd)

    def _file(self, note_id: int) -> Path:
        tag = hmac.new(self._key, str(note_id).encode(), hashlib.sha256).hexdigest()[:32]
        return self._dir / f"note-{tag}.lock"

    def acquire(self, note_id: int) -> None:
        me = threading.get_ident()
        with self._guard:
            held = self._held.get(note_id)
            if held is not None:
                owner, depth, fd = held
                if owner != me:
                    raise NoteBusyError(
                        f"note {note_id} is in use by another thread", field="note_id"
                    )
                self._held[note_id] = (owner, depth + 1, fd)
                return
            fd = _open_lock(self._file(note_id))
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                os.close(fd)
                raise NoteBusyError(
                    f"note {note_id} is in use by another wallet process", field="note_id"
                ) from exc
            self._held[note_id] = (me, 1, fd)

    def release(self, note_id: int) -> None:
        with self._guard:
            owner, depth, fd = self._held[note_id]
            if depth > 1:
                self._held[note_id] = (owner, depth - 1, fd)
                return
            del self._held[note_id]
            os.close(fd)

    @contextmanager
    def lease(self, note_id: int) -> Iterator[None]:
        self.acquire(note_id)
        try:
            yield
        finally:
            self.release(note_id)

    def release_all(self) -> None:
        with self._guard:
            for _, _, fd in self._held.values():
                os.close(fd)
            self._held.clear()
