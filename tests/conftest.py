"""Shared fixtures: a small model for the tests that need any model, the default model for the tests of its quality,
tiny files, a stand-in identity-term suite. Helpers that are not fixtures live in tests/helpers.py."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from classifier.io.cpus import JOBS_VARIABLE
from tests.helpers import (
    CORPUS,
    FIRST_ROWS,
    FIRST_ROWS_FILE,
    corpus_sample,
    identity_suite_result,
    review_store,
    write_csv,
)

#: Reports in the small corpus: its model labels clear reports right and trains in a few seconds.
SMALL_CORPUS_REPORTS = 800
#: The test modules that use the default model. Under pytest-xdist they run first, together, in one worker, which
#: trains the default model while the other workers get through the rest (see pytest_xdist_make_scheduler).
DEFAULT_MODEL_MODULES = ("tests/model/test_predictor.py", "tests/training/test_train.py")


def pytest_configure(config):
    """Under pytest-xdist, one process per test by default (``TENSION_JOBS=1`` unless set): each worker already
    keeps a CPU busy, so worker processes and threads of their own only add the cost of starting them (about 40
    of 470 CPU-seconds of the suite). Tests of several processes ask for them explicitly (``--jobs``, ``n_jobs``
    or their own ``TENSION_JOBS``). Likewise one OpenMP and OpenBLAS thread (``OMP_NUM_THREADS=1`` unless set):
    the second stage's trees predict their out-of-fold rows on OpenMP's pool, whose threads spin on the CPU the
    other worker holds (the tests of five modules that fit models took 107 CPU-seconds with two threads, 65 with one,
    on a busy machine). The test of the second stage's OpenMP limit sets a limit of its own."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.setdefault(JOBS_VARIABLE, "1")
        if "OMP_NUM_THREADS" not in os.environ:
            from threadpoolctl import threadpool_limits

            os.environ["OMP_NUM_THREADS"] = "1"  # subprocesses, and libraries this process has not loaded yet
            threadpool_limits(limits=1)  # those it has (tests.helpers imports scikit-learn)


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(items):
    """Under pytest-xdist, the tests of :data:`DEFAULT_MODEL_MODULES` first (every worker sorts alike)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: _module(item.nodeid) not in DEFAULT_MODEL_MODULES)


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: unknown without it
def pytest_xdist_make_scheduler(config, log):
    """With ``-n N`` (scripts/test.sh), hand the tests out a module at a time, so that a module's fixtures (several
    train a small model) are set up by one worker only, and the modules of :data:`DEFAULT_MODEL_MODULES` as one
    unit, the first. (``--dist loadgroup`` could group by marks, but it groups nothing with pytest 9.2:
    pytest-xdist issue 1386.)"""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByModule(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            module = _module(nodeid)
            return "default model" if module in DEFAULT_MODEL_MODULES else module

    config.option.loadscopereorder = False  # keep the collection's order: the default model's modules first
    return ByModule(config, log)


def _shared_folder(tmp_path_factory) -> Path:
    """The run's folder: under pytest-xdist the one above each worker's own, which all workers share."""
    shared = tmp_path_factory.getbasetemp()
    return shared.parent if os.environ.get("PYTEST_XDIST_WORKER") else shared


def _train_once(tmp_path_factory, name: str, data: Path | Callable[[Path], Path]):
    """``train(data, seed=0)`` saved under ``name``, trained once per test run.

    Under pytest-xdist each worker is a session of its own: the first worker to need the model trains it in the
    run's folder, which all workers share, and any other waits for it and reads it from there (a pickle this
    run wrote). The worker that trained it keeps the very object ``train`` returned. ``data`` may be a function
    that writes the training file into the run's folder and returns its path (called once, by that worker).
    """
    import fcntl
    import pickle

    from classifier.training.train import train

    shared = _shared_folder(tmp_path_factory)
    saved = shared / f"{name}.pickle"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if saved.is_file():
            return pickle.loads(saved.read_bytes())  # written by another worker of this run, just above
        if callable(data):
            data = data(shared)
        # One process: the other xdist worker keeps the second CPU busy, so worker processes would only add the
        # cost of starting them and of sending them the features (about 8 CPU-seconds); the model is the same.
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(JOBS_VARIABLE, "1")
            result = train(data, shared / name, seed=0)
        saved.write_bytes(pickle.dumps(result))
        return result


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """A stratified sample of the bundled corpus (:data:`SMALL_CORPUS_REPORTS` reports, split column kept)."""
    return write_csv(tmp_path_factory.mktemp("corpus") / "small_corpus.csv", corpus_sample(SMALL_CORPUS_REPORTS))


@pytest.fixture(scope="session")
def trained(small_corpus, tmp_path_factory):
    """The default pipeline trained on the small corpus's train split and saved: the model of every test that
    needs a model, but not the default model's figures (those use ``default_trained``). Trained once per run,
    like the default model: another xdist worker reads what the first one saved (each worker's small corpus is
    the same sample, byte for byte)."""
    return _train_once(tmp_path_factory, "small", small_corpus)


@pytest.fixture(scope="session")
def model(trained):
    """The small model loaded back from disk."""
    from classifier import load_model

    return load_model(trained.model_dir)


@pytest.fixture(scope="session")
def first_rows_trained(tmp_path_factory):
    """The default pipeline trained on the bundled corpus's first :data:`FIRST_ROWS` rows (split column kept),
    written to :data:`FIRST_ROWS_FILE` in the run's folder, beside the model: trained once per run."""

    def write(shared: Path) -> Path:
        with open(CORPUS, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))[:FIRST_ROWS]
        return write_csv(shared / FIRST_ROWS_FILE, rows)

    return _train_once(tmp_path_factory, "good", write)


