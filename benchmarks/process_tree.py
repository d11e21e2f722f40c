"""Memory and CPU of a process and all its descendants, sampled from ``/proc`` (Linux).

Worker processes may not be children of the process that uses them (a "forkserver" starts them), so
``getrusage(RUSAGE_CHILDREN)`` misses them. `TreeSampler` walks the process tree a few times a second and keeps
the peak of the summed PSS (proportional set size: a page shared by n processes counts 1/n in each, so the sum
is the memory the tree really holds) and the CPU seconds last seen for every process (a process's last
fraction of a sampling interval before it exits is missed).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

PROC = Path("/proc")


def available() -> bool:
    return (PROC / "self" / "smaps_rollup").is_file()


def _children(pid: int) -> list[int]:
    found = []
    for task in (PROC / str(pid) / "task").glob("*"):
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    seen, todo = [], [pid]
    while todo:
        current = todo.pop()
        seen.append(current)
        todo.extend(_children(current))
    return seen


def _pss_bytes(pid: int) -> int:
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class TreeSampler(threading.Thread):
    """Sample this process's tree every `interval` seconds until `stop()`."""

    def __init__(self, interval: float = 0.2):
        super().__init__(daemon=True, name="tree-sampler")
        self.interval, self.peak_pss_bytes, self.peak_processes = interval, 0, 0
        self._cpu: dict[int, float] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def sample(self) -> None:
        pids = descendants(os.getpid())
        self.peak_pss_bytes = max(self.peak_pss_bytes, sum(_pss_bytes(pid) for pid in pids))
        self.peak_processes = max(self.peak_processes, len(pids))
        for pid in pids:
            seconds = _cpu_seconds(pid)
            if seconds is not None:
                self._cpu[pid] = max(seconds, self._cpu.get(pid, 0.0))

    def stop(self) -> None:
        self.sample()
        self._halt.set()
        self.join()

    @property
    def cpu_seconds(self) -> float:
        """CPU seconds (user + system) of every process seen in the tree."""
        return sum(self._cpu.values())
