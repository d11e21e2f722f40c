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


def test_signals_sigterm_while_a_model_folder_is_swapped_waits_until_the_old_one_is_gone(tmp_path):
    """Reproduction: SIGTERM just after training's "saving to" line ended the process between the swap and the
    removal of the old folder: the new model was in place, half of the old one was left as '.k.old' beside it."""
    script = (
        "import os, shutil, signal, sys\n"
        "from pathlib import Path\n"
        "from classifier.io import atomic\n"
        "from classifier.io.signals import cleanup_on_termination\n"
        "real = shutil.rmtree\n"
        "def rmtree_after_a_signal(path, *args, **kwargs):\n"
        "    if Path(path).name.endswith('.old') and Path(path).exists():\n"
        "        os.kill(os.getpid(), signal.SIGTERM)  # arrives between the swap and the removal\n"
        "    return real(path, *args, **kwargs)\n"
        "atomic.shutil.rmtree = rmtree_after_a_signal\n"
        "target = Path(sys.argv[1])\n"
        "with cleanup_on_termination():\n"
        "    with atomic.atomic_directory(target) as staging:\n"
        "        (staging / 'model.txt').write_text('new')\n"
        "    print('not reached')\n"
    )
    target = tmp_path / "k"
    target.mkdir()
    (target / "model.txt").write_text("old")
    done = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGTERM and "not reached" not in done.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["k"]  # no '.k.old', no staging folder
    assert (target / "model.txt").read_text() == "new"


def test_signals_a_ctrl_c_after_a_folder_was_saved_says_it_was_saved(tmp_path, capsys):
    import pytest
    import typer

    from classifier.cli.tension import user_errors

    def saved_then_stopped():
        stop = KeyboardInterrupt()
        stop.saved = tmp_path / "k"
        raise stop

    for func, expected in ((saved_then_stopped, f"interrupted after {tmp_path / 'k'} was saved in full."),
                           (lambda: (_ for _ in ()).throw(KeyboardInterrupt()), "interrupted: nothing was written.")):
        with pytest.raises(typer.Exit):
            user_errors(func)()
        assert capsys.readouterr().err.strip() == expected
