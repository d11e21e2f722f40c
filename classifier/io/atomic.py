"""Atomic writing: every file the package writes appears whole under its name, or not at all.

A writer puts its bytes in a hidden temporary file beside the target (``.<name>.<random>.part``: the same
folder, so the final rename never crosses file systems), flushes and fsyncs it, gives it its final mode and
renames it onto the target. On any error, KeyboardInterrupt included, the temporary file is removed and the
target is left as it was. A model folder is written the same way, as a whole (`atomic_directory`). A temporary
names the process writing it (``.<name>.<pid>-<random>.part``), so that one left by a process killed outright
is removed the next time the same target is written (`remove_stale_temporaries`).

Modes
-----
Temporary files are created 0600 (``mkstemp``), since they may hold report text. The published file gets
the mode of the file it replaces; a new file gets 0600 when it is private (it holds report text, such as
an evaluation report with snippets of misclassified reports), else ``0o666`` less the process umask, as
any program's new file would.

Every writer of the package goes through here: `classifier.io.tables.AtomicTableWriter` (tables), the
evaluation, summary and learning-curve reports, the registry's pointer files and saved models.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from classifier.errors import DataError
from classifier.io.signals import Terminated, interrupts_held

__all__ = [
    "PRIVATE_MODE",
    "atomic_directory",
    "atomic_open",
    "create_temporary",
    "fsync_path",
    "new_file_mode",
    "publish",
    "remove_stale_temporaries",
    "write_bytes",
    "write_text",
]

#: Mode of a new file that holds report text: readable and writable by its owner only.
PRIVATE_MODE = 0o600
TEMPORARY_SUFFIX = ".part"
STAGING_SUFFIX = ".tmp"


def process_umask() -> int:
    """The process umask, read without changing it where the system allows (other threads may be writing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)  # the only portable way to read it: set a strict one for an instant, then restore
    os.umask(mask)
    return mask


def new_file_mode(target: str | os.PathLike[str], *, private: bool = False) -> int:
    """The mode `target` gets when published: that of the file it replaces, else 0600 if `private`, else
    ``0o666`` less the umask."""
    try:
        return os.stat(target).st_mode & 0o777
    except FileNotFoundError:
        return PRIVATE_MODE if private else 0o666 & ~process_umask()


def create_temporary(target: str | os.PathLike[str], suffix: str = TEMPORARY_SUFFIX) -> Path:
    """An empty hidden file beside `target`, readable by its owner only (mode 0600).

    Raises
    ------
    OSError
        The folder does not exist or may not be written.
    """
    target = Path(target)
    remove_stale_temporaries(target, suffix)
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=_prefix(target), suffix=suffix)
    os.close(descriptor)
    return Path(name)


def _prefix(target: Path) -> str:
    """The start of a temporary's name beside `target`: hidden, and naming the process that writes it."""
    return f".{target.name}.{os.getpid()}-"


def remove_stale_temporaries(target: str | os.PathLike[str], suffix: str = TEMPORARY_SUFFIX) -> list[Path]:
    """Remove the temporary files (or staging folders) beside `target` that a process killed outright (kill -9,
    a power cut) left behind: they may hold report text. Only those whose writing process has ended are
    removed; returns them."""
    target = Path(target)
    start = f".{target.name}."
    removed = []
    try:
        siblings = list(target.parent.iterdir())
    except OSError:
        return removed
    for path in siblings:
        name = path.name
        if not (name.startswith(start) and name.endswith(suffix)):
            continue
        pid = name[len(start):].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OverflowError, OSError):  # PermissionError among them: another user's process
        return True  # or a number we cannot ask about: leave its files alone
    return True


