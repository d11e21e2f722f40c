"""A second stage for the labels aimed at people: it reads the linear scores together with which groups a
report names and how hostile it is once every group's name is hidden.

One linear score over words can only add up a group's name and hostile words, so a neutral sentence about a
group whose name co-occurs with hate in the corpus drifts up, and a short threat with few hostile words stays
low. Per hate label the second stage fits shallow gradient-boosted trees over

* **S**: the logit of every label's stage-1 (linear, calibrated) probability;
* **G**: whether the report names a faith, a place of worship, a nationality or ethnicity, a migration status,
  and its length (log of words);
* **H**: a group-blind hostility score: a logistic regression for "any hate label" over the preprocessed text
  with every group's name replaced by :data:`GROUP_TOKEN`, its rows weighted by the square root of their
  training weight (a no-label report that names a group counts 2.45 times, against 6 in the linear model). It
  also learns from a copy of each no-label report with the token put before one person in it ("a man found a
  wallet" -> "a grp man found a wallet"): in the corpus a person described by group is mostly a hate report's
  victim, and without the copies the token alone read as hostile.

The trees may only raise a label's score as its own stage-1 score or H rises (monotone constraints): a neutral
sentence pattern cannot be turned hostile for one group by the others' scores. The stage is fitted on the
stage-1 model's out-of-fold scores, Platt-calibrated on its own out-of-fold scores and thresholded there, as
stage 1 is. Figures: ``docs/model_choices.md``, "A second stage over the linear scores".
"""

from __future__ import annotations

import re
from itertools import accumulate

import numpy as np
from sklearn.base import BaseEstimator

#: The labels aimed at people for who they are: the only ones the second stage rescores, and the ones whose
#: union the hostility score predicts. Others (Israel/Palestine, misinformation, a team's own) keep stage 1.
HATE_LABELS = ("immigration", "race_hate", "religious_hate")
#: What every group's name becomes in the text the hostility score reads.
GROUP_TOKEN = "grp"
#: What a phrase that sets a person's group apart without naming it ("his sort", "your lot", "people like you")
#: becomes there, with :attr:`HateSecondStage.othering`: one token for all of them, so that the hostility score
#: learns them together (each alone is too rare in the corpus to enter its vocabulary).
OTHERING_TOKEN = "xxothers"
#: Those phrases in preprocessed text (lemmas, lower case): a possessive before "sort", "lot" or "kind" not
#: followed by "of" ("that sort of thing" is not one; "her kind" only before a verb or the end, not "her kind
#: words"), "you people", and "people like" before a pronoun.
_OTHERING = re.compile(
    r"\b(?:(?:his|her|their|your|that) (?:sort|lot)\b(?! of\b)"
    r"|(?:his|her|their|your) kind\b(?= (?:be|should|need|must|can|will|go|get|leave|out|not|do|never|always|back"
    r"|here|there|round|around|ruin|take|bring|come|stay|belong|want)\b|$)"
    r"|you people\b|people like (?:you|them|him|her|that|this)\b)")
#: Words naming a migration status; "illegal" flags a report too but is not hidden.
MIGRATION_WORDS = (
    "migrant", "migrants", "immigrant", "immigrants", "refugee", "refugees", "asylum", "asylum seeker",
    "asylum seekers", "migrant worker", "migrant workers", "international student", "international students",
    "foreigner", "foreigners", "newcomer", "newcomers", "new arrival", "new arrivals", "expat", "expats",
    "emigrant", "emigrants", "illegals",
)
#: Person nouns (lemmas) before which a no-label report's copy gets :data:`GROUP_TOKEN`, after a determiner or a
#: number and an optional age word ("the old man", "xxnum woman").
PERSON_NOUNS = (
    "man", "men", "woman", "women", "lad", "boy", "girl", "family", "couple", "lady", "guy", "bloke", "neighbour",
    "driver", "mum", "dad", "kid", "teenager", "student", "tenant", "shopkeeper", "worker", "gentleman",
    "pensioner", "youth", "child", "children", "owner", "landlord", "cleaner", "postman", "nurse", "doctor",
    "teacher", "resident", "people", "parent", "pupil", "customer", "passenger",
)
_PERSON = re.compile(r"\b(?:a|an|the|my|our|his|her|their|this|that|two|three|some|one|these|those|few|xxnum)\s+"
                     r"(?:(?:young|old|elderly|little|teenage|new|local)\s+)?(" + "|".join(PERSON_NOUNS) + r")\b")
