"""Reading and validating labelled report files: the first step of training and evaluation."""

from __future__ import annotations

import hashlib
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from classifier.errors import DataError
from classifier.io.columns import ID_COLUMNS, LABEL_SEPARATOR, LABELS_COLUMN, SPLIT_COLUMN, TEXT_COLUMNS, row_number
from classifier.io.tables import TableReader, find_column, quotable, unguard_formula

__all__ = [
    "ID_COLUMNS", "LABELS_COLUMN", "LABEL_SEPARATOR", "SPLITS", "SPLIT_COLUMN", "TEXT_COLUMNS", "LabelConflictError",
    "LabelledData", "combine", "file_sha256", "format_conflict", "label_conflicts", "label_strata", "normalise_text",
    "parse_labels", "read_labelled", "read_labelled_files", "text_sha256",
]

SPLITS = ("train", "test")
LABEL_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass
class LabelledData:
    """Reports with their labels, in file order, and where each came from."""

    ids: list[str]
    texts: list[str]
    labels: list[tuple[str, ...]]
    splits: list[str | None]
    sources: list[str] = field(default_factory=list)  # "file.csv row 12" (classifier.io.columns.row_number)
    file_hashes: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def label_set(self) -> list[str]:
        """Sorted label names present in the data."""
        return sorted({label for labels in self.labels for label in labels})

    @property
    def has_split(self) -> bool:
        return all(split is not None for split in self.splits)

    def subset(self, indices) -> LabelledData:
        """The rows at ``indices``, in that order."""
        return LabelledData(
            [self.ids[i] for i in indices], [self.texts[i] for i in indices], [self.labels[i] for i in indices],
            [self.splits[i] for i in indices], [self.sources[i] for i in indices], dict(self.file_hashes),
        )

    def only_split(self, split: str, where: str = "the data") -> LabelledData:
        """The rows whose ``split`` column is ``split`` (case and surrounding spaces ignored, as the file's own
        values are); a clear error when there are none."""
        split = split.strip().casefold()
        keep = [i for i, s in enumerate(self.splits) if s == split]
        if not keep and all(s is None for s in self.splits):
            raise DataError(f"{where} has no 'split' column, so --split {split} selects nothing. Drop --split to "
                            "score every row (tension evaluate --unseen-only leaves out those a model trained on).")
        if not keep:
            raise DataError(f"No rows of {where} have split '{split}'. Use train or test, or drop --split.")
        return self.subset(keep)

    def label_counts(self, labels=None) -> dict[str, int]:
        """How many reports carry each of ``labels`` (default: every label in the data, in :attr:`label_set`
        order); a label no report carries counts 0."""
        counts = Counter(label for row in self.labels for label in row)  # a row holds each label once
        return {label: counts[label] for label in (self.label_set if labels is None else labels)}

    def indicator(self, labels) -> list[list[int]]:
        """Label indicator rows for ``labels`` (a label missing from ``labels`` is ignored)."""
        return [[int(label in row) for label in labels] for row in self.labels]


#: Words of a labels cell quoted back in an error ("Race Hate", a typo with a fix); a longer cell is report text
#: that slipped into the column (`quotable`).
LABEL_WORDS_QUOTED = 3
#: Words that label names are made of. A cell that is not a valid label name is quoted back (with a fix) only when
#: it is made of these: "said Mrs Zorbalinski", "Zorbalinski" or "reg AB12CDE" pushed into the column by a stray
#: comma are report text, and stay out of the message.
_LABEL_WORDS = frozenset("""
    abuse anti antisemitism antisemitic antisocial asb asylum behavior behaviour cohesion community crime criminal
    damage disability disinformation disorder domestic drugs exploitation extremism far gang gaza gender graffiti
    harassment hate hatred homophobia homophobic identity immigration incident islamist israel israel_palestine
    islamophobia islamophobic jewish label labels lgbt lgbtq migrant migrants migration misinformation muslim
    neighbour noise none online other palestine political prevent protest race race_hate racial racism racist
    religion religious religious_hate right safeguarding semitic semitism sexual social tension terrorism threat
    transphobia transphobic vandalism violence weapons wing
""".split())


#: Cell values that mean "no label" (or a spreadsheet's TRUE/FALSE), never taken as label names: a label called
#: "none" would be learnt and given like any other. A report with no label has an empty labels cell.
NO_LABEL_VALUES = ("none", "true", "false", "yes", "no", "na", "n/a", "nil", "null", "-")


