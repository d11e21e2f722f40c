"""The product-facing model: labels, scores, a review flag and the terms behind each label, per report."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Set
from dataclasses import asdict, dataclass, field
from numbers import Integral

import numpy as np

from classifier.errors import ConfigError, DataError
from classifier.model.features import WORD
from classifier.model.limits import MAX_TEXT_CHARS, checked_review_band
from classifier.model.persistence import (
    CheckedModelFile,
    pipeline_from_model_file,
    read_model_file,
    read_training_rows,
    resolve_model_dir,
    warn_if_read_differently,
)
from classifier.model.pipeline import (
    CLASSIFIER,
    FEATURES,
    PREPROCESS,
    merged_thresholds,
    pipeline_features,
    second_stage_proba,
)
from classifier.model.preprocess import INVISIBLE, PLACEHOLDERS
from classifier.model.slurs import SLUR_TOKEN_PREFIX

STATUS_OK = "ok"
STATUS_EMPTY = "empty text"
STATUS_NOT_TEXT = "not text"
STATUS_TOO_LONG = "text too long"
ON_INVALID = ("raise", "flag")
DEFAULT_REVIEW_BAND = 0.15
#: A report needs review when fewer than this share of its words (after preprocessing) are in the model's word
#: vocabulary, learnt from the training reports: it may be in another language, or in words the training data never
#: used, and a "no label" for it means nothing. English reports the model never saw know at least 0.71 of theirs
#: (the train split, 5 folds); a sentence in Polish, German or Welsh 0.1-0.2.
MIN_KNOWN_WORD_SHARE = 0.5


@dataclass(frozen=True)
class Prediction:
    """What the model says about one report.

    ``labels`` are those whose score reaches the label's threshold; ``scores`` holds a calibrated probability for
    every label; ``needs_review`` is true when any score lies within the review band of its threshold, when the
    report is ``unfamiliar``, or when it could not be classified; ``reasons`` maps each assigned label, and each
    label under review that was not given, to the words of the report that pushed the score up most, as written
    (a slur by its family's name, "racial slur"; see :mod:`classifier.model.reasons`); ``status`` is ``"ok"`` or
    why the report was not classified; ``review_labels``
    are the labels whose score lies within the review band of their threshold, in the model's label order (empty for
    an unclassified report: its ``status`` is the reason for review); ``reason_spans`` maps the same labels to the
    ``(start, end)`` characters of the text where its reasons occur (every occurrence, in text order), for
    highlighting; ``unfamiliar`` is true when fewer than :data:`MIN_KNOWN_WORD_SHARE` of the report's words are
    known to the model, or it has none (only emoji or symbols).
    """

    labels: tuple[str, ...]
    scores: dict[str, float]
    needs_review: bool
    reasons: dict[str, list[str]] = field(default_factory=dict)
    status: str = STATUS_OK
    review_labels: tuple[str, ...] = ()
    reason_spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    unfamiliar: bool = False

    def to_dict(self) -> dict:
        """A JSON-ready dict (strict JSON: an unclassified report's scores are None, not NaN)."""
        data = asdict(self)
        data["scores"] = {label: None if score != score else score for label, score in self.scores.items()}
        data["labels"] = list(self.labels)
        data["review_labels"] = list(self.review_labels)
        data["reason_spans"] = {label: [list(span) for span in spans] for label, spans in self.reason_spans.items()}
        return data


class TensionModel:
    """A fitted pipeline plus its metadata; use :func:`load_model` to get one from disk.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Fitted pipeline built by :func:`classifier.model.pipeline.build_pipeline`.
    metadata : dict, optional
        What ``metadata.json`` holds (labels, thresholds, metrics, versions...).
    review_band : float, optional
        Half-width of the band around each threshold inside which a report is flagged for review;
        defaults to the value saved with the model, else 0.15.
    training_rows : TrainingRows, optional
        The ids and text hashes of the reports it was trained and tested on (:mod:`classifier.model.provenance`);
        ``None`` when unknown (a model saved before models kept them).
    """

    def __init__(self, pipeline, metadata=None, review_band=None, training_rows=None):
        self.pipeline = pipeline
        self.metadata = dict(metadata or {})
        self.training_rows = training_rows
        band = review_band if review_band is not None else self.metadata.get("review_band", DEFAULT_REVIEW_BAND)
        self.review_band = checked_review_band(band)
        self._explainer = None

    @property
    def labels(self) -> list[str]:
        """Label names, in score column order."""
        return [str(label) for label in self.pipeline.named_steps[CLASSIFIER].classes_]

    @property
    def thresholds(self) -> dict[str, float]:
        """Decision threshold per label."""
        values = merged_thresholds(self.pipeline)
        return {label: float(t) for label, t in zip(self.labels, values, strict=True)}

    def predict(self, texts: Iterable[str], *, on_invalid: str = "raise", explain: bool = True,
                top_k: int = 5, max_chars: int | None = MAX_TEXT_CHARS) -> list[Prediction]:
        """Label each text.

        Parameters
        ----------
        texts : iterable of str
        on_invalid : {"raise", "flag"}, default="raise"
            What to do with an empty, non-string or too long item: raise a :class:`DataError` naming its
            position, or return an unclassified :class:`Prediction` whose ``status`` says why.
        explain : bool, default=True
            Find the words behind each assigned label and each label under review (``reasons``,
            ``reason_spans``): a reviewer deciding on a label the model nearly gave sees what pushed it.
        top_k : int, default=5
            Reasons per label explained.
        max_chars : int or None, default=MAX_TEXT_CHARS (20,000)
            Longer texts are invalid (status ``"text too long"``) and are never preprocessed; None
            lifts the cap.

        Returns
        -------
        list of Prediction, one per input, in order.
        """
        if on_invalid not in ON_INVALID:
            raise ConfigError(f"'on_invalid' must be one of {ON_INVALID}. Got {on_invalid!r}.")
        _check_max_chars(max_chars)
        if not isinstance(explain, bool | np.bool_):
            raise ConfigError(f"'explain' must be True or False. Got {explain!r}.")
        if not isinstance(top_k, Integral) or isinstance(top_k, bool) or top_k < 1:
            raise ConfigError(f"'top_k' must be a positive int (reasons per label). Got {top_k!r}.")
        top_k = int(top_k)
        items = _text_list(texts, "predict")
        statuses = [_status_of(item, max_chars) for item in items]
        if on_invalid == "raise":
            _raise_for_invalid(items, statuses, max_chars, " or pass on_invalid='flag' to get an unclassified result")
        valid = [i for i, status in enumerate(statuses) if status == STATUS_OK]
        results: list[Prediction | None] = [None] * len(items)
        if valid:
            for i, prediction in zip(valid, self._predict_valid([items[i] for i in valid], explain, top_k),
                                     strict=True):
                results[i] = prediction
        empty_scores = {label: float("nan") for label in self.labels}
        for i, status in enumerate(statuses):
            if status != STATUS_OK:
                results[i] = Prediction((), dict(empty_scores), True, {}, status)
        return results  # type: ignore[return-value]

    def predict_proba(self, texts: Iterable[str], *, max_chars: int | None = None) -> np.ndarray:
        """Calibrated probabilities, shape (n_texts, n_labels), columns in :attr:`labels` order.

        Every text must be a non-empty string (no longer than ``max_chars``, when given), else a
        :class:`DataError` names the first that is not; :meth:`predict` can flag such texts instead."""
        items = self._valid_texts(texts, "predict_proba", max_chars)
        if not items:
            return np.empty((0, len(self.labels)))
        return self.pipeline.predict_proba(items)

    def predict_proba_and_unfamiliar(self, texts: Iterable[str], *, max_chars: int | None = None
                                     ) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated probabilities, as :meth:`predict` scores them, and per text whether few or none of its words
        are known to the model (:attr:`Prediction.unfamiliar`), from one preprocessing pass. Texts are checked
        as :meth:`predict_proba` checks them."""
        items = self._valid_texts(texts, "predict_proba_and_unfamiliar", max_chars)
        if not items:
            return np.empty((0, len(self.labels))), np.zeros(0, dtype=bool)
        processed = self.pipeline.named_steps[PREPROCESS].transform(items)
        return self._scores(processed)[0], unfamiliar_texts(processed, word_vocabulary(self.pipeline))

    @staticmethod
    def _valid_texts(texts, caller: str, max_chars: int | None) -> list[str]:
        _check_max_chars(max_chars)
        items = _text_list(texts, caller)
        _raise_for_invalid(items, [_status_of(item, max_chars) for item in items], max_chars,
                           " or label it with predict(..., on_invalid='flag') to get an unclassified result")
        return items

    def _scores(self, processed) -> tuple[np.ndarray, object, tuple | None]:
        """The calibrated probabilities of preprocessed texts, their features (the reasons read them) and their
        passages' ``(features, owner)`` (``None`` when no text is long enough to have passages)."""
        classifier = self.pipeline.named_steps[CLASSIFIER]
        matrix, windows = pipeline_features(self.pipeline, processed)
        proba = classifier.predict_proba(matrix) if windows is None else classifier.predict_proba(matrix,
                                                                                                  windows=windows)
        return second_stage_proba(self.pipeline, proba, processed), matrix, windows

    def _predict_valid(self, texts, explain, top_k):
        steps = self.pipeline.named_steps
        preprocess = steps[PREPROCESS]
        if explain and hasattr(preprocess, "transform_with_spans"):
            processed, spans = preprocess.transform_with_spans(texts)
        else:
            processed = preprocess.transform(texts)
            if explain:  # a preprocessing step of another kind (e.g. plain lowercasing): find its tokens in the text
                spans = [_token_spans(text, tokens) for text, tokens in zip(texts, processed, strict=True)]
        proba, matrix, windows = self._scores(processed)
        thresholds = merged_thresholds(self.pipeline)
        labels = self.labels
        assigned = proba >= thresholds
        near = near_thresholds(proba, thresholds, self.review_band)
        explained = assigned | near  # the labels given and those under review get their words
        unfamiliar = unfamiliar_texts(processed, word_vocabulary(self.pipeline))
        top = None
        if explain:
            from classifier.model.reasons import ReportWords

            reports = [ReportWords(*report) for report in zip(texts, processed, spans, strict=True)]
            top = self._get_explainer().top_terms_batch(reports, matrix, explained, top_k)
            if windows is not None:
                self._passage_reasons(reports, matrix, windows, explained, top, top_k)
        for i in range(len(texts)):
            label_idx = np.flatnonzero(assigned[i])
            found = {labels[j]: top[i][j] for j in np.flatnonzero(explained[i])} if top is not None else {}
            yield Prediction(
                labels=tuple(labels[j] for j in label_idx),
                scores={label: _shown(p, threshold) for label, p, threshold in zip(labels, proba[i], thresholds,
                                                                                    strict=True)},
                needs_review=bool(near[i].any() or unfamiliar[i]),
                reasons={label: [reason.text for reason in reasons] for label, reasons in found.items()},
                status=STATUS_OK,
                review_labels=tuple(labels[j] for j in np.flatnonzero(near[i])),
                reason_spans={label: sorted({span for reason in reasons for span in reason.spans})
                              for label, reasons in found.items()},
                unfamiliar=bool(unfamiliar[i]),
            )

    def _passage_reasons(self, reports, matrix, windows, explained, top, top_k) -> None:
        """For each label a long report got from one of its passages (the passage's calibrated probability above
        the whole text's), the reasons of that passage instead of the whole text's, in ``top``: the words of the
        sentence that raised the score, not identity words from the rest of a long e-mail."""
        from classifier.model.reasons import PassageWords
        from classifier.model.windows import FIRST_PASSAGE_SETTINGS

        classifier = self.pipeline.named_steps[CLASSIFIER]
        size, stride, _ = getattr(self.pipeline, "passage_settings_", None) or FIRST_PASSAGE_SETTINGS
        X_windows, owner = windows
        wanted = np.flatnonzero(explained[owner].any(axis=1))  # passages of reports with labels to explain
        part = classifier.passage_proba(X_windows[wanted]) if len(wanted) else None
        if part is None:
            return
        owner, X_windows = owner[wanted], X_windows[wanted]
        long_reports = np.unique(owner)
        whole = classifier.predict_proba(matrix[long_reports])  # the whole texts alone, without their passages
        first_row = np.searchsorted(owner, long_reports)  # passages are in report order, then start order
        chosen: list[tuple[int, int, int]] = []  # (report, label, passage row)
        for n, report in enumerate(long_reports.tolist()):
            rows = np.flatnonzero(owner == report)
            for j in np.flatnonzero(explained[report]).tolist():
                best = rows[int(np.argmax(part[rows, j]))]
                if part[best, j] > whole[n, j]:
                    chosen.append((report, j, best))
        if not chosen:
            return
        # The passage's words and features rank the terms; a reason is shown every place it occurs in the report.
        passages, assigned = [], np.zeros((len(chosen), explained.shape[1]), dtype=bool)
        for k, (report, j, row) in enumerate(chosen):
            start = (row - first_row[np.searchsorted(long_reports, report)]) * stride
            passages.append(PassageWords(reports[report], start, size))
            assigned[k, j] = True
        found = self._get_explainer().top_terms_batch(passages, X_windows[[row for _, _, row in chosen]], assigned,
                                                      top_k)
        for (report, j, _), reasons in zip(chosen, found, strict=True):
            top[report][j] = reasons[j]

    def _get_explainer(self):
        if self._explainer is None:
            from classifier.model.explain import TermExplainer

            steps = self.pipeline.named_steps
            self._explainer = TermExplainer(steps[FEATURES], steps[CLASSIFIER].coef_)
        return self._explainer


def _token_spans(text: str, processed: str) -> list[tuple[int, int]]:
    """Where each token of ``processed`` occurs in ``text``, searched in order ignoring case, without the
    punctuation at its ends; an empty span at the current place for a token not written there as such."""
    lower, place, spans = text.lower(), 0, []
    if len(lower) != len(text):  # lowercasing changed the length (rare letters): search the text as written
        lower = text
    for token in processed.split():
        found = lower.find(token.lower() if lower is not text else token, place)
        if found < 0:
            spans.append((place, place))
            continue
        start, end = found, found + len(token)
        place = end
        while start < end - 1 and not text[start].isalnum():
            start += 1
        while end > start + 1 and not text[end - 1].isalnum():
            end -= 1
        spans.append((start, end))
    return spans


def word_vocabulary(pipeline) -> dict | None:
    """The word n-grams the pipeline's features step knows (from its training reports), or None when that step
    has no word vectorizer (another kind of pipeline: every report then counts as familiar)."""
    step = pipeline.named_steps.get(FEATURES)
    word = dict(getattr(step, "transformer_list", ())).get(WORD)
    return getattr(word, "vocabulary_", None)


#: Placeholders of the preprocessing that stand for no word: a text made of them only (a number, a date, a
#: link: what a wrong column or a broken export gives) has nothing for the model to read.
NOT_WORDS = frozenset(token for token in PLACEHOLDERS if not token.startswith(SLUR_TOKEN_PREFIX))


#: Lemmas of a report that only points elsewhere ("Please see attached photo.", "see link", "<Media omitted>",
#: "Voice note"): the report is in the attachment or link, which the model cannot open.
POINTER_WORDS = frozenset("""
    attach attachment photo pic picture image img screenshot screengrab video clip link file document doc pdf
    media medium omit voice audio recording
""".split())
#: Words that may stand beside them in such a report.
_POINTER_FILLER = frozenset("""
    please pls pl plz see here there attach the a an this that these those be is are of in on for from my our
    below above it its as per and with sent send i we have has re fw fwd thanks thank you note
""".split())


def points_elsewhere(tokens) -> bool:
    """Whether preprocessed ``tokens`` are only a pointer to an attachment or a link (and filler words).

    >>> points_elsewhere("please see attach photo".split()), points_elsewhere("see link xxurl".split())
    (True, True)
    >>> points_elsewhere("photo of the graffito attach".split())
    False
    """
    words = [token for token in tokens if any(char.isalpha() for char in token)]
    return (bool(words) and any(word in POINTER_WORDS for word in words)
            and all(word in POINTER_WORDS or word in _POINTER_FILLER or word in NOT_WORDS for word in words))


def unfamiliar_texts(processed, vocabulary, min_share=MIN_KNOWN_WORD_SHARE) -> np.ndarray:
    """Per preprocessed text, whether fewer than ``min_share`` of its tokens are in ``vocabulary``, or it has no
    word at all (only emoji, punctuation, numbers or links: no token of two letters or more but placeholders), or
    it only points to an attachment or a link (:func:`points_elsewhere`); never without a vocabulary.

    >>> unfamiliar_texts(["the bin be late", "wir brennen die moschee", "xxnum xxnum", "see attach"],
    ...                  {"the": 0, "bin": 1, "be": 2, "die": 3, "xxnum": 4, "see": 5, "attach": 6})
    array([False,  True,  True,  True])
    """
    out = np.zeros(len(processed), dtype=bool)
    if vocabulary is None:
        return out
    for i, text in enumerate(processed):
        tokens = text.split()
        has_word = any(token not in NOT_WORDS and sum(char.isalpha() for char in token) >= 2 for token in tokens)
        out[i] = (not has_word or sum(token in vocabulary for token in tokens) < min_share * len(tokens)
                  or points_elsewhere(tokens))
    return out


def near_thresholds(proba, thresholds, band) -> np.ndarray:
    """Per report and label, whether its score lies within ``band`` of the label's threshold: the rule behind
    *needs review* (a report needs review when any of its labels does)."""
    return np.abs(np.asarray(proba, dtype=float) - np.asarray(thresholds, dtype=float)) < band


def load_model(path=None, *, review_band=None) -> TensionModel:
    """Load a saved model folder (default ``models/default``) as a :class:`TensionModel`.

    Load only models you trust. A model file is a pickle; its SHA-256 is checked against ``metadata.json``
    before it is unpickled, and it is read through an allow-list of classes (this package's, scikit-learn's,
    NumPy's and SciPy's, and a few reconstruction helpers), so a file that asks for any other function
    (``os.system``, ``eval``) is refused before anything in it runs. The allow-list stops a model file from
    calling arbitrary code, not a crafted model from giving wrong answers.

    Raises
    ------
    ModelError
        Missing, corrupt or incompatible model; the message says how to fix it.
    """
    model_dir = resolve_model_dir(path)
    checked = read_model_file(model_dir)
    model = model_from_file(checked, review_band=review_band,
                            training_rows=read_training_rows(model_dir, checked.metadata))
    warn_if_read_differently(model_dir, checked.metadata)
    return model



def model_from_file(checked: CheckedModelFile, *, review_band=None, training_rows=None) -> TensionModel:
    """The :class:`TensionModel` of a model file read and checked by
    :func:`~classifier.model.persistence.read_model_file` (unpickled through the allow-list here, in this process).

    Raises
    ------
    ModelError
        As :func:`load_model`, for the checks of the unpickled object.
    """
    return TensionModel(pipeline_from_model_file(checked), checked.metadata, review_band=review_band,
                        training_rows=training_rows)


def predict(texts, model=None, **kwargs):
    """Label ``texts`` with ``model`` (a TensionModel, a model folder, or ``None`` for the default)."""
    if not isinstance(model, TensionModel):
        model = load_model(model)
    return model.predict(texts, **kwargs)


def _check_max_chars(max_chars) -> None:
    if max_chars is not None and (not isinstance(max_chars, Integral) or isinstance(max_chars, bool)
                                  or max_chars < 1):
        raise ConfigError(f"'max_chars' must be a positive int or None. Got {max_chars!r}.")


def _text_list(texts, caller: str) -> list:
    """`texts` as a list, or a `DataError` for what is not a sequence of texts (a string, a mapping, a set)."""
    if isinstance(texts, str) or getattr(texts, "ndim", None) == 0:  # a string, or a 0-d numpy array of one
        raise DataError(f"{caller}() expects a list of texts, got a single string. Wrap it: {caller}([text]).")
    if isinstance(texts, Set):
        raise DataError(f"{caller}() expects a list of texts in order, got a {type(texts).__name__}, which has no "
                        "order: the results could not be matched to the texts. Pass a list.")
    if hasattr(texts, "columns") and hasattr(texts, "iloc"):  # a pandas DataFrame iterates over its column names
        raise DataError(f"{caller}() expects a list of texts, got a DataFrame (iterating over it gives its column "
                        f"names, not its rows). Pass its text column: {caller}(frame['text'].tolist()).")
    if isinstance(texts, Mapping | bytes | bytearray) or not isinstance(texts, Iterable):
        raise DataError(f"{caller}() expects a list of texts, got {_a(type(texts).__name__)}. Pass a list (or "
                        f"another sequence) of strings, e.g. {caller}([text]) or {caller}(frame['text'].tolist()).")
    return list(texts)


def _raise_for_invalid(items, statuses, max_chars, way_out: str) -> None:
    """A `DataError` naming the first item whose status is not ok, and what to do about it."""
    for position, status in enumerate(statuses):
        if status == STATUS_TOO_LONG:
            raise DataError(
                f"Text at position {position} is {len(items[position]):,} characters long: expected at most "
                f"max_chars={max_chars:,}. Shorten it, pass a larger max_chars,{way_out}."
            )
        if status != STATUS_OK:
            raise DataError(f"Text at position {position} is {_describe(items[position])}: expected a non-empty "
                            f"string. Remove it, fill it in,{way_out}.")


#: A text of the characters the preprocessing drops as showing nothing (`INVISIBLE`) and whitespace alone is empty.
_NO_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE))


def _shown(probability: float, threshold: float) -> float:
    """A score as shown (4 decimals) on the side of its threshold it lies on: 0.60995 under a threshold of 0.61 is
    shown as 0.6099, not 0.61, which would read as reaching it."""
    shown = round(float(probability), 4)
    if probability < threshold <= shown:
        shown = math.floor(float(probability) * 10_000) / 10_000
    return shown


def _status_of(item, max_chars=None) -> str:
    if not isinstance(item, str):
        return STATUS_NOT_TEXT
    if max_chars is not None and len(item) > max_chars:
        return STATUS_TOO_LONG
    if not item.translate(_NO_INVISIBLE).strip():
        return STATUS_EMPTY
    return STATUS_OK


def _describe(item) -> str:
    if isinstance(item, str):
        return "empty" if not item else "only whitespace or invisible characters"
    return f"{_a(type(item).__name__)}, not a string"


def _a(noun: str) -> str:
    """``noun`` with its article: "an int", "a list"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