_EXTRA_GROUP_WORDS = ("gypsy", "gypsies", "traveller", "jews", "jew", "asians", "arabs", "africans", "indians",
                      "pakistanis")
#: Inputs per report besides the stage-1 scores: four group kinds, log length, hostility.
N_CONTEXT = 6


def group_words() -> tuple[str, ...]:
    """Every group name the hostility score does not see: the identity terms of faiths, places of worship,
    nationalities and ethnicities, the counterfactual swap terms, migration words, and singular forms (the
    preprocessed text holds lemmas)."""
    from classifier.model.identity_terms import IDENTITY_TERM_GROUPS, SWAP_TERMS

    words: set[str] = set()
    for group in ("religion", "nationality_ethnicity", "faith_building"):
        words.update(IDENTITY_TERM_GROUPS[group])
    for pairs in SWAP_TERMS.values():
        for pair in pairs:
            words.update(word for word in pair if word)
    words.update(MIGRATION_WORDS)
    words.update({word[:-1] for word in list(words) if word.endswith("s") and len(word) > 4})
    words.update(_EXTRA_GROUP_WORDS)
    return tuple(sorted(words))


def describe_person(masked: str, rng) -> str | None:
    """``masked`` (preprocessed, group names hidden) with :data:`GROUP_TOKEN` put before one of its person nouns,
    chosen with ``rng``; ``None`` when there is none. A person noun counts only right after a determiner or an age
    word, so one already described ("a grp man") never does.

    Examples
    --------
    >>> import random
    >>> describe_person("a man find a wallet on the bus", random.Random(0))
    'a grp man find a wallet on the bus'
    >>> describe_person("bin not collect again", random.Random(0)) is None
    True
    """
    found = list(_PERSON.finditer(masked))
    if not found:
        return None
    start = rng.choice(found).start(1)
    return f"{masked[:start]}{GROUP_TOKEN} {masked[start:]}"


_WORDS_AND_GAPS = re.compile(r"(\W+)")


class TermIndex:
    """Finds whole-word terms (one or more words, joined by spaces or a hyphen) in a text, ignoring case, as a
    word-bounded regular expression of the terms, longest first, would; by looking words up, several times faster.

    ``terms`` maps each term to a value (its kind); :meth:`find` returns ``(start, end, value)`` per match, left
    to right, never overlapping.
    """

    def __init__(self, terms: dict):
        self.terms = dict(terms)
        self._first: dict[str, list[tuple[tuple[str, ...], tuple[str, ...], object]]] = {}
        for term, value in self.terms.items():
            words = re.split(r"([ -])", term.lower())
            self._first.setdefault(words[0], []).append((tuple(words[2::2]), tuple(words[1::2]), value))
        for candidates in self._first.values():
            candidates.sort(key=lambda c: -sum(len(w) + 1 for w in c[0]))  # longest first

    def find(self, text: str) -> list[tuple[int, int, object]]:
        lower = text.lower()
        if len(lower) != len(text):  # lowercasing changed the length (rare letters): match the text as written
            lower = text
        # Words at even positions, the runs of other characters between them at odd ones (as \w+ cuts them).
        parts = _WORDS_AND_GAPS.split(lower)
        first = self._first
        hits = [k for k, part in enumerate(parts) if part in first]  # only words are keys
        if not hits:
            return []
        ends = list(accumulate(map(len, parts)))
        found, done = [], 0
        for k in hits:
            if k < done:  # inside the previous match
                continue
            for rest, separators, value in first[parts[k]]:
                last = k + 2 * len(rest)
                if last >= len(parts):
                    continue
                for step, (next_word, separator) in enumerate(zip(rest, separators, strict=True)):
                    gap = parts[k + 2 * step + 1]
                    if parts[k + 2 * step + 2] != next_word or not (gap == "-" if separator == "-" else gap.isspace()):
                        break
                else:
                    found.append((ends[k] - len(parts[k]), ends[last], value))
                    done = last + 1
                    break
        return found


