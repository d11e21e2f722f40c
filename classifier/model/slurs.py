"""Slur normalisation: every slur in a report, however it is written, becomes one placeholder per family.

Real reports spell slurs out; the bundled corpus masks every one ("p*ki"), so a model trained on it never
sees the real form. :func:`replace_slurs` puts ``xxslurrace``, ``xxslurreligion`` or ``xxslurmigrant``
in place of each slur of the lexicon, so both spellings reach the model as the same token. Matching is at
word boundaries (a slur inside a longer word is left alone) and recognises:

- the word written out, its plural and its possessive;
- masked forms, letters replaced by ``* # @ _ .`` ("p*ki", "n****r"): the first letter must be visible,
  and the length and visible letters must fit the words of exactly one family (a mask that also fits
  a word of another family, or one of the lexicon's ``other`` words such as general profanity, is
  ambiguous and left alone). When no word of the mask's length fits, a run of two or more mask
  characters may stand for any number of letters ("n***r"), with the same rule;
- spaced and dotted forms ("p a k i", "p.a.k.i"), stretched forms (a letter written three or more times)
  and leetspeak (4→a, 1→i or l, 3→e, 0→o, 5→s, 7→t, $→s, !→i or l);
- Greek and Cyrillic letters that look like Latin ones ("ρaki" with a Greek rho), in a word that mixes them with
  Latin letters (a word wholly in another script is left alone);
- two-word slurs written as one word, hyphenated or as two words, either part masked.

Every step reads a bounded window (tokens longer than :data:`MAX_TOKEN` characters are skipped), so the
time grows linearly with the text; a text with nothing suspicious is passed over after a few quick scans
(:meth:`SlurLexicon.might_contain`).

Lexicon files
-------------
One entry a line: ``<family> <word> [disguised]``, where ``<word>`` is the lowercase word (or two words
joined by one space) in base64 of its UTF-8, so that the file is not readable at a glance; ``#`` starts a
comment. ``<family>`` is 2-20 lowercase letters and names the placeholder (``xxslur<family>``); the family
``other`` is never mapped, it only makes masks that fit its words ambiguous. ``disguised`` marks a word
whose plain spelling has a common innocent meaning: it matches only when masked, spaced or in leetspeak
(stretching an innocent word is emphasis, not a disguise). The packaged lexicon
(``classifier/data/slur_lexicon.txt``) says in its header how it was made.
A team encodes a plain word list (one word a line) with::

    python -m classifier.model.slurs encode words.txt --family race > team_lexicon.txt

and passes the file as ``SpacyPreprocessor(extra_slurs="team_lexicon.txt")``; its entries are added to
the packaged ones (a word in both takes the team's family). A family of the team's own (``--family caste``) is
allowed, but its placeholder is new to every trained model: only a model retrained with the lexicon learns it,
from the training reports that hold its words, and ``encode`` says so (:func:`new_family_note`).
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from classifier.errors import ConfigError

SLUR_TOKEN_PREFIX = "xxslur"
RACE, RELIGION, MIGRANT = "race", "religion", "migrant"
#: Lexicon family whose words are never mapped; they make a mask that fits one of them ambiguous.
OTHER = "other"
DISGUISED = "disguised"
RACE_TOKEN, RELIGION_TOKEN, MIGRANT_TOKEN = (SLUR_TOKEN_PREFIX + family for family in (RACE, RELIGION, MIGRANT))
#: Placeholders of the packaged families.
SLUR_TOKENS = (RACE_TOKEN, RELIGION_TOKEN, MIGRANT_TOKEN)
#: Longest token (characters) looked at; longer runs without a space are skipped.
MAX_TOKEN = 64
PACKAGED_LEXICON = "slur_lexicon.txt"

_FAMILY = re.compile(r"[a-z]{2,20}")
_WORD = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)?")
_MAX_WORD = 40

#: What each character of a disguised token can stand for: letters themselves, leetspeak digits and
#: symbols a few letters, mask characters any letter (None).
_MASKS = "*#@_."
_LEET = {"4": "a", "1": "il", "!": "il", "3": "e", "0": "o", "5": "s", "$": "s", "7": "t"}
_ANY = None

# A token: word characters and mask symbols, with dots, apostrophes or '!' inside.
_TOKEN = re.compile(r"[\w*#@$]+(?:(?:\.+|['’!])[\w*#@$]+)*")
# A piece of a token between dots or '!' ("shop.p*ki" has two).
_PIECE = re.compile(r"[\w*#@$]+(?:['’][\w*#@$]+)*")
# Single characters separated by the same separator: "p a k i", "p.a.k.i", "p. a. k. i", "p-a-k-i".
_SPACED = re.compile(
    r"(?<![\w*#@$])[\w*#@$](?P<sep>\. ?| |-)[\w*#@$](?:(?P=sep)[\w*#@$]){1,40}(?![\w*#@$])"
)
_SPACED_CHAR = re.compile(r"[\w*#@$]")
_MASK_RUN = re.compile(r"[*#@_.]{2,}")
_ABBREVIATION = re.compile(r"\w(?:\.\w)+")  # "j.p", "e.g": read as an abbreviation, not as a mask
_PAIR_GAP = re.compile(r"[ \t]{1,3}|[ \t]?-[ \t]?")
# Quick tests that a text might hold a slur (see SlurLexicon.might_contain): a mask character; a leetspeak
# sign after two letters, or after one and before a letter or sign ("p4ki", "pak1", not "a4" or "y9"); a dot
# in a masked word ("n....r", "p.kis", not "e.g"); three single characters in a row ("p a k", "p.a.k");
# a letter three times in a row; and, per lexicon, the plain spellings. Each starts with a literal or a
# character set, which the regex engine scans for quickly.
_MASK_SIGNS = "*#@$_"
_LEET_SIGN = re.compile(
    r"[013457!](?:(?<=[^\W\d_]{2}[013457])|(?<=[^\W\d_][013457])(?=[^\W\d_]|[013457!])"
    r"|(?<=[^\W\d_]!)(?=[^\W\d_]|[013457]))"
)
_MASKING_DOT = re.compile(r"\.(?:(?<=[^\W\d_]{2}\.)(?=[\w*#@$])|(?<=[^\W\d_]\.)(?=\.*[\w*#@$]{2}|\.+[\w*#@$]))")
# The second and (in a lookahead) third of three single characters; the first is checked in Python.
_SINGLES = re.compile(r"(?:\. ?| |-)[^\W_](?=(?:\. ?| |-)[^\W_](?!\w))")
_TRIPLE = re.compile(r"(.)\1\1")
_WORD_CHAR = re.compile(r"[\w*#@$]")


def slur_token(family: str) -> str:
    """The placeholder token of a family: ``slur_token("race") == "xxslurrace"``."""
    return SLUR_TOKEN_PREFIX + family


@dataclass(frozen=True)
class LexiconEntry:
    """One word of a lexicon: its family, the word (two words joined by one space for a two-word slur)
    and whether it only counts when disguised."""

    family: str
    word: str
    disguised_only: bool = False


@dataclass(frozen=True)
class SlurMatch:
    """Characters ``start:end`` of a text are a slur of ``family``."""

    start: int
    end: int
    family: str

    @property
    def token(self) -> str:
        return slur_token(self.family)


@dataclass(frozen=True)
class _Form:
    form: str  # lowercase, without the space of a two-word slur
    family: str
    disguised_only: bool
    split: int  # where the second word starts, 0 for one word


class SlurLexicon:
    """A compiled lexicon: finds the slurs of a text (:meth:`find`) and replaces them (:meth:`replace`).

    Build it with :func:`packaged_lexicon` or :func:`load_lexicon` (both cached), or from entries. Later
    entries win: a word listed twice takes the family of its last entry.
    """

    def __init__(self, entries: Iterable[LexiconEntry]):
        self.entries = tuple(entries)
        forms: dict[str, _Form] = {}
        for entry in self.entries:
            for form in _forms_of(entry):
                forms[form.form] = form
        self._forms = forms
        self.families = tuple(sorted({form.family for form in forms.values()} - {OTHER}))
        self._by_shape: dict[tuple[str, int], list[_Form]] = defaultdict(list)
        self._pairs_by_shape: dict[tuple[str, int, int], list[_Form]] = defaultdict(list)
        self._by_runs: dict[tuple[str, int], list[tuple[tuple[tuple[str, int], ...], _Form]]] = defaultdict(list)
        lengths: dict[str, set[int]] = defaultdict(set)
        self._by_first: dict[str, list[_Form]] = defaultdict(list)
        for form in forms.values():
            self._by_shape[form.form[0], len(form.form)].append(form)
            self._by_first[form.form[0]].append(form)
            runs = _runs(form.form)
            self._by_runs[form.form[0], len(runs)].append((tuple((r[0], len(r)) for r in runs), form))
            if form.split:
                self._pairs_by_shape[form.form[0], len(form.form), form.split].append(form)
            if form.family != OTHER:
                lengths[form.form[0]].add(len(form.form))
        self._lengths = {first: sorted(found, reverse=True) for first, found in lengths.items()}
        self._has_pairs = bool(self._pairs_by_shape)
        # Every spelling of a slur that needs no mask character, as one regex (a trie of alternatives):
        # with the quick tests, it tells a text that needs no closer look.
        plain = [form for form in forms.values() if form.family != OTHER and not form.disguised_only]
        self._plain = re.compile(r"(?<![a-z])" + _trie_regex(plain) + r"(?![a-z])") if plain else None
        self._letters = frozenset(char for form in forms.values() if form.family != OTHER for char in form.form)
        self._cache: dict[str, str | None] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return f"SlurLexicon({len(self.entries)} entries, families={self.families})"

    def merged(self, other: SlurLexicon) -> SlurLexicon:
        """This lexicon with ``other``'s entries added (``other`` wins for a word in both)."""
        return SlurLexicon(self.entries + other.entries)

    # -- finding -------------------------------------------------------------------------------------

    def might_contain(self, text: str) -> bool:
        """False when lowercase ``text`` certainly holds no slur; True when it might (a few quick scans).

        Every spelling that :meth:`find` recognises has a mask character, a leetspeak sign inside a word,
        a dot in a masked word, three single characters in a row or a letter three times in a row, or else
        is a plain spelling of the lexicon; a property test checks that this stays true.
        """
        return (
            any(sign in text for sign in _MASK_SIGNS)
            or (self._plain is not None and self._plain.search(text) is not None)
            or _LEET_SIGN.search(text) is not None
            or _MASKING_DOT.search(text) is not None
            or any(_starts_singles(text, match.start() - 1) for match in _SINGLES.finditer(text))
            or any(match.group(1) in self._letters for match in _TRIPLE.finditer(text))
        )

    def find(self, text: str) -> list[SlurMatch]:
        """The slurs of ``text``, in text order and not overlapping."""
        text = _lowercase(text)
        if not text or not self.might_contain(text):
            return []
        found = self._find_spaced(text)
        taken = iter(found)
        next_taken = next(taken, None)
        tokens = []
        for token in _TOKEN.finditer(text):
            while next_taken is not None and next_taken.end <= token.start():
                next_taken = next(taken, None)
            if next_taken is None or token.end() <= next_taken.start:
                tokens.append(token)
        found += self._find_in_tokens(text, tokens)
        found.sort(key=lambda match: match.start)
        return found

    def replace(self, text: str) -> str:
        """``text`` with each slur replaced by its family's placeholder, with a space on either side."""
        matches = self.find(text)
        if not matches:
            return text
        parts, done = [], 0
        for match in matches:
            parts += [text[done : match.start], f" {match.token} "]
            done = match.end
        parts.append(text[done:])
        return "".join(parts)

    def _find_spaced(self, text: str) -> list[SlurMatch]:
        found = []
        for sequence in _SPACED.finditer(text):
            chars = [(m.start(), m.group()) for m in _SPACED_CHAR.finditer(sequence.group())]
            offset = sequence.start()
            for first, last, family in self._spaced_hits([c for _, c in chars]):
                found.append(SlurMatch(offset + chars[first][0], offset + chars[last - 1][0] + 1, family))
        return found

    def _spaced_hits(self, chars: list[str]) -> list[tuple[int, int, str]]:
        """Slurs spelled by consecutive single characters: from the start of the sequence (again after each
        one found), or else ending it ("a p a k i")."""
        hits, start, end = [], 0, len(chars)
        while end - start >= 3:
            for length in self._lengths.get(chars[start], ()):
                if length <= end - start:
                    family = self._classify_spelled("".join(chars[start : start + length]))
                    if family:
                        hits.append((start, start + length, family))
                        start += length
                        break
            else:
                for begin in range(start + 1, end - 2):
                    if end - begin in self._lengths.get(chars[begin], ()):
                        family = self._classify_spelled("".join(chars[begin:end]))
                        if family:
                            hits.append((begin, end, family))
                            break
                break
        return hits

    def _find_in_tokens(self, text: str, tokens: list[re.Match]) -> list[SlurMatch]:
        found = []
        forms = self._forms
        count = len(tokens)
        position = 0
        while position < count:
            token = tokens[position]
            raw = token.group()
            position += 1
            if len(raw) > MAX_TOKEN:
                continue
            plain = raw.isalpha()  # most tokens: a word of letters, its own core
            core = raw if plain else _core(raw)
            if core and self._has_pairs and position < count:
                following = tokens[position]
                next_raw = following.group()
                next_plain = next_raw.isalpha()
                if ((not (plain and next_plain) or raw + next_raw in forms) and len(next_raw) <= MAX_TOKEN
                        and _PAIR_GAP.fullmatch(text, token.end(), following.start())):
                    second = next_raw if next_plain else _core(next_raw)
                    family = self._classify_pair(core, second) if second else None
                    if family:
                        found.append(SlurMatch(token.start(), following.end(), family))
                        position += 1
                        continue
            if plain or not ("." in raw or "!" in raw):
                family = self._classify(core)
            else:  # read "y.d" as an abbreviation, like "j.p"; else look at the pieces of "shop.p*ki"
                family = None if _ABBREVIATION.fullmatch(raw) else self._classify(core)
                if family is None:
                    for piece in _PIECE.finditer(raw):
                        piece_family = self._classify(_core(piece.group()))
                        if piece_family:
                            found.append(SlurMatch(token.start() + piece.start(), token.start() + piece.end(),
                                                   piece_family))
            if family:
                found.append(SlurMatch(token.start(), token.end(), family))
        return found

    # -- classifying one token ------------------------------------------------------------------------

    def _classify(self, core: str | None) -> str | None:
        """The family of a token (lowercase, possessive and emphasis removed), or None."""
        if not core:
            return None
        cached = self._cache.get(core, _MISSING)
        if cached is _MISSING:
            cached = self._classify_uncached(core)
            if len(self._cache) < 200_000:
                self._cache[core] = cached
        return cached

    def _classify_spelled(self, joined: str) -> str | None:
        """The family of letters spelled out one by one ("p a k i"): a disguise, so words marked
        disguised count too."""
        known = self._forms.get(joined)
        return _mappable(known.family) if known is not None else self._classify(joined)

    def _classify_uncached(self, core: str) -> str | None:
        if len(core) < 2 or not core[0].isalpha():
            return None
        known = self._forms.get(core)
        if known is not None and not known.disguised_only:
            return _mappable(known.family)
        pattern = _pattern(core)
        if pattern is None:
            return None
        if _ANY not in pattern:
            family = self._stretched(core, pattern)
            if family or core.isalpha():
                return family
        same_length = [form for form in self._by_shape.get((core[0], len(core)), ()) if _fits(form.form, pattern)]
        if same_length or _ANY not in pattern:
            return _one_family(same_length)
        return self._loosely_masked(core, pattern)

    def _loosely_masked(self, core: str, pattern: tuple) -> str | None:
        """Family of a mask that fits no word of its length ("n***r"): a run of two or more mask characters
        may then stand for any number of letters, if two letters or more are visible."""
        if sum(char.isalpha() for char in core) < 2 or not _MASK_RUN.search(core):
            return None
        parts, position = [], 0
        for run in _MASK_RUN.finditer(core):
            parts += [_piece_regex(pattern[position : run.start()]), "." * (run.end() - run.start() - 1) + ".*"]
            position = run.end()
        parts.append(_piece_regex(pattern[position:]))
        loose = re.compile("".join(parts), re.DOTALL)
        return _one_family(form for form in self._by_first.get(core[0], ()) if loose.fullmatch(form.form))

    def _stretched(self, core: str, pattern: tuple) -> str | None:
        """Family of a token with a letter three or more times in a row ("paaakiii"), matched run by run.
        Words marked disguised are left out: stretching an innocent word is emphasis, not a disguise."""
        runs = _runs(core)
        if all(len(run) < 3 for run in runs):
            return None
        allowed, start = [], 0
        for run in runs:
            allowed.append((pattern[start], len(run)))
            start += len(run)
        return _one_family(
            form for shape, form in self._by_runs.get((core[0], len(runs)), ())
            if not form.disguised_only
            and all(letter in can and count >= need
                    for (letter, need), (can, count) in zip(shape, allowed, strict=True))
        )

    def _classify_pair(self, first: str, second: str) -> str | None:
        """The family of two neighbouring tokens read as one two-word slur, or None."""
        key = f"{first} {second}"
        cached = self._cache.get(key, _MISSING)
        if cached is _MISSING:
            cached = self._classify_pair_uncached(first + second, len(first))
            if len(self._cache) < 200_000:
                self._cache[key] = cached
        return cached

    def _classify_pair_uncached(self, joined: str, split: int) -> str | None:
        if not joined[0].isalpha():
            return None
        known = self._forms.get(joined)
        if known is not None and known.split == split and not known.disguised_only:
            return _mappable(known.family)
        pattern = None if joined.isalpha() else _pattern(joined)
        if pattern is None:
            return None
        return _one_family(form for form in self._pairs_by_shape.get((joined[0], len(joined), split), ())
                           if _fits(form.form, pattern))


