"""Read and write tabular report files (CSV, TSV, XLSX, JSON Lines) as rows of strings.

Every module of the package reads and writes reports through here, so that encodings, Excel quirks,
hostile files and half-written output files are handled once.

Reading
-------
`TableReader` streams a file in chunks of ``dict[str, str]`` rows; every row of the file comes out,
in order, empty rows included (count in = count out). Header names are made unique: an empty header
cell becomes ``column_<n>`` (1-based position) and a repeated name gets ``_2``, ``_3``, ...
A file that cannot be read as it claims to be (a stray quote that would swallow the rows after it,
an XLSX that unpacks to gigabytes or declares a million empty rows, a JSON line nested 100,000 deep)
raises `DataError` naming the line, row or cell and the fix, never the text of a report.

Writing
-------
`AtomicTableWriter` writes to a hidden ``.<name>.<random>.part`` file beside the target (mode 0600:
it holds report text) and renames it into place on `commit` (through `classifier.io.atomic`, as every
writer of the package), so a crash or Ctrl-C never leaves a half-written file under the real name.
Spreadsheet formulas in CSV/TSV cells are neutralised; XLSX text is always a text cell. XLSX keeps the types
of the values it is given (numbers, dates, booleans, empty cells), is laid out for reading (bold frozen header,
autofilter, widths, wrapped long text) and can copy a workbook's other sheets (`AtomicTableWriter.copy_sheet`).
"""

from __future__ import annotations

import codecs
import copy
import csv
import datetime as dt
import errno
import io
import itertools
import json
import math
import os
import re
import shlex
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

from classifier.errors import ClassifierError, ConfigError, DataError
from classifier.io.atomic import create_temporary, fsync_path, publish
from classifier.io.columns import ID_COLUMNS, row_number

__all__ = [
    "DEFAULT_MAX_FIELD_LINES",
    "EXCEL_MAX_ROWS",
    "QUOTING",
    "SUPPORTED_EXTENSIONS",
    "AtomicTableWriter",
    "EncodingFallbackWarning",
    "ReadLimits",
    "TableReader",
    "cell_to_str",
    "column_name_shown",
    "describe_column",
    "columns_found",
    "describe_columns",
    "find_column",
    "first_row_hint",
    "guard_formula",
    "ooxml_unescape",
    "unguard_formula",
    "quotable",
    "read_rows",
    "table_format",
]

TableFormat = Literal["csv", "tsv", "xlsx", "jsonl"]
SUPPORTED_EXTENSIONS: dict[str, TableFormat] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".xlsx": "xlsx",
    ".jsonl": "jsonl",
}
_DELIMITERS = {"csv": ",", "tsv": "\t"}
_UTF8_BOM = codecs.BOM_UTF8
#: The first bytes of an OLE2 compound file: Excel 97-2003 workbooks, and .xlsx workbooks encrypted with a password.
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Bytes that cp1252 leaves undefined: a file containing any of them can only be latin-1.
_CP1252_UNDEFINED = tuple(bytes([byte]) for byte in b"\x81\x8d\x8f\x90\x9d")
#: A UTF-8 encoded character of two to four bytes: a file that has them and bytes that are not UTF-8 is UTF-8 with
#: a few legacy bytes pasted in (a row added from another program), not a legacy file.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
#: What `_detect_encoding` returns for such a file: UTF-8, each byte that is not read as Windows-1252 (Latin-1
#: for the five bytes Windows-1252 leaves undefined).
MIXED_ENCODING = "utf-8 (other bytes as cp1252)"
_MIXED_ERRORS = "tension-utf8-cp1252"


def _cp1252_bytes(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start:error.end]
    return "".join(byte.decode("latin-1" if byte in _CP1252_UNDEFINED else "cp1252")
                   for byte in (bad[k:k + 1] for k in range(len(bad)))), error.end


codecs.register_error(_MIXED_ERRORS, _cp1252_bytes)


def _text_encoding(encoding: str, has_bom: bool) -> tuple[str, str]:
    """The ``(encoding, errors)`` to open a scanned file with (see `_detect_encoding`)."""
    if encoding == MIXED_ENCODING:
        return "utf-8", _MIXED_ERRORS
    return ("utf-8-sig" if has_bom else encoding), "strict"
_SCAN_BLOCK = 1 << 20
_XLSX_MAX_CELL = 32767
#: Rows in one Excel worksheet, the header included.
EXCEL_MAX_ROWS = 1_048_576
# The largest number an Excel cell holds; larger floats (and inf, nan) are written as text, not mangled.
_EXCEL_MAX_NUMBER = 9.99999999999999e307
# XLSX layout: rows read for the column widths, the widths' bounds (in characters) and the header's fill.
_LAYOUT_SAMPLE_ROWS = 100
_MIN_WIDTH, _MAX_WIDTH = 8, 60
_HEADER_FILL = "DDEBF7"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A cell that is only a number ("-3", "+1.5e3", "+25%") is not a formula, whatever its first character.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")

#: How CSV/TSV quotes are read: "standard" (RFC 4180 / Excel: a quoted cell may hold delimiters, quotes
#: and line breaks) or "none" (quotes are plain text and every line is one row).
QUOTING = ("standard", "none")
#: Line breaks one CSV/TSV row may hold inside quoted cells before the reader takes its quote for a stray one.
DEFAULT_MAX_FIELD_LINES = 100
#: Past the limit, how far the reader looks on for the quoted cell's end, to tell a long cell from a stray quote.
_READ_AHEAD_LINES = 10_000
_READ_AHEAD_CHARS = 10 << 20
# The csv module refuses cells over 131,072 characters by default with a message that blames quotes;
# long texts are the caller's to judge (see classifier.labelling.batch's --max-chars), so let the reader take them.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))
# JSON deeper than this is no report export; checked before anything recurses into it.
_MAX_JSON_DEPTH = 64
_JSON_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# XLSX parts bigger than this are checked for a compression ratio no real workbook reaches.
_RATIO_CHECK_FROM = 1 << 20
_XML_PROLOG_LIMIT = 1 << 16


@dataclass(frozen=True)
class ReadLimits:
    """Bounds that keep a small hostile file from turning into hours of work or gigabytes of memory.

    Parameters
    ----------
    max_field_lines
        CSV/TSV: line breaks one row may span inside quoted cells. A row that runs on longer almost
        always starts with a stray quote typed in a report, which would swallow the rows after it.
        0 is the strict mode for files with one report per line: quoted cells may hold delimiters and
        quotes but no line break, so even a stray quote that closes a few lines later is an error.
    max_rows
        XLSX: the last row number a sheet may use (Excel's own limit by default).
    max_columns
        Columns: XLSX and CSV/TSV header cells, JSON Lines distinct keys. Every row is padded to the
        header's width (a value to the right of the header is an error), so a one-line header of
        20,000 empty names would otherwise make every short row 20,000 cells wide.
    max_empty_rows
        XLSX: consecutive empty rows allowed before a row with values (a stray value at row 1,048,576
        would otherwise turn into a million empty rows). Empty rows after the last value are skipped
        without being counted as rows.
    max_unpacked_bytes
        XLSX: total size of the workbook's parts once unzipped, checked before anything is parsed.
    max_compression_ratio
        XLSX: unzipped / zipped size of any part over 1 MiB; real workbooks stay far below 100.
    """

    max_field_lines: int = DEFAULT_MAX_FIELD_LINES
    max_rows: int = EXCEL_MAX_ROWS
    max_columns: int = 1_000
    max_empty_rows: int = 10_000
    max_unpacked_bytes: int = 512 << 20
    max_compression_ratio: int = 100

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            lowest = 0 if name == "max_field_lines" else 1
            if not isinstance(value, int) or isinstance(value, bool) or value < lowest:
                kind = "an int >= 0" if lowest == 0 else "a positive int"
                raise ConfigError(f"The {name!r} read limit must be {kind}. Got {value!r}.")


class EncodingFallbackWarning(UserWarning):
    """A text file was not valid UTF-8 and was decoded with a legacy encoding instead."""


def table_format(path: str | os.PathLike[str]) -> TableFormat:
    """Return the table format implied by the file extension of `path`.

    Raises
    ------
    DataError
        The extension is not one of `SUPPORTED_EXTENSIONS`.
    """
    suffix = Path(path).suffix.lower()
    try:
        return SUPPORTED_EXTENSIONS[suffix]
    except KeyError:
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        advice = {".txt": "Excel's 'Unicode Text' (.txt) is tab-separated: rename it to .tsv",
                  ".xls": "an old-format Excel file: open it in Excel and save it as .xlsx (renaming is not enough)",
                  ".json": "a JSON Lines file (one object per line) ends in .jsonl: rename it if it is one",
                  }.get(suffix, "save the file in one of those formats")
        raise DataError(
            f"{path}: expected a file ending in one of {supported}, found {suffix or 'no extension'!r}; "
            f"{advice}."
        ) from None


def cell_to_str(value: Any) -> str:
    """Convert a cell value to the string the rest of the package sees.

    None → "", booleans → "true"/"false", whole floats → "12" (but ``1e+300``, not 301 digits), dates →
    ``YYYY-MM-DD``, datetimes → ``YYYY-MM-DD HH:MM:SS`` (``YYYY-MM-DD`` when the time is midnight, as Excel
    stores plain dates), lists of scalars (JSON) → ``;``-joined, other containers → compact JSON.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:  # beyond, int() would spell out float noise
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list) and all(
        item is None or isinstance(item, (str, int, float)) for item in value
    ):
        return ";".join(cell_to_str(item) for item in value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _unique_columns(raw: Sequence[Any]) -> list[str]:
    """Name empty header cells ``column_<n>`` and make repeated names unique with ``_2``, ``_3``."""
    names = [cell_to_str(value).strip() for value in raw]
    reserved = set(names)
    used: set[str] = set()
    columns = []
    for position, name in enumerate(names, start=1):
        base = name or f"column_{position}"
        candidate, n = base, 2
        while candidate in used or (candidate != name and candidate in reserved):
            candidate, n = f"{base}_{n}", n + 1
        used.add(candidate)
        columns.append(candidate)
    return columns


def _refuse_other_kinds(path: Path, first: bytes) -> None:
    """Refuse, by its first bytes, a file given as CSV/TSV that is a workbook or UTF-32 text: read as text it
    gives a garbled header and advice about encodings and headers that does not help."""
    if first.startswith(b"PK\x03\x04"):
        raise DataError(f"{path}: expected {path.suffix or 'delimited'} text, found a zip archive: an Excel "
                        "workbook (.xlsx) given another name? Rename it to .xlsx, or save it from Excel as 'CSV UTF-8 "
                        "(Comma delimited)'.")
    if first.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise DataError(f"{path}: expected {path.suffix or 'delimited'} text, found an old Excel workbook (.xls) "
                        "given another name. Open it in Excel or LibreOffice and save it as .xlsx or as 'CSV UTF-8'.")
    if first.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise DataError(f"{path}: expected UTF-8 or UTF-16 text, found UTF-32 (its byte-order mark says so), which "
                        "is not read; save it as UTF-8 and try again.")


def _detect_encoding(path: Path) -> tuple[str, bool, int | None]:
    """Scan `path` block by block; return the encoding to use, whether it starts with a UTF-8 BOM, and the line
    of the first byte that is not UTF-8 (None when all are).

    Scanning first (constant memory) means the encoding is fixed before any row is yielded, so no
    row is decoded twice or decoded two different ways. A UTF-16 byte-order mark (Excel's "Unicode Text", some
    case-management exports) says "utf-16", whose decoder reads the mark itself.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    cp1252_ok = True
    multibyte = False  # a UTF-8 character of several bytes seen: see _UTF8_MULTIBYTE
    lines_before, bad_line = 0, None
    with path.open("rb") as handle:
        first = handle.read(_SCAN_BLOCK)
        _refuse_other_kinds(path, first)
        if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not first.startswith(codecs.BOM_UTF32_LE):
            return "utf-16", False, None
        head = first[:512]
        if len(head) >= 4 and head.count(0) * 4 >= len(head):  # text has no NUL bytes; UTF-16 has one per letter
            raise DataError(
                f"{path}: looks like UTF-16 text without a byte-order mark (every other byte is zero), which cannot "
                "be read reliably; save it as UTF-8 (Excel: 'CSV UTF-8 (Comma delimited)') and try again."
            )
        has_bom = first.startswith(_UTF8_BOM)
        block = first[len(_UTF8_BOM) :] if has_bom else first
        while block:
            if utf8_ok:
                try:
                    decoder.decode(block)
                    multibyte = multibyte or not block.isascii()
                except UnicodeDecodeError as error:
                    utf8_ok = False
                    # The decoder may hold up to 3 bytes of the previous block: the line is right to within one.
                    bad_line = lines_before + block[: max(0, error.start)].count(b"\n") + 1
                lines_before += block.count(b"\n")
            if not utf8_ok and not multibyte and _UTF8_MULTIBYTE.search(block):
                multibyte = True
            if cp1252_ok and any(byte in block for byte in _CP1252_UNDEFINED):  # C-speed searches
                cp1252_ok = False
            if not utf8_ok and not cp1252_ok and multibyte:
                break
            block = handle.read(_SCAN_BLOCK)
    if utf8_ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok, bad_line = False, lines_before + 1
    if utf8_ok:
        return "utf-8", has_bom, None
    if has_bom:  # the file says it is UTF-8: a byte that is not is damage, not another encoding
        raise DataError(
            f"{path} line {bad_line}: expected UTF-8 text (the file starts with a UTF-8 byte-order mark), found "
            "bytes that are not UTF-8 there. Fix or retype the characters on that line (or save the file again "
            "as 'CSV UTF-8'), then retry."
        )
    if multibyte:  # UTF-8 with some legacy bytes: reading it all as cp1252 would garble every UTF-8 character
        return MIXED_ENCODING, has_bom, bad_line
    return ("cp1252" if cp1252_ok else "latin-1"), has_bom, bad_line