class GroupMasker:
    """Hides group names in preprocessed text and says which kinds of group a text names.

    The words and the kinds' terms are fixed when a model is fitted and saved with it, so a later change to the
    term lists does not change a saved model's scores; the term indexes are built on first use and not pickled.
    ``kinds`` maps each term :meth:`context` looks for to its kind (default: :func:`_kinds` of the term lists now).
    With ``othering``, :meth:`mask` also replaces the phrases of :data:`_OTHERING` by :data:`OTHERING_TOKEN`.
    """

    def __init__(self, words, kinds=None, othering=False):
        self.words = tuple(words)
        self.kinds = dict(_kinds() if kinds is None else kinds)
        self.othering = othering

    def mask(self, texts) -> list[str]:
        """``texts`` with every group name replaced by :data:`GROUP_TOKEN` (and, with :attr:`othering`, every
        othering phrase by :data:`OTHERING_TOKEN`)."""
        index = self._indexes()[0]
        out = []
        for text in texts:
            if self.othering:
                text = _OTHERING.sub(OTHERING_TOKEN, text)
            found = index.find(text)
            if not found:
                out.append(text)
                continue
            pieces, place = [], 0
            for start, end, _ in found:
                pieces += (text[place:start], GROUP_TOKEN)
                place = end
            pieces.append(text[place:])
            out.append("".join(pieces))
        return out

    def context(self, texts) -> np.ndarray:
        """Per text: names a faith, a place of worship, a nationality or ethnicity, a migration status (0/1);
        log(1 + words)."""
        index = self._indexes()[1]
        out = np.zeros((len(texts), N_CONTEXT - 1))
        for i, text in enumerate(texts):
            for _, _, kind in index.find(text):
                out[i, kind] = 1
            out[i, 4] = np.log1p(len(text.split()))
        return out

    def _indexes(self):
        indexes = self.__dict__.get("_built")
        if indexes is None:
            indexes = self._built = (TermIndex(dict.fromkeys(self.words, 0)), TermIndex(self.kinds))
        return indexes

    def __getstate__(self):
        return {"words": self.words, "kinds": self.kinds, "othering": self.othering}

    def __setstate__(self, state):
        # Saved before the kinds were saved with the model: the term lists' kinds, as it was then read; before
        # the othering phrases: none.
        self.__dict__.update({"kinds": _kinds(), "othering": False, **state})


_openmp_controller = None


def _one_openmp_thread():
    """A context in which OpenMP (the trees' fits and predictions) uses one thread in the calling thread (OpenMP's
    limit is a thread's own): small fits otherwise wait on OpenMP's thread pool. The controller, which scans the
    process's libraries (about 4 ms, as long as a small tree fit), is made once, after the trees' module has
    loaded OpenMP."""
    global _openmp_controller
    if _openmp_controller is None:
        import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime the controller must see)
        from threadpoolctl import ThreadpoolController

        _openmp_controller = ThreadpoolController()
    return _openmp_controller.limit(limits=1, user_api="openmp")


def _in_threads(func, tasks) -> list:
    """``[func(task) for task in tasks]``, run on as many threads as the process may use CPUs, each limited to one
    OpenMP thread (the fits here release the GIL)."""
    from joblib import Parallel, delayed

    from classifier.io.cpus import usable_cpus

    def run(task):
        with _one_openmp_thread():
            return func(task)

    jobs = max(1, min(usable_cpus(), len(tasks)))
    if jobs == 1:
        return [run(task) for task in tasks]
    return Parallel(n_jobs=jobs, prefer="threads")(delayed(run)(task) for task in tasks)


def _weighted_quantiles(values, weight, n_bins) -> np.ndarray:
    """Up to ``n_bins - 1`` distinct inner bin edges: midpoints between the distinct values when there are few,
    else weighted quantiles."""
    distinct = np.unique(values)
    if len(distinct) <= n_bins:
        return (distinct[:-1] + distinct[1:]) / 2
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weight[order])
    targets = cumulative[-1] * np.arange(1, n_bins) / n_bins
    return np.unique(values[order][np.searchsorted(cumulative, targets)])


def _fewest_groups(y, groups) -> int:
    """The smaller of the numbers of groups with and without the label."""
    y = np.asarray(y).astype(bool)
    return min(len(np.unique(groups[y])), len(np.unique(groups[~y])))


