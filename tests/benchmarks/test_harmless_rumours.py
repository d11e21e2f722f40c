"""benchmarks/harmless_rumours.py: harmless rumours left unlabelled, near misses found."""

from __future__ import annotations

import json
from types import SimpleNamespace

from benchmarks import harmless_rumours


class _KeywordModel:
    """Gives misinformation to a text that says 'share', sends one that says 'bins' to review."""

    def predict(self, texts, explain=True):
        return [SimpleNamespace(labels=("misinformation",) if "share" in t else (), needs_review="bins" in t)
                for t in texts]


ITEMS = [
    {"id": "HR01", "kind": "harmless", "form": "one_liner", "text": "bins moving to Fridays?", "labels": []},
    {"id": "HR02", "kind": "harmless", "form": "whatsapp_forward", "text": "share: free turkeys", "labels": []},
    {"id": "HR03", "kind": "harmless", "form": "whatsapp_forward", "text": "pool shut all summer", "labels": []},
    {"id": "HM01", "kind": "near_miss", "form": "facebook_caption", "text": "share: they get free houses",
     "labels": ["misinformation", "immigration"]},
    {"id": "HM02", "kind": "near_miss", "form": "one_liner", "text": "share: fake notice",
     "labels": ["misinformation"]},
]


def test_harmless_rumours_counts_labels_review_and_near_misses():
    figures = harmless_rumours.measure(_KeywordModel(), ITEMS)
    assert figures["harmless"] == {"n": 3, "labelled": 1, "misinformation": 1, "review": 1,
                                   "by_form": {"one_liner": (1, 0), "whatsapp_forward": (2, 1)}}
    assert figures["near_miss"] == {"n": 2, "misinformation": 2, "exact": 1}


def test_harmless_rumours_probe_file_is_well_formed():
    items = harmless_rumours.load_items()
    kinds = [item["kind"] for item in items]
    assert kinds.count("harmless") >= 50 and kinds.count("near_miss") >= 15
    assert len({item["text"] for item in items}) == len(items) and len({item["id"] for item in items}) == len(items)
    assert all(item["labels"] == [] for item in items if item["kind"] == "harmless")
    assert all("misinformation" in item["labels"] for item in items if item["kind"] == "near_miss")


def test_harmless_rumours_prints_each_model(trained, tmp_path, capsys):
    probe = tmp_path / "probe.json"
    probe.write_text(json.dumps({"items": ITEMS}), "utf-8")
    assert harmless_rumours.main([str(trained.model_dir), "--probe", str(probe)]) == 0
    out = capsys.readouterr().out
    assert "harmless rumours given a label" in out and "of 3" in out and "near misses given misinformation" in out
