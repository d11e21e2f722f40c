"""Saving and loading models: ``model.pkl.gz`` + ``metadata.json`` + ``rows.json`` (+ ``MODEL_CARD.md``),
atomically.

``model.pkl.gz`` is a pickle (protocol 5, gzip-compressed), and unpickling can run code. Loading checks, in order:

1. the folder and its files are real files, not symbolic links (a link could point anywhere);
2. the SHA-256 of the model file, and of ``rows.json`` (the ids and text hashes of the reports it was trained and
   tested on, :mod:`classifier.model.provenance`), against ``metadata.json`` (catches corruption and accidental
   edits, so that editing one file cannot change which reports a comparison counts as unseen; it is no defence
   against someone who can rewrite the files together);
3. the scikit-learn and spaCy versions;
4. every global the pickle names against an allow-list (`ALLOWED_PACKAGES` classes plus a few
   reconstruction helpers): a pickle that asks for ``os.system``, ``builtins.eval`` or any other function
   is refused before anything in it runs;
5. the object is a fitted pipeline whose classifier has ``classes_`` and ``thresholds_``, and the labels
   in ``metadata.json`` are the classifier's, in the same order (the score columns follow that order).

Still load only models you trained or got from someone you trust: the allow-list stops a pickle from
calling arbitrary code, not a crafted model from giving wrong answers.

Models saved before format 2 hold ``model.joblib`` (joblib's pickle, written and read by a pickler written in
Python: ten times slower for a model of 150,000 vocabulary entries); they load through the same allow-list.

Saving into a folder takes a lock file beside it (``.<name>.lock``), so two processes cannot both write the
same model folder; the second gets a `ModelError`.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from classifier.errors import ModelError
from classifier.io.atomic import atomic_directory
from classifier.io.locking import pid_lock
from classifier.io.places import find_upward, names_this_project, user_data_dir
from classifier.io.records import file_sha256
from classifier.model.provenance import TrainingRows

MODEL_FILE = "model.pkl.gz"
METADATA_FILE = "metadata.json"
ROWS_FILE = "rows.json"
CARD_FILE = "MODEL_CARD.md"
FORMAT_VERSION = 2
#: How reports are read (:mod:`classifier.model.preprocess`, with markup, email_parts and slurs), raised whenever a
#: change there reads some text differently and no parameter keeps a saved model reading it as before. ``tension
#: train`` records it in metadata.json; loading a model that records another warns
#: (:func:`warn_if_read_differently`).
PREPROCESSING_VERSION = 1
#: The model file of each format version this installation reads (1: joblib's pickle, before format 2).
MODEL_FILES = {1: "model.joblib", FORMAT_VERSION: MODEL_FILE}
#: gzip level of the model file: level 3 compresses a model as well as 9 within 3%, several times faster.
MODEL_COMPRESSION = 3
DEFAULT_MODELS_DIR = "models"
DEFAULT_MODEL_NAME = "default"
# Names the promoted default model (see classifier/retrain/registry.py); not "DEFAULT", which would clash with the
# "default" folder on case-insensitive file systems.
DEFAULT_POINTER_FILE = "DEFAULT_MODEL"


MODELS_DIR_VARIABLE = "TENSION_MODELS_DIR"


def _has_default(folder: Path) -> bool:
    return (folder / DEFAULT_POINTER_FILE).is_file() or (folder / DEFAULT_MODEL_NAME / METADATA_FILE).is_file()


def _is_project_root(folder: Path) -> bool:
    return names_this_project(folder / "pyproject.toml") or _has_default(folder / DEFAULT_MODELS_DIR)


def project_models_dir(start=None) -> Path | None:
    """``models/`` of the project root nearest at or above ``start`` (default: the working folder), or ``None``.

    A project root is a folder whose ``pyproject.toml`` names tension-classifier, or whose ``models/`` holds a
    default model. Below the working folder it is given relative to it (``models`` when run from the root).
    """
    cwd = Path.cwd()
    root = find_upward(Path(start) if start is not None else cwd, _is_project_root)
    if root is None:
        return None
    if start is None and root == cwd.resolve():
        return Path(DEFAULT_MODELS_DIR)
    return root / DEFAULT_MODELS_DIR


def user_models_dir() -> Path:
    """``models`` in the per-user data folder (e.g. ``~/.local/share/tension-classifier/models``)."""
    return user_data_dir() / DEFAULT_MODELS_DIR


def models_dir() -> Path:
    """Where models live and new ones are trained into: ``$TENSION_MODELS_DIR`` when set; else ``models/`` of
    the project root found upward from the working folder (`project_models_dir`); else the per-user data folder
    (`user_models_dir`)."""
    if os.environ.get(MODELS_DIR_VARIABLE):
        return Path(os.environ[MODELS_DIR_VARIABLE])
    return project_models_dir() or user_models_dir()


def model_search_places() -> list[tuple[str, Path | None]]:
    """Where the default model is looked for, in order, each as (what it is, folder or ``None`` if not found).

    A set ``$TENSION_MODELS_DIR`` is the only place; otherwise the project's ``models/``, then the user's."""
    if os.environ.get(MODELS_DIR_VARIABLE):
        return [(f"${MODELS_DIR_VARIABLE}", Path(os.environ[MODELS_DIR_VARIABLE]))]
    return [(f"the project root, searched upward from {Path.cwd()}", project_models_dir()),
            ("the user data folder", user_models_dir())]


def library_versions() -> dict[str, str]:
    """Versions of the libraries a saved pipeline depends on."""
    import joblib
    import numpy
    import scipy
    import sklearn
    import spacy

    from classifier._version import __version__

    return {
        "tension-classifier": __version__, "scikit-learn": sklearn.__version__, "spacy": spacy.__version__,
        "numpy": numpy.__version__, "scipy": scipy.__version__, "joblib": joblib.__version__,
    }


def save_model(pipeline, out_dir, metadata: dict, card: str | None = None, rows: TrainingRows | None = None) -> Path:
    """Write the model folder atomically: build it beside ``out_dir``, then swap it into place.

    ``rows`` (the reports it was trained and tested on) go to ``rows.json``, their SHA-256 to the metadata.

    An existing folder at ``out_dir`` is replaced only once the new one is complete, so a crash leaves
    either the old model or the new one, never a mix. The folder's lock (`model_dir_lock`) is held
    meanwhile.

    Raises
    ------
    ModelError
        Another process is saving into ``out_dir``, or ``out_dir`` is a symbolic link, a file, the current
        folder or a folder holding anything but a model (`check_model_out`).
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with model_dir_lock(out_dir):
        return _save_model(pipeline, out_dir, metadata, card, rows)