_MISSING = object()


def _starts_singles(text: str, position: int) -> bool:
    """Whether the character at ``position`` is a letter standing alone (before it, no word character)."""
    return (position >= 0 and text[position].isalpha()
            and (position == 0 or _WORD_CHAR.match(text, position - 1) is None))


def _mappable(family: str) -> str | None:
    return None if family == OTHER else family


def _one_family(forms: Iterable[_Form]) -> str | None:
    """The family of the forms when they all share one (and it is not ``other``), else None."""
    families = {form.family for form in forms}
    return _mappable(families.pop()) if len(families) == 1 else None


def _fits(form: str, pattern: tuple) -> bool:
    return all(allowed is _ANY or letter in allowed for letter, allowed in zip(form, pattern, strict=True))


def _piece_regex(pattern: tuple) -> str:
    return "".join("." if allowed is _ANY else f"[{re.escape(allowed)}]" for allowed in pattern)


def _pattern(core: str) -> tuple | None:
    """What each character of a token can stand for, or None if one stands for nothing (a '2')."""
    pattern = []
    for char in core:
        if char.isalpha():
            pattern.append(char)
        elif char in _MASKS:
            pattern.append(_ANY)
        elif char in _LEET:
            pattern.append(_LEET[char])
        else:
            return None
    return tuple(pattern)


