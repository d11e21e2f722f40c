"""Helpers shared by the tests: paths of the bundled data, the slur hashes the corpus is checked against, small
builders and a timing check. Fixtures live in conftest.py."""

from __future__ import annotations

import csv
import os
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "reports.csv"
#: The registry and retraining tests' model (``first_rows_trained``): the corpus's first rows, in a file of this name.
FIRST_ROWS, FIRST_ROWS_FILE = 300, "good.csv"
BACKLOG = ROOT / "data" / "backlog_sample.csv"
EXTERNAL = ROOT.parent / "shared" / "data" / "external"
# First 16 hex digits of the SHA-256 of common slurs (lowercase, hyphens dropped), so the list itself never
# has to be written out in the repo. The corpus must carry them masked ("p*ki"), never in full.
SLUR_HASHES = frozenset({
    "044eb98b18769b88", "08a841e996781e9e", "120f6e5b4ea32f65", "17a110e533284872", "1c86838fb43455df",
    "22fc75e65a0e9d34", "268651b3ece98010", "27a62b68179c96f5", "3175bf0638675a5b", "333f7618092958c7",
    "341d56384afc0f47", "3b1e0d7c5dd45583", "3cc0a581d3bbe605", "43508b5c03b8b8ce", "448b303c89bef071",
    "457f002f9240a36a", "45cd3e1bb472d8e2", "5760d98e95021846", "58d5ed002eca1b4f", "5b3ae48be122f7ed",
    "5cb6af4323aaf6f8", "6074caeaaf7f19f8", "64dd7c4e8012281c", "7122c9a14ba2d20e", "83bd72f7a1be797a",
    "83dd8e733b1e2c6e", "864316e761195ffc", "98b52c4b6b7d1f48", "b3cec2f6ece2cef2", "b54a0c4f63115cfa",
    "be00f1af522eaa99", "c3de533e9b7fe63b", "c70e3e7c47f06aee", "ca8aca2ceb3c2d1f", "d00a3db7315ab70d",
    "d067075bc9d8def2", "da0a6b1b9213d48f", "daec0c235d3135fc", "dc675e448132fd2a", "e7b98c6aa5b944e0",
    "e9e8b6c5afa7794f", "ee5a869b5ace6905", "f4a5cc0c3285bd0e", "f64c6fad9c3c8b57", "f9d0d9b18ae9033a",
})


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None, encoding="utf-8") -> Path:
    """Write ``rows`` to a CSV file and return its path."""
    columns = columns or list(rows[0])
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def copy_model(source: Path, target: Path) -> Path:
    """A copy of the saved model ``source`` in the folder ``target``, its metadata named after that folder as if it
    had been trained there (so that a model shared by several tests can stand for one of a test's own)."""
    import json
    import shutil

    shutil.copytree(source, target)
    meta = json.loads((target / "metadata.json").read_text("utf-8"))
    meta["name"] = target.name
    (target / "metadata.json").write_text(json.dumps(meta), "utf-8")
    return target


