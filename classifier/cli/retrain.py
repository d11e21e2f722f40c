"""``tension audit | suggest | compare | models | promote``: the retraining workflow's commands.

Thin wrappers over :mod:`classifier.retrain.audit`, :mod:`classifier.retrain.suggest`,
:mod:`classifier.evaluation.compare` and :mod:`classifier.retrain.registry`; heavy libraries are imported inside
the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from classifier.cli.options import FRACTION_RANGE, SEED_RANGE, TEXT_COLUMN_HELP
from classifier.cli.progress import QuietOpt, stage_lines
from classifier.cli.review import DbOpt, open_review_store, review_extra

OUTPUT_DIR = Path("output")


def register(app: typer.Typer, user_errors) -> None:
    """Add the retraining commands to ``app``."""

    @app.command("audit")
    @user_errors
    def audit_cli(
        data: Annotated[Path, typer.Argument(help="Labelled file to check (CSV, TSV, XLSX, JSONL).")],
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="Suspects file (default: output/audit_<data>.csv).")
        ] = None,
        seed: Annotated[int, typer.Option(**SEED_RANGE, help="Seed of the cross-validation folds.")] = 0,
        text_column: Annotated[str | None, typer.Option(help=TEXT_COLUMN_HELP)] = None,
        labels_column: Annotated[str, typer.Option(help="Column of ';'-separated labels.")] = "labels",
        min_examples: Annotated[int, typer.Option(min=1, help="Labels with fewer reports are flagged as rare.")] = 10,
        label: Annotated[str | None, typer.Option(
            help="Audit this label alone: a list of the rows whose answer for it looks wrong, on which more of its "
                 "mistakes come near the top (and a model of it alone, so faster).")] = None,
        show: Annotated[int, typer.Option(min=0, help="How many top suspects to list here.")] = 15,
        force: Annotated[bool, typer.Option("--force", help="Replace the suspects file if it exists.")] = False,
        to_review: Annotated[bool, typer.Option(
            "--to-review", help="Also queue the top suspects in the review page, given labels under review.")] = False,
        review_top: Annotated[int, typer.Option(min=1, help="How many top suspects --to-review queues.")] = 100,
        db: DbOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """Find likely label mistakes: out-of-fold disagreement, near-duplicates with other labels, rare labels.

        With --to-review the strongest suspects also go to the review queue (`tension serve`), each showing the
        labels it was given: Accept keeps them, correcting fixes them; `tension export-reviewed` brings the
        answers back for training with --prefer-later. With --label the list holds one label's doubts only."""
        from classifier.io.progress import tell
        from classifier.retrain.audit import audit

        if to_review:
            with review_extra():
                from classifier.retrain.audit_review import check_queueable

            check_queueable(label)
        progress = stage_lines(quiet)
        out = out or _default_output(f"audit_{data.stem}{'_' + label if label else ''}.csv")
        _check_output(out, [data], force, " (it may hold notes made on the suspects since)")
        store = open_review_store(db) if to_review else None  # a bad --db fails before the long part
        try:
            tell(progress, f"auditing {data}: out-of-fold scores for every report (a model per fold), near-duplicates "
                           "and rare labels")
            result = audit(data, seed=seed, out=out, text_column=text_column, labels_column=labels_column,
                           min_examples=min_examples, label=label, progress=progress)
            tell(progress, f"ranked {len(result.suspects)} suspect row(s)")
            counts = result.reason_counts()
            typer.echo(
                f"{len(result.suspects)} suspect row(s) of {result.n_reports}{f' for {label!r}' if label else ''}: "
                + ", ".join(f"{reason} {n}" for reason, n in counts.items())
            )
            if result.unmodelled_labels:
                typer.echo(f"labels too rare to cross-validate (not checked by the model): {result.unmodelled_labels}")
            for s in result.suspects[:show]:
                if label is None:
                    given, suggested = str(list(s.given) or "[]"), str(list(s.suggested) or "[]")
                    agree = set(s.given) == set(s.suggested)
                else:  # only the audited label: the others were not checked
                    def said(labels):
                        return f"'{label}'" if label in labels else f"not '{label}'"

                    given, suggested = said(s.given), said(s.suggested)
                    agree = given == suggested
                verdict = f"given {given} -> model {suggested}"
                doubts = [detail for detail in s.details if detail.startswith(("given '", "not given '"))]
                if agree and doubts:
                    # Its out-of-fold score is past the label's confident threshold but not its decision threshold:
                    # say that, not "given [] -> model []".
                    verdict = f"given {given}, the model unsure: {doubts[0]}"
                typer.echo(f"{s.rank:>4}. {s.source:<28} {s.strength:.2f}  {verdict}  ({'; '.join(s.reasons)})")
            typer.echo(f"Ranked suspects with reasons and scores: {result.out_path}")
            if store is not None:
                from classifier.retrain.audit_review import queue_suspects

                queued = queue_suspects(result, store, name=f"audit of {data.name}", top=review_top)
                rare = queued.rare_label_ranks
                not_queued = queued.batch.not_queued()
                typer.echo(f"Queued {queued.batch.queued} suspect(s) for review in {store.url} (batch "
                           f"{queued.batch.id}); reviewers see them first in `tension serve`."
                           + (f" {'; '.join(not_queued)}." if not_queued else "")
                           + (f" Not queued, given a label too rare to model (fix it in the file): rank(s) "
                              f"{', '.join(map(str, rare[:20]))}{' ...' if len(rare) > 20 else ''}." if rare else ""))
        finally:
            if store is not None:
                store.close()

    @app.command("suggest")
    @user_errors
    def suggest_cli(
        model: Annotated[Path, typer.Argument(help="Model folder or name.")],
        unlabelled: Annotated[Path, typer.Argument(help="File of unlabelled reports (CSV, TSV, XLSX, JSONL).")],
        n: Annotated[int, typer.Option("-n", "--n", min=1, help="How many reports to pick.")] = 50,
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="File to label (default: output/to_label_<file>.csv).")
        ] = None,
        text_column: Annotated[str | None, typer.Option(help=TEXT_COLUMN_HELP)] = None,
        max_similarity: Annotated[
            float, typer.Option(**FRACTION_RANGE, help="Never pick two reports more similar than this (TF-IDF "
                                "cosine, above 0).")
        ] = 0.8,
        force: Annotated[bool, typer.Option("--force", help="Replace the output file if it exists.")] = False,
    ) -> None:
        """Pick the reports whose labels would help the model most, ready to label."""
        from classifier.retrain.suggest import suggest_for_labelling

        out = out or _default_output(f"to_label_{unlabelled.stem}.csv")
        _check_output(out, [unlabelled], force, " (it may hold labels filled in since)")
        counts: dict = {}
        rows = suggest_for_labelling(model, unlabelled, n, text_column=text_column, out=out,
                                     max_similarity=max_similarity, counts=counts)
        short = ""
        if len(rows) < n:
            skipped = [f"{counts[key]} {what}" for key, what in (("labelled", "already labelled"),
                                                                ("empty", "without text")) if counts.get(key)]
            short = (f" (the file has {counts['candidates']} unlabelled report(s) with text"
                     + (f"; {' and '.join(skipped)} skipped" if skipped else "") + ")"
                     if counts["candidates"] <= n else
                     f" (of {counts['candidates']} unlabelled reports, only {len(rows)} are distinct enough: "
                     "see --max-similarity)")
        typer.echo(f"Picked {len(rows)} report(s){short}; fill in the 'labels' column of {out}")

    @app.command("compare")
    @user_errors
    def compare_cli(
        model_a: Annotated[Path, typer.Argument(help="Model A (e.g. the current default).")],
        model_b: Annotated[Path, typer.Argument(help="Model B (e.g. the candidate).")],
        data: Annotated[list[Path], typer.Argument(help="Labelled file(s) both are scored on, combined as "
                                                   "tension train combines them.")],
        split: Annotated[str | None, typer.Option(help="Only rows whose 'split' column has this value.")] = None,
        prefer_later: Annotated[
            bool, typer.Option(help="When a text appears in several files with different labels, the later wins.")
        ] = False,
        min_rows: Annotated[
            int | None, typer.Option(min=0, help="Refuse when fewer reports than this are left once those either model "
                                     "trained on are dropped (default 100).")
        ] = None,
        min_per_label: Annotated[
            int | None, typer.Option(min=0, help="Refuse when fewer of those reports than this have one of the "
                                     "compared labels (default 10).")
        ] = None,
        resamples: Annotated[int, typer.Option(min=10, help="Bootstrap resamples.")] = 1000,
        seed: Annotated[int, typer.Option(**SEED_RANGE, help="Seed of the resampling.")] = 0,
        text_column: Annotated[str | None, typer.Option(help=TEXT_COLUMN_HELP)] = None,
        labels_column: Annotated[str, typer.Option(help="Column of ';'-separated labels.")] = "labels",
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
        quiet: QuietOpt = False,
    ) -> None:
        """Score two models on the same reports, only those neither trained on: per-label F1, bootstrap CI of the
        difference, a verdict."""
        from classifier.evaluation.compare import format_comparison
        from classifier.io.progress import tell
        from classifier.retrain.registry import compare_saved

        progress = stage_lines(quiet)
        tell(progress, "loading both models and reading the reports")
        result = compare_saved(model_a, model_b, data, text_column=text_column, labels_column=labels_column,
                               split=split, prefer_later=prefer_later, min_rows=min_rows,
                               min_per_label=min_per_label, n_resamples=resamples, seed=seed, progress=progress)
        typer.echo(json.dumps(result, indent=2) if as_json else format_comparison(result))

    @app.command("models")
    @user_errors
    def models_cli() -> None:
        """List the models in the registry with their date, data hash, macro-F1 and the test rows it is on."""
        from classifier.retrain.registry import format_models, list_models

        typer.echo(format_models(list_models()))

    @app.command("promote")
    @user_errors
    def promote_cli(
        name: Annotated[str | None, typer.Argument(help="Model to make the default (see tension models).")] = None,
        rollback: Annotated[
            bool, typer.Option("--rollback", help="Return to the default before this one; run it again to go "
                               "further back through the promotions.")
        ] = False,
        force: Annotated[
            bool, typer.Option("--force", help="Promote even if it scores worse (with --reason: even if it fails "
                               "the fairness gate).")
        ] = False,
        reason: Annotated[
            str | None, typer.Option(help="Why this model is promoted; recorded in promotions.jsonl. Needed with "
                                     "--force to override the fairness gate.")
        ] = None,
        data: Annotated[
            Path | None, typer.Option(help="Labelled file to compare on (default: the candidate's test split); "
                                      "either way only the reports neither model trained on are scored.")
        ] = None,
        min_rows: Annotated[
            int | None, typer.Option(min=0, help="Refuse when fewer reports than this are left to compare on "
                                     "(default 100).")
        ] = None,
        min_per_label: Annotated[
            int | None, typer.Option(min=0, help="Refuse when fewer of those reports than this have one of the "
                                     "compared labels (default 10).")
        ] = None,
        max_fpr: Annotated[
            float | None, typer.Option(**FRACTION_RANGE, help="Fairness gate: highest false-positive rate allowed on "
                                       "the identity-term suite's neutral and positive sentences (default 0.03).")
        ] = None,
        max_term_fpr: Annotated[
            float | None, typer.Option(**FRACTION_RANGE, help="Fairness gate: highest false-positive rate allowed for "
                                       "any one identity term (default 0.05).")
        ] = None,
        fpr_tolerance: Annotated[
            float | None, typer.Option(**FRACTION_RANGE, help="Fairness gate: how much higher than the current "
                                       "default's the false-positive rate may be (default 0.005).")
        ] = None,
    ) -> None:
        """Make a model the default if it is not worse than the current one (on reports neither trained on) and
        passes the fairness gate; or roll back."""
        from classifier.errors import ConfigError
        from classifier.evaluation.compare import describe_rows
        from classifier.retrain.registry import promote
        from classifier.retrain.registry import rollback as roll_back

        if rollback:
            gate_options = (reason, max_fpr, max_term_fpr, fpr_tolerance)
            gate_options += (min_rows, min_per_label)
            if name is not None or force or data is not None or any(o is not None for o in gate_options):
                raise ConfigError("--rollback takes no model name, --force, --reason, --data or limits; run it on "
                                  "its own.")
            done = roll_back()
            typer.echo(f"Default is now '{done.name}' again (was '{done.previous}').")
            typer.echo(_next_rollback(done.next_rollback))
            return
        done = promote(name, force=force, data=data, reason=reason, max_fpr=max_fpr, max_term_fpr=max_term_fpr,
                       fpr_tolerance=fpr_tolerance, min_rows=min_rows, min_per_label=min_per_label)
        if done.not_compared is not None:
            typer.echo(f"Not compared with the default (forced): {done.not_compared}")
        if done.comparison is not None:
            typer.echo(f"On {done.evaluated_on}: {describe_rows(done.comparison)}")
            typer.echo(done.comparison["verdict"])
        if done.identity_suite is not None:
            figures, limits = done.identity_suite["candidate"], done.identity_suite["limits"]
            typer.echo(
                f"Identity-term suite: false-positive rate {figures['false_positive_rate']:.1%} (limit "
                f"{limits['max_fpr']:.1%}), highest term {figures['max_term_fpr_term']} {figures['max_term_fpr']:.1%} "
                f"(limit {limits['max_term_fpr']:.1%})."
            )
        if done.fairness_overridden:
            typer.echo(f"Fairness gate overridden (reason recorded): {'; '.join(done.fairness_overridden)}.")
        forced = " (forced)" if done.forced else ""
        was = f" (was '{done.previous}'; undo with tension promote --rollback)" if done.previous else ""
        typer.echo(f"Default is now '{done.name}'{forced}{was}.")


def _next_rollback(name: str | None) -> str:
    if name is None:
        return "Nothing older to roll back to: another --rollback would be refused."
    return f"Another --rollback would restore '{name}'."


def _check_output(out: Path, inputs: list[Path], force: bool, kept: str = "") -> None:
    """Refuse, before any long work, an output that is one of the inputs (never replaced, even with --force) or
    that exists without --force (`kept`: what the existing file may hold)."""
    from classifier.errors import DataError

    for source in inputs:
        if out.resolve() == source.resolve() or (out.exists() and source.exists() and out.samefile(source)):
            raise DataError(f"{out} is the input file {source}; the input is never replaced. Choose another --out.")
    if out.exists() and not force:
        raise DataError(f"{out} already exists{kept}; choose another --out, or pass --force to replace it.")


def _default_output(file_name: str) -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR / file_name