def _runs(word: str) -> list[str]:
    """Runs of one repeated character: ``_runs("paaki") == ["p", "aa", "k", "i"]``."""
    return [match.group() for match in re.finditer(r"(.)\1*", word, re.DOTALL)]


def _core(raw: str) -> str | None:
    """A (lowercase) token made ready for matching: emphasis ("*word*", "#word") and possessive removed."""
    core = raw
    lead = len(core) - len(core.lstrip("*_#@"))
    if lead:
        trail = len(core) - len(core.rstrip(core[0]))
        core = core[lead : len(core) - min(lead, trail)]
    if core.endswith(("'s", "’s")):
        core = core[:-2]
    return core if len(core) >= 2 and "'" not in core and "’" not in core else None


def _forms_of(entry: LexiconEntry) -> list[_Form]:
    """The entry's spellings: the word, its plurals, and for a two-word slur the words joined."""
    first, _, last = entry.word.rpartition(" ")
    endings = {last}
    if last.endswith(("s", "x", "z", "ch", "sh")):
        endings.add(last + "es")
    else:
        endings.update((last + "s", last + "es") if last.endswith("o") else (last + "s",))
    if len(last) > 2 and last.endswith("y") and last[-2] not in "aeiou":
        endings.add(last[:-1] + "ies")
    return [_Form(first + ending, entry.family, entry.disguised_only, len(first)) for ending in sorted(endings)]


