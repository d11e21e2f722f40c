"""Disclosure control for summary tables: which counts to withhold so that no small count can be worked out.

The rule (what the published note says; it follows ONS/GSS practice for tables of counts):

* **Primary suppression.** Every count from 1 to N-1 is withheld. Zeros are published: here a zero says that no
  report of a kind arrived in a period, which describes no person (ONS/GSS guidance treats a zero as disclosive
  only when it reveals something about every member of a group, which a count of reports cannot).
* **Secondary suppression.** More counts (all of N or more) are withheld so that, from everything published
  (shown counts, totals, label pairs, changes on the previous period, and the rule itself: zeros are shown, so
  a withheld count is at least 1), a reader cannot narrow any withheld small count to fewer than N possible
  values. Every withheld cell is shown the same way (``[c]``), so a reader cannot tell which ones are small.

The reader is modelled exactly. A table is what it is because some number of reports of each kind (label set,
no label, not labelled; and how many need review) arrived in each row's period, so every published count is a
sum of those non-negative whole numbers (`ReaderModel`). A reader who knows that can solve an integer programme
for the smallest and largest value of any withheld cell: `withheld_interval` does that (two `scipy.optimize.milp`
calls), and is the audit.

`choose_withheld` picks the secondary cells. An integer programme chooses the cheapest set of cells to withhold
(fewest cells; totals, the reports column, label pairs and large counts cost more) subject to "cuts"; each small
count is then checked with the reader's model: it is protected when some table consistent with the published
figures gives it a value at least N-1 above its true one (so the reader's interval holds N values or more).
While one is not, the dual values of the reader's linear programme name the published cells that pin it, a cut
"withhold at least one of these" is added, and the choice is solved again.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_array, vstack

__all__ = [
    "Cell",
    "PAIR_ROW",
    "ReaderModel",
    "TableShape",
    "choose_withheld",
    "label_sets",
    "pair_column",
    "reader_model",
    "withheld_interval",
]

Cell = tuple[int, str]
"""(row, column) of a count. Rows 0..n_rows-1 are the detail rows (periods, "no date"...), row n_rows the Total
row, and row `PAIR_ROW` the label pairs (column ``"a + b"``)."""

PAIR_ROW = -1
_ALL_SETS_UP_TO = 6  # labels; with more, the model keeps single labels, pairs and the label sets seen in the data
_MAX_ROUNDS = 60
_TOLERANCE = 1e-6
_QUICK_SECONDS = 5.0


def pair_column(first: str, second: str) -> str:
    return f"{first} + {second}"


@dataclass(frozen=True)
class TableShape:
    """The layout of a summary table: detail rows, label columns and which optional columns it has."""

    n_rows: int
    labels: tuple[str, ...]
    reports: str
    no_label: str
    several: str
    not_labelled: str | None = None
    needs_review: str | None = None

    @property
    def total_row(self) -> int:
        return self.n_rows


@dataclass
class ReaderModel:
    """Every cell of a table as a sum of counts of kinds of report: the reader's exact knowledge of its structure.

    ``matrix @ counts`` gives every cell when ``counts[k]`` reports of kind k arrived. Kinds, per detail row:
    one per label set in `sets`, then "no label", "not labelled" (if the table has that column) and "needs
    review" (a count of its own, at most the row's reports: ``extra @ counts >= 0``).
    """

    shape: TableShape
    sets: list[frozenset[str]]
    pairs: list[tuple[str, str]]
    cells: list[Cell]
    matrix: csr_array
    kind_rows: np.ndarray
    extra: csr_array
    index: dict[Cell, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {cell: number for number, cell in enumerate(self.cells)}

    @property
    def n_kinds(self) -> int:
        return len(self.kind_rows)

    def kind(self, row: int, what: frozenset[str] | str) -> int:
        """Index of the kind "reports with label set `what`" (or "no label", "not labelled", "needs review")."""
        extras = ["no label"] + ["not labelled"] * (self.shape.not_labelled is not None)
        extras += ["needs review"] * (self.shape.needs_review is not None)
        base = row * (len(self.sets) + len(extras))
        if isinstance(what, frozenset):
            return base + self.sets.index(what)
        return base + len(self.sets) + extras.index(what)

    def values(self, counts: np.ndarray) -> dict[Cell, int]:
        return {cell: int(round(value)) for cell, value in zip(self.cells, self.matrix @ counts, strict=True)}


def label_sets(labels: Sequence[str], seen: Iterable[frozenset[str]] = ()) -> list[frozenset[str]]:
    """The label sets a report may carry, for the reader's model.

    Every non-empty set for up to six labels. With more, single labels, pairs and the sets seen in the data: a
    reader who allows fewer kinds of report can only work out more, so protection checked against that reader
    also holds against one who allows every set.
    """
    if len(labels) <= _ALL_SETS_UP_TO:
        return [frozenset(combo) for size in range(1, len(labels) + 1)
                for combo in itertools.combinations(labels, size)]
    sets = {frozenset(combo) for size in (1, 2) for combo in itertools.combinations(labels, size)}
    sets.update(label_set for label_set in seen if label_set)
    return sorted(sets, key=lambda label_set: (len(label_set), sorted(label_set)))


def reader_model(
    shape: TableShape, pairs: Sequence[tuple[str, str]], sets: Sequence[frozenset[str]]
) -> ReaderModel:
    """Build the reader's model of a table of `shape` with label-pair cells for `pairs`."""
    per_row = len(sets) + 1 + (shape.not_labelled is not None) + (shape.needs_review is not None)
    total = shape.total_row
    rows: dict[Cell, dict[int, float]] = {}
    extra: list[dict[int, float]] = []
    columns = [shape.reports, *shape.labels, shape.no_label, shape.several]
    columns += [column for column in (shape.not_labelled, shape.needs_review) if column is not None]
    for row in (*range(shape.n_rows), total):
        for column in columns:
            rows[(row, column)] = {}
    for first, second in pairs:
        rows[(PAIR_ROW, pair_column(first, second))] = {}

    def add(kind: int, row: int, *columns: str) -> None:
        for target in (row, total):
            for column in columns:
                rows[(target, column)][kind] = 1.0

    for row in range(shape.n_rows):
        base = row * per_row
        for offset, label_set in enumerate(sets):
            kind = base + offset
            add(kind, row, shape.reports, *sorted(label_set), *([shape.several] if len(label_set) > 1 else []))
            for first, second in pairs:
                if first in label_set and second in label_set:
                    rows[(PAIR_ROW, pair_column(first, second))][kind] = 1.0
        kind = base + len(sets)
        add(kind, row, shape.reports, shape.no_label)
        if shape.not_labelled is not None:
            kind += 1
            add(kind, row, shape.reports, shape.not_labelled)
        if shape.needs_review is not None:
            kind += 1
            add(kind, row, shape.needs_review)
            reports_minus_review = dict(rows[(row, shape.reports)])
            reports_minus_review[kind] = -1.0
            extra.append(reports_minus_review)
    n_kinds = per_row * shape.n_rows
    cells = list(rows)
    return ReaderModel(
        shape=shape, sets=list(sets), pairs=list(pairs), cells=cells,
        matrix=_sparse((rows[cell] for cell in cells), n_kinds),
        kind_rows=np.repeat(np.arange(shape.n_rows), per_row),
        extra=_sparse(extra, n_kinds),
    )


