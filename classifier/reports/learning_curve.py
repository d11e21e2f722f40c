"""A learning curve as files: ``learning_curve.json``, a PNG plot and a self-contained HTML page.

The points come from :func:`classifier.training.cv.learning_curve`; the page is the template
``templates/learning_curve.html`` (autoescaped, see `classifier.reports.rendering`). Each file is written
atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from classifier.io.atomic import write_bytes, write_text
from classifier.reports.rendering import png_data_uri, render

LEARNING_CURVE_FILES = ("learning_curve.json", "learning_curve.png", "learning_curve.html")


def learning_curve_png(points: list[dict]) -> bytes:
    """A PNG plot of macro-F1 (± std) and micro-F1 against the number of training reports."""
    import io

    from matplotlib.figure import Figure

    fitted = [p for p in points if p.get("macro_f1") is not None]
    fig = Figure(figsize=(6.5, 4))
    ax = fig.subplots()
    if fitted:
        x = [p["size"] for p in fitted]
        macro = np.array([p["macro_f1"] for p in fitted])
        spread = np.array([p["macro_f1_std"] for p in fitted])
        ax.plot(x, macro, "o-", label="macro F1")
        if any(p["repeats"] > 1 for p in fitted):
            ax.fill_between(x, macro - spread, macro + spread, alpha=0.2)
        ax.plot(x, [p["micro_f1"] for p in fitted], "s--", ms=4, label="micro F1")
        ax.legend(loc="lower right")
    ax.set_xlabel("training reports")
    ax.set_ylabel("F1 on the test split")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def write_learning_curve_points(points: list[dict], out_dir) -> Path:
    """Write the points finished so far to ``learning_curve.json`` (atomically: always a whole list)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_text(out_dir / LEARNING_CURVE_FILES[0], json.dumps(points, indent=2) + "\n")


def write_learning_curve(points: list[dict], out_dir) -> dict[str, Path]:
    """Write ``learning_curve.json``, ``learning_curve.png`` and a self-contained ``learning_curve.html``."""
    out_dir = Path(out_dir)
    png = learning_curve_png(points)
    paths = {name.rsplit(".", 1)[1]: out_dir / name for name in LEARNING_CURVE_FILES}
    write_learning_curve_points(points, out_dir)
    write_bytes(paths["png"], png)
    labels = list(next((p["f1"] for p in points if p.get("f1")), {}))
    rows = []
    for p in points:
        if p.get("macro_f1") is None:
            rows.append({"size": p["size"], "skipped": str(p["skipped"])})
            continue
        std = f" ± {p['macro_f1_std']:.3f}" if p["repeats"] > 1 else ""
        rows.append({"size": p["size"], "skipped": None, "macro": f"{p['macro_f1']:.3f}{std}",
                     "micro": f"{p['micro_f1']:.3f}", "f1": [f"{p['f1'][label]:.3f}" for label in labels]})
    page = render("learning_curve.html", image=png_data_uri(png), labels=labels, points=rows)
    write_text(paths["html"], page)
    return paths
