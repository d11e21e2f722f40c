"""Tests for classifier.io.locking: one holder per lock file, stale locks of dead processes taken over."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from classifier.errors import ClassifierError
from classifier.io.locking import pid_lock, process_is_running


class Busy(ClassifierError):
    pass


def busy(pid):
    return Busy(f"held by {pid}")


def _dead_pid() -> int:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    return int(finished.stdout)


def test_locking_file_holds_the_pid_and_goes_when_released(tmp_path):
    lock = tmp_path / ".model.lock"

    with pid_lock(lock, busy) as held:
        assert held == lock
        assert lock.read_text("ascii").strip() == str(os.getpid())
        assert lock.stat().st_mode & 0o777 == 0o600
    assert not lock.exists()


def test_locking_is_released_when_the_block_raises(tmp_path):
    lock = tmp_path / ".model.lock"

    with pytest.raises(RuntimeError), pid_lock(lock, busy):
        raise RuntimeError("training failed")
    assert not lock.exists()


def test_locking_a_live_process_holding_the_lock_is_named(tmp_path):
    lock = tmp_path / ".model.lock"
    lock.write_text(f"{os.getppid()}\n", "ascii")  # our parent: alive, and not us

    with pytest.raises(Busy, match=f"held by {os.getppid()}"), pid_lock(lock, busy):
        pass
    assert lock.read_text("ascii").strip() == str(os.getppid())  # not ours to remove


@pytest.mark.parametrize("content", ["dead", "not a pid\n"])
def test_locking_a_stale_lock_is_taken_over(tmp_path, content):
    lock = tmp_path / ".model.lock"
    lock.write_text(f"{_dead_pid()}\n" if content == "dead" else content, "ascii")

    with pid_lock(lock, busy):
        assert lock.read_text("ascii").strip() == str(os.getpid())
    assert not lock.exists()


def test_locking_an_empty_lock_is_busy_while_young_and_stale_when_old(tmp_path):
    lock = tmp_path / ".model.lock"
    lock.write_text("", "ascii")  # a process between creating and writing it

    with pytest.raises(Busy, match="held by None"), pid_lock(lock, busy):
        pass
    old = time.time() - 60
    os.utime(lock, (old, old))
    with pid_lock(lock, busy):
        assert lock.read_text("ascii").strip() == str(os.getpid())


def test_locking_the_same_thread_again_only_when_reentrant(tmp_path):
    lock = tmp_path / ".model.lock"

    with pid_lock(lock, busy):
        with pid_lock(lock, busy, reentrant=True):
            pass
        assert lock.exists()  # the inner block did not release the outer one
        with pytest.raises(Busy, match=f"held by {os.getpid()}"), pid_lock(lock, busy):
            pass


def test_locking_another_thread_is_refused_even_when_reentrant(tmp_path):
    lock = tmp_path / ".model.lock"
    errors = []

    def other():
        try:
            with pid_lock(lock, busy, reentrant=True):
                pass
        except Busy as error:
            errors.append(error)

    with pid_lock(lock, busy):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert len(errors) == 1


def test_locking_process_is_running():
    assert process_is_running(os.getpid())
    assert not process_is_running(0) and not process_is_running(-1)
    assert not process_is_running(_dead_pid())
