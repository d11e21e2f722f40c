"""Who a model wrongly flags when a neutral sentence names an Israeli or a Palestinian.

The identity-term suite and the held-out probe leave out the two nationalities of the Israel/Palestine conflict
(with them, the default model's hostile recall on the suite would fall under its target: docs/model_choices.md).
A corpus that names them almost only in reports about the conflict teaches a model to read the name alone as the
conflict ("An Israeli man has opened a bakery on Mill Lane." got ``israel_palestine``). These figures, recorded by
``tension train`` in metadata.json and shown in every model card, say how often a model does: the suite's and the
probe's neutral and positive templates rendered with each name, which the codebook gives no label.

>>> from classifier import load_model                                                     # doctest: +SKIP
>>> print(format_conflict_nationalities(evaluate_conflict_nationalities(load_model())))     # doctest: +SKIP
"""

from __future__ import annotations

from functools import lru_cache

from classifier.fairness.suite import IdentityTerm, load_identity_probe, load_identity_suite, render

#: The two nationalities, as the suite's terms are written (a hostile sentence about someone for their national
#: origin is race hate by the codebook; conflict-linked abuse is ``israel_palestine``).
CONFLICT_NATIONALITIES = (
    IdentityTerm("Israeli", "nationality", "Israeli", "Israelis", "an Israeli man", "an Israeli woman", "race_hate"),
    IdentityTerm("Palestinian", "nationality", "Palestinian", "Palestinians", "a Palestinian man",
                 "a Palestinian woman", "race_hate"),
)


@lru_cache(maxsize=1)
def conflict_nationality_sentences() -> dict[str, tuple[str, ...]]:
    """Per nationality, the neutral and positive templates of the identity suite and the probe rendered with it.

    >>> {term: len(texts) for term, texts in conflict_nationality_sentences().items()}
    {'Israeli': 69, 'Palestinian': 69}
    """
    templates = [t.text for suite in (load_identity_suite(), load_identity_probe()) for t in suite.templates
                 if t.kind != "hostile"]
    return {term.term: tuple(render(text, term) for text in templates) for term in CONFLICT_NATIONALITIES}


def evaluate_conflict_nationalities(model, rendered: dict | None = None) -> dict:
    """Predict every sentence of ``rendered`` (term: its sentences; default :func:`conflict_nationality_sentences`)
    in one batch and count, per term: ``n`` sentences, ``labelled`` (given any label), ``rate`` (``labelled / n``),
    ``review`` (sent to review without a label) and ``labels`` (how many got each label). JSON-serialisable."""
    rendered = conflict_nationality_sentences() if rendered is None else rendered
    texts = [text for term_texts in rendered.values() for text in term_texts]
    predictions = model.predict(texts, explain=False)
    result, start = {}, 0
    for term, term_texts in rendered.items():
        chunk = predictions[start : start + len(term_texts)]
        start += len(term_texts)
        labels: dict[str, int] = {}
        for prediction in chunk:
            for label in prediction.labels:
                labels[label] = labels.get(label, 0) + 1
        labelled = sum(bool(p.labels) for p in chunk)
        result[term] = {"n": len(chunk), "labelled": labelled, "rate": labelled / len(chunk),
                        "review": sum(p.needs_review and not p.labels for p in chunk), "labels": labels}
    return result


def format_conflict_nationalities(result: dict) -> str:
    """One line for ``tension train``: how many neutral and positive sentences naming each nationality got a label.

    >>> line = format_conflict_nationalities({"Israeli": {"n": 69, "labelled": 1, "rate": 1 / 69, "review": 0,
    ...                                                   "labels": {"israel_palestine": 1}}})
    >>> line.split(": ", 1)[1]
    'Israeli labelled 1 of 69 (1.4%: israel_palestine 1)'
    """
    parts = [f"{term} labelled {figures['labelled']} of {figures['n']} ({labelled_share(figures)})"
             for term, figures in result.items()]
    return ("neutral and positive sentences naming an Israeli or a Palestinian (not in the suite): "
            + "; ".join(parts))


def labelled_share(figures: dict) -> str:
    """One term's share labelled and the labels given: ``'1.4%: israel_palestine 1'``, or ``'0.0%'``."""
    given = ", ".join(f"{label} {count}" for label, count in sorted(figures["labels"].items()))
    return f"{figures['rate']:.1%}" + (f": {given}" if given else "")
