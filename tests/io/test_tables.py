"""Tests for classifier.io.tables: reading and writing CSV, TSV, XLSX and JSON Lines."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import warnings
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from classifier.errors import DataError
from classifier.io.tables import (
    AtomicTableWriter,
    EncodingFallbackWarning,
    TableReader,
    cell_to_str,
    find_column,
    guard_formula,
    read_rows,
    table_format,
)
from tests.helpers import save_formula_results

COLUMNS = ["id", "text", "labels"]
TRICKY_ROWS = [
    {"id": "1", "text": "Graffiti on the bus shelter, opp the co-op", "labels": "race_hate"},
    {"id": "2", "text": 'He said "go home" — twice\nthen left', "labels": "race_hate;immigration"},
    {"id": "3", "text": "Café owner: naïve rumour about the mosque 🕌, tab\there", "labels": ""},
    {"id": "", "text": "", "labels": ""},
    {"id": "5", "text": "=HYPERLINK(\"http://example.com\")", "labels": "misinformation"},
    {"id": "6", "text": "+44 7700 900417 / -3 / @everyone; semi;colon", "labels": ""},
    {"id": "7", "text": "line one\r\nline two, with comma", "labels": "israel_palestine"},
]


def _write(path: Path, rows: list[dict[str, str]], columns: list[str] = COLUMNS, **options) -> Path:
    with AtomicTableWriter(path, columns, **options) as writer:
        writer.write_rows(rows)
    return path


@pytest.mark.parametrize("extension", [".csv", ".tsv", ".xlsx", ".jsonl"])
def test_tables_round_trip_preserves_rows_and_order(tmp_path: Path, extension: str) -> None:
    path = _write(tmp_path / f"reports{extension}", TRICKY_ROWS)
    with TableReader(path) as reader:
        assert reader.columns == COLUMNS
        rows = [row for chunk in reader.iter_chunks(size=2) for row in chunk]
    expected = TRICKY_ROWS
    if extension == ".xlsx":
        # XML normalises line ends: a \r\n inside a cell comes back as \n (as it does from Excel).
        expected = [{key: value.replace("\r\n", "\n") for key, value in row.items()} for row in TRICKY_ROWS]
    if extension in (".csv", ".tsv"):  # formulas are guarded by default
        expected = [{key: guard_formula(value) for key, value in row.items()} for row in TRICKY_ROWS]
    assert rows == expected


@pytest.mark.parametrize("extension", ["csv", "jsonl", "xlsx"])
def test_tables_fraction_read_grows_to_one_without_a_second_pass(tmp_path: Path, extension: str) -> None:
    rows = [{"id": str(i), "text": f"Report {i:05d} about the bins on Moor Lane."} for i in range(3000)]
    path = tmp_path / f"in.{extension}"
    with AtomicTableWriter(path, ["id", "text"]) as writer:
        writer.write_rows(rows)
    with TableReader(path) as reader:
        fractions = []
        for count, _chunk in enumerate(reader.iter_chunks(1000), start=1):
            fractions.append(reader.fraction_read())
            estimate = 1000 * count / fractions[-1]
            assert 2400 <= estimate <= 3600 or count == 3  # within 20% of the 3,000 rows
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and 0 < fractions[0] < 0.5


def test_tables_iter_chunks_sizes(tmp_path: Path) -> None:
    rows = [{"id": str(i), "text": f"report {i}", "labels": ""} for i in range(12)]
    path = _write(tmp_path / "r.csv", rows)
    with TableReader(path) as reader:
        sizes = [len(chunk) for chunk in reader.iter_chunks(size=5)]
    assert sizes == [5, 5, 2]


def test_tables_csv_written_with_bom_by_default_and_read_without_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", TRICKY_ROWS[:1])
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    reader = TableReader(path).open()
    assert reader.encoding == "utf-8-sig"
    assert reader.columns[0] == "id"
    reader.close()
    plain = _write(tmp_path / "plain.csv", TRICKY_ROWS[:1], excel_bom=False)
    assert plain.read_bytes().startswith(b"id,")
    with TableReader(plain) as reader:
        assert reader.encoding == "utf-8"


def test_tables_csv_cp1252_fallback_warns(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes("id,text\r\n1,caf\xe9 \u2019quoted\u2019 \u00a312\r\n2,plain\r\n".encode("cp1252"))
    with pytest.warns(EncodingFallbackWarning, match="cp1252.*UTF-8"):
        reader = TableReader(path).open()
    assert reader.encoding == "cp1252"
    assert list(reader) == [
        {"id": "1", "text": "caf\xe9 \u2019quoted\u2019 \u00a312"},
        {"id": "2", "text": "plain"},
    ]


@pytest.mark.parametrize(("codec", "bom"), [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)])
@pytest.mark.parametrize("ext", ["csv", "tsv"])
def test_tables_utf16_with_a_byte_order_mark_is_read_as_utf16(tmp_path: Path, codec, bom, ext) -> None:
    # Excel's "Unicode Text" and some case-management exports; read as cp1252 it would be one garbled column.
    sep = "," if ext == "csv" else "\t"
    rows = [("1", "caf\xe9 \u2019quoted\u2019 \u00a312 \u0627\u0644\u0633\u0644\u0627\u0645"), ("2", '"two\nlines"')]
    text = f"id{sep}text\r\n" + "".join(f"{i}{sep}{cell}\r\n" for i, cell in rows)
    path = tmp_path / f"unicode.{ext}"
    path.write_bytes(bom + text.encode(codec))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning
        with TableReader(path) as reader:
            assert reader.encoding == "utf-16" and reader.columns == ["id", "text"]
            assert list(reader) == [{"id": "1", "text": rows[0][1]}, {"id": "2", "text": "two\nlines"}]
            assert reader.fraction_read() == pytest.approx(1.0, abs=0.01)


def test_tables_utf16_file_with_bytes_that_are_not_utf16_says_so(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "id,text\r\n1,ok\r\n".encode("utf-16-le") + b"\x41")  # half a character
    with pytest.raises(DataError, match=r"broken.csv near line \d+: expected UTF-16 text .*save it again as UTF-8"):
        with TableReader(path) as reader:
            list(reader)


def test_tables_csv_latin1_when_cp1252_cannot_decode(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes(b"id,text\n1,odd \x81 byte \xe9\n")
    with pytest.warns(EncodingFallbackWarning, match="latin-1"):
        rows = read_rows(path)
    assert rows == [{"id": "1", "text": "odd \x81 byte \xe9"}]


@pytest.mark.parametrize("where", ["late", "early"])
def test_tables_csv_utf8_with_a_few_legacy_bytes_keeps_its_utf8_characters(tmp_path: Path, where) -> None:
    """Reproduction: one Windows-1252 byte in a row pasted into a UTF-8 file had the whole file read as cp1252:
    every UTF-8 character before it came out garbled ('\u00a3500' as '\u00c2\u00a3500') and was scored so."""
    rows = [f"{i},Fine of \u00a3500 for the caf\u00e9 \u2019s bins" for i in range(3000)]
    rows[2999 if where == "late" else 1] = "X,caf\u00e9 owner \u2013 \u20ac5"
    utf8 = [row.encode("utf-8") for row in rows]
    utf8[2999 if where == "late" else 1] = rows[2999 if where == "late" else 1].encode("cp1252")
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"id,text\n" + b"\n".join(utf8) + b"\n")
    line = 3001 if where == "late" else 3
    with pytest.warns(EncodingFallbackWarning, match=rf"is UTF-8 but for some bytes that are not \(first at line "
                                                    rf"{line}\).*read those bytes as cp1252"):
        with TableReader(path) as reader:
            read = list(reader)
            assert reader.encoding == "utf-8 (other bytes as cp1252)"
    assert [row["id"] + "," + row["text"] for row in read] == rows


def test_tables_csv_invalid_utf8_late_in_file_no_row_lost_or_repeated(tmp_path: Path) -> None:
    lines = [f"{i},report number {i}" for i in range(3000)]
    lines[2500] = "2500,caf\xe9"
    path = tmp_path / "late.csv"
    path.write_bytes(("id,text\n" + "\n".join(lines) + "\n").encode("cp1252"))
    with pytest.warns(EncodingFallbackWarning):
        rows = read_rows(path)
    assert [row["id"] for row in rows] == [str(i) for i in range(3000)]
    assert rows[2500]["text"] == "caf\xe9"


def test_tables_utf8_without_warning(tmp_path: Path) -> None:
    path = tmp_path / "u.tsv"
    path.write_text("id\ttext\n1\tcafé\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_rows(path) == [{"id": "1", "text": "café"}]


def test_tables_csv_empty_rows_are_rows_and_short_rows_padded(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("id,text,labels\n1,a\n\n ,,\n3,c,x\n5\n", encoding="utf-8")
    with TableReader(path) as reader:
        rows = list(reader)
    assert rows == [
        {"id": "1", "text": "a", "labels": ""},
        {"id": "", "text": "", "labels": ""},
        {"id": "", "text": "", "labels": ""},
        {"id": "3", "text": "c", "labels": "x"},
        {"id": "5", "text": "", "labels": ""},
    ]
    assert reader.short_rows == [2, 6]  # blank lines are empty rows, not short ones


@pytest.mark.parametrize("ending", ["\n\n\n", "\n,,\n , ,\n", "\r\n\r\n", "\n\t\n"])
def test_tables_csv_empty_rows_after_the_last_report_are_not_rows_as_in_xlsx(tmp_path: Path, ending) -> None:
    # Exports often end with blank lines or rows of delimiters (formatted empty rows); a workbook's empty rows
    # at the end are not rows either. An empty row between reports is one, so that row numbers stay those the
    # spreadsheet shows; a row with only an id is a report whose text is missing.
    rows = [{"id": "1", "text": "a", "labels": ""}, {"id": "", "text": "", "labels": ""},
            {"id": "3", "text": "", "labels": ""}]
    csv_path = tmp_path / "r.csv"
    csv_path.write_text("id,text,labels\n1,a,\n,,\n3,," + ending, encoding="utf-8", newline="")
    xlsx_path = tmp_path / "r.xlsx"
    _workbook(xlsx_path, [["id", "text", "labels"], [1, "a"], [], [3], [], [" "], []])
    assert read_rows(csv_path) == rows
    assert read_rows(xlsx_path) == rows


def test_tables_csv_long_row_raises_with_row_number(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("id,text\n1,a\n2,b,unexpected\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 3 \(line 3\).*expected at most 2 cells.*found 3"):
        read_rows(path)


def test_tables_csv_trailing_empty_cells_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("id,text\n1,a,,\n", encoding="utf-8")
    assert read_rows(path) == [{"id": "1", "text": "a"}]


def test_tables_csv_duplicate_and_empty_headers_made_unique(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("text,,text,text_2\na,b,c,d\n", encoding="utf-8")
    reader = TableReader(path).open()
    assert reader.columns == ["text", "column_2", "text_3", "text_2"]
    reader.close()


def test_tables_empty_csv_raises(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"")
    with pytest.raises(DataError, match="header"):
        read_rows(path)


@pytest.mark.parametrize("name", ["reports.txt", "reports.xls", "reports"])
def test_tables_unsupported_extension_lists_supported(name: str) -> None:
    with pytest.raises(DataError, match=r"\.csv, \.tsv, \.xlsx, \.jsonl"):
        table_format(name)


def test_tables_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="existing file"):
        read_rows(tmp_path / "absent.csv")


def _workbook(path: Path, rows: list[list[object]], *, title: str = "Reports") -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_tables_xlsx_values_converted_to_strings(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "r.xlsx",
        [
            ["id", "received", "score", "flag", "when"],
            [12.0, dt.datetime(2024, 5, 1), 0.25, True, dt.datetime(2024, 5, 1, 9, 30)],
            [None, None, None],
            [13, dt.date(2024, 6, 2), None, False, None],
            [None, None, None],
        ],
    )
    rows = read_rows(path)
    assert rows == [
        {
            "id": "12", "received": "2024-05-01", "score": "0.25", "flag": "true",
            "when": "2024-05-01 09:30:00",
        },
        {"id": "", "received": "", "score": "", "flag": "", "when": ""},
        {"id": "13", "received": "2024-06-02", "score": "", "flag": "false", "when": ""},
    ]


def test_tables_xlsx_empty_rows_above_the_header_are_refused_as_in_a_csv(tmp_path: Path) -> None:
    """Reproduction: a sheet with its header in row 3 was read with rows numbered from a header in row 1, so the
    review file's input_row for the report in sheet row 8 said 6, another resident's report."""
    path = _workbook(tmp_path / "r.xlsx", [[None, None], [None, None], ["id", "text"], ["X0", "bins"]])
    with pytest.raises(DataError, match=r"sheet 'Reports': expected the header in row 1, found it in row 3 \(rows "
                                        r"1-2 are empty\); delete the empty rows above it"):
        read_rows(path)


def test_tables_xlsx_formula_without_a_saved_result_is_named_not_read_as_empty(tmp_path: Path) -> None:
    # openpyxl cannot calculate, so a workbook it saved has no saved formula results: reading the cell as ""
    # would turn a report into an empty one unnoticed.
    path = _workbook(tmp_path / "r.xlsx", [["a", "b", "text"], [1, 2, "ok"], [3, 4, '=A3&" report"']])
    with pytest.raises(DataError, match=r"sheet 'Reports' cell C3: expected a value, found a formula whose "
                                        r"result was never saved.*Open the workbook in Excel or LibreOffice"):
        read_rows(path)


def test_tables_xlsx_formula_reads_its_saved_result_even_an_empty_one(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "r.xlsx", [["a", "b", "total", "note"], [1, 2, "=A2+B2", '=IF(A2>5,"big","")']])
    save_formula_results(path, {"C2": "3", "D2": ""})
    assert read_rows(path) == [{"a": "1", "b": "2", "total": "3", "note": ""}]


def test_tables_xlsx_merged_and_empty_header_cells_get_names(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Report", None, None, "text", "text"])
    sheet.merge_cells("A1:B1")
    sheet.append(["r1", "x", "y", "hello", "again"])
    workbook.save(path)
    with TableReader(path) as reader:
        assert reader.columns == ["Report", "column_2", "column_3", "text", "text_2"]
        assert list(reader) == [
            {"Report": "r1", "column_2": "x", "column_3": "y", "text": "hello", "text_2": "again"}
        ]


def test_tables_xlsx_named_sheet_and_unknown_sheet(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    workbook = Workbook()
    workbook.active.title = "Cover"
    workbook.active.append(["nothing here"])
    data = workbook.create_sheet("Data")
    data.append(["id", "text"])
    data.append([1, "hello"])
    workbook.save(path)
    assert read_rows(path, sheet="Data") == [{"id": "1", "text": "hello"}]
    assert read_rows(path, sheet="data") == [{"id": "1", "text": "hello"}]  # as Excel, ignoring case
    with pytest.raises(DataError, match=r"'Missing'.*'Cover', 'Data'"):
        read_rows(path, sheet="Missing")


def test_tables_xlsx_value_outside_header_raises(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "r.xlsx", [["id", "text"], [1, "a", "stray"]])
    with pytest.raises(DataError, match="row 2.*column 3"):
        read_rows(path)


def test_tables_xlsx_writer_never_writes_formulas(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.xlsx", TRICKY_ROWS)
    sheet = load_workbook(path).active
    texts = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert texts[4].value.startswith("=HYPERLINK")
    assert all(cell.data_type == "s" for cell in texts if cell.value)


def test_tables_xlsx_writer_numbers_stay_numbers_and_control_chars_replaced(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.xlsx", [{"id": 3, "text": "bell\x07", "labels": 0.5}])
    sheet = load_workbook(path).active
    assert [cell.value for cell in sheet[2]] == [3, "bell\ufffd", 0.5]


def test_tables_xlsx_writer_several_sheets(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    with AtomicTableWriter(path, ["a"], sheet_title="first") as writer:
        writer.write_rows([{"a": "1"}])
        writer.start_sheet("second", ["b", "c"])
        writer.write_rows([{"b": "2", "c": "3"}])
    assert read_rows(path, sheet="second") == [{"b": "2", "c": "3"}]
    assert read_rows(path) == [{"a": "1"}]


def test_tables_jsonl_union_of_keys_in_first_seen_order(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(
        '{"text": "a", "labels": ["immigration", "misinformation"]}\n'
        '{"text": "b", "labels": [], "received": "2024-01-02", "n": 3, "ok": true, "x": null}\n'
        "{}\n\n",
        encoding="utf-8",
    )
    with TableReader(path) as reader:
        assert reader.columns == ["text", "labels", "received", "n", "ok", "x"]
        rows = list(reader)
    assert rows[0] == {
        "text": "a", "labels": "immigration;misinformation", "received": "", "n": "", "ok": "", "x": "",
    }
    assert rows[1] == {"text": "b", "labels": "", "received": "2024-01-02", "n": "3", "ok": "true", "x": ""}
    assert rows[2] == dict.fromkeys(reader.columns, "")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "a"}\n["not", "an", "object"]\n', "line 2: expected a JSON object"),
        ('{"text": "a"}\n{"text": broken}\n', "line 2: expected one JSON object per line"),
        ('{"text": "a"}\n\n{"text": "b"}\n', "line 2: expected a JSON object, found a blank line"),
        ('{"text": NaN}\n', "line 1: found NaN, which is not JSON"),
        ('{"text": "a", "n": -Infinity}\n', "line 1: found -Infinity, which is not JSON"),
        ('{"text": "a", "n": 1e999}\n', "line 1: the number 1e999 is too large"),
        ('{"text": "one", "text": "two"}\n', "line 1: the key 'text' appears twice in one object"),
        ('{"text": "a\x01b"}\n', r"line 1: .*\(Invalid control character at column 12\)"),
    ],
)
def test_tables_jsonl_bad_line_raises_with_line_number(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        read_rows(path)


def test_tables_jsonl_writer_one_object_per_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.jsonl", TRICKY_ROWS)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(TRICKY_ROWS)
    assert json.loads(lines[2])["text"] == TRICKY_ROWS[2]["text"]


def test_tables_atomic_writer_leaves_nothing_on_exception(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(KeyboardInterrupt), AtomicTableWriter(target, COLUMNS) as writer:
        writer.write_rows(TRICKY_ROWS)
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_tables_atomic_writer_keeps_old_file_until_commit(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    _write(target, TRICKY_ROWS[:1])
    writer = AtomicTableWriter(target, COLUMNS)
    writer.write_rows(TRICKY_ROWS)
    assert writer.temp_path.name.startswith(".out.xlsx.") and writer.temp_path.suffix == ".part"
    assert len(read_rows(target)) == 1
    writer.commit()
    assert len(read_rows(target)) == len(TRICKY_ROWS)
    assert [path.name for path in tmp_path.iterdir()] == ["out.xlsx"]
    with pytest.raises(DataError, match="already committed"):
        writer.write_rows(TRICKY_ROWS)


def test_tables_atomic_writer_abort_removes_temp(tmp_path: Path) -> None:
    writer = AtomicTableWriter(tmp_path / "out.jsonl", COLUMNS)
    writer.write_rows(TRICKY_ROWS)
    writer.abort()
    writer.abort()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["out.csv", "out.xlsx"])
def test_tables_atomic_writer_abort_removes_temp_even_when_interrupted_half_way(tmp_path: Path, monkeypatch,
                                                                               name) -> None:
    """A second Ctrl-C during the clean-up of the first must not leave the file of report text behind."""
    writer = AtomicTableWriter(tmp_path / name, COLUMNS)
    writer.write_rows(TRICKY_ROWS)

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(writer, "_discard_xlsx", interrupted)
    with pytest.raises(KeyboardInterrupt):
        writer.abort()
    assert not writer.temp_path.exists()
    monkeypatch.undo()
    writer._discard_xlsx()  # what the interruption skipped: openpyxl's own sheet files
    assert list(tmp_path.iterdir()) == []


def test_tables_atomic_writer_unknown_key_raises(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"found also \['surprise'\]"), AtomicTableWriter(
        tmp_path / "out.csv", COLUMNS
    ) as writer:
        writer.write_rows([{"id": "1", "surprise": "x"}])
    assert list(tmp_path.iterdir()) == []


def test_tables_atomic_writer_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="create it"):
        AtomicTableWriter(tmp_path / "nope" / "out.csv", COLUMNS)


def test_tables_csv_guard_formulas_option(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", TRICKY_ROWS, guard_formulas=True)
    rows = read_rows(path)
    assert rows[4]["text"] == "'" + TRICKY_ROWS[4]["text"]
    assert rows[0]["text"] == TRICKY_ROWS[0]["text"]


def test_tables_find_column_given_and_candidates() -> None:
    columns = ["ID", "Report Text", "Received"]
    assert find_column(columns, ["text", "report text"]) == "Report Text"
    assert find_column(columns, ["text"], given="received", purpose="date") == "Received"


def test_tables_find_column_spaces_and_hyphens_stand_for_underscores() -> None:
    from classifier.io.columns import TEXT_COLUMNS

    for header in (["ID", "Report Text", "Date"], ["id", "report-text"], ["id", " REPORT_TEXT "]):
        assert find_column(header, TEXT_COLUMNS) == header[1]


def test_tables_find_column_errors_list_columns() -> None:
    with pytest.raises(DataError, match=r"looked for 'text', 'report'.*'ID', 'Body'.*--text-column"):
        find_column(["ID", "Body"], ["text", "report"])
    with pytest.raises(DataError, match=r"named 'when'.*'ID', 'Body'.*--date-column"):
        find_column(["ID", "Body"], ["date"], given="when", purpose="date")


@pytest.mark.parametrize(("header", "name"), [("id;text", "semicolons"), ("id\ttext", "tabs"), ("id,text", "commas")])
def test_tables_a_header_read_as_one_column_says_which_separator_it_holds(tmp_path: Path, header, name) -> None:
    path = tmp_path / ("export.tsv" if name == "commas" else "export.csv")
    path.write_text(f"{header}\n1{header[2]}hello\n", encoding="utf-8")
    with TableReader(path) as reader, pytest.raises(DataError, match=f"looks separated by {name}.*tab-separated"):
        find_column(reader.columns, ["text"])
    with pytest.raises(DataError) as plain:  # several columns: no hint
        find_column(["ID", "Body;x"], ["text"])
    assert "separated by" not in str(plain.value)


def test_tables_a_header_below_a_title_is_named_by_its_row(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["Community tension log, April 2024"])  # a title, with a comma
    book.active.append([])
    book.active.append(["ref", "received", "Report Text"])
    book.active.append(["A1", "2024-04-01", "Graffiti on the bus shelter"])
    book.save(tmp_path / "log.xlsx")
    (tmp_path / "log.csv").write_text("Tension log\nref,text\nA1,Bins\n", encoding="utf-8")
    for name, row, above in (("log.xlsx", 3, "2 rows"), ("log.csv", 2, "1 row")):
        with TableReader(tmp_path / name) as reader, pytest.raises(DataError) as error:
            find_column(reader.columns, ["text", "report_text"], path=reader.path, sheet=reader.sheet_title)
        message = str(error.value)
        assert f"Row {row} looks like the header" in message and f"delete the {above} above it" in message
        assert "separated by" not in message and "Graffiti" not in message
    # A title of several words reads like a report: the header below it is the one diagnosis given, not also "is the
    # first row a report rather than a header? Add a header row", which contradicted it.
    (tmp_path / "title.csv").write_text("Community tension log for the Greyfriars ward\nref,text\nA1,Bins\n",
                                        encoding="utf-8")
    with TableReader(tmp_path / "title.csv") as reader, pytest.raises(DataError) as error:
        find_column(reader.columns, ["text"], path=reader.path)
    assert "Row 2 looks like the header" in str(error.value) and "Add a header row" not in str(error.value)
    # A value that reads like a column name in a table whose first row is its header is not a header.
    (tmp_path / "kinds.csv").write_text("id,kind\n1,Summary\n", encoding="utf-8")
    with TableReader(tmp_path / "kinds.csv") as reader, pytest.raises(DataError) as error:
        find_column(reader.columns, ["text", "summary"], path=reader.path)
    assert "looks like the header" not in str(error.value) and "--text-column" in str(error.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ""), (12.0, "12"), (0.1, "0.1"), (True, "true"), (dt.date(2024, 1, 2), "2024-01-02"), ("x", "x")],
)
def test_tables_cell_to_str(value: object, expected: str) -> None:
    assert cell_to_str(value) == expected


def test_tables_xlsx_writer_lays_out_the_sheet_for_reading(tmp_path: Path) -> None:
    long_text = "a report long enough to wrap " * 5
    rows = [
        {"id": 12345, "received": dt.datetime(2024, 3, 10, 10, 0), "day": dt.date(2024, 3, 11), "text": long_text,
         "score": 0.25, "flag": True},
        {"id": 12346, "received": dt.datetime(2024, 3, 11), "day": None, "text": "", "score": None, "flag": False},
    ]
    path = _write(tmp_path / "r.xlsx", rows, list(rows[0]), sheet_title="Backlog", number_formats={"score": "0.00"})

    sheet = load_workbook(path)["Backlog"]
    header = sheet[1]
    assert [cell.value for cell in header] == list(rows[0])
    assert all(cell.font.b and cell.fill.fill_type == "solid" for cell in header)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F3"
    first, second = sheet[2], sheet[3]
    # An Excel date is a datetime at midnight: the same cell text either way.
    assert [cell_to_str(cell.value) for cell in first] == [cell_to_str(value) for value in rows[0].values()]
    assert [cell.number_format for cell in first[1:3]] == ["yyyy-mm-dd hh:mm", "yyyy-mm-dd"]
    assert second[1].number_format == "yyyy-mm-dd"  # midnight: a plain date, as Excel stores one
    assert first[4].number_format == "0.00" and first[5].data_type == "b"
    assert [second[i].value for i in (2, 3, 4)] == [None, None, None]  # empty cells stay empty
    assert first[3].alignment.wrap_text and not first[0].alignment.wrap_text
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCD"}
    assert widths["A"] < widths["B"] < widths["D"] == 60


def test_tables_xlsx_writer_header_of_an_empty_table_is_laid_out_too(tmp_path: Path) -> None:
    sheet = load_workbook(_write(tmp_path / "r.xlsx", [])).active
    assert [cell.value for cell in sheet[1]] == COLUMNS and sheet[1][0].font.b
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:C1"


def test_tables_xlsx_copy_sheet_keeps_cells_where_they_stood_and_sheet_order(tmp_path: Path) -> None:
    source = tmp_path / "in.xlsx"
    workbook = Workbook()
    workbook.active.title = "Cover"
    workbook.active.append(["prepared", dt.date(2024, 4, 1)])
    workbook.active["C4"] = "=not a formula"
    workbook.active["C4"].data_type = "s"
    workbook.create_sheet("Backlog").append(["id", "text"])
    workbook["Backlog"].append([1, "hello"])
    workbook.save(source)
    with TableReader(source, sheet="Backlog") as reader:
        assert (reader.sheet_title, reader.sheet_names, reader.worksheet_names) == (
            "Backlog", ["Cover", "Backlog"], ["Cover", "Backlog"])

    target = tmp_path / "out.xlsx"
    with AtomicTableWriter(target, ["id", "text"], sheet_title="Backlog") as writer:
        writer.write_rows([{"id": 1, "text": "hello"}])
        assert writer.copy_sheet("Cover", TableReader(source, sheet="Cover").iter_sheet_cells()) == 4
        writer.order_sheets(["Cover", "Backlog"], active="Backlog")

    out = load_workbook(target)
    assert out.sheetnames == ["Cover", "Backlog"] and out.active.title == "Backlog"
    assert out["Cover"]["A1"].value == "prepared" and out["Cover"]["B1"].value == dt.datetime(2024, 4, 1)
    assert out["Cover"]["C4"].value == "=not a formula" and out["Cover"]["C4"].data_type == "s"
    assert out["Backlog"].auto_filter.ref == "A1:B2"


def test_tables_xlsx_reader_closes_every_file_it_opens_even_on_a_bad_workbook(tmp_path: Path, monkeypatch) -> None:
    # The zip-bomb check hands an open file to zipfile.ZipFile, which never closes a file it was given.
    handles = []
    real = TableReader._open_binary

    def watched(self):
        handles.append(real(self))
        return handles[-1]

    monkeypatch.setattr(TableReader, "_open_binary", watched)
    with TableReader(_write(tmp_path / "r.xlsx", TRICKY_ROWS)) as reader:
        assert len(list(reader)) == len(TRICKY_ROWS)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip archive at all")
    with pytest.raises(DataError, match="zip archive"):
        TableReader(bad).open()
    assert len(handles) == 2 and all(handle.closed for handle in handles)


def test_tables_a_password_protected_or_old_format_workbook_says_so(tmp_path: Path) -> None:
    # An encrypted .xlsx and an Excel 97-2003 file are both OLE2 compound files, not zip archives.
    locked = tmp_path / "locked.xlsx"
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(DataError, match="protected by a password.*97-2003.*remove the password") as error:
        TableReader(locked).open()
    assert "found something else" not in str(error.value)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_tables_utf16_without_a_byte_order_mark_is_named_not_misread(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes("id,text\n1,hello there\n".encode(encoding))
    with pytest.raises(DataError, match="looks like UTF-16 text without a byte-order mark"):
        read_rows(path)


def test_tables_a_utf8_file_with_a_byte_order_mark_and_one_bad_byte_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfid,text\n1,they said \xe2\x80\x9cgo back\xe2\x80\x9d\n2,caf\xe9\n")
    with pytest.raises(DataError, match=r"bom.csv line 3: expected UTF-8 text \(the file starts with a UTF-8"):
        read_rows(path)


def test_tables_legacy_encoding_warning_names_the_first_line_that_is_not_utf8(tmp_path):
    path = tmp_path / "legacy.csv"
    path.write_bytes(b"id,text\n1,fine\n2,caf\xe9\n")
    with pytest.warns(EncodingFallbackWarning, match=r"not valid UTF-8 \(first at line 3\)"):
        assert read_rows(path)[1]["text"] == "caf\u00e9"


def test_tables_an_excel_sep_line_above_the_header_is_read_or_refused_with_its_separator(tmp_path):
    comma = tmp_path / "comma.csv"
    comma.write_text("sep=,\nid,text\n1,bins\n", encoding="utf-8")
    assert read_rows(comma) == [{"id": "1", "text": "bins"}]
    semicolon = tmp_path / "semicolon.csv"
    semicolon.write_text("sep=;\nid;text\n1;bins\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"declares ';' as its separator"):
        read_rows(semicolon)


@pytest.mark.parametrize(("name", "advice"), [("export.txt", "rename it to .tsv"), ("old.xls", "save it as .xlsx"),
                                              ("notes.pdf", "save the file in one of those formats")])
def test_tables_an_unsupported_extension_gets_advice_for_what_it_probably_is(name, advice):
    from classifier.io.tables import table_format

    with pytest.raises(DataError, match=advice):
        table_format(name)


def test_tables_a_sheet_named_for_a_file_without_sheets_is_refused(tmp_path):
    from classifier.errors import ConfigError

    path = tmp_path / "backlog.csv"
    path.write_text("id,text\n1,bins\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="belongs to an Excel workbook, but this is a .csv file"):
        read_rows(path, sheet="Reports")


@pytest.mark.parametrize(("head", "message"), [
    (b"PK\x03\x04" + b"\x00" * 40, r"found a zip archive: an Excel workbook \(.xlsx\) given another name\? Rename it"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, r"found an old Excel workbook \(.xls\)"),
    (codecs.BOM_UTF32_LE + "id,text\n1,x\n".encode("utf-32-le"), r"found UTF-32 \(its byte-order mark says so\)"),
])
def test_tables_a_workbook_or_utf32_named_csv_is_named_for_what_it_is(tmp_path: Path, head, message) -> None:
    """Reproduction: an .xlsx renamed .csv was 'read as latin-1', then 'is the first row a report rather than a
    header?'; a UTF-32 file was called UTF-16 without a byte-order mark."""
    path = tmp_path / "export.csv"
    path.write_bytes(head)
    with pytest.raises(DataError, match=message):
        read_rows(path)


