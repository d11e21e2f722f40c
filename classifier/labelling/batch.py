"""Label a whole backlog file: every row in, every row out, with labels, scores, a review flag and reasons.

The input is streamed in chunks and the output written through `AtomicTableWriter`, so memory stays flat
however long the file is and an interrupted run leaves no partial output. With ``jobs > 1`` the chunks
are labelled by a pool of worker processes that each get a copy of the model loaded (and checked) here, so
they share that one model and its label order, and results are written back in input order, so the
output is byte-for-byte the same whatever ``jobs`` is.

Added columns
-------------
``labels`` (``;``-separated), ``score_<label>`` for every label of the model (numbers), ``needs_review``
(a boolean; ``true``/``false`` in CSV/TSV), ``review_reason`` (why the row needs review, in the words of
`classifier.model.label_names.review_reason`: "Israel/Palestine is 0.41, close to its threshold 0.54 (not
given)."; "Not classified: empty text." for a row not classified; empty when the row needs no review),
``reasons`` (``label: words, words; label: words``, the report's own words) and ``status``
(``ok``, or why the row was not classified: ``empty text``, ``text too long``). If the input already has a column with
any of these names, case, spaces, hyphens and underscores aside (``Status``, ``Needs Review``), *all* added columns
get the prefix ``tension_`` (then ``tension2_``, ``tension3_``, ... if that clashes too), so the original columns
are never overwritten, no two columns read alike, and the added ones stay together under one prefix.
`BatchSummary.added_columns` says which names were used; `classifier.io.columns` defines them
(`added_column_names`) and how rows are numbered in messages.

XLSX output
-----------
From an XLSX input, original cells keep their types (numbers, dates, booleans; empty cells stay empty), the
labelled sheet keeps its name and the workbook's other sheets are copied after it in their order, values
only (`BatchSummary.copied_sheets`; chart sheets are listed in `BatchSummary.sheets_not_copied`). Our
columns are typed: scores are numbers shown to two decimals, ``needs_review`` a boolean. The sheet is laid
out for reading: a bold, filled, frozen header with an autofilter, column widths from the header and the
first rows, long text wrapped (see `classifier.io.tables.AtomicTableWriter`). CSV/TSV inputs give text
cells, as they hold text.

Safety
------
Original cells are written back as read: numbers, booleans and nulls keep their type in JSONL and XLSX
output, and CSV/TSV output neutralises spreadsheet formulas (see `classifier.io.tables.guard_formula`).
XLSX text is always a text cell, never a formula; formulas of the input are written as their last results.
A report longer than ``max_chars`` is not classified (status ``text too long``) and never preprocessed.
Temporary files are created beside the output, readable by the owner only, and removed on any error
and on SIGTERM/SIGHUP, after which the signal is delivered as usual.
"""

from __future__ import annotations

import collections
import itertools
import os
import shlex
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.errors import ClassifierError, ConfigError, DataError, ModelError
from classifier.io.columns import (
    LABELS_COLUMN,
    NEEDS_REVIEW_COLUMN,
    REVIEW_REASON_COLUMN,
    SCORE_NUMBER_FORMAT,
    STATUS_COLUMN,
    TEXT_COLUMNS,
    added_column_names,
    input_row_number,
    score_column,
)
from classifier.io.cpus import usable_cpus
from classifier.io.signals import cleanup_on_termination, interrupts_held
from classifier.io.tables import (
    EXCEL_MAX_ROWS,
    AtomicTableWriter,
    ReadLimits,
    TableReader,
    cell_to_str,
    column_name_shown,
    column_words,
    describe_column,
    find_column,
    says_contact,
    table_format,
)
from classifier.model.label_names import UNFAMILIAR_REASON
from classifier.reports.rates import throughput

__all__ = ["DEFAULT_CHUNK_SIZE", "BatchSummary", "TextColumnWarning", "added_column_names", "choose_text_column",
           "count_rows", "default_output_path", "label_file", "longer_text_column"]

#: Rows per chunk: 1,000 rows of ~60 words peak at about 350 MB in one process against 420 MB for 2,000 and
#: 600 MB for 5,000, at the same speed (benchmarks/README.md).
DEFAULT_CHUNK_SIZE = 1000
#: Inputs from this size up are labelled by one worker per CPU by default (below it, starting the workers
#: costs more than they save: about 2,500 reports of 40 words).
PARALLEL_MIN_BYTES = 512 * 1024
#: Chunks queued per worker: enough to keep every worker busy, few enough to keep memory flat.
_CHUNKS_IN_FLIGHT_PER_JOB = 2

#: Called with (rows done, rows expected): the expected count is estimated from the share of the input read so far
#: (no second pass over the file), ``None`` until there is an estimate, and exact once the input is read.
ProgressCallback = Callable[[int, "int | None"], None]


