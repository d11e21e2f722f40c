"""spaCy preprocessing as a scikit-learn transformer: raw report text in, normalised lemma strings out.

Personal identifiers (URLs, e-mail addresses, phone numbers, UK postcodes) and numbers are replaced by
placeholder tokens before tokenising, so they never reach the vocabulary of a saved model; slurs, written
out or masked, are replaced by one placeholder per family (:mod:`classifier.model.slurs`), so the model sees
"p*ki" and the word written in full as the same token. Ordinal words ("third", "second") stay words.

:meth:`SpacyPreprocessor.transform_with_spans` also says where in the report each output token was written,
so that a reason can be shown in the report's own words.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from classifier.errors import ConfigError, DataError
from classifier.model.email_parts import email_edits
from classifier.model.markup import disclaimer_edits, markup_edits
from classifier.model.slurs import SLUR_TOKEN_PREFIX, SLUR_TOKENS, SlurLexicon, lexicon_text_from, load_lexicon

URL_TOKEN = "xxurl"
EMAIL_TOKEN = "xxemail"
PHONE_TOKEN = "xxphone"
POSTCODE_TOKEN = "xxpostcode"
HANDLE_TOKEN = "xxhandle"
NUMBER_TOKEN = "xxnum"
#: What a vehicle registration is masked to; left out of the tokens as every identifier is (IDENTIFIER_DIGITS), or
#: read as NUMBER_TOKEN by a model trained before identifiers were left out (``drop_identifiers``).
IDENTIFIER_TOKEN = "xxref"
#: Tokens that stand for something masked; never lemmatised or dropped (but IDENTIFIER_TOKEN: see above). A team's
#: slur family adds its own ``xxslur<family>`` token, recognised by :data:`~classifier.model.slurs.SLUR_TOKEN_PREFIX`.
PLACEHOLDERS = (URL_TOKEN, EMAIL_TOKEN, PHONE_TOKEN, POSTCODE_TOKEN, HANDLE_TOKEN, NUMBER_TOKEN, IDENTIFIER_TOKEN,
                *SLUR_TOKENS)
#: The ordinal words spaCy's English ``like_num`` counts as numbers. "Third, a ..." or "a second home" uses
#: them as words, so they are kept as words rather than turned into :data:`NUMBER_TOKEN` (digits such as
#: "3rd" still are numbers).
ORDINAL_WORDS = frozenset({
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
    "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
    "twentieth", "thirtieth", "fortieth", "fiftieth", "sixtieth", "seventieth", "eightieth", "ninetieth",
    "hundredth", "thousandth", "millionth", "billionth", "trillionth", "quadrillionth", "quintillionth",
    "sextillionth", "septillionth", "octillionth", "nonillionth", "decillionth", "gajillionth", "bazillionth",
})


class _LinearPattern:
    """A pattern searched by its own linear-time ``finditer``, with ``search`` and ``sub`` built on it (the
    interface :data:`_PII_PATTERNS` needs of a compiled regex)."""

    def finditer(self, text: str):
        raise NotImplementedError

    def search(self, text: str):
        """The first match in ``text``, or None."""
        return next(self.finditer(text), None)

    def sub(self, replacement: str, text: str) -> str:
        """``text`` with each match replaced by ``replacement`` (taken literally)."""
        parts, done = [], 0
        for match in self.finditer(text):
            parts += [text[done : match.start()], replacement]
            done = match.end()
        return "".join(parts) + text[done:] if parts else text


class _EmailPattern(_LinearPattern):
    """The e-mail address pattern ``[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)+``, searched in linear time.

    Searched the usual way, the regex is quadratic on a long run of word characters without an '@': from
    every start it reads the whole run before failing. The local part cannot contain '@', so a match found
    from a start inside a run is the one found from the run's first character (or from where the previous
    match ended); this class jumps to each candidate '@' instead, walks back over the local part once, and
    then runs the same regex from there. ``finditer`` and ``sub`` give exactly the regex's matches.
    """

    regex = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
    # An '@' that can join a local part to a domain: a local-part character before it, a dotted domain after
    # (the lookahead reads only up to the next non-domain character, so each character is read once or twice).
    _at = re.compile(r"(?<=[\w.+-])@(?=[\w-]+\.[\w-])")
    _local_part = re.compile(r"[\w.+-]+")

    def finditer(self, text: str):
        """The regex's matches in ``text``, left to right and not overlapping (``re.Match`` objects)."""
        done = 0
        backwards = None
        for at in self._at.finditer(text):
            position = at.start()
            if position <= done:  # the local part would have to start inside the previous match
                continue
            if backwards is None:
                backwards = text[::-1]
            # The local part is the run of local-part characters ending at the '@', but not before `done`.
            run = self._local_part.match(backwards, len(text) - position, len(text) - done)
            match = self.regex.match(text, position - (run.end() - run.start()))
            if match is not None:
                done = match.end()
                yield match


