"""The default number of processes: the CPUs the process may use, capped by $TENSION_JOBS."""

import os

import pytest

from classifier.errors import ConfigError
from classifier.io.cpus import JOBS_VARIABLE, usable_cpus


def test_cpus_default_is_the_affinity_mask_or_the_machine(monkeypatch):
    monkeypatch.delenv(JOBS_VARIABLE, raising=False)
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert usable_cpus() == expected
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)  # macOS and Windows have none
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert usable_cpus() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert usable_cpus() == 1


@pytest.mark.parametrize(("value", "jobs"), [("1", 1), (" 3 ", 3), ("16", 16)])
def test_cpus_tension_jobs_sets_the_number(monkeypatch, value, jobs):
    monkeypatch.setenv(JOBS_VARIABLE, value)
    assert usable_cpus() == jobs


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_cpus_bad_tension_jobs_says_what_to_set(monkeypatch, value):
    monkeypatch.setenv(JOBS_VARIABLE, value)
    expected = rf"TENSION_JOBS must be a whole number of processes, 1 or more; got '{value}'"
    with pytest.raises(ConfigError, match=expected):
        usable_cpus()


def test_cpus_training_gives_the_same_model_with_one_job(monkeypatch, small_labelled):
    import numpy as np

    from classifier.io.records import read_labelled
    from classifier.training.train import fit_pipeline

    data = read_labelled(small_labelled)
    fitted = {}
    for jobs in ("2", "1"):
        monkeypatch.setenv(JOBS_VARIABLE, jobs)
        fitted[jobs] = fit_pipeline(data, data.label_set, seed=0)
    texts = data.texts[:60]
    np.testing.assert_array_equal(fitted["1"].predict_proba(texts), fitted["2"].predict_proba(texts))


def test_cpus_bad_tension_jobs_stops_training_before_any_work(monkeypatch, small_labelled, tmp_path):
    from typer.testing import CliRunner

    from classifier.cli import app

    monkeypatch.setenv(JOBS_VARIABLE, "0")
    result = CliRunner().invoke(app, ["train", str(small_labelled), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "TENSION_JOBS must be a whole number of processes, 1 or more; got '0'" in result.output
    assert "reading" not in result.output and not (tmp_path / "m").exists()