class TableReader:
    """Stream the rows of a CSV, TSV, XLSX or JSON Lines file as ``dict[str, str]``.

    Parameters
    ----------
    path
        The file; its extension chooses the format (see `SUPPORTED_EXTENSIONS`).
    sheet
        XLSX only: the worksheet to read (default: the first).
    quoting
        CSV/TSV: ``"standard"`` (default) reads quotes as Excel writes them; ``"none"`` reads them as
        plain text, one row per line (for exports that never quote, such as many TSV files).
    limits
        Bounds on what a file may make the reader do (`ReadLimits`; default: ``ReadLimits()``).
    keep_types
        XLSX and JSON Lines: give cell values as read (numbers, booleans, dates, ``None`` for an empty
        cell or a missing key, JSON lists and objects) instead of strings, so that a writer can write
        them back with their types. CSV/TSV values are strings either way.

    Attributes
    ----------
    path, format
        As given / as implied by the extension.
    columns
        Header names, made unique; available once the reader is open (`open` or ``with``).
        For JSON Lines, the union of the keys of all objects in first-seen order.
    encoding
        The text encoding used (``"utf-8"``, ``"utf-8-sig"``, ``"cp1252"``, ``"latin-1"``), or None for
        XLSX.
    sheet_title, sheet_names, worksheet_names
        XLSX, once open: the title of the sheet read, the names of all the workbook's sheets in order, and
        of those that hold cells (the others are chart sheets). None and empty lists for other formats.
    lines_read, multiline_rows, longest_row_lines
        CSV/TSV, once read: physical lines read (the header's included), rows spanning more than one
        line (line breaks inside quoted cells) and the most lines one row spans. Every line belongs to
        exactly one row, so a stray quote that merged rows shows up here even below the limit.
    short_rows
        CSV/TSV, once read: the row numbers of the rows with fewer cells than the header (filled with empty
        cells; empty rows excepted), the first `SHORT_ROWS_KEPT`; `short_row_count` counts them all. A line
        break inside an unquoted cell splits one report into two such rows.

    Notes
    -----
    CSV/TSV: UTF-8 with or without BOM; otherwise cp1252 (latin-1 if cp1252 cannot decode it) with an
    `EncodingFallbackWarning`. A short row gets "" for its missing cells; a row with extra cells that
    are not empty raises `DataError` (empty extra cells, such as trailing commas, are ignored).
    Empty rows (blank lines, or only empty cells) between rows with values are rows, yielded as such; empty
    rows after the last one with a value are not, as for XLSX (exports often end with blank lines or
    rows of delimiters). Row numbers in messages are those a spreadsheet shows (the header is row 1, the
    first report row 2; see `classifier.io.columns.row_number`); line numbers count the file's lines from 1.

    A quote opens a quoted cell only at the start of a cell. A cell that starts with a quote but is not
    a well-formed quoted cell (``"no more hotels" sprayed on the wall``: text follows the closing quote)
    is read as it stands, quotes included. A quoted cell that would run on for more than
    ``limits.max_field_lines`` line breaks, that never closes, or that closes on a later line followed
    by more text raises `DataError` naming its lines: such a quote is almost always a resident's stray
    quote that would merge the rows after it into one cell. Fix the quote, or read with
    ``quoting="none"``. Past the limit the reader looks up to 10,000 lines further: a cell that closes
    cleanly there, its row as wide as the header, is a long one (an e-mail's body), and the error gives
    the ``max_field_lines`` its row needs instead.

    XLSX: read with ``read_only=True, data_only=True``: a formula cell gives the value Excel cached
    when it last saved the file; a formula with none saved (a file written by a program that cannot
    calculate: openpyxl, some exporters) raises `DataError` naming the cell, instead of reading as "".
    The header is the first row, as in a CSV/TSV: empty rows above it raise `DataError` (rows are numbered
    from a header in row 1, so their numbers would not be the sheet's). Empty rows between data rows are
    yielded; empty rows after the last data row are not (Excel often declares formatted but empty rows at the
    end of a sheet). XML normalises line ends, so a ``\\r\\n`` written into a cell reads back as ``\\n``. The
    sheet's declared dimension is not trusted: rows are never padded beyond the header. The archive is checked
    before it is opened (unpacked size, compression ratio, no XML DTDs), and rows and columns while the sheet is
    read.

    JSON Lines: every line must be a JSON object. The file is scanned once on opening to validate
    every line and collect the columns (constant memory), so every yielded row has every column.
    Blank lines at the end of the file are ignored; a blank line followed by more objects raises.

    Examples
    --------
    >>> with TableReader("reports.csv") as reader:  # doctest: +SKIP
    ...     for chunk in reader.iter_chunks(1000):
    ...         ...
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        sheet: str | None = None,
        quoting: str = "standard",
        limits: ReadLimits | None = None,
        keep_types: bool = False,
    ) -> None:
        self.path = Path(path)
        self.sheet = sheet
        self.format: TableFormat = table_format(self.path)
        if sheet is not None and self.format != "xlsx":
            raise ConfigError(f"{self.path}: a sheet ({sheet!r}, --sheet) belongs to an Excel workbook, but this is "
                              f"a .{self.format} file, which has none; leave --sheet out.")
        if quoting not in QUOTING:
            raise ConfigError(f"The 'quoting' parameter must be one of {QUOTING}. Got {quoting!r}.")
        self.quoting = quoting
        self.limits = limits if limits is not None else ReadLimits()
        self.keep_types = keep_types
        self.columns: list[str] = []
        self.encoding: str | None = None
        self.lines_read = 0
        self.multiline_rows = 0
        self.longest_row_lines = 0
        self.short_rows: list[int] = []
        self.short_row_count = 0
        self.sheet_title: str | None = None
        #: XLSX, once open: each worksheet's state in Excel ("visible", "hidden" or "veryHidden").
        self.sheet_states: dict[str, str] = {}
        #: Header names as written and as read, where they differ (a repeated, blank or space-padded name).
        self.header_changes: list[tuple[str, str]] = []
        self.sheet_names: list[str] = []
        self.worksheet_names: list[str] = []
        #: XLSX, once open: the columns hidden in Excel (a caller's phone number, say), to be kept hidden.
        self.hidden_columns: list[str] = []
        self._sheet_parser: Any = None
        self._handle: IO[str] | None = None
        self._workbook: Any = None
        self._sheet_source: Any = None
        self._rows: Iterator[dict[str, Any]] | None = None
        self._size = 0  # bytes of the input (CSV/TSV/JSONL) or of the sheet's XML (XLSX), for `fraction_read`
        self._consumed = 0  # bytes of the lines handed to the parser (CSV/TSV/JSONL)
        self._finished = False

    # -- context management -------------------------------------------------------------------
    def open(self) -> TableReader:
        """Open the file and read its header; returns self."""
        if self._rows is not None:
            return self
        if self.path.is_dir():
            raise DataError(f"{self.path}: expected a file, found a folder; give the path of the file inside it.")
        if not self.path.is_file():
            raise DataError(f"{self.path}: expected an existing file, found nothing there; check the path.")
        try:
            if self.format in _DELIMITERS:
                self._rows = self._open_delimited()
            elif self.format == "xlsx":
                self._rows = self._open_xlsx()
            else:
                self._rows = self._open_jsonl()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Release the file; safe to call twice."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._sheet_source is not None:
            self._sheet_source.close()
            self._sheet_source = None
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None

    def __enter__(self) -> TableReader:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def fraction_read(self) -> float | None:
        """Share of the input read so far, from 0 to 1, for estimating the row count without a second pass:
        bytes of the lines parsed for CSV/TSV/JSONL, bytes of the sheet's XML parsed for XLSX (its parser reads
        ahead a few kilobytes, so this is an estimate); ``None`` before there is one."""
        if self._finished:
            return 1.0
        if self.format == "xlsx":
            source = self._sheet_source
            try:  # bytes of the sheet's XML parsed so far
                return min(1.0, source.tell() / self._size) if source is not None and self._size else None
            except (OSError, ValueError):  # a closed or unseekable part: no estimate
                return None
        if not self._size:
            return None
        return min(1.0, self._consumed / self._size)

    def _count_bytes(self, encoding: str) -> Callable[[str], None]:
        """A callback adding a line's size in the file's bytes to the count behind `fraction_read`."""
        encoding = "utf-16-le" if encoding == "utf-16" else encoding  # the byte-order mark is not in every line

        def count(line: str) -> None:
            self._consumed += len(line.encode(encoding, "replace"))
        return count

    # -- iteration ------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[dict[str, Any]]:
        self.open()
        assert self._rows is not None
        return self._rows

    def iter_chunks(self, size: int = 5000) -> Iterator[list[dict[str, Any]]]:
        """Yield the rows in lists of at most `size` rows, in file order."""
        if size < 1:
            raise ValueError(f"size must be a positive number of rows, got {size}.")
        chunk: list[dict[str, Any]] = []
        for row in self:
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _open_binary(self) -> IO[bytes]:
        try:
            handle = self.path.open("rb")
            self._size = os.fstat(handle.fileno()).st_size
            return handle
        except OSError as error:
            raise DataError(
                f"{self.path}: expected a file this program may read, could not open it ({error.strerror}); "
                "check its permissions."
            ) from None

    # -- CSV / TSV ------------------------------------------------------------------------------
    def _open_delimited(self) -> Iterator[dict[str, str]]:
        self._open_binary().close()  # a permission problem is reported before the encoding scan
        encoding, has_bom, bad_line = _detect_encoding(self.path)
        if encoding == "utf-8":
            self.encoding = "utf-8-sig" if has_bom else "utf-8"
        else:
            self.encoding = encoding
            if encoding == MIXED_ENCODING:  # UTF-8 with a few legacy bytes: read those alone as cp1252
                warnings.warn(
                    f"{self.path} is UTF-8 but for some bytes that are not (first at line {bad_line}), as when rows "
                    "from another program are pasted in; read those bytes as cp1252 (Windows-1252) and the rest as "
                    "UTF-8. Check the characters on that line; save the file as 'CSV UTF-8' (Excel) or UTF-8 to "
                    "avoid this.",
                    EncodingFallbackWarning,
                    stacklevel=3,
                )
            elif encoding != "utf-16":  # a legacy encoding, guessed from the bytes: say so
                warnings.warn(
                    f"{self.path} is not valid UTF-8 (first at line {bad_line}); read it as {encoding}. "
                    "Characters may be wrong if it was saved in another encoding: save it as 'CSV UTF-8' (Excel) "
                    "or UTF-8 to avoid this.",
                    EncodingFallbackWarning,
                    stacklevel=3,
                )
        binary = self._open_binary()
        if has_bom:
            binary.seek(len(_UTF8_BOM))
            self._consumed = len(_UTF8_BOM)
        text_encoding, errors = _text_encoding(encoding, False)
        self._handle = io.TextIOWrapper(binary, encoding=text_encoding, errors=errors, newline="")
        lines = _PhysicalLines(self._handle, self.limits.max_field_lines, self._count_bytes(text_encoding))
        quoting = csv.QUOTE_NONE if self.quoting == "none" else csv.QUOTE_MINIMAL
        reader = csv.reader(lines, delimiter=_DELIMITERS[self.format], quoting=quoting, strict=True)
        header = self._next_delimited(reader, lines, "the header")
        declared = _separator_line(header, _DELIMITERS[self.format])
        if declared is not None:  # Excel's "sep=;" line above the header names the file's separator
            if declared != _DELIMITERS[self.format]:
                raise DataError(
                    f"{self.path} line 1: the file declares {declared!r} as its separator (sep={declared}), but a "
                    f".{self.format} file is read with {_DELIMITER_NAMES[_DELIMITERS[self.format]]}. Save it from "
                    "Excel as 'CSV UTF-8 (Comma delimited)', then retry."
                )
            header = self._next_delimited(reader, lines, "the header")
        if header is None:
            raise DataError(
                f"{self.path}: expected a header row naming the columns, found an empty file; "
                "add a header line such as 'id,text'."
            )
        if len(header) > self.limits.max_columns:
            raise DataError(
                f"{self.path} the header (line {lines.first_line_of_row}): expected at most "
                f"{self.limits.max_columns} columns, found {len(header):,}; delete the columns right of the "
                "data (every row would be padded that wide), or save only the columns needed."
            )
        self._set_columns(header)
        return self._iter_delimited(reader, lines)

    def _set_columns(self, header: Sequence[Any]) -> None:
        """The columns of `header` (`_unique_columns`), and the names they changed (`header_changes`)."""
        self.columns = _unique_columns(header)
        self.header_changes = [(cell_to_str(raw), name) for raw, name in zip(header, self.columns, strict=True)
                               if cell_to_str(raw) != name]

    def _next_delimited(self, reader: Any, lines: _PhysicalLines, what: str) -> list[str] | None:
        """The cells of the next row, or None at the end of the file."""
        lines.start_row()
        try:
            cells = next(reader)
        except StopIteration:
            cells = None
        except _RunawayRow:
            first = lines.first_line_of_row
            if self.limits.max_field_lines == 0:
                raise DataError(
                    f"{self.path} {what} (line {first}): expected every quoted cell to close on the line it "
                    "opens (--max-field-lines 0), found one still open at the end of the line; a report "
                    "probably starts with a stray quote. Fix that quote, or pass --quoting none to read "
                    "quotes as plain text."
                ) from None
            needed = self._line_breaks_of_long_row(lines)
            if needed is not None:
                raise DataError(
                    f"{self.path} {what} (lines {first}-{first + needed}): expected a quoted cell to close within "
                    f"{self.limits.max_field_lines} line breaks, found one that closes cleanly after {needed:,} (a "
                    f"long cell, such as an e-mail's body, not a stray quote); pass --max-field-lines {needed} "
                    "or more to read it."
                ) from None
            raise DataError(
                f"{self.path} {what} (line {first}): expected a quoted cell to close within "
                f"{self.limits.max_field_lines} line breaks, found it still open on line {lines.number}; "
                "a report probably starts with a stray quote that swallows the rows after it. Fix that "
                "quote, or pass --quoting none to read quotes as plain text (--max-field-lines to allow "
                "longer cells)."
            ) from None
        except csv.Error:
            cells = self._reread_literal_quotes(lines, what)
        except UnicodeDecodeError:
            if self.encoding == "utf-16":  # not scanned first: the byte-order mark is all it was read by
                raise DataError(
                    f"{self.path} near line {lines.number + 1}: expected UTF-16 text (the file starts with a UTF-16 "
                    "byte-order mark), found bytes that are not; save it again as UTF-8 and retry."
                ) from None
            raise DataError(
                f"{self.path} line {lines.number + 1}: expected {self.encoding} text, found other bytes "
                "(did the file change while it was read?); save it again as UTF-8 and retry."
            ) from None
        span = len(lines.row)
        self.lines_read = lines.number
        if span > 1:
            self.multiline_rows += 1
            self.longest_row_lines = max(self.longest_row_lines, span)
        return cells

    def _line_breaks_of_long_row(self, lines: _PhysicalLines) -> int | None:
        """The line breaks a row that ran past the limit needs, if its quoted cell closes cleanly within the
        read-ahead bounds and the row then has the header's cells (a long cell); None otherwise (the header,
        or a quote that is probably a stray one)."""
        if not self.columns:
            return None
        taken = 0

        def row_lines() -> Iterator[str]:
            nonlocal taken
            for line in itertools.chain(lines.row, lines.read_ahead(_READ_AHEAD_LINES, _READ_AHEAD_CHARS)):
                taken += 1
                yield line

        try:  # only standard quoting lets a row run on past a line
            cells = next(csv.reader(row_lines(), delimiter=_DELIMITERS[self.format], strict=True))
        except (StopIteration, csv.Error, UnicodeDecodeError):
            return None
        width = len(self.columns)
        if len(cells) < width or any(cell.strip() for cell in cells[width:]):
            return None
        return taken - 1

    def _reread_literal_quotes(self, lines: _PhysicalLines, what: str) -> list[str] | None:
        """A row the csv module rejects: read a quote that does not form a quoted cell as text, or say why not."""
        if not lines.row:
            return None
        delimiter = _DELIMITERS[self.format]
        first, last = lines.first_line_of_row, lines.number
        how = "or pass --quoting none to read quotes as plain text"
        if len(lines.row) == 1:
            cells, still_open = _split_literal_quotes(lines.row[0], delimiter)
            if not still_open or lines.ended:
                return cells
            raise DataError(
                f"{self.path} {what} (line {first}): expected each quoted cell to end with a quote followed "
                f"by {_DELIMITER_NAMES[delimiter]} or the end of the line, found one that does not and another "
                f"quoted cell still open at the end of the line; check the quotes on line {first}, {how}."
            )
        if lines.ended:
            raise DataError(
                f"{self.path} {what} (line {first}): expected the quoted cell opened in this row to close, "
                f"found the end of the file on line {last}; a report probably starts with a stray quote. "
                f"Fix that quote, {how}."
            )
        raise DataError(
            f"{self.path} {what} (lines {first}-{last}): expected a quote that closes a cell to be followed "
            f"by {_DELIMITER_NAMES[delimiter]} or the end of the line, found more text on line {last}; the "
            f"quoted cell opened on line {first} probably starts with a stray quote. Fix that quote, {how}."
        )

    def _iter_delimited(self, reader: Any, lines: _PhysicalLines) -> Iterator[dict[str, str]]:
        columns = self.columns
        width = len(columns)
        pending_empty = 0  # blank rows since the last row with a value; yielded only if one follows
        for index in itertools.count():
            cells = self._next_delimited(reader, lines, f"row {row_number(index)}")
            if cells is None:
                self._finished = True
                self.close()
                return
            if not any(cell.strip() for cell in cells):
                pending_empty += 1
                continue
            for _ in range(pending_empty):
                yield dict.fromkeys(columns, "")
            pending_empty = 0
            if len(cells) > width:
                extra = [cell for cell in cells[width:] if cell.strip()]
                if extra:
                    raise DataError(
                        f"{self.path} row {row_number(index)} (line {lines.first_line_of_row}): expected at most "
                        f"{width} cells as in the header, found {len(cells)}; quote cells that contain "
                        f"'{_DELIMITERS[self.format]}' or add a header for the extra column."
                    )
                cells = cells[:width]
            elif len(cells) < width:
                self.short_row_count += 1
                if len(self.short_rows) < SHORT_ROWS_KEPT:
                    self.short_rows.append(row_number(index))
                cells = cells + [""] * (width - len(cells))
            yield dict(zip(columns, cells, strict=True))

    # -- XLSX -----------------------------------------------------------------------------------
    def _open_worksheet(self) -> Any:
        """Check and open the workbook; return the worksheet `sheet` names (the first one by default)."""
        self._check_xlsx_archive()
        try:
            self._workbook = _load_workbook(self.path)
        except Exception as error:  # openpyxl raises zipfile, KeyError, InvalidFileException, XML errors...
            # The error's own message may quote a cell, so only its kind is shown.
            raise DataError(
                f"{self.path}: expected an Excel .xlsx workbook, could not open it ({type(error).__name__}); "
                "re-save it from Excel as .xlsx or export it as CSV UTF-8."
            ) from None
        names = self._workbook.sheetnames
        self.sheet_names = list(names)
        self.worksheet_names = [worksheet.title for worksheet in self._workbook.worksheets]
        self.sheet_states = {worksheet.title: getattr(worksheet, "sheet_state", "visible") or "visible"
                             for worksheet in self._workbook.worksheets}
        if self.sheet is None:  # the first sheet a person sees in Excel: hidden ones are not it
            visible = [sheet for sheet in self._workbook.worksheets if self.sheet_states[sheet.title] == "visible"]
            worksheet = (visible or self._workbook.worksheets)[0]
        elif self.sheet in self.worksheet_names:
            worksheet = self._workbook[self.sheet]
        elif [name.casefold() for name in self.worksheet_names].count(self.sheet.casefold()) == 1:
            # Excel's sheet names ignore case ("Reports" and "reports" cannot both exist), so may --sheet.
            worksheet = self._workbook[next(name for name in self.worksheet_names
                                            if name.casefold() == self.sheet.casefold())]
        else:
            found = ", ".join(map(repr, self.worksheet_names))
            raise DataError(
                f"{self.path}: expected a sheet named {self.sheet!r}, found only {found}; pass one of those."
            )
        self.sheet_title = worksheet.title
        return worksheet

    def iter_sheet_cells(self) -> Iterator[tuple[int, list[tuple[int, Any]]]]:
        """XLSX: the sheet's cells as they stand, for copying it: ``(row number, [(column number, value)])`` for
        each row its XML holds, in order, without a header or any conversion (values as read with
        ``keep_types``: a formula gives its cached value). The same checks as reading rows apply."""
        if self.format != "xlsx":
            raise DataError(f"{self.path}: expected an .xlsx file to copy a sheet from, found {self.format}.")
        try:
            worksheet = self._open_worksheet()
            for index, cells in self._sheet_rows(worksheet):
                yield index, [(cell["column"], cell["value"]) for cell in cells]
        finally:
            self.close()

    def _open_xlsx(self) -> Iterator[dict[str, Any]]:
        worksheet = self._open_worksheet()
        rows = self._sheet_rows(worksheet)
        header: list[Any] = []
        header_row = 0
        for index, cells in rows:
            if any(not _is_blank(cell["value"]) for cell in cells):
                last = max(cell["column"] for cell in cells if not _is_blank(cell["value"]))
                if last > self.limits.max_columns:
                    raise DataError(
                        f"{self.path} sheet {worksheet.title!r} row {index}: expected a header of at most "
                        f"{self.limits.max_columns} columns, found a value in column {last}; delete the cells "
                        "right of the header (or export the sheet as CSV UTF-8)."
                    )
                header = [None] * last
                for cell in cells:
                    if cell["column"] <= last:
                        header[cell["column"] - 1] = cell["value"]
                header_row = index
                break
        if header_row > 1:
            self._refuse_rows_above_header(worksheet.title, header_row)
        self._set_columns(header)
        self.hidden_columns = [self.columns[place - 1] for place in self._hidden_places() if place <= len(self.columns)]
        return self._iter_xlsx(rows, worksheet.title, header_row)

    def _hidden_places(self) -> list[int]:
        """The 1-based places of the sheet's hidden columns, from its ``<cols>``, which precede its rows."""
        dimensions = getattr(self._sheet_parser, "column_dimensions", {})
        places = set()
        for attributes in dimensions.values():
            if attributes.get("hidden") in ("1", "true"):
                first = int(attributes["min"])
                places.update(range(first, min(int(attributes.get("max", first)), self.limits.max_columns) + 1))
        return sorted(places)

    def _refuse_rows_above_header(self, title: str, header_row: int) -> None:
        """Refuse a header below empty rows, as a CSV/TSV's is refused: every message and the review file's
        ``input_row`` number rows from a header in row 1 (`classifier.io.columns.row_number`), so they would point
        that many rows above the report they name."""
        above = "row 1 is" if header_row == 2 else f"rows 1-{header_row - 1} are"
        raise DataError(
            f"{self.path} sheet {title!r}: expected the header in row 1, found it in row {header_row} ({above} "
            f"empty); delete the empty row{'s' if header_row > 2 else ''} above it, so that row numbers in messages "
            "and in the review file are the sheet's, and try again."
        )

    def _check_xlsx_archive(self) -> None:
        """Refuse a workbook whose parts would unpack to far more than the file suggests, before parsing."""
        limits = self.limits
        advice = "export the sheet as CSV UTF-8 and label that instead"
        handle = self._open_binary()  # ZipFile does not close a file it was given: closed below
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, EOFError):
            try:
                handle.seek(0)
                container = handle.read(len(_OLE2_SIGNATURE))
            except OSError:
                container = b""
            handle.close()
            if container == _OLE2_SIGNATURE:
                raise DataError(
                    f"{self.path}: expected an Excel .xlsx workbook (a zip archive), found Excel's older container, "
                    "which holds a workbook protected by a password (encrypted) or an Excel 97-2003 .xls renamed "
                    ".xlsx. Open it in Excel, remove the password if it has one (File > Info > Protect Workbook > "
                    "Encrypt with Password, clear it) and save it as .xlsx, or export it as CSV UTF-8."
                ) from None
            raise DataError(
                f"{self.path}: expected an Excel .xlsx workbook (a zip archive), found something else; "
                "re-save it from Excel as .xlsx or export it as CSV UTF-8."
            ) from None
        with handle, archive:
            total = 0
            for info in archive.infolist():
                total += info.file_size
                if total > limits.max_unpacked_bytes:
                    raise DataError(
                        f"{self.path}: expected a workbook that unpacks to at most "
                        f"{limits.max_unpacked_bytes >> 20} MiB, found more; {advice}."
                    )
                if info.file_size > _RATIO_CHECK_FROM and (
                    info.file_size > limits.max_compression_ratio * max(info.compress_size, 1)
                ):
                    raise DataError(
                        f"{self.path}: expected workbook parts compressed at most "
                        f"{limits.max_compression_ratio} to 1, found {info.filename!r} compressed "
                        f"{info.file_size // max(info.compress_size, 1)} to 1 (a 'zip bomb'); {advice}."
                    )
            for info in archive.infolist():
                if info.filename.endswith((".xml", ".rels", ".vml")) and _xml_declares_dtd(archive, info):
                    raise DataError(
                        f"{self.path}: expected workbook XML without a document type declaration, found one "
                        f"in {info.filename!r} (Excel never writes them; they can expand into gigabytes); "
                        f"{advice}."
                    )

    def _sheet_rows(self, worksheet: Any) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        """(row number, cells) for each row the sheet's XML holds, parsed with typed errors.

        openpyxl's own row iterator pads every row to the sheet's declared dimension and fills gaps with
        empty rows, which a 2 KB file can turn into millions of cells; its parser gives only the cells
        that are there.
        """
        from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

        class CheckedParser(WorkSheetParser):
            def parse_cell(self, element: Any) -> dict[str, Any]:
                try:
                    cell = super().parse_cell(element)
                except Exception as error:  # its message may hold the cell's text: keep only the kind
                    raise _BadCell(element.get("r"), self.row_counter, type(error).__name__) from None
                if element.find(FORMULA_TAG) is not None and not _has_saved_result(element, VALUE_TAG):
                    raise _UncalculatedFormula(element.get("r"), self.row_counter)
                value = cell["value"]
                if element.get("t") in _OWN_STRING_TYPES and isinstance(value, str) and "_x" in value:
                    cell["value"] = ooxml_unescape(value)  # shared strings come decoded: see _load_workbook
                return cell

        workbook = self._workbook
        self._sheet_source = worksheet._get_source()
        try:
            self._size = workbook._archive.getinfo(worksheet._worksheet_path).file_size
        except (AttributeError, KeyError):
            self._size = 0
        parser = self._sheet_parser = CheckedParser(
            self._sheet_source, worksheet._shared_strings, data_only=True, epoch=workbook.epoch,
            date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats,
        )
        where = f"{self.path} sheet {worksheet.title!r}"
        index = 0
        try:
            for index, cells in parser.parse():
                if index > self.limits.max_rows:
                    raise DataError(
                        f"{where}: expected at most {self.limits.max_rows:,} rows, found row {index:,}; delete "
                        "the rows below the data or export the sheet as CSV UTF-8."
                    )
                yield index, cells
        except _UncalculatedFormula as formula:
            cell = formula.coordinate or f"in row {formula.row}"
            raise DataError(
                f"{where} cell {cell}: expected a value, found a formula whose result was never saved (the "
                "workbook was written by a program that does not calculate formulas), so the cell would read "
                "as empty. Open the workbook in Excel or LibreOffice and save it, or export the sheet as CSV "
                "UTF-8."
            ) from None
        except _BadCell as bad:
            cell = bad.coordinate or f"in row {bad.row}"
            raise DataError(
                f"{where} cell {cell}: expected a value of the type the cell declares, could not read it "
                f"({bad.kind}); in Excel re-type the cell (e.g. Format Cells > Text) and save, or export "
                "the sheet as CSV UTF-8."
            ) from None
        except DataError:
            raise
        except Exception as error:
            raise DataError(
                f"{where} after row {index}: expected well-formed sheet XML, could not read it "
                f"({type(error).__name__}); re-save the workbook from Excel or export it as CSV UTF-8."
            ) from None

    def _iter_xlsx(
        self, rows: Iterator[tuple[int, list[dict[str, Any]]]], title: str, header_row: int
    ) -> Iterator[dict[str, Any]]:
        columns = self.columns
        width = len(columns)
        empty: Any = None if self.keep_types else ""
        convert = (lambda value: value) if self.keep_types else cell_to_str
        yielded = 0
        previous = header_row
        pending_empty = 0  # empty rows since the last row with a value; yielded only if one follows
        for index, cells in rows:
            pending_empty += max(0, index - previous - 1)  # rows the XML leaves out are empty rows
            previous = max(previous, index)
            values = [empty] * width
            filled = False
            for cell in cells:
                value, column = cell["value"], cell["column"]
                if _is_blank(value):
                    if column <= width and value is not None:
                        values[column - 1] = convert(value)
                    continue
                if column > width:
                    raise DataError(
                        f"{self.path} row {row_number(yielded + pending_empty)} (sheet {title!r} row {index}): "
                        f"expected values only under the {width} header columns, found a value in column "
                        f"{column}; add a header for that column."
                    )
                values[column - 1] = convert(value)
                filled = True
            if not filled:
                pending_empty += 1
                continue
            if pending_empty > self.limits.max_empty_rows:
                raise DataError(
                    f"{self.path} sheet {title!r}: expected at most {self.limits.max_empty_rows:,} empty rows "
                    f"between two rows with values, found {pending_empty:,} before row {index:,}; delete the "
                    f"stray value in row {index:,} (or the empty rows), or export the sheet as CSV UTF-8."
                )
            for _ in range(pending_empty):
                yielded += 1
                yield dict.fromkeys(columns, empty)
            pending_empty = 0
            yielded += 1
            yield dict(zip(columns, values, strict=True))
        self._finished = True
        self.close()

    # -- JSON Lines -----------------------------------------------------------------------------
    def _open_jsonl(self) -> Iterator[dict[str, Any]]:
        self.encoding = "utf-8"
        seen: dict[str, None] = {}
        for line_number, record in self._iter_jsonl_objects():
            for key in record:
                seen.setdefault(key)
            if len(seen) > self.limits.max_columns:
                raise DataError(
                    f"{self.path} line {line_number}: expected at most {self.limits.max_columns} distinct keys "
                    f"(columns) in the file, found more by this line; every row gets every column, so remove "
                    "the keys that are not needed."
                )
        self.columns = list(seen)
        return self._iter_jsonl()

    def _iter_jsonl_objects(self) -> Iterator[tuple[int, dict[str, Any]]]:
        blank_line = 0
        line_number = 0
        self._consumed = 0  # the columns are collected in a first pass: count the labelling pass only
        with io.TextIOWrapper(self._open_binary(), encoding="utf-8-sig") as handle:
            lines = iter(handle)
            while True:
                try:
                    line = next(lines)
                except StopIteration:
                    return
                except UnicodeDecodeError:
                    raise DataError(
                        f"{self.path} line {line_number + 1}: expected UTF-8 text (JSON Lines is always "
                        "UTF-8), found other bytes; re-save the file as UTF-8."
                    ) from None
                line_number += 1
                self._consumed += len(line.encode("utf-8", "replace"))
                if not line.strip():
                    blank_line = blank_line or line_number
                    continue
                if blank_line:
                    raise DataError(
                        f"{self.path} line {blank_line}: expected a JSON object, found a blank line; "
                        "remove it, or write {} for an empty row."
                    )
                yield line_number, self._parse_json_line(line, line_number)

    def _parse_json_line(self, line: str, line_number: int) -> dict[str, Any]:
        where = f"{self.path} line {line_number}"
        if _json_depth_exceeds(line, _MAX_JSON_DEPTH):
            raise DataError(
                f"{where}: expected a flat JSON object, found values nested more than {_MAX_JSON_DEPTH} "
                "levels deep; flatten that line or remove it."
            )
        try:
            record = json.loads(line, object_pairs_hook=_unique_keys, parse_constant=_no_constant,
                                parse_float=_finite_float)
        except json.JSONDecodeError as error:
            message = error.msg.removesuffix(" at")  # "Invalid control character at" + " at column N"
            raise DataError(
                f"{where}: expected one JSON object per line, could not parse it "
                f"({message} at column {error.colno}); fix or remove that line."
            ) from None
        except _NotStrictJson as error:
            raise DataError(f"{where}: {error}; fix that line.") from None
        except (ValueError, RecursionError) as error:  # e.g. a number of more than 4,300 digits
            raise DataError(
                f"{where}: expected one JSON object per line, could not read it ({type(error).__name__}); "
                "fix or remove that line."
            ) from None
        if not isinstance(record, dict):
            raise DataError(
                f"{where}: expected a JSON object {{...}}, found "
                f"{type(record).__name__}; write each row as an object such as "
                '{"text": "..."}.'
            )
        if _JSON_SURROGATE_ESCAPE.search(line):
            for key, value in record.items():
                if _holds_lone_surrogate(key) or _holds_lone_surrogate(value):
                    raise DataError(
                        f"{where}: the value of the key {_safe_key(key)} holds half of a UTF-16 surrogate pair (an "
                        "escape such as \\ud83d without its partner), which is not text: the program that "
                        "wrote the file cut a character in two. Remove that escape or complete the pair."
                    )
        return record

    def _iter_jsonl(self) -> Iterator[dict[str, Any]]:
        columns = self.columns
        if self.keep_types:
            for _, record in self._iter_jsonl_objects():
                yield {column: record.get(column) for column in columns}
            self._finished = True
            return
        for _, record in self._iter_jsonl_objects():
            yield {column: cell_to_str(record.get(column)) for column in columns}
        self._finished = True


