"""The fairness gate of ``tension promote``: limits on false alarms over the identity-term suite.

A model that labels "The Somali family at number 12 need a parking permit" as hate would send triage staff
after the people the service exists to protect. The gate refuses to make such a model the default: its
false-positive rate on the suite's neutral and positive sentences must stay within absolute limits, overall
and for every term, and must not be worse than the current default's by more than a small tolerance (the
tolerance absorbs the noise of retraining: one sentence in the ~1,800 is 0.06 points).
"""

from __future__ import annotations

from classifier.errors import ConfigError

#: Highest false-positive rate allowed over all the suite's neutral and positive sentences.
MAX_SUITE_FPR = 0.03
#: Highest false-positive rate allowed on the neutral and positive sentences of any one identity term.
MAX_TERM_FPR = 0.05
#: How much higher than the current default's the overall false-positive rate may be (0.005 = half a point).
FPR_TOLERANCE = 0.005
#: How many offending terms a refusal names.
N_NAMED_TERMS = 5


def fairness_problems(candidate: dict, current: dict | None = None, *, max_fpr: float | None = None,
                      max_term_fpr: float | None = None, tolerance: float | None = None,
                      current_name: str = "the default") -> list[str]:
    """What stops ``candidate`` passing the gate, one sentence per failed check; empty when it passes.

    Parameters
    ----------
    candidate, current : dict
        Identity-suite results (:func:`~classifier.fairness.evaluate_identity_suite` or its summary) of the
        model to promote and of the current default (``None``: no comparison).
    max_fpr, max_term_fpr, tolerance : float, optional
        The limits; default :data:`MAX_SUITE_FPR`, :data:`MAX_TERM_FPR` and :data:`FPR_TOLERANCE` (read at
        call time, so a test or a deployment can change the module's values).
    current_name : str
        How to name the current default in the messages.

    Raises
    ------
    ConfigError
        A limit outside [0, 1].
    """
    limits = gate_limits(max_fpr, max_term_fpr, tolerance)
    max_fpr, max_term_fpr, tolerance = limits["max_fpr"], limits["max_term_fpr"], limits["fpr_tolerance"]
    problems = []
    overall = candidate["overall"]
    fpr = overall["false_positive_rate"]
    if fpr is not None and fpr > max_fpr:
        problems.append(
            f"it labels {fpr:.1%} of the suite's {overall['n_non_hostile']} neutral and positive sentences "
            f"({overall['false_positives']} false positives), above the limit of {max_fpr:.1%}"
        )
    rates = term_rates(candidate)
    over = sorted(((term, rate) for term, rate in rates.items() if rate is not None and rate > max_term_fpr),
                  key=lambda item: -item[1])
    if over:
        named = ", ".join(f"{term} {rate:.1%}" for term, rate in over[:N_NAMED_TERMS])
        more = f" and {len(over) - N_NAMED_TERMS} more" if len(over) > N_NAMED_TERMS else ""
        problems.append(
            f"{len(over)} identity term(s) have a false-positive rate above the per-term limit of "
            f"{max_term_fpr:.1%}: {named}{more}"
        )
    if current is not None and fpr is not None:
        before = current["overall"]["false_positive_rate"]
        if before is not None and fpr > before + tolerance:
            problems.append(
                f"its false-positive rate on the suite, {fpr:.1%}, is higher than {current_name}'s {before:.1%} "
                f"by {(fpr - before) * 100:.1f} points (allowed: {tolerance * 100:.1f})"
            )
    return problems


def conflict_problems(conflict: dict, *, max_term_fpr: float | None = None) -> list[str]:
    """What stops a model passing the gate on the neutral and positive sentences naming an Israeli or a Palestinian
    (:mod:`classifier.fairness.conflict`, outside the suite): each name is held to the per-term limit.

    >>> conflict_problems({"Israeli": {"n": 69, "labelled": 50, "rate": 50 / 69}, "Palestinian": {"n": 69,
    ...                    "labelled": 0, "rate": 0.0}})[0][:60]
    'it labels 72.5% of the 69 neutral and positive sentences nam'
    """
    limit = gate_limits(max_term_fpr=max_term_fpr)["max_term_fpr"]
    return [f"it labels {f['rate']:.1%} of the {f['n']} neutral and positive sentences naming "
            f"{'an' if term[:1] in 'AEIOU' else 'a'} {term} (outside the suite), above the per-term limit of "
            f"{limit:.1%}" for term, f in conflict.items() if f["rate"] > limit]


def gate_limits(max_fpr: float | None = None, max_term_fpr: float | None = None,
                tolerance: float | None = None) -> dict[str, float]:
    """The limits in force: each given value, else the module's constant; checked to be fractions."""
    return {
        "max_fpr": _limit("max_fpr", MAX_SUITE_FPR if max_fpr is None else max_fpr),
        "max_term_fpr": _limit("max_term_fpr", MAX_TERM_FPR if max_term_fpr is None else max_term_fpr),
        "fpr_tolerance": _limit("fpr_tolerance", FPR_TOLERANCE if tolerance is None else tolerance),
    }


def term_rates(result: dict) -> dict[str, float | None]:
    """Each term's false-positive rate, from a full result or its summary."""
    if "term_false_positive_rate" in result:
        return dict(result["term_false_positive_rate"])
    return {term: m["false_positive_rate"] for term, m in result["terms"].items()}


def _limit(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ConfigError(f"'{name}' must be a fraction between 0 and 1 (e.g. 0.03 for 3%). Got {value!r}.")
    return float(value)