@dataclass
class BatchSummary:
    """What `label_file` did; ``str(summary)`` is the report the CLI prints (counts only, never text).

    Attributes
    ----------
    input, output, review_output
        The files read and written (``review_output`` is None without ``review_out``).
    text_column, text_column_place
        The input column that was labelled, and its 1-based place among the input's columns (the summary names it
        by its place when its name may be report text, as errors do).
    rows_in, rows_out
        Rows read and rows written; always equal (`label_file` raises otherwise).
    label_counts
        Rows given each label, for every label of the model (0 included), in the model's order.
    needs_review
        Rows flagged for a person, unclassified rows included.
    unfamiliar
        Of those, rows whose words the model mostly does not know (`Prediction.unfamiliar`: another language,
        only emoji or symbols).
    test_review
        What the review flag caught on the model's own test split (`review_flag` of its metadata), when the model
        has those figures and is used with the band they were measured with; else None.
    not_classified
        Rows whose ``status`` is not ``ok``; `status_counts` says why.
    review_rows
        Rows written to ``review_output`` (= ``needs_review``), 0 without it.
    added_columns
        Our column name → the name used in the output (differs when an input column had that name).
    jobs, seconds
        Worker processes used, and wall-clock time, reading and writing included.
    sheet, copied_sheets, sheets_not_copied
        XLSX input: the sheet labelled (the output's sheet of the same name), the input's other sheets copied
        to the XLSX output(s) unchanged, and those not copied with the reason (a chart sheet, or an output
        format that holds one sheet). None and empty for other inputs.
    lines_read, multiline_rows, longest_row_lines
        CSV/TSV input: lines read (header included), rows that span several lines (line breaks inside
        quoted cells) and the most lines one row spans; 0 for XLSX and JSONL. A stray quote that merged
        rows shows up here.
    short_rows, short_row_count
        CSV/TSV input: the row numbers of rows with fewer cells than the header (the first 20), and how many.
    """

    input: Path
    output: Path
    review_output: Path | None
    text_column: str
    text_column_place: int = 0
    rows_in: int = 0
    rows_out: int = 0
    label_counts: dict[str, int] = field(default_factory=dict)
    needs_review: int = 0
    unfamiliar: int = 0
    not_classified: int = 0
    status_counts: dict[str, int] = field(default_factory=dict)
    review_rows: int = 0
    added_columns: dict[str, str] = field(default_factory=dict)
    jobs: int = 1
    seconds: float = 0.0
    lines_read: int = 0
    multiline_rows: int = 0
    longest_row_lines: int = 0
    short_rows: list[int] = field(default_factory=list)
    short_row_count: int = 0
    sheet: str | None = None
    copied_sheets: list[str] = field(default_factory=list)
    sheets_not_copied: dict[str, str] = field(default_factory=dict)
    test_review: dict | None = None
    header_changes: list[tuple[str, str]] = field(default_factory=list)
    #: XLSX output: cells whose control characters (which an .xlsx file cannot hold) were written as U+FFFD.
    control_character_cells: int = 0
    #: XLSX input: its columns hidden in Excel, kept hidden in an XLSX output (and named in the summary for others).
    hidden_columns: list[str] = field(default_factory=list)
    #: When the text column was found by name: words a row of the input's first `MAX_COLUMNS_COUNTED` columns in their
    #: order (text cells), over its first `COLUMN_SAMPLE_ROWS` rows, read before labelling starts.
    column_words: dict[str, float] = field(default_factory=dict)
    #: The column found by name when another, of much longer text, was labelled instead (`choose_text_column`).
    passed_over: str | None = None

    @property
    def longer_text_column(self) -> str | None:
        """Another input column whose text is much longer than the text column's (a column of reports beside a
        text column found by name), or None."""
        return longer_text_column(self.column_words, self.text_column)

    @property
    def text_column_warning(self) -> str | None:
        """What `label_file` warns of before labelling, and the summary says again, when the text column was found
        by name: that another column of much longer text was labelled instead (`passed_over`), or that another holds
        much longer text than the one labelled; with the ``--text-column`` that labels the other one. None else."""
        words = self.column_words
        if self.passed_over is not None:
            found = self.passed_over
            return (
                f"the reports are read from {self._text_column}, of {words[self.text_column]:.0f} words a row on "
                f"average, not from {_column(found, self._place(found))}, found by its name, of {words[found]:.0f} "
                f"words a row (titles or categories?): to label that one, label again with --text-column "
                f"{self._option(found)}"
            )
        other = self.longer_text_column
        if other is None:
            return None
        return (
            f"the reports are read from {self._text_column} ({words[self.text_column]:.0f} words a row on average), "
            f"but {_column(other, self._place(other))} holds longer text ({words[other]:.0f} words a row): if the "
            f"reports are there, label again with --text-column {self._option(other)}"
        )

    def _place(self, column: str) -> int:
        return list(self.column_words).index(column) + 1  # the columns counted are the input's first ones

    def _option(self, column: str) -> str:
        """How ``--text-column`` takes `column`: by its name, or by its number when the name may not be shown."""
        return shlex.quote(column) if column_name_shown(column) else str(self._place(column))

    @property
    def _text_column(self) -> str:
        """The text column as the summary names it: never a name that may be report text (the first report of a file
        without a header, labelled with --text-column 2)."""
        return _column(self.text_column, self.text_column_place) if self.text_column_place else \
            f"column {self.text_column!r}"

    @property
    def rows_per_second(self) -> float:
        return self.rows_in / self.seconds if self.seconds > 0 else 0.0

    @property
    def renamed_columns(self) -> dict[str, str]:
        """The added columns whose name was changed to avoid an input column of the same name."""
        return {ours: used for ours, used in self.added_columns.items() if ours != used}

    def __str__(self) -> str:
        same = "all rows kept" if self.rows_in == self.rows_out else "ROW COUNT MISMATCH"
        lines = [
            f"Labelled {self.rows_in} rows of {self.input} (text {self._text_column}) "
            f"{throughput(self.rows_in, self.seconds)}, {self.jobs} job{'s' * (self.jobs > 1)}.",
            f"rows in: {self.rows_in}, rows out: {self.rows_out} ({same}) -> {self.output}",
        ]
        if self.multiline_rows:
            span = "rows span" if self.multiline_rows > 1 else "row spans"
            lines.append(
                f"{self.multiline_rows} {span} several lines (line breaks inside quoted cells; at most "
                f"{self.longest_row_lines} lines); {self.lines_read} lines read for {self.rows_in} rows and the "
                "header. If every report of this file is on one line, a stray quote merged rows: run again "
                "with --max-field-lines 0 to find it"
            )
        if self.short_row_count:
            shown = ", ".join(map(str, self.short_rows)) + (" ..." if self.short_row_count > len(self.short_rows)
                                                             else "")
            lines.append(
                f"warning: {self.short_row_count} row(s) have fewer cells than the header (filled with empty "
                f"cells): row(s) {shown}. A line break inside an unquoted cell splits one report into two rows: "
                "check those rows in the file, and quote the cell if so"
            )
        width = max((len(label) for label in self.label_counts), default=0)
        lines.append("rows per label:")
        lines += [f"  {label:<{width}}  {count}" for label, count in self.label_counts.items()]
        lines.append(f"needs review: {self.needs_review}" + (
            f" ({self.unfamiliar} in words the model mostly does not know: another language, only emoji or "
            "symbols, or a pointer to a photo or a link)" if self.unfamiliar else ""))
        if self.test_review:
            r = self.test_review
            lines.append(f"  on its test split the flag held {r['caught_rate']:.0%} of the model's mistakes, and "
                         f"{r['wrong_rate_not_flagged']:.1%} of the reports it did not flag had a wrong or missing "
                         "label: read those too (--review-band flags more)")
        why = ", ".join(f"{status}: {count}" for status, count in self.status_counts.items() if status != "ok")
        lines.append(f"not classified: {self.not_classified}" + (f" ({why})" if why else ""))
        if self.review_output is not None:
            lines.append(f"rows for review: {self.review_rows} -> {self.review_output}")
        if self.sheet is not None:
            lines.append(f"sheet labelled: {self.sheet!r}")
        if self.copied_sheets:
            copied = ", ".join(map(repr, self.copied_sheets))
            lines.append(f"other sheets copied as they are (values; a formula as its last result): {copied}")
        for name, why in self.sheets_not_copied.items():
            lines.append(f"sheet {name!r} is not in {self.output}: {why}")
        if self.header_changes:
            changed = ", ".join(f"{written!r} -> {read!r}" for written, read in self.header_changes)
            lines.append(f"input column names written differently in the output (repeated, blank or with spaces "
                         f"around them): {changed}")
        if self.control_character_cells:
            lines.append(f"cells with control characters, which an .xlsx file cannot hold, written with \ufffd in "
                         f"their place: {self.control_character_cells} (write .csv or .jsonl to keep them)")
        shown = [path for path in (self.output, self.review_output)
                 if path is not None and table_format(path) != "xlsx"]
        if self.hidden_columns and shown:
            lines.append(f"warning: input columns hidden in Excel are shown in {', '.join(map(str, shown))}, which "
                         f"cannot hide them: {', '.join(map(repr, self.hidden_columns))}; write .xlsx to keep them "
                         "hidden")
        if self.text_column_warning is not None:
            lines.append(f"warning: {self.text_column_warning}")
        if self.renamed_columns:
            renamed = ", ".join(f"{ours} -> {used}" for ours, used in self.renamed_columns.items())
            lines.append(f"the input already had columns named like ours, so ours are renamed: {renamed}")
        return "\n".join(lines)


