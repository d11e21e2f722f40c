"""The model registry: every model folder under ``models/``, which one is the default, and safe promotion.

Layout (``models/`` is ``$TENSION_MODELS_DIR`` when set)::

    models/
        <name>/                 one folder per trained model (model.pkl.gz, metadata.json, MODEL_CARD.md)
        DEFAULT_MODEL           one line: the name of the default model (written by ``tension promote``)
        PREVIOUS_MODEL          the defaults before the current one, one name per line, the latest last
        promotions.jsonl        one JSON line per promotion or rollback: when, what, from what, scores

Without ``DEFAULT_MODEL`` the default is ``models/default``, as before the registry existed.
``load_model()`` with no path and ``tension label`` without ``--model`` use the default
(:func:`classifier.model.persistence.default_model_dir`).

``PREVIOUS_MODEL`` is a stack: a promotion pushes the default it replaces, a rollback pops the latest one and
makes it the default, so a second rollback goes one further back (or says there is nothing left) instead of
flipping back. Both pointer files hold plain folder names of this folder (no path separators, no ``..``), and
only real folders (not symbolic links) whose model verifies (:func:`classifier.model.persistence.load_pipeline`) can
become the default. ``tension models`` shows scores only for models that verify, each with the test reports it
comes from, so that figures measured on different reports are not read as comparable.

A promotion scores the candidate and the current default on the same reports, and only on those that neither
trained on (:func:`classifier.evaluation.compare.compare_models`): each model's ``rows.json`` names its training
reports by text hash; for a model saved before models kept them, its training split is rebuilt from the files
and split recorded in its metadata (:func:`training_hashes`).
"""

from __future__ import annotations

import json
import os
import secrets
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from classifier.errors import ConfigError, DataError, ModelError
from classifier.io.atomic import write_text
from classifier.io.records import text_sha256
from classifier.model.persistence import (
    DEFAULT_MODEL_NAME,
    DEFAULT_POINTER_FILE,
    METADATA_FILE,
    load_pipeline,
    models_dir,
    read_metadata,
    read_training_rows,
)

PREVIOUS_POINTER_FILE = "PREVIOUS_MODEL"
HISTORY_FILE = "promotions.jsonl"


@dataclass
class ModelEntry:
    """One model folder of the registry, as ``tension models`` lists it."""

    name: str
    path: Path
    created: str | None = None
    data: list[dict] = field(default_factory=list)  # [{"path", "sha256"}]
    macro_f1: float | None = None
    is_default: bool = False
    is_previous: bool = False
    problem: str | None = None  # why the model does not verify (its figures are then not shown)
    verified: bool = False  # the folder is real, its files check out and it loads as a fitted model
    evaluation_rows: int | None = None  # how many test reports macro_f1 comes from
    evaluation_digest: str | None = None  # which ones (TrainingRows.evaluation_digest); None: not recorded


@dataclass
class Promotion:
    """What :func:`promote` or :func:`rollback` did."""

    name: str
    previous: str | None
    forced: bool = False
    comparison: dict | None = None  # compare_models(previous, name, ...) when there was a default to beat
    evaluated_on: str | None = None
    reason: str | None = None  # why it was promoted (required to override the fairness gate)
    identity_suite: dict | None = None  # the fairness gate's figures: candidate, previous default, limits
    fairness_overridden: list[str] = field(default_factory=list)  # the gate's objections, when forced past them
    not_compared: str | None = None  # why a forced promotion was made without a comparison
    next_rollback: str | None = None  # the model a rollback from here would restore (None: nothing left)


def current_default() -> str | None:
    """The default model's name: ``DEFAULT_MODEL``'s content, else ``"default"`` if that folder exists."""
    pointer = _read_pointer(DEFAULT_POINTER_FILE)
    if pointer is not None:
        return pointer
    return DEFAULT_MODEL_NAME if (models_dir() / DEFAULT_MODEL_NAME / METADATA_FILE).is_file() else None


