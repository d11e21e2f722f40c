"""The evaluation report: metrics.json agrees with scikit-learn, report.html is complete and self-contained."""

from __future__ import annotations

import base64
import csv
import json
from html.parser import HTMLParser

import numpy as np
import pytest

from tests.helpers import CORPUS, EXTERNAL, write_csv

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Checker(HTMLParser):
    """Collects what the tests need and every nesting error of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.ids, self.images, self.links = [], [], set(), [], []
        self.doctype = False

    def handle_decl(self, decl):
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        for name in ("href", "src"):
            if name in attrs and tag != "img":
                self.links.append(attrs[name])
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.problems.append(f"</{tag}> at {self.getpos()} closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()


def check_html(text: str) -> _Checker:
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert checker.doctype, "no <!DOCTYPE html>"
    assert not checker.problems, checker.problems[:5]
    assert not checker.stack, f"unclosed tags: {checker.stack[:5]}"
    return checker


@pytest.fixture(scope="module")
def corpus_report(model, small_corpus, tmp_path_factory):
    """The report of the session model on the test split of the small corpus it was trained on."""
    from classifier.reports.evaluation_report import write_evaluation_report

    out = tmp_path_factory.mktemp("report")
    metrics = write_evaluation_report(model, small_corpus, out, split="test")
    return out, metrics


def test_report_metrics_json_agrees_with_sklearn(model, small_corpus, corpus_report):
    from sklearn.metrics import (
        accuracy_score,
        average_precision_score,
        multilabel_confusion_matrix,
        precision_recall_fscore_support,
    )

    from classifier.io.records import read_labelled

    out, returned = corpus_report
    saved = json.loads((out / "metrics.json").read_text("utf-8"))
    assert saved["labels"] == returned["labels"]
    data = read_labelled(small_corpus)
    test = data.subset([i for i, s in enumerate(data.splits) if s == "test"])
    labels = model.labels
    Y_true = np.asarray(test.indicator(labels))
    proba = model.predict_proba(test.texts)
    Y_pred = (proba >= np.asarray([model.thresholds[label] for label in labels])).astype(int)

    precision, recall, f1, support = precision_recall_fscore_support(Y_true, Y_pred, zero_division=0)
    confusion = multilabel_confusion_matrix(Y_true, Y_pred)
    for j, label in enumerate(labels):
        m = saved["labels"][label]
        assert m["precision"] == pytest.approx(precision[j])
        assert m["recall"] == pytest.approx(recall[j])
        assert m["f1"] == pytest.approx(f1[j])
        assert m["support"] == support[j]
        (tn, fp), (fn, tp) = confusion[j]
        assert (m["tp"], m["fp"], m["fn"]) == (tp, fp, fn)
        assert m["threshold"] == model.thresholds[label]
        assert m["average_precision"] == pytest.approx(average_precision_score(Y_true[:, j], proba[:, j]))
    for average in ("macro", "micro"):
        p, r, f, _ = precision_recall_fscore_support(Y_true, Y_pred, average=average, zero_division=0)
        assert saved[average] == pytest.approx({"precision": p, "recall": r, "f1": f})
    assert saved["exact_match"] == pytest.approx(accuracy_score(Y_true, Y_pred))
    assert saved["n_reports"] == len(test) == saved["data"]["n_reports"]
    near = np.abs(proba - np.array([model.thresholds[label] for label in labels])) < model.review_band
    wrong = (Y_true != Y_pred).any(axis=1)
    assert (saved["review_flag"]["flagged"], saved["review_flag"]["wrong"], saved["review_flag"]["wrong_flagged"]) \
        == (near.any(axis=1).sum(), wrong.sum(), (wrong & near.any(axis=1)).sum())
    true_co = Y_true.T @ Y_true
    assert [[saved["cooccurrence"]["true"][a][b] for b in labels] for a in labels] == true_co.tolist()


def test_report_review_band_trade_off_widens_with_the_band_and_marks_the_models(corpus_report, model):
    from classifier.evaluation.evaluate import REVIEW_BANDS

    out, metrics = corpus_report
    bands = metrics["review_bands"]
    assert [b["band"] for b in bands] == list(REVIEW_BANDS)
    assert [b["flagged"] for b in bands] == sorted(b["flagged"] for b in bands)  # wider flags at least as many
    assert [b["wrong_flagged"] for b in bands] == sorted(b["wrong_flagged"] for b in bands)
    own = next(b for b in bands if b["band"] == model.review_band)
    assert own == metrics["review_flag"]
    page = (out / "report.html").read_text("utf-8")
    assert f"{model.review_band:.2f} (the model's)" in page and 'id="review-band"' in page


def test_report_ece_matches_a_direct_computation(corpus_report, model, small_corpus):
    from classifier.io.records import read_labelled

    _, metrics = corpus_report
    data = read_labelled(small_corpus)
    test = data.subset([i for i, s in enumerate(data.splits) if s == "test"])
    proba = model.predict_proba(test.texts)
    Y = np.asarray(test.indicator(model.labels))
    for j, label in enumerate(model.labels):
        bins = np.minimum((proba[:, j] * 10).astype(int), 9)
        expected = sum(
            np.mean(bins == b) * abs(Y[bins == b, j].mean() - proba[bins == b, j].mean())
            for b in range(10) if np.any(bins == b)
        )
        assert metrics["labels"][label]["ece"] == pytest.approx(expected)
        assert sum(b["n"] for b in metrics["labels"][label]["calibration"]["bins"]) == len(test)


@pytest.mark.parametrize(
    ("y", "p", "ece"),
    [([0, 1], [0.0, 1.0], 0.0), ([1, 1, 0, 0], [0.95, 0.95, 0.95, 0.95], 0.45), ([0, 0], [0.3, 0.5], 0.4)],
)
def test_report_calibration_bins_ece(y, p, ece):
    from classifier.reports.evaluation_report import calibration_bins

    assert calibration_bins(y, p)["ece"] == pytest.approx(ece)


def test_report_html_is_well_formed_self_contained_and_complete(corpus_report):
    from classifier.reports.evaluation_report import SECTIONS

    out, metrics = corpus_report
    page = (out / "report.html").read_text("utf-8")
    checker = check_html(page)
    assert set(SECTIONS) <= checker.ids
    assert len(checker.images) >= 4
    for src in checker.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert all(link.startswith("#") for link in checker.links), "external reference in a self-contained page"
    assert "<script" not in page.lower()
    for label in metrics["labels"]:
        assert label in page
    for group in metrics["identity_terms"]["groups"]:
        assert group in page
    assert metrics["worst_errors"] and metrics["worst_errors"][0]["id"] in page
    assert metrics["top_terms"]["immigration"]["words"][0]["term"] in page
    assert "Needs review" in page and f"holding {metrics['review_flag']['wrong_flagged']} of the" in page


def test_report_has_the_identity_suite_in_metrics_json_and_html(corpus_report, model):
    from classifier.fairness import evaluate_identity_suite

    out, metrics = corpus_report
    saved = json.loads((out / "metrics.json").read_text("utf-8"))
    assert saved["identity_terms"] == metrics["identity_terms"]  # the hard-negative check stays
    suite = saved["identity_suite"]
    assert suite == json.loads(json.dumps(evaluate_identity_suite(model)))
    page = (out / "report.html").read_text("utf-8")
    section = page[page.index('<section id="identity-suite">'):]
    section = section[: section.index("</section>")]
    overall = suite["overall"]
    assert f"{overall['false_positive_rate']:.1%} ({overall['false_positives']} of {overall['n_non_hostile']})" \
        in section
    for term in suite["terms"]:
        assert f"<td>{term}</td>" in section
    for group in suite["groups"]:
        assert f"<td>{group}</td>" in section
    assert '<img alt="False-positive rate per identity term"' in section


def test_report_metrics_json_holds_the_conflict_nationalities(corpus_report, model):
    from classifier.fairness.conflict import evaluate_conflict_nationalities

    out, _ = corpus_report
    saved = json.loads((out / "metrics.json").read_text("utf-8"))
    assert saved["conflict_nationalities"] == json.loads(json.dumps(evaluate_conflict_nationalities(model)))


def test_report_metrics_json_holds_no_report_text(corpus_report, small_corpus):
    from classifier.io.records import read_labelled

    out, metrics = corpus_report
    saved = (out / "metrics.json").read_text("utf-8")
    data = read_labelled(small_corpus)
    by_id = dict(zip(data.ids, data.texts, strict=True))
    for err in metrics["worst_errors"][:5]:
        assert by_id[err["id"]][:40] not in saved


@pytest.fixture
def tricky_file(tmp_path):
    """A few corpus reports plus a long one with markup, an unknown label and a label-less hate report."""
    with open(CORPUS, encoding="utf-8", newline="") as handle:
        rows = [{"id": r["id"], "text": r["text"], "labels": r["labels"]} for r in list(csv.DictReader(handle))[:12]]
    long_text = "<script>alert('x')</script> Gaza ceasefire march " + "and the Palestine flag " * 30
    rows.append({"id": "X1", "text": long_text, "labels": "football"})
    rows.append({"id": "X2", "text": "Graffiti saying muslims out sprayed on the mosque wall.", "labels": ""})
    return write_csv(tmp_path / "tricky.csv", rows), long_text


def test_report_snippets_are_short_and_escaped_and_unknown_labels_listed(model, tricky_file, tmp_path):
    from classifier.reports.evaluation_report import SNIPPET_CHARS, snippet, write_evaluation_report

    path, long_text = tricky_file
    metrics = write_evaluation_report(model, path, tmp_path / "out")
    page = (tmp_path / "out" / "report.html").read_text("utf-8")
    check_html(page)
    assert metrics["labels_not_in_model"] == ["football"]
    assert metrics["data"]["label_counts"]["football"] == 1
    assert "football (1 reports)" in page
    assert "X1" in [e["id"] for e in metrics["worst_errors"]]
    assert "<script>" not in page
    short = snippet(long_text)
    assert len(short) <= SNIPPET_CHARS and short.endswith("…")
    assert short.replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#x27;") in page
    assert long_text[: SNIPPET_CHARS + 20] not in page


def test_report_refuses_a_file_as_folder(model, small_corpus, tmp_path):
    from classifier.errors import ConfigError
    from classifier.reports.evaluation_report import write_evaluation_report

    target = tmp_path / "taken"
    target.write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        write_evaluation_report(model, small_corpus, target, split="test")


def test_report_cli_writes_both_files(trained, tricky_file, tmp_path):
    from typer.testing import CliRunner

    from classifier.cli import app

    path, _ = tricky_file
    result = CliRunner().invoke(app, ["report", str(trained.model_dir), str(path), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert "football" in result.output
    assert (tmp_path / "r" / "metrics.json").is_file() and (tmp_path / "r" / "report.html").is_file()


def test_report_evaluate_cli_report_has_the_identity_suite(trained, tricky_file, tmp_path):
    from typer.testing import CliRunner

    from classifier.cli import app

    path, _ = tricky_file
    result = CliRunner().invoke(app, ["evaluate", str(trained.model_dir), str(path), "--report", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert "identity-term suite" in result.output
    saved = json.loads((tmp_path / "r" / "metrics.json").read_text("utf-8"))
    assert saved["identity_suite"]["overall"] == trained.metadata["identity_suite"]["overall"]
    assert 'id="identity-suite"' in (tmp_path / "r" / "report.html").read_text("utf-8")


def test_report_cli_missing_data_is_one_line_error(trained, tmp_path):
    from typer.testing import CliRunner

    from classifier.cli import app

    result = CliRunner().invoke(app, ["report", str(trained.model_dir), str(tmp_path / "no.csv"), "--out",
                                      str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
@pytest.mark.skipif(not (EXTERNAL / "external_eval.csv").is_file(), reason="external evaluation data not present")
def test_report_on_external_data(trained, tmp_path):
    """Real public text: labels the model knows are scored, model labels absent from the data are listed."""
    from typer.testing import CliRunner

    from classifier.cli import app
    from classifier.io.records import read_labelled

    path = EXTERNAL / "external_eval.csv"
    result = CliRunner().invoke(app, ["report", str(trained.model_dir), str(path), "--out", str(tmp_path / "ext")])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "ext" / "metrics.json").read_text("utf-8"))
    data = read_labelled(path)
    assert metrics["n_reports"] == len(data)
    assert metrics["labels_not_in_model"] == sorted(set(data.label_set) - set(trained.metadata["labels"]))
    assert metrics["labels_not_in_data"] == sorted(set(trained.metadata["labels"]) - set(data.label_set))
    check_html((tmp_path / "ext" / "report.html").read_text("utf-8"))


def test_report_worst_errors_mask_identifiers_and_the_page_has_the_held_out_probe(model, tmp_path):
    """Reproduction: 'Call Jane Doe 07700 900123, jane.doe@example.com, 14 Elm Rd EM4 2RS' was shown whole under
    "text (snippet)"; the held-out identity probe was in metrics.json and the model card but not on the page."""
    from classifier.reports.evaluation_report import write_evaluation_report

    with open(CORPUS, encoding="utf-8", newline="") as handle:
        rows = [{"id": r["id"], "text": r["text"], "labels": r["labels"]} for r in list(csv.DictReader(handle))[:12]]
    rows.append({"id": "X2", "labels": "", "text": "Graffiti saying muslims out sprayed on the mosque wall. Call "
                 "07700 900123 or jane.doe@example.com, 14 Elm Rd EM4 2RS."})
    metrics = write_evaluation_report(model, write_csv(tmp_path / "pii.csv", rows), tmp_path / "out")
    assert "X2" in [error["id"] for error in metrics["worst_errors"]]
    page = (tmp_path / "out" / "report.html").read_text("utf-8")
    check_html(page)
    for identifier in ("07700", "900123", "jane.doe", "example.com", "EM4 2RS"):
        assert identifier not in page
    assert "xxphone" in page and "xxemail" in page and "xxpostcode" in page
    assert 'id="identity-probe"' in page and "Held-out identity probe" in page
    probe = metrics["identity_probe"]["overall"]
    assert f"({probe['false_positives']} of {probe['n_non_hostile']})" in page


def test_report_excerpts_mask_numbers_and_references_written_in_groups():
    """Reproduction: the worst-errors excerpts showed NHS numbers ('485 777 3456'), National Insurance numbers,
    dates of birth, crime references, card numbers and phone numbers in formats the patterns miss ('0044 7700
    900123', '07700.900.321') in full, all of which the model reads as a number placeholder."""
    from classifier.reports.evaluation_report import masked

    secrets = ["485 777 3456", "4857773456", "QQ123456C", "12 34 56", "12/03/1985", "14/123456/23",
               "0044 7700 900123", "07700.900.321", "4111 1111 1111 1111", "jo@example.com", "07700 900456"]
    text = "Bins late. " + ", ".join(f"item {secret}" for secret in secrets) + ". Flat 4, 2 bags, 10.30am."
    shown = masked(text)
    assert not any(secret in shown for secret in secrets), shown
    assert "Bins late." in shown and "Flat 4, 2 bags, 10.30am." in shown  # short numbers stay readable
