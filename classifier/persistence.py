"""Saving and loading models: ``model.joblib`` + ``metadata.json`` (+ ``MODEL_CARD.md``), atomically.

A joblib file is a pickle, and unpickling runs code: load only models you trained or got from someone you
trust. The SHA-256 recorded in ``metadata.json`` is checked before unpickling, which catches corruption and
accidental edits; it is no defence against someone who can rewrite both files.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from classifier.errors import ModelError
from classifier.records import file_sha256

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
CARD_FILE = "MODEL_CARD.md"
FORMAT_VERSION = 1
DEFAULT_MODELS_DIR = "models"
DEFAULT_MODEL_NAME = "default"
# Names the promoted default model (see classifier/registry.py); not "DEFAULT", which would clash with the
# "default" folder on case-insensitive file systems.
DEFAULT_POINTER_FILE = "DEFAULT_MODEL"


def models_dir() -> Path:
    """Where models live: ``$TENSION_MODELS_DIR`` or ``./models``."""
    return Path(os.environ.get("TENSION_MODELS_DIR", DEFAULT_MODELS_DIR))


def library_versions() -> dict[str, str]:
    """Versions of the libraries a saved pipeline depends on."""
    import joblib
    import numpy
    import scipy
    import sklearn
    import spacy

    from classifier import __version__

    return {
        "tension-classifier": __version__, "scikit-learn": sklearn.__version__, "spacy": spacy.__version__,
        "numpy": numpy.__version__, "scipy": scipy.__version__, "joblib": joblib.__version__,
    }


def save_model(pipeline, out_dir, metadata: dict, card: str | None = None) -> Path:
    """Write the model folder atomically: build it beside ``out_dir``, then swap it into place.

    An existing folder at ``out_dir`` is replaced only once the new one is complete, so a crash leaves
    either the old model or the new one, never a mix.
    """
    import joblib

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        joblib.dump(pipeline, staging / MODEL_FILE, compress=3)
        metadata = dict(metadata)
        metadata["format_version"] = FORMAT_VERSION
        metadata["model_sha256"] = file_sha256(staging / MODEL_FILE)
        metadata.setdefault("versions", library_versions())
        (staging / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=False) + "\n", "utf-8")
        if card is not None:
            (staging / CARD_FILE).write_text(card, "utf-8")
        _swap_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _swap_into_place(staging: Path, target: Path) -> None:
    if not target.exists():
        os.replace(staging, target)
        return
    if not target.is_dir():
        raise ModelError(f"'{target}' exists and is not a folder; choose another --out or remove it.")
    backup = target.with_name(f".{target.name}.old")
    shutil.rmtree(backup, ignore_errors=True)
    os.replace(target, backup)
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def default_model_dir() -> Path:
    """The default model's folder: the one named in ``models/DEFAULT_MODEL`` (set by ``tension promote``),
    else ``models/default``.

    Raises
    ------
    ModelError
        When the pointer file names something that is not a model folder under ``models/``.
    """
    pointer = models_dir() / DEFAULT_POINTER_FILE
    if not pointer.is_file():
        return models_dir() / DEFAULT_MODEL_NAME
    name = pointer.read_text("utf-8").strip()
    if not name or Path(name).name != name or name.startswith("."):
        raise ModelError(
            f"'{pointer}' should hold the name of one model folder in '{models_dir()}', found {name!r}. "
            "Set it with: tension promote NAME"
        )
    if not (models_dir() / name).is_dir():
        raise ModelError(
            f"The default model '{name}' named in '{pointer}' is not in '{models_dir()}'. Promote another "
            "model (tension models; tension promote NAME) or roll back (tension promote --rollback)."
        )
    return models_dir() / name


def resolve_model_dir(path=None) -> Path:
    """The folder a model path names: ``None`` → the default model; a name → ``models/<name>``."""
    if path is None:
        return default_model_dir()
    path = Path(path)
    if path.name == MODEL_FILE:
        return path.parent
    if not path.exists() and len(path.parts) == 1 and (models_dir() / path).exists():
        return models_dir() / path
    return path


def read_metadata(model_dir) -> dict:
    """Parse ``metadata.json`` of a model folder, with clear errors when it is missing or broken."""
    model_dir = Path(model_dir)
    meta_path = model_dir / METADATA_FILE
    if not model_dir.exists():
        raise ModelError(
            f"No model at '{model_dir}'. Train one first: tension train data/reports.csv --out {model_dir}"
        )
    if not meta_path.is_file():
        raise ModelError(
            f"'{model_dir}' has no {METADATA_FILE}, so it is not a complete model folder. Retrain it with "
            f"tension train DATA --out {model_dir}"
        )
    try:
        metadata = json.loads(meta_path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"'{meta_path}' is not valid JSON ({exc}). The model folder is damaged; retrain it.") from exc
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"'{model_dir}' has model format version {metadata.get('format_version')!r}; this installation "
            f"reads version {FORMAT_VERSION}. Retrain the model with this version of tension-classifier."
        )
    return metadata


def load_pipeline(model_dir) -> tuple[object, dict]:
    """Check and load a model folder's pipeline and metadata.

    Raises
    ------
    ModelError
        When a file is missing, the SHA-256 of ``model.joblib`` differs from the recorded one (corrupt,
        truncated or tampered), scikit-learn's or spaCy's version is incompatible, or unpickling fails.
    """
    model_dir = Path(model_dir)
    metadata = read_metadata(model_dir)
    model_path = model_dir / MODEL_FILE
    if not model_path.is_file():
        raise ModelError(f"'{model_dir}' has no {MODEL_FILE}. Retrain: tension train DATA --out {model_dir}")
    actual = file_sha256(model_path)
    if actual != metadata.get("model_sha256"):
        raise ModelError(
            f"'{model_path}' does not match the SHA-256 recorded in {METADATA_FILE} (expected "
            f"{str(metadata.get('model_sha256'))[:12]}..., found {actual[:12]}...): the file is corrupt, "
            "truncated or was changed. It was not loaded. Retrain the model or restore the original file."
        )
    _check_versions(metadata.get("versions", {}), model_dir)
    import joblib

    try:
        pipeline = joblib.load(model_path)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means the same to the user
        raise ModelError(f"Could not load '{model_path}': {exc}. Retrain the model with this installation.") from exc
    return pipeline, metadata


def _check_versions(saved: dict, model_dir: Path) -> None:
    current = library_versions()
    for library in ("scikit-learn", "spacy"):
        was, now = saved.get(library), current[library]
        if was is None or _minor(was) != _minor(now):
            raise ModelError(
                f"'{model_dir}' was saved with {library} {was}, but {now} is installed; models do not load "
                f"across {library} minor versions. Install {library}=={was} or retrain the model."
            )


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])
