"""Which reports a model was trained and tested on, as ids and text hashes (never the text).

A model folder keeps them in ``rows.json`` (:data:`classifier.model.persistence.ROWS_FILE`), whose SHA-256 is
recorded in ``metadata.json`` and checked on load like the model's own file. They let a comparison score two
models only on reports that neither trained on (:mod:`classifier.evaluation.compare`), and tell whether two
models' test figures come from the same reports (``tension models``).

A report is recognised by :func:`classifier.io.records.text_sha256` of its text (case and spacing ignored),
whatever file or id it comes with: ids are kept for people to trace a row, but a file without an ``id`` column
numbers its rows from 1, so ids alone cannot say whether two files share a report.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

from classifier.errors import ModelError
from classifier.io.columns import LABEL_SEPARATOR
from classifier.io.records import LabelledData, text_sha256

ROWS_FORMAT_VERSION = 1
TEXT_HASH = "sha256 of the text, lowercased, with runs of whitespace as one space"


@dataclass(frozen=True)
class TrainingRows:
    """The ids and text hashes of a model's training and test reports, in the order training used them, and the
    labels its test reports were scored against (``;``-joined; None in a record from before they were kept)."""

    train_ids: tuple[str, ...]
    train_hashes: tuple[str, ...]
    test_ids: tuple[str, ...]
    test_hashes: tuple[str, ...]
    test_labels: tuple[str, ...] | None = None

    @classmethod
    def from_data(cls, train: LabelledData, test: LabelledData) -> TrainingRows:
        """The record of a training run on ``train``, tested on ``test``."""
        return cls(tuple(train.ids), tuple(text_sha256(t) for t in train.texts),
                   tuple(test.ids), tuple(text_sha256(t) for t in test.texts),
                   tuple(LABEL_SEPARATOR.join(labels) for labels in test.labels))

    @cached_property
    def trained_on(self) -> frozenset[str]:
        """The text hashes of the training reports."""
        return frozenset(self.train_hashes)

    @cached_property
    def evaluation_digest(self) -> str:
        """One SHA-256 for the set of test reports and their labels: two models with the same digest were scored
        on the same reports against the same labels, so their test figures can be set side by side (a relabelled
        test report changes it)."""
        rows = self.test_hashes if self.test_labels is None else \
            [f"{digest}\t{labels}" for digest, labels in zip(self.test_hashes, self.test_labels, strict=True)]
        return hashlib.sha256("\n".join(sorted(set(rows))).encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        return {
            "format_version": ROWS_FORMAT_VERSION,
            "text_hash": TEXT_HASH,
            "train": {"ids": list(self.train_ids), "text_sha256": list(self.train_hashes)},
            "test": {"ids": list(self.test_ids), "text_sha256": list(self.test_hashes),
                     **({} if self.test_labels is None else {"labels": list(self.test_labels)})},
        }

    @classmethod
    def from_dict(cls, record, where: str) -> TrainingRows:
        """Read :meth:`to_dict`'s output back; a `ModelError` naming ``where`` when it is not one."""
        try:
            if record["format_version"] != ROWS_FORMAT_VERSION:
                raise ModelError(
                    f"'{where}' has row-record format version {record['format_version']!r}; this installation reads "
                    f"version {ROWS_FORMAT_VERSION}. Retrain the model with this version of tension-classifier."
                )
            parts = [record[split][key] for split in ("train", "test") for key in ("ids", "text_sha256")]
            labels = record["test"].get("labels")
        except (KeyError, TypeError, AttributeError) as exc:
            raise ModelError(f"'{where}' is not a record of training rows (missing {exc}). Retrain the model.") \
                from None
        if not all(isinstance(part, list) and all(isinstance(item, str) for item in part) for part in parts) \
                or len(parts[0]) != len(parts[1]) or len(parts[2]) != len(parts[3]):
            raise ModelError(f"'{where}' is not a record of training rows (lists of ids and hashes of equal "
                             "length expected). Retrain the model.")
        if labels is not None and (not isinstance(labels, list) or len(labels) != len(parts[3])
                                   or not all(isinstance(item, str) for item in labels)):
            raise ModelError(f"'{where}' is not a record of training rows (its test labels do not match its test "
                             "rows). Retrain the model.")
        return cls(*(tuple(part) for part in parts), test_labels=None if labels is None else tuple(labels))