_DELIMITER_NAMES = {",": "a comma", "\t": "a tab"}


class _RunawayRow(Exception):
    """A CSV/TSV row ran past ReadLimits.max_field_lines."""


class _BadCell(Exception):
    def __init__(self, coordinate: str | None, row: int, kind: str) -> None:
        super().__init__(coordinate)
        self.coordinate, self.row, self.kind = coordinate, row, kind


def _has_saved_result(element: Any, value_tag: str) -> bool:
    """Whether a formula cell's XML holds the result saved with it: Excel writes ``<v>`` with the result (an
    empty one only for an empty text result, ``t="str"``); openpyxl writes no ``<v>`` or an empty one."""
    value = element.find(value_tag)
    return value is not None and (bool(value.text) or element.get("t") == "str")


class _UncalculatedFormula(Exception):
    """A formula cell with no saved result: read with ``data_only=True``, it would give None."""

    def __init__(self, coordinate: str | None, row: int) -> None:
        super().__init__(coordinate)
        self.coordinate, self.row = coordinate, row


class _PhysicalLines:
    """The file's lines as the csv module reads them, counted, with those of the current row kept.

    Knowing which lines make up each row lets the reader name them in messages, re-read a row whose
    quotes are not well formed, and stop a quoted cell that would swallow the rest of the file before
    it does.
    """

    def __init__(self, handle: IO[str], max_line_breaks: int, consumed: Callable[[str], None]) -> None:
        self._lines = iter(handle)
        self._consumed = consumed
        self._max_lines = max_line_breaks + 1
        self.number = 0
        self.row: list[str] = []
        self.ended = False

    @property
    def first_line_of_row(self) -> int:
        return self.number - len(self.row) + 1

    def start_row(self) -> None:
        self.row = []

    def __iter__(self) -> Iterator[str]:
        limit = self._max_lines
        for line in self._lines:
            row = self.row
            self.number += 1
            row.append(line)
            if len(row) > limit:  # the line read past the limit is kept: it may be the cell's next line
                raise _RunawayRow
            self._consumed(line)
            yield line
        self.ended = True

    def read_ahead(self, max_lines: int, max_chars: int) -> Iterator[str]:
        """The lines after those read, up to `max_lines` lines or about `max_chars` characters, uncounted
        (for a look past a row that stopped, not for reading on)."""
        chars = 0
        for line in itertools.islice(self._lines, max_lines):
            chars += len(line)
            if chars > max_chars:
                return
            yield line


