"""benchmarks/reference_lines.py: short reports with a partner's reference line above or below them."""

from __future__ import annotations

from types import SimpleNamespace

from benchmarks import reference_lines


class _KeywordModel:
    """Gives ``race_hate`` to a text that holds "OUT" and no "ref"; ``immigration`` to one with "DOB"."""

    def predict(self, texts):
        return [SimpleNamespace(labels=(("race_hate",) if "OUT" in t and "ref" not in t.lower() else ())
                                + (("immigration",) if "DOB" in t else ())) for t in texts]


def test_reference_lines_count_right_labels_lost_and_wrong_labels_added_per_line_and_place():
    reports = [("'X OUT' on the wall.", {"race_hate"}), ("Bins.", set())]
    rows = reference_lines.measure(_KeywordModel(), reports, lines=("Ref 1.", "DOB 2."))
    assert [(r["line"], r["place"], r["right"], r["lost"], r["added"]) for r in rows] == [
        ("Ref 1.", "above", 1, 1, 0), ("Ref 1.", "below", 1, 1, 0),
        ("DOB 2.", "above", 1, 0, 2), ("DOB 2.", "below", 1, 0, 2)]
    table = reference_lines.format_rows("m", rows, len(reports))
    assert "lost    1 (100.0%)" in table[1]
    assert table[-1] == "  mean: right labels lost 0.5 (50.0%), wrong labels added 1.0"


def test_reference_lines_hold_identifiers_of_every_kind_the_masking_knows():
    from classifier.model.preprocess import mask_identifiers

    masked = [mask_identifiers(line) for line in reference_lines.REFERENCE_LINES]
    assert "KX70" not in masked[0] and "HF4" not in masked[0] and len(reference_lines.REFERENCE_LINES) == 6


def test_reference_lines_quick_run_prints_the_table(trained, capsys):
    assert reference_lines.main([str(trained.model_dir), "--quick"]) == 0
    out = capsys.readouterr().out
    assert "short test reports" in out and "mean: right labels lost" in out and out.count("above") == 2