def _no_label_error(name: str, where: str) -> DataError:
    return DataError(
        f"{where}: '{name}' in the labels cell is a 'no label' or yes/no value, not a label name (none of "
        f"{', '.join(repr(value) for value in NO_LABEL_VALUES)} is). The cell lists a report's labels by name, "
        f"separated by '{LABEL_SEPARATOR}': leave it empty for a report with no label, and remove the value beside "
        "other labels (a TRUE/FALSE column per label is not read: name the labels in one column)."
    )


def _label_like(name: str) -> bool:
    """Whether ``name`` (not a valid label name) reads as a mistyped label rather than report text."""
    if not quotable(name, LABEL_WORDS_QUOTED) or "@" in name or any(char.isdigit() for char in name):
        return False
    words = [word for word in re.split(r"[\s,|/+&_.-]+", name.lower()) if word]
    return bool(words) and all(word in _LABEL_WORDS for word in words)


#: What a labels cell may hold between two labels instead of ';': a comma, a pipe, a slash, a plus, an ampersand or a
#: line break (Alt+Enter in an Excel cell).
_OTHER_SEPARATORS = re.compile(r"\s*[,|/+&\r\n]\s*")


def _fixed(name: str) -> str:
    """The label name(s) ``name`` (one line of a labels cell) was likely meant as: labels joined by another
    separator rejoined by ';', else its words joined by '_' ("" for a value that means no label)."""
    parts = [part for part in _OTHER_SEPARATORS.split(name.lower()) if part]
    if len(parts) > 1 and all(LABEL_NAME.match(part) for part in parts):  # another separator
        return LABEL_SEPARATOR.join(part for part in parts if part not in NO_LABEL_VALUES)
    fix = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    return "" if fix in NO_LABEL_VALUES else fix


def _outside_the_name_rule(name: str) -> bool:
    """Whether ``name`` is one word meant as a label name that breaks the rule of :data:`LABEL_NAME` only by a
    letter outside ASCII ('désordre_public') or a leading number ('2024_asb'). A name with a capital ('Zorbalinski')
    or a number that is not followed by a label ('07700900123') may be report text, and is left to the rest."""
    if not quotable(name, 1) or "@" in name:
        return False
    if re.fullmatch(r"[0-9]+_[a-z][a-z0-9_]*", name.lower()):
        return True
    return name == name.lower() and not name.isascii() and re.fullmatch(r"[\w-]+", name) is not None


def _name_rule_error(name: str, where: str) -> DataError:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode()
    fix = re.sub(r"[^a-z0-9_]+", "_", ascii_name).strip("_")
    fix = re.sub(r"^([0-9_]+)_(.+)$", r"\2_\1", fix).strip("_")  # "2024_asb" -> "asb_2024"
    hint = f"Did you mean '{fix}'?" if LABEL_NAME.match(fix) and fix not in NO_LABEL_VALUES else \
        "Rename it in ASCII letters, e.g. anti_social_behaviour."
    return DataError(
        f"{where}: label '{name}' is not a valid label name: label names are lowercase ASCII letters, digits and "
        f"underscores, starting with a letter (no accents, other alphabets or leading numbers). {hint}"
    )


def _bad_name_error(name: str, where: str) -> DataError:
    """The error for ``name``, not a valid label name: labels joined by another separator, a mistyped label with
    its fix, or report text (not quoted back)."""
    if _outside_the_name_rule(name):
        return _name_rule_error(name, where)
    lines = [line.strip() for line in name.splitlines() if line.strip()]
    if not _label_like(name) and not (len(lines) > 1 and all(LABEL_NAME.match(line.lower()) for line in lines)):
        return DataError(
            f"{where}: the labels cell holds {len(name)} characters that are not a label name (not shown: "
            "it reads like report text). Is a comma in the report not inside quotes, pushing text into "
            f"the next column? Fix the row; labels are names such as race_hate, separated by '{LABEL_SEPARATOR}'."
        )
    suggestion = LABEL_SEPARATOR.join(fix for fix in map(_fixed, lines) if fix)
    if not suggestion:  # "No." is no label, not the label "no"
        return _no_label_error(name, where)
    if len(lines) > 1:  # quoted on one line, so that the error stays one
        return DataError(
            f"{where}: the labels cell holds {', '.join(repr(line) for line in lines)} on separate lines (a line "
            f"break, Alt+Enter in Excel), which do not separate labels. Did you mean '{suggestion}'?"
        )
    return DataError(
        f"{where}: label '{name}' is not a valid label name (lowercase letters, digits and "
        f"underscores, separated by '{LABEL_SEPARATOR}'). Did you mean '{suggestion}'?"
    )


