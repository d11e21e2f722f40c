"""The output-file contract: the columns the package reads and adds, and how it numbers rows.

Row numbers
-----------
Row N is the row a spreadsheet shows as N: the header is row 1, so the first report is row 2. Every command
and message that names a row uses `row_number`: the errors of ``tension label``, ``train``, ``validate``
and ``evaluate`` (``reports.csv row 12: 'text' is empty``), the suspects of ``tension audit``, the
``suggest_source_row`` column of ``tension suggest`` and the warnings of ``tension summarise``. So one row
has one number, whichever command names it, and it is the number to go to in Excel.

A CSV/TSV cell with line breaks is still one row, as in a spreadsheet; messages about the file's syntax
also give its lines. JSON Lines has no header, but its rows are numbered the same way (row N is line N - 1)
so that a report keeps its number when a file is converted; the review file of ``tension label`` gives a
JSON Lines report's line instead (`input_row_number`), as the reader's messages do. A workbook's header must
be in its sheet's row 1, as a CSV's must be its first row (empty rows above it are refused), so that row N is
the sheet's row N.

Columns read
------------
The report text: `TEXT_COLUMNS` (the first present, unless one is named); labels: `LABELS_COLUMN`
(``;``-separated, `LABEL_SEPARATOR`); the optional `SPLIT_COLUMN` (``train``/``test``) and id
(`ID_COLUMNS`).

Columns added
-------------
A model's calibrated probability of a label is always in a column `SCORE_PREFIX` + label (``score_hate``).

``tension label`` adds `LABELLER_COLUMNS`: ``labels``, ``score_<label>`` per label of the model,
``needs_review``, ``review_reason``, ``reasons`` and ``status``. Scores are numbers (empty for a row not classified;
shown with `SCORE_NUMBER_FORMAT` in XLSX), ``needs_review`` a boolean (a real one in XLSX and JSON Lines,
``true``/``false`` in CSV/TSV), the others text: ``review_reason`` says in plain words why a row needs review
(empty when it does not), ``reasons`` gives the words of the report behind each label. When the input already
has a column of any of those names, case, spaces, hyphens and underscores aside (``Status``, ``Needs Review``:
Excel users would see two of a kind side by side, and SharePoint, Power BI and SQL imports take them for one),
all of them get the first prefix of `ADDED_PREFIXES` (``tension_``, then ``tension2_`` ... ``tension99_``) under
which none clashes (`added_column_names`); `labeller_prefix` finds that prefix again when the file is read back
(``tension summarise``).

Where the model's opinion shares a file with a person's labels (``tension suggest``, ``tension audit``),
the model's columns get `MODEL_PREFIX`: ``model_labels``, ``model_score_<label>``. ``tension suggest`` keeps
the input's columns and adds an empty ``labels`` column to fill in, `SUGGEST_COLUMNS`, ``model_labels`` and
the model's scores; ``tension audit`` writes `AUDIT_COLUMNS` and the out-of-fold model scores.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from classifier.errors import DataError

__all__ = [
    "ADDED_PREFIXES",
    "AUDIT_COLUMNS",
    "FIRST_DATA_ROW",
    "ID_COLUMNS",
    "LABELLER_COLUMNS",
    "LABELS_COLUMN",
    "LABEL_SEPARATOR",
    "MODEL_PREFIX",
    "NEEDS_REVIEW_COLUMN",
    "REASONS_COLUMN",
    "REVIEW_REASON_COLUMN",
    "SCORE_NUMBER_FORMAT",
    "SCORE_PREFIX",
    "SPLIT_COLUMN",
    "STATUS_COLUMN",
    "SUGGEST_COLUMNS",
    "SUGGEST_RANK_COLUMN",
    "SUGGEST_SOURCE_ROW_COLUMN",
    "SUGGEST_UNCERTAINTY_COLUMN",
    "SUGGEST_WHY_COLUMN",
    "TEXT_COLUMNS",
    "added_column_names",
    "input_row_number",
    "labeller_prefix",
    "model_column",
    "row_number",
    "score_column",
]

#: The number of the first report's row: the header is row 1, as a spreadsheet shows it.
FIRST_DATA_ROW = 2

TEXT_COLUMNS = ("text", "report", "description", "report_text", "details", "message", "body", "summary")
LABELS_COLUMN = "labels"
LABEL_SEPARATOR = ";"
SPLIT_COLUMN = "split"
ID_COLUMNS = ("id", "report_id", "reference", "ref")

SCORE_PREFIX = "score_"
#: How an XLSX output shows scores (the cell holds the full number): two decimals.
SCORE_NUMBER_FORMAT = "0.00"
NEEDS_REVIEW_COLUMN = "needs_review"
#: Why a row needs review, in plain words: the labels near their threshold, with score and threshold.
REVIEW_REASON_COLUMN = "review_reason"
REASONS_COLUMN = "reasons"
STATUS_COLUMN = "status"
#: The columns ``tension label`` adds, in order; ``score_`` stands for one ``score_<label>`` per label.
LABELLER_COLUMNS = (LABELS_COLUMN, SCORE_PREFIX, NEEDS_REVIEW_COLUMN, REVIEW_REASON_COLUMN, REASONS_COLUMN,
                    STATUS_COLUMN)
#: Prefixes tried, in order, for the added columns when the input already has columns of their names.
ADDED_PREFIXES = ("", "tension_", *(f"tension{n}_" for n in range(2, 100)))
MODEL_PREFIX = "model_"

SUGGEST_RANK_COLUMN = "suggest_rank"
SUGGEST_UNCERTAINTY_COLUMN = "suggest_uncertainty"
SUGGEST_WHY_COLUMN = "suggest_why"
#: The picked report's `row_number` in the file suggest read.
SUGGEST_SOURCE_ROW_COLUMN = "suggest_source_row"
SUGGEST_COLUMNS = (SUGGEST_RANK_COLUMN, SUGGEST_UNCERTAINTY_COLUMN, SUGGEST_WHY_COLUMN, SUGGEST_SOURCE_ROW_COLUMN)
#: ``source`` is ``<file name> row <row_number>``.
AUDIT_COLUMNS = ("rank", "id", "source", "reasons", "strength", "given_labels", "suggested_labels", "detail", "text")


def row_number(index: int) -> int:
    """The number a message gives the report at 0-based position `index` among a file's rows (header not
    included): the row a spreadsheet shows it in.

    >>> row_number(0)
    2
    """
    return index + FIRST_DATA_ROW


def input_row_number(index: int, table_format: str) -> int:
    """Where the report at 0-based position `index` is in its input, as the review file's ``input_row`` gives it:
    its `row_number`, or for JSON Lines (no header) its line, as JSON Lines messages give it.

    >>> input_row_number(0, "csv"), input_row_number(0, "jsonl")
    (2, 1)
    """
    return index + 1 if table_format == "jsonl" else row_number(index)


def score_column(label: str, prefix: str = "") -> str:
    """The column of a model's score for `label`: ``score_<label>``, after `prefix` if any.

    >>> score_column("race_hate", "tension_")
    'tension_score_race_hate'
    """
    return f"{prefix}{SCORE_PREFIX}{label}"


def model_column(name: str) -> str:
    """A column of the model's opinion in a file that also holds a person's labels: ``model_<name>``.

    >>> model_column(score_column("hate"))
    'model_score_hate'
    """
    return f"{MODEL_PREFIX}{name}"


def _clash_key(name: str) -> str:
    """A column name as `added_column_names` compares it: case, spaces, hyphens and underscores aside."""
    return re.sub(r"[\s_-]+", "", name.casefold())


def added_column_names(input_columns: Sequence[str], labels: Sequence[str]) -> dict[str, str]:
    """Map each column ``tension label`` adds to the name it gets in the output, avoiding every input column, case,
    spaces, hyphens and underscores aside.

    Raises
    ------
    DataError
        The input has columns of those names under every prefix of `ADDED_PREFIXES`.

    Examples
    --------
    >>> added_column_names(["id", "text"], ["hate"])["labels"]
    'labels'
    >>> added_column_names(["id", "text", "labels"], ["hate"])["score_hate"]
    'tension_score_hate'
    >>> added_column_names(["id", "text", "Needs Review"], ["hate"])["needs_review"]
    'tension_needs_review'
    """
    ours = [LABELS_COLUMN, *(score_column(label) for label in labels), NEEDS_REVIEW_COLUMN, REVIEW_REASON_COLUMN,
            REASONS_COLUMN, STATUS_COLUMN]
    taken = {_clash_key(column) for column in input_columns}
    for prefix in ADDED_PREFIXES:
        names = {name: f"{prefix}{name}" for name in ours}
        if taken.isdisjoint(map(_clash_key, names.values())):
            return names
    raise DataError(
        f"expected room for the added columns, found the input already has columns {ours} under every "
        f"prefix from {ADDED_PREFIXES[1]!r} to {ADDED_PREFIXES[-1]!r}; remove some of those columns."
    )


def labeller_prefix(columns: Sequence[str]) -> str:
    """The prefix of the columns ``tension label`` added to a file (``""``, ``tension_``, ``tension2_``...).

    It renames its columns only when the input already has them, so the last prefix for which both
    ``<prefix>labels`` and ``<prefix>status`` exist is the labeller's; ``""`` when there is none.

    >>> labeller_prefix(["labels", "status", "tension_labels", "tension_status"])
    'tension_'
    """
    present = set(columns)
    found = [prefix for prefix in ADDED_PREFIXES
             if {f"{prefix}{LABELS_COLUMN}", f"{prefix}{STATUS_COLUMN}"} <= present]
    return found[-1] if found else ""
