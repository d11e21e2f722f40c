"""Read and write tabular report files (CSV, TSV, XLSX, JSON Lines) as rows of strings.

Every module of the package reads and writes reports through here, so that encodings, Excel quirks
and half-written output files are handled once.

Reading
-------
`TableReader` streams a file in chunks of ``dict[str, str]`` rows; every row of the file comes out,
in order, empty rows included (count in = count out). Header names are made unique: an empty header
cell becomes ``column_<n>`` (1-based position) and a repeated name gets ``_2``, ``_3``, ...

Writing
-------
`AtomicTableWriter` writes to a hidden ``.<name>.<random>.part`` file beside the target and renames it
into place on `commit`, so a crash or Ctrl-C never leaves a half-written file under the real name.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import math
import os
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

from classifier.errors import DataError

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "AtomicTableWriter",
    "EncodingFallbackWarning",
    "TableReader",
    "cell_to_str",
    "find_column",
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
# Bytes that cp1252 leaves undefined: a file containing any of them can only be latin-1.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_SCAN_BLOCK = 1 << 20
_XLSX_MAX_CELL = 32767
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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
        raise DataError(
            f"{path}: expected a file ending in one of {supported}, found {suffix or 'no extension'!r}; "
            "save the file in one of those formats or rename it."
        ) from None


def cell_to_str(value: Any) -> str:
    """Convert a cell value to the string the rest of the package sees.

    None → "", booleans → "true"/"false", whole floats → "12", dates → ``YYYY-MM-DD``, datetimes →
    ``YYYY-MM-DD HH:MM:SS`` (``YYYY-MM-DD`` when the time is midnight, as Excel stores plain dates),
    lists of scalars (JSON) → ``;``-joined, other containers → compact JSON.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
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