#: What a model folder may hold; saving replaces the folder, so anything else in it would be deleted.
MODEL_FOLDER_FILES = frozenset({MODEL_FILE, METADATA_FILE, ROWS_FILE, CARD_FILE, MODEL_FILES[1]})


def check_model_out(out_dir) -> Path:
    """Refuse a folder that saving a model into would destroy anything but an older model; returns ``out_dir``.

    A model is saved by replacing its folder as a whole, so the folder must be new, empty or a model folder.

    Raises
    ------
    ModelError
        ``out_dir`` is the current folder or one that holds it, a file, or a folder holding other files (the
        message names some of them).
    """
    out_dir = Path(out_dir)
    resolved, here = out_dir.resolve(), Path.cwd().resolve()
    if resolved == here or resolved in here.parents or not resolved.name:
        raise ModelError(
            f"'{out_dir}' is the current folder or one that holds it; a model is saved as a folder of its own, "
            "which replaces what is there. Choose a new folder, e.g. --out models/my_model."
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise ModelError(f"'{out_dir}' exists and is not a folder; choose another --out or remove it.")
    if out_dir.is_dir() and not out_dir.is_symlink():
        others = sorted(path.name for path in out_dir.iterdir() if path.name not in MODEL_FOLDER_FILES)
        if others:
            shown = ", ".join(repr(name) for name in others[:3]) + (" ..." if len(others) > 3 else "")
            raise ModelError(
                f"'{out_dir}' holds {len(others)} file(s) or folder(s) that are not part of a model ({shown}); "
                "saving a model there would replace the folder and delete them. Choose a new folder for the "
                "model (e.g. --out models/my_model), or move those files out first."
            )
    return out_dir


@contextlib.contextmanager
def model_dir_lock(out_dir) -> Iterator[Path]:
    """Hold the lock of model folder `out_dir` (the file ``.<name>.lock`` beside it) for a ``with`` block.

    ``tension train`` holds it from the start of training to the end of the save, so a second training into
    the same folder fails at once instead of both reporting "Saved". A lock left by a process that died is
    taken over.

    Raises
    ------
    ModelError
        Another process (or thread) holds the lock; the message gives its pid and the lock file.
    """
    out_dir = Path(out_dir)
    if out_dir.is_symlink():
        raise ModelError(
            f"'{out_dir}' is a symbolic link; a model folder must be a real folder. Remove the link or choose "
            "another --out."
        )
    check_model_out(out_dir)
    lock = out_dir.parent / f".{out_dir.name}.lock"

    def busy(pid: int | None) -> ModelError:
        who = f"process {pid}" if pid else "another process"
        return ModelError(
            f"{who} is already writing the model folder '{out_dir}' (lock file '{lock}'). Wait for it to "
            "finish, or save to another --out. If no such process is running, delete the lock file."
        )

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with pid_lock(lock, busy, reentrant=True):
        yield out_dir


def write_model_file(obj, path) -> None:
    """Write ``obj`` to ``path`` as a model file: a protocol-5 pickle, gzip-compressed (with no timestamp, so the
    same model gives the same bytes)."""
    import gzip
    import pickle

    data = gzip.compress(pickle.dumps(obj, protocol=5), compresslevel=MODEL_COMPRESSION, mtime=0)
    with open(path, "wb") as handle:
        handle.write(data)


def _save_model(pipeline, out_dir: Path, metadata: dict, card: str | None, rows: TrainingRows | None) -> Path:
    with atomic_directory(out_dir) as staging:
        write_model_file(pipeline, staging / MODEL_FILE)
        metadata = dict(metadata)
        metadata["format_version"] = FORMAT_VERSION
        metadata["model_sha256"] = file_sha256(staging / MODEL_FILE)
        metadata.pop("rows_sha256", None)
        if rows is not None:
            (staging / ROWS_FILE).write_text(json.dumps(rows.to_dict()) + "\n", "utf-8")
            metadata["rows_sha256"] = file_sha256(staging / ROWS_FILE)
        metadata.setdefault("versions", library_versions())
        (staging / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=False) + "\n", "utf-8")
        if card is not None:
            (staging / CARD_FILE).write_text(card, "utf-8")
    return out_dir


