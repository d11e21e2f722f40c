"""Which reports a model trained and was tested on: the record that says whether two models' figures compare."""

from __future__ import annotations

import pytest

from classifier.errors import ModelError
from classifier.io.records import LabelledData
from classifier.model.provenance import TrainingRows


def _data(texts, labels) -> LabelledData:
    n = len(texts)
    return LabelledData([str(i) for i in range(n)], list(texts), [tuple(row) for row in labels], [None] * n,
                        [""] * n, {})


def test_provenance_a_relabelled_test_report_makes_the_figures_incomparable():
    train = _data(["a report"], [("race_hate",)])
    test = _data(["hotel protest", "a leaflet"], [("immigration",), ()])
    relabelled = _data(["hotel protest", "a leaflet"], [("immigration",), ("misinformation",)])
    reordered = _data(["a leaflet", "HOTEL  protest"], [(), ("immigration",)])
    first = TrainingRows.from_data(train, test)
    assert first.evaluation_digest == TrainingRows.from_data(train, reordered).evaluation_digest
    assert first.evaluation_digest != TrainingRows.from_data(train, relabelled).evaluation_digest


def test_provenance_round_trips_and_reads_a_record_from_before_labels_were_kept():
    rows = TrainingRows.from_data(_data(["x"], [()]), _data(["y", "z"], [("a", "b"), ()]))
    record = rows.to_dict()
    assert record["test"]["labels"] == ["a;b", ""]
    assert TrainingRows.from_dict(record, "rows.json") == rows
    del record["test"]["labels"]
    old = TrainingRows.from_dict(record, "rows.json")
    assert old.test_labels is None and old.evaluation_digest != rows.evaluation_digest
    record["test"]["labels"] = ["a;b"]
    with pytest.raises(ModelError, match="test labels do not match its test rows"):
        TrainingRows.from_dict(record, "rows.json")
