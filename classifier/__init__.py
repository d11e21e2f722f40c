"""tension-classifier: label reports of community tension with scores, a review flag and reasons.

>>> from classifier import load_model            # doctest: +SKIP
>>> model = load_model()                         # models/default
>>> model.predict(["leaflets saying asylum seekers get free houses"])[0].labels   # doctest: +SKIP
('immigration', 'misinformation')

Heavy libraries (spaCy, scikit-learn) are imported only when a model is loaded or trained.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["load_model", "predict", "__version__"]


def load_model(path=None, *, review_band=None):
    """Load a saved model folder (default ``models/default``) as a :class:`~classifier.model.TensionModel`.

    Load only models you trust: a model file is a pickle and runs code when loaded. Its SHA-256 is checked
    against ``metadata.json`` before it is unpickled.

    Raises
    ------
    ModelError
        Missing, corrupt or incompatible model; the message says how to fix it.
    """
    from classifier.model import TensionModel
    from classifier.persistence import load_pipeline, resolve_model_dir

    pipeline, metadata = load_pipeline(resolve_model_dir(path))
    return TensionModel(pipeline, metadata, review_band=review_band)


def predict(texts, model=None, **kwargs):
    """Label ``texts`` with ``model`` (a TensionModel, a model folder, or ``None`` for the default)."""
    from classifier.model import TensionModel

    if not isinstance(model, TensionModel):
        model = load_model(model)
    return model.predict(texts, **kwargs)
