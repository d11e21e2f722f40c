"""Lock files that name the process holding them: one writer per model folder, one server per data folder.

A lock is a file created with ``O_CREAT | O_EXCL`` (so exactly one process can create it) holding the
owner's process id, and removed when the owner is done. A lock left behind by a process that died (killed,
power cut) is stale: the next process finds its pid is no longer running and takes it over.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from classifier.errors import ClassifierError

#: A lock file still empty after this many seconds belongs to a process that died between creating and
#: writing it.
_EMPTY_LOCK_GRACE_SECONDS = 5.0

_held: dict[str, int] = {}  # lock path -> thread id, for locks this process holds
_held_guard = threading.Lock()


@contextlib.contextmanager
def pid_lock(path: str | os.PathLike[str], busy: Callable[[int | None], ClassifierError], *,
             reentrant: bool = False) -> Iterator[Path]:
    """Hold the lock file `path` for the duration of the ``with`` block.

    With `reentrant`, the thread holding the lock may take it again (a save inside a training that already
    holds the folder's lock). Anyone else gets ``busy(pid)`` raised, with the holder's pid (None when
    unknown): another process, another thread of this one, or, without `reentrant`, this very thread.

    Raises
    ------
    ClassifierError
        Whatever `busy` returns, when a live process (or another thread of this one) holds the lock.
    """
    path = Path(path)
    key = str(path.absolute())
    with _held_guard:
        holder_thread = _held.get(key)
    if reentrant and holder_thread == threading.get_ident():
        yield path
        return
    if holder_thread is not None:
        raise busy(os.getpid())
    _acquire(path, busy)
    with _held_guard:
        _held[key] = threading.get_ident()
    try:
        yield path
    finally:
        with _held_guard:
            _held.pop(key, None)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _acquire(path: Path, busy: Callable[[int | None], ClassifierError]) -> None:
    for _ in range(3):
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            holder = _holder(path)
            if holder is None or holder == -1:
                raise busy(None) from None  # being written right now, or unreadable: not ours to remove
            if holder != os.getpid() and process_is_running(holder):
                raise busy(holder) from None
            # Stale: its process is gone (or it is ours from a run that never released it).
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(f"{os.getpid()}\n")
        return
    raise busy(None)


def _holder(path: Path) -> int | None:
    """The pid in a lock file; 0 when it is empty for longer than a process needs to write it (stale);
    None while it may still be being written; -1 when it cannot be read."""
    try:
        text = path.read_text("ascii").strip()
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return 0  # released meanwhile: try again
    except (OSError, UnicodeDecodeError):
        return -1
    if not text:
        return 0 if age > _EMPTY_LOCK_GRACE_SECONDS else None
    try:
        return int(text.split()[0])
    except ValueError:
        return 0  # not a lock this package wrote: stale


def process_is_running(pid: int) -> bool:
    """True if a process with this id exists (on Windows, where that cannot be asked safely, always True)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would terminate it there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
