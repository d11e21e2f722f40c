"""Mark the words of a report behind each label, so the page can highlight them.

The model says where each label's reasons were written (`Prediction.reason_spans`: the words as typed,
"Asylum seekers", "HOTELS", a masked slur such as "p*ki" behind the reason "racial slur"); this module turns
those character spans into non-overlapping highlights that name every label of the words they cover, and
renders them as escaped HTML.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from classifier.model.label_names import display_name

_CLASS_UNSAFE = re.compile(r"[^a-z0-9_-]+")


@dataclass(frozen=True)
class Span:
    """Characters ``start:end`` of the report are behind ``labels`` (in the model's label order)."""

    start: int
    end: int
    labels: tuple[str, ...]


def label_class(label: str) -> str:
    """The CSS class for a label: ``label-`` plus the name made safe for a class attribute."""
    return "label-" + (_CLASS_UNSAFE.sub("-", label.lower()).strip("-") or "x")


def label_spans(text: str, reason_spans: Mapping[str, Sequence[tuple[int, int]]],
                label_order: Sequence[str] = ()) -> list[Span]:
    """Highlights for `text`: each stretch covered by one or more labels' reason spans, with those labels.

    Parameters
    ----------
    text
        The report as typed.
    reason_spans
        Label → ``(start, end)`` character spans of its reasons, as in `Prediction.reason_spans` (they may
        overlap: "asylum seekers" and "seekers").
    label_order
        Order of the labels in each span (default: the order of `reason_spans`).

    Returns
    -------
    list of Span, in text order, not overlapping; neighbouring stretches with the same labels separated only by
    spaces are merged into one span.

    >>> text = "asylum seekers at the hotel"
    >>> [(text[s.start:s.end], s.labels) for s in label_spans(text, {"a": [(0, 14), (22, 27)], "b": [(7, 14)]})]
    [('asylum', ('a',)), ('seekers', ('a', 'b')), ('hotel', ('a',))]
    """
    order: dict[str, int] = {}
    for label in [*label_order, *reason_spans]:
        order.setdefault(label, len(order))
    changes: dict[int, Counter] = defaultdict(Counter)  # position → label → spans starting there less those ending
    for label, found in reason_spans.items():
        for low, high in found:
            low, high = max(0, low), min(len(text), high)
            if low < high:
                changes[low][label] += 1
                changes[high][label] -= 1
    open_spans: Counter = Counter()
    cuts = sorted(changes)
    spans: list[Span] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        open_spans.update(changes[start])
        labels = tuple(sorted((label for label, count in open_spans.items() if count > 0), key=order.__getitem__))
        piece = text[start:end]
        if not labels or not piece.strip():
            continue
        # Trim the stretch to its visible characters, so that a mark never starts or ends with a space.
        start, end = start + len(piece) - len(piece.lstrip()), end - len(piece) + len(piece.rstrip())
        previous = spans[-1] if spans else None
        if previous and previous.labels == labels and not text[previous.end : start].strip():
            spans[-1] = Span(previous.start, end, labels)
        else:
            spans.append(Span(start, end, labels))
    return spans


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
