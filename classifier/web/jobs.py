"""Backlog jobs: one private folder per upload under a temporary root, found by an unguessable id.

Results hold personal data, so they live only in a folder readable by this user (``mkdtemp`` gives 0700),
are deleted after a while or when the server stops, and can be deleted at once from the page.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from classifier.batch import BatchSummary

JOB_ID = re.compile(r"[A-Za-z0-9_-]{22}")


@dataclass
class Job:
    """One labelled backlog: where its files are and what `label_file` reported."""

    id: str
    folder: Path
    filename: str
    labelled: Path
    review: Path
    summary: BatchSummary
    notices: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.monotonic)


class JobStore:
    """Folders and records of recent jobs; thread-safe; expired jobs are removed when the store is used."""

    def __init__(self, keep_seconds: float, max_jobs: int = 50) -> None:
        self.keep_seconds = keep_seconds
        self.max_jobs = max_jobs
        self._tmp = tempfile.TemporaryDirectory(prefix="tension-web-")  # removed at exit, even without close()
        self.root = Path(self._tmp.name)
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def new_folder(self) -> tuple[str, Path]:
        """A fresh job id and its empty private folder."""
        self.prune(room=1)
        job_id = secrets.token_urlsafe(16)
        folder = self.root / job_id
        folder.mkdir(mode=0o700)
        return job_id, folder

    def add(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.id] = job

    def get(self, job_id: str) -> Job | None:
        """The job, or None when the id is malformed, unknown, expired or deleted."""
        if not JOB_ID.fullmatch(job_id):
            return None
        self.prune()
        with self._lock:
            return self._jobs.get(job_id)

    def delete(self, job_id: str) -> bool:
        """Remove a job and its files; False when there was no such job."""
        with self._lock:
            job = self._jobs.pop(job_id, None)
        if job is not None:
            shutil.rmtree(job.folder, ignore_errors=True)
        return job is not None

    def prune(self, room: int = 0) -> None:
        """Delete expired jobs, and the oldest beyond `max_jobs` (minus `room` for jobs about to be added)."""
        now = time.monotonic()
        with self._lock:
            by_age = sorted(self._jobs.values(), key=lambda job: job.created)
            expired = [job for job in by_age if now - job.created > self.keep_seconds]
            live = [job for job in by_age if job not in expired]
            expired += live[: max(0, len(live) - self.max_jobs + room)]
            for job in expired:
                del self._jobs[job.id]
        for job in expired:
            shutil.rmtree(job.folder, ignore_errors=True)

    def close(self) -> None:
        """Delete every job and the root folder."""
        with self._lock:
            self._jobs.clear()
        self._tmp.cleanup()
