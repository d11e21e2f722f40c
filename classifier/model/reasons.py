"""Reasons in the report's own words: a model term turned back into the words of the report it came from.

The explainer ranks model terms (lemmas and placeholder tokens: "have spray", "xxslurrace out"); a person
reads the report. :class:`ReportWords` holds one report as the model read it (its text, its tokens and where
each token was written) and :meth:`ReportWords.reason` turns a term into what a person sees:

- the words as written where the term first occurs, with what stands between them ("had sprayed" for
  "have spray", "graffiti" for "graffito", "Third, a" rather than a number);
- a slur by its family's name ("racial slur"), never the word itself; an identifier by what it is
  ("phone number"), never the identifier;
- no reason at all for a term without a content word: stop words only ("that the", "no more"), numbers,
  identifiers or single characters; except :data:`TELLING_PHRASES`, stop words that together tell someone to
  leave ("go back", "get out").

A :class:`Reason` also carries every place in the report where its term occurs, for highlighting.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import NamedTuple

from classifier.model.preprocess import (
    EMAIL_TOKEN,
    HANDLE_TOKEN,
    IDENTIFIER_DIGITS,
    NUMBER_TOKEN,
    PHONE_TOKEN,
    PLACEHOLDERS,
    POSTCODE_TOKEN,
    URL_TOKEN,
)
from classifier.model.slurs import MIGRANT_TOKEN, RACE_TOKEN, RELIGION_TOKEN, SLUR_TOKEN_PREFIX

#: How a masked stretch reads in a reason. A team's own slur family ``xxslur<family>`` reads "<family> slur".
#: Numbers are shown as written ("3 men") unless they are identifiers (:data:`IDENTIFIER_NAME`).
PLACEHOLDER_NAMES = {
    URL_TOKEN: "link",
    EMAIL_TOKEN: "e-mail address",
    PHONE_TOKEN: "phone number",
    POSTCODE_TOKEN: "postcode",
    HANDLE_TOKEN: "social-media handle",
    RACE_TOKEN: "racial slur",
    RELIGION_TOKEN: "religious slur",
    MIGRANT_TOKEN: "anti-migrant slur",
}
#: How a number that may identify someone reads in a reason: a date of birth, a case reference, a National
#: Insurance number, a vehicle registration (five digits or more, a letter, or a date's separators).
IDENTIFIER_NAME = "number or reference"
_DATE_LIKE = re.compile(r"\d[/.-]\d")
_SPACES = re.compile(r"\s+")
_EDGES = re.compile(r"^\W+|\W+$")
#: Tokens that are numbers with a letter or two: a house number ("no.4", "4a"), a time ("8.30am", "10pm"), an
#: ordinal ("3rd"). Never reasons; "5g" (a subject of rumours) is a word.
_NUMBER_LIKE = re.compile(r"(?:no\.?\d+[a-z]?|\d{1,2}[.:]\d{2}(?:am|pm)?|\d{1,2}(?:am|pm)|\d+(?:st|nd|rd|th)|\d+[a-z])")
_NUMBER_WORDS = frozenset({"3g", "4g", "5g"})


class Reason(NamedTuple):
    """A reason as shown (``text``) and the ``(start, end)`` characters of each place it occurs in the report."""

    text: str
    spans: tuple[tuple[int, int], ...]


@functools.lru_cache(maxsize=10_000)
def slur_family_name(token: str) -> str | None:
    """The name a slur placeholder reads as ("racial slur", "caste slur" for a team's family), else None.

    >>> slur_family_name("xxslurreligion"), slur_family_name("xxslurcaste"), slur_family_name("hotel")
    ('religious slur', 'caste slur', None)
    """
    if token in PLACEHOLDER_NAMES and token.startswith(SLUR_TOKEN_PREFIX):
        return PLACEHOLDER_NAMES[token]
    family = token[len(SLUR_TOKEN_PREFIX) :]
    if token.startswith(SLUR_TOKEN_PREFIX) and family.isalpha():
        return f"{family} slur"
    return None


#: Model terms made only of stop words that are still reasons: the exclusion taunts of the codebook.
TELLING_PHRASES = frozenset({"go back", "get out", "them out"})


@functools.lru_cache(maxsize=200_000)
def is_informative(term: str) -> bool:
    """Whether a model term has a content word: a word that is no stop word, number, identifier or single
    character, or a slur. Only such terms become reasons.

    >>> is_informative("have spray"), is_informative("that the"), is_informative("xxnum a")
    (True, False, False)
    >>> is_informative("xxslurrace"), is_informative("go back")
    (True, True)
    >>> is_informative("no.4"), is_informative("8.30am"), is_informative("5g"), is_informative("covid-19")
    (False, False, True, True)
    """
    return term in TELLING_PHRASES or any(_is_content(token) for token in term.split())


@functools.lru_cache(maxsize=200_000)
def _is_content(token: str) -> bool:
    if slur_family_name(token) is not None:
        return True
    if token in PLACEHOLDERS or token.startswith(SLUR_TOKEN_PREFIX):
        return False
    core = _EDGES.sub("", token)  # "a." is "a"
    if _NUMBER_LIKE.fullmatch(core) and core not in _NUMBER_WORDS:
        return False
    return len(core) > 1 and any(char.isalpha() for char in core) and core not in _stop_words()


@functools.lru_cache(maxsize=200_000)
def _is_stop_word_as_written(written: str) -> bool:
    """Whether a word as the report wrote it ("Does", "a.") is a stop word."""
    return _EDGES.sub("", written.lower()) in _stop_words()


@functools.cache
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


class ReportWords:
    """One report as the model read it: its text, its tokens, and where each token was written.

    Parameters
    ----------
    text : str
        The report as written.
    processed : str
        Its preprocessed form (space-separated tokens), as :meth:`SpacyPreprocessor.transform` gives it.
    spans : sequence of (int, int)
        One ``(start, end)`` per token of ``processed``: the characters of ``text`` it came from, as
        :meth:`SpacyPreprocessor.transform_with_spans` gives them.
    """

    __slots__ = ("text", "processed", "spans", "_tokens", "_reasons")

    def __init__(self, text: str, processed: str, spans: Sequence[tuple[int, int]]):
        self.text, self.processed, self.spans = text, processed, spans
        self._tokens: list[str] | None = None
        self._reasons: dict[str, Reason | None] = {}  # one report's terms recur across its labels

    @classmethod
    def from_processed(cls, processed: str) -> ReportWords:
        """A report known only by its preprocessed form: its tokens are its words."""
        spans = [(match.start(), match.end()) for match in re.finditer(r"[^ ]+", processed)]
        return cls(processed, processed, spans)

    @property
    def tokens(self) -> list[str]:
        if self._tokens is None:
            self._tokens = self.processed.split()
        return self._tokens

    def reason(self, term: str) -> Reason | None:
        """How ``term`` (space-separated tokens) reads as a reason for this report, or None when it is no
        reason: no content word (:func:`is_informative`; as written too), or not in this report.

        >>> words = ReportWords("Graffiti: 'P*KIS OUT' was sprayed", "graffito xxslurrace out be spray",
        ...                     [(0, 8), (11, 16), (17, 20), (22, 25), (26, 33)])
        >>> words.reason("be spray")
        Reason(text='was sprayed', spans=((22, 33),))
        >>> words.reason("xxslurrace out").text
        'racial slur OUT'
        >>> words.reason("graffito xxslurrace").text
        "Graffiti: 'racial slur"
        >>> words.reason("be") is None
        True
        """
        if term in self._reasons:
            return self._reasons[term]
        reason = self._reasons[term] = self._find(term) if is_informative(term) else None
        return reason

    def _find(self, term: str) -> Reason | None:
        tokens, parts = self.tokens, term.split()
        first, count, rest = parts[0], len(parts), parts[1:]
        found = []
        position = -1
        try:
            while True:
                position = tokens.index(first, position + 1)
                if not rest or tokens[position + 1 : position + count] == rest:
                    found.append(position)
        except ValueError:  # no further occurrence
            pass
        if not found or not (term in TELLING_PHRASES
                             or any(self._is_content_at(p) for p in range(found[0], found[0] + count))):
            return None
        spans = self.spans
        return Reason(self._written(found[0], count),
                      tuple([(spans[p][0], spans[p + count - 1][1]) for p in found]))

    def _is_content_at(self, position: int) -> bool:
        """Whether the token at ``position`` is a content word as written too (the lookup table reads "does" as
        "doe")."""
        token = self.tokens[position]
        if not _is_content(token):
            return False
        start, end = self.spans[position]
        return slur_family_name(token) is not None or not _is_stop_word_as_written(self.text[start:end])

    def _written(self, first: int, count: int) -> str:
        """Tokens ``first`` to ``first + count - 1`` as the report wrote them, placeholders named."""
        if count == 1:
            return _as_shown(self.tokens[first], self.text[slice(*self.spans[first])])
        pieces: list[str] = []
        previous: tuple[int, int] | None = None
        for position in range(first, first + count):
            span = self.spans[position]
            if span == previous:  # a second token of one written word or masked stretch
                continue
            if previous is not None:
                pieces.append(_SPACES.sub(" ", self.text[previous[1] : span[0]]))
            pieces.append(_as_shown(self.tokens[position], self.text[span[0] : span[1]]))
            previous = span
        return "".join(pieces)


def _as_shown(token: str, written: str) -> str:
    """A token of a reason as a person sees it: a slur or an identifier by what it is, anything else as
    ``written``.

    >>> _as_shown("xxnum", "3"), _as_shown("xxnum", "Three"), _as_shown("xxnum", "QQ123456C")
    ('3', 'Three', 'number or reference')
    >>> _as_shown("xxnum", "03/05/1991"), _as_shown("xxnum", "KX70 BNM"), _as_shown("xxnum", "4512387")
    ('number or reference', 'number or reference', 'number or reference')
    >>> _as_shown("xxphone", "01632 960100"), _as_shown("man", "men")
    ('phone number', 'men')
    """
    if token == NUMBER_TOKEN and _identifier_like(written):
        return IDENTIFIER_NAME
    return slur_family_name(token) or PLACEHOLDER_NAMES.get(token) or written


class PassageWords(ReportWords):
    """The words of one passage of a report (``size`` tokens from ``start``), whose reasons are shown at every place
    of the whole report: the passage decides which terms are reasons, the report where they are highlighted."""

    __slots__ = ("_report",)

    def __init__(self, report: ReportWords, start: int, size: int):
        super().__init__(report.text, " ".join(report.tokens[start : start + size]), report.spans[start : start + size])
        self._report = report

    def reason(self, term: str) -> Reason | None:
        found = super().reason(term)
        return None if found is None else (self._report.reason(term) or found)



def _identifier_like(written: str) -> bool:
    """Whether a number as ``written`` may identify someone: five digits or more, digits and letters together, or a
    date."""
    digits = sum(char.isdigit() for char in written)
    return digits >= IDENTIFIER_DIGITS or (digits > 0 and any(char.isalpha() for char in written)) or bool(
        _DATE_LIKE.search(written))