def _kinds() -> dict[str, int]:
    """Each term :meth:`GroupMasker.context` looks for, and its kind: 0 a faith, 1 a place of worship, 2 a
    nationality or ethnicity, 3 a migration status (which wins for words in two lists, e.g. "refugee")."""
    from classifier.model.identity_terms import IDENTITY_TERM_GROUPS

    kinds: dict[str, int] = {}
    for kind, group in enumerate(("religion", "faith_building", "nationality_ethnicity")):
        kinds.update(dict.fromkeys(IDENTITY_TERM_GROUPS[group], kind))
    kinds.update(dict.fromkeys((*MIGRATION_WORDS, "illegal"), 3))
    return kinds


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class HateSecondStage(BaseEstimator):
    """Rescores the hate labels of a fitted stage-1 model (see the module docstring).

    Parameters
    ----------
    labels : sequence of str, default=HATE_LABELS
        Labels to rescore (those the training data has); the hostility score predicts their union.
    max_iter, max_depth, learning_rate : boosted-tree settings, chosen by cross-validation in the train split.
    max_bins : int, default=255
        Bins per input, at weighted quantiles of the training rows (fixed once, not per fit).
    C : float, default=4.0
        Inverse regularisation of the hostility score's logistic regression.
    hostility_weight_power : float, default=0.5
        The hostility score weighs each training row by its ``sample_weight`` to this power: 1 as the linear model
        and the trees do, 0 not at all. 0.5 was chosen by cross-validation in the train split and the fairness
        gate (``docs/model_choices.md``).
    hostility_chars : bool, default=False
        The hostility score reads character n-grams as well as word unigrams and bigrams; by default words only
        (as fast, and it recalls more hostile sentences: ``docs/model_choices.md``).
    person_copies : int, default=1
        Copies per no-label report, each with the group token before one person noun (:func:`describe_person`),
        that the hostility score also learns from, weighted as a no-label report that names a group; 0: none.
    othering : bool, default=False
        The hostility score reads phrases that set a person's group apart without naming it ("his sort", "your
        lot", "people like you") as one token, :data:`OTHERING_TOKEN`.
    hostility_binary : bool, default=False
        The hostility score reads which word n-grams a report holds (each its IDF weight once, not scaled by the
        report's length) instead of their TF-IDF weights scaled to unit length.
    cv : int, default=5
        Folds for the out-of-fold scores that calibrate and threshold each label.
    random_state : int, default=0

    Attributes
    ----------
    columns_ : ndarray of int
        Positions of the rescored labels among the stage-1 model's labels.
    thresholds_ : ndarray
        Threshold per rescored label, on its calibrated score.
    oof_proba_ : ndarray of shape (n_rows, n_rescored)
        Calibrated out-of-fold probabilities on the training rows.
    """

    def __init__(self, labels=HATE_LABELS, max_iter=60, max_depth=3, learning_rate=0.125, max_bins=255, C=4.0,
                 hostility_weight_power=0.5, hostility_chars=False, person_copies=1, othering=False,
                 hostility_binary=False, cv=5, random_state=0):
        self.labels = labels
        self.max_iter = max_iter
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.max_bins = max_bins
        self.C = C
        self.hostility_weight_power = hostility_weight_power
        self.hostility_chars = hostility_chars
        self.person_copies = person_copies
        self.othering = othering
        self.hostility_binary = hostility_binary
        self.cv = cv
        self.random_state = random_state

    def __setstate__(self, state):
        state.setdefault("hostility_chars", True)  # saved before the option existed
        state.setdefault("hostility_weight_power", 0.0)  # fitted before the hostility score was weighted
        state.setdefault("person_copies", 0)  # fitted before the copies with a described person
        state.setdefault("othering", False)  # fitted before the othering phrases
        state.setdefault("hostility_binary", False)  # fitted before the option
        super().__setstate__(state)

    def fit(self, processed, stage1_oof, Y, label_names, *, sample_weight=None, groups=None,
            min_threshold=0.1, max_threshold=0.9):
        """Fit on the training rows.

        ``processed`` are the preprocessed reports; ``stage1_oof`` the stage-1 model's
        calibrated out-of-fold probabilities of every label (columns in ``label_names`` order); ``Y`` the
        indicator matrix; ``groups`` the source report of each row (a report and its counterfactual copies share
        one: they fall in one fold, and copies share their source's hostility score).
        """
        from classifier.model.estimator import _best_threshold, _fit_sigmoid, _sigmoid, _stratified_folds

        label_names = [str(label) for label in label_names]
        Y = np.asarray(Y)
        n = len(processed)
        groups = np.arange(n) if groups is None else np.asarray(groups)
        weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.label_names_ = label_names
        # A label with fewer than `cv` source reports on either side cannot be cross-validated: it keeps stage 1.
        self.columns_ = np.asarray([label_names.index(label) for label in self.labels if label in label_names
                                    and _fewest_groups(Y[:, label_names.index(label)], groups) >= self.cv],
                                   dtype=int)
        self.masker_ = GroupMasker(group_words(), othering=self.othering)
        self.hostility_ = None
        self.models_, self.calibration_ = [], np.zeros((len(self.columns_), 2))
        self.thresholds_ = np.zeros(len(self.columns_))
        self.oof_proba_ = np.zeros((n, len(self.columns_)))
        if not len(self.columns_):
            return self
        h = self._fit_hostility(processed, Y[:, self.columns_].max(axis=1), groups, weight)
        raw = self._inputs(stage1_oof, processed, h)
        self.bin_edges_ = [_weighted_quantiles(column, weight, self.max_bins) for column in raw.T]
        X = self._binned(raw)
        n_labels = len(label_names)
        tasks = []  # (label position, held-out rows or None for the final fit, rows to fit on)
        for k, j in enumerate(self.columns_):
            y = Y[:, j].astype(int)
            folds = _stratified_folds(y, self.cv, self.random_state, groups)
            tasks += [(k, held, fit_rows) for fit_rows, held in folds]
            tasks.append((k, None, np.arange(n)))

        def fit_one(task):
            k, _, rows = task
            y = Y[rows, self.columns_[k]].astype(int)
            return self._trees(self.columns_[k], n_labels).fit(X[rows], y, sample_weight=weight[rows])

        fitted = _in_threads(fit_one, tasks)
        oof = np.zeros((n, len(self.columns_)))
        with _one_openmp_thread():  # small predictions: OpenMP's pool would only spin on another core
            for (k, held, _), model in zip(tasks, fitted, strict=True):
                if held is None:
                    self.models_.append(model)
                else:
                    oof[held, k] = model.predict_proba(X[held])[:, 1]
        for k, j in enumerate(self.columns_):
            y = Y[:, j].astype(int)
            a, b = _fit_sigmoid(_logit(oof[:, k]), y)
            self.calibration_[k] = (a, b)
            self.oof_proba_[:, k] = _sigmoid(a * _logit(oof[:, k]) + b)
            self.thresholds_[k] = _best_threshold(self.oof_proba_[:, k], y, min_threshold, max_threshold, weight)
        return self

    def rescore(self, proba, processed) -> np.ndarray:
        """A copy of the stage-1 probabilities ``proba`` of the preprocessed reports ``processed``, with the
        rescored labels' columns replaced."""
        from classifier.model.estimator import _sigmoid

        proba = np.array(proba, dtype=float, copy=True)
        if not len(self.columns_) or not len(proba):
            return proba
        h = self.hostility_.decision_function(self.masker_.mask(processed))
        X = self._binned(self._inputs(proba, processed, h))
        with _one_openmp_thread():
            for k, j in enumerate(self.columns_):
                a, b = self.calibration_[k]
                proba[:, j] = _sigmoid(a * _logit(self.models_[k].predict_proba(X)[:, 1]) + b)
        return proba

    def merged_thresholds(self, stage1_thresholds) -> np.ndarray:
        """The stage-1 thresholds with the rescored labels' replaced by this stage's."""
        thresholds = np.array(stage1_thresholds, dtype=float, copy=True)
        thresholds[self.columns_] = self.thresholds_
        return thresholds

    def _fit_hostility(self, processed, hostile, groups, weight) -> np.ndarray:
        """Fit the hostility score on one row per source report, weighted by that report's training weight to the
        power :attr:`hostility_weight_power`, and on the no-label reports' copies with a described person;
        return its out-of-fold score for every row (a copy is fitted on with its source, never scored).

        A long report's score is the larger of its whole text's and its most hostile passage's (as stage 1
        scores long reports), so one hostile sentence in a long e-mail is not diluted away."""
        from scipy import sparse
        from sklearn.model_selection import StratifiedKFold

        from classifier.model.features import build_features
        from classifier.model.windows import features_with_passages

        _, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
        masked = self.masker_.mask([processed[i] for i in first])
        target, weight = hostile[first], weight[first] ** self.hostility_weight_power
        source, copies = self._person_copies(masked, target)
        # A copy names a group and has no label: it weighs what the heaviest no-label report does.
        copy_weight = np.full(len(copies), weight[target == 0].max() if (target == 0).any() else 1.0)
        features = build_features(min_df=2, **({} if self.hostility_chars else {"char_ngram_range": None}))
        if self.hostility_binary:
            features.set_params(**{f"{name}__{key}": value for name, _ in features.transformer_list
                                   for key, value in (("binary", True), ("norm", None))})
        # A copy counts as its source report for min_df: no name of one report enters the vocabulary through it.
        features.fit(masked + copies, groups=np.concatenate([np.arange(len(masked)), np.asarray(source, dtype=int)]))
        matrix, passages = features_with_passages(features, masked)
        copy_matrix = features.transform(copies) if copies else None
        h = np.zeros(len(first))
        folds = []
        if min(target.sum(), len(target) - target.sum()) >= self.cv:
            folds = list(StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state).split(matrix, target))
        final = [np.arange(len(target))] if 0 < target.sum() < len(target) else []

        def fit(rows):
            if copy_matrix is None:
                return self._hostility_regression().fit(matrix[rows], target[rows], sample_weight=weight[rows])
            mine = np.isin(source, rows)
            X = sparse.vstack([matrix[rows], copy_matrix[mine]]).tocsr()
            y = np.concatenate([target[rows], target[source[mine]]])
            w = np.concatenate([weight[rows], copy_weight[mine]])
            return self._hostility_regression().fit(X, y, sample_weight=w)

        fitted = _in_threads(fit, [fit_rows for fit_rows, _ in folds] + final)
        for (_, held), regression in zip(folds, fitted, strict=False):
            held_passages = None
            if passages is not None:  # the held reports' passages, owned by their place among the held rows
                keep = np.isin(passages[1], held)
                held_passages = (passages[0][keep], np.searchsorted(held, passages[1][keep]))
            h[held] = _Hostility.combine(regression, matrix[held], held_passages)
        regression = fitted[-1] if final else None
        self.hostility_ = _Hostility(features, regression)
        return h[inverse]

    def _person_copies(self, masked, target) -> tuple[np.ndarray, list[str]]:
        """The source row and text of :attr:`person_copies` copies of each no-label masked report that names a
        person (:func:`describe_person`), distinct per report."""
        import random

        rng = random.Random(self.random_state)
        source, copies = [], []
        for row in np.flatnonzero(target == 0) if self.person_copies else ():
            seen = {masked[row]}
            for _ in range(self.person_copies):
                copy = describe_person(masked[row], rng)
                if copy is not None and copy not in seen:
                    seen.add(copy)
                    source.append(row)
                    copies.append(copy)
        return np.asarray(source, dtype=int), copies

    def _hostility_regression(self):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear")

    def _inputs(self, proba, texts, h) -> np.ndarray:
        return np.hstack([_logit(np.asarray(proba, dtype=float)), self.masker_.context(texts), h[:, None]])

    def _binned(self, X) -> np.ndarray:
        """Each input replaced by its bin's number (the bins fixed at fit): the trees then split on at most
        ``max_bins`` values per input and skip their own binning, slow with weighted rows."""
        return np.column_stack([np.searchsorted(edges, column, side="right")
                                for edges, column in zip(self.bin_edges_, X.T, strict=True)]).astype(float)

    def _trees(self, column, n_labels):
        """Shallow boosted trees that never decrease in the label's own stage-1 score nor in the hostility
        score (the last input)."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        increasing = [0] * (n_labels + N_CONTEXT)
        increasing[column] = increasing[-1] = 1
        return HistGradientBoostingClassifier(
            max_depth=self.max_depth, max_iter=self.max_iter, learning_rate=self.learning_rate, min_samples_leaf=20,
            l2_regularization=1.0, class_weight="balanced", early_stopping=False, random_state=self.random_state,
            monotonic_cst=increasing, max_bins=self.max_bins,
        )


class _Hostility:
    """The fitted hostility score: features of the masked text and a logistic regression (none when the
    training rows held one class only: the score is then 0)."""

    def __init__(self, features, regression):
        self.features = features
        self.regression = regression

    def decision_function(self, masked) -> np.ndarray:
        """Per masked report, the larger of its whole text's and its passages' scores."""
        from classifier.model.windows import features_with_passages

        if self.regression is None:
            return np.zeros(len(masked))
        return self.combine(self.regression, *features_with_passages(self.features, masked))

    @staticmethod
    def combine(regression, matrix, passages) -> np.ndarray:
        """``regression``'s score of each row of ``matrix``, raised to its best passage's (``(X, owner)``)."""
        from classifier.model.estimator import _max_per_owner

        scores = regression.decision_function(matrix)
        if passages is not None and len(passages[1]):
            scores = np.maximum(scores, _max_per_owner(regression.decision_function(passages[0]), passages[1],
                                                       matrix.shape[0]))
        return scores