def save_formula_results(path: Path, results: dict[str, str], sheet: int = 1) -> Path:
    """Put in the workbook at ``path`` (saved by openpyxl, which cannot calculate) the formula results that
    Excel saves with them: ``{"E2": "2", "D3": ""}``, an empty string for an empty text result."""
    import re
    import zipfile

    member = f"xl/worksheets/sheet{sheet}.xml"
    with zipfile.ZipFile(path) as source:
        items = [(item.filename, source.read(item.filename)) for item in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in items:
            if name == member:
                for cell, value in results.items():
                    kind = b' t="str"' if value == "" else b""
                    data, found = re.subn(rb'<c r="' + cell.encode() + rb'"([^>]*)><f>(.*?)</f><v ?/>',
                                          rb'<c r="' + cell.encode() + rb'"\1' + kind + rb'><f>\2</f><v>'
                                          + value.encode() + rb"</v>", data)
                    assert found == 1, f"no formula without a result in cell {cell}"
            target.writestr(name, data)
    return path


def corpus_sample(n: int, seed: int = 0) -> list[dict]:
    """``n`` rows of the bundled corpus, in corpus order, drawn at random within each (split, label combination):
    a small corpus with the whole one's split and label shares, for tests that need a model but not the default
    model's figures."""
    from sklearn.model_selection import train_test_split

    from classifier.io.records import label_strata

    with open(CORPUS, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    keys = [(row["split"], *sorted(filter(None, row["labels"].split(";")))) for row in rows]
    keep, _ = train_test_split(range(len(rows)), train_size=n, random_state=seed, stratify=label_strata(keys, 2))
    return [rows[i] for i in sorted(keep)]


def identity_suite_result(term_fpr: dict | None = None, default: float = 0.0) -> dict:
    """An identity-suite result (as ``evaluate_identity_suite`` returns) in which each term's neutral and positive
    sentences get a label at the rate ``term_fpr[term]`` (``default`` for the others) and every hostile sentence
    gets its expected label: a stand-in for a model with those false alarms, for tests of the fairness gate."""
    import numpy as np

    from classifier.fairness import score_identity_suite
    from classifier.fairness.suite import load_identity_suite

    suite = load_identity_suite()
    labels = sorted({term.hostile_label for term in suite.terms})
    per_term = sum(not s.hostile for s in suite.sentences) // len(suite.terms)
    proba, seen = np.zeros((len(suite), len(labels))), {}
    for i, s in enumerate(suite.sentences):
        if s.hostile:
            proba[i, labels.index(s.expected_label)] = 1.0
            continue
        seen[s.term] = seen.get(s.term, 0) + 1
        if seen[s.term] <= round((term_fpr or {}).get(s.term, default) * per_term):
            proba[i, 0] = 1.0
    return score_identity_suite(suite, labels, proba, {label: 0.5 for label in labels})


def best_time(function, text: str, repeats: int = 5, enough: float = 0.0) -> float:
    """Least CPU time of a few runs (CPU time, so that other processes on the machine matter less). A run that
    takes ``enough`` seconds or less ends the search (the least time of the runs so far is then at most that)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        function(text)
        best = min(best, time.process_time() - start)
        if best <= enough:
            break
    return best


def assert_linear(function, unit: str, small: int = 20_000, large: int = 200_000, factor: float = 50.0,
                  ceiling: float = 2.0) -> float:
    """Ten times the input (``unit`` repeated) must take well under a hundred times as long, as a quadratic
    step would, and under ``ceiling`` seconds; returns the time on the large input. Times under 2 ms count as
    2 ms (timer noise). The large input is run again only until one run passes: the least of five runs passes
    if, and only if, one of them does."""
    small_time = max(best_time(function, unit * (small // len(unit))), 2e-3)
    bound = min(factor * small_time, ceiling)
    large_time = best_time(function, unit * (large // len(unit)), enough=bound * (1 - 1e-9))
    assert large_time < factor * small_time, f"{unit!r}: {small} chars {small_time:.4f}s, {large} {large_time:.4f}s"
    assert large_time < ceiling, f"{unit!r}: {large} chars took {large_time:.4f}s, more than {ceiling:g}s"
    return large_time


def at_once(*calls) -> list:
    """Run each of `calls` (functions of no argument) in its own thread, released together, and return what each
    returned or raised, in the order given: for the races of several reviewers or commands at the same moment."""
    barrier, outcomes = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = calls[index]()
        except Exception as error:  # returned for the test to judge
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def waiting_for_another(function, timeout: float = 0.5):
    """``function`` that, once it has returned, waits up to ``timeout`` seconds for a second caller to have returned
    from it too: two callers that are not serialised both get its result before either goes on (a race made
    certain), while serialised ones go on after the wait."""
    both_returned = threading.Barrier(2)

    def wrapped(*args, **kwargs):
        result = function(*args, **kwargs)
        try:
            both_returned.wait(timeout=timeout)
        except threading.BrokenBarrierError:  # the other waits for this one to finish: as it should
            pass
        return result

    return wrapped


class FakePrediction:
    """What the review queue stores of a prediction: labels, scores, reasons, the review flag and a status."""

    def __init__(self, scores: dict[str, float], thresholds: dict[str, float] | None = None, band: float = 0.15,
                 status: str = "ok", reasons: dict[str, list[str]] | None = None):
        thresholds = thresholds or {label: 0.5 for label in scores}
        self.scores, self.status, self.reasons = scores, status, reasons or {}
        self.labels = [label for label, score in scores.items() if score >= thresholds[label]]
        self.needs_review = any(abs(score - thresholds[label]) <= band for label, score in scores.items())


#: A PostgreSQL server URL (e.g. postgresql+psycopg://tension:secret@localhost/postgres) whose user may create
#: databases: with it set, the review tests run on a fresh database there instead of a SQLite file.
POSTGRES_ENV = "TENSION_TEST_POSTGRES_URL"


def review_store(tmp_path: Path, **options):
    """A review database migrated to the latest schema: a SQLite file under `tmp_path` or, when
    :data:`POSTGRES_ENV` names a PostgreSQL server, a fresh database on it."""
    from classifier.review.store import open_store

    return open_store(review_db_url(tmp_path), **options)


def review_db_url(tmp_path: Path) -> str:
    """The URL of the review database of one test's folder (see `review_store`): the same URL for the same folder,
    as the SQLite file's would be."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        return f"sqlite:///{tmp_path / 'review' / 'review.sqlite3'}"
    if tmp_path not in _POSTGRES_DATABASES:
        _POSTGRES_DATABASES[tmp_path] = _new_postgres_database(server)
    return _POSTGRES_DATABASES[tmp_path]


_POSTGRES_DATABASES: dict[Path, str] = {}


def _new_postgres_database(server: str) -> str:
    import uuid

    from sqlalchemy import create_engine, make_url, text

    name = f"tension_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def model_failing_in_workers(model, hang_on: str | None = None, die: bool = False):
    """A copy of `model` whose predict raises `DataError` (or, with `die`, kills its own process), after
    sleeping for 10 minutes on a chunk holding a text with `hang_on`; picklable, so worker processes get the
    same behaviour."""
    import copy

    failing = copy.copy(model)
    failing.__class__ = FailingModel
    failing.hang_on, failing.die = hang_on, die
    return failing


def _failing_model_class():
    import os
    import signal

    from classifier.errors import DataError
    from classifier.model.predictor import TensionModel

    class FailingModel(TensionModel):
        hang_on: str | None = None
        die = False

        def predict(self, texts, **kwargs):
            if self.hang_on is not None and any(self.hang_on in text for text in texts):
                time.sleep(600)
            if self.die:
                os.kill(os.getpid(), signal.SIGKILL)
            raise DataError("the model could not label this chunk.")

    FailingModel.__module__, FailingModel.__qualname__ = __name__, "FailingModel"
    return FailingModel


FailingModel = _failing_model_class()


def wait_for_job(client, job_url: str, timeout: float = 120.0) -> dict:
    """Poll a web backlog job's status until it is done or failed; return the last status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"{job_url}/status").get_json()
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job_url} still {status['state']} after {timeout} s")
