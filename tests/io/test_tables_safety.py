"""Tests for classifier.io.tables' writer on hostile machines and data: where temporary files go and with which
mode, the umask, Excel's row limit, full disks, read-only folders, folders given as files, formulas and
typed values.
"""

from __future__ import annotations

import builtins
import datetime as dt
import errno
import json
import os
import tempfile

import pytest
from openpyxl import Workbook, load_workbook

from classifier.errors import DataError
from classifier.io import tables
from classifier.io.tables import AtomicTableWriter, TableReader, guard_formula, read_rows

SECRET = "Sent back where they came from"


@pytest.mark.parametrize(("text", "guarded"), [
    ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("@SUM(A1)", "'@SUM(A1)"), ("-2+3", "'-2+3"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-3", "-3"), ("+1.5e3", "+1.5e3"), ("-25%", "-25%"), ("a=b", "a=b"),
    ("", ""),
])
def test_tables_guard_formula(text, guarded):
    assert guard_formula(text) == guarded


def test_tables_csv_writer_guards_formulas_by_default_and_can_be_told_not_to(tmp_path):
    rows = [{"text": '=HYPERLINK("http://evil.example","click")'}]
    with AtomicTableWriter(tmp_path / "guarded.csv", ["text"]) as writer:
        writer.write_rows(rows)
    with AtomicTableWriter(tmp_path / "raw.tsv", ["text"], guard_formulas=False) as writer:
        writer.write_rows(rows)

    assert read_rows(tmp_path / "guarded.csv")[0]["text"].startswith("'=HYPERLINK")
    assert read_rows(tmp_path / "raw.tsv")[0]["text"].startswith("=HYPERLINK")


def test_tables_typed_values_keep_their_type_in_jsonl_and_xlsx(tmp_path):
    row = {"n": 3, "f": 0.25, "b": True, "z": None, "l": ["a", 1], "d": dt.datetime(2024, 5, 1, 9, 30), "s": "x"}
    for ext in (".jsonl", ".xlsx", ".csv"):
        with AtomicTableWriter(tmp_path / f"t{ext}", list(row)) as writer:
            writer.write_rows([row])
    assert json.loads((tmp_path / "t.jsonl").read_text("utf-8")) == {**row, "d": "2024-05-01 09:30:00"}
    assert next(load_workbook(tmp_path / "t.xlsx").active.iter_rows(min_row=2, values_only=True)) == (
        3, 0.25, True, None, "a;1", dt.datetime(2024, 5, 1, 9, 30), "x")
    assert read_rows(tmp_path / "t.csv") == [
        {"n": "3", "f": "0.25", "b": "true", "z": "", "l": "a;1", "d": "2024-05-01 09:30:00", "s": "x"}]


def test_tables_xlsx_cell_over_excels_limit_names_row_and_column(tmp_path):
    with pytest.raises(DataError, match=r"row 2, column 'text': expected at most 32,767 characters.*\.csv"), \
            AtomicTableWriter(tmp_path / "out.xlsx", ["id", "text"]) as writer:
        writer.write_rows([{"id": "1", "text": "x" * 40_000}])
    assert list(tmp_path.iterdir()) == []


def test_tables_xlsx_writer_refuses_a_row_past_excels_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "EXCEL_MAX_ROWS", 3)
    with pytest.raises(DataError, match=r"at most 2 rows under the header.*\.csv or \.jsonl"), AtomicTableWriter(
        tmp_path / "out.xlsx", ["text"]
    ) as writer:
        writer.write_rows([{"text": "1"}, {"text": "2"}])
        writer.write_rows([{"text": "3"}])
    assert list(tmp_path.iterdir()) == []


