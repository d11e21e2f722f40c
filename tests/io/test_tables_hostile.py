"""Tests for classifier.io.tables on files that are broken or built to hurt: stray quotes, huge cells,
workbooks that unpack to gigabytes or declare a million rows, and cells that are not what they claim.

Each test starts from the reproduction in the hardening issue. Messages must name the line, row or cell
and the fix, and must never quote a report.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from classifier.errors import ConfigError, DataError
from classifier.io.tables import ReadLimits, TableReader, read_rows
from tests.helpers import BACKLOG

SECRET = "Sent back where they came from"


# -- CSV / TSV: stray quotes ------------------------------------------------------------------------------

def test_tables_tsv_stray_quote_stops_instead_of_merging_rows(tmp_path):
    # The printf reproduction: the old reader gave 2 rows, the second swallowing rows 3 and 4.
    path = tmp_path / "x.tsv"
    path.write_text(f'id\ttext\n1\tok\n2\t"{SECRET}\n3\tthree\n4\tfour\n', encoding="utf-8")

    with pytest.raises(DataError, match=r"x.tsv row 3 \(line 3\).*end of the file on line 5.*--quoting none") as error:
        read_rows(path)
    assert SECRET not in str(error.value)


def test_tables_quoting_none_reads_quotes_as_text(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text(f'id\ttext\n1\tok\n2\t"{SECRET}\n3\tthree\n4\tfour\n', encoding="utf-8")

    rows = read_rows_with(path, quoting="none")

    assert [row["id"] for row in rows] == ["1", "2", "3", "4"]
    assert rows[1]["text"] == f'"{SECRET}'


def read_rows_with(path, **options):
    with TableReader(path, **options) as reader:
        return list(reader)


def _backlog_rows() -> list[dict[str, str]]:
    with open(BACKLOG, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("style", ["excel", "plain"])
def test_tables_backlog_as_tsv_with_one_stray_quote_names_row_and_line(tmp_path, style):
    # The issue: backlog_sample.csv as TSV with a stray quote at row 150 came out as 150 rows.
    rows = _backlog_rows()
    assert len(rows) == 525
    path = tmp_path / "backlog.tsv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        if style == "excel":  # quoted cells where needed, quotes doubled, as Excel writes TSV
            writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
            write_row = writer.writerow
        else:  # no quoting at all, as many database exports write TSV
            def write_row(values):
                handle.write("\t".join(value.replace("\n", " ") for value in values) + "\n")
        write_row(list(rows[0]))
        for number, row in enumerate(rows, start=1):
            if number == 150:  # the resident typed an opening quote the export did not escape
                handle.write("\t".join([*list(row.values())[:-1], '"' + row["text"]]) + "\n")
            else:
                write_row(list(row.values()))

    with pytest.raises(DataError, match=r"row 151 \(lines? 15[14]-.*--quoting none") as error:
        read_rows(path)
    assert rows[149]["text"][:30] not in str(error.value)
    if style == "plain":
        fixed = read_rows_with(path, quoting="none")
        assert len(fixed) == 525
        assert fixed[149]["text"] == '"' + rows[149]["text"]


def test_tables_quoted_cell_closing_on_a_later_line_followed_by_text_raises(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text('id\ttext\n1\t"stray\n2\the said "go home" twice\n3\tok\n', encoding="utf-8")

    with pytest.raises(DataError, match=r"row 2 \(lines 2-3\).*line 3.*stray quote"):
        read_rows(path)


def test_tables_runaway_quoted_cell_stops_at_the_line_limit(tmp_path):
    lines = ["id,text", '1,"a stray quote'] + [f"{i},report {i}" for i in range(2, 500)]
    path = tmp_path / "x.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(DataError, match=r"row 2 \(line 2\).*within 5 line breaks.*line 8.*--max-field-lines"):
        read_rows_with(path, limits=ReadLimits(max_field_lines=5))


def test_tables_long_multiline_cells_read_when_the_limit_allows(tmp_path):
    text = "\n".join(f"paragraph {i}" for i in range(150))
    path = tmp_path / "x.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["id", "text"], ["1", text], ["2", "short"]])

    with pytest.raises(DataError, match="within 100 line breaks"):
        read_rows(path)
    with TableReader(path, limits=ReadLimits(max_field_lines=200)) as reader:
        rows = list(reader)
        assert [row["text"] for row in rows] == [text, "short"]
        assert (reader.lines_read, reader.multiline_rows, reader.longest_row_lines) == (152, 1, 150)


def test_tables_quoted_cell_longer_than_the_limit_is_called_long_with_the_limit_it_needs(tmp_path):
    # The tester's Outlook export: a properly quoted 124-line Body was diagnosed as a stray quote.
    body = "\n".join(f"{SECRET} {i}" for i in range(125))
    path = tmp_path / "outlook.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(
            [["Subject", "Body", "From: (Name)"], ["Re: noise", body, "A"], ["Hi", "short", "B"]])

    with pytest.raises(DataError, match=r"row 2 \(lines 2-126\).*within 100 line breaks.*closes cleanly after "
                                        r"124 .*--max-field-lines 124 or more") as error:
        read_rows(path)
    assert "stray quote." not in str(error.value) and "--quoting none" not in str(error.value)
    assert SECRET not in str(error.value)
    with pytest.raises(DataError, match="closes cleanly after 124"):
        read_rows_with(path, limits=ReadLimits(max_field_lines=123))
    assert [row["Body"] for row in read_rows_with(path, limits=ReadLimits(max_field_lines=124))] == [body, "short"]


@pytest.mark.parametrize("ending", ['1,closing" quote\n', 'closing"\n', 'closing",x,y\n', "never closes\n"],
                         ids=["text after the closing quote", "too few cells", "too many cells", "end of the file"])
def test_tables_quote_past_the_limit_that_is_no_long_cell_is_still_called_stray(tmp_path, ending):
    path = tmp_path / "x.csv"
    path.write_text("id,text,from\n" + '1,"a stray quote,x\n' + "1,ok,x\n" * 10 + ending + "1,ok,x\n" * 3,
                    encoding="utf-8")

    with pytest.raises(DataError, match=r"row 2 \(line 2\).*within 5 line breaks.*line 8.*probably starts with a "
                                        "stray quote.*--quoting none"):
        read_rows_with(path, limits=ReadLimits(max_field_lines=5))


def test_tables_excel_style_tsv_with_quoted_tabs_and_line_breaks_still_reads(tmp_path):
    texts = ['He said "go home"\tthen left', "line one\nline two", '"quoted" start', "plain"]
    path = tmp_path / "x.tsv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["id", "text"])
        writer.writerows([str(i), text] for i, text in enumerate(texts))

    assert [row["text"] for row in read_rows(path)] == texts


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_tables_quoted_phrase_at_the_start_of_a_cell_keeps_its_quotes(tmp_path, delimiter):
    # A resident's text, not CSV quoting: the csv module used to drop both quotes.
    text = '"no more hotels" sprayed on the wall'
    path = tmp_path / ("x.csv" if delimiter == "," else "x.tsv")
    path.write_text(f"id{delimiter}text{delimiter}n\n1{delimiter}{text}{delimiter}x\n2{delimiter}ok{delimiter}y\n",
                    encoding="utf-8")

    assert read_rows(path) == [{"id": "1", "text": text, "n": "x"}, {"id": "2", "text": "ok", "n": "y"}]


def test_tables_stray_quote_on_the_last_line_is_read_as_text(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text('id\ttext\n1\tok\n2\t"unfinished', encoding="utf-8")

    assert read_rows(path)[1] == {"id": "2", "text": '"unfinished'}


def test_tables_bad_quoting_option_fails_clearly(tmp_path):
    with pytest.raises(ConfigError, match="'quoting'.*'standard', 'none'.*'csv'"):
        TableReader(tmp_path / "x.csv", quoting="csv")
    with pytest.raises(ConfigError, match="'max_field_lines'.*an int >= 0. Got -1"):
        ReadLimits(max_field_lines=-1)
    with pytest.raises(ConfigError, match="'max_columns'.*a positive int. Got 0"):
        ReadLimits(max_columns=0)


def test_tables_stray_quote_closing_at_a_later_line_end_is_counted_and_refused_in_strict_mode(tmp_path):
    # A stray opening quote whose cell closes at the end of a later line (a report ending in a quote) merges
    # rows 1-3 into one well-formed cell: the reader cannot tell it from a real multi-line report, so it says
    # how many lines the rows took, and --max-field-lines 0 (one report per line) refuses it.
    path = tmp_path / "x.tsv"
    path.write_text(f'id\ttext\n1\t"{SECRET}\n2\tsomething\n3\tthey said go home"\n4\tok\n', encoding="utf-8")

    with TableReader(path) as reader:
        assert len(list(reader)) == 2
        assert (reader.lines_read, reader.multiline_rows, reader.longest_row_lines) == (5, 1, 3)
    with pytest.raises(DataError, match=r"x.tsv row 2 \(line 2\): expected every quoted cell to close on the line "
                                        r"it opens \(--max-field-lines 0\).*--quoting none") as error:
        read_rows_with(path, limits=ReadLimits(max_field_lines=0))
    assert SECRET not in str(error.value)


def test_tables_strict_mode_still_reads_quoted_delimiters_and_quotes(tmp_path):
    path = tmp_path / "x.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["id", "text"], ["1", 'He said "go home", twice'], ["2", '"quoted" start']])

    assert [row["text"] for row in read_rows_with(path, limits=ReadLimits(max_field_lines=0))] == [
        'He said "go home", twice', '"quoted" start']


# -- CSV/TSV/JSONL: headers that make every row wide ----------------------------------------------------

@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_tables_delimited_header_wider_than_the_limit_raises_before_any_row(tmp_path, delimiter):
    # A 167 KB CSV whose header names 20,000 columns, under 2,000 one-cell rows: every row was padded to
    # 20,000 cells and `tension label` was still running after 10 minutes (the XLSX dimension attack, in CSV).
    path = tmp_path / ("x.csv" if delimiter == "," else "x.tsv")
    header = delimiter.join(["text", *(f"c{i}" for i in range(20_000))])
    path.write_text(header + "\n" + "bins not collected\n" * 2000, encoding="utf-8")
    assert path.stat().st_size < 200_000

    started = time.perf_counter()
    with pytest.raises(DataError, match=r"the header \(line 1\): expected at most 1000 columns, found 20,001; "
                                        "delete the columns right of the data"):
        read_rows(path)
    assert time.perf_counter() - started < 2
    with TableReader(path, limits=ReadLimits(max_columns=20_001)) as reader:
        assert len(reader.columns) == 20_001


def test_tables_jsonl_more_keys_than_the_limit_raises(tmp_path):
    path = tmp_path / "x.jsonl"
    wide = {f"k{i}": None for i in range(1_500)}
    path.write_text('{"text": "a"}\n' + json.dumps(wide) + "\n" + '{"text": "b"}\n' * 1000, encoding="utf-8")

    with pytest.raises(DataError, match=r"x.jsonl line 2: expected at most 1000 distinct keys \(columns\)"):
        read_rows(path)


# -- CSV: huge cells ------------------------------------------------------------------------------------

def test_tables_csv_cell_over_131072_characters_is_read(tmp_path):
    # The csv module's default limit aborted with "field larger than field limit", blamed on quotes.
    text = "word " * 40_000
    path = tmp_path / "x.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["id", "text"], ["1", text], ["2", "ok"]])

    assert [row["text"] for row in read_rows(path)] == [text, "ok"]


# -- XLSX: small files that make long work ------------------------------------------------------------

_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c>'
               '<c r="B1" t="inlineStr"><is><t>text</t></is></c></row>')


def _sheet(rows_xml: str, dimension: str = "A1:B2") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {_MAIN}>'
            f'<dimension ref="{dimension}"/><sheetData>{rows_xml}</sheetData></worksheet>').encode()


def _workbook_with(path: Path, parts: dict[str, bytes]) -> Path:
    """A real openpyxl workbook with some of its zip parts replaced or added."""
    workbook = Workbook()
    workbook.active.append(["id", "text"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        names = source.namelist()
        for name in names + [name for name in parts if name not in names]:
            target.writestr(name, parts[name] if name in parts else source.read(name))
    return path


def test_tables_xlsx_last_row_numbered_1048576_does_not_make_a_million_rows(tmp_path):
    sheet = _sheet(_HEADER_ROW + '<row r="2"><c r="A2"><v>1</v></c></row>'
                   '<row r="1048576"><c r="A1048576"><v>2</v></c></row>', "A1:B1048576")
    path = _workbook_with(tmp_path / "x.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    assert path.stat().st_size < 5000

    started = time.perf_counter()
    with pytest.raises(DataError, match=r"at most 10,000 empty rows.*1,048,573 before row 1,048,576.*delete"):
        read_rows(path)
    assert time.perf_counter() - started < 2


def test_tables_xlsx_trailing_empty_rows_are_skipped_not_materialised(tmp_path):
    sheet = _sheet(_HEADER_ROW + '<row r="2"><c r="A2"><v>1</v><c r="XFD2" s="1"/></c></row>'
                   '<row r="1048576"><c r="A1048576" s="1"/></row>', "A1:XFD1048576")
    path = _workbook_with(tmp_path / "x.xlsx", {"xl/worksheets/sheet1.xml": sheet})

    started = time.perf_counter()
    assert read_rows(path) == [{"id": "1", "text": ""}]
    assert time.perf_counter() - started < 2


def test_tables_xlsx_declared_dimension_is_not_trusted(tmp_path):
    # A1:XFD4000 made openpyxl pad each of 4,000 rows to 16,384 cells.
    body = _HEADER_ROW + "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(2, 4001))
    path = _workbook_with(tmp_path / "x.xlsx", {"xl/worksheets/sheet1.xml": _sheet(body, "A1:XFD4000")})

    started = time.perf_counter()
    rows = read_rows(path)
    assert len(rows) == 3999 and rows[-1] == {"id": "4000", "text": ""}
    assert time.perf_counter() - started < 5


def test_tables_xlsx_header_wider_than_the_limit_raises(tmp_path):
    body = '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="XFD1"><v>1</v></c></row>'
    path = _workbook_with(tmp_path / "x.xlsx", {"xl/worksheets/sheet1.xml": _sheet(body)})

    with pytest.raises(DataError, match="header of at most 1000 columns, found a value in column 16384"):
        read_rows(path)


def test_tables_xlsx_row_number_beyond_the_limit_raises(tmp_path):
    body = _HEADER_ROW + '<row r="2"><c r="A2"><v>1</v></c></row><row r="50"><c r="A50"><v>2</v></c></row>'
    path = _workbook_with(tmp_path / "x.xlsx", {"xl/worksheets/sheet1.xml": _sheet(body)})

    with pytest.raises(DataError, match="at most 10 rows, found row 50"):
        read_rows_with(path, limits=ReadLimits(max_rows=10))


def test_tables_xlsx_compressed_shared_strings_bomb_is_refused_before_parsing(tmp_path):
    # A few KB of zipped shared strings that unpack to megabytes of tiny strings (the 46 s, 350 MB).
    strings = (f'<?xml version="1.0" encoding="UTF-8"?><sst {_MAIN}>'.encode()
               + b"<si><t>a</t></si>" * 250_000 + b"</sst>")
    path = _workbook_with(tmp_path / "x.xlsx", {"xl/sharedStrings.xml": strings})
    assert path.stat().st_size < 60_000

    with pytest.raises(DataError, match=r"compressed at most 100 to 1, found 'xl/sharedStrings.xml'.*CSV"):
        read_rows(path)


def test_tables_xlsx_unpacked_size_limit(tmp_path):
    path = _workbook_with(tmp_path / "x.xlsx", {})

    with pytest.raises(DataError, match="unpacks to at most 0 MiB, found more.*CSV UTF-8"):
        read_rows_with(path, limits=ReadLimits(max_unpacked_bytes=1000))


def test_tables_xlsx_document_type_declarations_are_refused(tmp_path):
    entities = (b'<?xml version="1.0"?><!-- padding --><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">'
                b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><sst ' + _MAIN.encode() + b'><si><t>&b;</t></si></sst>')
    path = _workbook_with(tmp_path / "x.xlsx", {"xl/sharedStrings.xml": entities})

    with pytest.raises(DataError, match="without a document type declaration.*'xl/sharedStrings.xml'"):
        read_rows(path)


def test_tables_not_a_zip_named_xlsx_raises(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("id,text\n1,hello\n", encoding="utf-8")

    with pytest.raises(DataError, match="expected an Excel .xlsx workbook .a zip archive."):
        read_rows(path)


# -- every reader error is typed, names where, and never quotes a report --------------------------------

def test_tables_xlsx_number_cell_holding_text_names_the_cell_not_the_text(tmp_path):
    body = _HEADER_ROW + f'<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>{SECRET}</v></c></row>'
    path = _workbook_with(tmp_path / "x.xlsx", {"xl/worksheets/sheet1.xml": _sheet(body)})

    with pytest.raises(DataError, match=r"sheet 'Sheet' cell B2: .*ValueError.*Format Cells > Text") as error:
        read_rows(path)
    assert SECRET not in str(error.value)
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_tables_xlsx_malformed_sheet_xml_is_a_data_error(tmp_path):
    body = _HEADER_ROW + '<row r="2"><c r="A2"><v>1</v></c>'  # the row never closes
    path = _workbook_with(tmp_path / "x.xlsx", {"xl/worksheets/sheet1.xml": _sheet(body)})

    with pytest.raises(DataError, match="well-formed sheet XML.*ParseError"):
        read_rows(path)


def test_tables_jsonl_lone_surrogate_names_the_line_and_key(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "fine \\ud83d\\ude00"}\n{"text": "cut \\ud800 off", "id": 2}\n', encoding="utf-8")

    with pytest.raises(DataError, match=r"x.jsonl line 2: the value of the key 'text' holds half of a UTF-16"):
        read_rows(path)


def test_tables_jsonl_surrogate_pair_is_one_character(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "fine \\ud83d\\ude00"}\n', encoding="utf-8")

    assert read_rows(path) == [{"text": "fine \U0001f600"}]


@pytest.mark.parametrize(("line", "message"), [
    ('{"text": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested more than 64 levels deep"),
    ('{"text": ' + "[" * 70 + "]" * 70 + "}", "nested more than 64 levels deep"),
    ('{"n": 1' + "0" * 5000 + "}", r"could not read it \(ValueError\)"),
])
def test_tables_jsonl_hostile_lines_are_data_errors(tmp_path, line, message):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "a"}\n' + line + "\n", encoding="utf-8")

    with pytest.raises(DataError, match="line 2: .*" + message):
        read_rows(path)


def test_tables_jsonl_brackets_inside_strings_are_not_nesting(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "' + "[" * 200 + '", "n": [[1]]}\n', encoding="utf-8")

    assert read_rows(path) == [{"text": "[" * 200, "n": "[[1]]"}]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_tables_unreadable_file_is_a_data_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("id,text\n1,a\n", encoding="utf-8")
    path.chmod(0)

    with pytest.raises(DataError, match="could not open it.*permissions"):
        read_rows(path)


def test_tables_folder_given_as_input_is_a_data_error(tmp_path):
    folder = tmp_path / "backlog.csv"
    folder.mkdir()

    with pytest.raises(DataError, match="expected a file, found a folder"):
        read_rows(folder)
