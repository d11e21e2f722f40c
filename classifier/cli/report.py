"""CLI commands for reports on a model and its recipe: ``report``, ``cv`` and ``learning-curve``.

Thin Typer wrappers over :mod:`classifier.reports.evaluation_report`, :mod:`classifier.training.cv` and
:mod:`classifier.reports.learning_curve`; heavy imports stay inside the command functions so that
``tension --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from classifier.cli.options import FRACTION_RANGE, SEED_RANGE
from classifier.cli.progress import QuietOpt, stage_lines

TextColumnOpt = Annotated[str | None, typer.Option(help="Text column (default: found by name).")]
LabelsColumnOpt = Annotated[str, typer.Option(help="Column of ';'-separated labels.")]
DataFilesArg = Annotated[list[Path], typer.Argument(help="One or more labelled files (CSV, TSV, XLSX, JSONL).")]
SeedOpt = Annotated[int, typer.Option(**SEED_RANGE, help="Random seed for folds, subsets and models.")]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", min=1, help="Models fitted in parallel.")]


def parse_sizes(text: str) -> list[float | int]:
    """``"0.1,0.5,1,800"`` → ``[0.1, 0.5, 1.0, 800]``: values up to 1 are fractions, larger ones counts."""
    from classifier.errors import ConfigError

    sizes: list[float | int] = []
    for token in text.split(","):
        token = token.strip()
        if not token:
            continue
        try:
            value = float(token)
        except ValueError:
            raise ConfigError(
                f"--sizes must be comma-separated numbers (fractions like 0.25 or counts like 400). Got {token!r}."
            ) from None
        sizes.append(value if value <= 1 else int(value) if value.is_integer() else value)
    return sizes


def register(app: typer.Typer, user_errors) -> None:
    """Add the ``report``, ``cv`` and ``learning-curve`` commands to ``app``."""

    @app.command("report")
    @user_errors
    def report_cli(
        model: Annotated[Path, typer.Argument(help="Model folder or name.")],
        data: Annotated[Path, typer.Argument(help="Labelled file: CSV, TSV, XLSX or JSONL with text and labels.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder for metrics.json and report.html.")],
        text_column: TextColumnOpt = None,
        labels_column: LabelsColumnOpt = "labels",
        split: Annotated[str | None, typer.Option(help="Only rows whose 'split' column has this value.")] = None,
    ) -> None:
        """Evaluate a model on a labelled file and write metrics.json and a self-contained report.html."""
        from classifier.model.predictor import load_model
        from classifier.reports.evaluation_report import METRICS_FILE, REPORT_FILE, write_evaluation_report

        metrics = write_evaluation_report(load_model(model), data, out, text_column=text_column,
                                          labels_column=labels_column, split=split)
        typer.echo(f"{metrics['n_reports']} reports: macro F1 {metrics['macro']['f1']:.3f}, "
                   f"mean ECE {metrics['macro_ece']:.3f}")
        if trained := metrics.get("data", {}).get("trained_on_rows", 0):
            typer.echo(f"warning: {trained} of these reports are ones the model trained on, so these figures flatter "
                       "it; score it on reports it never saw (--split test on its own data, or a newer file).")
        if metrics["labels_not_in_model"]:
            typer.echo(f"labels in the data that the model does not know (not scored): "
                       f"{metrics['labels_not_in_model']}")
        typer.echo(f"Wrote {out / METRICS_FILE} and {out / REPORT_FILE}")

    @app.command("cv")
    @user_errors
    def cv_cli(
        data: DataFilesArg,
        k: Annotated[int, typer.Option("--k", "-k", "--folds", min=2, help="Number of folds.")] = 5,
        seed: SeedOpt = 0,
        split: Annotated[
            str | None, typer.Option(help="Only rows whose 'split' column has this value (default: all rows).")
        ] = None,
        text_column: TextColumnOpt = None,
        labels_column: LabelsColumnOpt = "labels",
        prefer_later: Annotated[
            bool, typer.Option(help="When a text appears in several files with different labels, the later wins.")
        ] = False,
        spacy_pipeline: Annotated[
            str, typer.Option(help="'blank:en' or the name of an installed spaCy pipeline.")
        ] = "blank:en",
        jobs: JobsOpt = 1,
        json_out: Annotated[Path | None, typer.Option("--json", help="Also write the full results here.")] = None,
        hard_negative_weight: Annotated[
            float | None, typer.Option(min=0.0, help="Training weight of hard negatives (default: as `tension "
                                       "train`).")
        ] = None,
        quiet: QuietOpt = False,
    ) -> None:
        """K-fold cross-validated metrics per label, as mean ± standard deviation over the folds."""
        import json

        from classifier.io.atomic import write_text
        from classifier.training.cv import cross_validate_metrics, format_cv

        result = cross_validate_metrics(
            data, k, seed=seed, split=split, text_column=text_column, labels_column=labels_column,
            prefer_later=prefer_later, spacy_pipeline=spacy_pipeline, n_jobs=jobs,
            hard_negative_weight=hard_negative_weight, progress=stage_lines(quiet),
        )
        typer.echo(format_cv(result))
        if json_out is not None:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            write_text(json_out, json.dumps(result, indent=2) + "\n")
            typer.echo(f"Wrote {json_out}")

    @app.command("learning-curve")
    @user_errors
    def learning_curve_cli(
        data: DataFilesArg,
        out: Annotated[
            Path, typer.Option("--out", "-o", help="Folder for learning_curve.png, .html and .json.")
        ] = Path("reports/learning_curve"),
        sizes: Annotated[
            str, typer.Option(help="Comma-separated training sizes: fractions up to 1, or report counts.")
        ] = "0.1,0.25,0.5,0.75,1",
        repeats: Annotated[int, typer.Option(min=1, help="Random subsets per size (spread shown when > 1).")] = 1,
        test_size: Annotated[
            float | None, typer.Option(**FRACTION_RANGE, help="Hold out this fraction at random (default: use the "
                                       "'split' column).")
        ] = None,
        seed: SeedOpt = 0,
        text_column: TextColumnOpt = None,
        labels_column: LabelsColumnOpt = "labels",
        prefer_later: Annotated[
            bool, typer.Option(help="When a text appears in several files with different labels, the later wins.")
        ] = False,
        jobs: JobsOpt = 1,
        quiet: QuietOpt = False,
    ) -> None:
        """Plot macro-F1 on the test split against training size: will more labelling help?

        Each point is printed and saved to learning_curve.json as soon as it is finished, so an interrupted run
        keeps the points it finished; the plot and the page are written at the end.
        """
        from classifier.reports.learning_curve import (
            LEARNING_CURVE_FILES,
            write_learning_curve,
            write_learning_curve_points,
        )
        from classifier.training.cv import learning_curve

        finished: list[dict] = []

        def keep(point: dict) -> None:
            finished.append(point)
            write_learning_curve_points(finished, out)
            if point.get("macro_f1") is None:
                typer.echo(f"{point['size']:>6} reports: skipped ({point['skipped']})")
            else:
                typer.echo(f"{point['size']:>6} reports: macro F1 {point['macro_f1']:.3f}, "
                           f"micro F1 {point['micro_f1']:.3f}")

        try:
            points = learning_curve(
                data, parse_sizes(sizes), seed=seed, repeats=repeats, test_size=test_size, text_column=text_column,
                labels_column=labels_column, prefer_later=prefer_later, n_jobs=jobs, progress=stage_lines(quiet),
                on_point=keep,
            )
        except KeyboardInterrupt:
            kept = f"the {len(finished)} finished point(s) are in {out / LEARNING_CURVE_FILES[0]}" if finished \
                else "no point was finished"
            typer.echo(f"interrupted: {kept}.", err=True)
            raise typer.Exit(code=130) from None
        paths = write_learning_curve(points, out)
        typer.echo(f"Wrote {paths['png']} and {paths['html']}")
