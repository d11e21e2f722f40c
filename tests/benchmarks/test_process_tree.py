"""The benchmark's process-tree sampler: PSS and CPU of this process and the processes below it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from benchmarks import process_tree
from benchmarks.process_tree import TreeSampler, descendants

pytestmark = pytest.mark.skipif(not process_tree.available(), reason="needs Linux's /proc/<pid>/smaps_rollup")


def test_process_tree_sees_grandchildren_and_sums_their_memory():
    # A child that starts a grandchild: the grandchild is not ours to wait for, as forkserver workers are not.
    script = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import time; time.sleep(60)'])"
    child = subprocess.Popen([sys.executable, "-c", script])
    found: list[int] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = descendants(os.getpid())
            if len(found) >= 3:
                break
            time.sleep(0.05)
        assert found[0] == os.getpid() and child.pid in found and len(found) >= 3
        sampler = TreeSampler(interval=0.05)
        sampler.sample()
        alone = process_tree._pss_bytes(os.getpid())
        assert sampler.peak_processes >= 3 and sampler.peak_pss_bytes > alone > 0
    finally:
        for pid in reversed(found[1:]):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        child.kill()
        child.wait()


def test_process_tree_counts_cpu_seconds_of_the_tree():
    sampler = TreeSampler(interval=0.05)
    sampler.start()
    subprocess.run([sys.executable, "-c", "import time\nend = time.process_time() + 0.5\n"
                    "while time.process_time() < end: pass\ntime.sleep(1.0)"], check=True)
    sampler.stop()
    assert sampler.cpu_seconds >= 0.4  # the child's busy half second (seen while it slept), and ours