def _sparse(rows: Iterable[Mapping[int, float]], n_columns: int) -> csr_array:
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for row in rows:
        for column, value in sorted(row.items()):
            indices.append(column)
            data.append(value)
        indptr.append(len(indices))
    return csr_array((np.array(data, dtype=float), np.array(indices, dtype=np.int64), np.array(indptr)),
                     shape=(len(indptr) - 1, n_columns))


# -- the reader ------------------------------------------------------------------------------------------------
class _Reader:
    """Solves the reader's problems for a table with true kind counts `counts`."""

    def __init__(self, model: ReaderModel, counts: np.ndarray, below: int) -> None:
        self.model = model
        self.counts = np.asarray(counts, dtype=float)
        self.values = model.matrix @ self.counts
        self.below = below
        # Generous: no kind of report can plausibly number more, so it never limits what a reader finds.
        self.cap = float(4 * max(self.values.max(initial=0), 1) + 4 * below + 10)

    def row_bounds(self, withheld: Iterable[Cell]) -> tuple[np.ndarray, np.ndarray]:
        """Published cells are fixed; a withheld cell is at least 1 (zeros are always published)."""
        low = self.values.copy()
        high = self.values.copy()
        for cell in withheld:
            position = self.model.index[cell]
            low[position], high[position] = 1.0, np.inf
        return low, high

    def constraints(self, withheld: Iterable[Cell]) -> list[LinearConstraint]:
        low, high = self.row_bounds(withheld)
        constraints = [LinearConstraint(self.model.matrix, low, high)]
        if self.model.extra.shape[0]:
            constraints.append(LinearConstraint(self.model.extra, 0, np.inf))
        return constraints

    def witness(
        self, cell: Cell, target: float, withheld: Iterable[Cell], objective: np.ndarray | None = None
    ) -> np.ndarray | None:
        """A whole-number table consistent with what is published in which `cell` >= `target`, or None.

        `objective` (minimised) steers which table is found; a search with one is much faster than a bare
        feasibility problem. It is first given a few seconds; only when that finds nothing is it run to the end
        (only then does None prove there is no such table).
        """
        model = self.model
        constraints = self.constraints(withheld)
        position = model.index[cell]
        low = constraints[0].lb.copy()
        low[position] = max(low[position], target)
        constraints[0] = LinearConstraint(model.matrix, low, constraints[0].ub)
        objective = np.zeros(model.n_kinds) if objective is None else objective
        for options in ({"time_limit": _QUICK_SECONDS, "mip_rel_gap": 1e6}, {}):
            solution = milp(objective, constraints=constraints, bounds=Bounds(0, self.cap),
                            integrality=np.ones(model.n_kinds), options=options)
            if solution.x is not None:
                return np.round(solution.x)
            if solution.status == 2:  # infeasible
                return None
            objective = np.zeros(model.n_kinds)
        return None

    def relaxed_max(self, cell: Cell, withheld: Iterable[Cell]) -> tuple[float, set[Cell], np.ndarray]:
        """Largest value of `cell` when counts may be fractional, and the published cells that bound it.

        Those are the published cells whose equations carry a non-zero dual value: while all of them stay
        published, the bound stands (weak duality), whatever else is withheld.
        """
        model = self.model
        withheld = set(withheld)
        published = np.array([cell_ not in withheld for cell_ in model.cells])
        objective = -model.matrix[[model.index[cell]], :].toarray().ravel()
        lower_rows = vstack([-model.matrix[~published], -model.extra]) if model.extra.shape[0] else \
            -model.matrix[~published]
        bound = np.concatenate([-np.ones(int((~published).sum())), np.zeros(model.extra.shape[0])])
        result = linprog(objective, A_ub=lower_rows, b_ub=bound, A_eq=model.matrix[published],
                         b_eq=self.values[published], bounds=(0, self.cap), method="highs")
        if result.status != 0:
            raise RuntimeError(f"reader's linear programme for {cell}: {result.message}")
        duals = result.eqlin.marginals
        cells = [cell_ for cell_, shown in zip(model.cells, published, strict=True) if shown]
        binding = {cell_ for cell_, dual in zip(cells, duals, strict=True) if abs(dual) > _TOLERANCE}
        return -result.fun, binding, result.x

    def interval(self, cell: Cell, withheld: Iterable[Cell]) -> tuple[int, float]:
        model = self.model
        constraints = self.constraints(withheld)
        objective = model.matrix[[model.index[cell]], :].toarray().ravel()
        found = []
        for sign in (1.0, -1.0):
            solution = milp(sign * objective, constraints=constraints, bounds=Bounds(0, self.cap),
                            integrality=np.ones(model.n_kinds))
            if solution.status != 0:
                raise RuntimeError(f"reader's integer programme for {cell}: {solution.message}")
            found.append(round(sign * solution.fun))
        lowest, highest = found
        return lowest, (math.inf if highest >= self.cap - 1 else highest)