def _lowercase(text: str) -> str:
    """``text.lower()``, keeping each character's position (a few characters lowercase to two), with the Greek and
    Cyrillic letters that look like Latin ones read as those in words that mix them with Latin letters ("ρaki"
    with a Greek rho); a word wholly in another script stays as it is."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(char if len(char.lower()) != 1 else char.lower() for char in text)
    if lowered.isascii():
        return lowered
    return _LETTERS.sub(_latin_lookalikes, lowered)


#: Greek and Cyrillic lower-case letters that look like Latin ones, and those Latin ones.
_LOOKALIKE_LETTERS, _LATIN_LETTERS = "аеорсухіјѕкαορικνυε", "aeopcyxijskaopikvue"
_LOOKALIKES = str.maketrans(_LOOKALIKE_LETTERS, _LATIN_LETTERS)
_LETTERS = re.compile(r"[^\W\d_]+")


def _latin_lookalikes(word: re.Match) -> str:
    """A lower-case ``word`` with its look-alike letters as Latin ones when it mixes them with Latin letters."""
    text = word.group()
    if text.isascii() or not any("a" <= char <= "z" for char in text) or not any(
            char in _LOOKALIKE_LETTERS for char in text):
        return text
    return text.translate(_LOOKALIKES)


def _trie_regex(forms: Iterable[_Form]) -> str:
    """One regex for the plain spellings of ``forms``, factored as a trie so that it is searched quickly; a
    two-word slur may have up to three spaces or hyphens between its words."""
    trie: dict = {}
    for form in forms:
        node = trie
        for char in (form.form[: form.split] + "\0" + form.form[form.split :] if form.split else form.form):
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [("[ \\t-]{0,3}" if char == "\0" else re.escape(char)) + build(child)
                    for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = "(?:" + "|".join(branches) + ")"
        return body + "?" if "" in node else body

    return build(trie)


# -- lexicon files ------------------------------------------------------------------------------------

def parse_lexicon(text: str, source: str = "lexicon") -> list[LexiconEntry]:
    """The entries of a lexicon file's text (see the module docstring for the format).

    Raises
    ------
    ConfigError
        On a malformed line, naming ``source`` and the line number (never the word).
    """
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        where = f"{source} line {number}"
        if len(fields) not in (2, 3) or (len(fields) == 3 and fields[2] != DISGUISED):
            raise ConfigError(
                f"{where}: expected '<family> <base64 word> [{DISGUISED}]', got {len(fields)} fields. "
                "Encode a plain word list with: python -m classifier.model.slurs encode words.txt --family race"
            )
        family, encoded = fields[0], fields[1]
        if not _FAMILY.fullmatch(family):
            raise ConfigError(f"{where}: the family must be 2-20 lowercase letters (a-z), got {family!r}.")
        try:
            word = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{where}: the word is not base64 of UTF-8 text ({exc}). Encode plain words with: "
                "python -m classifier.model.slurs encode words.txt --family race"
            ) from exc
        entries.append(LexiconEntry(family, _checked_word(word, where), len(fields) == 3))
    return entries


def _checked_word(word: str, where: str) -> str:
    word = " ".join(word.lower().replace("-", " ").split())
    if not (_WORD.fullmatch(word) and len(word) <= _MAX_WORD and len(word.replace(" ", "")) >= 2):
        raise ConfigError(
            f"{where}: a word must be 2-{_MAX_WORD} letters, or two words of letters joined by one space or "
            "hyphen (no digits, punctuation or longer phrases)."
        )
    return word


def encode_entries(words: Iterable[str], family: str, disguised_only: bool = False) -> str:
    """Lexicon lines for plain ``words`` of one family (blank lines and ``#`` comments are skipped).

    >>> encode_entries(["example"], "race")
    'race ZXhhbXBsZQ==\\n'
    """
    if not _FAMILY.fullmatch(family):
        raise ConfigError(f"The family must be 2-20 lowercase letters (a-z), got {family!r}.")
    lines = []
    for number, line in enumerate(words, 1):
        word = line.split("#", 1)[0].strip()
        if word:
            word = _checked_word(word, f"word list line {number}")
            encoded = base64.b64encode(word.encode("utf-8")).decode("ascii")
            lines.append(f"{family} {encoded}{' ' + DISGUISED if disguised_only else ''}\n")
    return "".join(lines)


def new_family_note(family: str) -> str | None:
    """What a lexicon family that is not one of the packaged lexicon's means (a new placeholder that needs a
    retrained model), naming the packaged families and a likely typo; ``None`` for a packaged family.

    >>> new_family_note("race") is None
    True
    >>> new_family_note("rase").split(".")[0]
    "note: 'rase' is not a family of the packaged lexicon (migrant, race, religion; a typo for 'race'?)"
    """
    from classifier.model.label_names import likely_typo

    known = packaged_lexicon().families
    if family in (*known, OTHER):
        return None
    typo = likely_typo(family, known)
    return (
        f"note: '{family}' is not a family of the packaged lexicon ({', '.join(known)}"
        f"{f'; a typo for {typo!r}?' if typo else ''}). Its words become a new placeholder, {slur_token(family)}, "
        "that no trained model has seen: a model learns it only when retrained with this lexicon "
        "(SpacyPreprocessor(extra_slurs=...)), from the training reports that hold these words. To add the words "
        f"to a family the models already know, give --family {', '.join(known[:-1])} or {known[-1]}."
    )


def lexicon_text_from(extra) -> str:
    """Validated lexicon text for a team's extension, ready to store in a fitted model.

    ``extra`` is the path (``str`` or ``os.PathLike``) of a file in the lexicon format, or a mapping
    family → plain words, which is encoded.
    """
    import os

    if isinstance(extra, Mapping):
        parts = []
        for family, words in extra.items():
            if isinstance(words, str) or not isinstance(words, Iterable):
                raise ConfigError(
                    f"extra_slurs[{family!r}] must be a list of words, got {type(words).__name__}."
                )
            parts.append(encode_entries(words, family))
        text = "".join(parts)
    elif isinstance(extra, str | os.PathLike):
        try:
            with open(extra, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise ConfigError(
                f"Cannot read the slur lexicon '{os.fspath(extra)}' ({exc.strerror}). Pass the path of a file "
                "written by 'python -m classifier.model.slurs encode'."
            ) from exc
        parse_lexicon(text, os.fspath(extra))
    else:
        raise ConfigError(
            "extra_slurs must be None, the path of a lexicon file or a mapping family -> words; "
            f"got {type(extra).__name__}."
        )
    return text


@functools.cache
def packaged_lexicon() -> SlurLexicon:
    """The lexicon shipped with the package (compiled once)."""
    text = resources.files("classifier").joinpath("data", PACKAGED_LEXICON).read_text(encoding="utf-8")
    return SlurLexicon(parse_lexicon(text, PACKAGED_LEXICON))


@functools.lru_cache(maxsize=16)
def load_lexicon(extra_text: str | None = None) -> SlurLexicon:
    """The packaged lexicon, merged with a team's lexicon text if given (compiled once per text)."""
    if not extra_text:
        return packaged_lexicon()
    return packaged_lexicon().merged(SlurLexicon(parse_lexicon(extra_text, "extra_slurs")))


