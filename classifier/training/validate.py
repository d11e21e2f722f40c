"""Checks of labelled files before training: the engine behind ``tension validate``."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from classifier.io.records import format_conflict, label_conflicts, normalise_text, read_labelled
from classifier.model.label_names import likely_typo, similar_label_pairs
from classifier.training.train import MIN_POSITIVES

NEAR_DUPLICATE_COSINE = 0.8
SHARED_RUN_WORDS = 8
#: Items of each list `format_report` shows unless asked for all.
SHOWN = 20
#: A label with at most this share of the reports of a label a letter or two from it is taken as its misspelling.
TYPO_SHARE = 0.2
_WORD = re.compile(r"[a-z0-9']+")


@dataclass
class ValidationReport:
    """What :func:`validate_file` found. ``ok`` is false when something must be fixed before training."""

    n_reports: int
    label_counts: dict[str, int]
    no_label: int
    multi_label: int
    exact_duplicates: list[tuple[str, str]] = field(default_factory=list)
    near_duplicates: list[tuple[str, str, float]] = field(default_factory=list)
    unknown_labels: dict[str, list[str]] = field(default_factory=dict)
    rare_labels: dict[str, str | None] = field(default_factory=dict)
    #: Labels a letter or two apart ("immigation", "immigration"), whatever their counts: a misspelling when one is
    #: far rarer (:data:`TYPO_SHARE`), which ``ok`` counts; perhaps two labels meant apart otherwise.
    similar_labels: list[tuple[str, str]] = field(default_factory=list)
    shared_run_share: float = 0.0
    split_counts: dict[str, int] = field(default_factory=dict)
    conflicts: list[tuple] = field(default_factory=list)
    files: int = 1

    @property
    def ok(self) -> bool:
        return not (self.exact_duplicates or self.near_duplicates or self.unknown_labels or self.conflicts
                    or self.rare_labels or self.misspelt_labels or self.labels_on_every_report)

    @property
    def labels_on_every_report(self) -> list[str]:
        """Labels every report has: a model cannot learn one from reports that all have it (training refuses)."""
        return [label for label, n in self.label_counts.items() if self.n_reports and n == self.n_reports]

    @property
    def misspelt_labels(self) -> list[tuple[str, str]]:
        """The :attr:`similar_labels` pairs whose rarer label has at most :data:`TYPO_SHARE` of the other's
        reports, rarer first."""
        pairs = []
        for a, b in self.similar_labels:
            rare, common = sorted((a, b), key=lambda name: self.label_counts.get(name, 0))
            if self.label_counts.get(rare, 0) <= TYPO_SHARE * self.label_counts.get(common, 0):
                pairs.append((rare, common))
        return pairs


def validate_file(path, **options) -> ValidationReport:
    """Read and check one labelled file (:func:`validate_files` of ``[path]``)."""
    return validate_files([path], **options)


def validate_files(paths, *, text_column=None, labels_column="labels", allowed_labels=None,
                   min_examples=10) -> ValidationReport:
    """Read and check labelled files together, as ``tension train`` would combine them: duplicates and
    near-duplicates across files too, and every text given different labels (``conflicts``). Empty texts and
    malformed labels raise :class:`DataError`."""
    from classifier.io.records import LabelledData

    datasets = [read_labelled(path, text_column=text_column, labels_column=labels_column) for path in paths]
    data = LabelledData([], [], [], [], [], {})
    for part in datasets:
        for name in ("ids", "texts", "labels", "splits", "sources"):
            getattr(data, name).extend(getattr(part, name))
    counts = data.label_counts()
    report = ValidationReport(
        n_reports=len(data),
        label_counts=counts,
        no_label=sum(1 for labels in data.labels if not labels),
        multi_label=sum(1 for labels in data.labels if len(labels) > 1),
        split_counts=dict(Counter(s for s in data.splits if s)),
        conflicts=label_conflicts(datasets),
        files=len(datasets),
    )
    first: dict[str, int] = {}
    for i, text in enumerate(data.texts):
        key = normalise_text(text)
        if key not in first:
            first[key] = i
        elif set(data.labels[first[key]]) == set(data.labels[i]):  # with other labels: a conflict, listed there
            report.exact_duplicates.append((data.sources[first[key]], data.sources[i]))
    report.near_duplicates = [
        (data.sources[i], data.sources[j], score) for i, j, score in near_duplicate_pairs(data.texts)
        if normalise_text(data.texts[i]) != normalise_text(data.texts[j])
    ]
    report.shared_run_share = shared_run_share(data.texts)
    if allowed_labels is not None:
        where = defaultdict(list)
        for source, labels in zip(data.sources, data.labels, strict=True):
            for label in labels:
                if label not in allowed_labels:
                    where[label].append(source)
        report.unknown_labels = dict(where)
    for label, n in counts.items():
        if n < min_examples:
            common = [other for other in counts if counts[other] >= min_examples]
            report.rare_labels[label] = likely_typo(label, common)
    report.similar_labels = similar_label_pairs(counts)
    return report


def near_duplicate_pairs(texts, threshold=NEAR_DUPLICATE_COSINE) -> list[tuple[int, int, float]]:
    """Pairs of texts whose TF-IDF cosine similarity exceeds ``threshold``."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(texts) < 2:
        return []
    matrix = TfidfVectorizer().fit_transform(texts)
    pairs = []
    step = 2000
    for start in range(0, matrix.shape[0], step):
        # Each block against itself and the texts after it only: a pair is scored once (half the products).
        block = (matrix[start : start + step] @ matrix[start:].T).tocoo()
        # Filter in numpy: almost every pair of reports shares some word, so the block is nearly dense.
        rows, cols = block.row + start, block.col + start
        keep = (rows < cols) & (block.data > threshold)
        pairs += zip(rows[keep].tolist(), cols[keep].tolist(), block.data[keep].tolist(), strict=True)
    return sorted(pairs)


