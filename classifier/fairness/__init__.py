"""Fairness checks on identity terms: the shipped test suite, its metrics and the promotion gate.

>>> from classifier import load_model                                      # doctest: +SKIP
>>> from classifier.fairness import evaluate_identity_suite, format_identity_suite
>>> print(format_identity_suite(evaluate_identity_suite(load_model())))     # doctest: +SKIP
"""

from __future__ import annotations

from classifier.fairness.gate import FPR_TOLERANCE, MAX_SUITE_FPR, MAX_TERM_FPR, fairness_problems
from classifier.fairness.metrics import (
    PROBE_NOTE,
    PROBE_TITLE,
    auc,
    evaluate_identity_suite,
    format_identity_suite,
    score_identity_suite,
    summarise_identity_suite,
)
from classifier.fairness.suite import (
    IdentitySuite,
    IdentityTerm,
    SuiteSentence,
    Template,
    load_identity_probe,
    load_identity_suite,
)

__all__ = [
    "FPR_TOLERANCE", "MAX_SUITE_FPR", "MAX_TERM_FPR", "PROBE_NOTE", "PROBE_TITLE", "IdentitySuite", "IdentityTerm",
    "SuiteSentence", "Template",
    "auc", "evaluate_identity_suite", "fairness_problems", "format_identity_suite", "load_identity_probe",
    "load_identity_suite", "score_identity_suite", "summarise_identity_suite",
]