def test_tables_excel_escapes_in_workbook_strings_are_read_as_their_characters(tmp_path):
    """Reproduction: a workbook saved by Excel with line breaks pasted from an e-mail keeps '_x000D_' in its shared
    strings; it stayed in the text and the output ('mosque_x000D' shown as a reason)."""
    import zipfile

    from openpyxl import Workbook

    path = tmp_path / "excel.xlsx"
    workbook = Workbook()
    workbook.active.append(["text"])
    workbook.active.append(["MARKER1"])
    workbook.active.append(["MARKER2"])
    workbook.save(path)
    with zipfile.ZipFile(path) as source:
        items = [(item.filename, source.read(item.filename)) for item in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in items:
            data = data.replace(b"MARKER1", b"mosque_x000D_\nattacked").replace(b"MARKER2", b"literal _x005F_x000D_")
            target.writestr(name, data)
    assert [row["text"] for row in read_rows(path)] == ["mosque\r\nattacked", "literal _x000D_"]


def _shared_strings_workbook(path: Path, strings: list[str], inline: str) -> Path:
    """A workbook as Excel writes it: column A's cells from a shared string table holding `strings` (raw XML
    text), B2 an inline string `inline` (raw XML text)."""
    import zipfile

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["id", "text"])
    workbook.active.append([f"SHARED{index}" for index in range(len(strings))][:1] + ["INLINE"])
    for index in range(1, len(strings)):
        workbook.active.append([f"SHARED{index}"])
    workbook.save(path)
    with zipfile.ZipFile(path) as source:
        items = [(item.filename, source.read(item.filename).decode()) for item in source.infolist()]
    table = "".join(f"<si><t>{text}</t></si>" for text in strings)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in items:
            for index in range(len(strings)):
                data = data.replace(f'<c r="A{index + 2}" t="inlineStr"><is><t>SHARED{index}</t></is></c>',
                                    f'<c r="A{index + 2}" t="s"><v>{index}</v></c>')
            data = data.replace(">INLINE<", f">{inline}<").replace("</Types>", (
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')).replace("</Relationships>", (
                '<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                'sharedStrings" Target="sharedStrings.xml"/></Relationships>') if name.endswith("workbook.xml.rels")
                else "</Relationships>")
            target.writestr(name, data)
        target.writestr("xl/sharedStrings.xml", '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                        f'openxmlformats.org/spreadsheetml/2006/main">{table}</sst>')
    return path


def test_tables_excel_escapes_are_decoded_once_and_written_back_as_excel_shows_them(tmp_path):
    """Reproduction: openpyxl already turns a shared string's '_x005F_x0041_' (Excel's escape of the literal
    '_x0041_') into '_x0041_', which the reader decoded again: the ID 'CASE_x0041_' was written out as 'CASEA'."""
    path = _shared_strings_workbook(tmp_path / "in.xlsx", ["CASE_x005F_x0041_", "line_x000D_end"],
                                    "IMG_x005F_x2024_ and_x000D_more")
    rows = read_rows(path)
    assert [row["id"] for row in rows] == ["CASE_x0041_", "line\rend"]
    assert rows[0]["text"] == "IMG_x2024_ and\rmore"
    with AtomicTableWriter(tmp_path / "out.xlsx", ["id", "text"]) as writer:
        writer.write_rows(rows)
    written = read_rows(tmp_path / "out.xlsx")  # written '_x005F_x0041_', which Excel also reads as '_x0041_'
    assert [row["id"] for row in written] == ["CASE_x0041_", "line\nend"]  # XML reads a lone CR as a line end
    assert written[0]["text"] == "IMG_x2024_ and\nmore"


def test_tables_a_jsonl_key_that_reads_like_report_text_is_not_quoted(tmp_path):
    """Reproduction: a JSON Lines object with a long key twice ('Mrs Zorbalinski of 14 Heron Way phoned 07700
    900123 about abuse') had the key printed in the error."""
    key = "Mrs Zorbalinski of 14 Heron Way phoned about abuse"
    path = tmp_path / "dup.jsonl"
    path.write_text(json.dumps({"text": "a report"}) + "\n" + f'{{"{key}": 1, "{key}": 2, "text": "x"}}\n',
                    encoding="utf-8")
    with pytest.raises(DataError, match=r"the key \(50 characters, not shown") as caught:
        read_rows(path)
    assert "Zorbalinski" not in str(caught.value)
