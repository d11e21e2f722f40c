"""Smoke run of the review-queue benchmark, so it cannot rot. No timing is asserted: figures live in benchmarks/."""

import pytest

pytest.importorskip("sqlalchemy", reason="the review queue needs the serve extra: pip install -e '.[serve]'")

from benchmarks import review_queue  # noqa: E402


def test_benchmarks_review_queue_quick_prints_table(capsys):
    assert review_queue.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "queue 2,000 reports" in out and "next report (fetch and claim)" in out and "progress counts" in out