class _BareDomainPattern(_LinearPattern):
    """A web address written without "http" or "www" ("pay-your-fine.example.com", "bit.ly/abc", "t.co/x"): a
    run of dot-separated labels whose last label is a common top-level domain, in lower case or capitals ("home.Net
    result" is a missing space, not an address), with any path after it. Each run starts only where no word
    character precedes it and is found once by an unambiguous regex, then its last label checked, so the search
    is linear in the text."""

    TOP_LEVEL = frozenset({"com", "org", "net", "uk", "io", "info", "biz", "ly", "co", "me", "app", "xyz", "tv",
                           "ie", "eu", "gl", "pl", "de", "ru", "ee", "gg", "fr", "es", "nl", "pk", "tk", "cc", "ai",
                           "ng", "ca", "au", "lt", "ro", "ua", "tr", "ir", "ps", "il", "to", "so", "link",
                           "site", "online", "news", "ch", "at", "se", "dk", "no", "pt", "gr", "hu", "cz", "sk", "bg",
                           "in", "it", "be", "us"})
    #: Top-level domains that are also words ("came.in", "is.it", "to.be"): an address only with a path after it
    #: ("youtu.be/x", "vk.ru" needs none).
    NEEDS_PATH = frozenset({"in", "it", "be", "us", "to", "so", "at", "no"})
    _run = re.compile(r"(?<![\w-])[\w-]+(?:\.[\w-]+)+(?:/[^\s'\"]*)?")
    #: What every match holds: a dot and a top-level domain (any case), for :func:`_may_hold`'s quick scan.
    quick = re.compile(r"\.(?:" + "|".join(sorted(TOP_LEVEL)) + r")\b", re.IGNORECASE)

    def finditer(self, text: str):
        """The matches in ``text``, left to right (``re.Match`` objects)."""
        for match in self._run.finditer(text):
            host, slash, _ = match.group().partition("/")
            last = host.rsplit(".", 1)[1]
            if (last.islower() or last.isupper()) and last.lower() in self.TOP_LEVEL and (
                    slash or last.lower() not in self.NEEDS_PATH):
                yield match


#: Words written after "@" meaning "at", not handles.
_AT_WORDS = frozenset({"home", "work", "the", "school", "uni", "college", "night", "noon", "lunch", "lunchtime",
                       "mine", "yours", "his", "hers", "theirs", "ours", "my", "your", "our", "their", "church",
                       "mosque", "gym", "weekend", "weekends", "midnight", "dawn", "last"})

