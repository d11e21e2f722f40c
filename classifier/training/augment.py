"""Counterfactual augmentation: copies of training reports with one identity term swapped for another.

In the corpus, words like "muslim" or "jewish" occur mostly in hate reports, so a linear model learns the word
itself as evidence of hate and flags neutral mentions of people by faith or ethnicity. Swapping identity terms
gives every term the same neutral contexts (Dixon et al., 2018; Zmigrod et al., 2019):

- in a report with **no label**, any identity term may become any other of the same grammatical form (a
  neutral mention of a Sikh family is as neutral about a Polish one);
- in a **labelled** report, a term is swapped only within its group (anti-Muslim abuse stays religious hate
  when it names Jews instead; swapping it for a nationality would change the right label). Ethnicities and
  nationalities form one group, since hostility for national origin is race hate as well;
- a report with a label **outside the bundled five** (:data:`SWAP_SAFE_LABELS`) is not copied at all. The
  bundled labels hold for any term of a group (``religious_hate`` is hostility to any faith), so a swap keeps
  them true; a team's own label may name one group (``antisemitism``), and a copy about another faith would
  teach it anti-Muslim abuse. Dropping that label from the copy would be no better: the copy would then teach
  that anti-Muslim abuse needs no label, or lack the team's ``islamophobia``. Which of a team's labels are about
  one group cannot be told from their names, so none is trusted across a swap unless the team says so: the labels
  it names with ``--rescore`` (hate against any group, as ``race_hate`` renamed ``racism``) are copied like the
  bundled ones (``also_safe``).

Israelis and Palestinians are in no swap group: a report that names them is about the conflict more often than not,
and in the corpus the name occurs almost only in ``israel_palestine`` reports, so a model learnt the name alone as
the conflict. A share of the copies of neutral and race-hate reports takes one of the two names instead of another
term (:func:`conflict_nationality_copies`); never swapped out of a report.

The copies are added to the training data only; evaluation data is never augmented.
"""

from __future__ import annotations

import functools
import random
import re
from collections import Counter

from classifier.model.identity_terms import SWAP_TERMS
from classifier.model.label_names import BUNDLED_LABELS

#: Groups whose terms a labelled report may swap between (the same label fits both).
SWAP_GROUPS = {"religion": "religion", "ethnicity": "race", "nationality": "race",
               "migration_status": "migration_status"}

_GROUP_OF = {word: (SWAP_GROUPS[group], form) for group, pairs in SWAP_TERMS.items() for pair in pairs
             for form, word in enumerate(pair) if word}
_FORMS: dict[tuple[str, int], list[str]] = {}
for _group, _pairs in SWAP_TERMS.items():
    for _form in (0, 1):
        _FORMS.setdefault((SWAP_GROUPS[_group], _form), []).extend(pair[_form] for pair in _pairs if pair[_form])
#: Labels that a copy keeps across a swap within the group: the bundled ones, each defined for a whole group of
#: terms (or a topic), never for one term.
SWAP_SAFE_LABELS = BUNDLED_LABELS
#: The nationalities of the Israel/Palestine conflict (adjective, plural), swapped only into neutral reports
#: (:func:`conflict_nationality_copies`), and the share of the neutral reports copied with one of them.
CONFLICT_NATIONALITIES = (("israeli", "israelis"), ("palestinian", "palestinians"))
CONFLICT_NATIONALITY_SHARE = 0.25
#: What makes a report's context one where naming either could make it about the conflict.
_CONFLICT_CONTEXT = re.compile(
    r"\b(?:israel|israelis?|palestine|palestinians?|zionis[mt]s?|gaza|hamas|idf|intifada|ceasefire|jews?|jewish|"
    r"antisemit\w*|synagogues?|flags?|banners?|stickers?|protests?|protesters?|march(?:es|ed)?|demos?|"
    r"demonstrations?|vigils?|rall(?:y|ies)|hotels?|war)\b", re.IGNORECASE)
_ALL_FORMS = {form: [w for (_, f), words in _FORMS.items() if f == form for w in words] for form in (0, 1)}
_TERM = re.compile(r"\b(" + "|".join(sorted((re.escape(w).replace("\\ ", r"\s+") for w in _GROUP_OF), key=len,
                                          reverse=True)) + r")\b", re.IGNORECASE)


def swap_identity_terms(text: str, labelled: bool, rng: random.Random) -> str | None:
    """``text`` with each identity term swapped for one other term (the same swap throughout), or ``None``
    when it mentions none.

    A labelled report's terms are swapped within their group; a report with no label may take any term of
    the same form. Capitalisation follows the original word.

    Examples
    --------
    >>> swap_identity_terms("Muslims opened a bakery", labelled=True, rng=random.Random(0)) != None
    True
    >>> swap_identity_terms("bins not collected", labelled=False, rng=random.Random(0)) is None
    True
    """
    found = {_key(match) for match in _TERM.findall(text)}
    if not found:
        return None
    mapping = {}
    for word in sorted(found):
        group, form = _GROUP_OF[word]
        pool = _FORMS[(group, form)] if labelled else _ALL_FORMS[form]
        choices = [w for w in pool if w not in found]
        if choices:
            mapping[word] = rng.choice(choices)
    if not mapping:
        return None

    def replace(match: re.Match) -> str:
        word = match.group(0)
        new = mapping.get(_key(word))
        if new is None:
            return word
        if word.isupper() and len(word) > 1:
            return new.upper()
        return new.capitalize() if word[0].isupper() else new

    return _TERM.sub(replace, text)