def _separator_line(cells: list[str] | None, delimiter: str) -> str | None:
    """The separator an Excel ``sep=X`` first line declares, or None when the row is not such a line
    (read with `delimiter`, "sep=" followed by it splits into ``["sep=", ""]``)."""
    if cells == ["sep=", ""]:
        return delimiter
    if cells is not None and len(cells) == 1 and len(cells[0]) == 5 and cells[0].startswith("sep="):
        return cells[0][4]
    return None


def _split_literal_quotes(line: str, delimiter: str) -> tuple[list[str], bool]:
    """Split one line into cells, reading a quote as text wherever it does not form a quoted cell.

    A quoted cell is well formed when its closing quote is followed by the delimiter or the end of the
    line (``""`` inside it is one quote). Returns the cells and whether the last cell opened a quote that
    does not close on this line (so it might continue on the next one).
    """
    if line.endswith("\r\n"):
        line = line[:-2]
    elif line.endswith(("\n", "\r")):
        line = line[:-1]
    cells: list[str] = []
    position, end = 0, len(line)
    still_open = False
    while True:
        next_delimiter = line.find(delimiter, position)
        if next_delimiter == -1:
            next_delimiter = end
        if position < end and line[position] == '"':
            parts, scan, closed_at = [], position + 1, -1
            while True:
                quote = line.find('"', scan)
                if quote == -1:  # no quote left on the line: in the csv module's eyes the cell runs on
                    still_open = True
                    break
                if line.startswith('""', quote):
                    parts.append(line[scan : quote + 1])
                    scan = quote + 2
                    continue
                parts.append(line[scan:quote])
                closed_at = quote
                break
            if closed_at != -1 and (closed_at + 1 == end or line[closed_at + 1] == delimiter):
                cells.append("".join(parts))
                position = closed_at + 1
            else:
                cells.append(line[position:next_delimiter])
                position = next_delimiter
        else:
            cells.append(line[position:next_delimiter])
            position = next_delimiter
        if position >= end:
            return cells, still_open
        position += 1  # past the delimiter
        if position == end:
            cells.append("")
            return cells, False