# Order matters: e-mail before URL and handle (an address contains dots and an '@'), URL and e-mail before phone
# and postcode.
_PII_PATTERNS = (
    (_EmailPattern(), EMAIL_TOKEN),
    (re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE), URL_TOKEN),
    (_BareDomainPattern(), URL_TOKEN),
    # A social-media handle ("@jo_bloggs", "@jo.bloggs", ".@jo"): an account, often a person's. Not inside an
    # e-mail address (masked before) nor after a word character, and not "@" for "at" ("@home", "@the park").
    (re.compile(r"(?<![\w+-])@(?!(?:" + "|".join(sorted(_AT_WORDS)) + r")\b)[A-Za-z_](?:[\w.]{0,28}\w)?",
                re.IGNORECASE), HANDLE_TOKEN),
    (re.compile(r"(?<![\w+])(?:\+44\s?\(?0?\)?\s?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\w)"), PHONE_TOKEN),
    (re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?(?:\s*|-)\d[A-Z]{2}\b", re.IGNORECASE), POSTCODE_TOKEN),
    # A vehicle registration of the current UK format ("AB12 CDE", "AB12-CDE"): it leads to its keeper.
    (re.compile(r"\b[A-Z]{2}\d{2}[\s-]?[A-Z]{3}\b", re.IGNORECASE), IDENTIFIER_TOKEN),
    # The one postcode of another form (Girobank's).
    (re.compile(r"\bGIR\s?0AA\b", re.IGNORECASE), POSTCODE_TOKEN),
)
#: A token with this many digits or more is an identifier (a date of birth, a crime reference, a National Insurance
#: number): left out, like a vehicle registration (``drop_identifiers``), so that it is never a term of the
#: vocabulary and a partner's reference line does not move the scores. A smaller number ("3 men") is NUMBER_TOKEN.
IDENTIFIER_DIGITS = 5
# A change here (or in markup, email_parts or slurs) that reads some text differently, with no parameter that keeps
# a saved model reading it as before, raises classifier.model.persistence.PREPROCESSING_VERSION.
_DIGIT = re.compile(r"\d")
#: Control characters (a NUL from a database export, say): read as spaces, so they never join two words.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
#: Characters that show as nothing (soft hyphen, zero-width space and joiners, direction marks, word joiner, a
#: byte-order mark inside the text): pasted from web pages and PDFs, or put in on purpose, they split a word the
#: model knows ("mos\u00adque") into one it does not. Dropped before anything else reads the text (a text of them
#: alone is empty: `classifier.model.predictor`).
INVISIBLE = "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
#: Full-width forms of ASCII ("\uff4d\uff4f\uff53\uff51\uff55\uff45") and the ideographic space, as their ASCII
#: letters: one character for one, so positions stay.
_FULL_WIDTH = str.maketrans({**{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}, 0x3000: " "})
#: Half a UTF-16 pair, which no text encoding can hold (a shell argument in a legacy encoding arrives so):
#: replaced by U+FFFD, one character for one.
_SURROGATE = re.compile("[\ud800-\udfff]")
#: spaCy's tokenizer splits a run of punctuation or emoji one character at a time, copying the rest each time: a
#: text of 20,000 "!" took over a minute. Runs of non-space characters longer than this get a space every
#: this many characters (no word of the corpus is longer than 40), so a report's cost stays linear.
MAX_UNBROKEN = 100
_LONG_RUN = re.compile(rf"\S{{{MAX_UNBROKEN},}}")


def _may_hold(token: str, text: str) -> bool:
    """False when ``text`` certainly holds no match of the pattern for ``token``: a quick scan for what every
    match contains (an '@', "http" or "www", a digit), so most reports skip the slower searches."""
    if token in (EMAIL_TOKEN, HANDLE_TOKEN):
        return "@" in text
    if token == URL_TOKEN:
        lowered = text.lower()
        return "http" in lowered or "www" in lowered or _BareDomainPattern.quick.search(text) is not None
    return _DIGIT.search(text) is not None

#: Stop words that carry meaning in these reports: negations flip it, and "go back" is a common taunt.
DEFAULT_KEEP_WORDS = frozenset(
    {"no", "not", "never", "nor", "neither", "none", "nobody", "nothing", "without", "cannot", "n't",
     "back", "own", "against"}
)
BLANK_PIPELINE = "blank:en"


def mask_identifiers(text: str) -> str:
    """Replace URLs (with or without "http"), e-mail addresses, social-media handles, phone numbers, UK
    postcodes and vehicle registrations with placeholder tokens.

    Examples
    --------
    >>> mask_identifiers("ring 07700 900417 or mail a.b@example.com, EM4 7QT")
    'ring  xxphone  or mail  xxemail ,  xxpostcode '
    >>> mask_identifiers("@jo_b posted pay-now.example.com.")
    ' xxhandle  posted  xxurl .'
    """
    for pattern, token in _PII_PATTERNS:
        if _may_hold(token, text):
            text = pattern.sub(f" {token} ", text)
    return text