def check_not_registered(out_dir) -> None:
    """Refuse to train into the folder of the promoted default or of a model a rollback would restore.

    Once ``tension promote`` has run (``DEFAULT_MODEL`` exists), a model becomes the default only through it:
    training over the default's folder would skip the comparison and the fairness gate, and training over a
    rollback target would change what a rollback restores. Before any promotion, ``models/default`` is simply
    retrained (the README's first command does that).

    Raises
    ------
    ConfigError
        `out_dir` is one of those folders.
    """
    target = Path(out_dir).resolve()
    # The registry in use, and the one the folder itself sits in (a path into another project's models folder,
    # given from elsewhere): neither registry's default nor its rollback targets.
    for root in dict.fromkeys([models_dir().resolve(), target.parent]):
        _check_not_registered_in(root, target, out_dir)


def _check_not_registered_in(root: Path, target: Path, out_dir) -> None:
    current = _read_pointer(DEFAULT_POINTER_FILE, root)
    if current is None:
        return
    for name, what in [(current, "the default model"), *((n, "a model `tension promote --rollback` may restore")
                                                        for n in _previous_stack(root))]:
        if target == root / name:
            raise ConfigError(
                f"'{out_dir}' is {what}; training over it would bypass `tension promote` (its comparison and "
                "fairness gate). Train into a new folder (leave out --out for a dated one), then "
                "`tension promote NAME`."
            )


def previous_default() -> str | None:
    """The name of the default before the current one (the one ``--rollback`` returns to), if any."""
    order = rollback_order()
    return order[0] if order else None


def rollback_order() -> list[str]:
    """The models successive rollbacks would restore, the next one first (the current default never)."""
    current = current_default()
    return [name for name in reversed(_previous_stack()) if name != current]


def list_models() -> list[ModelEntry]:
    """Every model folder under ``models/`` (those with a ``metadata.json``), newest first."""
    root = models_dir()
    if not root.is_dir():
        return []
    default, previous = current_default(), previous_default()
    entries = []
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or folder.name.startswith(".") or not (folder / METADATA_FILE).exists():
            continue
        entry = ModelEntry(folder.name, folder, is_default=folder.name == default,
                           is_previous=folder.name == previous)
        try:
            meta = read_metadata(folder)
            entry.created = meta.get("created")
            entry.data = list(meta.get("data") or [])
            # metadata.json is not covered by any hash: its scores are shown only for a model that verifies.
            load_pipeline(folder)
        except ModelError as exc:
            entry.problem = str(exc)
        else:
            entry.verified = True
            entry.macro_f1 = (meta.get("metrics") or {}).get("macro", {}).get("f1")
            rows = read_training_rows(folder, meta)  # verified by load_pipeline
            entry.evaluation_rows = len(rows.test_hashes) if rows else (meta.get("rows") or {}).get("test")
            entry.evaluation_digest = rows.evaluation_digest if rows else None
        entries.append(entry)
    return sorted(entries, key=lambda e: (e.created or "", e.name), reverse=True)


def format_models(entries: list[ModelEntry]) -> str:
    """The registry as a plain-text table."""
    if not entries:
        return f"No models in '{models_dir()}'. Train one: tension train data/reports.csv --out {models_dir()}/NAME"
    width = max(len("name"), *(len(e.name) for e in entries))
    tags = _evaluation_tags(entries)
    lines = [f"  {'name':<{width}}  {'created':<25}  {'macro-F1':>8}  {'on test rows':<14}  data (sha256)"]
    for e in entries:
        mark = "*" if e.is_default else ("<" if e.is_previous else " ")
        if e.problem or not e.verified:
            lines.append(f"{mark} {e.name:<{width}}  unverified (no scores shown): {e.problem or 'not checked'}")
            continue
        f1 = f"{e.macro_f1:.3f}" if isinstance(e.macro_f1, int | float) else "-"
        rows = f"[{tags.get(e.evaluation_digest, '?')}] {e.evaluation_rows if e.evaluation_rows is not None else '-'}"
        data = ", ".join(f"{Path(d.get('path', '?')).name} {str(d.get('sha256', ''))[:12]}" for d in e.data)
        lines.append(f"{mark} {e.name:<{width}}  {e.created or '-':<25}  {f1:>8}  {rows:<14}  {data}")
    lines.append("* default (used by 'tension label' and load_model()), < previous default (promote --rollback)")
    shown = [e for e in entries if e.verified and not e.problem]
    if len(tags) > 1 or (tags and any(e.evaluation_digest is None for e in shown)):
        lines.append("Each macro-F1 is on its model's own test rows: [a], [b]... name the sets of rows, and figures "
                     "with different letters (or [?], rows not recorded) come from different reports, so they are "
                     "not comparable. To compare two models on the same reports: tension compare A B DATA")
    elif shown:
        lines.append("Every macro-F1 shown is on the same test rows.")
    order = rollback_order()
    if order:
        then = f" (then {', '.join(repr(name) for name in order[1:])})" if len(order) > 1 else ""
        lines.append(f"tension promote --rollback would restore '{order[0]}'{then}.")
    elif current_default() is not None:
        lines.append("tension promote --rollback: nothing to roll back to.")
    return "\n".join(lines)


