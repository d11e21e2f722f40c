"""Tests for classifier.reports.summarise and classifier.reports.summary_report: trend summaries of labelled files."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import warnings
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier.errors import ConfigError, DataError
from classifier.io.tables import AtomicTableWriter, read_rows
from classifier.reports.summarise import (
    CHANGE,
    CHANGE_PCT,
    NEEDS_REVIEW,
    NO_LABEL,
    NOT_LABELLED,
    PART_CHANGE,
    REPORTS,
    SEVERAL,
    TOTAL,
    WITHHELD,
    AmbiguousDateError,
    UndatedRowsWarning,
    format_summary_text,
    parse_date,
    period_name,
    period_of,
    run_summarise,
    summarise,
    write_summary,
)
from tests.reports.summary_attacker import attack

LABELS = ["immigration", "race_hate", "religious_hate", "israel_palestine", "misinformation"]
LABEL_COLUMNS = ["id", "received", "channel", "text", "labels", *(f"score_{label}" for label in LABELS),
                 "needs_review", "reasons", "status"]


def _labelled_rows(count: int, seed: int = 7) -> list[dict[str, str]]:
    """Rows shaped like the output of `tension label`, dates in mixed export formats."""
    rng = random.Random(seed)
    rows = []
    for number in range(count):
        date = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 600))
        style = number % 4
        received = [
            date.isoformat(),
            date.strftime("%d/%m/%Y"),
            f"{date.isoformat()}T{rng.randrange(24):02d}:15:00",
            str((date - dt.date(1899, 12, 30)).days),
        ][style]
        labels = rng.sample(LABELS, k=rng.choice([0, 0, 0, 1, 1, 2, 3]))
        status = "empty text" if rng.random() < 0.05 else "ok"
        rows.append({
            "id": str(number),
            "received": received,
            "channel": "Online form",
            "text": f"report {number}",
            "labels": "" if status != "ok" else ";".join(labels),
            **{f"score_{label}": "0.5" for label in LABELS},
            "needs_review": "true" if rng.random() < 0.2 else "false",
            "reasons": "",
            "status": status,
        })
    return rows


def _write(path: Path, rows: list[dict[str, str]], columns: list[str] = LABEL_COLUMNS) -> Path:
    with AtomicTableWriter(path, columns) as writer:
        writer.write_rows(rows)
    return path


def _month(text: str) -> str:
    date = parse_date(text)
    assert date is not None
    return f"{date.year}-{date.month:02d}"


def test_summarise_counts_agree_with_direct_group_by(tmp_path: Path) -> None:
    rows = _labelled_rows(400)
    summary = summarise(_write(tmp_path / "labelled.csv", rows))

    expected: dict[str, Counter[str]] = {}
    for row in rows:
        counts = expected.setdefault(_month(row["received"]), Counter())
        labels = row["labels"].split(";") if row["labels"] else []
        counts[REPORTS] += 1
        counts[NEEDS_REVIEW] += row["needs_review"] == "true"
        if row["status"] != "ok":
            counts[NOT_LABELLED] += 1
            continue
        counts.update(labels)
        counts[NO_LABEL] += not labels
        counts[SEVERAL] += len(labels) > 1

    by_period = {str(row["period"]).split(" (")[0]: row for row in summary.table}
    assert set(expected) <= set(by_period)
    for period, counts in expected.items():
        for column in [REPORTS, NO_LABEL, SEVERAL, NOT_LABELLED, NEEDS_REVIEW, *LABELS]:
            assert by_period[period][column] == counts[column], (period, column)
    total = summary.table[-1]
    assert total["period"] == TOTAL
    assert total[REPORTS] == len(rows) == sum(period.reports for period in summary.periods)
    months = [str(row["period"]).split(" (")[0] for row in summary.table[:-1]]
    assert months == sorted(months)  # gaps filled, in time order
    assert summary.undated_rows == []


def test_summarise_change_against_previous_period(tmp_path: Path) -> None:
    rows = [{"received": day, "labels": ""} for day in
            ["2024-01-01", "2024-01-06", "2024-02-01", "2024-02-02", "2024-02-03", "2024-04-30"]]
    summary = summarise(_write(tmp_path / "r.csv", rows, ["received", "labels"]))
    table = {row["period"]: row for row in summary.table}
    assert [table[p][REPORTS] for p in ["2024-01", "2024-02", "2024-03", "2024-04"]] == [2, 3, 0, 1]
    assert table["2024-01"][CHANGE] == ""
    assert (table["2024-02"][CHANGE], table["2024-02"]["change %"]) == (1, "+50%")
    assert (table["2024-03"][CHANGE], table["2024-03"]["change %"]) == (-3, "-100%")
    assert (table["2024-04"][CHANGE], table["2024-04"]["change %"]) == (1, "n/a")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-31", "2023/24"),
        ("2024-04-01", "2024/25"),
        ("31/03/2025", "2024/25"),
        ("01/04/2025 00:00", "2025/26"),
        ("2025-03-31T23:59:59", "2024/25"),
        ("2000-01-15", "1999/00"),
    ],
)
def test_summarise_financial_year_boundaries(text: str, expected: str) -> None:
    date = parse_date(text)
    assert date is not None
    assert period_name(period_of(date, "financial-year"), "financial-year") == expected


def test_summarise_financial_year_end_to_end(tmp_path: Path) -> None:
    rows = [{"date": day, "labels": "immigration"} for day in ["31/03/2024", "01/04/2024", "2025-03-31"]]
    summary = summarise(_write(tmp_path / "r.csv", rows, ["date", "labels"]), by="financial-year")
    # The file's dates cover one day of 2023/24: a part year, so no change is worked out from it.
    assert [(row["period"], row[REPORTS], row[CHANGE_PCT]) for row in summary.table] == [
        ("2023/24 (1 day)", 1, ""), ("2024/25", 2, PART_CHANGE), (TOTAL, 3, ""),
    ]


@pytest.mark.parametrize(
    ("by", "expected"),
    [("month", "2024-05"), ("quarter", "2024 Q2"), ("year", "2024"), ("financial-year", "2024/25")],
)
def test_summarise_period_names(by: str, expected: str) -> None:
    assert period_name(period_of(dt.date(2024, 5, 17), by), by) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", dt.date(2024, 5, 1)),
        ("2024-05-01 13:45", dt.date(2024, 5, 1)),
        ("2024-05-01T13:45:10.123+01:00", dt.date(2024, 5, 1)),
        ("02/03/2024", dt.date(2024, 3, 2)),  # UK order: 2 March
        ("2/3/24", dt.date(2024, 3, 2)),
        ("02-03-2024", dt.date(2024, 3, 2)),
        ("02.03.2024 09:30", dt.date(2024, 3, 2)),
        ("13/12/2024 4:05 PM", dt.date(2024, 12, 13)),
        ("45413", dt.date(2024, 5, 1)),  # Excel serial
        ("45413.75", dt.date(2024, 5, 1)),
        ("1 May 2024", dt.date(2024, 5, 1)),
        ("01-Sep-24", dt.date(2024, 9, 1)),
        ("", None),
        ("  ", None),
        ("31/02/2024", None),
        ("2024", None),
        ("12345", None),
        ("next Tuesday", None),
    ],
)
def test_summarise_parse_date_formats(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["24-05-01", "01/05/24", "31.12.24", "01/05/24 09:30"])
def test_summarise_parse_date_refuses_two_digit_years_that_could_be_year_first(text: str) -> None:
    # 24-05-01 was read as 24 May 2001; it is as likely to be 1 May 2024.
    with pytest.raises(AmbiguousDateError, match="two-digit year"):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "date_format", "expected"),
    [
        ("24-05-01", "%y-%m-%d", dt.date(2024, 5, 1)),
        ("24-05-01", "%d-%m-%y", dt.date(2001, 5, 24)),
        ("01/05/24 09:30", "%d/%m/%y", dt.date(2024, 5, 1)),
        ("2024-05-01", "%d/%m/%y", dt.date(2024, 5, 1)),  # ISO is always read
        ("May 1, 24", "%d/%m/%y", None),
    ],
)
def test_summarise_parse_date_with_a_format(text: str, date_format: str, expected: dt.date | None) -> None:
    assert parse_date(text, date_format) == expected


def test_summarise_unreadable_dates_counted_and_reported(tmp_path: Path) -> None:
    rows = [
        {"received": "2024-05-01", "labels": "immigration"},
        {"received": "", "labels": "race_hate"},
        {"received": "2024-05-02", "labels": ""},
        {"received": "soon", "labels": ""},
    ]
    path = _write(tmp_path / "r.csv", rows, ["received", "labels"])
    with pytest.warns(UndatedRowsWarning, match=r"2 rows \(rows 3, 5\) of r\.csv have no readable date in 'received'"):
        summary = summarise(path)
    assert summary.undated_rows == [3, 5]
    table = {row["period"]: row for row in summary.table}
    assert table["no date"][REPORTS] == 2
    assert table["no date"]["race_hate"] == 1
    assert table[TOTAL][REPORTS] == 4
    # The published notes say how many, never which rows.
    assert "Reports with no usable date: 2." in " ".join(summary.notes)
    assert not any(re.search(r"\brows? \d", note) for note in summary.notes)
    assert not re.search(r"\brows? \d", format_summary_text(summary))


def test_summarise_many_undated_rows_listed_briefly(tmp_path: Path) -> None:
    rows = [{"received": "2024-05-01", "labels": ""}] + [{"received": "?", "labels": ""} for _ in range(30)]
    with pytest.warns(UndatedRowsWarning, match="and 10 more"):
        summarise(_write(tmp_path / "r.csv", rows, ["received", "labels"]))


def test_summarise_date_column_given_and_missing(tmp_path: Path) -> None:
    rows = [{"When": "2024-05-01", "received": "junk", "labels": ""}]
    path = _write(tmp_path / "r.csv", rows, ["When", "received", "labels"])
    assert summarise(path, date_column="when").table[0]["period"] == "2024-05 (1 day)"
    assert summarise(path, date_column="WHEN ").date_column == "When"
    with pytest.raises(DataError, match=r"'nope'.*'When', 'received', 'labels'.*--date-column"):
        summarise(path, date_column="nope")


def test_summarise_without_date_column_counts_one_period(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        "\n".join(json.dumps(record) for record in [
            {"text": "a", "labels": ["immigration", "misinformation"]},
            {"text": "b", "labels": []},
            {"text": "c", "labels": ["immigration"]},
        ]) + "\n",
        encoding="utf-8",
    )
    summary = summarise(path)
    assert [row["period"] for row in summary.table] == ["all", TOTAL]
    assert summary.table[0]["immigration"] == 2 and summary.table[0][SEVERAL] == 1
    assert summary.pairs == [(("immigration", "misinformation"), 1)]
    assert any("--date-column" in note for note in summary.notes)
    assert NEEDS_REVIEW not in summary.columns


def test_summarise_prefers_labeller_columns_over_input_labels(tmp_path: Path) -> None:
    # `tension label` on a file that already had 'labels' writes its own as 'tension_labels' etc.
    columns = ["received", "labels", "status", "tension_labels", "tension_score_race_hate",
               "tension_needs_review", "tension_reasons", "tension_status"]
    rows = [
        {"received": "2024-05-01", "labels": "immigration", "status": "x", "tension_labels": "race_hate",
         "tension_score_race_hate": "0.9", "tension_needs_review": "true", "tension_status": "ok"},
        {"received": "2024-05-02", "labels": "", "status": "", "tension_labels": "",
         "tension_score_race_hate": "", "tension_needs_review": "false", "tension_status": "empty text"},
    ]
    summary = summarise(_write(tmp_path / "r.csv", rows, columns))
    assert summary.label_names == ["race_hate"]
    row = summary.table[0]
    assert (row["race_hate"], row[NEEDS_REVIEW], row[NOT_LABELLED]) == (1, 1, 1)
    assert summarise(tmp_path / "r.csv", labels_column="labels").table[0]["immigration"] == 1


def test_summarise_without_labels_column_raises(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", [{"id": "1", "text": "x"}], ["id", "text"])
    with pytest.raises(DataError, match=r"'labels' column.*'id', 'text'.*tension label"):
        summarise(path)


@pytest.mark.parametrize(("options", "message"), [
    ({"by": "week"}, "month, quarter, year, financial-year"),
    ({"suppress_below": 2}, "at least 3"),
    ({"max_periods": 0}, "'max_periods'"),
    ({"earliest": dt.date(2025, 1, 1), "latest": dt.date(2024, 1, 1)}, "'earliest' to be on or before 'latest'"),
])
def test_summarise_bad_options_raise(tmp_path: Path, options: dict[str, object], message: str) -> None:
    path = _write(tmp_path / "r.csv", [{"labels": ""}], ["labels"])
    with pytest.raises(ConfigError, match=message):
        summarise(path, **options)  # type: ignore[arg-type]


# -- suppression -------------------------------------------------------------------------------------
def _assert_attacker_fails(summary, below: int) -> None:  # type: ignore[no-untyped-def]
    """No published count is small, and a reader solving for each withheld cell over every whole-number table
    consistent with the published figures cannot narrow a small one to fewer than `below` values."""
    true = _true_cells(summary)
    for key, value in true.items():
        shown = _shown(summary, key)
        assert not (isinstance(shown, int) and 0 < shown < below), (key, shown)
        if shown != WITHHELD:
            assert shown == value, (key, shown, value)
    for key, (lowest, highest) in attack(summary.table, summary.pair_table).items():
        assert lowest <= true[key] <= highest, (key, true[key], lowest, highest)
        if 0 < true[key] < below:
            assert highest - lowest + 1 >= below, (key, true[key], lowest, highest)
    for row in summary.table:
        if isinstance(row[CHANGE], int):  # a change only between two shown counts
            index = summary.table.index(row)
            assert isinstance(row[REPORTS], int) and isinstance(summary.table[index - 1][REPORTS], int)


def _true_cells(summary) -> dict[tuple[int, str], int]:  # type: ignore[no-untyped-def]
    from classifier.reports.summarise import _count, _count_columns

    cells = {(index, column): _count(counts, column)
             for index, counts in enumerate([*summary.periods, summary.total])
             for column in _count_columns(summary)}
    for (first, second), count in summary.pairs:
        cells[(-1, f"{first} + {second}")] = count
    return cells


def _shown(summary, key: tuple[int, str]) -> int | str:  # type: ignore[no-untyped-def]
    row, column = key
    if row >= 0:
        return summary.table[row][column]
    return next(pair["reports"] for pair in summary.pair_table if pair["labels"] == column)


def test_summarise_suppression_hides_small_counts_and_what_reveals_them(tmp_path: Path) -> None:
    rows = [{"received": "2024-01-10", "labels": "immigration"} for _ in range(12)]
    rows += [{"received": "2024-01-11", "labels": "race_hate"} for _ in range(2)]
    rows += [{"received": "2024-02-10", "labels": ""} for _ in range(20)]
    rows += [{"received": "2024-03-10", "labels": "immigration"} for _ in range(3)]
    path = _write(tmp_path / "r.csv", rows, ["received", "labels"])
    summary = summarise(path, suppress_below=5)
    table = {str(row["period"]).split(" (")[0]: row for row in summary.table}
    assert table["2024-01"]["race_hate"] == WITHHELD
    # 2 race_hate in January would be Total race_hate minus nothing: the total is withheld too.
    assert table[TOTAL]["race_hate"] == WITHHELD
    # January's immigration count (12) would give race_hate as reports - immigration: one is withheld.
    assert WITHHELD in (table["2024-01"][REPORTS], table["2024-01"]["immigration"])
    assert table["2024-03"][REPORTS] == WITHHELD
    assert table["2024-02"][NO_LABEL] == 20 and table["2024-01"][NO_LABEL] == 0  # zeros are published
    assert any("[c]" in note and "1 to 4" in note and "Zeros are shown" in note for note in summary.notes)
    _assert_attacker_fails(summary, 5)
    # The true counts are kept for the caller; only the table is suppressed.
    assert summary.total.labels["race_hate"] == 2


@pytest.mark.parametrize(("by", "below"), [("quarter", 5), ("financial-year", 10), ("year", 3)])
def test_summarise_suppression_on_realistic_output(tmp_path: Path, by: str, below: int) -> None:
    path = _write(tmp_path / "labelled.csv", _labelled_rows(300))
    _assert_attacker_fails(summarise(path, by=by, suppress_below=below), below)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=3),  # month
            st.lists(st.sampled_from(["immigration", "race_hate", "misinformation"]), max_size=3,
                     unique=True),
            st.booleans(),  # needs review
        ),
        min_size=1,
        max_size=50,
    ),
    below=st.sampled_from([3, 5]),
    two_labels=st.booleans(),
)
def test_summarise_suppression_never_reveals_property(
    tmp_path: Path, data: list[tuple[int, list[str], bool]], below: int, two_labels: bool
) -> None:
    rows = []
    for month, labels, review in data:
        kept = [label for label in labels if label != "misinformation"] if two_labels else labels
        rows.append({
            "received": f"2024-{month + 1:02d}-15",
            "labels": ";".join(kept),
            "needs_review": "true" if review else "false",
        })
    columns = ["received", "labels", "needs_review"]
    if two_labels:
        columns += ["score_immigration", "score_race_hate"]
    path = _write(tmp_path / "p.csv", rows, columns)
    summary = summarise(path, suppress_below=below)
    _assert_attacker_fails(summary, below)


# -- output ----------------------------------------------------------------------------------------------
def _expected_strings(summary) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return [{key: str(value) for key, value in row.items()} for row in summary.table]


def _unguarded(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """CSV cells as the summary holds them: the table writer may put a ' before a leading + or - (formula guard)."""
    return [{key: value.removeprefix("'") for key, value in row.items()} for row in rows]


