"""The ``tension`` command line: the Typer app, its error handling, the model commands (``train``, ``evaluate``,
``predict``, ``info``, ``validate``) and the registration of the command groups in the sibling modules.

Thin Typer wrappers over the package's plain functions. Heavy imports happen inside each command so that
``tension --help`` stays fast.
"""

from __future__ import annotations

import functools
import json
import warnings
from pathlib import Path
from typing import Annotated

import typer
import typer.core

from classifier.cli.options import FRACTION_RANGE, HARD_NEGATIVE_WEIGHT_DEFAULT, SEED_RANGE, TEXT_COLUMN_HELP
from classifier.cli.progress import ERROR_PREFIX, QuietOpt, stage_lines
from classifier.errors import ClassifierError
from classifier.io.signals import Terminated


class _Commands(typer.core.TyperGroup):
    """The ``tension`` group: a mistyped command line is reported like every other error, on one line starting
    ``error:`` (after the usage line), not in Click's own ``Error:`` form."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        import sys

        click = (getattr(typer.core, "_click", None) or typer.core.click).exceptions  # Typer 0.29 vendors Click

        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.NoArgsIsHelpError as error:
            error.show()  # the help text, as without this class
            sys.exit(error.exit_code)
        except click.UsageError as error:
            if error.ctx is not None:
                typer.echo(error.ctx.get_usage(), err=True)
                typer.echo(f"Try '{error.ctx.command_path} --help' for help.", err=True)
            typer.echo(f"{ERROR_PREFIX}{error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            typer.echo(f"{ERROR_PREFIX}{error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except typer.Abort:  # Click's Abort (Typer's own class once it vendors Click): Ctrl-C or end of input
            typer.echo(f"{ERROR_PREFIX}aborted.", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="tension",
    cls=_Commands,
    help="Label reports of community tension. A person decides; the model suggests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str) -> None:
    typer.echo(f"{ERROR_PREFIX}{message}", err=True)
    raise typer.Exit(code=1)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    typer.echo(f"warning: {message}", err=True)


def user_errors(func):
    """Turn the package's typed errors into one line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        previous = warnings.showwarning
        warnings.showwarning = _show_warning
        try:
            return func(*args, **kwargs)
        except ClassifierError as exc:
            _fail(str(exc))
        except KeyboardInterrupt as stop:
            saved = getattr(stop, "saved", None)  # set when a folder was swapped in whole just before (io.atomic)
            typer.echo(f"interrupted after {saved} was saved in full." if saved else "interrupted: nothing was "
                       "written.", err=True)
            raise typer.Exit(code=130) from None
        except Terminated as stop:  # said as for Ctrl-C, then main() ends the process by the signal
            if not getattr(stop, "reported", False):
                typer.echo("interrupted: nothing was written.", err=True)
            raise
        except Exception as exc:
            if not type(exc).__module__.startswith("sqlalchemy"):
                raise
            _fail(_database_error(exc))
        finally:
            warnings.showwarning = previous

    return wrapper


def _database_error(exc: Exception) -> str:
    """One line for a review-database error, without the statement or its parameters (which may hold a password's
    hash or report text): the driver's own message, and what to check."""
    driver = getattr(exc, "orig", None) or exc
    message = str(driver).splitlines()[0][:200] if str(driver) else type(driver).__name__
    return (f"the review database refused the operation ({type(driver).__name__}: {message}). For a SQLite file, "
            "check that the file and its folder exist and are writable by this user (not read-only, not locked by "
            "another program); for a server, that it is running and the account may write.")


DataArg = Annotated[Path, typer.Argument(help="Labelled file: CSV, TSV, XLSX or JSONL with text and labels.")]


