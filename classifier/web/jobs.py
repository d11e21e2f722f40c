"""Backlog jobs: each upload is labelled by a background worker, in a private folder found by an unguessable id.

Uploads and results hold personal data. They live under one fixed folder per data folder (``--data-dir``,
mode 0700; files 0600), never in the system's temporary folder, so nothing is left where no one looks:

* a server holds the data folder's lock (``serve.lock``) while it runs, so at start every job folder there
  belongs to a server that has stopped (or was killed) and is deleted;
* a timer thread deletes results `keep_seconds` after they were made, whether or not a request arrives;
* stopping the server cancels the running job and deletes every job folder.

One worker thread labels one upload at a time (the model is shared with the API in turns, see
`classifier.web.turns`); the page polls the job's state and rows done out of the total.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import secrets
import shutil
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.errors import ConfigError
from classifier.io.locking import pid_lock
from classifier.io.places import user_data_dir
from classifier.labelling.batch import BatchSummary
from classifier.web.turns import Cancelled

JOB_ID = re.compile(r"[A-Za-z0-9_-]{22}")
JOBS_FOLDER = "jobs"
LOCK_FILE = "serve.lock"
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: Shown when labelling fails for a reason that is not the file's (a bug): no detail, which could hold text.
UNEXPECTED_ERROR = ("Labelling this file failed because of an error in the server (job {job_id}, {error_type}), "
                    "not because of anything you did. Nothing was kept. Try again; if it happens again, give "
                    "the job id to whoever runs this page.")

logger = logging.getLogger(__name__)


@dataclass
class Job:
    """One backlog upload: its files, options, progress and outcome (counts only, never report text)."""

    id: str
    folder: Path
    filename: str
    upload: Path
    labelled: Path
    review: Path
    text_column: str | None = None
    sheet: str | None = None
    owner: int | None = None  # the id of the account that uploaded it; None when the page has no accounts
    state: str = QUEUED
    rows_done: int = 0
    rows_total: int | None = None
    summary: BatchSummary | None = None
    notices: list[str] = field(default_factory=list)
    error: str | None = None
    error_status: int = 400  # 400: the file's fault (the message says how to fix it); 500: ours
    created: float = field(default_factory=time.monotonic)
    finished: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    def visible_to(self, user) -> bool:
        """Whether ``user`` (a `classifier.review.users.User`, or None without a login) may see this job: a job
        uploaded by an account belongs to it and to admins; one uploaded without accounts to whoever has its id."""
        if self.owner is None:
            return True
        return user is not None and (user.id == self.owner or user.is_admin)

    def status(self) -> dict[str, Any]:
        """What the page polls: state, rows done and total (None until counted), and the error if it failed."""
        return {"id": self.id, "state": self.state, "rows_done": self.rows_done, "rows_total": self.rows_total,
                "error": self.error if self.state == FAILED else None}


class JobFailed(Exception):
    """Raised by a job's runner with a message for the user (say, the file has no text column)."""


def default_data_dir() -> Path:
    """Where ``tension serve`` keeps its job folders unless ``--data-dir`` says otherwise: the user's data folder
    (`classifier.io.places.user_data_dir`) + ``serve``."""
    return user_data_dir() / "serve"


def private_folder(path: Path) -> Path:
    """Create `path` (and parents) with mode 0700, or check an existing one is a real folder of ours and make
    it 0700.

    Raises
    ------
    ConfigError
        It is a symbolic link, not a folder, or belongs to another user.
    """
    path = Path(path)
    if path.is_symlink():
        raise ConfigError(f"--data-dir '{path}' is a symbolic link; give a real folder (it holds personal data).")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"--data-dir '{path}' is not a folder. Give a folder, or a path where one can be made.")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ConfigError(f"--data-dir '{path}' belongs to another user; give a folder of your own.")
    if stat.S_IMODE(info.st_mode) != 0o700:
        path.chmod(0o700)
    return path