def test_summarise_writes_csv(tmp_path: Path) -> None:
    summary = summarise(_write(tmp_path / "labelled.csv", _labelled_rows(80)), by="quarter")
    out = write_summary(summary, tmp_path / "summary.csv")
    assert _unguarded(read_rows(out)) == _expected_strings(summary)


def test_summarise_writes_xlsx_with_pairs_and_notes(tmp_path: Path) -> None:
    path = _write(tmp_path / "labelled.csv", _labelled_rows(80))
    out = tmp_path / "summary.xlsx"
    summary = run_summarise(path, date_column=None, by="year", out=out, suppress_below=5)
    assert read_rows(out) == _expected_strings(summary)
    pairs = read_rows(out, sheet="label pairs")
    assert pairs == [{key: str(value) for key, value in row.items()} for row in summary.pair_table]
    notes = [row["note"] for row in read_rows(out, sheet="notes")]
    assert notes[0].startswith("Source: labelled.csv") and any("1 to 4" in note for note in notes)


def test_summarise_html_is_self_contained(tmp_path: Path) -> None:
    path = _write(tmp_path / "labelled.csv", _labelled_rows(120))
    out = tmp_path / "report.html"
    summary = run_summarise(path, date_column=None, by="month", out=out, suppress_below=5)
    page = out.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 3
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", page, re.IGNORECASE)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert summary.table[0]["period"] in page and "Label pairs" in page
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_summarise_refuses_markup_in_label_names(tmp_path: Path) -> None:
    rows = [{"received": "2024-01-01", "labels": "<b>odd</b>"}]
    with pytest.raises(DataError, match="'<b>odd</b>', which is not a label name"):
        summarise(_write(tmp_path / "r.csv", rows, ["received", "labels"]))