def default_model_dir() -> Path:
    """The default model's folder, in the first of `model_search_places` that has one: the model named in its
    ``DEFAULT_MODEL`` (set by ``tension promote``), else its ``default`` folder.

    Raises
    ------
    ModelError
        No place has a default model (the message lists the places searched and the fixes), or a pointer file
        names something that is not a model folder beside it.
    """
    places = model_search_places()
    for _, folder in places:
        if folder is not None and _has_default(folder):
            return _default_in(folder)
    searched = "; ".join(f"{what}: {folder if folder is not None else 'none found'}" for what, folder in places)
    raise ModelError(
        f"No default model found (looked for a '{DEFAULT_MODEL_NAME}' model folder in: {searched}). Name a "
        f"model folder with --model PATH, set ${MODELS_DIR_VARIABLE} to the folder that holds your models, run "
        "the command from inside the project, or train one: tension train data/reports.csv"
    )


def _default_in(folder: Path) -> Path:
    pointer = folder / DEFAULT_POINTER_FILE
    if not pointer.is_file():
        return folder / DEFAULT_MODEL_NAME
    name = pointer.read_text("utf-8").strip()
    if not name or Path(name).name != name or name.startswith("."):
        raise ModelError(
            f"'{pointer}' should hold the name of one model folder in '{folder}', found {name!r}. "
            "Set it with: tension promote NAME"
        )
    if not (folder / name).is_dir():
        raise ModelError(
            f"The default model '{name}' named in '{pointer}' is not in '{folder}'. Promote another "
            "model (tension models; tension promote NAME) or roll back (tension promote --rollback)."
        )
    return folder / name


def resolve_model_dir(path=None) -> Path:
    """The folder a model path names: ``None`` or the name ``default`` → the default model (the promoted one, once
    `tension promote` has run); another name → ``models/<name>``."""
    if path is None:
        return default_model_dir()
    if not isinstance(path, str | os.PathLike):
        raise ModelError(f"A model is named by its folder (a str or a Path) or its name under models/; got "
                         f"{type(path).__name__} {path!r}. E.g. load_model('models/default').")
    path = Path(path).expanduser()
    if path.name in (*MODEL_FILES.values(), METADATA_FILE):
        return path.parent
    # "default", named: the default model as when none is named, which follows a promotion (DEFAULT_MODEL), not
    # the folder models/default (the first model trained there; give its path to mean that folder).
    if not path.exists() and str(path) == DEFAULT_MODEL_NAME:
        return default_model_dir()
    if not path.exists() and len(path.parts) == 1 and (models_dir() / path).exists():
        return models_dir() / path
    return path


#: At most this many model folders are named per place when a model is not found.
NEARBY_MODELS_SHOWN = 10


def _model_folder_names(folder: Path) -> list[str]:
    """The names of the model folders (those with a ``metadata.json``) directly in ``folder``; none if unreadable."""
    try:
        return sorted(path.name for path in folder.iterdir()
                      if not path.name.startswith(".") and (path / METADATA_FILE).is_file())
    except OSError:
        return []


