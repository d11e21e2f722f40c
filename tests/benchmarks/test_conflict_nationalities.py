"""benchmarks/conflict_nationalities.py: neutral sentences naming an Israeli or a Palestinian."""

from __future__ import annotations

from types import SimpleNamespace

from benchmarks import conflict_nationalities


class _KeywordModel:
    """Labels a text that names an Israeli; sends one that names a Syrian to review."""

    def predict(self, texts, explain=True):
        return [SimpleNamespace(labels=("israel_palestine",) if "Israeli" in t else (), needs_review="Syrian" in t)
                for t in texts]


def test_conflict_nationalities_renders_every_neutral_template_with_each_term():
    rendered = conflict_nationalities.sentences()
    assert list(rendered) == ["Israeli", "Palestinian", "Polish", "Syrian"]
    sizes = {len(texts) for texts in rendered.values()}
    assert len(sizes) == 1 and sizes.pop() > 50
    assert all("{" not in text for texts in rendered.values() for text in texts)
    assert all("Israeli" in text or "Israelis" in text for text in rendered["Israeli"])


def test_conflict_nationalities_counts_labelled_and_review_per_term():
    rendered = {"Israeli": ["An Israeli man", "Israelis"], "Syrian": ["A Syrian man"], "Polish": ["Polish"]}
    figures = conflict_nationalities.measure(_KeywordModel(), rendered)
    assert figures == {"Israeli": (2, 2, 0), "Syrian": (1, 0, 1), "Polish": (1, 0, 0)}


def test_conflict_nationalities_quick_run_prints_each_term(trained, capsys):
    assert conflict_nationalities.main([str(trained.model_dir), "--quick"]) == 0
    out = capsys.readouterr().out
    assert all(term in out for term in ("Israeli", "Palestinian", "Polish", "Syrian")) and "labelled" in out


def test_conflict_nationalities_fresh_probes_render_neutral_and_hostile_templates_apart():
    neutral = conflict_nationalities.sentences(fresh=True)
    hostile = conflict_nationalities.sentences(fresh=True, hostile=True)
    assert len(neutral["Israeli"]) > len(hostile["Israeli"]) > 100
    assert not set(neutral["Palestinian"]) & set(hostile["Palestinian"])


def test_conflict_nationalities_quick_fresh_run_prints_hostile_figures(trained, capsys):
    assert conflict_nationalities.main([str(trained.model_dir), "--fresh", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "of the fresh probes" in out and "given a label" in out
