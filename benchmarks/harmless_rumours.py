"""Whether a model leaves harmless rumours unlabelled and still finds misinformation that stokes tension.

Usage: python -m benchmarks.harmless_rumours [MODEL ...] [--probe PATH]

The codebook gives ``misinformation`` only to a false or unverified claim that stokes tension; a rumour with no
tension angle (a shop closing, a giveaway chain, a road closure, a privacy-notice chain letter) gets no label.
``benchmarks/data/harmless_rumours.json`` holds such harmless rumours in the forms they reach a council
(forwarded chains, screenshot captions, residents' e-mails, partners' notes), written from the codebook alone
without sight of the corpus, a model or its figures, and near misses of the same forms that do deserve
``misinformation``. For each model given (a saved model folder, or a name in the models folder; default: the
default model) this prints the harmless rumours given any label (and ``misinformation``) or sent to review, per
form, and the near misses given ``misinformation`` and given exactly their labels. Measured, never a bar.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PROBE = ROOT / "benchmarks" / "data" / "harmless_rumours.json"


def load_items(path: Path = PROBE) -> list[dict]:
    """The probe's items: ``id``, ``kind`` (harmless or near_miss), ``form``, ``text`` and ``labels``."""
    return json.loads(Path(path).read_text("utf-8"))["items"]


def measure(model, items: list[dict]) -> dict:
    """Counts over ``items``: per kind ``n``; for harmless ones ``labelled``, ``misinformation``, ``review`` (sent to
    review without a label) and ``by_form`` (form: (n, labelled)); for near misses ``misinformation`` and ``exact``."""
    predictions = model.predict([item["text"] for item in items], explain=False)
    harmless = [(item, p) for item, p in zip(items, predictions, strict=True) if item["kind"] == "harmless"]
    near = [(item, p) for item, p in zip(items, predictions, strict=True) if item["kind"] == "near_miss"]
    by_form: dict[str, tuple[int, int]] = {}
    for item, p in harmless:
        n, labelled = by_form.get(item["form"], (0, 0))
        by_form[item["form"]] = (n + 1, labelled + bool(p.labels))
    return {
        "harmless": {"n": len(harmless), "labelled": sum(bool(p.labels) for _, p in harmless),
                     "misinformation": sum("misinformation" in p.labels for _, p in harmless),
                     "review": sum(p.needs_review and not p.labels for _, p in harmless),
                     "by_form": dict(sorted(by_form.items()))},
        "near_miss": {"n": len(near), "misinformation": sum("misinformation" in p.labels for _, p in near),
                      "exact": sum(set(p.labels) == set(item["labels"]) for item, p in near)},
    }


def _share(count: int, total: int) -> str:
    return f"{count} of {total} ({count / total:.1%})" if total else "0 of 0"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", default=["default"], help="saved model folders or names")
    parser.add_argument("--probe", type=Path, default=PROBE, help="the probe file (default: %(default)s)")
    args = parser.parse_args(argv)
    from classifier import load_model

    items = load_items(args.probe)
    for name in args.models:
        figures = measure(load_model(name), items)
        harmless, near = figures["harmless"], figures["near_miss"]
        print(f"{name}: harmless rumours given a label {_share(harmless['labelled'], harmless['n'])}, "
              f"misinformation {harmless['misinformation']}; sent to review without one {harmless['review']}")
        for form, (n, labelled) in harmless["by_form"].items():
            print(f"  {form:18} labelled {_share(labelled, n)}")
        print(f"  near misses given misinformation {_share(near['misinformation'], near['n'])}, "
              f"exactly their labels {near['exact']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