def withheld_interval(
    model: ReaderModel, counts: np.ndarray, withheld: Iterable[Cell], cell: Cell, below: int
) -> tuple[int, float]:
    """The smallest and largest value of `cell` over all whole-number tables consistent with what is published.

    `counts` are the true counts of each kind (only the published cells' values are used as constraints: the
    values of the cells in `withheld` are unknown to the reader, who knows only that each is at least 1).
    The largest is ``math.inf`` when nothing published bounds it.
    """
    return _Reader(model, counts, below).interval(cell, withheld)


# -- choosing the cells to withhold --------------------------------------------------------------------------
def _cell_weight(cell: Cell, value: float, shape: TableShape, largest: float) -> float:
    """Cost of withholding a cell: totals, the reports column and label pairs are worth more to a reader."""
    row, column = cell
    base = 4.0 if row == shape.total_row else 2.0 if (row == PAIR_ROW or column == shape.reports) else 1.0
    return base * (1.0 + value / (largest + 1.0))


@dataclass
class _Certificate:
    """A table consistent with some pattern: the cells where it differs from the truth and the heights it gives
    the small counts. It stays consistent with any pattern that withholds at least those cells."""

    changed: frozenset[Cell]
    heights: np.ndarray


class _Protection:
    """Is each small count protected by a pattern of withheld cells, and if not, which published cells pin it.

    A small count is protected when some table consistent with what is published raises it N-1 above its true
    value. Tables found (fractional ones for the linear checks, whole-number ones for the final check) are kept
    as certificates: one often raises several small counts, and stays valid while the pattern only grows.
    """

    def __init__(self, reader: _Reader, primary: Sequence[Cell]) -> None:
        self.reader = reader
        self.primary = list(primary)
        model = reader.model
        self.targets = np.array([reader.values[model.index[cell]] + reader.below - 1 for cell in primary])
        self.primary_rows = csr_array(model.matrix[[model.index[cell] for cell in primary], :])
        self.fractional: list[_Certificate] = []
        self.whole: list[_Certificate] = []

    def _certificate(self, table: np.ndarray) -> _Certificate:
        reader = self.reader
        cells = reader.model.cells
        differs = np.abs(reader.model.matrix @ table - reader.values) > 0.5
        return _Certificate(frozenset(cells[i] for i in np.flatnonzero(differs)), self.primary_rows @ table)

    def _certified(self, index: int, withheld: set[Cell], certificates: list[_Certificate]) -> bool:
        return any(certificate.heights[index] >= self.targets[index] - _TOLERANCE
                   and certificate.changed <= withheld for certificate in certificates)

    def cuts(self, withheld: set[Cell]) -> list[frozenset[Cell]]:
        """For each small count that fractional counts cannot raise enough, the published cells that stop it
        (withhold one of them). Empty when fractional counts can raise every one."""
        found = []
        for index, cell in enumerate(self.primary):
            if self._certified(index, withheld, self.fractional):
                continue
            bound, binding, table = self.reader.relaxed_max(cell, withheld)
            if bound >= self.targets[index] - _TOLERANCE:
                self.fractional.append(self._certificate(table))
            else:
                found.append(frozenset(binding))
        return found

    def unprotected(self, withheld: set[Cell]) -> list[Cell]:
        """The small counts that no whole-number table consistent with what is published raises enough."""
        reader = self.reader
        missing = []
        for index, cell in enumerate(self.primary):
            if self._certified(index, withheld, self.whole):
                continue
            others = [i for i in range(len(self.primary)) if not self._certified(i, withheld, self.whole)]
            push = np.asarray(self.primary_rows[others, :].sum(axis=0)).ravel()
            table = reader.witness(cell, self.targets[index], withheld, objective=-push)
            if table is None:
                missing.append(cell)
            else:
                self.whole.append(self._certificate(table))
        return missing


