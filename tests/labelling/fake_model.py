"""A stand-in model for the labelling tests: fast, deterministic, and it records what it was asked."""

from __future__ import annotations

import math

from classifier.model.predictor import MAX_TEXT_CHARS, STATUS_TOO_LONG, Prediction, TensionModel


class FakeModel(TensionModel):
    """Labels 'a' when a text holds an "a"; honours max_chars like the real model; records what it saw."""

    def __init__(self, on_call=None):
        self.seen: list[list[str]] = []
        self.on_call = on_call

    @property
    def labels(self):
        return ["a", "b"]

    @property
    def thresholds(self):
        return {"a": 0.5, "b": 0.5}

    def predict(self, texts, *, on_invalid="raise", max_chars=MAX_TEXT_CHARS, **kwargs):
        texts = list(texts)
        self.seen.append(texts)
        if self.on_call is not None:
            self.on_call(len(self.seen))
        results = []
        for text in texts:
            if max_chars is not None and len(text) > max_chars:
                results.append(Prediction((), {"a": math.nan, "b": math.nan}, True, {}, STATUS_TOO_LONG))
            elif not text.strip():
                results.append(Prediction((), {"a": math.nan, "b": math.nan}, True, {}, "empty text"))
            else:
                hit = "a" in text
                results.append(Prediction(("a",) if hit else (), {"a": 0.9 if hit else 0.1, "b": 0.2}, False,
                                          {"a": ["a"]} if hit else {}))
        return results