def _models_nearby(model_dir: Path) -> str:
    """For a model path that does not exist: the model folders beside it and in the models folder, and the closest
    name (a typo such as ``models/defualt``), as sentences starting with a space; ``""`` when there are none.

    Only folder names are given: nothing is read from a folder but whether it has a ``metadata.json``."""
    from classifier.model.label_names import likely_typo

    places: list[tuple[Path, list[str]]] = []
    for folder in (model_dir.parent, models_dir()):
        if folder.is_dir() and not any(folder.resolve() == seen.resolve() for seen, _ in places):
            if names := _model_folder_names(folder):
                places.append((folder, names))
    if not places:
        return ""
    found = {name: folder / name for folder, names in reversed(places) for name in names}  # beside it wins a tie
    closest = likely_typo(model_dir.name, found)
    sentences = [f" Did you mean '{found[closest]}'?"] if closest else []
    for folder, names in places:
        more = len(names) - NEARBY_MODELS_SHOWN
        listed = ", ".join(names[:NEARBY_MODELS_SHOWN]) + (f" and {more} more" if more > 0 else "")
        sentences.append(f" Model folders in '{folder}': {listed}.")
    return "".join(sentences)


def read_metadata(model_dir) -> dict:
    """Parse ``metadata.json`` of a model folder, with clear errors when it is missing or broken.

    Raises
    ------
    ModelError
        The folder is missing or is a symbolic link, or ``metadata.json`` is missing, a link, not JSON or of
        another format version.
    """
    model_dir = Path(model_dir)
    meta_path = model_dir / METADATA_FILE
    if not model_dir.exists():
        raise ModelError(
            f"No model at '{model_dir}'.{_models_nearby(model_dir)} To train a new one: tension train "
            f"data/reports.csv --out {model_dir}"
        )
    for path in (model_dir, meta_path):
        if path.is_symlink():
            raise ModelError(
                f"'{path}' is a symbolic link; a model is loaded only from a real folder of real files, so that "
                "what was checked is what is loaded. Copy the model folder instead of linking it."
            )
    if not model_dir.is_dir():
        raise ModelError(f"'{model_dir}' is a file, not a model folder. Give the folder a model was saved to "
                         "(tension models lists them).")
    if not meta_path.is_file():
        holds_model = any((model_dir / name).exists() for name in MODEL_FOLDER_FILES)
        fix = (f"Retrain it with tension train DATA --out {model_dir}" if holds_model else
               "Give the folder a model was saved to (tension models lists them), or train one into a new folder: "
               "tension train DATA --out models/my_model")
        raise ModelError(f"'{model_dir}' has no {METADATA_FILE}, so it is not a complete model folder. {fix}")
    try:
        metadata = json.loads(meta_path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"'{meta_path}' is not valid JSON ({exc}). The model folder is damaged; retrain it.") from exc
    damaged = f"The model folder is damaged; retrain it, or restore its {METADATA_FILE}."
    if not isinstance(metadata, dict):
        raise ModelError(f"'{meta_path}' holds a JSON {type(metadata).__name__}, expected an object of the model's "
                         f"details. {damaged}")
    for key, kind in (("versions", dict), ("labels", list), ("thresholds", dict)):
        if key in metadata and not isinstance(metadata[key], kind):
            raise ModelError(f"'{meta_path}': '{key}' is a JSON {type(metadata[key]).__name__}, expected "
                             f"{'an object' if kind is dict else 'a list'}. {damaged}")
    version = metadata.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version not in MODEL_FILES:
        raise ModelError(
            f"'{model_dir}' has model format version {metadata.get('format_version')!r}; this installation "
            f"reads versions {', '.join(map(str, MODEL_FILES))}. Retrain the model with this version of "
            "tension-classifier."
        )
    return metadata


def load_pipeline(model_dir) -> tuple[object, dict]:
    """Check and load a model folder's pipeline and metadata (see the module docstring for the checks).

    Raises
    ------
    ModelError
        When a file is missing or a symbolic link, the SHA-256 of the model file differs from the recorded
        one (corrupt, truncated or tampered), scikit-learn's or spaCy's version is incompatible, the pickle
        names a global outside the allow-list, unpickling fails, the object is not a fitted tension model, or
        the labels in ``metadata.json`` are not the model's.
    """
    checked = read_model_file(model_dir)
    return pipeline_from_model_file(checked), checked.metadata


@dataclass(frozen=True)
class CheckedModelFile:
    """A model folder's model file as read, and its metadata, after every check that needs no unpickling:
    :func:`pipeline_from_model_file` unpickles it (in this process or another) without reading the folder
    again, so the bytes checked are the bytes loaded."""

    path: Path
    data: bytes
    metadata: dict


