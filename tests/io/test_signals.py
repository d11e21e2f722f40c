"""Tests for classifier.io.signals: SIGTERM during a command removes its temporary files, then ends the process."""

from __future__ import annotations

import signal
import subprocess
import sys


def test_signals_sigterm_inside_a_write_removes_the_temporary_file_and_ends_the_process(tmp_path):
    script = (
        "import os, signal, sys\n"
        "from classifier.io.atomic import atomic_open\n"
        "from classifier.io.signals import cleanup_on_termination\n"
        "with cleanup_on_termination():\n"
        "    with atomic_open(sys.argv[1]) as handle:\n"
        "        handle.write('report text')\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        signal.pause()\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out.csv")], timeout=60)
    assert done.returncode == -signal.SIGTERM
    assert list(tmp_path.iterdir()) == []  # neither the output nor its temporary file


def test_signals_every_tension_command_runs_under_the_handler():
    script = ("import signal\nfrom classifier.cli import tension\n"
              "tension.app = lambda: print(getattr(signal.getsignal(signal.SIGTERM), '__name__', 'default'))\n"
              "tension.main()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "stop"