def _evaluation_tags(entries: list[ModelEntry]) -> dict[str, str]:
    """A letter per distinct set of test rows among the models shown, in the order they are listed."""
    tags: dict[str, str] = {}
    for e in entries:
        if e.verified and not e.problem and e.evaluation_digest and e.evaluation_digest not in tags:
            tags[e.evaluation_digest] = _letters(len(tags))
    return tags


def _letters(number: int) -> str:
    """a, b, ... z, aa, ab, ...: a short name for the set of rows numbered ``number``."""
    name = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(ord("a") + rest) + name
    return name


def promote(name, *, force=False, data=None, text_column=None, labels_column="labels", n_resamples=1000,
            seed=0, reason=None, max_fpr=None, max_term_fpr=None, fpr_tolerance=None, min_rows=None,
            min_per_label=None) -> Promotion:
    """Make model ``name`` the default, if it is at least as good as the current default and passes the
    fairness gate.

    Both models are scored on the same labelled reports, and only on those that neither trained on: the rows of
    ``data`` when given, otherwise the candidate's own held-out test split (rebuilt from the files and split
    recorded in its metadata, which must be unchanged), less any the default trained on. Fewer than
    ``min_rows`` such reports (or ``min_per_label`` of a label; defaults
    :data:`~classifier.evaluation.compare.MIN_ROWS` and ``MIN_PER_LABEL``) is a refusal with the reason;
    ``force`` promotes without a comparison then. The candidate is refused when its macro-F1 over the labels both
    models know is lower than the default's, when it lacks a label the default has, or when it adds one that its
    own test split does not vouch for (fewer than ``min_per_label`` examples there, or an F1 of 0), unless
    ``force``.

    The fairness gate (:mod:`classifier.fairness.gate`) scores both models on the identity-term suite and
    refuses a candidate whose false-positive rate on its neutral and positive sentences is above ``max_fpr``
    (default :data:`~classifier.fairness.gate.MAX_SUITE_FPR`, 3%), or above ``max_term_fpr`` (5%) for any
    term, or higher than the current default's by more than ``fpr_tolerance`` (half a point). Only ``force``
    *with* a ``reason`` overrides it; the reason is recorded in ``promotions.jsonl``.

    Raises
    ------
    ModelError
        The candidate is missing, broken, already the default, worse than the default, or fails the fairness
        gate (the message gives what was measured, the limit, and how to override).
    DataError
        The evaluation data cannot be read or rebuilt.
    ConfigError
        A limit is not a fraction between 0 and 1.
    """
    from classifier.evaluation.compare import TooFewUnseenRows, compare_models
    from classifier.fairness import evaluate_identity_suite, fairness_problems, summarise_identity_suite
    from classifier.fairness.conflict import evaluate_conflict_nationalities
    from classifier.fairness.gate import conflict_problems, gate_limits
    from classifier.model.predictor import load_model

    limits = gate_limits(max_fpr, max_term_fpr, fpr_tolerance)
    if reason is not None:
        reason = str(reason).strip() or None  # a blank reason is no reason
    name = _check_name(name)
    candidate = load_model(models_dir() / name)  # checks the files before anything changes
    default = current_default()
    if default == name:
        raise ModelError(f"'{name}' is already the default model; nothing to do.")
    result = Promotion(name, default, forced=force, reason=reason)
    suite, current_suite, conflict = None, None, None
    if default is not None:
        try:
            current = load_model(models_dir() / default)
        except ModelError as exc:
            if not force:
                raise ModelError(
                    f"The current default '{default}' cannot be loaded, so '{name}' cannot be compared with it "
                    f"({exc}). Pass --force to promote '{name}' without a comparison."
                ) from exc
            current = None
        comparison = None
        if current is not None:
            evaluation, result.evaluated_on = _evaluation_data(candidate.metadata, data, text_column, labels_column,
                                                               rows=candidate.training_rows)
            trained_on = (training_hashes(models_dir() / default, current.metadata, current.training_rows),
                          training_hashes(models_dir() / name, candidate.metadata, candidate.training_rows))
            try:
                comparison = compare_models(current, candidate, evaluation, trained_on=trained_on,
                                            n_resamples=n_resamples, seed=seed, min_rows=min_rows,
                                            min_per_label=min_per_label, names=(default, name))
            except TooFewUnseenRows as exc:
                if not force:
                    raise ModelError(
                        f"Not promoted: '{name}' cannot be compared with the default '{default}' on "
                        f"{result.evaluated_on}. {exc} Or pass --data FILE, or --force to promote it without a "
                        "comparison."
                    ) from exc
                result.not_compared = str(exc)
        if comparison is not None:
            result.comparison = comparison
            missing = comparison["labels_only_in_a"]
            macro = comparison["macro"]
            if not force and missing:
                raise ModelError(
                    f"Not promoted: '{name}' does not predict label(s) {missing}, which the default '{default}' "
                    "does. Retrain with those labels, or pass --force to promote it anyway."
                )
            unvouched = _new_labels_unvouched(candidate.metadata, comparison["labels_only_in_b"], min_per_label)
            if not force and unvouched:
                raise ModelError(
                    f"Not promoted: '{name}' adds label(s) that the default '{default}' lacks and that its own test "
                    f"split does not vouch for: {'; '.join(unvouched)}. Label more reports of them and retrain, or "
                    "pass --force to promote it anyway."
                )
            if not force and macro["f1_b"] < macro["f1_a"]:
                raise ModelError(
                    f"Not promoted: '{name}' has macro-F1 {macro['f1_b']:.3f} on the {comparison['n_reports']} "
                    f"reports of {result.evaluated_on} that neither model trained on, below the default '{default}' "
                    f"at {macro['f1_a']:.3f} "
                    f"(difference {macro['diff']:+.3f}, {comparison['confidence']:.0%} CI {macro['ci_low']:+.3f} "
                    f"to {macro['ci_high']:+.3f}). Improve the model, or pass --force to promote it anyway."
                )
            suite, current_suite = comparison.get("identity_suite_b"), comparison.get("identity_suite_a")
            conflict = comparison.get("conflict_nationalities_b")
        elif current is not None:
            current_suite = summarise_identity_suite(evaluate_identity_suite(current))
    if suite is None:
        suite = summarise_identity_suite(evaluate_identity_suite(candidate))
    if conflict is None:
        conflict = evaluate_conflict_nationalities(candidate)
    problems = fairness_problems(suite, current_suite, max_fpr=limits["max_fpr"],
                                 max_term_fpr=limits["max_term_fpr"], tolerance=limits["fpr_tolerance"],
                                 current_name=f"the default '{default}'")
    problems += conflict_problems(conflict, max_term_fpr=limits["max_term_fpr"])
    result.identity_suite = {
        "candidate": _gate_figures(suite),
        "previous": _gate_figures(current_suite) if current_suite else None,
        "limits": limits,
        "conflict_nationalities": {term: {key: f[key] for key in ("n", "labelled", "rate")}
                                   for term, f in conflict.items()},
    }
    if problems:
        if not (force and reason):
            raise ModelError(_fairness_refusal(name, problems, force))
        result.fairness_overridden = problems
    _set_default(name, default, action="promote", forced=force, result=result)
    result.next_rollback = previous_default()
    return result