def parse_labels(cell: str, where: str) -> tuple[str, ...]:
    """Split a ``;``-separated labels cell and check each name; empty means no label."""
    labels = []
    for raw in (cell or "").split(LABEL_SEPARATOR):
        name = raw.strip()
        if not name:
            continue
        if name.casefold().rstrip(".") in NO_LABEL_VALUES:
            raise _no_label_error(name, where)
        if not LABEL_NAME.match(name):
            raise _bad_name_error(name, where)
        if name not in labels:
            labels.append(name)
    return tuple(sorted(labels))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: Row problems (empty text, a bad split or label cell) named in the error of `read_labelled`.
ROW_PROBLEMS_SHOWN = 5


def read_labelled(path, *, text_column=None, labels_column=LABELS_COLUMN, split_column=SPLIT_COLUMN,
                  sheet=None) -> LabelledData:
    """Read one labelled file (CSV, TSV, XLSX or JSONL) and check every row.

    Raises
    ------
    DataError
        When the file or a column is missing, or rows have an empty text, a split other than train or test, or a
        malformed label name; the message names the file, how many rows and the first of them.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Labelled data file '{path}' does not exist. Check the path.")
    data = LabelledData([], [], [], [], [], {str(path): file_sha256(path)})
    with TableReader(path, sheet=sheet) as reader:
        columns = reader.columns
        try:
            text_col = find_column(columns, TEXT_COLUMNS, given=text_column, purpose="text", path=path,
                                   sheet=reader.sheet_title)
            label_col = find_column(columns, (labels_column,), given=labels_column, purpose="labels")
        except DataError as error:
            others = [name for name in reader.worksheet_names if name != reader.sheet_title]
            if sheet is not None or reader.sheet_title is None or not others:
                raise
            listed = ", ".join(repr(name) for name in others[:5]) + (" ..." if len(others) > 5 else "")
            raise DataError(
                f"{error} (This is the workbook's first sheet, {reader.sheet_title!r}; it has others: {listed}. "
                "Labelled files are read from their first sheet: move the sheet of labelled reports first, or "
                "save it as CSV UTF-8.)"
            ) from None
        split_col = _optional_column(columns, split_column)
        id_col = _optional_column(columns, *ID_COLUMNS)
        rows = (row for chunk in reader.iter_chunks() for row in chunk)
        problems: list[str] = []
        for index, row in enumerate(rows):
            where = f"{path.name} row {row_number(index)}"
            text = row.get(text_col) or ""
            if reader.format in ("csv", "tsv"):  # a file this program wrote (export-reviewed): the report as sent
                text = unguard_formula(text)
            if not text.strip():
                problems.append(f"{where}: '{text_col}' is empty. Fill it in or remove the row; a labelled report "
                                "needs text.")
                continue
            # An empty cell is a row without a split: training splits it, as it does a file without the column.
            split = ((row.get(split_col) or "").strip().lower() or None) if split_col else None
            if split is not None and split not in SPLITS:
                problems.append(f"{where}: '{split_col}' is '{row.get(split_col)}', expected one of {SPLITS} (or "
                                "empty, to let training split the row). Fix the cell.")
                continue
            try:
                labels = parse_labels(row.get(label_col) or "", where)
            except DataError as error:
                problems.append(str(error))
                continue
            data.ids.append((row.get(id_col) or "").strip() if id_col else str(index + 1))
            data.texts.append(text)
            data.labels.append(labels)
            data.splits.append(split)
            data.sources.append(where)
    if len(problems) == 1:
        raise DataError(problems[0])
    if problems:
        shown = " | ".join(problems[:ROW_PROBLEMS_SHOWN])
        more = f" | ... and {len(problems) - ROW_PROBLEMS_SHOWN} more" if len(problems) > ROW_PROBLEMS_SHOWN else ""
        raise DataError(f"{len(problems)} rows of {path.name} cannot be used; fix each and retry: {shown}{more}")
    if not data.texts:
        raise DataError(f"'{path}' has a header but no reports. Add labelled rows.")
    return data


#: Conflicts listed in the error of `combine`; `tension validate --show-all` lists them all.
CONFLICTS_SHOWN = 10


class LabelConflictError(DataError):
    """The same report text carries different labels in the data; ``conflicts`` holds every one
    (:func:`label_conflicts`)."""

    def __init__(self, message: str, conflicts: list) -> None:
        super().__init__(message)
        self.conflicts = conflicts


def format_conflict(conflict) -> str:
    """One conflict, ``(earlier source, labels, later source, labels)``, as one line naming rows, never text."""
    a, labels_a, b, labels_b = conflict
    return f"{a} {list(labels_a) or 'no label'} vs {b} {list(labels_b) or 'no label'}"


def label_conflicts(datasets: list[LabelledData]) -> list[tuple[str, tuple[str, ...], str, tuple[str, ...]]]:
    """Every report text that appears again with other labels, as (earlier source, its labels, later source,
    its labels), in file order; each later copy is compared with the copy kept so far (the first)."""
    return _merge(datasets, prefer_later=False)[2]


def _merge(datasets, *, prefer_later):
    merged = LabelledData([], [], [], [], [], {})
    seen: dict[str, int] = {}
    conflicts, repeats, keep = [], 0, []
    for data in datasets:
        merged.file_hashes.update(data.file_hashes)
        for i in range(len(data)):
            key = normalise_text(data.texts[i])
            position = len(merged.texts)
            merged.ids.append(data.ids[i])
            merged.texts.append(data.texts[i])
            merged.labels.append(data.labels[i])
            merged.splits.append(data.splits[i])
            merged.sources.append(data.sources[i])
            if key not in seen:
                seen[key] = len(keep)
                keep.append(position)
                continue
            earlier = keep[seen[key]]
            if merged.labels[earlier] == data.labels[i]:
                repeats += 1
                continue
            conflicts.append((merged.sources[earlier], merged.labels[earlier], data.sources[i], data.labels[i]))
            if prefer_later:
                keep[seen[key]] = position
                if merged.splits[position] is None:
                    merged.splits[position] = merged.splits[earlier]
    return merged, keep, conflicts, repeats


def combine(datasets: list[LabelledData], *, prefer_later=False) -> LabelledData:
    """Concatenate labelled files, resolving exact duplicate texts.

    Duplicates with the same labels keep the first copy (with a warning). Duplicates whose labels differ
    are a `LabelConflictError` listing them one per line, unless ``prefer_later`` is set: then the copy from the
    later file wins, and keeps the earlier copy's split when it has none of its own (a corrected test report stays
    a test report).
    """
    merged, keep, conflicts, repeats = _merge(datasets, prefer_later=prefer_later)
    if conflicts and not prefer_later:
        lines = "".join(f"\n  {format_conflict(conflict)}" for conflict in conflicts[:CONFLICTS_SHOWN])
        files = " ".join(dict.fromkeys(source.rsplit(" row ", 1)[0] for c in conflicts for source in (c[0], c[2])))
        more = (f"\n  ... and {len(conflicts) - CONFLICTS_SHOWN} more; list them all with: tension validate {files} "
                "--show-all") if len(conflicts) > CONFLICTS_SHOWN else ""
        raise LabelConflictError(
            f"{len(conflicts)} report text(s) appear more than once with different labels:{lines}{more}\n"
            "Correct the labels, or pass --prefer-later to let the later file win.",
            conflicts,
        )
    if repeats or conflicts:
        warnings.warn(
            f"{repeats} exact duplicate report(s) with identical labels and {len(conflicts)} with conflicting "
            "labels were merged (one copy kept, the later file winning conflicts).",
            stacklevel=2,
        )
    return merged.subset(sorted(keep))


def read_labelled_files(data_paths, *, text_column=None, labels_column=LABELS_COLUMN, prefer_later=False
                        ) -> LabelledData:
    """Read one path or several labelled files and :func:`combine` them (duplicates resolved)."""
    paths = [Path(p) for p in ([data_paths] if isinstance(data_paths, str | Path) else data_paths)]
    if not paths:
        raise DataError("No labelled data file given. Pass at least one, e.g. data/reports.csv.")
    return combine([read_labelled(p, text_column=text_column, labels_column=labels_column) for p in paths],
                   prefer_later=prefer_later)


def label_strata(labels, min_count: int) -> list[str]:
    """One stratum per report for stratified splits: its label combination ("none" for no label).

    Combinations with fewer than ``min_count`` reports are pooled as "rare"; a "rare" stratum itself
    smaller than ``min_count`` cannot be split, so it joins the commonest combination.
    """
    keys = [";".join(row) or "none" for row in labels]
    counts = Counter(keys)
    strata = [key if counts[key] >= min_count else "rare" for key in keys]
    if 0 < strata.count("rare") < min_count:
        commonest = max(counts, key=lambda key: (counts[key], key))
        strata = [commonest if s == "rare" else s for s in strata]
    return strata


def normalise_text(text: str) -> str:
    """Case- and whitespace-insensitive key for exact-duplicate detection."""
    return " ".join(text.lower().split())


def text_sha256(text: str) -> str:
    """SHA-256 (hex) of a report's :func:`normalise_text`: how a model records the reports it was trained and
    tested on without keeping their text, and how a comparison recognises them in any file."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def _optional_column(columns, *names):
    lowered = {column.lower(): column for column in columns}
    for name in names:
        if name and name.lower() in lowered:
            return lowered[name.lower()]
    return None