#: A column whose text averages at least this many words a row, and this many times the text column's, holds longer
#: text than it (`longer_text_column`), when the text column was found by name.
LONGER_TEXT_MIN_WORDS = 8
LONGER_TEXT_FACTOR = 3.0
#: A column found by name that averages at most this many words a row, and repeats itself (at most this share of its
#: cells differ), holds titles, categories or channels ("Online form report"), not reports: a column of longer text
#: is labelled instead (`choose_text_column`). Short reports ("P*kis out on the bus shelter") differ from row to row.
TITLE_MAX_WORDS = 5
TITLE_MAX_DISTINCT = 0.5
#: Input columns whose words are counted (the first ones of a wider sheet), and the rows they are counted over, read
#: before labelling starts.
MAX_COLUMNS_COUNTED = 50
COLUMN_SAMPLE_ROWS = 1000


class TextColumnWarning(UserWarning):
    """The text column found by name holds much shorter text than another (`BatchSummary.text_column_warning`)."""


def longer_text_column(column_words: dict[str, float], text_column: str) -> str | None:
    """The column of `column_words` (words a row, `classifier.io.tables.column_words`) whose text is much longer
    than `text_column`'s: at least `LONGER_TEXT_MIN_WORDS` words a row and `LONGER_TEXT_FACTOR` times as many; never
    one whose name says it holds a name or contact details (`classifier.io.tables.says_contact`). None if none is.

    >>> longer_text_column({"Summary": 4.0, "Details": 38.0, "Address": 60.0}, "Summary")
    'Details'
    """
    ours = column_words.get(text_column)
    if ours is None:
        return None
    other = max((column for column in column_words if column != text_column and not says_contact(column)),
                key=column_words.__getitem__, default=None)
    if other is None or column_words[other] < max(LONGER_TEXT_MIN_WORDS, LONGER_TEXT_FACTOR * ours):
        return None
    return other


