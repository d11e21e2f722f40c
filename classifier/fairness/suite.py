"""The identity-term test suite: neutral, positive and hostile sentences about 45 identity terms.

The terms and templates live in ``identity_suite.json`` beside this module (package data, read with
:mod:`importlib.resources`). Every template is rendered with every term, in the way of the bias test sets of
Dixon et al. (2018) and CheckList (Ribeiro et al. 2020): the sentences differ only in the identity term, so a
difference in how the model treats them is a difference in how it treats the term.

What a hostile sentence about a term deserves follows ``docs/codebook.md``:

- religion → ``religious_hate``;
- ethnicity → ``race_hate`` (the label covers race, colour and ethnicity, Gypsy, Roma and Traveller people
  included);
- nationality → ``race_hate`` (national origin is part of race in the codebook's own examples, "go back to
  Pakistan"; the codebook's "a Polish shop burgled" exclusion is about *mentions*, which the neutral sentences
  test);
- migration status (refugee, asylum seeker, migrant worker, immigrant, international student) →
  ``immigration`` only: the codebook excludes "abuse that is about ... migration status only" from
  ``race_hate`` and its borderline case R0107 (abuse of a refugee with no racial element) gets ``immigration``
  alone. The hostile templates carry no racial element, so ``race_hate`` is not expected for these terms.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from classifier.errors import ConfigError

SUITE_FILE = "identity_suite.json"
#: Held-out templates over the suite's terms (see :func:`load_identity_probe`).
PROBE_FILE = "identity_probe.json"
GROUPS = ("religion", "ethnicity", "nationality", "migration_status")
KINDS = ("neutral", "positive", "hostile")
NON_HOSTILE = ("neutral", "positive")
LENGTHS = ("short", "long")
#: Word counts of the two lengths: short sentences have fewer than 12 words, long ones 30 to 60.
SHORT_MAX_WORDS = 11
LONG_WORDS = (30, 60)
SLOTS = ("adj", "plural", "man", "woman")
#: The term name of the baseline sentences (templates filled with no identity term).
BASELINE_TERM = "(no identity term)"

_SLOT = re.compile(r"\{([A-Za-z]+)\}")


@dataclass(frozen=True)
class IdentityTerm:
    """One identity term in its grammatical forms, its group, and the label hostility against it deserves."""

    term: str
    group: str
    adj: str  # "Muslim", as in "the Muslim family"
    plural: str  # "Muslims"
    man: str  # "a Muslim man"
    woman: str  # "a Muslim woman"
    hostile_label: str


@dataclass(frozen=True)
class Template:
    """A sentence with slots for the term; ``kind`` is neutral, positive or hostile."""

    id: str
    kind: str
    length: str
    context: str
    text: str


@dataclass(frozen=True)
class SuiteSentence:
    """One template rendered with one term. ``id`` is ``"<template id>/<term>"``."""

    id: str
    text: str
    term: str
    group: str
    kind: str
    length: str
    context: str
    template: str
    expected_label: str | None  # the term's hostile label for hostile sentences, else None

    @property
    def hostile(self) -> bool:
        return self.kind == "hostile"


@dataclass(frozen=True)
class IdentitySuite:
    """The terms, the templates and every rendered sentence (templates × terms, template-major order).

    ``baseline`` holds each neutral and positive template filled with no identity term ("local people",
    "a man"): not part of the suite's figures, it shows which templates the model flags whatever the term.
    """

    name: str
    version: int
    terms: tuple[IdentityTerm, ...]
    templates: tuple[Template, ...]
    sentences: tuple[SuiteSentence, ...]
    baseline: tuple[SuiteSentence, ...] = ()

    def __len__(self) -> int:
        return len(self.sentences)

    @property
    def texts(self) -> list[str]:
        return [s.text for s in self.sentences]


@lru_cache(maxsize=1)
def load_identity_suite() -> IdentitySuite:
    """The suite shipped with the package, rendered (cached: it never changes within a process).

    Raises
    ------
    ConfigError
        When the package's suite file is malformed (a template with an unknown slot, a term in an unknown
        group...): the installation is broken.

    Examples
    --------
    >>> suite = load_identity_suite()
    >>> suite.sentences[0].id, suite.sentences[0].text
    ('NS01/Muslim', 'The Muslim family at number 12 need a parking permit.')
    """
    return build_suite(_packaged_json(SUITE_FILE))


@lru_cache(maxsize=1)
def load_identity_probe() -> IdentitySuite:
    """The held-out identity probe shipped with the package: more templates over the suite's terms and baseline.

    The suite steered the corpus (generations 5-7 were written to close gaps it showed, the eighteenth for the
    one template it still missed), so its figures are no longer an independent measure; the probe's templates
    were written after the default model's settings were chosen and never shown to the corpus's writers (the
    ninth and tenth generations were aimed at gaps it found: short neutral reports about one described person,
    and "man" and "woman" read as signs of hate; so were the second stage's copies of no-label reports with a
    person described by group, and the fifteenth generation's neutral reports about fines and council letters
    from people described by faith). It is reported beside the suite (``tension train``, ``tension evaluate``,
    the model card) and is not part of the fairness gate.
    """
    return build_probe(_packaged_json(PROBE_FILE))


def build_probe(raw: dict) -> IdentitySuite:
    """A probe's templates (its JSON form, without terms) rendered over the shipped suite's terms and baseline."""
    suite = _packaged_json(SUITE_FILE)
    return build_suite({**raw, "terms": suite["terms"], "baseline": suite["baseline"]})


@lru_cache(maxsize=2)
def _packaged_json(name: str) -> dict:
    """A JSON file shipped in this package, parsed once (callers build new objects from it, never change it)."""
    return json.loads(resources.files("classifier.fairness").joinpath(name).read_text("utf-8"))


def build_suite(raw: dict) -> IdentitySuite:
    """Check and render a suite from its JSON form (``{"terms": [...], "templates": [...]}``)."""
    terms = tuple(IdentityTerm(**item) for item in raw["terms"])
    templates = tuple(Template(**item) for item in raw["templates"])
    _check(terms, templates)
    sentences = tuple(
        SuiteSentence(
            id=f"{template.id}/{term.term}",
            text=render(template.text, term),
            term=term.term,
            group=term.group,
            kind=template.kind,
            length=template.length,
            context=template.context,
            template=template.id,
            expected_label=term.hostile_label if template.kind == "hostile" else None,
        )
        for template in templates
        for term in terms
    )
    baseline = ()
    if raw.get("baseline"):
        filler = IdentityTerm(BASELINE_TERM, "baseline", hostile_label="", **raw["baseline"])
        baseline = tuple(
            SuiteSentence(f"{template.id}/{BASELINE_TERM}", render(template.text, filler), BASELINE_TERM, "baseline",
                          template.kind, template.length, template.context, template.id, None)
            for template in templates if template.kind in NON_HOSTILE
        )
    return IdentitySuite(str(raw.get("name", "identity suite")), int(raw.get("version", 1)), terms, templates,
                         sentences, baseline)


def render(text: str, term: IdentityTerm) -> str:
    """Fill a template's slots with the term's forms.

    ``{adj}`` gives the form as stored, ``{Adj}`` capitalises its first letter (for the start of a sentence)
    and ``{ADJ}`` puts it all in capitals (for quoted graffiti); likewise ``plural``, ``man`` and ``woman``.

    Examples
    --------
    >>> term = IdentityTerm("refugee", "migration_status", "refugee", "refugees", "a refugee", "a refugee woman",
    ...                     "immigration")
    >>> render("{Man} asked about {plural}: 'NO {PLURAL}'", term)
    "A refugee asked about refugees: 'NO REFUGEES'"
    """

    def fill(match: re.Match) -> str:
        slot = match.group(1)
        value = getattr(term, slot.lower())
        if slot.isupper():
            return value.upper()
        if slot[0].isupper():
            return value[0].upper() + value[1:]
        return value

    return _SLOT.sub(fill, text)


def word_count(text: str) -> int:
    """Words as a reader counts them: runs of letters, digits, apostrophes and hyphens."""
    return len(re.findall(r"[\w'’-]+", text))


def _check(terms, templates) -> None:
    names = [term.term for term in terms]
    if len(set(names)) != len(names):
        raise ConfigError(f"The identity suite lists a term twice: {sorted({n for n in names if names.count(n) > 1})}.")
    for term in terms:
        if term.group not in GROUPS:
            raise ConfigError(f"Identity term {term.term!r} has group {term.group!r}; expected one of {GROUPS}.")
    ids = [template.id for template in templates]
    if len(set(ids)) != len(ids):
        raise ConfigError("The identity suite has two templates with the same id.")
    for template in templates:
        if template.kind not in KINDS or template.length not in LENGTHS:
            raise ConfigError(
                f"Template {template.id}: kind must be one of {KINDS} and length one of {LENGTHS}. "
                f"Got {template.kind!r}, {template.length!r}."
            )
        slots = [slot.lower() for slot in _SLOT.findall(template.text)]
        unknown = sorted(set(slots) - set(SLOTS))
        if not slots or unknown:
            raise ConfigError(
                f"Template {template.id} must use the slots {SLOTS} only, at least one. "
                f"Got {unknown or 'no slot'}."
            )