@pytest.fixture(scope="session")
def default_trained(tmp_path_factory):
    """The default model, trained on the whole bundled corpus's train split (the slowest fixture): only for tests
    that assert its quality (the bars, the behaviour on neutral mentions, slurs and long reports). Trained once
    per run: its tests run in one xdist worker, and any other worker would read it from there."""
    return _train_once(tmp_path_factory, "default", CORPUS)


@pytest.fixture(scope="session")
def default_model(default_trained):
    """The default model loaded back from disk."""
    from classifier import load_model

    return load_model(default_trained.model_dir)


@pytest.fixture
def small_labelled(tmp_path) -> Path:
    """A small labelled CSV (first 200 rows of the corpus, 20 or more of each label), enough to train quickly."""
    with open(CORPUS, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:200]
    return write_csv(tmp_path / "small.csv", rows)


@pytest.fixture
def fake_identity_suite(monkeypatch):
    """Models score a clean identity-term suite (no false positive, none on the sentences naming an Israeli or a
    Palestinian either), so that tests of other promotion rules pass the fairness gate without computing it. Call
    the fixture with ``{model name: result}`` to give models other figures (see :func:`identity_suite_result`), or
    with ``None`` to compute the real ones again."""
    import classifier.fairness as fairness
    import classifier.fairness.conflict as conflict

    real, clean = fairness.evaluate_identity_suite, identity_suite_result()
    real_conflict = conflict.evaluate_conflict_nationalities
    none_labelled = {term.term: {"n": 69, "labelled": 0, "rate": 0.0, "review": 0, "labels": {}}
                     for term in conflict.CONFLICT_NATIONALITIES}

    def install(figures: dict | None = None):
        if figures is None:
            monkeypatch.setattr(fairness, "evaluate_identity_suite", real)
            monkeypatch.setattr(conflict, "evaluate_conflict_nationalities", real_conflict)
            return
        monkeypatch.setattr(fairness, "evaluate_identity_suite",
                            lambda model, suite=None: figures.get(model.metadata.get("name"), clean))
        monkeypatch.setattr(conflict, "evaluate_conflict_nationalities", lambda model: none_labelled)

    install({})
    return install


@pytest.fixture
def nowhere(tmp_path, monkeypatch) -> Path:
    """Run in an empty folder with no project above it, no ``$TENSION_MODELS_DIR`` and an empty user data folder,
    so that no default model can be found whatever the machine holds; returns that folder."""
    folder = tmp_path / "nowhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("TENSION_MODELS_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))
    monkeypatch.setattr("sys.platform", "linux")
    return folder


@pytest.fixture(autouse=True)
def review_db_in_tmp(tmp_path_factory, monkeypatch):
    """A command or server that opens the default review database opens one in the run's folder, never the user's
    data folder."""
    monkeypatch.setenv("TENSION_DB_URL", f"sqlite:///{tmp_path_factory.getbasetemp() / 'review-default.sqlite3'}")


@pytest.fixture(autouse=True)
def cheap_passwords(request, monkeypatch):
    """Review accounts hash passwords with cheap Argon2 parameters (the real ones take most of a second each on
    this machine), except in the tests of classifier.review.users, which keep the library's defaults."""
    if request.node.path.name == "test_users.py":
        return
    try:
        from argon2 import PasswordHasher

        import classifier.review.users as users
    except ModuleNotFoundError:  # the serve extra is not installed
        return
    monkeypatch.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def store(tmp_path):
    """A fresh review database (SQLite) in this test's folder, closed afterwards."""
    store = review_store(tmp_path)
    yield store
    store.close()