def choose_text_column(column_words: dict[str, float], found: str, distinct: float = 0.0) -> str:
    """The column to label when `found` was found by name: `found`, unless it averages at most `TITLE_MAX_WORDS`
    words a row and at most `TITLE_MAX_DISTINCT` of its cells differ (`distinct`: a title or a category) and another
    holds much longer text (`longer_text_column`): then that one.

    >>> choose_text_column({"Summary": 4.0, "Details": 38.0}, "Summary", distinct=0.1)
    'Details'
    >>> choose_text_column({"report": 4.0, "Officer notes": 38.0}, "report", distinct=0.9)  # short reports
    'report'
    >>> choose_text_column({"text": 12.0, "Officer notes": 70.0}, "text")
    'text'
    """
    other = longer_text_column(column_words, found)
    if other is None or column_words[found] > TITLE_MAX_WORDS or distinct > TITLE_MAX_DISTINCT:
        return found
    return other


def distinct_share(rows: Iterable[Mapping[str, Any]], column: str) -> float:
    """The share of the non-empty text cells of `column` in `rows` that differ from every other (1.0 when none).

    >>> distinct_share([{"t": "ASB"}, {"t": "ASB"}, {"t": "Noise"}, {"t": ""}], "t")
    0.6666666666666666
    """
    cells = [value.strip() for row in rows if isinstance(value := row.get(column), str) and value.strip()]
    return len(set(cells)) / len(cells) if cells else 1.0


def _sample_words(chunks: Iterator[list[dict[str, Any]]], columns: list[str], text_column: str
                  ) -> tuple[Iterator[list[dict[str, Any]]], dict[str, float], float]:
    """Read chunks of `chunks` until `COLUMN_SAMPLE_ROWS` rows (or all): all the chunks again, those read first, the
    words a row of `columns` over them, and the share of `text_column`'s cells that differ (`distinct_share`)."""
    sample: list[list[dict[str, Any]]] = []
    rows = 0
    for chunk in chunks:
        sample.append(chunk)
        rows += len(chunk)
        if rows >= COLUMN_SAMPLE_ROWS:
            break
    rows_read = list(itertools.chain.from_iterable(sample))
    return itertools.chain(sample, chunks), column_words(rows_read, columns), distinct_share(rows_read, text_column)


def _column(name: str, place: int) -> str:
    """A column as the summary names it: ``column 'details'``, or by its place when its name may not be shown."""
    described = describe_column(name, place)
    return described if described.startswith("column ") else f"column {described}"


def default_output_path(input_path: str | os.PathLike[str]) -> Path:
    """``<folder>/<stem>_labelled<ext>`` beside the input: ``backlog.xlsx`` → ``backlog_labelled.xlsx``."""
    path = Path(input_path)
    return path.with_name(f"{path.stem}_labelled{path.suffix}")


def count_rows(
    path: str | os.PathLike[str], *, sheet: str | None = None, quoting: str = "standard",
    limits: ReadLimits | None = None,
) -> int:
    """Number of data rows `label_file` will read from `path` (one pass over the file, for a progress bar)."""
    with TableReader(path, sheet=sheet, quoting=quoting, limits=limits) as reader:
        return sum(1 for _ in reader)


