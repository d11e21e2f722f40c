"""Tests for classifier.io.atomic: a written file appears whole or not at all, with the mode it should have."""

from __future__ import annotations

import os

import pytest

from classifier.errors import DataError
from classifier.io import atomic
from classifier.io.atomic import atomic_directory, atomic_open, new_file_mode, write_bytes, write_text


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_atomic_write_text_writes_utf8_with_newline_line_ends(tmp_path):
    write_text(tmp_path / "a.txt", "é\nline\n")

    assert (tmp_path / "a.txt").read_bytes() == "é\nline\n".encode()
    assert [path.name for path in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_write_bytes_replaces_an_existing_file(tmp_path):
    (tmp_path / "a.png").write_bytes(b"old")

    write_bytes(tmp_path / "a.png", b"new")

    assert (tmp_path / "a.png").read_bytes() == b"new"


def test_atomic_error_in_the_block_leaves_the_old_file_and_no_temporary(tmp_path):
    (tmp_path / "a.txt").write_text("old", "utf-8")

    with pytest.raises(KeyboardInterrupt), atomic_open(tmp_path / "a.txt") as handle:
        handle.write("half a rep")
        raise KeyboardInterrupt

    assert (tmp_path / "a.txt").read_text("utf-8") == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_temporary_is_hidden_beside_the_target_and_private(tmp_path, umask_022):
    with atomic_open(tmp_path / "r.html") as handle:
        (temporary,) = [path for path in tmp_path.iterdir()]
        assert temporary.name.startswith(".r.html.") and temporary.name.endswith(".part")
        assert temporary.stat().st_mode & 0o777 == 0o600
        handle.write("x")


def test_atomic_two_writers_of_one_target_use_different_temporary_files(tmp_path):
    with atomic_open(tmp_path / "a.txt") as first, atomic_open(tmp_path / "a.txt") as second:
        first.write("first")
        second.write("second")
        assert len(list(tmp_path.iterdir())) == 2

    assert (tmp_path / "a.txt").read_text("utf-8") == "first"  # the last one renamed wins, whole


@pytest.mark.parametrize(("private", "mode"), [(False, 0o644), (True, 0o600)])
def test_atomic_new_file_gets_the_umask_or_0600_for_report_text(tmp_path, umask_022, private, mode):
    write_text(tmp_path / "a.txt", "x", private=private)

    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == mode


def test_atomic_replaced_file_keeps_its_mode(tmp_path):
    (tmp_path / "a.txt").write_text("old", "utf-8")
    (tmp_path / "a.txt").chmod(0o640)

    write_text(tmp_path / "a.txt", "new", private=True)

    assert new_file_mode(tmp_path / "a.txt") == 0o640


def test_atomic_writes_are_fsynced_before_the_rename(tmp_path, monkeypatch):
    events = []
    monkeypatch.setattr(atomic.os, "fsync", lambda descriptor: events.append("fsync"))
    real_replace = os.replace
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (events.append("rename"), real_replace(a, b)))

    write_text(tmp_path / "a.txt", "x")

    assert events[:2] == ["fsync", "rename"]


def test_atomic_missing_folder_is_a_data_error_naming_it(tmp_path):
    with pytest.raises(DataError, match=r"expected the folder .*nowhere.* to exist"):
        write_text(tmp_path / "nowhere" / "a.txt", "x")


def test_atomic_open_refuses_a_mode_that_is_not_for_writing(tmp_path):
    with pytest.raises(ValueError, match="'mode' parameter of atomic_open must be 'w' or 'wb'. Got 'a'"), \
            atomic_open(tmp_path / "a.txt", "a"):
        pass


def test_atomic_directory_replaces_a_folder_as_a_whole(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old", "utf-8")

    with atomic_directory(target) as staging:
        (staging / "new.txt").write_text("new", "utf-8")
        assert not (target / "new.txt").exists()

    assert sorted(path.name for path in target.iterdir()) == ["new.txt"]
    assert [path.name for path in tmp_path.iterdir()] == ["model"]


def test_atomic_directory_error_keeps_the_old_folder_and_removes_the_staging_one(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old", "utf-8")

    with pytest.raises(OSError, match="disk full"), atomic_directory(target) as staging:
        (staging / "half.txt").write_text("half", "utf-8")
        raise OSError("disk full")

    assert [path.name for path in target.iterdir()] == ["old.txt"]
    assert [path.name for path in tmp_path.iterdir()] == ["model"]


def test_atomic_directory_refuses_to_replace_a_file(tmp_path):
    (tmp_path / "model").write_text("not a folder", "utf-8")

    with pytest.raises(NotADirectoryError), atomic_directory(tmp_path / "model"):
        pass

    assert [path.name for path in tmp_path.iterdir()] == ["model"]


def test_atomic_temporaries_left_by_a_killed_process_are_removed_by_the_next_write(tmp_path):
    import subprocess
    import sys


    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    target = tmp_path / "out.csv"
    stale = tmp_path / f".out.csv.{gone.pid}-abc123.part"
    stale.write_text("report text of a killed run")
    live = tmp_path / f".out.csv.{os.getppid()}-def456.part"  # another process still writing: left alone
    live.write_text("still being written")
    other = tmp_path / f".other.csv.{gone.pid}-abc123.part"  # another target's: left alone
    other.write_text("x")
    write_text(target, "new\n")
    assert not stale.exists() and live.exists() and other.exists() and target.read_text() == "new\n"

    staging = tmp_path / f".model.{gone.pid}-xyz.tmp"
    staging.mkdir()
    (staging / "model.pkl.gz").write_bytes(b"half a model")
    with atomic_directory(tmp_path / "model") as folder:
        (folder / "metadata.json").write_text("{}")
    assert not staging.exists() and (tmp_path / "model" / "metadata.json").exists()


def test_atomic_a_file_in_place_of_the_folder_is_named_as_such(tmp_path):
    (tmp_path / "same.csv").write_text("id,text\n")
    with pytest.raises(DataError, match="found a file of that name"):
        write_text(tmp_path / "same.csv" / "out.csv", "x")


@pytest.mark.parametrize("hard_links", [True, False])
def test_atomic_publish_without_replace_never_replaces_a_file_that_appeared(tmp_path, monkeypatch, hard_links):
    if not hard_links:  # a file system without them (some network and FAT ones): checked just before the rename
        monkeypatch.setattr(atomic.os, "link", lambda *args: (_ for _ in ()).throw(PermissionError(1, "no links")))
    target = tmp_path / "out.csv"
    first = atomic.create_temporary(target)
    first.write_text("ours", "utf-8")
    assert atomic.publish(first, target, replace=False) == target
    assert target.read_text("utf-8") == "ours" and not first.exists()
    second = atomic.create_temporary(target)
    second.write_text("a later run", "utf-8")
    with pytest.raises(FileExistsError):
        atomic.publish(second, target, replace=False)
    assert target.read_text("utf-8") == "ours" and second.exists()  # the caller removes its temporary
    atomic.publish(second, target)
    assert target.read_text("utf-8") == "a later run"