def choose_withheld(model: ReaderModel, counts: np.ndarray, below: int) -> tuple[frozenset[Cell], frozenset[Cell]]:
    """The cells to withhold: ``(primary, all withheld)``. See the module docstring for the rule.

    Raises
    ------
    RuntimeError
        When no pattern protecting every small count was found (not seen: withholding every non-zero count
        always protects, and is tried last).
    """
    reader = _Reader(model, counts, below)
    values = dict(zip(model.cells, reader.values, strict=True))
    primary = sorted((cell for cell, value in values.items() if 0.5 < value < below - 0.5),
                     key=lambda cell: (values[cell], cell))
    if not primary:
        return frozenset(), frozenset()
    candidates = [cell for cell, value in values.items() if value >= below - 0.5]
    largest = max(values.values())
    weights = np.array([_cell_weight(cell, values[cell], model.shape, largest) for cell in candidates])
    position = {cell: number for number, cell in enumerate(candidates)}
    checks = _Protection(reader, primary)
    cuts: list[frozenset[Cell]] = []

    def master() -> set[Cell]:
        if not cuts:
            return set(primary)
        matrix = np.zeros((len(cuts), len(candidates)))
        for number, cut in enumerate(cuts):
            matrix[number, [position[cell] for cell in cut]] = 1.0
        solution = milp(weights, constraints=[LinearConstraint(matrix, 1, np.inf)], bounds=Bounds(0, 1),
                        integrality=np.ones(len(candidates)))
        if solution.status != 0 or solution.x is None:
            raise RuntimeError(f"choosing the cells to withhold: {solution.message}")
        return set(primary) | {cell for cell, chosen in zip(candidates, solution.x, strict=True) if chosen > 0.5}

    for _ in range(_MAX_ROUNDS):
        withheld = master()
        new_cuts = [frozenset(cell for cell in cut if cell in position) for cut in checks.cuts(withheld)]
        if not new_cuts and not checks.unprotected(withheld):
            return frozenset(primary), frozenset(withheld)
        if not new_cuts:
            # Fractional counts reach every target but whole numbers do not: withhold one more cell, any.
            new_cuts = [frozenset(cell for cell in candidates if cell not in withheld)]
        if any(not cut for cut in new_cuts):
            break
        cuts.extend(cut for cut in dict.fromkeys(new_cuts) if cut not in cuts)
    everything = set(primary) | set(candidates)
    if not checks.cuts(everything) and not checks.unprotected(everything):
        return frozenset(primary), frozenset(everything)
    raise RuntimeError("no pattern of withheld cells protects every small count")
