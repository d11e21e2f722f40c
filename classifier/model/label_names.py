"""Labels as people read them: "Race hate" for ``race_hate``, and why a report needs review in plain words.

The machine names (``race_hate``) stay what files, the API and the model use; these are only for what a
person reads: the web page, and a file's review reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from difflib import get_close_matches

#: The bundled labels' names; any other label (a team's own) is named by :func:`display_name`'s rule.
DISPLAY_NAMES = {
    "race_hate": "Race hate",
    "religious_hate": "Religious hate",
    "immigration": "Immigration",
    "israel_palestine": "Israel/Palestine",
    "misinformation": "Misinformation",
}
#: The labels of the bundled corpus and the default model (``docs/codebook.md``); any other is a team's own.
BUNDLED_LABELS = frozenset(DISPLAY_NAMES)


def display_name(label: str) -> str:
    """The name a person reads for `label`: the bundled labels' own, else words with a capital first letter.

    >>> display_name("israel_palestine")
    'Israel/Palestine'
    >>> display_name("foo_bar")
    'Foo bar'
    """
    if label in DISPLAY_NAMES:
        return DISPLAY_NAMES[label]
    words = " ".join(label.replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:] if words else label


def likely_typo(label: str, others: Iterable[str]) -> str | None:
    """The label of `others` that `label` most looks like a misspelling of, or None.

    >>> likely_typo("race_hat", ["race_hate", "immigration"])
    'race_hate'
    >>> likely_typo("housing", ["race_hate", "immigration"]) is None
    True
    >>> likely_typo("race_hate", ["religious_hate"]) is None  # two real labels that share letters
    True
    """
    candidates = {str(other).casefold(): other for other in others if other != label}
    match = get_close_matches(str(label).casefold(), list(candidates), n=1, cutoff=TYPO_CUTOFF)
    return candidates[match[0]] if match else None


#: How alike (difflib's ratio, case ignored) a label must be to another to be suggested as its misspelling:
#: "race_hat" and "race_hate" 0.94, "misinfo" and "misinformation" 0.67; "race_hate" and "religious_hate" 0.61
#: are two real labels.
TYPO_CUTOFF = 0.65
#: Two labels of a file this alike (a letter or two apart: "immigation", "immigration" 0.95) are reported by
#: `tension validate` whatever their counts.
SIMILAR_LABELS_RATIO = 0.85


def similar_label_pairs(labels: Iterable[str]) -> list[tuple[str, str]]:
    """The pairs of `labels` that are a letter or two apart (:data:`SIMILAR_LABELS_RATIO`, case ignored), each
    pair sorted, in order."""
    from difflib import SequenceMatcher

    names = sorted(set(labels))
    return [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
            if SequenceMatcher(None, a.casefold(), b.casefold()).ratio() >= SIMILAR_LABELS_RATIO]


#: Why a report whose words the model mostly does not know needs review (`Prediction.unfamiliar`).
UNFAMILIAR_REASON = ("Few of its words are known to the model: it may be in another language, hold only emoji or "
                     "symbols, use words the training reports never use, or only point to an attachment or a link "
                     "the model cannot open, so its scores mean little")


def review_reason(review_labels: Iterable[str], scores: Mapping[str, float], thresholds: Mapping[str, float],
                  unfamiliar: bool = False, reasons: Mapping[str, Sequence[str]] | None = None) -> str:
    """Why a report needs review, in plain sentences ("" when it does not).

    Parameters
    ----------
    review_labels
        The labels whose score is within the review band of their threshold (`Prediction.review_labels`).
    scores, thresholds
        Label → score, and label → threshold.
    unfamiliar
        Few of the report's words are known to the model (`Prediction.unfamiliar`).
    reasons
        Label → the words that raised its score (`Prediction.reasons`): named for a label that was not given, so
        a reviewer sees what nearly earned it.

    >>> review_reason(["israel_palestine"], {"israel_palestine": 0.41}, {"israel_palestine": 0.54})
    'Israel/Palestine is 0.41, close to its threshold 0.54 (not given).'
    >>> review_reason(["immigration"], {"immigration": 0.5}, {"immigration": 0.56}, reasons={"immigration": ["hotel"]})
    'Immigration is 0.50, close to its threshold 0.56 (not given; its words: hotel).'
    >>> review_reason([], {}, {}, unfamiliar=True)[:44]
    'Few of its words are known to the model: it '
    """
    parts = [UNFAMILIAR_REASON] if unfamiliar else []
    for label in review_labels:
        score, threshold = scores[label], thresholds[label]
        if math.isnan(score):
            continue
        given = "given" if score >= threshold else "not given"
        if score < threshold and (words := (reasons or {}).get(label)):
            given += f"; its words: {', '.join(words)}"
        parts.append(f"{display_name(label)} is {score:.2f}, close to its threshold {threshold:.2f} ({given})")
    return "; ".join(parts) + "." if parts else ""
