"""Tests for classifier.labelling.batch on hostile backlogs and hostile machines: stray quotes, huge texts, formula
injection, typed JSONL, Excel's row limit, signals, temporary files, read-only folders and full disks.

Most tests use a fake model (the batch plumbing is under test, not the classifier); the ones about the
text length cap use the session's trained model.
"""

from __future__ import annotations

import builtins
import errno
import io
import json
import os
import signal
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from classifier.errors import DataError
from classifier.io import tables
from classifier.io.tables import AtomicTableWriter, read_rows
from classifier.labelling.batch import _worker_context, label_file
from classifier.model.predictor import STATUS_TOO_LONG, TensionModel
from tests.labelling.fake_model import FakeModel
from tests.labelling.signalled_child import label_until_signalled

SECRET = "Sent back where they came from"


def _write(path: Path, rows: list[dict], **options) -> Path:
    with AtomicTableWriter(path, list(rows[0]), guard_formulas=False, **options) as writer:
        writer.write_rows(rows)
    return path


def _leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


# -- 1. stray quotes ---------------------------------------------------------------------------------------

def test_batch_tsv_stray_quote_stops_the_run_and_leaves_nothing(tmp_path):
    source = tmp_path / "x.tsv"
    source.write_text(f'id\ttext\n1\tok\n2\t"{SECRET}\n3\tthree\n4\tfour\n', encoding="utf-8")

    with pytest.raises(DataError, match=r"row 3 \(line 3\).*--quoting none") as error:
        label_file(source, tmp_path / "out.tsv", model=FakeModel())
    assert SECRET not in str(error.value)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["x.tsv"]

    summary = label_file(source, tmp_path / "out.tsv", model=FakeModel(), quoting="none")
    assert summary.rows_in == summary.rows_out == 4
    assert read_rows(tmp_path / "out.tsv")[1]["text"] == f'"{SECRET}'


def test_batch_summary_reports_rows_that_span_several_lines(tmp_path):
    source = _write(tmp_path / "x.csv", [{"id": "1", "text": "one\ntwo\nthree"}, {"id": "2", "text": "a"}])

    summary = label_file(source, tmp_path / "out.csv", model=FakeModel())

    assert (summary.lines_read, summary.multiline_rows, summary.longest_row_lines) == (5, 1, 3)
    assert "1 row spans several lines (line breaks inside quoted cells; at most 3 lines); 5 lines read" in str(summary)


def test_batch_rows_merged_by_a_stray_quote_are_reported_and_refused_in_strict_mode(tmp_path):
    # A stray opening quote whose cell closes at the end of a later line: 4 rows read as 2 well-formed ones.
    source = tmp_path / "x.tsv"
    source.write_text(f'id\ttext\n1\t"{SECRET}\n2\tsomething\n3\tthey said go home"\n4\tok\n', encoding="utf-8")

    summary = label_file(source, tmp_path / "out.tsv", model=FakeModel())
    report = str(summary)
    assert summary.rows_in == 2 and summary.lines_read == 5
    assert "5 lines read for 2 rows and the header" in report and "--max-field-lines 0" in report
    assert SECRET not in report

    with pytest.raises(DataError, match=r"row 2 \(line 2\).*--max-field-lines 0") as error:
        label_file(source, tmp_path / "strict.tsv", model=FakeModel(), limits=tables.ReadLimits(max_field_lines=0))
    assert SECRET not in str(error.value)
    assert not (tmp_path / "strict.tsv").exists()


# -- 2 and 3. huge cells: read, not classified, never preprocessed, written back ---------------------------

@pytest.mark.parametrize("ext", [".csv", ".tsv", ".xlsx", ".jsonl"])
def test_batch_text_over_the_cap_is_kept_unlabelled_with_a_status(tmp_path, ext):
    long_text = "a" * 25_000
    rows = [{"id": "1", "text": "a short one"}, {"id": "2", "text": long_text}, {"id": "3", "text": ""}]
    source = _write(tmp_path / f"in{ext}", rows)
    model = FakeModel()

    summary = label_file(source, tmp_path / f"out{ext}", model=model)

    out = read_rows(tmp_path / f"out{ext}")
    assert [row["text"] for row in out] == [row["text"] for row in rows]
    assert [row["status"] for row in out] == ["ok", STATUS_TOO_LONG, "empty text"]
    assert (out[1]["labels"], out[1]["score_a"], out[1]["needs_review"]) == ("", "", "true")
    assert summary.status_counts[STATUS_TOO_LONG] == 1
    assert "not classified: 2 (text too long: 1, empty text: 1)" in str(summary)