def _detect_encoding(path: Path) -> tuple[str, bool]:
    """Scan `path` block by block; return the encoding to use and whether it starts with a UTF-8 BOM.

    Scanning first (constant memory) means the encoding is fixed before any row is yielded, so no
    row is decoded twice or decoded two different ways.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    cp1252_ok = True
    with path.open("rb") as handle:
        first = handle.read(_SCAN_BLOCK)
        has_bom = first.startswith(_UTF8_BOM)
        block = first[len(_UTF8_BOM) :] if has_bom else first
        while block:
            if utf8_ok:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8_ok = False
            if cp1252_ok and not _CP1252_UNDEFINED.isdisjoint(block):
                cp1252_ok = False
            if not utf8_ok and not cp1252_ok:
                break
            block = handle.read(_SCAN_BLOCK)
    if utf8_ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    if utf8_ok:
        return "utf-8", has_bom
    return ("cp1252" if cp1252_ok else "latin-1"), has_bom


class TableReader:
    """Stream the rows of a CSV, TSV, XLSX or JSON Lines file as ``dict[str, str]``.

    Parameters
    ----------
    path
        The file; its extension chooses the format (see `SUPPORTED_EXTENSIONS`).
    sheet
        XLSX only: the worksheet to read (default: the first).

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

    Notes
    -----
    CSV/TSV: UTF-8 with or without BOM; otherwise cp1252 (latin-1 if cp1252 cannot decode it) with an
    `EncodingFallbackWarning`. A short row gets "" for its missing cells; a row with extra cells that
    are not empty raises `DataError` (empty extra cells, such as trailing commas, are ignored).
    Empty rows are rows. Row numbers in messages count data rows from 1 (the header is not a row).

    XLSX: read with ``read_only=True, data_only=True``: a formula cell gives the value Excel cached
    when it last saved the file; a file written by a program that cannot calculate (openpyxl, some
    exporters) has no cached values, and those cells read as "". The header is the first non-empty
    row. Empty rows between data rows are yielded; empty rows after the last data row are not (Excel
    often declares formatted but empty rows at the end of a sheet). XML normalises line ends, so a
    ``\r\n`` written into a cell reads back as ``\n``.

    JSON Lines: every line must be a JSON object. The file is scanned once on opening to validate
    every line and collect the columns (constant memory), so every yielded row has every column.
    Blank lines at the end of the file are ignored; a blank line followed by more objects raises.

    Examples
    --------
    >>> with TableReader("reports.csv") as reader:  # doctest: +SKIP
    ...     for chunk in reader.iter_chunks(1000):
    ...         ...
    """

    def __init__(self, path: str | os.PathLike[str], *, sheet: str | None = None) -> None:
        self.path = Path(path)
        self.sheet = sheet
        self.format: TableFormat = table_format(self.path)
        self.columns: list[str] = []
        self.encoding: str | None = None
        self._handle: IO[str] | None = None
        self._workbook: Any = None
        self._rows: Iterator[dict[str, str]] | None = None

    # -- context management -------------------------------------------------------------------
    def open(self) -> TableReader:
        """Open the file and read its header; returns self."""
        if self._rows is not None:
            return self
        if not self.path.is_file():
            raise DataError(f"{self.path}: expected an existing file, found nothing there; check the path.")
        if self.format in _DELIMITERS:
            self._rows = self._open_delimited()
        elif self.format == "xlsx":
            self._rows = self._open_xlsx()
        else:
            self._rows = self._open_jsonl()
        return self

    def close(self) -> None:
        """Release the file; safe to call twice."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
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

    # -- iteration ------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[dict[str, str]]:
        self.open()
        assert self._rows is not None
        return self._rows

    def iter_chunks(self, size: int = 5000) -> Iterator[list[dict[str, str]]]:
        """Yield the rows in lists of at most `size` rows, in file order."""
        if size < 1:
            raise ValueError(f"size must be a positive number of rows, got {size}.")
        chunk: list[dict[str, str]] = []
        for row in self:
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    # -- CSV / TSV ------------------------------------------------------------------------------
    def _open_delimited(self) -> Iterator[dict[str, str]]:
        encoding, has_bom = _detect_encoding(self.path)
        if encoding == "utf-8":
            self.encoding = "utf-8-sig" if has_bom else "utf-8"
        else:
            self.encoding = encoding
            warnings.warn(
                f"{self.path} is not valid UTF-8; read it as {encoding}. Characters may be wrong if it "
                "was saved in another encoding: save it as 'CSV UTF-8' (Excel) or UTF-8 to avoid this.",
                EncodingFallbackWarning,
                stacklevel=3,
            )
        binary = self.path.open("rb")
        if has_bom:
            binary.seek(len(_UTF8_BOM))
        self._handle = io.TextIOWrapper(binary, encoding=encoding, newline="")
        reader = csv.reader(self._handle, delimiter=_DELIMITERS[self.format], strict=False)
        try:
            header = next(reader)
        except StopIteration:
            raise DataError(
                f"{self.path}: expected a header row naming the columns, found an empty file; "
                "add a header line such as 'id,text'."
            ) from None
        except csv.Error as error:
            raise DataError(f"{self.path} line 1: cannot read the header ({error}).") from None
        self.columns = _unique_columns(header)
        return self._iter_delimited(reader)

    def _iter_delimited(self, reader: Any) -> Iterator[dict[str, str]]:
        columns = self.columns
        width = len(columns)
        row_number = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                self.close()
                return
            except csv.Error as error:
                raise DataError(
                    f"{self.path} row {row_number + 1} (line {reader.line_num}): cannot parse the row "
                    f"({error}); check for an unbalanced quote."
                ) from None
            row_number += 1
            if len(cells) > width:
                extra = [cell for cell in cells[width:] if cell.strip()]
                if extra:
                    raise DataError(
                        f"{self.path} row {row_number} (line {reader.line_num}): expected at most {width} "
                        f"cells as in the header, found {len(cells)}; quote cells that contain "
                        f"'{_DELIMITERS[self.format]}' or add a header for the extra column."
                    )
                cells = cells[:width]
            elif len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            yield dict(zip(columns, cells, strict=True))

    # -- XLSX -----------------------------------------------------------------------------------
    def _open_xlsx(self) -> Iterator[dict[str, str]]:
        from openpyxl import load_workbook

        try:
            self._workbook = load_workbook(self.path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises zipfile, KeyError, InvalidFileException...
            raise DataError(
                f"{self.path}: expected an Excel .xlsx workbook, could not open it ({error}); "
                "re-save it from Excel as .xlsx or export it as CSV UTF-8."
            ) from None
        names = self._workbook.sheetnames
        if self.sheet is None:
            worksheet = self._workbook.worksheets[0]
        elif self.sheet in names:
            worksheet = self._workbook[self.sheet]
        else:
            found = ", ".join(map(repr, names))
            raise DataError(
                f"{self.path}: expected a sheet named {self.sheet!r}, found only {found}; pass one of those."
            )
        rows = worksheet.iter_rows(values_only=True)
        header: tuple[Any, ...] = ()
        for values in rows:
            if any(cell_to_str(value).strip() for value in values):
                header = values
                break
        while header and cell_to_str(header[-1]).strip() == "":
            header = header[:-1]
        self.columns = _unique_columns(header)
        return self._iter_xlsx(rows)

    def _iter_xlsx(self, rows: Iterator[tuple[Any, ...]]) -> Iterator[dict[str, str]]:
        columns = self.columns
        width = len(columns)
        row_number = 0
        pending_empty = 0
        for values in rows:
            cells = [cell_to_str(value) for value in values]
            if not any(cell.strip() for cell in cells):
                pending_empty += 1
                continue
            for _ in range(pending_empty):
                row_number += 1
                yield dict.fromkeys(columns, "")
            pending_empty = 0
            row_number += 1
            if len(cells) > width:
                if any(cell.strip() for cell in cells[width:]):
                    raise DataError(
                        f"{self.path} row {row_number}: expected values only under the {width} header "
                        f"columns, found a value in column {len(cells)}; add a header for that column."
                    )
                cells = cells[:width]
            cells += [""] * (width - len(cells))
            yield dict(zip(columns, cells, strict=True))
        self.close()

    # -- JSON Lines -----------------------------------------------------------------------------
    def _open_jsonl(self) -> Iterator[dict[str, str]]:
        self.encoding = "utf-8"
        seen: dict[str, None] = {}
        for _, record in self._iter_jsonl_objects():
            for key in record:
                seen.setdefault(key)
        self.columns = list(seen)
        return self._iter_jsonl()

    def _iter_jsonl_objects(self) -> Iterator[tuple[int, dict[str, Any]]]:
        blank_line = 0
        line_number = 0
        with self.path.open(encoding="utf-8-sig") as handle:
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
                if not line.strip():
                    blank_line = blank_line or line_number
                    continue
                if blank_line:
                    raise DataError(
                        f"{self.path} line {blank_line}: expected a JSON object, found a blank line; "
                        "remove it, or write {} for an empty row."
                    )
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise DataError(
                        f"{self.path} line {line_number}: expected one JSON object per line, could not "
                        f"parse it ({error.msg} at column {error.colno}); fix or remove that line."
                    ) from None
                if not isinstance(record, dict):
                    raise DataError(
                        f"{self.path} line {line_number}: expected a JSON object {{...}}, found "
                        f"{type(record).__name__}; write each row as an object such as "
                        '{"text": "..."}.'
                    )
                yield line_number, record

    def _iter_jsonl(self) -> Iterator[dict[str, str]]:
        columns = self.columns
        for _, record in self._iter_jsonl_objects():
            yield {column: cell_to_str(record.get(column)) for column in columns}


def read_rows(path: str | os.PathLike[str], *, sheet: str | None = None) -> list[dict[str, str]]:
    """Read a whole (small) table into memory; see `TableReader` for the rules."""
    with TableReader(path, sheet=sheet) as reader:
        return list(reader)


def find_column(
    columns: Sequence[str],
    candidates: Sequence[str],
    *,
    given: str | None = None,
    purpose: str = "text",
) -> str:
    """Return the column to use for `purpose`.

    `given` (e.g. from ``--text-column``) wins and must exist; otherwise the first of `candidates`
    present. Matching is exact first, then case-insensitive (surrounding spaces ignored).

    Raises
    ------
    DataError
        No such column; the message lists the columns that exist and the option to pass.
    """
    option = f"--{purpose.replace('_', '-')}-column"
    available = ", ".join(repr(column) for column in columns) or "(none)"
    by_folded: dict[str, str] = {}
    for column in columns:
        by_folded.setdefault(column.strip().casefold(), column)

    def lookup(name: str) -> str | None:
        if name in columns:
            return name
        return by_folded.get(name.strip().casefold())

    if given is not None:
        found = lookup(given)
        if found is None:
            raise DataError(
                f"expected a {purpose} column named {given!r}, found only columns {available}; "
                f"pass one of those with {option}."
            )
        return found
    for candidate in candidates:
        found = lookup(candidate)
        if found is not None:
            return found
    looked_for = ", ".join(repr(candidate) for candidate in candidates)
    raise DataError(
        f"expected a {purpose} column (looked for {looked_for}), found only columns {available}; "
        f"name the one to use with {option} NAME."
    )


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
        CSV/TSV: prefix cells starting with ``= + - @`` (or tab / carriage return) with ``'`` so a
        spreadsheet shows them as text instead of running them. Off by default: CSV output is data
        that the package and other programs read back, and the prefix would change it. Use XLSX for
        files that people open in Excel.
    sheet_title
        XLSX: title of the first worksheet.

    Notes
    -----
    XLSX strings are always written as text cells (openpyxl ``data_type = "s"``), so a report starting
    with ``=`` or ``+`` never becomes a formula. Characters that XML cannot hold (control characters
    other than tab and newline) are replaced by U+FFFD in XLSX. ints and floats are written as numbers.

    Used as a context manager, the file is committed when the block ends normally and the temporary
    file is removed when it ends with any exception, KeyboardInterrupt included.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        columns: Sequence[str],
        *,
        format: TableFormat | None = None,
        excel_bom: bool | None = None,
        guard_formulas: bool = False,
        sheet_title: str = "Sheet1",
    ) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        if format is not None and format not in SUPPORTED_EXTENSIONS.values():
            allowed = ", ".join(sorted(set(SUPPORTED_EXTENSIONS.values())))
            raise DataError(f"expected format to be one of {allowed}, got {format!r}.")
        self.format: TableFormat = format or table_format(self.path)
        if len(set(self.columns)) != len(self.columns):
            raise DataError(f"{self.path}: expected unique column names, got {self.columns}.")
        self.excel_bom = (self.format == "csv") if excel_bom is None else excel_bom
        self.guard_formulas = guard_formulas
        self.rows_written = 0
        self._state = "open"
        directory = self.path.parent
        if not directory.is_dir():
            raise DataError(
                f"{self.path}: expected the folder {str(directory)!r} to exist, found nothing there; "
                "create it or write somewhere else."
            )
        descriptor, temp_name = tempfile.mkstemp(
            dir=directory, prefix=f".{self.path.name}.", suffix=".part"
        )
        self.temp_path = Path(temp_name)
        self._handle: IO[str] | None = None
        self._csv: Any = None
        self._workbook: Any = None
        self._sheet: Any = None
        try:
            if self.format == "xlsx":
                os.close(descriptor)
                from openpyxl import Workbook

                self._workbook = Workbook(write_only=True)
                self._sheet = self._workbook.create_sheet(title=sheet_title)
                self._sheet.append(self._xlsx_cells(self.columns))
            else:
                self._handle = open(descriptor, "w", encoding="utf-8", newline="")
                if self.format in _DELIMITERS:
                    if self.excel_bom:
                        self._handle.write("\ufeff")
                    self._csv = csv.writer(
                        self._handle, delimiter=_DELIMITERS[self.format], lineterminator="\r\n"
                    )
                    self._csv.writerow(self.columns)
        except BaseException:
            self.abort()
            raise

    def _check_open(self) -> None:
        if self._state != "open":
            raise DataError(f"{self.path}: expected an open writer, found it already {self._state}.")

    def _values(self, row: Mapping[str, Any], columns: Sequence[str]) -> list[Any]:
        unknown = [key for key in row if key not in columns]
        if unknown:
            raise DataError(
                f"{self.path} row {self.rows_written + 1}: expected only the columns {list(columns)}, "
                f"found also {unknown}; add them to the writer's columns."
            )
        return [row.get(column) for column in columns]

    def _xlsx_cells(self, values: Sequence[Any]) -> list[Any]:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        cells = []
        for value in values:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append(value)
                continue
            text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", cell_to_str(value))
            if len(text) > _XLSX_MAX_CELL:
                raise DataError(
                    f"{self.path} row {self.rows_written + 1}: expected cells of at most {_XLSX_MAX_CELL} "
                    f"characters (Excel's limit), found {len(text)}; write CSV or JSONL instead."
                )
            cell = WriteOnlyCell(self._sheet, value=text)
            cell.data_type = "s"  # never a formula, whatever the text starts with
            cells.append(cell)
        return cells

    def _text(self, value: Any) -> str:
        text = cell_to_str(value)
        if self.guard_formulas and text.startswith(_FORMULA_PREFIXES):
            return "'" + text
        return text

    def write_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Append rows; missing columns are written empty, unknown keys raise `DataError`."""
        self._check_open()
        for row in rows:
            values = self._values(row, self.columns)
            if self.format == "xlsx":
                self._sheet.append(self._xlsx_cells(values))
            elif self.format == "jsonl":
                assert self._handle is not None
                record = {
                    column: cell_to_str(value) for column, value in zip(self.columns, values, strict=True)
                }
                self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                self._csv.writerow([self._text(value) for value in values])
            self.rows_written += 1

    def start_sheet(self, title: str, columns: Sequence[str]) -> None:
        """XLSX only: continue in a new worksheet with its own header; `write_rows` then fills it."""
        self._check_open()
        if self.format != "xlsx":
            raise DataError(f"{self.path}: expected an .xlsx file for several sheets, found {self.format}.")
        self.columns = list(columns)
        self._sheet = self._workbook.create_sheet(title=title)
        self._sheet.append(self._xlsx_cells(self.columns))

    def commit(self) -> Path:
        """Finish the file and rename it onto `path` (replacing any existing file); returns `path`."""
        self._check_open()
        try:
            if self._workbook is not None:
                self._workbook.save(self.temp_path)
                self._workbook = None
            elif self._handle is not None:
                self._handle.flush()
                os.fsync(self._handle.fileno())
                self._handle.close()
                self._handle = None
            mode = self.path.stat().st_mode & 0o777 if self.path.exists() else 0o644
            os.chmod(self.temp_path, mode)
            os.replace(self.temp_path, self.path)
        except BaseException:
            self.abort()
            raise
        self._state = "committed"
        return self.path

    def abort(self) -> None:
        """Discard everything written; the target file is left as it was. Safe to call twice."""
        if self._state == "committed":
            return
        self._state = "aborted"
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self._workbook = None
        self.temp_path.unlink(missing_ok=True)

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
        else:
            self.abort()