def find_slurs(text: str, lexicon: SlurLexicon | None = None) -> list[SlurMatch]:
    """The slurs of ``text`` (packaged lexicon unless one is given)."""
    return (lexicon or packaged_lexicon()).find(text)


def replace_slurs(text: str, lexicon: SlurLexicon | None = None) -> str:
    """``text`` with each slur replaced by ``xxslur<family>`` (packaged lexicon unless one is given)."""
    return (lexicon or packaged_lexicon()).replace(text)


# -- command line ---------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """``python -m classifier.model.slurs encode WORDS --family F [--disguised]`` or ``... check LEXICON``."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m classifier.model.slurs", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    encode = commands.add_parser("encode", help="encode a plain word list (one word a line) as lexicon lines")
    encode.add_argument("words", help="plain text file, one word (or two-word slur) a line")
    encode.add_argument("--family", required=True,
                        help=f"family of every word: {RACE}, {RELIGION} or {MIGRANT} (the packaged lexicon's), or a "
                        "new one of your own, which only a retrained model learns")
    encode.add_argument("--disguised", action="store_true",
                        help="match these words only when masked, spaced or in leetspeak")
    check = commands.add_parser("check", help="validate a lexicon file and count its entries per family")
    check.add_argument("lexicon")
    args = parser.parse_args(argv)
    try:
        if args.command == "encode":
            try:
                with open(args.words, encoding="utf-8") as handle:
                    sys.stdout.write(encode_entries(handle, args.family, args.disguised))
            except OSError as exc:
                raise ConfigError(f"Cannot read '{args.words}' ({exc.strerror}).") from exc
            if note := new_family_note(args.family):
                print(note, file=sys.stderr)
        else:
            counts: dict[str, int] = defaultdict(int)
            for entry in SlurLexicon(parse_lexicon(lexicon_text_from(args.lexicon), args.lexicon)).entries:
                counts[entry.family] += 1
            print(", ".join(f"{family}: {n}" for family, n in sorted(counts.items())) or "no entries")
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