def test_batch_max_chars_option(tmp_path):
    source = _write(tmp_path / "in.csv", [{"text": "abc"}, {"text": "abcdef"}])

    label_file(source, tmp_path / "out.csv", model=FakeModel(), max_chars=4)

    assert [row["status"] for row in read_rows(tmp_path / "out.csv")] == ["ok", STATUS_TOO_LONG]
    with pytest.raises(ValueError, match="'max_chars' parameter.*Got 0"):
        label_file(source, tmp_path / "x.csv", model=FakeModel(), max_chars=0)


def test_batch_csv_cell_over_131072_characters_is_labelled_not_an_unbalanced_quote(tmp_path):
    source = _write(tmp_path / "in.csv", [{"text": "x" * 200_000}, {"text": "fine"}])

    summary = label_file(source, tmp_path / "out.csv", model=FakeModel())

    assert summary.status_counts == {STATUS_TOO_LONG: 1, "ok": 1}


def test_model_predict_caps_text_length_and_never_preprocesses_a_huge_text(model, monkeypatch):
    huge = "asylum seekers hotel " * 50_000  # over a million characters
    seen = []
    real = TensionModel._predict_valid

    def recording(self, texts, explain, top_k):
        seen.extend(len(text) for text in texts)
        return real(self, texts, explain, top_k)

    monkeypatch.setattr(TensionModel, "_predict_valid", recording)
    started = time.perf_counter()
    flagged = model.predict(["bins not collected", huge], on_invalid="flag")
    assert time.perf_counter() - started < 5
    assert flagged[1].status == STATUS_TOO_LONG and flagged[1].labels == () and flagged[1].needs_review
    assert all(score != score for score in flagged[1].scores.values())  # NaN: not scored
    assert flagged[0].status == "ok"
    assert seen == [len("bins not collected")]

    with pytest.raises(DataError, match=r"position 1 is 1,050,000 characters long: expected at most "
                                        r"max_chars=20,000.*on_invalid='flag'"):
        model.predict(["fine", huge])
    with pytest.raises(ValueError, match="'max_chars' must be a positive int or None"):
        model.predict(["x"], max_chars=0)


# -- 5. reader errors stop the run as typed errors --------------------------------------------------------

def test_batch_jsonl_lone_surrogate_is_a_data_error_naming_the_line(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "fine"}\n{"text": "cut \\ud800 off"}\n', encoding="utf-8")

    with pytest.raises(DataError, match="in.jsonl line 2: the value of the key 'text'"):
        label_file(source, tmp_path / "out.csv", model=FakeModel())
    assert not (tmp_path / "out.csv").exists() and _leftovers(tmp_path) == []


def test_batch_xlsx_cell_typed_as_number_holding_text_never_shows_the_text(tmp_path, caplog):
    workbook = Workbook()
    workbook.active.append(["id", "text"])
    workbook.active.append([1, 2])
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = tmp_path / "in.xlsx"
    with zipfile.ZipFile(buffer) as original, zipfile.ZipFile(source, "w") as patched:
        for name in original.namelist():
            data = original.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<v>2</v>", f"<v>{SECRET}</v>".encode())
            patched.writestr(name, data)

    with pytest.raises(DataError, match="cell B2") as error:
        label_file(source, tmp_path / "out.csv", model=FakeModel())
    assert SECRET not in str(error.value) and SECRET not in caplog.text


# -- 6. formula injection ----------------------------------------------------------------------------------

_INJECTIONS = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3",
               "\tindented", "-3", "+44"]


@pytest.mark.parametrize("source_ext", [".xlsx", ".jsonl"])
@pytest.mark.parametrize("ext", [".csv", ".tsv"])
def test_batch_csv_output_guards_formulas_by_default(tmp_path, source_ext, ext):
    source = _write(tmp_path / f"in{source_ext}", [{"text": text, "note": text} for text in _INJECTIONS])

    label_file(source, tmp_path / f"out{ext}", model=FakeModel(), review_out=tmp_path / f"review{ext}")

    out = read_rows(tmp_path / f"out{ext}")
    expected = ["'" + text for text in _INJECTIONS[:5]] + ["-3", "+44"]  # plain numbers are not formulas
    assert [row["text"] for row in out] == expected
    assert [row["note"] for row in out] == expected
    raw = (tmp_path / f"out{ext}").read_text(encoding="utf-8-sig")
    assert not any(line.startswith(("=", "@", "+c")) for line in raw.splitlines())


@pytest.mark.parametrize("ext", [".csv", ".tsv"])
def test_batch_csv_output_guards_formulas_in_column_names_too(tmp_path, ext):
    # A JSONL key (or XLSX header cell) is a header cell of the CSV output, which Excel evaluates like any cell.
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"text": "bins", _INJECTIONS[0]: "x", "-3": "y"}) + "\n", encoding="utf-8")

    label_file(source, tmp_path / f"out{ext}", model=FakeModel())

    header = (tmp_path / f"out{ext}").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split("," if ext == ".csv" else "\t")[1].startswith(("\"'=HYPERLINK", "'=HYPERLINK"))
    assert list(read_rows(tmp_path / f"out{ext}")[0])[:3] == ["text", "'" + _INJECTIONS[0], "-3"]


