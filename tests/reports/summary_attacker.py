"""A reader who tries to work out withheld counts from a published summary table (test helper).

Written apart from `classifier.reports.summary_disclosure`, from the published strings and the meaning of the
columns only, so that the two check each other. The reader knows: every report in a row's period carries a
set of labels, or no label, or was not labelled, and may need review; each shown count is the number of
such reports; the Total row sums the other rows; each listed label pair counts the reports carrying both
(pairs not listed: none); a shown change is the difference of two report counts and a shown change % that
difference over the earlier count, rounded. A withheld cell ("[c]") is at least 1, because zeros are shown
(the tool's stated rule). For tables from older versions, "<N" means 1 to N-1 and "[c]" anything from 0.

For each withheld cell, `attack` finds its smallest and largest value over all whole-number tables that fit
all of that, with two `scipy.optimize.milp` calls.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

FIXED = ("period", "reports", "change", "change %")
TAIL = ("no label", "several labels", "not labelled", "needs review")
_LESS_THAN = re.compile(r"<(\d+)")
_PCT = re.compile(r"([+-]?\d+)%")


def _number(text: object) -> int | None:
    text = str(text).strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def attack(
    table: Sequence[Mapping[str, object]],
    pairs: Sequence[Mapping[str, object]],
    *,
    withheld_from_zero: bool = False,
) -> dict[tuple[int, str], tuple[int, float]]:
    """``{(row, column): (smallest, largest)}`` for every withheld cell of the published table.

    `table` is the published period table (Total row last), `pairs` the published label pairs; values as
    published (numbers or strings). Rows are numbered as in `table`; pairs are row -1, column ``"a + b"``.
    `withheld_from_zero`: read "[c]" as possibly 0 (the rule of older versions).
    """
    columns = list(table[0])
    labels = [column for column in columns if column not in FIXED and column not in TAIL]
    has_status, has_review = "not labelled" in columns, "needs review" in columns
    detail = len(table) - 1
    sets = [frozenset(combo) for size in range(1, len(labels) + 1) for combo in itertools.combinations(labels, size)]
    kinds = [*sets, "no label", *(["not labelled"] if has_status else []), *(["review"] if has_review else [])]
    width = len(kinds) * detail

    def var(row: int, kind: object) -> int:
        return row * len(kinds) + kinds.index(kind)

    def cell_vector(row: int, column: str) -> np.ndarray:
        vector = np.zeros(width)
        rows = range(detail) if row == detail else [row]
        for r in rows:
            for kind in kinds:
                if column == "reports":
                    hit = kind != "review"
                elif column == "several labels":
                    hit = isinstance(kind, frozenset) and len(kind) > 1
                elif column in ("no label", "not labelled"):
                    hit = kind == column
                elif column == "needs review":
                    hit = kind == "review"
                else:
                    hit = isinstance(kind, frozenset) and column in kind
                if hit:
                    vector[var(r, kind)] = 1.0
        return vector

    def pair_vector(first: str, second: str) -> np.ndarray:
        vector = np.zeros(width)
        for r in range(detail):
            for kind in sets:
                if first in kind and second in kind:
                    vector[var(r, kind)] = 1.0
        return vector

    rows_a: list[np.ndarray] = []
    lows: list[float] = []
    highs: list[float] = []
    unknown: dict[tuple[int, str], np.ndarray] = {}
    published_total = 0

    def know(vector: np.ndarray, low: float, high: float) -> None:
        rows_a.append(vector)
        lows.append(low)
        highs.append(high)

    def read_cell(key: tuple[int, str], vector: np.ndarray, value: object) -> None:
        nonlocal published_total
        number = _number(value)
        if number is not None:
            know(vector, number, number)
            published_total += number
            return
        text = str(value).strip()
        if match := _LESS_THAN.fullmatch(text):
            know(vector, 1, int(match[1]) - 1)
        elif text == "[c]":
            know(vector, 0 if withheld_from_zero else 1, np.inf)
        else:
            raise AssertionError(f"unexpected published value {value!r} in {key}")
        unknown[key] = vector

    for row, published in enumerate(table):
        for column in columns:
            if column not in FIXED or column == "reports":
                read_cell((row, column), cell_vector(row, column), published[column])
    listed = {frozenset(str(pair["labels"]).split(" + ")): (str(pair["labels"]), pair["reports"]) for pair in pairs}
    for first, second in itertools.combinations(labels, 2):
        name, value = listed.pop(frozenset((first, second)), (f"{first} + {second}", 0))
        read_cell((-1, name), pair_vector(first, second), value)
    assert not listed, f"pairs of unknown labels: {listed}"
    for row in range(1, detail):
        change = _number(table[row]["change"])
        if change is None:
            continue
        difference = cell_vector(row, "reports") - cell_vector(row - 1, "reports")
        know(difference, change, change)
        if match := _PCT.fullmatch(str(table[row]["change %"]).strip()):
            pct = int(match[1])  # pct = round(100 * change / previous): a band around 100 * change
            previous = cell_vector(row - 1, "reports")
            know(100 * difference - (pct + 0.5) * previous, -np.inf, 0)
            know(100 * difference - (pct - 0.5) * previous, 0, np.inf)
    if has_review:
        for row in range(detail):
            know(cell_vector(row, "reports") - cell_vector(row, "needs review"), 0, np.inf)

    cap = 10.0 * (published_total + 100)
    constraint = LinearConstraint(np.array(rows_a), np.array(lows), np.array(highs))
    found: dict[tuple[int, str], tuple[int, float]] = {}
    for key, vector in unknown.items():
        extremes = []
        for sign in (1.0, -1.0):
            result = milp(sign * vector, constraints=[constraint], bounds=Bounds(0, cap), integrality=np.ones(width))
            assert result.status == 0, (key, result.message)
            extremes.append(round(sign * result.fun))
        lowest, highest = extremes
        found[key] = (lowest, math.inf if highest >= cap - 1 else highest)
    return found
