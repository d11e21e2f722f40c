"""tension-classifier: label reports of community tension with scores, a review flag and reasons.

>>> from classifier import load_model            # doctest: +SKIP
>>> model = load_model()                         # models/default
>>> model.predict(["leaflets saying asylum seekers get free houses"])[0].labels   # doctest: +SKIP
('immigration', 'misinformation')

The public API is re-exported here; modules inside the package import from where things are defined
(`classifier.model.predictor` for `load_model` and `predict`), never from this root. Heavy libraries (spaCy,
scikit-learn) are imported only when a model is loaded or trained: `load_model` and `predict` are looked up
on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from classifier._version import __version__

if TYPE_CHECKING:  # for type checkers and editors; at run time they are looked up on first use
    from classifier.model.predictor import load_model, predict

__all__ = ["load_model", "predict", "__version__"]


def __getattr__(name: str):
    if name in ("load_model", "predict"):
        from classifier.model import predictor

        return getattr(predictor, name)
    raise AttributeError(f"module 'classifier' has no attribute {name!r}")