def _key(word: str) -> str:
    return " ".join(word.lower().split())


def counterfactual_copies(texts, labels, *, copies=1, seed=0, labelled_too=True, also_safe=()):
    """Indices of the reports copied and their counterfactual texts, ``copies`` per report that has a term.

    Returns ``(source_index, text)`` pairs; labels of a copy are those of its source. A report with a label
    outside :data:`SWAP_SAFE_LABELS` and ``also_safe`` is never copied (:func:`not_copied`). The first copy of a
    report chosen by :func:`conflict_nationality_copies` names an Israeli or a Palestinian instead of another
    term: instead, not as well, so that the share of neutral reports naming a group stays what it was (as extra
    copies, they lowered the suite's hostile recall by 0.5 to 2.6 points over three seeds).
    """
    rng = random.Random(seed)
    conflict = dict(conflict_nationality_copies(texts, labels, seed=seed)) if copies else {}
    out = []
    for index, (text, row_labels) in enumerate(zip(texts, labels, strict=True)):
        if row_labels and (not labelled_too or not swap_keeps(row_labels, also_safe)):
            continue
        seen = {text}
        for copy in range(copies):
            swapped = swap_identity_terms(text, bool(row_labels), rng)  # drawn always: other copies stay the same
            if copy == 0 and index in conflict:
                swapped = conflict[index]
            if swapped is not None and swapped not in seen:
                seen.add(swapped)
                out.append((index, swapped))
    return out


def conflict_nationality_copies(texts, labels, *, seed=0, share=CONFLICT_NATIONALITY_SHARE):
    """Copies of a ``share`` of the reports with no label, or only ``race_hate`` against ethnicities or
    nationalities, that name an identity term, with every term swapped for "Israeli" or "Palestinian" (their
    plurals for a plural), as ``(source_index, text)`` pairs.

    In the corpus these two names occur almost only in ``israel_palestine`` reports, so a model reads the name
    alone as the conflict ("An Israeli man has opened a bakery" got the label). They are never swapped *out* of
    a report (a report that names them is about the conflict more often than not), only into neutral ones and
    into race hate (hostility for national origin is race hate by the codebook), so that hostility to them is
    still found; and not into a report that speaks of flags, protests, hotels, Jews or the conflict, where the
    swap could make the report one about the conflict. A random generator of its own keeps the other copies as
    they were.

    >>> conflict_nationality_copies(["Two Polish lads fixed the fence.", "Polish flag torn down."], [(), ()],
    ...                             share=1.0)
    [(0, 'Two Palestinian lads fixed the fence.')]
    """
    rng = random.Random(f"conflict nationalities {seed}")
    out = []
    for index, (text, row_labels) in enumerate(zip(texts, labels, strict=True)):
        if (tuple(row_labels) not in ((), ("race_hate",)) or _CONFLICT_CONTEXT.search(text) or not _TERM.search(text)
                or rng.random() >= share):
            continue
        if row_labels and any(_GROUP_OF[_key(word)][0] != "race" for word in _TERM.findall(text)):
            continue  # race hate that names a faith or a migration status: the swap could change its label
        nationality = CONFLICT_NATIONALITIES[rng.randrange(len(CONFLICT_NATIONALITIES))]
        out.append((index, _TERM.sub(functools.partial(_as_nationality, nationality), text)))
    return out


def _as_nationality(nationality: tuple[str, str], match: re.Match) -> str:
    """The identity term of ``match`` as ``nationality`` in the same form and capitalisation."""
    word = match.group(0)
    new = nationality[_GROUP_OF[_key(word)][1]]
    if word.isupper() and len(word) > 1:
        return new.upper()
    return new.capitalize() if word[0].isupper() else new


def swap_keeps(labels, also_safe=()) -> bool:
    """Whether every one of ``labels`` stays true when an identity term is swapped within its group: each is a
    bundled label or one of ``also_safe``.

    >>> swap_keeps(("religious_hate",)), swap_keeps(("religious_hate", "antisemitism"))
    (True, False)
    >>> swap_keeps(("racism",), also_safe=("racism",))
    True
    """
    return set(labels) <= SWAP_SAFE_LABELS | set(also_safe)


def not_copied(texts, labels, also_safe=()) -> dict:
    """The reports that name an identity term but get no copy, for a label of the team's own: ``reports``, how
    many, and ``labels``, how many of them carry each such label."""
    left_out = [row_labels for text, row_labels in zip(texts, labels, strict=True)
                if not swap_keeps(row_labels, also_safe) and _TERM.search(text)]
    counts = Counter(label for row_labels in left_out
                     for label in set(row_labels) - SWAP_SAFE_LABELS - set(also_safe))
    return {"reports": len(left_out), "labels": dict(sorted(counts.items()))}