def read_model_file(model_dir) -> CheckedModelFile:
    """Read a model folder's model file and check it without unpickling it: files present and not symbolic links,
    its SHA-256 and the rows file's against ``metadata.json``, the scikit-learn and spaCy versions (read from the
    installed packages' metadata, so this imports neither).

    Raises
    ------
    ModelError
        As :func:`load_pipeline`, for every check but those of the unpickled object.
    """
    import hashlib

    model_dir = Path(model_dir)
    metadata = read_metadata(model_dir)
    model_path = model_dir / MODEL_FILES[metadata["format_version"]]
    if model_path.is_symlink():
        raise ModelError(
            f"'{model_path}' is a symbolic link; a model is loaded only from a real file. Copy the file instead."
        )
    if not model_path.is_file():
        raise ModelError(f"'{model_dir}' has no {model_path.name}. Retrain: tension train DATA --out {model_dir}")
    data = model_path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if not isinstance(metadata.get("model_sha256"), str):
        raise ModelError(
            f"'{model_dir / METADATA_FILE}' records no model_sha256 (the checksum of {model_path.name}): the folder "
            "is damaged or the metadata was edited, so the model file cannot be checked and was not loaded. Restore "
            f"the model folder from where it was trained, or retrain: tension train DATA --out {model_dir}"
        )
    if actual != metadata.get("model_sha256"):
        raise ModelError(
            f"'{model_path}' does not match the SHA-256 recorded in {METADATA_FILE} (expected "
            f"{str(metadata.get('model_sha256'))[:12]}..., found {actual[:12]}...): the file is corrupt, "
            "truncated or was changed. It was not loaded. Retrain the model or restore the original file."
        )
    _check_rows_file(model_dir, metadata)
    _check_versions(metadata.get("versions", {}), model_dir)
    return CheckedModelFile(model_path, data, metadata)


def pipeline_from_model_file(checked: CheckedModelFile):
    """Unpickle a :class:`CheckedModelFile` through the allow-list and check it is a fitted tension model whose
    labels are those of its metadata.

    Raises
    ------
    ModelError
        The pickle names a global outside the allow-list, unpickling fails, the object is not a fitted tension
        model, or the labels in ``metadata.json`` are not the model's.
    """
    import io

    path = checked.path
    try:
        if path.name == MODEL_FILE:
            pipeline = _loads(checked.data, path)
        else:
            pipeline = safe_load_joblib(path, io.BytesIO(checked.data))
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means the same to the user
        raise ModelError(f"Could not load '{path}': {exc}. Retrain the model with this installation.") from exc
    _check_is_model(pipeline, checked.metadata, path)
    return pipeline


def read_training_rows(model_dir, metadata: dict | None = None) -> TrainingRows | None:
    """The ids and text hashes of the reports a saved model was trained and tested on, checked against the
    SHA-256 in its metadata; ``None`` for a model saved before models kept them (no ``rows.json``).

    Raises
    ------
    ModelError
        ``rows.json`` is a symbolic link, missing while the metadata records it, present while the metadata
        does not, changed since it was saved, or not a row record.
    """
    model_dir = Path(model_dir)
    metadata = read_metadata(model_dir) if metadata is None else metadata
    path = _check_rows_file(model_dir, metadata)
    if path is None:
        return None
    try:
        record = json.loads(path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"'{path}' is not valid JSON ({exc}). The model folder is damaged; retrain it.") from exc
    return TrainingRows.from_dict(record, str(path))


def _check_rows_file(model_dir: Path, metadata: dict) -> Path | None:
    """``rows.json`` of `model_dir` if the metadata records it and its SHA-256 matches; ``None`` when neither has
    it (a model saved before models kept their rows)."""
    path = model_dir / ROWS_FILE
    recorded = metadata.get("rows_sha256")
    if path.is_symlink():
        raise ModelError(
            f"'{path}' is a symbolic link; a model is loaded only from a real folder of real files. Copy the file "
            "instead."
        )
    if recorded is None and not path.exists():
        return None
    if recorded is None or not path.is_file():
        what = f"has a {ROWS_FILE} that its {METADATA_FILE} does not record" if recorded is None else \
            f"has no {ROWS_FILE}, which its {METADATA_FILE} records"
        raise ModelError(
            f"'{model_dir}' {what}: the reports it was trained on cannot be trusted, so it was not loaded. Restore "
            f"the model folder from where it was trained, or retrain: tension train DATA --out {model_dir}"
        )
    actual = file_sha256(path)
    if actual != recorded:
        raise ModelError(
            f"'{path}' does not match the SHA-256 recorded in {METADATA_FILE} (expected {str(recorded)[:12]}..., "
            f"found {actual[:12]}...): the record of the reports the model was trained on was changed, so the model "
            "was not loaded. Restore the model folder from where it was trained, or retrain it."
        )
    return path