def test_tables_temporary_files_are_private_and_beside_the_output(tmp_path, monkeypatch):
    system_temp = tmp_path / "system_temp"
    system_temp.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))  # where openpyxl put its sheet data

    for ext in (".csv", ".xlsx", ".jsonl"):
        writer = AtomicTableWriter(out / f"r{ext}", ["text"])
        writer.write_rows([{"text": SECRET}] * 10)
        temps = [writer.temp_path, *writer._sheet_temps]
        assert all(path.parent == out and path.name.startswith(f".r{ext}.") for path in temps)
        assert all(path.stat().st_mode & 0o777 == 0o600 for path in temps)
        assert list(system_temp.iterdir()) == []
        writer.abort()
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(("umask", "mode"), [(0o077, 0o600), (0o022, 0o644), (0o002, 0o664)])
def test_tables_committed_file_follows_the_umask(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        for ext in (".csv", ".xlsx"):
            with AtomicTableWriter(tmp_path / f"r{ext}", ["text"]) as writer:
                writer.write_rows([{"text": "x"}])
            assert (tmp_path / f"r{ext}").stat().st_mode & 0o777 == mode
            (tmp_path / f"r{ext}").unlink()
    finally:
        os.umask(previous)


def test_tables_reader_keep_types_reads_values_as_stored(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"n": 1, "x": [1, 2]}\n{"n": 2.5}\n', encoding="utf-8")

    with TableReader(source, keep_types=True) as reader:
        assert list(reader) == [{"n": 1, "x": [1, 2]}, {"n": 2.5, "x": None}]
    assert read_rows(source) == [{"n": "1", "x": "1;2"}, {"n": "2.5", "x": ""}]


def test_tables_writer_target_that_is_a_folder_is_a_data_error(tmp_path):
    (tmp_path / "out.csv").mkdir()

    with pytest.raises(DataError, match="expected a file name to write to, found a folder"):
        AtomicTableWriter(tmp_path / "out.csv", ["text"])
    assert [path.name for path in tmp_path.iterdir()] == ["out.csv"]


def test_tables_writer_in_a_folder_it_cannot_write_is_a_data_error(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    for ext in (".csv", ".xlsx"):
        with pytest.raises(DataError, match=r"could not create a file in .*\(Permission denied\)"):
            AtomicTableWriter(tmp_path / f"out{ext}", ["text"])
    assert list(tmp_path.iterdir()) == []


class _FullDisk:
    """A file whose writes fail with ENOSPC once `budget` writes have gone through."""

    def __init__(self, handle, budget):
        self._handle, self._budget = handle, budget

    def write(self, text):
        self._budget -= 1
        if self._budget < 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return self._handle.write(text)

    def __getattr__(self, name):
        return getattr(self._handle, name)


@pytest.mark.parametrize("ext", [".csv", ".tsv", ".jsonl"])
def test_tables_writer_full_disk_is_a_data_error_and_leaves_nothing(tmp_path, monkeypatch, ext):
    def filling_open(file, mode="r", *args, **kwargs):
        handle = builtins.open(file, mode, *args, **kwargs)
        return _FullDisk(handle, budget=3) if "w" in mode else handle

    monkeypatch.setattr(tables, "open", filling_open, raising=False)
    writer = AtomicTableWriter(tmp_path / f"out{ext}", ["text"])
    with pytest.raises(DataError, match="ran out of space; free some space or write to another disk"):
        for _ in range(1000):  # buffered: the failure comes when a buffer is flushed
            writer.write_rows([{"text": SECRET * 20}])
        writer.commit()
    assert list(tmp_path.iterdir()) == []


def test_tables_writer_full_disk_while_saving_xlsx_leaves_nothing_anywhere(tmp_path, monkeypatch):
    system_temp = tmp_path / "system_temp"
    system_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))

    def full(self, filename):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Workbook, "save", full)
    writer = AtomicTableWriter(tmp_path / "out.xlsx", ["text"])
    writer.write_rows([{"text": SECRET}])
    with pytest.raises(DataError, match="ran out of space"):
        writer.commit()
    assert [path.name for path in tmp_path.iterdir()] == ["system_temp"]
    assert list(system_temp.iterdir()) == []


def test_tables_writer_other_os_errors_are_data_errors(tmp_path, monkeypatch):
    def refuse(source, target):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tables.os, "replace", refuse)
    writer = AtomicTableWriter(tmp_path / "out.csv", ["text"])
    with pytest.raises(DataError, match=r"the system refused \(Read-only file system\)"):
        writer.commit()
    assert list(tmp_path.iterdir()) == []


def test_tables_numbers_excel_cannot_hold_are_written_as_text(tmp_path):
    import math

    with AtomicTableWriter(tmp_path / "n.xlsx", ["n"]) as writer:
        writer.write_rows([{"n": 1.7976931348623157e308}, {"n": math.inf}, {"n": 1e300}])

    with TableReader(tmp_path / "n.xlsx", keep_types=True) as reader:
        assert [row["n"] for row in reader] == ["1.7976931348623157e+308", "inf", 1e300]