def fsync_path(path: str | os.PathLike[str]) -> None:
    """Flush a file that is already written and closed (by another library) to the disk."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def publish(temporary: str | os.PathLike[str], target: str | os.PathLike[str], *, private: bool = False,
            replace: bool = True) -> Path:
    """Give the written and fsynced `temporary` its final mode (see `new_file_mode`) and rename it onto
    `target`, replacing any file there; returns `target`. The caller removes `temporary` if this raises.

    With ``replace=False`` a file that appeared at `target` meanwhile (another run, a user) is never replaced:
    `temporary` is hard-linked to `target`, which fails if the name is taken, then unlinked (where the file
    system has no hard links, the name is checked just before the rename instead).

    Raises
    ------
    FileExistsError
        ``replace=False`` and `target` exists.
    """
    target = Path(target)
    os.chmod(temporary, new_file_mode(target, private=private))
    if replace:
        os.replace(temporary, target)
    else:
        try:
            os.link(temporary, target)
        except FileExistsError:
            raise
        except OSError:  # no hard links here (some network and FAT file systems): check, then rename
            if os.path.lexists(target):
                raise FileExistsError(errno.EEXIST, "File exists", str(target)) from None
            os.replace(temporary, target)
        else:
            os.unlink(temporary)
    _fsync_folder(target.parent)
    return target


@contextlib.contextmanager
def atomic_open(target: str | os.PathLike[str], mode: str = "w", *, private: bool = False,
                encoding: str | None = "utf-8", newline: str | None = "\n") -> Iterator[IO[Any]]:
    """Open a temporary file beside `target` for writing; when the block ends normally it is fsynced and
    renamed onto `target`, when it raises it is removed.

    Parameters
    ----------
    target
        The file to write; its folder must exist.
    mode
        ``"w"`` (text) or ``"wb"`` (bytes).
    private
        The new file holds report text: publish it with mode 0600 (see `new_file_mode`).
    encoding, newline
        Text mode only, as for `open`; by default UTF-8 with ``\\n`` line ends whatever the system.

    Raises
    ------
    DataError
        The folder of `target` does not exist.
    OSError
        The system refused to create, write or rename the file (nothing is left behind).

    Examples
    --------
    >>> with atomic_open(folder / "metrics.json") as handle:  # doctest: +SKIP
    ...     handle.write(text)
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"The 'mode' parameter of atomic_open must be 'w' or 'wb'. Got {mode!r}.")
    target = Path(target)
    _check_folder(target)
    temporary = create_temporary(target)
    try:
        if mode == "wb":
            handle: IO[Any] = open(temporary, "wb")  # closed below, before the rename
        else:
            handle = open(temporary, "w", encoding=encoding, newline=newline)
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        publish(temporary, target, private=private)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text(target: str | os.PathLike[str], text: str, *, private: bool = False) -> Path:
    """Write `text` as UTF-8 to `target` atomically (see `atomic_open`); returns `target`."""
    with atomic_open(target, "w", private=private) as handle:
        handle.write(text)
    return Path(target)


def write_bytes(target: str | os.PathLike[str], data: bytes, *, private: bool = False) -> Path:
    """Write `data` to `target` atomically (see `atomic_open`); returns `target`."""
    with atomic_open(target, "wb", private=private) as handle:
        handle.write(data)
    return Path(target)


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A hidden staging folder beside `target` to fill; when the block ends normally, its files are fsynced
    and it replaces `target` as a whole (a folder already there is swapped out and removed), when it raises
    it is removed and `target` is left as it was.

    The staging folder is created 0700 (``mkdtemp``) and keeps that mode once published. A crash between the
    two renames of a swap leaves the old folder as ``.<name>.old`` beside the target, never half a folder.

    Raises
    ------
    NotADirectoryError
        `target` exists and is not a folder.
    """
    target = Path(target)
    remove_stale_temporaries(target, STAGING_SUFFIX)
    staging = Path(tempfile.mkdtemp(prefix=_prefix(target), suffix=STAGING_SUFFIX, dir=target.parent))
    try:
        yield staging
        for path in staging.rglob("*"):
            if path.is_file() and not path.is_symlink():
                fsync_path(path)
        _fsync_folder(staging)
        try:
            with interrupts_held():  # a signal waits until the swap and the old folder's removal are done
                _swap_folder(staging, target)
        except (KeyboardInterrupt, Terminated) as stop:
            if not staging.exists():  # swapped in whole before the signal was let through: say so
                stop.saved = target  # type: ignore[attr-defined]
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_folder(staging: Path, target: Path) -> None:
    if not target.exists():
        os.replace(staging, target)
        _fsync_folder(target.parent)
        return
    if not target.is_dir():
        raise NotADirectoryError(f"'{target}' exists and is not a folder.")
    backup = target.with_name(f".{target.name}.old")
    shutil.rmtree(backup, ignore_errors=True)
    os.replace(target, backup)
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(backup, target)
        raise
    _fsync_folder(target.parent)
    shutil.rmtree(backup, ignore_errors=True)


def _check_folder(target: Path) -> None:
    if target.parent.exists() and not target.parent.is_dir():
        raise DataError(
            f"{target}: expected {str(target.parent)!r} to be a folder, found a file of that name; write the "
            "output into a folder (e.g. beside that file), not inside the file."
        )
    if not target.parent.is_dir():
        raise DataError(
            f"{target}: expected the folder {str(target.parent)!r} to exist, found nothing there; "
            "create it or write somewhere else."
        )


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable; a system that cannot open folders (Windows) skips it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
