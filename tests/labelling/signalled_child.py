"""The child process of the signal tests: it labels a file and sends itself a signal half-way through. A module of
its own, so that a worker started from the fork server (not a fork of the threaded test process) imports little."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from pathlib import Path

from classifier.labelling.batch import label_file
from tests.labelling.fake_model import FakeModel


def label_until_signalled(source: Path, out: Path, system_temp: Path, signum: int) -> None:
    """Label `source` into `out`, and send ourselves `signum` while the second chunk is labelled."""
    signal.signal(signum, signal.SIG_DFL)  # the state a shell gives a command (not nohup's SIG_IGN)
    tempfile.tempdir = str(system_temp)

    def signal_self(calls: int) -> None:
        if calls == 2:
            os.kill(os.getpid(), signum)
            time.sleep(5)  # the handler runs before this returns

    try:
        label_file(source, out / f"out{source.suffix}", model=FakeModel(on_call=signal_self), chunk_size=5,
                   review_out=out / f"review{source.suffix}")
    finally:
        os._exit(3)  # not reached: the signal ends the process