@app.command("train")
@user_errors
def train_cli(
    data: Annotated[list[Path], typer.Argument(help="One or more labelled files (CSV, TSV, XLSX, JSONL).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Model folder to write. Default: models/default for the first model; "
                     "after that a new dated folder under models/, to be checked and promoted."),
    ] = None,
    test_size: Annotated[
        float | None, typer.Option(**FRACTION_RANGE, help="Ignore every 'split' column and hold out this fraction "
                                   "at random (default: rows keep their file's split; rows without one are split "
                                   "80/20, stratified).")
    ] = None,
    seed: Annotated[int, typer.Option(**SEED_RANGE, help="Random seed for splits and folds.")] = 0,
    text_column: Annotated[str | None, typer.Option(help=TEXT_COLUMN_HELP)] = None,
    labels_column: Annotated[str, typer.Option(help="Column of ';'-separated labels.")] = "labels",
    spacy_pipeline: Annotated[
        str, typer.Option(help="'blank:en' or the name of an installed spaCy pipeline.")
    ] = "blank:en",
    prefer_later: Annotated[
        bool, typer.Option(help="When a text appears in several files with different labels, the later wins.")
    ] = False,
    review_band: Annotated[
        float, typer.Option(**FRACTION_RANGE, help="Flag for review when a score is this close to its threshold.")
    ] = 0.15,
    cv: Annotated[
        int | None, typer.Option("--cv", min=2, help="Also report K-fold cross-validated metrics (mean ± std per "
                                 "label) over K folds.")
    ] = None,
    hard_negative_weight: Annotated[
        float | None, typer.Option(min=0.0, help="Training weight of no-label reports that mention a faith, "
                                   f"nationality, hotel, flag... (default {HARD_NEGATIVE_WEIGHT_DEFAULT}; higher = "
                                   "fewer false alarms on them).")
    ] = None,
    second_stage: Annotated[
        bool, typer.Option("--second-stage/--linear-only", help="Rescore immigration, race_hate and religious_hate "
                           "with the second stage (the default), or keep the linear scores for every label.")
    ] = True,
    rescore: Annotated[
        list[str] | None, typer.Option("--rescore", metavar="LABEL", show_default=False,
                                       help="A label the second stage rescores instead of the default three (repeat "
                                       "for several), e.g. a hate label of your own. It is taken to be hate against "
                                       "any group, so its reports also get counterfactual copies (an identity term "
                                       "swapped for another of its group, keeping the label): never name a label "
                                       "about one group (e.g. antisemitism) here.")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Train a model, print its per-label scores on held-out data and on the identity-term suite, and save it."""
    from classifier.evaluation.metrics import format_table
    from classifier.fairness import PROBE_NOTE, PROBE_TITLE, format_identity_suite
    from classifier.fairness.conflict import format_conflict_nationalities
    from classifier.model.persistence import DEFAULT_MODEL_NAME, model_dir_lock, models_dir
    from classifier.retrain.registry import check_not_registered, current_default, new_model_name
    from classifier.training.train import format_not_copied, format_split, train

    progress = stage_lines(quiet)
    candidate = False
    if out is None:
        out = models_dir() / DEFAULT_MODEL_NAME
        if out.exists() or current_default() is not None:  # a promoted default need not be called "default"
            out, candidate = models_dir() / new_model_name(), True
    check_not_registered(out)

    with model_dir_lock(out):  # a second `train --out` of this folder fails now, not after both "Saved"
        result = train(
            data, out, test_size=test_size, seed=seed, text_column=text_column, labels_column=labels_column,
            spacy_pipeline=spacy_pipeline, prefer_later=prefer_later, review_band=review_band,
            **({} if hard_negative_weight is None else {"hard_negative_weight": hard_negative_weight}),
            second_stage=second_stage, rescore=rescore or None, progress=progress,
        )
    meta = result.metadata
    typer.echo(f"Trained on {meta['rows']['train']} reports, tested on {meta['rows']['test']} in "
               f"{meta['train_seconds']:.1f} s.")
    typer.echo(format_split(meta["split_rows"], seed))
    if note := format_not_copied(meta["not_copied"]):
        typer.echo(note)
    typer.echo(format_table(result.metrics, result.hard_negatives, meta["thresholds"], meta.get("review_flag")))
    typer.echo(format_identity_suite(meta["identity_suite"]))
    typer.echo(format_identity_suite(meta["identity_probe"], title=PROBE_TITLE, note=PROBE_NOTE))
    typer.echo(format_conflict_nationalities(meta["conflict_nationalities"]))
    if meta["test_labels_not_in_model"]:
        from classifier.model.label_names import likely_typo

        unknown = []
        for label in meta["test_labels_not_in_model"]:
            match = likely_typo(label, meta["labels"])
            unknown.append(f"'{label}'" + (f" (a typo for '{match}'?)" if match else ""))
        typer.echo(f"warning: label(s) {', '.join(unknown)} appear only in the test split, so the model never "
                   "learnt them and its test figures leave those rows' label out: correct the label, or give it "
                   "training examples (tension validate lists where).", err=True)
    typer.echo(f"Saved to {result.model_dir} (model card: {result.model_dir / 'MODEL_CARD.md'})")
    if candidate:
        typer.echo(f"It is not the default yet. Check it, then: tension promote {result.model_dir.name}")
    if cv is not None:
        from classifier.training.cv import cross_validate_metrics, format_cv

        typer.echo(f"{cv}-fold cross-validation over all {meta['rows']['total']} reports:")
        typer.echo(format_cv(cross_validate_metrics(
            data, cv, seed=seed, text_column=text_column, labels_column=labels_column,
            spacy_pipeline=spacy_pipeline, prefer_later=prefer_later, hard_negative_weight=hard_negative_weight,
            progress=progress,
        )))


@app.command("evaluate")
@user_errors
def evaluate_cli(
    model: Annotated[Path, typer.Argument(help="Model folder or name.")],
    data: DataArg,
    text_column: Annotated[str | None, typer.Option(help=TEXT_COLUMN_HELP)] = None,
    labels_column: Annotated[str, typer.Option(help="Column of ';'-separated labels.")] = "labels",
    split: Annotated[str | None, typer.Option(help="Only rows whose 'split' column has this value.")] = None,
    report: Annotated[
        Path | None, typer.Option(help="Also write metrics.json and a self-contained report.html to this folder.")
    ] = None,
    unseen_only: Annotated[
        bool, typer.Option("--unseen-only", help="Leave out the reports the model trained on (it records them).")
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Score a saved model on any labelled file, and on the identity-term suite."""
    from classifier.evaluation.evaluate import evaluate_model, trained_on_note
    from classifier.evaluation.metrics import format_table
    from classifier.fairness import (
        PROBE_NOTE,
        PROBE_TITLE,
        evaluate_identity_suite,
        format_identity_suite,
        load_identity_probe,
    )
    from classifier.fairness.conflict import evaluate_conflict_nationalities, format_conflict_nationalities
    from classifier.io.progress import tell
    from classifier.model.predictor import load_model

    progress = stage_lines(quiet)
    tell(progress, "loading the model")
    loaded = load_model(model)
    tell(progress, f"scoring the reports of {data}")
    result = evaluate_model(loaded, data, text_column=text_column, labels_column=labels_column, split=split,
                            unseen_only=unseen_only)
    typer.echo(f"{result['n_reports']} reports from {data}")
    if note := trained_on_note(result):
        typer.echo(note)
    typer.echo(format_table(result["metrics"], result["hard_negatives"], result["thresholds"],
                            result["review_flag"]))
    tell(progress, "scoring the identity-term suite")
    result["identity_suite"] = evaluate_identity_suite(loaded)
    typer.echo(format_identity_suite(result["identity_suite"]))
    tell(progress, "scoring the held-out identity probe")
    result["identity_probe"] = evaluate_identity_suite(loaded, load_identity_probe())
    typer.echo(format_identity_suite(result["identity_probe"], title=PROBE_TITLE, note=PROBE_NOTE))
    result["conflict_nationalities"] = evaluate_conflict_nationalities(loaded)
    typer.echo(format_conflict_nationalities(result["conflict_nationalities"]))
    if result["labels_not_in_model"]:
        typer.echo(
            f"labels in the data that the model does not know (not scored): {result['labels_not_in_model']}"
        )
    if result["labels_not_in_data"]:
        typer.echo(f"model labels with no example in the data: {result['labels_not_in_data']}")
    if report is not None:
        from classifier.reports.evaluation_report import write_evaluation_report

        tell(progress, f"writing the report to {report}")
        write_evaluation_report(loaded, data, report, text_column=text_column, labels_column=labels_column,
                                split=split, evaluation=result)
        typer.echo(f"Wrote {report / 'metrics.json'} and {report / 'report.html'}")


@app.command("predict")
@user_errors
def predict_cli(
    model: Annotated[str, typer.Argument(help="Model folder or name ('default' for the default model); with "
                                         "--model, the first text.")],
    texts: Annotated[list[str] | None, typer.Argument(help="One or more report texts.", show_default=False)] = None,
    model_option: Annotated[str | None, typer.Option(
        "--model", "-m", help="The model, as `tension label` takes it: then every argument is a text.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Print labels, scores, the review flag and the reasons for each text."""
    from classifier.errors import ConfigError
    from classifier.model.limits import MAX_TEXT_CHARS
    from classifier.model.predictor import STATUS_TOO_LONG, load_model

    if model_option is not None:
        model, texts = model_option, [model, *(texts or [])]
    if not texts:
        raise ConfigError("tension predict takes a model, then one or more texts; got one argument only. Name the "
                          "model first: tension predict default \"REPORT TEXT\" "
                          "('default' is the default model).")
    loaded = load_model(model)
    predictions = loaded.predict(texts, on_invalid="flag")  # an empty or too long text is a line of its own
    if as_json:
        typer.echo(json.dumps([p.to_dict() for p in predictions], indent=2))
        return
    for number, prediction in enumerate(predictions, 1):
        if prediction.status != "ok":
            hint = (f"; over {MAX_TEXT_CHARS:,} characters: label it from a file with tension label FILE --max-chars N"
                    if prediction.status == STATUS_TOO_LONG else "")
            typer.echo(f"{number}. not labelled: {prediction.status} (needs review{hint})")
            continue
        labels = ", ".join(prediction.labels) or "(no label)"
        review = "  [needs review]" if prediction.needs_review else ""
        if prediction.unfamiliar:
            review = "  [needs review: few of its words are known to the model]"
        typer.echo(f"{number}. {labels}{review}")
        for label, score in sorted(prediction.scores.items(), key=lambda item: -item[1]):
            marker = "*" if label in prediction.labels else " "
            why = ", ".join(prediction.reasons.get(label, []))
            typer.echo(f"   {marker} {label:<18}{score:.3f} (threshold {loaded.thresholds[label]:.2f}) {why}")


@app.command("info")
@user_errors
def info_cli(model: Annotated[Path, typer.Argument(help="Model folder or name.")]) -> None:
    """Print a model's metadata (labels, thresholds, data, versions, metrics) as JSON, then check its files and
    that the metadata is the model's, as loading it for predictions does."""
    from classifier.model.persistence import read_metadata, resolve_model_dir
    from classifier.model.predictor import load_model

    folder = resolve_model_dir(model)
    typer.echo(json.dumps(read_metadata(folder), indent=2))
    # A corrupt or changed model file, or metadata that is not the model's (labels, thresholds), ends in the error
    # every other command gives, after the metadata, not in exit 0.
    load_model(folder)


@app.command("validate")
@user_errors
def validate_cli(
    data: Annotated[list[Path], typer.Argument(help="One or more labelled files (CSV, TSV, XLSX, JSONL), checked "
                                               "together as tension train combines them.")],
    text_column: Annotated[str | None, typer.Option(help=TEXT_COLUMN_HELP)] = None,
    labels_column: Annotated[str, typer.Option(help="Column of ';'-separated labels.")] = "labels",
    labels: Annotated[
        str | None, typer.Option(help="Comma-separated allowed labels; others are reported.")
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--show-all", help="List every duplicate and conflict, not only the first 20 of each.")
    ] = False,
) -> None:
    """Check labelled files: empty texts, duplicates, near-duplicates and texts given different labels (across
    files too), unknown labels, counts per label."""
    from classifier.training.validate import format_report, validate_files

    allowed = [name.strip() for name in labels.split(",")] if labels else None
    report = validate_files(data, text_column=text_column, labels_column=labels_column, allowed_labels=allowed)
    typer.echo(format_report(report, show_all=show_all))
    if not report.ok:
        raise typer.Exit(code=1)


# Command groups that live in their own modules of this package; each module defines ``register(app, user_errors)``
# and imports only typer at module level, so that ``tension --help`` stays fast.
COMMAND_MODULES: list[str] = [
    "classifier.cli.summarise", "classifier.cli.label", "classifier.cli.report", "classifier.cli.retrain",
    "classifier.cli.serve", "classifier.cli.review",
]


def _register_commands() -> None:
    import importlib

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(app, user_errors)


_register_commands()


def main() -> None:  # pragma: no cover - console-script entry point
    from classifier.io.signals import cleanup_on_termination

    with cleanup_on_termination():  # SIGTERM/SIGHUP: every command removes its temporary files, as on Ctrl-C
        app()