def _xml_declares_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether an XML part has a DOCTYPE (or an unreasonably long prolog) before its first element."""
    with archive.open(info) as part:
        head = part.read(_XML_PROLOG_LIMIT)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.decode("utf-8", errors="replace")
    for match in re.finditer("<", text):
        following = text[match.start() + 1 : match.start() + 2]
        if following not in ("?", "!"):
            prolog = text[: match.start()]
            return "<!DOCTYPE" in prolog or "<!ENTITY" in prolog
    return len(head) >= _XML_PROLOG_LIMIT or "<!DOCTYPE" in text or "<!ENTITY" in text


#: Excel writes a character that XML cannot hold as is (a carriage return, pasted with a report from an e-mail)
#: as ``_xHHHH_`` in a string, and a literal "_x" that looks like one with its "_" as ``_x005F_``.
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


#: Types of a cell whose string is in the cell's own XML (inline, or a formula's text result), not shared.
_OWN_STRING_TYPES = ("inlineStr", "str")


def _load_workbook(path: Path) -> Any:
    """`path` opened by openpyxl (read-only, formulas as their saved results), its shared strings read with Excel's
    ``_xHHHH_`` escapes decoded exactly once. openpyxl's own table drops every ``x005F_`` (half of decoding
    ``_x005F_``, the escaped "_") and leaves the other escapes, so that decoding them after it would decode a
    literal ``_x0041_``, written ``_x005F_x0041_``, a second time, to "A"."""
    from openpyxl.cell.text import Text
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    class Reader(ExcelReader):
        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            if part is None:
                return
            tag = f"{{{SHEET_MAIN_NS}}}si"
            with self.archive.open(part.PartName[1:]) as source:
                for _, node in iterparse(source):
                    if node.tag == tag:
                        self.shared_strings.append(ooxml_unescape(Text.from_tree(node).content))
                        node.clear()

    reader = Reader(path, read_only=True, data_only=True)
    reader.read()
    return reader.wb


def _ooxml_escape(text: str) -> str:
    """`text` for a cell of a workbook: a literal ``_xHHHH_`` written ``_x005F_xHHHH_``, as Excel writes it, so
    that Excel (and `TableReader`) reads it back unchanged instead of as the character HHHH."""
    return _OOXML_ESCAPE.sub(lambda match: "_x005F" + match.group(), text) if "_x" in text else text


def ooxml_unescape(text: str) -> str:
    r"""``text`` of a workbook cell with Excel's ``_xHHHH_`` escapes read as their characters (once: see
    `_load_workbook`).

    >>> ooxml_unescape("punched_x000D_\nand spat"), ooxml_unescape("literal _x005F_x000D_")
    ('punched\r\nand spat', 'literal _x000D_')
    """

    def character(match: re.Match) -> str:
        code = int(match.group(1), 16)
        return match.group() if 0xD800 <= code <= 0xDFFF else chr(code)

    return _OOXML_ESCAPE.sub(character, text)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _NotStrictJson(ValueError):
    """A JSON line that Python's parser accepts but that is not JSON or would lose data (the message says why)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for key, value in pairs:
        if key in record:
            raise _NotStrictJson(f"the key {_safe_key(key)} appears twice in one object, and only one value can "
                                 "be kept; remove or rename the other")
        record[key] = value
    return record