def _new_labels_unvouched(metadata: dict, new_labels, min_per_label: int | None) -> list[str]:
    """Each of ``new_labels`` (the candidate's, not the default's) with fewer than ``min_per_label`` examples in
    the candidate's own test split or an F1 of 0 there, as "label (F1 x on n test reports)"."""
    from classifier.evaluation.compare import MIN_PER_LABEL

    needed = MIN_PER_LABEL if min_per_label is None else min_per_label
    scored = metadata.get("metrics", {}).get("labels", {})
    found = []
    for label in new_labels:
        figures = scored.get(label, {"f1": 0.0, "support": 0})
        if figures["support"] < needed or figures["f1"] <= 0:
            found.append(f"{label} (F1 {figures['f1']:.3f} on {figures['support']} test reports; at least {needed} "
                         "and an F1 above 0 needed)")
    return found


def _gate_figures(suite: dict) -> dict:
    o = suite["overall"]
    return {key: o[key] for key in ("false_positive_rate", "n_non_hostile", "max_term_fpr", "max_term_fpr_term",
                                    "hostile_recall")}


def _fairness_refusal(name: str, problems: list[str], forced: bool) -> str:
    how = ("or add --reason \"why\" to --force (--force alone does not override this gate)" if forced else
           "or promote it anyway with --force --reason \"why\"")
    return (
        f"Not promoted: '{name}' fails the identity-term fairness gate: {'; '.join(problems)}. A false positive is a "
        "neutral or positive sentence of the identity-term suite that gets a label (see its model card or tension "
        "evaluate --report). Retrain it (for example with more no-label reports that mention these terms), change "
        f"the limits with --max-fpr, --max-term-fpr or --fpr-tolerance, {how} (the reason is recorded in "
        f"{HISTORY_FILE})."
    )


