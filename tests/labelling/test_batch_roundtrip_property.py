"""Property: any table survives write -> label_file -> read back, every row in order with its values, in
every format (CSV, TSV, XLSX, JSONL). Texts are drawn with quotes, tabs, line breaks, Unicode, leading
formula characters and empty strings; JSONL and XLSX also carry numbers, booleans and nulls.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier.io.tables import AtomicTableWriter, TableReader, guard_formula
from classifier.labelling.batch import label_file
from tests.labelling.fake_model import FakeModel

_SPECIALS = list("\"'\t\n\r=+-@,; ")
_TEXT = st.text(
    st.one_of(st.characters(exclude_categories=("Cs", "Cc", "Cn")), st.sampled_from(_SPECIALS)), max_size=25
)
_TYPED = st.one_of(
    _TEXT, st.integers(-(2**53), 2**53), st.floats(-1e307, 1e307),  # beyond Excel's range: written as text
    st.booleans(), st.none(),
)


def _tables(note):
    row = st.fixed_dictionaries({"text": _TEXT, "note": note})
    return st.lists(row, min_size=1, max_size=6).map(
        lambda rows: [{"id": f"R{i}", **row} for i, row in enumerate(rows)]  # an id, as backlogs have
    )


def _xlsx_text(value):
    # XML normalises line ends (as Excel does); an empty text cell reads back as an empty cell.
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        return value or None
    return value


def _same_xlsx_value(got, expected) -> bool:
    # openpyxl writes floats with 16 significant digits, close to Excel's own 15; a whole float reads
    # back as an int.
    if isinstance(expected, float) and not isinstance(got, bool) and isinstance(got, (int, float)):
        return math.isclose(got, expected, rel_tol=1e-15, abs_tol=1e-300)
    return got == expected and type(got) is type(expected)


def _round_trip(ext: str, rows: list[dict], formula_guard: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / f"backlog{ext}"
        with AtomicTableWriter(source, ["id", "text", "note"], guard_formulas=False) as writer:
            writer.write_rows(rows)

        summary = label_file(source, model=FakeModel(), chunk_size=4, formula_guard=formula_guard)

        with TableReader(Path(folder) / f"backlog_labelled{ext}", keep_types=True) as reader:
            out = list(reader)
    assert summary.rows_in == summary.rows_out == len(out) == len(rows)
    for original, labelled in zip(rows, out, strict=True):
        assert labelled["status"] in {"ok", "empty text"}
        got = {key: labelled[key] for key in original}
        if ext in (".csv", ".tsv"):
            expected = {key: guard_formula(value) if formula_guard else value for key, value in original.items()}
        elif ext == ".xlsx":
            expected = {key: _xlsx_text(value) for key, value in original.items()}
            got = {key: _xlsx_text(value) for key, value in got.items()}
            assert all(_same_xlsx_value(got[key], expected[key]) for key in expected), (got, expected)
            continue
        else:
            expected = original
        assert got == expected
        assert all(type(got[key]) is type(expected[key]) for key in expected)  # 1 stays 1, not "1" or 1.0


_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("ext", [".csv", ".tsv"])
@pytest.mark.parametrize("formula_guard", [True, False])
@_SETTINGS
@given(rows=_tables(_TEXT))
def test_batch_round_trip_property_delimited(ext, formula_guard, rows):
    _round_trip(ext, rows, formula_guard)


@pytest.mark.parametrize("ext", [".xlsx", ".jsonl"])
@_SETTINGS
@given(rows=_tables(_TYPED))
def test_batch_round_trip_property_typed(ext, rows):
    _round_trip(ext, rows, True)


def test_batch_round_trip_float_precision_is_kept_in_jsonl():
    _round_trip(".jsonl", [{"id": "R0", "text": "", "note": math.pi}], True)
