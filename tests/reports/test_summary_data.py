"""Tests for classifier.reports.summary_data: per-period counts add up, and the names of the summary's rows."""

from __future__ import annotations

from collections import Counter

from classifier.reports.summary_data import PART, PERIODS, PeriodCounts


def test_summary_data_counts_add_every_field():
    total = PeriodCounts(period="Total")
    total.add(PeriodCounts(period="2024-01", reports=3, labels=Counter(a=2), no_label=1, needs_review=1,
                           kinds=Counter({frozenset({"a"}): 2, "no label": 1})))
    total.add(PeriodCounts(period="2024-02", reports=2, labels=Counter(a=1, b=1), several_labels=1, not_labelled=1,
                           kinds=Counter({frozenset({"a", "b"}): 1, "not labelled": 1})))

    assert (total.reports, total.no_label, total.several_labels, total.not_labelled, total.needs_review) == (
        5, 1, 1, 1, 1)
    assert total.labels == Counter(a=3, b=1)
    assert total.kinds[frozenset({"a"})] == 2 and total.kinds["not labelled"] == 1


def test_summary_data_periods_and_part_marker():
    assert PERIODS == ("month", "quarter", "year", "financial-year")
    assert PART == "(part)"