def shared_run_share(texts, run=SHARED_RUN_WORDS) -> float:
    """Share of texts that share a run of ``run`` consecutive words with another text."""
    owners: dict[str, set[int]] = defaultdict(set)
    for i, text in enumerate(texts):
        words = _WORD.findall(text.lower())
        for j in range(len(words) - run + 1):
            owners[" ".join(words[j : j + run])].add(i)
    sharing = {i for ids in owners.values() if len(ids) > 1 for i in ids}
    return len(sharing) / len(texts) if texts else 0.0


def format_report(report: ValidationReport, *, show_all: bool = False) -> str:
    """Plain-text summary for the terminal, one problem per line: the first :data:`SHOWN` of each kind, or all
    with ``show_all``."""

    def listed(items, line) -> list[str]:
        shown = items if show_all else items[:SHOWN]
        more = [f"  ... and {len(items) - len(shown)} more (--show-all lists them all)"] if len(shown) < len(items) \
            else []
        return [f"  {line(item)}" for item in shown] + more

    files = f" in {report.files} files" if report.files > 1 else ""
    lines = [f"{report.n_reports} reports{files}"]
    if report.split_counts:
        lines.append("split: " + ", ".join(f"{k} {v}" for k, v in sorted(report.split_counts.items())))
    lines.append("reports per label:")
    lines += [f"  {label:<18}{n:>6}" for label, n in report.label_counts.items()]
    lines.append(f"  {'(no label)':<18}{report.no_label:>6}")
    share = report.multi_label / report.n_reports if report.n_reports else 0
    lines.append(f"two or more labels: {report.multi_label} ({share:.1%})")
    lines.append(f"reports sharing an {SHARED_RUN_WORDS}-word run with another: {report.shared_run_share:.1%}")
    lines.append(f"same text with different labels: {len(report.conflicts)}")
    lines += listed(report.conflicts, format_conflict)
    lines.append(f"exact duplicates with the same labels: {len(report.exact_duplicates)}")
    lines += listed(report.exact_duplicates, lambda pair: f"{pair[0]} = {pair[1]}")
    lines.append(f"near duplicates (TF-IDF cosine > {NEAR_DUPLICATE_COSINE}): {len(report.near_duplicates)}")
    lines += listed(report.near_duplicates, lambda near: f"{near[0]} ~ {near[1]} ({near[2]:.2f})")
    for label, sources in report.unknown_labels.items():
        lines.append(f"unknown label '{label}' in {len(sources)} row(s), e.g. {', '.join(sources[:5])}")
    for label, match in report.rare_labels.items():
        hint = f" (a typo for '{match}'?)" if match else ""
        lines.append(f"label '{label}' has only {report.label_counts[label]} example(s){hint}: tension train "
                     f"refuses a label with fewer than {MIN_POSITIVES} training reports")
    for label in report.labels_on_every_report:
        lines.append(f"label '{label}' is on every report: tension train needs reports without it too (it refuses "
                     "a label of one class); add reports that do not have it")
    if report.n_reports and not report.no_label:
        lines.append("no report is without a label: the model never sees an ordinary report and will give most "
                     "reports some label; add reports that need none (as most of a council's do)")
    misspelt = {frozenset(pair): pair for pair in report.misspelt_labels}  # (rarer, commoner) by either order
    for a, b in report.similar_labels:
        if frozenset((a, b)) in misspelt:
            rare, common = misspelt[frozenset((a, b))]
            lines.append(f"label '{rare}' ({report.label_counts[rare]} reports) looks like a misspelling of "
                         f"'{common}' ({report.label_counts[common]}): correct those rows, or tension train learns "
                         "it as a label of its own")
        else:
            lines.append(f"labels '{a}' ({report.label_counts[a]}) and '{b}' ({report.label_counts[b]}) are a "
                         "letter or two apart: check they are meant as two labels")
    lines.append("OK" if report.ok else "PROBLEMS FOUND: fix the rows above before training.")
    return "\n".join(lines)