def test_summarise_run_rejects_unknown_out_extension_before_reading(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"\.csv, \.tsv, \.xlsx, \.jsonl or \.html"):
        run_summarise(tmp_path / "absent.csv", date_column=None, by="month", out=tmp_path / "x.pdf",
                      suppress_below=None)


def test_summarise_text_output(tmp_path: Path) -> None:
    rows = [{"received": "2024-05-01", "labels": "immigration;race_hate"}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = summarise(_write(tmp_path / "r.csv", rows, ["received", "labels"]))
    text = format_summary_text(summary)
    assert "2024-05" in text and "immigration + race_hate" in text and TOTAL in text


def test_summarise_a_part_quarter_or_year_is_never_labelled_as_long_as_the_whole():
    from classifier.reports.summarise import _covered, period_of

    first, last = dt.date(2024, 1, 9), dt.date(2025, 12, 27)
    q1 = period_of(dt.date(2024, 2, 1), "quarter")
    assert _covered(q1, "quarter", first, last, dt.date.min, dt.date.max) == "83 days"
    fy = period_of(dt.date(2024, 2, 1), "financial-year")  # 2023/24: 9 January to 31 March 2024
    assert _covered(fy, "financial-year", first, last, dt.date.min, dt.date.max) == "3 months"
    year = period_of(dt.date(2025, 6, 1), "year")  # 1 January to 27 December 2025
    assert _covered(year, "year", first, last, dt.date.min, dt.date.max) == "361 days"


def test_summarise_refuses_a_labels_cell_that_is_not_label_names_without_quoting_report_text(tmp_path: Path) -> None:
    path = tmp_path / "shifted.csv"
    path.write_text("received,text,labels\n2026-01-05,fine,immigration\n"
                    "2026-01-06,Mr Zanderwick shouted at me, then he ran off down the road\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        summarise(path)
    message = str(caught.value)
    assert "row 3" in message and "not shown" in message and "ran off" not in message


def test_summarise_a_date_that_reads_only_month_first_is_refused_with_the_format_to_pass(tmp_path: Path) -> None:
    from classifier.reports.summarise import MonthFirstDateError

    with pytest.raises(MonthFirstDateError, match="reads only month first"):
        parse_date("12/13/2024")  # US order is not guessed: it is refused
    rows = [{"received": "04/05/2024", "labels": "immigration"}, {"received": "04/13/2024", "labels": ""}]
    with pytest.raises(MonthFirstDateError, match=r"row 3, column 'received'.*--date-format %m/%d/%Y"):
        summarise(_write(tmp_path / "us.csv", rows, ["received", "labels"]))


def test_summarise_refuses_a_header_alone_and_labels_the_model_does_not_have(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="has a header but no reports"):
        summarise(_write(tmp_path / "empty.csv", [], ["received", "labels"]))
    rows = [{"received": "2024-05-01", "labels": "racism", "score_race_hate": "0.9"}]
    with pytest.raises(DataError, match="'racism' in the 'labels' column are not among the labels of the model"):
        summarise(_write(tmp_path / "odd.csv", rows, ["received", "labels", "score_race_hate"]))


def test_summarise_never_replaces_its_input_and_an_existing_output_only_with_force(tmp_path: Path) -> None:
    path = _write(tmp_path / "labelled.csv", [{"received": "2024-05-01", "labels": "immigration"}],
                  ["received", "labels"])
    before = path.read_bytes()
    with pytest.raises(DataError, match="the output is the input file"):
        run_summarise(path, out=path, force=True)
    out = tmp_path / "summary.csv"
    out.write_text("old")
    with pytest.raises(DataError, match="already exists; choose another --out, or pass --force"):
        run_summarise(path, out=out)
    run_summarise(path, out=out, force=True)
    assert path.read_bytes() == before and out.read_text() != "old"
    folder = tmp_path / "d2.csv"  # a folder: named as one at once, not "pass --force" first
    folder.mkdir()
    for force in (False, True):
        with pytest.raises(DataError, match=r"d2.csv: expected a file name to write the summary to, found a folder; "
                                            r"give a file name such as .*d2.csv/summary.html"):
            run_summarise(path, out=folder, force=force)


def test_summarise_a_date_column_found_by_name_with_no_dates_in_it_is_refused(tmp_path: Path) -> None:
    rows = [{"Reported": "Yes", "Date": "2024-05-01", "labels": "immigration"},
            {"Reported": "No", "Date": "2024-06-01", "labels": ""}]
    path = _write(tmp_path / "flags.csv", rows, ["Reported", "Date", "labels"])
    with pytest.raises(DataError, match=r"'Reported', taken for the date by its name.*--date-column "
                                         r"\(perhaps 'Date'\)"):
        summarise(path)
    assert summarise(path, date_column="Date").table[0]["immigration"] == 1


def test_summarise_a_two_digit_year_format_still_reads_four_digit_years_in_the_same_column() -> None:
    assert parse_date("05/06/24", "%d/%m/%y") == parse_date("05/06/2024", "%d/%m/%y") == dt.date(2024, 6, 5)
    assert parse_date("05/06/2024", "%m/%d/%y") == dt.date(2024, 5, 6)  # month first, as the format says