def visible_text(text: str) -> str:
    """``text`` as a reader sees it: without the characters that show as nothing (:data:`_INVISIBLE`), full-width
    letters as ASCII, lone surrogates as U+FFFD, and without what an e-mail or web form wrapped around it (HTML
    tags and entities, attachment tags, disclaimers: :mod:`classifier.model.markup`; header blocks, sign-offs and
    signatures: :mod:`classifier.model.email_parts`)."""
    return _visible_with_origin(text)[0]


def _visible_with_origin(text: str) -> tuple[str, tuple[list[int], list[int]] | None]:
    """:func:`visible_text` and where each of its characters came from (as :func:`_masked_with_origin`), or None
    when every character stayed where it was."""
    origin = None
    edits = markup_edits(text)  # first: an entity may stand for an invisible or a full-width character
    if edits:
        text, origin = _edited(text, origin, edits)
    text = _SURROGATE.sub("\ufffd", text.translate(_FULL_WIDTH))  # one character for one: positions stay
    edits = [(match.start(), match.end(), "") for match in _INVISIBLE.finditer(text)]
    if edits:
        text, origin = _edited(text, origin, edits)
    edits = disclaimer_edits(text)
    if edits:
        text, origin = _edited(text, origin, edits)
    edits = email_edits(text)
    if edits:
        text, origin = _edited(text, origin, edits)
    return text, origin


def _tokenizable(text: str) -> str:
    """``text`` as the tokenizer gets it: control characters as spaces, and a space every `MAX_UNBROKEN`
    characters of a longer run without one. Same length, so every character keeps its position."""
    text = _CONTROL.sub(" ", text)
    if len(text) >= MAX_UNBROKEN:
        text = _LONG_RUN.sub(_broken, text)
    return text


def _broken(match: re.Match) -> str:
    chars = list(match.group())
    chars[MAX_UNBROKEN - 1 :: MAX_UNBROKEN] = " " * len(range(MAX_UNBROKEN - 1, len(chars), MAX_UNBROKEN))
    return "".join(chars)


def _masked_with_origin(text: str, find_slurs) -> tuple[str, tuple[list[int], list[int]] | None]:
    """What :meth:`SpacyPreprocessor.transform` tokenises (identifiers masked, slurs replaced when
    ``find_slurs`` is given, lowercased), and where each of its characters came from: ``(starts, ends)``, the
    characters ``starts[i]:ends[i]`` of ``text`` (a whole masked stretch for a placeholder's characters), or
    None when every character stayed where it was."""
    text, origin = _visible_with_origin(text)
    for pattern, token in _PII_PATTERNS:
        matches = [(match.start(), match.end(), token) for match in pattern.finditer(text)] \
            if _may_hold(token, text) else None
        if matches:
            text, origin = _substitute(text, origin, matches)
    if find_slurs is not None:
        matches = [(match.start, match.end, match.token) for match in find_slurs(text)]
        if matches:
            text, origin = _substitute(text, origin, matches)
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters lowercase to two ("İ")
        starts, ends = origin or (list(range(len(text))), list(range(1, len(text) + 1)))
        widths = [len(char.lower()) for char in text]
        origin = ([start for start, width in zip(starts, widths, strict=True) for _ in range(width)],
                  [end for end, width in zip(ends, widths, strict=True) for _ in range(width)])
    return lowered, origin


def _substitute(text: str, origin, matches) -> tuple[str, tuple[list[int], list[int]]]:
    """``text`` with each ``(start, end, token)`` of ``matches`` (in order, not overlapping) replaced by
    `` token `` as masking does, and the origin of each character of the result."""
    return _edited(text, origin, [(start, end, f" {token} ") for start, end, token in matches])


def _edited(text: str, origin, edits) -> tuple[str, tuple[list[int], list[int]]]:
    """``text`` with each ``(start, end, replacement)`` of ``edits`` (in order, not overlapping) made, and the
    origin of each character of the result: a replacement's characters come from the whole stretch replaced."""
    starts, ends = origin or (list(range(len(text))), list(range(1, len(text) + 1)))
    parts: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    done = 0
    for start, end, replacement in edits:
        parts += [text[done:start], replacement]
        new_starts += starts[done:start] + [starts[start]] * len(replacement)
        new_ends += ends[done:start] + [ends[end - 1]] * len(replacement)
        done = end
    parts.append(text[done:])
    return "".join(parts), (new_starts + starts[done:], new_ends + ends[done:])