def _check_is_model(pipeline, metadata: dict, model_path: Path) -> None:
    """Refuse an object that is not a fitted tension pipeline, or whose labels differ from the metadata's."""
    from sklearn.pipeline import Pipeline

    from classifier.model.pipeline import CLASSIFIER

    retrain = f"Retrain it: tension train DATA --out {model_path.parent}"
    if not isinstance(pipeline, Pipeline):
        raise ModelError(
            f"'{model_path}' holds a {type(pipeline).__module__}.{type(pipeline).__qualname__}, not a scikit-learn "
            f"Pipeline, so it is not a tension model. {retrain}"
        )
    classifier = pipeline.named_steps.get(CLASSIFIER)
    classes = getattr(classifier, "classes_", None)
    thresholds = getattr(classifier, "thresholds_", None)
    if classes is None or thresholds is None or len(classes) == 0 or len(classes) != len(thresholds):
        raise ModelError(
            f"'{model_path}' is a pipeline without a fitted '{CLASSIFIER}' step with classes_ and thresholds_ "
            f"(one threshold per label), so it is not a tension model. {retrain}"
        )
    _check_passage_settings(pipeline, model_path, retrain)
    labels = [str(label) for label in classes]
    recorded = metadata.get("labels")
    if recorded is not None and [str(label) for label in recorded] != labels:
        raise ModelError(
            f"'{model_path.parent / METADATA_FILE}' lists the labels {list(recorded)}, but the model's classifier "
            f"has {labels}, in that order; score columns follow the model's order, so the metadata cannot be "
            f"trusted (edited, or copied from another model). Fix: set \"labels\" in {METADATA_FILE} to {labels}, "
            "or restore the model folder from where it was trained."
        )
    _check_thresholds(pipeline, labels, metadata, model_path)


#: How far a threshold in ``metadata.json`` may be from the model's own before the metadata is refused as edited.
THRESHOLD_TOLERANCE = 1e-6


def _check_thresholds(pipeline, labels: list[str], metadata: dict, model_path: Path) -> None:
    """Refuse metadata whose thresholds are not the model's: `tension info`, the model card and the registry show
    them, while predictions use the model's own."""
    import math

    from classifier.model.pipeline import merged_thresholds

    recorded = metadata.get("thresholds")
    if not isinstance(recorded, dict):
        return
    own = dict(zip(labels, (float(t) for t in merged_thresholds(pipeline)), strict=True))
    wrong = [label for label, value in recorded.items() if label in own and not (
        isinstance(value, int | float) and not isinstance(value, bool)
        and math.isclose(value, own[label], rel_tol=0, abs_tol=THRESHOLD_TOLERANCE))]
    if wrong:
        label = wrong[0]
        raise ModelError(
            f"'{model_path.parent / METADATA_FILE}' gives {label!r} the threshold {recorded[label]!r}, but the model "
            f"uses {own[label]:.4f} (it decides with its own), so the metadata cannot be trusted (edited, or copied "
            f"from another model). Fix: restore the model folder from where it was trained, or set \"thresholds\" "
            f"in {METADATA_FILE} back to the model's."
        )


def _check_passage_settings(pipeline, model_path: Path, retrain: str) -> None:
    """Refuse a model fitted with other passages than this version cuts: its passages' scores would not be the
    ones it was calibrated and thresholded on."""
    from classifier.model.windows import FIRST_PASSAGE_SETTINGS, passage_settings

    if not getattr(pipeline, "passages", False):
        return
    fitted = tuple(getattr(pipeline, "passage_settings_", None) or FIRST_PASSAGE_SETTINGS)
    current = passage_settings()
    if fitted != current:
        size, stride, longer = current
        raise ModelError(
            f"'{model_path}' was fitted with passages of {fitted[0]} tokens every {fitted[1]} (for reports over "
            f"{fitted[2]} tokens), but this version of tension-classifier cuts {size} every {stride} (over "
            f"{longer}), so its long reports would get scores it was not calibrated on. Use the version it was "
            f"trained with, or {retrain[0].lower()}{retrain[1:]}"
        )


# -- the allow-list unpickler ----------------------------------------------------------------------------