def label_file(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    model: Any = None,
    text_column: str | None = None,
    review_out: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    force: bool = False,
    sheet: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: ProgressCallback | None = None,
    max_chars: int | None = None,
    quoting: str = "standard",
    limits: ReadLimits | None = None,
    formula_guard: bool = True,
    review_band: float | None = None,
) -> BatchSummary:
    """Label every row of a CSV, TSV, XLSX or JSONL file and write them all, in order, to `output`.

    Parameters
    ----------
    input
        The backlog; every column is copied to the output unchanged.
    output
        Where to write; its extension chooses the format. Default: `default_output_path` (beside the
        input, same format).
    model
        A `TensionModel`, a model folder or name, or None for the default model.
    text_column
        The column to label, by name or 1-based number; it always wins. Default: the first of
        `classifier.io.columns.TEXT_COLUMNS` present (case, spaces and underscores aside), unless it holds titles or
        categories and another column the reports (`choose_text_column`, over the first `COLUMN_SAMPLE_ROWS` rows).
    review_out
        Also write the rows needing review (unclassified ones included) to this file, same columns.
    jobs
        Worker processes. 1 labels in this process; N > 1 starts N workers (from a fresh server process, never
        by forking this one), each given the model checked here (a model folder's file as read and checked,
        unpickled in the workers only, or a copy of a model object), so the score columns always follow the
        label order of the model that scores them.
        Default: every CPU this process may use for an input of `PARALLEL_MIN_BYTES` or more, else 1. The
        output is the same whatever the number.
    force
        Replace `output` / `review_out` if they exist (the input is never replaced).
    sheet
        XLSX input: the worksheet to read (default: the first).
    chunk_size
        Rows read, labelled and written at a time.
    progress
        Called after each chunk is written with the number of rows done so far and the number of rows expected
        in all, estimated from the share of the input read (``None`` until an estimate exists).
    max_chars
        Reports longer than this many characters are not classified: their row is written with status
        ``text too long`` and no scores. Default: `classifier.model.predictor.MAX_TEXT_CHARS`.
    quoting
        CSV/TSV input: ``"standard"`` or ``"none"`` (quotes are plain text); see `TableReader`.
    limits
        Bounds on the input (quoted line breaks per CSV/TSV row, XLSX rows, columns and size); see
        `classifier.io.tables.ReadLimits`.
    formula_guard
        CSV/TSV output: put a ``'`` before cells that a spreadsheet would run as a formula (default).
    review_band
        A row needs review when a score lies this close to its label's threshold (0 to 1; default: the band
        the model was trained with, 0.15 unless set). Wider flags more rows and more of the model's mistakes.

    Returns
    -------
    BatchSummary

    Warns
    -----
    TextColumnWarning
        Before labelling starts, when the text column was found by name and another column holds much longer text:
        the one labelled, and the ``--text-column`` that labels the other (`BatchSummary.text_column_warning`).

    Raises
    ------
    DataError
        Unreadable or implausible input (the message names the line, row or cell), no text column (the
        message lists the columns), output equal to the input or a folder, output exists without
        `force`, more rows than an XLSX output can hold, a folder that cannot be written or a full disk.
        Nothing is written when any error occurs.
    ModelError
        The model cannot be loaded.
    ConfigError
        `jobs` or `chunk_size` below 1.
    """
    from classifier.model.limits import MAX_TEXT_CHARS, checked_review_band

    started = time.perf_counter()
    input_path = Path(input)
    output_path = Path(output) if output is not None else default_output_path(input_path)
    review_path = Path(review_out) if review_out is not None else None
    max_chars = MAX_TEXT_CHARS if max_chars is None else max_chars
    if jobs is None:
        jobs = default_jobs(input_path)
    for name, value in (("jobs", jobs), ("chunk_size", chunk_size), ("max_chars", max_chars)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"The {name!r} parameter of label_file must be a positive int. Got {value!r}.")
    if review_band is not None:
        review_band = checked_review_band(review_band)
    _check_paths(input_path, output_path, review_path, force)

    labels, loaded = _prepare_model(model, jobs, review_band)
    with cleanup_on_termination(), ExitStack() as stack:
        reader = stack.enter_context(
            TableReader(input_path, sheet=sheet, quoting=quoting, limits=limits, keep_types=True)
        )
        try:
            text_col = find_column(reader.columns, TEXT_COLUMNS, given=text_column, purpose="text",
                                   path=input_path, sheet=reader.sheet_title)
        except DataError as error:
            raise DataError(f"{error}{_sheet_hint(reader)}") from None
        names = added_column_names(reader.columns, labels)
        columns = [*reader.columns, *names.values()]
        summary = BatchSummary(
            input=input_path, output=output_path, review_output=review_path, text_column=text_col,
            text_column_place=list(reader.columns).index(text_col) + 1,
            label_counts=dict.fromkeys(labels, 0), added_columns=names, jobs=jobs,
            test_review=_test_review(loaded),
        )
        _check_fits_excel(input_path, reader.format, [output_path, review_path], sheet, quoting, limits)
        summary.sheet = reader.sheet_title
        summary.hidden_columns = list(reader.hidden_columns)
        summary.header_changes = list(reader.header_changes)
        layout: dict[str, Any] = {
            "guard_formulas": formula_guard,
            "number_formats": {names[score_column(label)]: SCORE_NUMBER_FORMAT for label in labels},
        }
        if reader.sheet_title is not None:
            layout["sheet_title"] = reader.sheet_title
            layout["hidden_columns"] = reader.hidden_columns  # a caller's phone number stays out of sight
        # Writers are entered last so they are aborted (temp files removed) on any exception below.
        writer = stack.enter_context(AtomicTableWriter(output_path, columns, **layout))
        # The review file also says where each of its rows is in the input, so it can be found there again.
        row_col = _input_row_column(columns, names[LABELS_COLUMN][: -len(LABELS_COLUMN)])
        review_writer = (
            stack.enter_context(AtomicTableWriter(review_path, [row_col, *columns], **layout)) if review_path
            else None
        )
        needs_review_col, status_col = names[NEEDS_REVIEW_COLUMN], names[STATUS_COLUMN]
        reason_col = names[REVIEW_REASON_COLUMN]
        added_names = list(names.values())
        expected: list[int | None] = [None]

        chunks = _counted_chunks(reader, chunk_size, expected)
        try:
            if text_column is None:  # found by name: a title or category column may come before the reports
                chunks, summary.column_words, distinct = _sample_words(
                    chunks, list(reader.columns[:MAX_COLUMNS_COUNTED]), text_col)
                chosen = choose_text_column(summary.column_words, text_col, distinct)
                if chosen != text_col:
                    summary.passed_over, summary.text_column = text_col, chosen
                    summary.text_column_place = list(reader.columns).index(chosen) + 1
                    text_col = chosen
                if summary.text_column_warning is not None:  # said now, not only after the whole file
                    warnings.warn(summary.text_column_warning, TextColumnWarning, stacklevel=2)
            labelled = stack.enter_context(closing(_labelled_chunks(chunks, text_col, loaded, jobs, max_chars)))
            for rows, results in labelled:
                review_rows = []
                for position, (row, cells) in enumerate(zip(rows, results, strict=True), start=summary.rows_in):
                    row.update(zip(added_names, cells, strict=True))
                    _count(summary, row[names[LABELS_COLUMN]], row[needs_review_col], row[status_col])
                    summary.unfamiliar += row[reason_col].startswith(UNFAMILIAR_REASON)
                    if review_writer is not None and row[needs_review_col]:
                        review_rows.append({row_col: input_row_number(position, reader.format), **row})
                summary.rows_in += len(rows)
                writer.write_rows(rows)
                if review_writer is not None:
                    review_writer.write_rows(review_rows)
                    summary.review_rows += len(review_rows)
                if progress is not None:
                    progress(summary.rows_in, None if expected[0] is None else max(expected[0], summary.rows_in))
            _copy_other_sheets(summary, reader, [writer, review_writer], limits)
        except ClassifierError as error:
            raise type(error)(f"{error} Nothing was written to {output_path}.") from error
        summary.rows_out = writer.rows_written
        summary.control_character_cells = writer.cells_with_control_characters
        summary.lines_read, summary.multiline_rows = reader.lines_read, reader.multiline_rows
        summary.longest_row_lines = reader.longest_row_lines
        summary.short_rows, summary.short_row_count = list(reader.short_rows), reader.short_row_count
        if summary.rows_out != summary.rows_in:  # a broken invariant: refuse to publish the file
            raise DataError(
                f"{input_path}: read {summary.rows_in} rows but wrote {summary.rows_out}; nothing was written "
                f"to {output_path}. Please report this as a bug."
            )
        try:
            # Both files are complete on disk before either is renamed, so a full disk leaves neither.
            for finishing in (writer, review_writer):
                if finishing is not None:
                    finishing.finish()
        except ClassifierError as error:
            raise type(error)(f"{error} Nothing was written to {output_path}.") from error
        # Without --force, neither name is taken at the last moment either (another run writing the same file, a
        # user saving one there): the file that appeared stays, and the run stops with nothing written.
        review_published = review_writer.publish(replace=force) if review_writer is not None else None
        try:
            writer.publish(replace=force)
        except BaseException:
            if review_published is not None and not force:
                review_published.unlink(missing_ok=True)  # new, published a moment ago: remove it with the rest
            raise
    summary.seconds = time.perf_counter() - started
    return summary