def load_nlp(pipeline: str):
    """Load the spaCy pipeline named by ``pipeline`` with only what lemmatising needs.

    ``"blank:en"`` builds ``spacy.blank("en")`` with the lookup lemmatizer from ``spacy-lookups-data``;
    any other value is the name of an installed pipeline package (e.g. ``en_core_web_sm``).
    """
    import spacy

    if pipeline == BLANK_PIPELINE:
        nlp = spacy.blank("en")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        try:
            nlp.initialize()
        except (ValueError, OSError) as exc:  # lookup tables missing
            raise ConfigError(
                "spaCy's lookup lemmatizer needs the 'spacy-lookups-data' package, which is not installed "
                f"({exc}). Fix: pip install spacy-lookups-data"
            ) from exc
        return nlp
    try:
        nlp = spacy.load(pipeline, exclude=["ner", "parser", "textcat", "textcat_multilabel"])
    except OSError as exc:
        raise ConfigError(
            f"The spaCy pipeline '{pipeline}' is not installed. Expected '{BLANK_PIPELINE}' or the name of "
            "an installed pipeline package; install it with pip, or use the default 'blank:en'."
        ) from exc
    return nlp


_THREAD_PIPELINES = threading.local()


def shared_nlp(pipeline: str):
    """:func:`load_nlp`, loaded once per thread and pipeline name and shared by every preprocessor there.

    Loading reads the lemma tables (about 0.3 s); a process that loads several models, or trains several, pays
    it once. A thread has its own copy because spaCy pipelines are not guaranteed thread-safe. The tokenizer's
    output and the lookup lemmas depend on the text alone, never on what the shared vocabulary has seen.
    """
    loaded = _THREAD_PIPELINES.__dict__.setdefault("loaded", {})
    nlp = loaded.get(pipeline)
    if nlp is None:
        nlp = loaded[pipeline] = load_nlp(pipeline)
    return nlp


