"""benchmarks/neutral_clauses.py: hostile sentences with a clause of plain description appended."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from benchmarks import neutral_clauses


class _KeywordModel:
    """Gives ``race_hate`` to a text that holds "OUT" and not "Sunday"; ``immigration`` to one with "Photo"."""

    def predict(self, texts, explain=False):
        return [SimpleNamespace(labels=(("race_hate",) if "OUT" in t and "Sunday" not in t else ())
                                + (("immigration",) if "Photo" in t else ())) for t in texts]


def _sentence(text, label, length):
    return SimpleNamespace(text=text, expected_label=label, length=length)


def test_neutral_clauses_counts_what_a_clause_loses_and_gains():
    sentences = [_sentence("'X OUT' on the wall.", "race_hate", "short"),
                 _sentence("'Y OUT' on the long wall of the estate.", "race_hate", "long"),
                 _sentence("Leaflet about refugees.", "immigration", "short")]
    rows = neutral_clauses.measure(_KeywordModel(), sentences, (" Been there since Sunday.", " Photo attached."))
    assert rows[0] == {"clause": None, "found": 2, "lost": 0, "lost_short": 0, "gained": 0}
    assert rows[1] == {"clause": "Been there since Sunday.", "found": 0, "lost": 2, "lost_short": 1, "gained": 0}
    assert rows[2] == {"clause": "Photo attached.", "found": 3, "lost": 0, "lost_short": 0, "gained": 1}
    lines = neutral_clauses.format_rows("m", rows, len(sentences))
    assert lines[0] == "m: 3 hostile sentences" and "lost 2 (1 of short templates), gained 0" in lines[2]


def test_neutral_clauses_takes_only_hostile_sentences_of_every_opened_set():
    sentences = neutral_clauses.hostile_sentences(every=50)
    assert sentences and all(s.kind == "hostile" and s.expected_label for s in sentences)
    assert {s.template[:1] for s in neutral_clauses.hostile_sentences()} >= {"H", "Q", "F", "S"}


@pytest.mark.slow
def test_neutral_clauses_quick_run_prints_a_table_per_model(trained, capsys):
    assert neutral_clauses.main([str(trained.model_dir), "--quick", "--clause", " It is huge."]) == 0
    out = capsys.readouterr().out
    assert "hostile sentences" in out and "as written" in out and "+ 'It is huge.'" in out