def _input_row_column(columns: list[str], prefix: str) -> str:
    """The name of the review file's column of input row numbers: :data:`INPUT_ROW_COLUMN` with the prefix of
    the other added columns, and more underscores in front if the input has a column of that name too."""
    name = f"{prefix}{INPUT_ROW_COLUMN}"
    while name in columns:
        name = f"_{name}"
    return name


def _copy_other_sheets(summary: BatchSummary, reader: TableReader, writers: list[AtomicTableWriter | None],
                       limits: ReadLimits | None) -> None:
    """Copy the input workbook's other sheets into each XLSX output, in the input's order; record in `summary`
    the sheets copied and, with the reason, those that are not (a chart sheet, or a CSV/TSV/JSONL output)."""
    others = [name for name in reader.sheet_names if name != reader.sheet_title]
    to_xlsx = [writer for writer in writers if writer is not None and writer.format == "xlsx"]
    for name in others:
        if name not in reader.worksheet_names:
            summary.sheets_not_copied[name] = "a chart sheet; charts are not copied"
        elif not to_xlsx:
            summary.sheets_not_copied[name] = f"a .{summary.output.suffix.lstrip('.').lower()} file holds one sheet"
        else:
            for writer in to_xlsx:
                writer.copy_sheet(name, TableReader(summary.input, sheet=name, limits=limits).iter_sheet_cells(),
                                  state=reader.sheet_states.get(name, "visible"))
            summary.copied_sheets.append(name)
    if summary.copied_sheets:
        for writer in to_xlsx:
            assert reader.sheet_title is not None
            writer.order_sheets(reader.sheet_names, active=reader.sheet_title)


def _check_fits_excel(input_path: Path, input_format: str, outputs: list[Path | None], sheet: str | None,
                      quoting: str, limits: ReadLimits | None) -> None:
    """Refuse, before any work, an XLSX output that would need more rows than an Excel sheet holds."""
    targets = [path for path in outputs if path is not None and table_format(path) == "xlsx"]
    # An XLSX input fits by construction; a text file has at least one byte per row.
    if not targets or input_format == "xlsx" or input_path.stat().st_size < EXCEL_MAX_ROWS:
        return
    rows = count_rows(input_path, sheet=sheet, quoting=quoting, limits=limits)
    if rows >= EXCEL_MAX_ROWS:
        raise DataError(
            f"{input_path}: has {rows:,} rows, more than an Excel sheet holds ({EXCEL_MAX_ROWS - 1:,} under the "
            f"header), so {targets[0]} cannot hold them; write a .csv or .jsonl file instead."
        )


def _sheet_hint(reader: TableReader) -> str:
    """For a workbook of several sheets, which one was read and how to read another; else ""."""
    others = [name for name in reader.worksheet_names if name != reader.sheet_title]
    if reader.sheet_title is None or not others:
        return ""
    return (f" That is the header of the sheet {reader.sheet_title!r}; the workbook also has "
            f"{', '.join(map(repr, others))}: read another with --sheet NAME.")


def _check_paths(input_path: Path, output_path: Path, review_path: Path | None, force: bool) -> None:
    if input_path.is_dir():  # before the output, whose default name is made from the input's
        raise DataError(f"{input_path}: expected a file to label, found a folder; give the path of a file inside "
                        "it (CSV, TSV, XLSX or JSONL).")
    for what, path in (("output", output_path), ("review file", review_path)):
        if path is not None and path.is_dir():
            raise DataError(
                f"{path}: expected a file name for the {what}, found a folder; give a file inside it, such "
                f"as {path / default_output_path(input_path).name}."
            )
    table_format(input_path)  # before the output's, which a default output name inherits from it
    table_format(output_path)  # an unsupported output extension fails before any work is done
    if review_path is not None:
        table_format(review_path)
    if not input_path.is_file():
        raise DataError(f"{input_path}: expected an existing file, found nothing there; check the path.")
    resolved_input = input_path.resolve()
    targets = [("output", output_path)] + ([("review file", review_path)] if review_path else [])
    for what, path in targets:
        if path.resolve() == resolved_input:
            raise DataError(
                f"{path}: the {what} is the input file; refusing to overwrite it. Choose another name."
            )
        if path.exists() and not force:
            raise DataError(f"{path} already exists; pass --force to replace it, or choose another name.")
    if review_path is not None and review_path.resolve() == output_path.resolve():
        raise DataError(f"{review_path}: the review file and the output must be different files.")