def test_batch_formula_guard_can_be_switched_off(tmp_path):
    source = _write(tmp_path / "in.jsonl", [{"text": _INJECTIONS[0]}])

    label_file(source, tmp_path / "out.csv", model=FakeModel(), formula_guard=False)

    assert read_rows(tmp_path / "out.csv")[0]["text"] == _INJECTIONS[0]


def test_batch_xlsx_output_writes_formula_like_text_as_text_cells(tmp_path):
    source = _write(tmp_path / "in.jsonl", [{"text": text} for text in _INJECTIONS])

    label_file(source, tmp_path / "out.xlsx", model=FakeModel())

    sheet = load_workbook(tmp_path / "out.xlsx").active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == _INJECTIONS
    assert all(cell.data_type == "s" for cell in cells)


# -- 7. JSONL keeps types, quotes kept ------------------------------------------------------------------

def test_batch_jsonl_output_keeps_numbers_booleans_and_nulls(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": 7, "score": 0.25, "urgent": true, "ward": null, "tags": ["a", 1], "text": "asylum hotel"}\n'
        '{"id": 8, "text": "\\"no more hotels\\" sprayed on the wall"}\n',
        encoding="utf-8",
    )

    label_file(source, tmp_path / "out.jsonl", model=FakeModel())

    first, second = (json.loads(line) for line in (tmp_path / "out.jsonl").read_text("utf-8").splitlines())
    assert {key: first[key] for key in ("id", "score", "urgent", "ward", "tags", "text")} == {
        "id": 7, "score": 0.25, "urgent": True, "ward": None, "tags": ["a", 1], "text": "asylum hotel"}
    assert second["id"] == 8 and second["score"] is None  # a missing key comes back as null
    assert second["text"] == '"no more hotels" sprayed on the wall'
    assert first["score_a"] == 0.9 and first["labels"] == "a" and first["status"] == "ok"


def test_batch_xlsx_to_xlsx_keeps_numbers_dates_and_booleans(tmp_path):
    import datetime as dt

    workbook = Workbook()
    workbook.active.append(["id", "received", "urgent", "text"])
    workbook.active.append([12, dt.datetime(2024, 5, 1, 9, 30), True, "hotel protest"])
    workbook.save(tmp_path / "in.xlsx")

    label_file(tmp_path / "in.xlsx", tmp_path / "out.xlsx", model=FakeModel())

    row = next(load_workbook(tmp_path / "out.xlsx").active.iter_rows(min_row=2, values_only=True))
    assert row[:4] == (12, dt.datetime(2024, 5, 1, 9, 30), True, "hotel protest")


@pytest.mark.parametrize("ext", [".csv", ".tsv"])
def test_batch_quoted_phrase_at_the_start_of_a_raw_cell_keeps_its_quotes(tmp_path, ext):
    delimiter = "," if ext == ".csv" else "\t"
    source = tmp_path / f"in{ext}"
    source.write_text(f'id{delimiter}text\n1{delimiter}"no more hotels" sprayed on the wall\n', encoding="utf-8")

    label_file(source, tmp_path / "out.jsonl", model=FakeModel())

    assert json.loads((tmp_path / "out.jsonl").read_text("utf-8"))["text"] == '"no more hotels" sprayed on the wall'


# -- 8. Excel's row limit ----------------------------------------------------------------------------------

def test_batch_refuses_an_xlsx_output_with_more_rows_than_excel_holds_before_labelling(tmp_path, monkeypatch):
    import classifier.labelling.batch

    monkeypatch.setattr(tables, "EXCEL_MAX_ROWS", 6)  # 5 rows under the header, as 1,048,575 are in Excel
    monkeypatch.setattr(classifier.labelling.batch, "EXCEL_MAX_ROWS", 6)
    source = _write(tmp_path / "in.csv", [{"text": f"report {i}"} for i in range(6)])
    model = FakeModel()

    with pytest.raises(DataError, match=r"has 6 rows, more than an Excel sheet holds \(5 under the header\).*\.csv"):
        label_file(source, tmp_path / "out.xlsx", model=model)
    assert model.seen == []  # refused before any work
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.csv"]

    label_file(source, tmp_path / "out.csv", model=model)
    fits = _write(tmp_path / "fits.csv", [{"text": f"report {i}"} for i in range(5)])
    assert label_file(fits, tmp_path / "fits.xlsx", model=model).rows_out == 5