#: Packages whose classes a model may contain (``classifier`` is this project).
ALLOWED_PACKAGES = ("classifier", "sklearn", "numpy", "scipy")
#: Modules of those packages that read, write or fetch files, run tests or build code: none belongs in a model.
_REFUSED_MODULES = (
    "numpy.testing", "numpy.f2py", "numpy.distutils", "numpy.ctypeslib", "numpy.lib._datasource", "numpy.lib.npyio",
    "numpy.lib._npyio_impl", "numpy.lib.format", "numpy._core.memmap", "numpy.core.memmap", "numpy.lib.utils",
    "sklearn.datasets", "sklearn.utils._testing", "sklearn.externals", "scipy.io", "scipy.datasets",
    "scipy._lib._testutils", "classifier.cli", "classifier.web", "classifier.labelling", "classifier.io.tables",
    "classifier.io.locking", "classifier.model.persistence", "classifier.retrain.registry", "classifier.training.train",
)
#: Where the modules whose classes a model holds lived before the package was split into subpackages: models
#: saved before then name these paths. A pickle's old path is read as the new one, then checked like any other.
MOVED_MODULES = {
    f"classifier.{name}": f"classifier.model.{name}"
    for name in ("estimator", "pipeline", "preprocess", "features", "windows", "slurs", "explain", "identity_terms")
}
#: Compiled scikit-learn modules that name themselves by their last part: before 1.9, the boosted trees' loss
#: (``sklearn._loss._loss.CyHalfBinomialLoss``) pickles as ``_loss.CyHalfBinomialLoss``. Read as the full path.
SHORT_NAMED_MODULES = {"_loss": "sklearn._loss._loss"}
#: Functions and classes outside those packages (or private helpers inside them) that pickles of numpy arrays,
#: scikit-learn estimators and plain containers need. No function here runs code it is given.
_ALLOWED_GLOBALS = frozenset({
    *(("builtins", name) for name in ("object", "slice", "set", "frozenset", "complex", "range", "bytearray",
                                      "bytes", "dict", "list", "tuple", "int", "float", "str", "bool")),
    ("copyreg", "_reconstructor"),
    ("_codecs", "encode"),  # bytes in protocol-2 pickles (joblib's object arrays)
    ("collections", "OrderedDict"), ("collections", "defaultdict"), ("collections", "Counter"),
    ("collections", "deque"),
    ("joblib.numpy_pickle", "NumpyArrayWrapper"),
    *((module, name) for module in ("numpy._core.multiarray", "numpy.core.multiarray")
      for name in ("_reconstruct", "scalar")),
    ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer"),
    *(("numpy.random._pickle", name) for name in ("__randomstate_ctor", "__bit_generator_ctor", "__generator_ctor")),
    # A random generator's seed state (the boosted trees of the second stage keep one).
    ("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence"),
})


def _trusted_module(module: str) -> bool:
    if module.split(".")[0] not in ALLOWED_PACKAGES:
        return False
    return not module.startswith(_REFUSED_MODULES)  # a prefix: "classifier.cli" covers classifier.cli.serve too