def rollback() -> Promotion:
    """Make the latest previous default the default again; a second rollback goes one further back.

    Raises
    ------
    ModelError
        When there is nothing left to roll back to, the previous default's folder is gone, is a symbolic link
        or does not verify as a model, or ``PREVIOUS_MODEL`` holds something other than model names.
    """
    from classifier.model.predictor import load_model

    current = current_default()
    stack = [name for name in _previous_stack() if name != current]  # a crash mid-promotion can leave the current
    if not stack:
        raise ModelError(
            f"There is no previous default left to roll back to ('{models_dir() / PREVIOUS_POINTER_FILE}' is empty or "
            "missing; each rollback goes one promotion further back). Promote a model by name instead: "
            "tension models; tension promote NAME"
        )
    previous = stack[-1]
    if not (models_dir() / previous / METADATA_FILE).is_file():
        raise ModelError(
            f"The previous default '{previous}' is no longer in '{models_dir()}'. Promote another model by name: "
            "tension models; tension promote NAME"
        )
    _check_name(previous)
    load_model(models_dir() / previous)  # it must still verify before it serves again
    result = Promotion(previous, current)
    _set_default(previous, current, action="rollback", forced=False, result=result)
    result.next_rollback = previous_default()
    return result


def new_model_name(prefix="model") -> str:
    """A fresh, sortable folder name for a new model, e.g. ``model-20250101-120000-3f9a``.

    The random suffix keeps two trainings started in the same second (in two processes, which cannot see
    each other's folder yet) from choosing the same name.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    while True:
        name = f"{prefix}-{stamp}-{secrets.token_hex(2)}"
        if not (models_dir() / name).exists() and not (models_dir() / f".{name}.lock").exists():
            return name


def history() -> list[dict]:
    """The promotions and rollbacks so far, oldest first."""
    path = models_dir() / HISTORY_FILE
    if not path.is_file():
        return []
    entries = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.strip():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                warnings.warn(f"{path} line {number} is not valid JSON; skipped.", stacklevel=2)
    return entries


def compare_saved(model_a, model_b, data, *, text_column=None, labels_column="labels", **options) -> dict:
    """:func:`~classifier.evaluation.compare.compare_models` of two saved models (folders, or names in the
    registry) on the reports of ``data`` that neither trained on; the training reports of a model saved before
    models recorded them are rebuilt from its metadata (:func:`training_hashes`). ``options`` go to
    ``compare_models``."""
    from classifier.evaluation.compare import compare_models
    from classifier.model.persistence import resolve_model_dir
    from classifier.model.predictor import load_model

    folders = [resolve_model_dir(model) for model in (model_a, model_b)]
    models = [load_model(folder) for folder in folders]
    trained_on = tuple(training_hashes(folder, model.metadata, model.training_rows, text_column=text_column,
                                       labels_column=labels_column) for folder, model in zip(folders, models,
                                                                                             strict=True))
    return compare_models(*models, data, text_column=text_column, labels_column=labels_column, trained_on=trained_on,
                          names=tuple(Path(model).name or str(model) for model in (model_a, model_b)), **options)


def held_out_split(metadata: dict, *, text_column=None, labels_column="labels", rows=None):
    """Rebuild a model's held-out test split from the files and split recorded in its metadata.

    ``rows`` (the model's :class:`~classifier.model.provenance.TrainingRows`), when given, must name the same
    test reports as the rebuilt split.

    Raises
    ------
    DataError
        When a recorded file is missing or changed since training, or the split cannot be reproduced.
    """
    data, _, test = _rebuild_split(metadata, text_column=text_column, labels_column=labels_column)
    test_data = data.subset(test)
    if rows is not None and sorted(text_sha256(t) for t in test_data.texts) != sorted(rows.test_hashes):
        raise DataError(
            "The rebuilt test split is not the one the model recorded in its rows.json (the same files, but "
            "another split); pass --data FILE to evaluate on."
        )
    return test_data


def training_hashes(model_dir, metadata: dict, rows=None, *, text_column=None, labels_column="labels"
                    ) -> frozenset[str]:
    """The text hashes of the reports a model trained on: those it recorded (``rows``, its verified
    ``rows.json``), else, for a model saved before models kept them, its training split rebuilt from the files
    and split recorded in its metadata.

    Raises
    ------
    DataError
        The model recorded no training reports and they cannot be rebuilt (a file missing or changed); the
        message says which model and how to fix it.
    """
    if rows is not None:
        return rows.trained_on
    try:
        data, train, _ = _rebuild_split(metadata, text_column=text_column, labels_column=labels_column)
    except DataError as exc:
        raise DataError(
            f"Cannot tell which reports '{Path(model_dir).name}' was trained on: it was saved before models recorded "
            f"them, and its training split cannot be rebuilt ({exc}). Retrain it with this version, so that it "
            "records them."
        ) from exc
    return frozenset(text_sha256(data.texts[i]) for i in train)


def _rebuild_split(metadata: dict, *, text_column=None, labels_column="labels"):
    """The data a model was trained from (combined as training combined it) and its train and test indices."""
    from classifier.io.records import combine, read_labelled
    from classifier.training.train import split_indices

    recorded = metadata.get("data") or []
    if not recorded:
        raise DataError("The model's metadata records no training data; pass --data FILE to evaluate on.")
    datasets = []
    for item in recorded:
        path = Path(item["path"])
        if not path.is_file():
            raise DataError(
                f"The model was trained on '{path}', which is not there any more (paths are relative to where "
                "training ran). Run from there, or pass --data FILE to evaluate on."
            )
        datasets.append(read_labelled(path, text_column=text_column, labels_column=labels_column))
        found = datasets[-1].file_hashes[str(path)]
        if found != item.get("sha256"):
            raise DataError(
                f"'{path}' has changed since the model was trained (sha256 {found[:12]}..., recorded "
                f"{str(item.get('sha256'))[:12]}...), so its test split cannot be rebuilt. Pass --data FILE."
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # training already reported the duplicates
        # Training succeeded, so any conflicting duplicates were resolved with --prefer-later.
        data = combine(datasets, prefer_later=True)
    split = str(metadata.get("split", ""))
    test_size = metadata.get("test_size")
    if test_size is None and split.startswith("random"):
        try:
            test_size = float(split.split()[2].rstrip("%")) / 100
        except (IndexError, ValueError) as exc:
            raise DataError(f"Cannot read the split {split!r} from the metadata; pass --data FILE.") from exc
    train, test, _ = split_indices(data, test_size=test_size, seed=metadata.get("seed", 0))
    expected = (metadata.get("rows") or {}).get("test")
    if expected is not None and len(test) != expected:
        raise DataError(
            f"Rebuilt a test split of {len(test)} reports but the model recorded {expected}; pass --data FILE."
        )
    return data, train, test


def _evaluation_data(metadata, data, text_column, labels_column, rows=None):
    from classifier.io.records import read_labelled_files

    if data is not None:
        paths = [data] if isinstance(data, str | Path) else list(data)
        return (read_labelled_files(paths, text_column=text_column, labels_column=labels_column, prefer_later=True),
                ", ".join(f"'{path}'" for path in paths))
    files = ", ".join(Path(d["path"]).name for d in metadata.get("data") or [])
    return (held_out_split(metadata, text_column=text_column, labels_column=labels_column, rows=rows),
            f"the test split of {files}")


def _check_name(name) -> str:
    if name is None or not str(name).strip():
        raise ModelError("Name the model to promote (see tension models), or pass --rollback.")
    name = str(name).strip()
    path = Path(name)
    if path.name != name:
        # A path: accept it only if it is a folder of the registry.
        if path.resolve().parent != models_dir().resolve():
            raise ModelError(
                f"'{name}' is not a folder in '{models_dir()}'. Only registry models can be the default: "
                f"train into {models_dir()}/NAME or copy the model folder there, then tension promote NAME."
            )
        name = path.name
    if not _is_plain_name(name) or not (models_dir() / name).is_dir():
        known = ", ".join(e.name for e in list_models()) or "none"
        raise ModelError(f"No model named '{name}' in '{models_dir()}' (models there: {known}). See tension models.")
    if (models_dir() / name).is_symlink():
        raise ModelError(
            f"'{models_dir() / name}' is a symbolic link, not a model folder of the registry; it could point anywhere. "
            f"Copy the model folder into '{models_dir()}' instead, then tension promote NAME."
        )
    return name


def _is_plain_name(name: str) -> bool:
    """A folder name directly inside ``models/``: no path separator, no ``..``, not hidden."""
    separators = {"/", "\\", os.sep, os.altsep or "/"}
    return bool(name) and not name.startswith(".") and not any(s in name for s in separators)


def _checked_name(name: str, path: Path) -> str:
    if not _is_plain_name(name):
        raise ModelError(
            f"'{path}' should hold names of model folders in '{models_dir()}', one per line; found {name!r}, which "
            "is not a plain folder name (no path separators, no '..'). It was not followed. Fix the file, or delete "
            "it and set the default with: tension promote NAME"
        )
    return name


def _read_pointer(file_name, root: Path | None = None) -> str | None:
    path = (models_dir() if root is None else root) / file_name
    if not path.is_file():
        return None
    name = path.read_text("utf-8").strip()
    return _checked_name(name, path) if name else None


def _previous_stack(root: Path | None = None) -> list[str]:
    """The names in ``PREVIOUS_MODEL`` of the models folder (or of `root`), oldest first (a one-line file from
    before the stack is a stack of one)."""
    path = (models_dir() if root is None else root) / PREVIOUS_POINTER_FILE
    if not path.is_file():
        return []
    return [_checked_name(line.strip(), path) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _write_pointer(file_name, name) -> None:
    """Write one name (or, for a list, one name per line) to `file_name` atomically; None or [] removes it."""
    path = models_dir() / file_name
    if not name:
        path.unlink(missing_ok=True)
        return
    names = [name] if isinstance(name, str) else list(name)
    write_text(path, "".join(f"{item}\n" for item in names))


def _set_default(name, previous, *, action, forced, result: Promotion) -> None:
    # A promotion pushes the replaced default, a rollback pops the one it returns to. The stack is written
    # first on a promotion and last on a rollback: a crash between the two writes leaves the current default
    # on top of the stack at worst, which rollback() skips, never a default without a way back.
    stack = _previous_stack()
    if action == "rollback":
        while stack and stack[-1] in (name, previous):
            stack.pop()
        _write_pointer(DEFAULT_POINTER_FILE, name)
        _write_pointer(PREVIOUS_POINTER_FILE, stack)
    else:
        if previous is not None:
            stack.append(previous)
        _write_pointer(PREVIOUS_POINTER_FILE, stack)
        _write_pointer(DEFAULT_POINTER_FILE, name)
    record = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"), "action": action, "default": name,
        "previous": previous, "forced": forced, "evaluated_on": result.evaluated_on,
    }
    if result.comparison is not None:
        macro = result.comparison["macro"]
        record["macro_f1"] = {"previous": macro["f1_a"], "default": macro["f1_b"]}
        record["compared_on"] = result.comparison["rows"]
    if result.not_compared is not None:
        record["not_compared"] = result.not_compared
    if result.reason is not None:
        record["reason"] = result.reason
    if result.identity_suite is not None:
        record["identity_suite"] = result.identity_suite
    if result.fairness_overridden:
        record["fairness_overridden"] = result.fairness_overridden
    try:
        with open(models_dir() / HISTORY_FILE, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
    except OSError as exc:  # the promotion itself is done; the log is a courtesy
        warnings.warn(f"Could not append to {models_dir() / HISTORY_FILE}: {exc}", stacklevel=3)