class SpacyPreprocessor(TransformerMixin, BaseEstimator):
    """Turn raw report texts into strings of lowercase lemmas, with identifiers masked.

    Parameters
    ----------
    pipeline : str, default="blank:en"
        ``"blank:en"`` (``spacy.blank("en")`` plus the lookup lemmatizer) or an installed pipeline's name.
    batch_size : int, default=512
        Texts per ``nlp.pipe`` batch.
    remove_stop_words : bool, default=False
        Drop spaCy's English stop words, except ``keep_words`` (negations and a few more). Off by
        default: on the bundled corpus, keeping them ("go back", "them", "these people", "all of them")
        raised cross-validated macro-F1 by 0.012 and the share of hard negatives left unlabelled by
        4 points (docs/model_choices.md).
    keep_words : frozenset of str or None, default=None
        Stop words to keep; ``None`` means :data:`DEFAULT_KEEP_WORDS` (negations and a few more).
    ordinals_as_numbers : bool, default=False
        Turn ordinal words ("first", "third") into the number placeholder, as spaCy's ``like_num`` would;
        off by default, so "Third, a ..." keeps its word. Models pickled before this option existed load
        with True and predict as they were trained.
    drop_identifiers : bool, default=True
        Leave identifiers out of the tokens: a token of :data:`IDENTIFIER_DIGITS` digits or more (a date of
        birth, a case or crime reference) and a vehicle registration. A partner's reference line then does not
        move the scores (as the number placeholder, it did, through bigrams such as "xxnum man"). ``False``
        reads them as the number placeholder; models pickled before this option existed load with False and
        predict as they were trained.
    slur_normalise : bool, default=True
        Replace each slur by its family's placeholder (``xxslurrace``, ``xxslurreligion``,
        ``xxslurmigrant``) before tokenising, whether written out, masked ("p*ki"), spaced, stretched or
        in leetspeak (:mod:`classifier.model.slurs`). ``False`` keeps the words as written (for ablations).
    extra_slurs : str, os.PathLike, mapping or None, default=None
        A team's own slurs, added to the packaged lexicon: the path of a lexicon file (written by
        ``python -m classifier.model.slurs encode words.txt --family race``) or a mapping family → plain words.
        ``fit`` stores the encoded entries in ``extra_slurs_``, so a saved model does not need the file.

    Attributes
    ----------
    extra_slurs_ : str or None
        The team's lexicon as encoded text, read by ``fit``; None without ``extra_slurs``.

    Notes
    -----
    The loaded ``nlp`` object and the compiled lexicon are never pickled: they are rebuilt from this
    configuration on first use after unpickling, so a saved model holds no spaCy state. Preprocessors in one
    thread share the loaded pipeline (:func:`shared_nlp`). A model pickled
    before slur normalisation existed loads with ``slur_normalise=False`` and predicts as it did.

    Examples
    --------
    >>> pre = SpacyPreprocessor(remove_stop_words=True).fit(["x"])
    >>> pre.transform(["Asylum seekers were NOT housed at the hotels"])[0]
    'asylum seeker not house hotel'
    """

    def __init__(self, pipeline=BLANK_PIPELINE, batch_size=512, remove_stop_words=False, keep_words=None,
                 slur_normalise=True, extra_slurs=None, ordinals_as_numbers=False, drop_identifiers=True):
        self.pipeline = pipeline
        self.batch_size = batch_size
        self.remove_stop_words = remove_stop_words
        self.keep_words = keep_words
        self.slur_normalise = slur_normalise
        self.extra_slurs = extra_slurs
        self.ordinals_as_numbers = ordinals_as_numbers
        self.drop_identifiers = drop_identifiers

    def __setstate__(self, state):
        # Pickled before slur normalisation: keep predicting as trained (no slur placeholders in its vocabulary);
        # before ordinal words were kept: ordinals stay numbers; before identifiers were left out: the number
        # placeholder.
        state.setdefault("slur_normalise", False)
        state.setdefault("extra_slurs", None)
        state.setdefault("ordinals_as_numbers", True)
        state.setdefault("drop_identifiers", False)
        super().__setstate__(state)

    def fit(self, X, y=None):
        """Check the parameters and the input; learns nothing (the step is stateless)."""
        if not isinstance(self.batch_size, int | np.integer) or self.batch_size < 1:
            raise ConfigError(
                f"The 'batch_size' parameter of SpacyPreprocessor must be a positive int. Got {self.batch_size!r}."
            )
        if not isinstance(self.pipeline, str) or not self.pipeline:
            raise ConfigError(
                f"The 'pipeline' parameter of SpacyPreprocessor must be '{BLANK_PIPELINE}' or an installed "
                f"spaCy pipeline name. Got {self.pipeline!r}."
            )
        for name in ("slur_normalise", "ordinals_as_numbers", "drop_identifiers"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise ConfigError(
                    f"The {name!r} parameter of SpacyPreprocessor must be True or False. Got {getattr(self, name)!r}."
                )
        if not _as_texts(X):
            raise DataError("SpacyPreprocessor.fit got no texts; expected at least one report.")
        self.extra_slurs_ = None if self.extra_slurs is None else lexicon_text_from(self.extra_slurs)
        self.__dict__.pop("_lexicon", None)
        self._get_lexicon()
        self._get_nlp()
        self.is_fitted_ = True
        return self

    def transform(self, X):
        """Return one normalised string per input text (lemmas separated by single spaces)."""
        return self._transform(X, with_spans=False)[0]

    def transform_with_spans(self, X) -> tuple[list[str], list[list[tuple[int, int]]]]:
        """:meth:`transform`, and where each output token was written in its report.

        Returns
        -------
        processed : list of str
            What :meth:`transform` returns.
        spans : list of list of (int, int)
            For each text, one ``(start, end)`` per token of ``processed[i].split()``: the characters of the
            text it came from (a placeholder's: the whole stretch it replaced, such as a masked slur).

        Examples
        --------
        >>> pre = SpacyPreprocessor().fit(["x"])
        >>> processed, spans = pre.transform_with_spans(["Graffiti sprayed"])
        >>> processed[0], spans[0]
        ('graffito spray', [(0, 8), (9, 16)])
        """
        return self._transform(X, with_spans=True)

    def _transform(self, X, with_spans: bool):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "is_fitted_")
        texts = _as_texts(X)
        nlp = self._get_nlp()
        stop_words = nlp.Defaults.stop_words if self.remove_stop_words else frozenset()
        keep = DEFAULT_KEEP_WORDS if self.keep_words is None else frozenset(self.keep_words)
        ordinals = frozenset() if getattr(self, "ordinals_as_numbers", True) else ORDINAL_WORDS
        normalise = _Normaliser(stop_words, keep, ordinals, getattr(self, "drop_identifiers", False))
        find_slurs = self._get_lexicon().find if self.slur_normalise else None
        origins: list = []
        if with_spans:
            masked_and_origins = [_masked_with_origin(text, find_slurs) for text in texts]
            masked = [_tokenizable(text) for text, _ in masked_and_origins]
            origins = [origin for _, origin in masked_and_origins]
        elif find_slurs is not None:
            # Lowercase last: the lookup tables are keyed by lowercase forms ("Hotels" has no entry).
            replace_slurs = self._get_lexicon().replace
            masked = (_tokenizable(replace_slurs(mask_identifiers(visible_text(text))).lower()) for text in texts)
        else:
            masked = (_tokenizable(mask_identifiers(visible_text(text)).lower()) for text in texts)
        if _is_lookup_only(nlp):
            return self._transform_by_lookup(nlp, masked, normalise, origins if with_spans else None)
        processed, spans = [], []
        for position, doc in enumerate(nlp.pipe(masked, batch_size=self.batch_size)):
            parts: list[str] = []
            where: list[tuple[int, int]] = []
            for token in doc:
                norm = normalise(token, token.lemma_)
                if norm:
                    parts.append(norm)
                    if with_spans:
                        where += [_origin(origins[position], token.idx, len(token))] * (norm.count(" ") + 1)
            processed.append(" ".join(parts))
            spans.append(where)
        return processed, spans if with_spans else None

    def _transform_by_lookup(self, nlp, texts, normalise, origins):
        """Fast path for a tokenizer + lookup lemmatizer pipeline.

        A lookup lemma, like every other attribute ``_normalise`` reads, depends on the token's text alone,
        so each distinct token is normalised once and cached by its ``orth`` id; the result is identical
        to running the full pipeline (a test checks it). ``origins``: None, or where each character of each
        text came from (then token spans are returned too).
        """
        from spacy.attrs import ORTH

        lemmatizer = nlp.get_pipe("lemmatizer")
        cache = self.__dict__.setdefault("_token_cache", {})
        out = []
        spans = []
        for number, doc in enumerate(nlp.tokenizer.pipe(texts, batch_size=self.batch_size)):
            parts = []
            kept: list[int] | None = [] if origins is not None else None
            for position, orth in enumerate(doc.to_array(ORTH).tolist()):
                norm = cache.get(orth, _MISSING)
                if norm is _MISSING:
                    token = doc[position]
                    norm = normalise(token, lemmatizer.lookup_lemmatize(token)[0])
                    if len(cache) < _TOKEN_CACHE_SIZE:
                        cache[orth] = norm
                if norm:
                    parts.append(norm)
                    if kept is not None:
                        kept += [position] * (norm.count(" ") + 1)
            out.append(" ".join(parts))
            if kept is not None:
                spans.append(_token_spans(doc, kept, origins[number]))
        return out, spans if origins is not None else None

    def _get_nlp(self):
        nlp = getattr(self, "_nlp", None)
        if nlp is None:
            nlp = shared_nlp(self.pipeline)
            self._nlp = nlp
        return nlp

    def _get_lexicon(self) -> SlurLexicon:
        lexicon = self.__dict__.get("_lexicon")
        if lexicon is None:
            lexicon = self._lexicon = load_lexicon(getattr(self, "extra_slurs_", None))
        return lexicon

    def __getstate__(self):
        state = self.__dict__.copy()
        for rebuilt in ("_nlp", "_token_cache", "_lexicon"):
            state.pop(rebuilt, None)
        if isinstance(self.extra_slurs, os.PathLike):  # model files load without pathlib (an allow-list)
            state["extra_slurs"] = os.fspath(self.extra_slurs)
        return state

    def set_params(self, **params):
        for rebuilt in ("_nlp", "_token_cache", "_lexicon"):
            self.__dict__.pop(rebuilt, None)
        return super().set_params(**params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags


_MISSING = object()
_TOKEN_CACHE_SIZE = 500_000


def _is_lookup_only(nlp) -> bool:
    """True when the pipeline is a tokenizer plus a lookup-mode lemmatizer and nothing else."""
    return nlp.pipe_names == ["lemmatizer"] and getattr(nlp.get_pipe("lemmatizer"), "mode", None) == "lookup"


def _token_spans(doc, positions: list[int], origin) -> list[tuple[int, int]]:
    """``(start, end)`` in the original text of the tokens of ``doc`` at ``positions``."""
    from spacy.attrs import IDX, LENGTH

    columns = doc.to_array([IDX, LENGTH]).astype(np.int64)[positions]
    starts, ends = columns[:, 0], columns[:, 0] + columns[:, 1]
    if origin is None:
        return list(zip(starts.tolist(), ends.tolist(), strict=True))
    before, after = origin
    return [(before[start], after[end - 1]) for start, end in zip(starts.tolist(), ends.tolist(), strict=True)]


def _origin(origin, idx: int, length: int) -> tuple[int, int]:
    """Characters ``idx:idx + length`` of a masked text, as ``(start, end)`` in the text it was made from."""
    if origin is None:
        return idx, idx + length
    starts, ends = origin
    return starts[idx], ends[idx + length - 1]


class _Normaliser:
    """:func:`_normalise` with its settings."""

    def __init__(self, stop_words, keep, ordinals, drop_identifiers=True):
        self.stop_words, self.keep, self.ordinals = stop_words, keep, ordinals
        self.drop_identifiers = drop_identifiers

    def __call__(self, token, lemma: str) -> str | None:
        return _normalise(token, lemma, self.stop_words, self.keep, self.ordinals, self.drop_identifiers)


def _normalise(token, lemma: str, stop_words, keep, ordinals=frozenset(), drop_identifiers=True) -> str | None:
    """The normalised form of one token, or None when it is dropped. Words in ``ordinals`` are not numbers; an
    identifier is left out (``drop_identifiers``) or read as the number placeholder."""
    if token.is_space or token.is_punct:
        return None
    lower = token.lower_
    if lower == IDENTIFIER_TOKEN or sum(char.isdigit() for char in lower) >= IDENTIFIER_DIGITS:
        # an identifier says who or which case, not what happened
        return None if drop_identifiers else NUMBER_TOKEN
    if lower in PLACEHOLDERS or lower.startswith(SLUR_TOKEN_PREFIX):
        return lower
    if lower in ordinals:
        lemma = lower  # the lookup table reads "third" as "3"
    elif token.like_num:
        return NUMBER_TOKEN
    if lower in stop_words and lower not in keep:
        return None
    lemma = lemma.lower() or lower
    if lemma in stop_words and lemma not in keep and lower not in keep:
        return None
    if not any(ch.isalnum() for ch in lemma):
        return None
    return lemma


def _as_texts(X) -> list[str]:
    """Accept a list/array/Series of strings, or a one-column 2-D array, and return a list of str."""
    if isinstance(X, str):
        raise DataError(
            "Expected a list of report texts, got a single string. Wrap it in a list: [text]."
        )
    arr = X
    if hasattr(X, "ndim") and getattr(X, "ndim", 1) == 2:
        if X.shape[1] != 1:
            raise DataError(f"Expected one column of texts, got an array of shape {X.shape}.")
        arr = np.asarray(X)[:, 0]
    if not isinstance(arr, Iterable):
        raise DataError(f"Expected an iterable of report texts, got {type(X).__name__}.")
    texts = []
    for position, item in enumerate(arr):
        if not isinstance(item, str):
            raise DataError(
                f"Text at position {position} is {type(item).__name__}, not a string; "
                "convert it to text or remove it."
            )
        texts.append(item)
    return texts