def default_jobs(input_path: Path) -> int:
    """Every CPU this process may use when the input is large enough to gain from workers, else 1."""
    try:
        size = input_path.stat().st_size
    except OSError:
        return 1  # the reader then says what is wrong with the path
    if size < PARALLEL_MIN_BYTES:
        return 1
    return usable_cpus()


def _prepare_model(model: Any, jobs: int = 1, review_band: float | None = None) -> tuple[list[str], Any]:
    """Return the model's labels and the model, checked once here.

    A model folder's file is read and checked once (hash, versions). With one job it is loaded here. With
    several, a file in the current format is not unpickled here (so this process never imports the model's
    libraries): the workers unpickle those very bytes, and each refuses them unless the model's labels are the
    ones returned here (those of its metadata), which the output's columns follow. ``review_band`` replaces the
    model's own (a model object is copied, never changed)."""
    import copy
    from dataclasses import replace

    from classifier.model.persistence import MODEL_FILE, read_model_file, resolve_model_dir, warn_if_read_differently

    if not isinstance(model, str | os.PathLike) and model is not None:  # a TensionModel (or a stand-in)
        if review_band is not None:
            model = copy.copy(model)
            model.review_band = review_band
        return model.labels, model
    model_dir = resolve_model_dir(model)
    checked = read_model_file(model_dir)
    warn_if_read_differently(model_dir, checked.metadata)
    if review_band is not None:  # the band a model was trained with is read from its metadata, in any process
        checked = replace(checked, metadata={**checked.metadata, "review_band": review_band})
    recorded = checked.metadata.get("labels")
    if jobs > 1 and checked.path.name == MODEL_FILE and isinstance(recorded, list):
        return [str(label) for label in recorded], checked
    from classifier.model.predictor import model_from_file

    # Labels come from the verified model, never from metadata.json alone (which no hash covers).
    loaded = model_from_file(checked)
    return loaded.labels, loaded


def _test_review(loaded: Any) -> dict | None:
    """The model's review-flag figures on its test split, if measured with the band it labels with now (a model
    object's own band; a checked model file's is in its metadata)."""
    metadata = getattr(loaded, "metadata", None) or {}
    review = metadata.get("review_flag")
    band = getattr(loaded, "review_band", metadata.get("review_band"))
    if not review or band is None or review.get("band") != band or review.get("caught_rate") is None \
            or review.get("wrong_rate_not_flagged") is None:
        return None
    return review


def _count(summary: BatchSummary, labels: str, needs_review: bool, status: str) -> None:
    if labels:
        for label in labels.split(";"):
            summary.label_counts[label] = summary.label_counts.get(label, 0) + 1
    if needs_review:
        summary.needs_review += 1
    if status != "ok":
        summary.not_classified += 1
    summary.status_counts[status] = summary.status_counts.get(status, 0) + 1


# -- labelling chunks (in this process or in workers) --------------------------------------------------

#: What the model is given for a text cell holding a JSON true/false, list or object (or a spreadsheet's TRUE or
#: FALSE): not a string, so the row gets the status "not text" and no scores; hashable, so chunks dedupe it.
_NOT_TEXT = ("not text",)


def _text_cell(value: Any) -> str | tuple[str]:
    """A text column's cell as the model reads it: text as it is, a number or date as written (spreadsheets and
    JSON type them), a boolean, list or object as :data:`_NOT_TEXT` (it was scored as "True", "a;b", JSON)."""
    if isinstance(value, bool | list | dict):
        return _NOT_TEXT
    return cell_to_str(value)


def _label_texts(model: Any, texts: list[str], max_chars: int) -> list[tuple[Any, ...]]:
    """The added cells for each text: labels, one score per label, needs_review, review_reason, reasons, status.

    Identical texts in a chunk (forwarded duplicates are common in backlogs) are labelled once.
    """
    unique = list(dict.fromkeys(texts))
    predictions = dict(zip(unique, model.predict(unique, on_invalid="flag", max_chars=max_chars), strict=True))
    labels, thresholds = model.labels, model.thresholds
    cells = {}
    for text, prediction in predictions.items():
        scores = [_score_cell(prediction.scores[label]) for label in labels]
        reasons = "; ".join(f"{label}: {', '.join(terms)}" for label, terms in prediction.reasons.items()
                            if terms and label in prediction.labels)  # a label under review: in review_reason
        cells[text] = (";".join(prediction.labels), *scores, bool(prediction.needs_review),
                       _review_reason(prediction, thresholds), reasons, prediction.status)
    return [cells[text] for text in texts]


def _review_reason(prediction: Any, thresholds: dict[str, float]) -> str:
    """Why a row needs review, in plain words ("" when it does not)."""
    from classifier.model.label_names import review_reason
    from classifier.model.predictor import STATUS_OK, STATUS_TOO_LONG

    if prediction.status == STATUS_TOO_LONG:  # a pasted document or an e-mail chain: say what can be done
        return (f"Not classified: {prediction.status}. Read it in full, or label the file again with a larger "
                "--max-chars.")
    if prediction.status != STATUS_OK:
        return f"Not classified: {prediction.status}."
    if not prediction.needs_review:
        return ""
    return review_reason(prediction.review_labels, prediction.scores, thresholds,
                         getattr(prediction, "unfamiliar", False), getattr(prediction, "reasons", None))


def _score_cell(score: float) -> float | None:
    return None if score != score else score  # NaN (unclassified row) → empty cell