class RefusedGlobal(ModelError):
    """A pickle named a global outside the allow-list (``module.name`` in `name`)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _allowed_global(module: str, name: str, find_class):
    """The global ``module.name`` as ``find_class`` resolves it, if the allow-list lets it through.

    Raises
    ------
    RefusedGlobal
        It is not allowed (checked, where the names suffice, before its module is imported).
    """
    import numpy as np

    module = MOVED_MODULES.get(module, SHORT_NAMED_MODULES.get(module, module))
    if (module, name) in _ALLOWED_GLOBALS:
        return find_class(module, name)
    if "." in name or not _trusted_module(module):  # checked before the module is imported
        raise RefusedGlobal(f"{module}.{name}")
    found = find_class(module, name)
    if isinstance(found, np.ufunc):
        return found  # element-wise maths (np.log1p): runs nothing but arithmetic
    if (not isinstance(found, type) or issubclass(found, np.memmap)
            or not _trusted_module(SHORT_NAMED_MODULES.get(found.__module__, found.__module__))):
        raise RefusedGlobal(f"{module}.{name}")  # a function, or a class re-exported from elsewhere
    return found


@cache
def _allow_listed(unpickler: type) -> type:
    """A subclass of ``unpickler`` (the standard C unpickler, or joblib's, which routes object arrays through it
    too) that resolves only allowed globals."""

    class AllowListUnpickler(unpickler):
        def find_class(self, module: str, name: str):
            return _allowed_global(module, name, super().find_class)

    return AllowListUnpickler


def _pickle_unpickler_class():
    import pickle

    return _allow_listed(pickle.Unpickler)


def _unpickler_class():
    from joblib import numpy_pickle

    return _allow_listed(numpy_pickle.NumpyUnpickler)


@lru_cache(maxsize=1)
def _joblib_restricts_object_arrays() -> bool:
    """Whether this joblib sends the pickle stream of object arrays through our ``find_class`` (1.6 does;
    older ones used a plain ``pickle.load`` there, which would bypass the allow-list)."""
    import collections
    import io

    import joblib
    import numpy as np

    buffer = io.BytesIO()
    joblib.dump(np.array([collections.OrderedDict()], dtype=object), buffer)
    asked: list[tuple[str, str]] = []

    class Recording(_unpickler_class()):
        def find_class(self, module, name):
            asked.append((module, name))
            return super().find_class(module, name)

    buffer.seek(0)
    Recording("", buffer, True).load()
    return ("collections", "OrderedDict") in asked


def safe_load(path: str | os.PathLike[str]):
    """Unpickle a model file (:func:`write_model_file`), refusing any global outside the allow-list (see the
    module docstring).

    Raises
    ------
    ModelError
        The pickle names a refused global (the message names it; nothing in the file ran).
    """
    path = Path(path)
    return _loads(path.read_bytes(), path)


def _loads(data: bytes, path: Path):
    """:func:`safe_load` of the bytes ``data`` of the model file ``path``."""
    import gzip
    import io

    try:
        return _pickle_unpickler_class()(io.BytesIO(gzip.decompress(data))).load()
    except RefusedGlobal as refused:
        raise _refused(path, refused) from None


def _refused(path: Path, refused: RefusedGlobal) -> ModelError:
    return ModelError(
        f"'{path}' asks for {refused.name}, which is not on the list of classes a tension model is made of "
        f"({', '.join(ALLOWED_PACKAGES)} classes and numpy's array helpers), so it was refused before "
        "anything in it ran. A model file that calls other code was not made by this package: do not use it; "
        "retrain the model (tension train DATA --out FOLDER) or restore it from where it was trained."
    )


def safe_load_joblib(path: str | os.PathLike[str], handle=None):
    """Unpickle a joblib file (a model saved before format 2), refusing any global outside the allow-list;
    ``handle``: the file's bytes already read (a binary file object), else the file at ``path`` is opened.

    Raises
    ------
    ModelError
        The pickle names a refused global (the message names it; nothing in the file ran), it is in the
        joblib format older than 0.10, or the installed joblib cannot apply the allow-list.
    """
    import joblib
    from joblib import numpy_pickle

    path = Path(path)
    if not _joblib_restricts_object_arrays():
        raise ModelError(
            f"joblib {joblib.__version__} unpickles arrays of Python objects without the allow-list that keeps a "
            f"model file from running code, so '{path}' was not loaded. Fix: pip install 'joblib>=1.6'"
        )
    try:
        with (contextlib.nullcontext(handle) if handle is not None else open(path, "rb")) as opened, \
                numpy_pickle._validate_fileobject_and_memmap(opened, str(path), None) as (fobj, _):
            if isinstance(fobj, str):
                raise ModelError(f"'{path}' is in a joblib format older than 0.10, which is not loaded. Retrain it.")
            return _unpickler_class()(str(path), fobj, True).load()
    except RefusedGlobal as refused:
        raise _refused(path, refused) from None


def _check_versions(saved: dict, model_dir: Path) -> None:
    from importlib.metadata import version

    for library in ("scikit-learn", "spacy"):
        was, now = saved.get(library), version(library)  # the installed package's, without importing it
        if not isinstance(was, str) or not was:
            raise ModelError(
                f"'{model_dir}/{METADATA_FILE}' does not say which {library} version saved the model (its "
                f"'versions' holds {was!r} for it): the model cannot be checked against {library} {now}. Restore "
                f"the folder's {METADATA_FILE}, or retrain the model."
            )
        if _minor(was) != _minor(now):
            raise ModelError(
                f"'{model_dir}' was saved with {library} {was}, but {now} is installed; models do not load "
                f"across {library} minor versions. Install {library}=={was} or retrain the model."
            )


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


class PreprocessingChangedWarning(UserWarning):
    """A model trained when reports were read otherwise: its scores may differ from its recorded figures."""


def warn_if_read_differently(model_dir, metadata: dict) -> None:
    """Warn (:class:`PreprocessingChangedWarning`) when ``metadata`` records no preprocessing version or another one
    than :data:`PREPROCESSING_VERSION`."""
    import warnings

    was = metadata.get("preprocessing_version")
    if was == PREPROCESSING_VERSION:
        return
    when = "before tension-classifier recorded how it reads reports" if was is None else \
        f"when reports were read by preprocessing version {was!r}"
    warnings.warn(
        f"'{model_dir}' was trained {when}; this installation reads them by version {PREPROCESSING_VERSION}, so some "
        "reports (e-mail wrappers, markup, identifiers) may be read otherwise than when it was trained and "
        "evaluated, and its recorded figures may not hold. To be sure of them, retrain it: tension train DATA --out "
        "FOLDER.", PreprocessingChangedWarning, stacklevel=3)