def write_private_file(path: Path, source) -> None:
    """Copy the binary stream `source` to a new file `path` created with mode 0600 (never an existing one)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        shutil.copyfileobj(source, handle, 1 << 20)


class JobStore:
    """The jobs of one server: their folders under ``data_dir/jobs``, a worker thread and a sweeping timer.

    Parameters
    ----------
    data_dir
        The server's data folder (created 0700). One server at a time may use it.
    keep_seconds
        Results are deleted this long after their job finished.
    run
        Labels one job (called on the worker thread); raises `JobFailed` with a message for the user,
        `Cancelled` when the job was cancelled, anything else for a bug.
    max_jobs, max_waiting
        Most jobs kept (the oldest finished ones are deleted first) and most uploads waiting for the worker.
    sweep_seconds
        How often the timer deletes expired results.

    Raises
    ------
    ConfigError
        The data folder cannot be used, or another running server holds it.
    """

    def __init__(self, data_dir: str | os.PathLike[str], keep_seconds: float, *,
                 run: Callable[[Job], None] | None = None, max_jobs: int = 50, max_waiting: int = 5,
                 sweep_seconds: float | None = None) -> None:
        self.keep_seconds = keep_seconds
        self.max_jobs = max_jobs
        self.max_waiting = max_waiting
        self.data_dir = private_folder(Path(data_dir))
        self._run = run
        self._stack = contextlib.ExitStack()
        lock = self.data_dir / LOCK_FILE
        self._stack.enter_context(pid_lock(lock, lambda pid: ConfigError(
            f"Another tension serve (process {pid or 'unknown'}) is using the data folder '{self.data_dir}'. Stop "
            f"it, or give this one its own --data-dir. If no such server is running, delete '{lock}'."
        )))
        try:
            self.root = private_folder(self.data_dir / JOBS_FOLDER)
            self._delete_everything_in_root()  # left by a server that stopped or was killed: we hold the lock
        except BaseException:
            self._stack.close()
            raise
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._waiting: queue.Queue[Job | None] = queue.Queue()
        self._closed = threading.Event()
        self._every_sweep: list[Callable[[], None]] = []
        self._worker = threading.Thread(target=self._work, name="tension-backlog-worker", daemon=True)
        self._worker.start()
        interval = sweep_seconds if sweep_seconds is not None else min(60.0, max(0.5, keep_seconds / 4))
        self._sweeper = threading.Thread(target=self._sweep_every, args=(interval,), name="tension-sweeper",
                                         daemon=True)
        self._sweeper.start()

    # -- jobs -------------------------------------------------------------------------------------------

    def new_job(self, filename: str, suffix: str, source, *, text_column: str | None = None,
                sheet: str | None = None, owner: int | None = None) -> Job:
        """Save an upload (the binary stream `source`) in a new private job folder and queue it for labelling;
        ``owner`` is the uploader's account id (see `Job.visible_to`).

        Raises
        ------
        ConfigError
            Too many uploads are waiting already (the message says to try again later).
        """
        self.prune(room=1)
        with self._lock:
            waiting = sum(job.state == QUEUED for job in self._jobs.values())
        if waiting >= self.max_waiting:
            raise ConfigError(f"{waiting} files are waiting to be labelled already; try again in a few minutes.")
        job_id = secrets.token_urlsafe(16)
        folder = self.root / job_id
        folder.mkdir(mode=0o700)
        stem = Path(filename).stem
        job = Job(job_id, folder, filename, folder / f"upload{suffix}", folder / f"{stem}_labelled{suffix}",
                  folder / f"{stem}_review{suffix}", text_column=text_column, sheet=sheet, owner=owner)
        try:
            write_private_file(job.upload, source)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        with self._lock:
            self._jobs[job_id] = job
        self._waiting.put(job)
        return job

    def get(self, job_id: str, user=None) -> Job | None:
        """The job, or None when the id is malformed, unknown, expired, deleted, or not `Job.visible_to` ``user``
        (the logged-in account, or None)."""
        if not JOB_ID.fullmatch(job_id):
            return None
        self.prune()
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.visible_to(user) else None

    def delete(self, job_id: str) -> bool:
        """Forget a job and delete its files (a running one is cancelled first); False when there was none."""
        with self._lock:
            job = self._jobs.pop(job_id, None)
        if job is None:
            return False
        job.cancel.set()
        if not job.active:
            shutil.rmtree(job.folder, ignore_errors=True)
        # else: the worker deletes the folder as soon as it sees the cancellation
        return True

    def prune(self, room: int = 0) -> None:
        """Delete results that expired, and the oldest finished ones beyond `max_jobs` (minus `room`)."""
        now = time.monotonic()
        with self._lock:
            finished = sorted((job for job in self._jobs.values() if not job.active), key=lambda job: job.created)
            expired = [job for job in finished if now - (job.finished or job.created) > self.keep_seconds]
            live = [job for job in finished if job not in expired]
            expired += live[: max(0, len(self._jobs) - len(expired) - self.max_jobs + room)]
            for job in expired:
                del self._jobs[job.id]
        for job in expired:
            shutil.rmtree(job.folder, ignore_errors=True)
        self._delete_orphans()

    def close(self, timeout: float = 10.0) -> None:
        """Cancel every job, stop the threads, delete every job folder and release the data folder."""
        if self._closed.is_set():
            return
        self._closed.set()
        with self._lock:
            jobs = list(self._jobs.values())
            self._jobs.clear()
        for job in jobs:
            job.cancel.set()
        self._waiting.put(None)
        self._worker.join(timeout)
        self._sweeper.join(timeout)
        self._delete_everything_in_root()
        self._stack.close()

    # -- threads ----------------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job = self._waiting.get()
            if job is None or self._closed.is_set():
                return
            if job.cancel.is_set():
                shutil.rmtree(job.folder, ignore_errors=True)
                continue
            job.state = RUNNING
            try:
                if self._run is None:
                    raise RuntimeError("this JobStore was made without a run function")
                self._run(job)
            except Cancelled:
                job.error = "Cancelled."
                job.state = FAILED
            except JobFailed as failure:
                job.error, job.error_status, job.state = str(failure), 400, FAILED
            except Exception as error:  # noqa: BLE001 - a bug: logged by type only (its text may quote a report)
                logger.error("backlog job %s failed with %s (details withheld: they may quote a report)",
                             job.id, type(error).__name__)
                job.error = UNEXPECTED_ERROR.format(job_id=job.id, error_type=type(error).__name__)
                job.error_status, job.state = 500, FAILED
            else:
                job.state = DONE
            finally:
                job.finished = time.monotonic()
                job.upload.unlink(missing_ok=True)  # the labelled file holds every row: keep one copy only
            if job.cancel.is_set() or job.state == FAILED:
                shutil.rmtree(job.folder, ignore_errors=True)  # a failed job keeps its message, not its files

    def every_sweep(self, task: Callable[[], None]) -> None:
        """Run ``task`` on the timer too, after each sweep of expired results (a task decides itself whether it
        is due): work that must happen when no request arrives, such as deleting old report text."""
        self._every_sweep.append(task)

    def _sweep_every(self, interval: float) -> None:
        while not self._closed.wait(interval):
            try:
                self.prune()
            except Exception as error:  # noqa: BLE001 - the timer must survive, say, a folder gone missing
                logger.warning("sweeping expired backlog results failed: %s", type(error).__name__)
            for task in list(self._every_sweep):
                try:
                    task()
                except Exception as error:  # noqa: BLE001 - the same: one failure must not stop the timer
                    logger.warning("a timed task of the server failed: %s", type(error).__name__)

    def _delete_orphans(self) -> None:
        """Delete folders under the root that no job owns and that are older than `keep_seconds` (a job
        folder whose record was lost, say after a crash in the middle of an upload)."""
        with self._lock:
            owned = set(self._jobs)
        cutoff = time.time() - self.keep_seconds
        with contextlib.suppress(FileNotFoundError):
            for entry in self.root.iterdir():
                if entry.name not in owned and _mtime(entry) < cutoff:
                    _remove(entry)

    def _delete_everything_in_root(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            for entry in self.root.iterdir():
                _remove(entry)


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except FileNotFoundError:
        return float("inf")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
