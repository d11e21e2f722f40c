"""The fairness gate's checks on identity-suite figures (small fakes; the promotion itself is in test_registry)."""

from __future__ import annotations

import pytest

from classifier.errors import ConfigError
from classifier.fairness import gate
from classifier.fairness.gate import fairness_problems


def figures(fpr, terms=None, n=1800):
    """An identity-suite summary with an overall false-positive rate and per-term ones."""
    terms = terms or {"Muslim": fpr, "Polish": fpr}
    return {"overall": {"false_positive_rate": fpr, "n_non_hostile": n, "false_positives": round(fpr * n)},
            "term_false_positive_rate": terms}


def test_fairness_gate_passes_a_model_within_the_limits():
    assert fairness_problems(figures(0.01)) == []
    assert fairness_problems(figures(0.01), figures(0.008)) == []  # worse by less than the tolerance


def test_fairness_gate_names_what_was_measured_and_the_limit():
    problems = fairness_problems(figures(0.042, {"Muslim": 0.1, "Polish": 0.0, "Roma": 0.075}))
    assert len(problems) == 2
    assert "4.2% of the suite's 1800 neutral and positive sentences" in problems[0] and "limit of 3.0%" in problems[0]
    assert "2 identity term(s)" in problems[1] and "Muslim 10.0%, Roma 7.5%" in problems[1]
    assert "per-term limit of 5.0%" in problems[1]


def test_fairness_gate_lists_at_most_five_terms():
    terms = {f"t{i}": 0.06 + i / 100 for i in range(8)}
    (problem,) = fairness_problems(figures(0.01, terms))
    assert "8 identity term(s)" in problem and "t7 13.0%" in problem and "and 3 more" in problem


def test_fairness_gate_refuses_a_model_worse_than_the_default():
    (problem,) = fairness_problems(figures(0.02), figures(0.01), current_name="'model-1'")
    assert "2.0%, is higher than 'model-1''s 1.0% by 1.0 points (allowed: 0.5)" in problem
    assert fairness_problems(figures(0.02), figures(0.01), tolerance=0.02) == []


def test_fairness_gate_limits_are_options_and_module_constants(monkeypatch):
    assert fairness_problems(figures(0.04), max_fpr=0.05, max_term_fpr=0.05) == []
    monkeypatch.setattr(gate, "MAX_SUITE_FPR", 0.05)
    monkeypatch.setattr(gate, "MAX_TERM_FPR", 0.05)
    assert fairness_problems(figures(0.04)) == []


@pytest.mark.parametrize("bad", [{"max_fpr": 3}, {"max_term_fpr": -0.1}, {"tolerance": "0.01"}, {"max_fpr": True}])
def test_fairness_gate_bad_limit_is_refused_by_message(bad):
    with pytest.raises(ConfigError, match="must be a fraction between 0 and 1"):
        fairness_problems(figures(0.01), **bad)


def test_fairness_gate_reads_a_full_result_too():
    full = {"overall": {"false_positive_rate": 0.01, "n_non_hostile": 10, "false_positives": 1},
            "terms": {"Sikh": {"false_positive_rate": 0.5}}}
    (problem,) = fairness_problems(full)
    assert "Sikh 50.0%" in problem
