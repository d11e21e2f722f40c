"""benchmarks/email_wrappers.py: short reports with a partner's e-mail signature or header around them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from benchmarks import email_wrappers


class _KeywordModel:
    """Gives ``race_hate`` to a text that holds "OUT" and not "Officer"; ``immigration`` to one with "Subject"."""

    def predict(self, texts, explain=False):
        return [SimpleNamespace(labels=(("race_hate",) if "OUT" in t and "Officer" not in t else ())
                                + (("immigration",) if "Subject" in t else ())) for t in texts]


def test_email_wrappers_counts_right_labels_lost_and_wrong_labels_added_per_wrapper():
    reports = [("'X OUT' on the wall.", {"race_hate"}), ("'Y OUT' again.", {"race_hate"}), ("Bins.", set())]
    wrappers = [{"id": "s1", "kind": "signature", "text": "Jo\nOfficer"},
                {"id": "s2", "kind": "signature", "text": "Thanks"},
                {"id": "h1", "kind": "header", "text": "From: a\nSubject: b"}]
    kinds = email_wrappers.measure(_KeywordModel(), reports, wrappers)
    assert kinds == {"signature": {"wrappers": 2, "right": 2, "lost": 2, "added": 0},
                     "header": {"wrappers": 1, "right": 2, "lost": 0, "added": 3}}
    lines = email_wrappers.format_rows("m", kinds, len(reports))
    assert "right labels lost     1.0 of 2 (50.0%)" in lines[1] and "wrong labels added    3.0" in lines[2]


def test_email_wrappers_both_sets_hold_signatures_and_headers_without_report_text():
    from classifier.model.identity_terms import term_groups

    for name in email_wrappers.WRAPPER_SETS:
        wrappers = email_wrappers.load_wrappers(name)
        assert {w["kind"] for w in wrappers} == {"signature", "header"}
        assert len({w["id"] for w in wrappers}) == len(wrappers)
        assert not [w["id"] for w in wrappers if {"religion", "nationality_ethnicity"} & set(term_groups(w["text"]))]


@pytest.mark.slow
def test_email_wrappers_quick_run_prints_both_kinds(trained, capsys):
    assert email_wrappers.main([str(trained.model_dir), "--quick"]) == 0
    out = capsys.readouterr().out
    assert "short test reports" in out and "signatures" in out and "headers" in out