def _no_constant(name: str) -> float:
    raise _NotStrictJson(f"found {name}, which is not JSON (write null for a missing value, or a string)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotStrictJson(f"the number {text[:20]} is too large to hold (it would read as infinity)")
    return value


def _json_depth_exceeds(line: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit` (checked before json.loads recurses)."""
    if line.count("[") + line.count("{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for char in line:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _holds_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _safe_key(key: str) -> str:
    """A JSON key as an error quotes it: as written when it reads like a column name, else only its length (a
    file that uses report text as keys must not have it printed)."""
    if _reads_like_a_header(key) and quotable(key, 3):
        return repr(key.encode("utf-8", "backslashreplace").decode("utf-8"))
    return f"({len(key)} characters, not shown: it does not read like a column name)"


def read_rows(path: str | os.PathLike[str], *, sheet: str | None = None) -> list[dict[str, str]]:
    """Read a whole (small) table into memory; see `TableReader` for the rules."""
    with TableReader(path, sheet=sheet) as reader:
        return list(reader)


#: Row numbers of short rows a `TableReader` keeps (it counts them all).
SHORT_ROWS_KEPT = 20
#: The most characters of a cell or a name an error message quotes: a longer one may be report text.
QUOTED_MAX_CHARS = 40
#: Words of a column name quoted in an error; a name of more is probably the first report of a file without a
#: header row, shown by its place instead.
_NAME_WORDS_QUOTED = 5
#: Digits a column name quoted in an error may hold: one of more may be a phone number of a row of values.
_NAME_MAX_DIGITS = 5


def quotable(value: str, max_words: int) -> bool:
    """Whether an error message may quote `value`: at most `QUOTED_MAX_CHARS` characters and `max_words` words
    (anything longer may be report text, which stays out of messages)."""
    return len(value) <= QUOTED_MAX_CHARS and len(value.split()) <= max_words


#: Words of column names as councils', partners' and form tools' exports name them. A name of several words is
#: quoted in an error only when each is one of these: a first row that is a short report ("John Smith shouted")
#: must not be quoted. So a usual column name with a word missing here is hidden as if it were report text
#: ("Reporter phone", Microsoft Forms' "Start time"): the words of who reported, of when, and of how to reach
#: them are here for that reason.
_HEADER_WORDS = frozenset("""
    a about action actions added address age agency an and area assigned at attachment birth body borough by
    caller case categories category channel city clean cleaned closed code column comment comments community
    complainant completed completion concern concerns confidence contact content council created crime customer
    date datetime day department description detail details district dob due e email end english ethnicity first
    flag for form free from full gender happened how id image in incident index input job key label labels
    language last lat latitude level link location log logged lon longitude mail message mobile modified month
    name narrative needs nhs no note notes number occurred of offence officer on opened or organisation
    organization origin original outcome output owner partner period person phone photo police post postcode
    predicted prediction priority probability quarter raw reason reasons received ref reference religion report
    reported reporter reports resident response review risk row rows school score scores sent service severity
    sheet source split start status street subject submission submitted summary tag tags taken team tel
    telephone tension text the theme themes time timestamp title to topic topics town translated type
    unnamed updated url user value via victim ward week what when where who why witness year your
""".split())


def _reads_like_a_header(column: str) -> bool:
    """One word, or several that are all :data:`_HEADER_WORDS` (case, digits and punctuation aside)."""
    words = column.split()
    if len(words) <= 1:
        return True
    letters = (re.sub(r"[^a-z]+", "", word.casefold()) for word in words)
    return all(not word or word in _HEADER_WORDS for word in letters)


def column_name_shown(column: str) -> bool:
    """Whether a message may quote a column's name: not long, not of several words not all usual in column names
    (the first row of a file without a header is a report), no e-mail address or phone number."""
    return (quotable(column, _NAME_WORDS_QUOTED) and _reads_like_a_header(column) and "@" not in column
            and sum(char.isdigit() for char in column) < _NAME_MAX_DIGITS)


def describe_column(column: str, place: int) -> str:
    """A column as a message names it: its name quoted when :func:`column_name_shown`, else its 1-based `place`
    and the length of its name (which may be report text, an e-mail address or a phone number).

    >>> describe_column("text", 2), describe_column("Please describe what happened", 4)
    ("'text'", 'column 4 (a name of 29 characters, not shown)')
    """
    if column_name_shown(column):
        return repr(column)
    return f"column {place} (a name of {len(column)} characters, not shown)"


#: First words of a form's questions ("Please describe what happened", "Where did this happen?").
_QUESTION_WORDS = frozenset("""
    any are can could describe did do does enter give has have how if is list please provide select tell was were
    what when where which who why would
""".split())


def _reads_like_a_question(column: str) -> bool:
    """Whether a header cell reads like a question of a form (Microsoft or Google Forms name columns by their
    questions): it ends with '?' or ':', or starts with a question's or a request's first word."""
    words = column.split()
    first = re.sub(r"[^a-z]+", "", words[0].casefold()) if words else ""
    return column.rstrip().endswith(("?", ":")) or first in _QUESTION_WORDS


def describe_columns(columns: Sequence[str]) -> str:
    """The columns of a file for an error message, each as :func:`describe_column` names it."""
    return ", ".join(describe_column(column, place) for place, column in enumerate(columns, start=1)) or "(none)"


def columns_found(columns: Sequence[str]) -> str:
    """What an error says it found instead of a column: how many columns, then :func:`describe_columns`.

    >>> columns_found(["Mr Quixtravenko was shouted at near the mosque"]), columns_found(["ID", "Body"])
    ('only one column, column 1 (a name of 46 characters, not shown)', "only 2 columns: 'ID', 'Body'")
    """
    if not columns:
        return "no columns"
    if len(columns) == 1:
        return f"only one column, {describe_column(columns[0], 1)}"
    return f"only {len(columns)} columns: {describe_columns(columns)}"


def first_row_hint(columns: Sequence[str]) -> str:
    """A sentence for an error that lists `columns`, when they read like a report rather than a header (the first
    row of a file without one), else "".

    A name not shown (:func:`column_name_shown`) is no reason alone: a usual header may hold a name of a word
    missing from :data:`_HEADER_WORDS`, and a form's questions are its header. The row reads like a report when a
    name that is not a question is too long for a column name or holds an e-mail address or a phone number (a
    row's values), or when most of its names are neither shown nor questions.

    >>> first_row_hint(["Ref", "Beat code", "Description"])
    ''
    >>> first_row_hint(["CT-1", "Man shouted at my neighbour near the shop on Friday"])
    ' The first row reads like a report rather than a header (column 2): if it is one, add a header row above it, \
e.g. text,labels.'
    """
    odd = {place: column for place, column in enumerate(columns, start=1)
           if not column_name_shown(column) and not _reads_like_a_question(column)}
    reads_like_a_report = 2 * len(odd) > len(columns) or any(
        not quotable(column, _NAME_WORDS_QUOTED) or "@" in column
        or sum(char.isdigit() for char in column) >= _NAME_MAX_DIGITS for column in odd.values()
    )
    if not reads_like_a_report:
        return ""
    *others, last = odd
    places = f"columns {', '.join(map(str, others))} and {last}" if others else f"column {last}"
    return (f" The first row reads like a report rather than a header ({places}): if it is one, add a header row "
            "above it, e.g. text,labels.")


def _is_number(given: str) -> bool:
    return given.isascii() and given.isdigit()


def _column_at(columns: Sequence[str], given: str) -> str | None:
    """The column that `given` names by its 1-based position (``"4"``), or None: a message shows a column whose
    name may be report text by its position only, so that is how it can be given."""
    if _is_number(given) and 1 <= int(given) <= len(columns):
        return columns[int(given) - 1]
    return None


#: Words of a column name that says the column holds who someone is or how to reach them, never the reports.
_CONTACT_WORDS = frozenset("address addresses email mail mobile name names phone postcode surname tel telephone"
                           .split())
#: Rows a column-not-found error reads to give the column of the longest text as its example.
EXAMPLE_ROWS = 200


def says_contact(column: str) -> bool:
    """Whether a column's name says it holds a person's name or contact details ('Reporter phone', 'Your email').

    >>> says_contact("Reporter e-mail"), says_contact("Please describe what happened")
    (True, False)
    """
    return any(word in _CONTACT_WORDS for word in re.findall(r"[a-z]+", column.casefold()))


def column_words(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> dict[str, float]:
    """Words a row on average in each of `columns`, counting text cells only (a number, a date or an empty cell
    counts 0): the column of the reports holds the longest text, a title or category beside it short text.

    >>> column_words([{"title": "ASB", "details": "Bins left out again"}, {"title": "Noise", "details": 3}],
    ...              ["title", "details"])
    {'title': 1.0, 'details': 2.0}
    """
    words = dict.fromkeys(columns, 0)
    rows_read = 0
    for row in rows:
        rows_read += 1
        for column in columns:
            value = row.get(column)
            if isinstance(value, str):
                words[column] += len(value.split())
    return {column: count / max(1, rows_read) for column, count in words.items()}


def _sampled_column_words(path: str | os.PathLike[str], sheet: str | None, columns: Sequence[str]) -> dict[str, float]:
    """:func:`column_words` of the first :data:`EXAMPLE_ROWS` rows of the table at `path` (with those `columns`), or
    {} when they cannot be read so (the command's own reader said why, or will)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the command's own reader gave them
            with TableReader(path, sheet=sheet) as reader:
                if list(reader.columns) != list(columns):
                    return {}
                return column_words(itertools.islice(reader, EXAMPLE_ROWS), columns)
    except (ClassifierError, OSError, UnicodeError, csv.Error):
        return {}


def _how_to_pass(columns: Sequence[str], option: str, words: Mapping[str, float], *, numbered: bool = False) -> str:
    """How to pass a column of `columns`: by its number for a column a message shows so (any column by its number
    when the column asked for was `numbered`), and an example: the column of the longest text when `words`
    (:func:`column_words`) says which, else the last shown by its number; never an id column (`ID_COLUMNS`) or one
    whose name says it holds a name or contact details (:func:`says_contact`)."""
    hidden = [place for place, column in enumerate(columns, start=1) if not column_name_shown(column)]
    by_number = ", or by its number for a column shown so" if hidden else ""
    if numbered and columns:
        by_number = f", by its name or by its number from 1 to {len(columns)}"
    ids = {_folded(name) for name in ID_COLUMNS}
    candidates = {place: column for place, column in enumerate(columns, start=1)
                  if not says_contact(column) and _folded(column) not in ids}
    longest = max(candidates, key=lambda place: words.get(candidates[place], 0.0), default=None)
    if longest is not None and words.get(candidates[longest], 0.0) > 0:
        given = str(longest) if longest in hidden else shlex.quote(candidates[longest])
        count = round(words[candidates[longest]])
        return (f"{by_number} (e.g. {option} {given}, the column of the longest text: {count} "
                f"word{'s' * (count != 1)} a row)")
    numbered = [place for place in hidden if place in candidates]
    return f"{by_number} (e.g. {option} {numbered[-1]})" if numbered else by_number


#: Rows below the first that :func:`header_row_below` looks through for a header.
HEADER_SEARCH_ROWS = 10


def _folded(name: str) -> str:
    """A column name as :func:`find_column` compares it: case, surrounding spaces, spaces or hyphens for
    underscores ignored."""
    return re.sub(r"[\s_-]+", "_", name.strip().casefold())


def header_row_below(path: str | os.PathLike[str], names: Sequence[str], *, sheet: str | None = None,
                     max_rows: int = HEADER_SEARCH_ROWS) -> int | None:
    """For a CSV, TSV or XLSX table whose first row is not its header (a title and blank rows above it), the
    number of the first of its next `max_rows` rows (counted from 1, as a spreadsheet does) that holds one of
    `names` as a cell, compared as :func:`find_column` compares them; None when none does, for JSON Lines, and
    when the rows cannot be read, or when that row has no more cells than the first. Reads only those rows."""
    path = Path(path)
    wanted = {_folded(name) for name in names}
    fmt = SUPPORTED_EXTENSIONS.get(path.suffix.lower())
    try:
        if fmt == "xlsx":
            with TableReader(path, sheet=sheet) as reader:
                rows = [(number, [value for _, value in cells])
                        for number, cells in itertools.islice(reader.iter_sheet_cells(), max_rows + 1)]
        elif fmt in _DELIMITERS:
            encoding, has_bom, _ = _detect_encoding(path)
            text_encoding, errors = _text_encoding(encoding, has_bom)
            with path.open(encoding=text_encoding, newline="", errors="replace" if errors == "strict" else errors
                           ) as handle:
                lines = csv.reader(handle, delimiter=_DELIMITERS[fmt])
                rows = list(enumerate(itertools.islice(lines, max_rows + 1), start=1))
        else:
            return None
    except (DataError, OSError, csv.Error, UnicodeError):
        return None

    def filled(cells: list[Any]) -> int:
        return sum(not _is_blank(cell) for cell in cells)

    # A header below a title has more cells than the title: a value such as "Summary" in a category column of a
    # table whose first row is its header does not count.
    first = filled(rows[0][1]) if rows else 0
    for number, cells in rows[1:]:
        if filled(cells) > first and any(isinstance(cell, str) and _folded(cell) in wanted for cell in cells):
            return number
    return None


def find_column(
    columns: Sequence[str],
    candidates: Sequence[str],
    *,
    given: str | None = None,
    purpose: str = "text",
    path: str | os.PathLike[str] | None = None,
    sheet: str | None = None,
) -> str:
    """Return the column to use for `purpose`.

    `given` (e.g. from ``--text-column``) wins and must exist: a column's name or, when no column is named so, its
    1-based number (``"4"``: how a message shows a name that may be report text); otherwise the first of
    `candidates` present. Matching is exact first, then ignoring case, surrounding spaces, and spaces or hyphens
    in place of underscores ("Report Text" is ``report_text``). With the table's `path` (and `sheet`), a missing column
    that a later row names (:func:`header_row_below`) is reported as a header below a title.

    Raises
    ------
    DataError
        No such column; the message lists the columns that exist and the option to pass.
    """
    option = f"--{purpose.replace('_', '-')}-column"

    def header_hint() -> str:
        """Where the header is, when a row below the first holds the column's name."""
        row = None if path is None else header_row_below(path, [given] if given is not None else candidates,
                                                         sheet=sheet)
        if row is None:
            return ""
        return (f" Row {row} looks like the header (it names the {purpose} column): the header must be the first "
                f"row, so delete the {row - 1} row{'s' if row > 2 else ''} above it (a title or blank rows) "
                "and try again.")

    by_folded: dict[str, str] = {}
    for column in columns:
        by_folded.setdefault(_folded(column), column)

    def lookup(name: str) -> str | None:
        if name in columns:
            return name
        return by_folded.get(_folded(name))

    def how_to_pass(numbered: bool = False) -> str:
        words = _sampled_column_words(path, sheet, columns) if path is not None and purpose == "text" else {}
        return _how_to_pass(columns, option, words, numbered=numbered)

    if given is not None:
        found = lookup(given) or _column_at(columns, given)  # a name first: a column may be named "4"
        if found is None:
            numbered = _is_number(given)  # beyond the last column: say so, rather than "no column named '20'"
            expected = (f"expected a {purpose} column numbered {int(given)} (or named {given!r})" if numbered
                        else f"expected a {purpose} column named {given!r}")
            fix = f"pass one of those with {option}{how_to_pass(numbered)}."
            raise DataError(_not_found(expected, columns, fix, header_hint()))
        return found
    for candidate in candidates:
        found = lookup(candidate)
        if found is not None:
            return found
    looked_for = ", ".join(repr(candidate) for candidate in candidates)
    expected = f"expected a {purpose} column (looked for {looked_for})"
    fix = f"name the one to use with {option} NAME{how_to_pass()}."
    raise DataError(_not_found(expected, columns, fix, header_hint()))


def _not_found(expected: str, columns: Sequence[str], fix: str, header_below: str) -> str:
    """The message of a column not found: what was expected, the columns found, then one diagnosis at most, so that
    two never disagree: the header below a title (`header_below`, which replaces `fix`), else another separator,
    else a first row that reads like a report."""
    found = f"{expected}, found {columns_found(columns)}"
    if header_below:
        return f"{found}.{header_below}"
    return f"{found}; {fix}{_separator_hint(columns) or first_row_hint(columns)}"


def _separator_hint(columns: list[str]) -> str:
    """A sentence for a header read as one column that holds another separator (a semicolon-separated export
    read as CSV, a TSV named .csv), else ""."""
    if len(columns) != 1:
        return ""
    for separator, name in ((";", "semicolons"), ("\t", "tabs"), (",", "commas"), ("|", "bars")):
        if separator in columns[0]:
            return (f" The header looks separated by {name}, which this file's extension does not expect: save it "
                    "as comma-separated .csv (Excel: 'CSV UTF-8 (Comma delimited)') or tab-separated .tsv.")
    return ""


def guard_formula(text: str) -> str:
    """`text` as a spreadsheet shows it instead of running it: a ``'`` before a leading ``= + - @``, tab or CR.

    This is OWASP's defence against CSV injection (``=HYPERLINK("http://evil.example","click")`` typed in
    a report would otherwise become a live link in Excel). A plain number such as ``-3`` or ``+25%`` is
    not a formula and is left alone.

    >>> guard_formula('=HYPERLINK("http://evil.example","click")')
    '\\'=HYPERLINK("http://evil.example","click")'
    >>> guard_formula("-3"), guard_formula("+25%"), guard_formula("-2+3"), guard_formula("no formula")
    ('-3', '+25%', "'-2+3", 'no formula')
    """
    if text.startswith(_FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def unguard_formula(text: str) -> str:
    """The inverse of :func:`guard_formula`: `text` without the ``'`` the guard put before it, for files this
    program wrote and reads back (a reviewed export given to training).

    >>> unguard_formula("'=SUM(A1)"), unguard_formula("'-2+3"), unguard_formula("'quoted'"), unguard_formula("-3")
    ('=SUM(A1)', '-2+3', "'quoted'", '-3')
    """
    if text.startswith("'") and guard_formula(text[1:]) == text:
        return text[1:]
    return text


def _display_width(value: Any) -> int:
    """About how many characters wide `value` shows in a spreadsheet cell: its longest line."""
    if value is None:
        return 0
    if isinstance(value, (dt.date, dt.time)):
        return len(_date_format(value))
    return max(map(len, cell_to_str(value).splitlines() or [""]))


def _date_format(value: dt.date | dt.time) -> str:
    """The number format that shows `value` as `cell_to_str` writes it: ISO dates, the time only when there is one."""
    if isinstance(value, dt.time):
        return "hh:mm:ss" if value.second or value.microsecond else "hh:mm"
    if not isinstance(value, dt.datetime) or value.time() == dt.time(0):
        return "yyyy-mm-dd"
    return "yyyy-mm-dd hh:mm:ss" if value.second or value.microsecond else "yyyy-mm-dd hh:mm"


class AtomicTableWriter:
    """Write a table to a temporary file beside `path` and move it into place only when complete.

    Parameters
    ----------
    path
        The final file; its extension chooses the format unless `format` is given.
    columns
        Column names, in order; written as the header (CSV/TSV/XLSX) and as the keys (JSONL).
    format
        ``"csv"``, ``"tsv"``, ``"xlsx"`` or ``"jsonl"`` to override the extension.
    excel_bom
        CSV/TSV: start the file with a UTF-8 BOM so Excel opens it as UTF-8. Default: True for CSV,
        False for TSV.
    guard_formulas
        CSV/TSV: write a cell that starts with ``= + - @`` (or tab / carriage return) with a ``'`` in
        front (see `guard_formula`), so a spreadsheet shows it as text instead of running it. On by
        default: reports are typed by the public and these files are opened in Excel. Turn it off only
        for files that no spreadsheet will open (the prefix changes the cell's text).
    sheet_title
        XLSX: title of the first worksheet.
    number_formats
        XLSX: column name → Excel number format for the numbers of that column (``{"score_hate": "0.00"}``).
    hidden_columns
        XLSX: columns to hide, as they were in the input (`TableReader.hidden_columns`).

    Notes
    -----
    Values keep their type where the format has one: JSONL writes numbers, booleans, ``None`` (null),
    lists and objects as JSON; XLSX writes numbers, booleans and dates as such (dates and datetimes with an
    ISO date format, ``yyyy-mm-dd`` or ``yyyy-mm-dd hh:mm``), and ``None`` or ``""`` as an empty cell.
    Everything else is written as text (`cell_to_str`).

    An XLSX sheet is laid out for reading: a bold header on a light fill, frozen (the pane at A2), an
    autofilter over the rows written, each column as wide as its header or its widest value among the first
    100 rows (8 to 60 characters), and the text of a column wider than that wrapped. A write-only sheet must
    know its widths before its first row, so the header is written with the first rows (or at `finish`).
    `copy_sheet` adds a sheet copied from a workbook, its cells where they stood, without that layout.

    XLSX strings are always text cells (openpyxl ``data_type = "s"``), so
    a report starting with ``=`` never becomes a formula; characters that XML cannot hold (control
    characters other than tab and newline) are replaced by U+FFFD; a sheet holds at most
    `EXCEL_MAX_ROWS` rows, header included, and a cell at most 32,767 characters (`DataError` beyond).

    Temporary files (the ``.part`` file, and for XLSX the sheet data openpyxl streams to disk) are created
    in the target's folder with mode 0600, since they hold report text. The committed file gets the
    mode of the file it replaces, or ``0o666`` less the process umask.

    Used as a context manager, the file is committed when the block ends normally and the temporary
    files are removed when it ends with any exception, KeyboardInterrupt included. A failure to write
    (full disk, read-only folder) is a `DataError` and leaves nothing behind.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        columns: Sequence[str],
        *,
        format: TableFormat | None = None,
        excel_bom: bool | None = None,
        guard_formulas: bool = True,
        sheet_title: str = "Sheet1",
        number_formats: Mapping[str, str] | None = None,
        hidden_columns: Sequence[str] = (),
    ) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self.hidden_columns = frozenset(hidden_columns)
        if format is not None and format not in SUPPORTED_EXTENSIONS.values():
            allowed = ", ".join(sorted(set(SUPPORTED_EXTENSIONS.values())))
            raise DataError(f"expected format to be one of {allowed}, got {format!r}.")
        self.format: TableFormat = format or table_format(self.path)
        if len(set(self.columns)) != len(self.columns):
            raise DataError(f"{self.path}: expected unique column names, got {self.columns}.")
        self.excel_bom = (self.format == "csv") if excel_bom is None else excel_bom
        self.guard_formulas = guard_formulas
        self.number_formats = dict(number_formats or {})
        self.rows_written = 0
        #: XLSX: cells whose control characters (which the format cannot hold) were written as U+FFFD.
        self.cells_with_control_characters = 0
        self._state = "open"
        directory = self.path.parent
        if self.path.is_dir():
            raise DataError(
                f"{self.path}: expected a file name to write to, found a folder; give a file name such as "
                f"{self.path / ('labelled.' + self.format)}."
            )
        if not directory.is_dir():
            found = "a file of that name" if directory.exists() else "nothing there"
            raise DataError(
                f"{self.path}: expected the folder {str(directory)!r} to exist, found {found}; "
                "create it or write somewhere else."
            )
        self._handle: IO[str] | None = None
        self._csv: Any = None
        self._workbook: Any = None
        self._sheet: Any = None
        self._sheet_rows = 0
        self._sheet_columns: list[str] = []
        self._header_pending = False
        self._wrapped: set[str] = set()
        self._styles: dict[tuple[str | None, bool], Any] = {}
        self._sheet_temps: list[Path] = []
        self.temp_path = self._make_temp(".part")
        try:
            if self.format == "xlsx":
                from openpyxl import Workbook

                self._workbook = Workbook(write_only=True)
                self._start_xlsx_sheet(sheet_title, self.columns)
            else:
                self._handle = open(self.temp_path, "w", encoding="utf-8", newline="")
                if self.format in _DELIMITERS:
                    if self.excel_bom:
                        self._handle.write("\ufeff")
                    self._csv = csv.writer(
                        self._handle, delimiter=_DELIMITERS[self.format], lineterminator="\r\n"
                    )
                    self._csv.writerow([self._text(column) for column in self.columns])  # names are cells too
        except OSError as error:
            raise self._failed(error) from None
        except BaseException:
            self.abort()
            raise

    def _make_temp(self, suffix: str) -> Path:
        """An empty hidden file beside the target, readable by its owner only (mkstemp's mode 0600)."""
        try:
            return create_temporary(self.path, suffix)
        except OSError as error:
            self.abort()
            raise DataError(
                f"{self.path}: expected a folder this program may write in, could not create a file in "
                f"{str(self.path.parent)!r} ({error.strerror}); write somewhere else or fix the folder's "
                "permissions."
            ) from None

    def _failed(self, error: OSError) -> DataError:
        """Abort, and the typed error for a write that the operating system refused."""
        self.abort()
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            return DataError(
                f"{self.path}: expected room on the disk to write it, ran out of space; free some space or "
                "write to another disk."
            )
        return DataError(
            f"{self.path}: expected to be able to write it, the system refused ({error.strerror or error}); "
            "check the folder's permissions and free space, or write somewhere else."
        )

    def _check_open(self) -> None:
        if self._state != "open":
            raise DataError(f"{self.path}: expected an open writer, found it already {self._state}.")

    def _values(self, row: Mapping[str, Any], columns: Sequence[str]) -> list[Any]:
        unknown = [key for key in row if key not in columns]
        if unknown:
            raise DataError(
                f"{self.path} row {row_number(self.rows_written)}: expected only the columns {list(columns)}, "
                f"found also {unknown}; add them to the writer's columns."
            )
        return [row.get(column) for column in columns]

    # -- XLSX -----------------------------------------------------------------------------------
    def _start_xlsx_sheet(self, title: str, columns: Sequence[str]) -> None:
        """A new write-only sheet; its header waits for the first rows, which set the column widths."""
        from openpyxl.worksheet import _writer as sheet_writer

        self._close_xlsx_sheet()
        sheet = self._workbook.create_sheet(title=title)
        # openpyxl streams a write-only sheet to a file in the system temp folder, where abort() cannot
        # see it and a killed run would leave report text behind; give it one beside the output instead.
        # openpyxl removes it itself once the workbook is saved.
        temp = self._make_temp(".sheet.part")
        self._sheet_temps.append(temp)
        sheet_writer.ALL_TEMP_FILES.append(str(temp))
        sheet._writer = sheet_writer.WorksheetWriter(sheet, out=str(temp))
        self._sheet = sheet
        self._sheet_rows = 0
        self._sheet_columns = list(columns)
        self._header_pending = True
        self._wrapped = set()

    def _write_xlsx_header(self, sample: Sequence[Sequence[Any]]) -> None:
        """Column widths, wrapping, the frozen header and the header row, from the header and the `sample` rows.

        Widths and the freeze pane precede the rows in a sheet's XML, so a write-only sheet needs them before
        its first row: they come from the header and the first `_LAYOUT_SAMPLE_ROWS` rows.
        """
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font, PatternFill
        from openpyxl.utils import get_column_letter

        sheet, columns = self._sheet, self._sheet_columns
        for position, column in enumerate(columns, start=1):
            # Room for the bold name and the filter button; a column whose text runs past the cap wraps.
            widest = max([_display_width(column) + 3, *(_display_width(values[position - 1]) for values in sample)])
            width = max(_MIN_WIDTH, min(widest + 1, _MAX_WIDTH))
            sheet.column_dimensions[get_column_letter(position)].width = width
            if column in self.hidden_columns:
                sheet.column_dimensions[get_column_letter(position)].hidden = True
            if widest > _MAX_WIDTH:
                self._wrapped.add(column)
        if columns:
            sheet.freeze_panes = "A2"
        sheet._writer.write_top()
        self._header_pending = False
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=self._xlsx_text(column, column))
            cell.data_type = "s"
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", start_color=_HEADER_FILL, end_color=_HEADER_FILL)
            header.append(cell)
        self._append_xlsx(header)

    def _close_xlsx_sheet(self) -> None:
        """Finish the current sheet's layout: its header if no row came, and the filter over the rows written."""
        from openpyxl.utils import get_column_letter

        if self._sheet is None:
            return
        if self._header_pending:
            self._write_xlsx_header([])
        if self._sheet_columns:  # the filter's range follows the rows, so it is set last
            self._sheet.auto_filter.ref = f"A1:{get_column_letter(len(self._sheet_columns))}{self._sheet_rows}"
        self._sheet = None

    def _append_xlsx(self, cells: list[Any]) -> None:
        if self._sheet_rows >= EXCEL_MAX_ROWS:
            raise DataError(
                f"{self.path}: expected at most {EXCEL_MAX_ROWS - 1:,} rows under the header (all an Excel "
                "sheet holds), found more; write a .csv or .jsonl file instead."
            )
        self._sheet.append(cells)
        self._sheet_rows += 1

    def _write_xlsx_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        if self._sheet is None:
            raise DataError(f"{self.path}: expected a sheet to write rows to; call start_sheet after copy_sheet.")
        rows = iter(rows)
        columns = self._sheet_columns
        if self._header_pending:
            sample = [self._values(row, columns) for row in itertools.islice(rows, _LAYOUT_SAMPLE_ROWS)]
            self._write_xlsx_header(sample)
            for values in sample:
                self._append_xlsx(self._xlsx_cells(values, columns))
                self.rows_written += 1
        for row in rows:
            self._append_xlsx(self._xlsx_cells(self._values(row, columns), columns))
            self.rows_written += 1

    def _xlsx_cells(self, values: Sequence[Any], columns: Sequence[str]) -> list[Any]:
        cells: list[Any] = []
        for column, value in zip(columns, values, strict=True):
            if value is None or (isinstance(value, str) and not value):
                cells.append(None)  # an empty cell stays empty, not a cell of empty text
            elif isinstance(value, (bool, dt.timedelta)):
                cells.append(value)
            elif isinstance(value, (int, float)) and abs(value) <= _EXCEL_MAX_NUMBER:
                number_format = self.number_formats.get(column)
                cells.append(self._styled(value, number_format=number_format) if number_format else value)
            elif isinstance(value, (dt.date, dt.time)) and getattr(value, "tzinfo", None) is None:
                cells.append(self._styled(value, number_format=_date_format(value)))
            else:
                cell = self._styled(self._xlsx_text(value, column), wrap=column in self._wrapped)
                cell.data_type = "s"  # never a formula, whatever the text starts with
                cells.append(cell)
        return cells

    def _xlsx_text(self, value: Any, column: str) -> str:
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        text, replaced = ILLEGAL_CHARACTERS_RE.subn("\ufffd", cell_to_str(value))
        if replaced:  # control characters, which an .xlsx file cannot hold
            self.cells_with_control_characters += 1
        text = _ooxml_escape(text)
        if len(text) > _XLSX_MAX_CELL:
            raise DataError(
                f"{self.path} row {row_number(self.rows_written)}, column {column!r}: expected at most "
                f"{_XLSX_MAX_CELL:,} characters in a cell (Excel's limit), found {len(text):,}; write a "
                ".csv or .jsonl file instead."
            )
        return text

    def _styled(self, value: Any, *, number_format: str | None = None, wrap: bool = False) -> Any:
        """A write-only cell of `value` with a number format or wrapped text. The style is built once per kind
        and copied: building it for every cell of a long file would cost more than writing the cell."""
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment

        cell = WriteOnlyCell(self._sheet, value=value)
        key = (number_format, wrap)
        style = self._styles.get(key)
        if style is None:
            if number_format:
                cell.number_format = number_format
            if wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            style = self._styles[key] = copy.copy(cell._style)
        cell._style = copy.copy(style)
        return cell

    def copy_sheet(self, title: str, rows: Iterable[tuple[int, Sequence[tuple[int, Any]]]],
                   state: str = "visible") -> int:
        """XLSX only: add a sheet `title` holding `rows` where they stood, and return how many rows it has.
        `state` is its state in Excel, as in the input ("hidden" and "veryHidden" sheets stay hidden).

        `rows` are ``(row number, [(column number, value)])`` as `TableReader.iter_sheet_cells` gives them.
        Values are written as `write_rows` writes them (types kept, text never a formula); the sheet gets no
        header style, widths or filter, since a copied sheet is not ours to lay out. `write_rows` cannot
        follow it without `start_sheet`.
        """
        self._check_open()
        if self.format != "xlsx":
            raise DataError(f"{self.path}: expected an .xlsx file for several sheets, found {self.format}.")
        try:
            self._start_xlsx_sheet(title, [])
            self._sheet.sheet_state = state
            self._header_pending = False
            self._sheet._writer.write_top()
            for index, cells in rows:
                while self._sheet_rows < index - 1:  # rows the sheet's XML leaves out stay empty rows
                    self._append_xlsx([])
                values: list[Any] = [None] * max((column for column, _ in cells), default=0)
                for column, value in cells:
                    values[column - 1] = value
                self._append_xlsx(self._xlsx_cells(values, [""] * len(values)))
            copied = self._sheet_rows
            self._sheet = None
        except OSError as error:
            raise self._failed(error) from None
        return copied

    def order_sheets(self, titles: Sequence[str], active: str) -> None:
        """XLSX only: put the sheets in the order of `titles` (any not named follow them) and open on `active`."""
        self._check_open()
        sheets = {sheet.title: sheet for sheet in self._workbook.worksheets}
        ordered = [sheets.pop(title) for title in titles if title in sheets]
        self._workbook._sheets = ordered + list(sheets.values())
        self._workbook.active = self._workbook._sheets.index(self._workbook[active])

    def _discard_xlsx(self) -> None:
        if self._workbook is None and not self._sheet_temps:
            return  # not an XLSX file: nothing to import openpyxl for (slow the first time)
        from openpyxl.worksheet import _writer as sheet_writer

        if self._workbook is not None:
            for sheet in self._workbook.worksheets:
                # Close openpyxl's row and file generators so the sheet file is closed before it goes.
                streams = (getattr(sheet, "_rows", None), getattr(getattr(sheet, "_writer", None), "xf", None))
                for stream in streams:
                    if stream is not None:
                        try:
                            stream.close()
                        except Exception:  # best effort: the file is removed below anyway
                            pass
            self._workbook = None
        for temp in self._sheet_temps:
            temp.unlink(missing_ok=True)
            if str(temp) in sheet_writer.ALL_TEMP_FILES:
                sheet_writer.ALL_TEMP_FILES.remove(str(temp))
        self._sheet_temps = []

    # -- writing ----------------------------------------------------------------------------------
    def _text(self, value: Any) -> str:
        text = cell_to_str(value)
        return guard_formula(text) if self.guard_formulas else text

    def write_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Append rows; missing columns are written empty, unknown keys raise `DataError`."""
        self._check_open()
        try:
            if self.format == "xlsx":
                self._write_xlsx_rows(rows)
                return
            for row in rows:
                values = self._values(row, self.columns)
                if self.format == "jsonl":
                    assert self._handle is not None
                    record = dict(zip(self.columns, values, strict=True))
                    self._handle.write(json.dumps(record, ensure_ascii=False, default=cell_to_str) + "\n")
                else:
                    self._csv.writerow([self._text(value) for value in values])
                self.rows_written += 1
        except OSError as error:
            raise self._failed(error) from None

    def start_sheet(self, title: str, columns: Sequence[str]) -> None:
        """XLSX only: continue in a new worksheet with its own header; `write_rows` then fills it."""
        self._check_open()
        if self.format != "xlsx":
            raise DataError(f"{self.path}: expected an .xlsx file for several sheets, found {self.format}.")
        self.columns = list(columns)
        try:
            self._start_xlsx_sheet(title, self.columns)
        except OSError as error:
            raise self._failed(error) from None

    def finish(self) -> None:
        """Write everything to the temporary file (to disk), ready for `publish`; nothing is renamed yet.

        With two outputs, finish both before publishing either, so that a full disk leaves neither.
        """
        self._check_open()
        try:
            if self._workbook is not None:
                self._close_xlsx_sheet()
                self._workbook.save(self.temp_path)
                self._workbook = None
                self._sheet_temps = []  # removed by openpyxl once saved
                fsync_path(self.temp_path)
            elif self._handle is not None:
                self._handle.flush()
                os.fsync(self._handle.fileno())
                self._handle.close()
                self._handle = None
        except OSError as error:
            raise self._failed(error) from None
        except BaseException:
            self.abort()
            raise
        self._state = "finished"

    def publish(self, *, replace: bool = True) -> Path:
        """Rename the finished temporary file onto `path`, replacing any existing file unless ``replace=False``;
        returns `path`.

        Raises
        ------
        DataError
            ``replace=False`` and a file appeared at `path` while this one was written (another run writing the
            same output, say): it is left as it was, and this writer's file is removed.
        """
        if self._state != "finished":
            raise DataError(f"{self.path}: expected a finished writer to publish, found it {self._state}.")
        try:
            publish(self.temp_path, self.path, replace=replace)
        except FileExistsError:
            self.abort()
            raise DataError(f"{self.path} appeared while this run was writing it (another run writing the same file?); "
                            "it was left as it was. Pass --force to replace it, or choose another name.") from None
        except OSError as error:
            raise self._failed(error) from None
        except BaseException:
            self.abort()
            raise
        self._state = "committed"
        return self.path

    def commit(self) -> Path:
        """Finish the file and rename it onto `path` (replacing any existing file); returns `path`."""
        self.finish()
        return self.publish()

    def abort(self) -> None:
        """Discard everything written; the target file is left as it was. Safe to call twice."""
        if self._state == "committed":
            return
        self._state = "aborted"
        try:
            if self._handle is not None:
                try:
                    self._handle.close()
                except OSError:  # a full disk fails the final flush too; the file is removed anyway
                    pass
                self._handle = None
            self._discard_xlsx()
        finally:  # whatever interrupts the above (a second Ctrl-C), the file of report text goes
            temp = getattr(self, "temp_path", None)
            if temp is not None:
                temp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicTableWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and self._state == "open":
            self.commit()
        elif exc_type is None and self._state == "finished":
            self.publish()
        else:
            self.abort()
