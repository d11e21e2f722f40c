"""Find the words of a report behind each label, so the page can highlight them.

The model explains a label with *lemmas* of the preprocessed text ("asylum seeker", "hotel", "threaten");
the page shows the report as it was typed ("Asylum seekers", "hotels", "threatened"). Each surface word is
run through the model's own preprocessing step, so the words and the reasons are compared in the same form
(the lookup lemmatiser even turns "more" into "much"). A multi-word reason matches consecutive kept words.

A reason that names a placeholder ("racial slur", "phone number") matches the stretch of text the model
replaced by it, as written: "p*ki", "p a k i" or a phone number, found by the model's own
``placeholder_spans``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from classifier.model.explain import term_readings
from classifier.model.label_names import display_name

#: Words as spaCy's English tokenizer roughly sees them: runs of letters/digits, with inner apostrophes.
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_CLASS_UNSAFE = re.compile(r"[^a-z0-9_-]+")

Lemmatiser = Callable[[Sequence[str]], Sequence[str]]
#: Maps a text to ``(start, end, placeholder token)`` for each stretch the model masks.
PlaceholderFinder = Callable[[str], Sequence[tuple[int, int, str]]]


@dataclass(frozen=True)
class Span:
    """Characters ``start:end`` of the report are behind ``labels`` (in the model's label order)."""

    start: int
    end: int
    labels: tuple[str, ...]


def label_class(label: str) -> str:
    """The CSS class for a label: ``label-`` plus the name made safe for a class attribute."""
    return "label-" + (_CLASS_UNSAFE.sub("-", label.lower()).strip("-") or "x")


def term_spans(
    text: str, reasons: Mapping[str, Sequence[str]], lemmatise: Lemmatiser, label_order: Sequence[str] = (),
    placeholder_spans: PlaceholderFinder | None = None,
) -> list[Span]:
    """The spans of `text` whose words match the reason terms of each label.

    Parameters
    ----------
    text
        The report as typed.
    reasons
        Label → terms (space-separated lemmas), as in `Prediction.reasons`.
    lemmatise
        Maps a list of surface words to their preprocessed forms (one string of space-separated lemmas
        per word; "" for a word the preprocessing drops), e.g. the model's ``preprocess`` step's
        ``transform``.
    label_order
        Order of the labels in each span (default: the order of `reasons`).
    placeholder_spans
        Finds the stretches of `text` the model replaces by a placeholder (a masked slur, a phone number),
        e.g. the preprocessing step's ``placeholder_spans``; each is one word whose form is the placeholder,
        so a reason naming it ("racial slur") highlights it as written. None: words only.

    Returns
    -------
    list of Span, in text order, not overlapping; neighbouring words with the same labels separated only by
    spaces are merged into one span.
    """
    terms = [(label, list(reading)) for label, label_terms in reasons.items() for term in label_terms
             for reading in term_readings(term) if reading]
    if not terms:
        return []
    words = _words(text, placeholder_spans(text) if placeholder_spans is not None else ())
    unique = list(dict.fromkeys(word for _, _, word, placeholder in words if placeholder is None))
    forms = dict(zip(unique, lemmatise(unique), strict=True)) if unique else {}
    # One entry per lemma, remembering the word it came from ("don't" gives "do" and "n't").
    lemmas: list[str] = []
    owners: list[int] = []
    for index, (_, _, word, placeholder) in enumerate(words):
        for lemma in (placeholder,) if placeholder is not None else forms[word].split():
            lemmas.append(lemma)
            owners.append(index)
    starts: dict[str, list[int]] = defaultdict(list)
    for position, lemma in enumerate(lemmas):
        starts[lemma].append(position)

    word_labels: dict[int, set[str]] = defaultdict(set)
    for label, parts in terms:
        for position in starts.get(parts[0], ()):
            if lemmas[position : position + len(parts)] == parts:
                for owner in owners[position : position + len(parts)]:
                    word_labels[owner].add(label)

    order = {label: rank for rank, label in enumerate([*label_order, *reasons])}
    spans: list[Span] = []
    for index in sorted(word_labels):
        start, end, _, _ = words[index]
        labels = tuple(sorted(word_labels[index], key=order.__getitem__))
        previous = spans[-1] if spans else None
        if previous and previous.labels == labels and not text[previous.end : start].strip():
            spans[-1] = Span(previous.start, end, labels)
        else:
            spans.append(Span(start, end, labels))
    return spans


def _words(text: str, placeholders) -> list[tuple[int, int, str, str | None]]:
    """``(start, end, word, placeholder)`` in text order: each placeholder stretch as one word (with its
    token), and the words outside them (placeholder None)."""
    pending = sorted(placeholders)
    words: list[tuple[int, int, str, str | None]] = []
    position = 0
    for match in _WORD.finditer(text):
        while position < len(pending) and pending[position][1] <= match.start():
            start, end, token = pending[position]
            words.append((start, end, text[start:end], token))
            position += 1
        if position < len(pending) and match.end() > pending[position][0]:
            continue  # inside a placeholder stretch
        words.append((match.start(), match.end(), match.group(), None))
    words += [(start, end, text[start:end], token) for start, end, token in pending[position:]]
    return words


def highlight(text: str, spans: Sequence[Span], classes: Mapping[str, str] | None = None,
              markers: Mapping[str, str] | None = None) -> Markup:
    """`text` as HTML with each span wrapped in ``<mark class="label-…">``; everything else escaped.

    A highlight tells its labels in text as well as by colour: the ``title`` and a visually hidden
    "(Race hate)" after the words name every label of the span (`display_name`), and each label's marker
    (`markers`: label → a short symbol the page's legend explains) follows the words, hidden from screen
    readers, which read the name instead. `classes` maps a label to extra CSS classes (e.g. its colour); the
    first label of a span decides the colour.

    >>> html = highlight("<b>hotel</b>", [Span(3, 8, ("immigration",))], markers={"immigration": "3"})
    >>> print(str(html).replace("><", ">\\n<"))
    &lt;b&gt;<mark class="label-immigration" title="Immigration">hotel<span class="tag" aria-hidden="true">3</span>
    <span class="visually-hidden"> (Immigration)</span>
    </mark>&lt;/b&gt;
    """
    classes = classes or {}
    markers = markers or {}
    parts: list[str] = []
    done = 0
    for span in spans:
        parts.append(escape(text[done : span.start]))
        css = [label_class(label) for label in span.labels]
        extra = classes.get(span.labels[0], "")
        names = ", ".join(display_name(label) for label in span.labels)
        tags = Markup("").join(Markup('<span class="tag" aria-hidden="true">{}</span>').format(markers[label])
                               for label in span.labels if label in markers)
        parts.append(
            Markup('<mark class="{}" title="{}">{}{}<span class="visually-hidden"> ({})</span></mark>').format(
                " ".join([*css, *([extra] if extra else [])]), names, text[span.start : span.end], tags, names
            )
        )
        done = span.end
    parts.append(escape(text[done:]))
    return Markup("").join(parts)