# -- 9. temporary files: where, which mode, removed on signals -------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_batch_sigterm_and_sighup_remove_every_temporary_file(tmp_path, signum, ext):
    source = _write(tmp_path / f"in{ext}", [{"text": f"{SECRET} {i}"} for i in range(30)])
    out, system_temp = tmp_path / "out", tmp_path / "system_temp"
    out.mkdir()
    system_temp.mkdir()

    # Started as the batch labeller starts its workers (from the fork server): a fork of this threaded process
    # could deadlock in the child.
    child = _worker_context().Process(target=label_until_signalled, args=(source, out, system_temp, signum))
    child.start()
    child.join(60)

    assert child.exitcode == -signum  # died of the signal, as without the handler
    assert list(out.iterdir()) == []
    assert list(system_temp.iterdir()) == []


def test_batch_restores_the_previous_signal_handlers(tmp_path):
    source = _write(tmp_path / "in.csv", [{"text": "x"}])
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)

    label_file(source, tmp_path / "out.csv", model=FakeModel())

    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)) == before


# -- 10. unwritable targets --------------------------------------------------------------------------------

def test_batch_output_that_is_a_folder_is_a_data_error(tmp_path):
    source = _write(tmp_path / "in.csv", [{"text": "x"}])
    (tmp_path / "out.csv").mkdir()

    with pytest.raises(DataError, match="expected a file name for the output, found a folder.*in_labelled.csv"):
        label_file(source, tmp_path / "out.csv", model=FakeModel(), force=True)
    with pytest.raises(DataError, match="found a folder"):
        AtomicTableWriter(tmp_path / "out.csv", ["text"])


def test_batch_folder_without_write_permission_is_a_data_error(tmp_path, monkeypatch):
    source = _write(tmp_path / "in.csv", [{"text": "x"}])

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(DataError, match=r"could not create a file in .*\(Permission denied\); write somewhere else"):
        label_file(source, tmp_path / "out.csv", model=FakeModel())
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.csv"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_batch_read_only_folder_is_a_data_error(tmp_path):
    source = _write(tmp_path / "in.csv", [{"text": "x"}])
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(DataError, match="could not create a file"):
            label_file(source, locked / "out.csv", model=FakeModel())
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


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


@pytest.mark.parametrize("ext", [".csv", ".jsonl"])
def test_batch_full_disk_while_writing_is_a_data_error_and_leaves_nothing(tmp_path, monkeypatch, ext):
    source = _write(tmp_path / "in.csv", [{"text": f"report {i}"} for i in range(50)])

    def filling_open(file, mode="r", *args, **kwargs):
        handle = builtins.open(file, mode, *args, **kwargs)
        return _FullDisk(handle, budget=20) if "w" in mode else handle

    monkeypatch.setattr(tables, "open", filling_open, raising=False)
    with pytest.raises(DataError, match=r"ran out of space; free some space.*Nothing was written to .*out"):
        label_file(source, tmp_path / f"out{ext}", model=FakeModel(), chunk_size=5,
                   review_out=tmp_path / f"review{ext}")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.csv"]


def test_batch_full_disk_while_saving_xlsx_is_a_data_error_and_leaves_nothing(tmp_path, monkeypatch):
    source = _write(tmp_path / "in.csv", [{"text": f"report {i}"} for i in range(10)])
    system_temp = tmp_path / "system_temp"
    system_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))

    def full(self, filename):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Workbook, "save", full)
    with pytest.raises(DataError, match="ran out of space"):
        label_file(source, tmp_path / "out.xlsx", model=FakeModel(), review_out=tmp_path / "review.csv")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.csv", "system_temp"]
    assert list(system_temp.iterdir()) == []


def test_batch_review_file_is_not_published_when_the_output_cannot_be_finished(tmp_path, monkeypatch):
    source = _write(tmp_path / "in.csv", [{"text": f"report {i}"} for i in range(10)])
    real_fsync = os.fsync
    calls = []

    def fsync_fails_second_time(descriptor):
        calls.append(descriptor)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(descriptor)

    monkeypatch.setattr(tables.os, "fsync", fsync_fails_second_time)
    with pytest.raises(DataError, match="ran out of space"):
        label_file(source, tmp_path / "out.csv", model=FakeModel(), review_out=tmp_path / "review.csv")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.csv"]


def test_batch_worker_ends_when_the_labelling_process_is_killed_outright():
    """kill -9 of `tension label` cannot stop its workers: each watches its parent and ends when it has gone,
    instead of holding reports in memory for ever."""
    import subprocess
    import sys

    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    worker = subprocess.Popen([sys.executable, "-c", "import sys; from classifier.labelling import batch; "
                               "batch._PARENT_CHECK_SECONDS = 0.1; batch._exit_when_gone(int(sys.argv[1]))",
                               str(parent.pid)])
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            worker.wait(timeout=1.0)  # the parent lives: the worker stays
        parent.kill()
        parent.wait()
        assert worker.wait(timeout=30) == 1
    finally:
        for process in (parent, worker):
            if process.poll() is None:
                process.kill()