def _counted_chunks(reader: TableReader, size: int, expected: list[int | None]) -> Iterator[list[dict[str, Any]]]:
    """``reader``'s chunks; ``expected[0]`` is kept at the estimated number of rows in the whole input."""
    read = 0
    for chunk in reader.iter_chunks(size):
        read += len(chunk)
        fraction = reader.fraction_read()
        if fraction:
            expected[0] = max(read, round(read / fraction))
        yield chunk
    expected[0] = read


def _labelled_chunks(
    chunks: Iterator[list[dict[str, Any]]], text_col: str, model: Any, jobs: int, max_chars: int,
) -> Iterator[tuple[list[dict[str, Any]], list[tuple[Any, ...]]]]:
    """Yield each chunk of rows with the added cells of its rows, in input order."""
    if jobs == 1:
        for rows in chunks:
            yield rows, _label_texts(model, [_text_cell(row[text_col]) for row in rows], max_chars)
        return
    import pickle
    from concurrent.futures import ProcessPoolExecutor

    # Workers get this very model (checked here), so they cannot score with another file: the model file's bytes
    # as read and checked (a CheckedModelFile), or the model object.
    try:
        payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError) as error:
        raise ModelError(_NOT_SENDABLE.format(error=error)) from error
    context = _worker_context()
    _start_worker_server(context)
    executor = ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                                   initargs=(payload, os.getpid()))
    try:
        pending: collections.deque = collections.deque()
        limit = jobs * _CHUNKS_IN_FLIGHT_PER_JOB
        for rows in itertools.chain(chunks, [None]):
            if rows is not None:
                texts = [_text_cell(row[text_col]) for row in rows]
                with interrupts_held():  # submit() may start a worker process
                    pending.append((rows, executor.submit(_label_in_worker, texts, max_chars)))
            while pending and (len(pending) >= limit or rows is None):
                done_rows, future = pending.popleft()
                yield done_rows, _worker_result(future)
        executor.shutdown(wait=True)
    finally:
        _stop(executor)


def _worker_context() -> Any:
    """Workers start from a fresh, single-threaded server process ("forkserver"), never by forking this one:
    a fork of a process that runs other threads (a web server, joblib, a test runner) can deadlock in the
    child. The server imports the model's modules (spaCy, scikit-learn) once, so each worker starts in a
    fraction of a second."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, "classifier.model.predictor", "spacy.lang.en"])
    return context


def _start_worker_server(context: Any) -> None:
    """Start the fork server with Ctrl-C ignored, as it ignores it anyway once its imports are done: a Ctrl-C to
    the terminal's process group during those imports would otherwise print its traceback. Only from the main
    thread (where the signal handler can be changed); elsewhere the server starts with the first worker."""
    if context.get_start_method() != "forkserver" or threading.current_thread() is not threading.main_thread():
        return
    from multiprocessing import forkserver

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


_NOT_SENDABLE = ("this model object cannot be sent to the worker processes ({error}). Fix: give the model's folder "
                 "(save it with classifier.model.persistence.save_model), or label with jobs=1 (--jobs 1).")


def _worker_result(future: Any) -> list[tuple[Any, ...]]:
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool as error:
        raise DataError(
            "a labelling worker process ended abruptly (killed, or out of memory). Fix: run again with fewer "
            "--jobs (jobs= in Python), or with --jobs 1, which labels in one process."
        ) from error


#: Seconds the workers get to finish their current chunk after an error before they are killed outright.
_STOP_SECONDS = 10.0


def _stop(executor: Any) -> None:
    """Stop `executor` without waiting on work nobody will read: queued chunks are cancelled, workers still
    running after :data:`_STOP_SECONDS` are killed."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + _STOP_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.exitcode is None:
            process.kill()
            process.join(_STOP_SECONDS)


_WORKER_MODEL: Any = None
_WORKER_ERROR: BaseException | None = None


#: The review file's first column: each row's number in the input (the header is row 1; a JSON Lines file's line),
#: as messages give it.
INPUT_ROW_COLUMN = "input_row"
#: How often a worker checks that the process it labels for is still alive.
_PARENT_CHECK_SECONDS = 1.0


def _init_worker(payload: bytes, parent: int | None = None) -> None:
    # Ctrl-C reaches the whole process group; the parent handles it and stops the workers. A worker must
    # simply die when the parent ends it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if parent is not None:  # a parent killed outright (kill -9, out of memory) cannot stop its workers itself
        threading.Thread(target=_exit_when_gone, args=(parent,), name="parent-watch", daemon=True).start()
    global _WORKER_MODEL, _WORKER_ERROR
    try:
        import pickle

        from classifier.model.persistence import CheckedModelFile

        _WORKER_MODEL = pickle.loads(payload)
        if isinstance(_WORKER_MODEL, CheckedModelFile):
            from classifier.model.predictor import model_from_file

            _WORKER_MODEL = model_from_file(_WORKER_MODEL)
    except ModelError as error:  # the model file refused (allow-list, labels): said as loading would say it
        _WORKER_ERROR = error
    except BaseException as error:  # raised from the first task: a failing initializer breaks the pool silently
        _WORKER_ERROR = ModelError(_NOT_SENDABLE.format(error=f"{type(error).__name__}: {error}"))


def _exit_when_gone(parent: int) -> None:
    """End this worker once process `parent` has gone: it holds reports nobody will read."""
    while True:
        time.sleep(_PARENT_CHECK_SECONDS)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # alive, and another user's: cannot happen for our parent, but not a reason to go
            pass


def _label_in_worker(texts: list[str], max_chars: int) -> list[tuple[Any, ...]]:
    if _WORKER_ERROR is not None:
        raise _WORKER_ERROR
    return _label_texts(_WORKER_MODEL, texts, max_chars)
