"""Smoke run of the timing benchmark, so it cannot rot. No timing is asserted: figures live in benchmarks/."""

from benchmarks import core_timings


def test_benchmarks_core_timings_quick_prints_table(capsys):
    assert core_timings.main(["--quick", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "tension --help" in out and "load a model" in out and "train on the bundled corpus" in out
    assert "then label one more report" in out
