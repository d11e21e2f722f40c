"""Tests for classifier.labelling.batch: labelling whole files, every row kept, nothing half-written."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from classifier.errors import DataError
from classifier.io.tables import AtomicTableWriter, EncodingFallbackWarning, guard_formula, read_rows
from classifier.labelling.batch import TextColumnWarning, added_column_names, default_output_path, label_file
from classifier.model.predictor import TensionModel
from tests.helpers import BACKLOG, CORPUS, model_failing_in_workers, save_formula_results, write_csv

TEXTS = [
    "Leaflets at the station claim asylum seekers get free houses before local families",
    "bin men left half the bins unemptied again",
    "Graffiti on the mosque wall telling muslims to go back where they came from",
    "Protest outside the hotel housing asylum seekers, people shouting go home",
    "street light flickering outside the library for a week",
]


def _rows(n: int) -> list[dict[str, str]]:
    return [{"ref": f"R{i}", "text": TEXTS[i % len(TEXTS)], "channel": "web" if i % 2 else "phone"} for i in range(n)]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with AtomicTableWriter(path, list(rows[0])) as writer:
        writer.write_rows(rows)
    return path


def _corpus_texts(n: int) -> list[str]:
    with open(CORPUS, encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)][:n]


def _no_leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".part"))


@pytest.mark.parametrize("ext", [".csv", ".tsv", ".xlsx", ".jsonl"])
def test_batch_round_trip_keeps_every_row_column_and_order(tmp_path, trained, ext):
    rows = _rows(23)
    rows[4]["text"] = ""
    source = _write(tmp_path / f"backlog{ext}", rows)

    summary = label_file(source, model=trained.model_dir, chunk_size=5)

    output = default_output_path(source)
    assert output == tmp_path / f"backlog_labelled{ext}"
    out_rows = read_rows(output)
    assert summary.rows_in == summary.rows_out == len(out_rows) == 23
    labels = json.loads((trained.model_dir / "metadata.json").read_text("utf-8"))["labels"]
    expected_added = ["labels", *(f"score_{label}" for label in labels), "needs_review", "review_reason", "reasons",
                      "status"]
    assert list(out_rows[0]) == ["ref", "text", "channel", *expected_added]
    for original, labelled in zip(rows, out_rows, strict=True):
        assert {key: labelled[key] for key in original} == original
        assert labelled["status"] in {"ok", "empty text"}
        assert labelled["needs_review"] in {"true", "false"}
        assert set(filter(None, labelled["labels"].split(";"))) <= set(labels)
    assert out_rows[4]["status"] == "empty text"
    assert sum(summary.label_counts.values()) == sum(len(r["labels"].split(";")) for r in out_rows if r["labels"])


def test_batch_predictions_match_the_model(tmp_path, model):
    texts = _corpus_texts(40)
    source = write_csv(tmp_path / "in.csv", [{"text": text} for text in texts])

    label_file(source, tmp_path / "out.csv", model=model)

    out_rows = read_rows(tmp_path / "out.csv")
    for row, prediction in zip(out_rows, model.predict(texts), strict=True):
        assert row["labels"] == ";".join(prediction.labels)
        assert row["needs_review"] == str(prediction.needs_review).lower()
        assert all(float(row[f"score_{label}"]) == score for label, score in prediction.scores.items())
        expected_reasons = "; ".join(f"{label}: {', '.join(terms)}" for label, terms in prediction.reasons.items()
                                     if label in prediction.labels)  # a label under review not given: review_reason
        assert row["reasons"] == expected_reasons


@pytest.mark.parametrize("ext", [".csv", ".jsonl", ".xlsx"])
def test_batch_review_reason_names_the_labels_near_their_threshold(tmp_path, model, ext):
    from classifier.model.label_names import review_reason

    wide = TensionModel(model.pipeline, model.metadata, review_band=0.3)
    texts = _corpus_texts(60)
    texts.insert(30, "")
    source = write_csv(tmp_path / "in.csv", [{"text": text} for text in texts])

    label_file(source, tmp_path / f"out{ext}", model=wide)

    out_rows = read_rows(tmp_path / f"out{ext}")
    flagged = 0
    for row, prediction in zip(out_rows, wide.predict(texts, on_invalid="flag"), strict=True):
        if prediction.status != "ok":
            expected = "Not classified: empty text."
        elif prediction.needs_review:
            expected = review_reason(prediction.review_labels, prediction.scores, wide.thresholds,
                                     prediction.unfamiliar, prediction.reasons)
            assert "close to its threshold" in expected
            flagged += 1
        else:
            expected = ""
        assert (row["review_reason"] or "") == expected
    assert 0 < flagged < len(texts) - 1
    assert any("(not given; its words: " in (row["review_reason"] or "") for row in out_rows)


def test_batch_utf16_input_keeps_every_row_and_a_broken_one_writes_nothing(tmp_path, model):
    import codecs

    texts = ["Leaflets saying asylum seekers get free houses", "caf\xe9 on Vale Street vandalised \u2019again\u2019"]
    body = "id,text\r\n" + "".join(f"{i},{text}\r\n" for i, text in enumerate(texts))
    good = tmp_path / "unicode.csv"
    good.write_bytes(codecs.BOM_UTF16_LE + body.encode("utf-16-le"))
    summary = label_file(good, tmp_path / "out.csv", model=model)
    assert summary.rows_in == summary.rows_out == 2
    assert [row["text"] for row in read_rows(tmp_path / "out.csv")] == texts
    broken = tmp_path / "broken.csv"
    broken.write_bytes(codecs.BOM_UTF16_LE + body.encode("utf-16-le") + b"\x41")
    with pytest.raises(DataError, match="expected UTF-16 text"):
        label_file(broken, tmp_path / "broken_out.csv", model=model)
    assert not (tmp_path / "broken_out.csv").exists() and _no_leftovers(tmp_path) == []


def test_batch_report_in_another_language_needs_review_and_says_why(tmp_path, model):
    from classifier.model.label_names import UNFAMILIAR_REASON

    texts = ["Ausländer raus! Wir brennen die Moschee nieder", "Leaflets saying asylum seekers get free houses"]
    source = write_csv(tmp_path / "in.csv", [{"text": text} for text in texts])
    summary = label_file(source, tmp_path / "out.csv", model=TensionModel(model.pipeline, model.metadata,
                                                                           review_band=0.0))
    german, english = read_rows(tmp_path / "out.csv")
    assert german["needs_review"] == "true" and german["review_reason"] == UNFAMILIAR_REASON + "."
    assert english["needs_review"] == "false" and english["review_reason"] == ""
    assert summary.needs_review == 1 and summary.unfamiliar == 1
    assert "needs review: 1 (1 in words the model mostly does not know" in str(summary)
    assert "or a pointer to a photo or a link)" in str(summary)  # not only other languages (a photo's caption)


def test_batch_empty_and_whitespace_texts_are_kept_and_flagged(tmp_path, model):
    texts = ["", "   ", "\t\n", TEXTS[0], ""]
    source = write_csv(tmp_path / "in.csv", [{"id": str(i), "text": text} for i, text in enumerate(texts)])

    summary = label_file(source, tmp_path / "out.csv", model=model)

    out_rows = read_rows(tmp_path / "out.csv")
    assert [row["id"] for row in out_rows] == ["0", "1", "2", "3", "4"]
    assert [row["text"] for row in out_rows] == [guard_formula(text) for text in texts]  # "\t\n" -> "'\t\n"
    for row in (out_rows[i] for i in (0, 1, 2, 4)):
        assert (row["status"], row["needs_review"], row["labels"], row["reasons"]) == ("empty text", "true", "", "")
        assert row["review_reason"] == "Not classified: empty text."
        assert all(row[f"score_{label}"] == "" for label in model.labels)
    assert out_rows[3]["status"] == "ok"
    assert summary.not_classified == 4
    assert summary.status_counts["empty text"] == 4
    assert summary.needs_review >= 4


def test_batch_clashing_column_names_are_left_untouched(tmp_path, model):
    rows = [
        {"text": text, "labels": "human label", "status": "closed", f"score_{model.labels[0]}": "9", "reasons": "x"}
        for text in TEXTS
    ]
    source = write_csv(tmp_path / "in.csv", rows)

    summary = label_file(source, tmp_path / "out.csv", model=model)

    out_rows = read_rows(tmp_path / "out.csv")
    for original, labelled in zip(rows, out_rows, strict=True):
        assert {key: labelled[key] for key in original} == original
        assert labelled["tension_status"] == "ok"
        assert "tension_needs_review" in labelled
        assert all(f"tension_score_{label}" in labelled for label in model.labels)
    assert summary.added_columns["labels"] == "tension_labels"
    assert summary.renamed_columns["status"] == "tension_status"
    assert "renamed" in str(summary)


def test_batch_input_columns_named_like_ours_but_for_case_or_spaces_get_ours_prefixed(tmp_path, model):
    """Reproduction: a case-management export ('Case ID, Status, Assigned to, Report, Needs Review, Labels') came out
    with 'Status' and 'status', 'Needs Review' and 'needs_review', 'Labels' and 'labels', and no word of it."""
    rows = [{"Case ID": str(i), "Status": "Open", "Report": text, "Needs Review": "No", "Labels": "ASB"}
            for i, text in enumerate(TEXTS)]
    summary = label_file(write_csv(tmp_path / "cases.csv", rows), tmp_path / "out.csv", model=model, jobs=1)
    header = list(read_rows(tmp_path / "out.csv")[0])
    assert header[:5] == list(rows[0]) and header[5] == "tension_labels" and header[-1] == "tension_status"
    assert "the input already had columns named like ours, so ours are renamed: labels -> tension_labels" in \
        str(summary)


def test_batch_added_column_names_skip_prefixes_already_taken():
    names = added_column_names(["text", "labels", "tension_labels"], ["a"])
    assert names == {"labels": "tension2_labels", "score_a": "tension2_score_a", "needs_review":
                     "tension2_needs_review", "review_reason": "tension2_review_reason", "reasons": "tension2_reasons",
                     "status": "tension2_status"}
    assert added_column_names(["text", "label"], ["a"])["labels"] == "labels"


def test_batch_missing_text_column_lists_the_columns(tmp_path, model):
    source = write_csv(tmp_path / "in.csv", [{"reference": "1", "comment": "hello"}])

    with pytest.raises(DataError, match=r"'reference', 'comment'.*--text-column"):
        label_file(source, tmp_path / "out.csv", model=model)
    with pytest.raises(DataError, match="'body'.*found only 2 columns: 'reference', 'comment'"):
        label_file(source, tmp_path / "out.csv", model=model, text_column="body")
    assert not (tmp_path / "out.csv").exists()
    assert _no_leftovers(tmp_path) == []


def test_batch_given_text_column_is_used(tmp_path, model):
    source = write_csv(tmp_path / "in.csv", [{"text": "", "Free Text": TEXTS[0]}])

    summary = label_file(source, tmp_path / "out.csv", model=model, text_column="free text")

    assert summary.text_column == "Free Text"
    assert read_rows(tmp_path / "out.csv")[0]["status"] == "ok"


def test_batch_cp1252_file_falls_back_with_a_warning(tmp_path, model):
    source = tmp_path / "council_export.csv"
    text = "id,text\r\n1,\u201cThey\u2019re not welcome\u201d \u2013 caf\u00e9 sign\r\n2,\r\n"
    source.write_bytes(text.encode("cp1252"))

    with pytest.warns(EncodingFallbackWarning, match="cp1252"):
        summary = label_file(source, tmp_path / "out.csv", model=model)

    out_rows = read_rows(tmp_path / "out.csv")  # written as UTF-8
    assert out_rows[0]["text"] == "\u201cThey\u2019re not welcome\u201d \u2013 caf\u00e9 sign"
    assert [row["status"] for row in out_rows] == ["ok", "empty text"]
    assert summary.rows_out == 2


def test_batch_excel_with_formulas_and_merged_header_cells(tmp_path, model):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Backlog"
    sheet.append(["Reference", "Text", "Notes", None, "Count"])
    sheet.merge_cells("C1:D1")  # a merged header: the second cell is empty and gets a name of its own
    sheet.append(["R1", TEXTS[0], "note", "more", "=1+1"])
    sheet.append(["R2", "=not a formula, a report that starts with an equals sign", "", "", "=SUM(E2:E2)"])
    sheet.append(["R3", TEXTS[2], "", "", 3])
    other = workbook.create_sheet("Other")
    other.append(["text"])
    other.append([TEXTS[1]])
    sheet["B3"].data_type = "s"  # typed text that starts with "=", not a formula
    source = tmp_path / "backlog.xlsx"
    workbook.save(source)
    with pytest.raises(DataError, match="sheet 'Backlog' cell E2: expected a value, found a formula whose result"):
        label_file(source, tmp_path / "out.xlsx", model=model)  # no results saved: Count would read as empty
    assert not (tmp_path / "out.xlsx").exists()
    save_formula_results(source, {"E2": "2", "E3": "2"})  # as Excel saves the workbook

    summary = label_file(source, tmp_path / "out.xlsx", model=model)

    out_rows = read_rows(tmp_path / "out.xlsx")
    assert list(out_rows[0])[:5] == ["Reference", "Text", "Notes", "column_4", "Count"]
    assert [row["Reference"] for row in out_rows] == ["R1", "R2", "R3"]
    assert out_rows[0]["column_4"] == "more"
    assert [row["Count"] for row in out_rows] == ["2", "2", "3"]
    assert summary.rows_out == 3
    # A text starting with "=" is written back as text, never as a formula.
    cell = load_workbook(tmp_path / "out.xlsx")["Backlog"]["B3"]
    assert cell.data_type == "s"

    other_summary = label_file(source, tmp_path / "other.csv", model=model, sheet="Other")
    assert other_summary.rows_out == 1
    with pytest.raises(DataError, match="'Backlog', 'Other'"):
        label_file(source, tmp_path / "none.csv", model=model, sheet="Missing")


def test_batch_output_is_identical_whatever_jobs(tmp_path, trained, model):
    texts = _corpus_texts(400) + ["", "  "] + _corpus_texts(400)[:50]  # duplicates and empty rows too
    source = write_csv(tmp_path / "in.csv", [{"n": str(i), "text": text} for i, text in enumerate(texts)])

    one = label_file(source, tmp_path / "jobs1.csv", model=trained.model_dir, jobs=1, chunk_size=37)
    two = label_file(source, tmp_path / "jobs2.csv", model=trained.model_dir, jobs=2, chunk_size=37)
    inherited = label_file(source, tmp_path / "jobs2_inherited.csv", model=model, jobs=2, chunk_size=64)

    reference = (tmp_path / "jobs1.csv").read_bytes()
    assert (tmp_path / "jobs2.csv").read_bytes() == reference
    assert (tmp_path / "jobs2_inherited.csv").read_bytes() == reference
    out_rows = read_rows(tmp_path / "jobs2.csv")
    assert all(bool(row["review_reason"]) == (row["needs_review"] == "true") for row in out_rows)
    assert any("close to its threshold" in row["review_reason"] for row in out_rows)  # the workers' reasons too
    assert one.rows_out == two.rows_out == inherited.rows_out == len(texts)
    assert one.label_counts == two.label_counts
    assert (two.jobs, one.jobs) == (2, 1)


_PARENT_IMPORTS_SCRIPT = textwrap.dedent(
    """
    import sys
    from classifier.labelling.batch import label_file

    if __name__ == "__main__":  # worker processes start from a server that imports this module
        summary = label_file(sys.argv[1], sys.argv[2], model=sys.argv[3], jobs=2, chunk_size=20)
        print(summary.rows_out, sorted(name for name in ("sklearn", "spacy", "scipy") if name in sys.modules))
    """
)


def test_batch_parent_of_several_workers_checks_the_model_file_without_loading_it(tmp_path, trained):
    # The workers unpickle the bytes the parent read and checked; the parent never imports the model's libraries
    # (about 250 MB it used to hold beside the workers' own copies).
    source = write_csv(tmp_path / "in.csv", [{"text": text} for text in _corpus_texts(60)])
    script = tmp_path / "parent.py"
    script.write_text(_PARENT_IMPORTS_SCRIPT, "utf-8")
    done = subprocess.run([sys.executable, str(script), str(source), str(tmp_path / "out.csv"), str(trained.model_dir)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["60", "[]"]
    label_file(source, tmp_path / "one.csv", model=trained.model_dir, jobs=1)
    assert (tmp_path / "out.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()


def test_batch_worker_lemmas_match_the_parent_after_a_large_vocabulary(tmp_path, trained, model):
    # The parent's spaCy vocabulary grows with everything it has seen; workers start from the saved model.
    model.predict([f"word{i} zorblax{i} asylum seekers hotels mosques" for i in range(5000)], explain=False)
    texts = _corpus_texts(300)
    source = write_csv(tmp_path / "in.csv", [{"text": text} for text in texts])

    label_file(source, tmp_path / "parent.csv", model=model, jobs=1, chunk_size=50)
    label_file(source, tmp_path / "workers.csv", model=trained.model_dir, jobs=2, chunk_size=50)

    assert (tmp_path / "workers.csv").read_bytes() == (tmp_path / "parent.csv").read_bytes()


def test_batch_review_out_holds_only_rows_needing_review(tmp_path, model):
    texts = _corpus_texts(120) + ["", " "]
    source = write_csv(tmp_path / "in.csv", [{"n": str(i), "text": text} for i, text in enumerate(texts)])

    summary = label_file(source, tmp_path / "out.csv", model=model, review_out=tmp_path / "review.jsonl")

    out_rows = read_rows(tmp_path / "out.csv")
    review_rows = read_rows(tmp_path / "review.jsonl")
    expected = [{"input_row": str(number), **row} for number, row in enumerate(out_rows, start=2)
                if row["needs_review"] == "true"]  # each with its row in the input: the header is row 1
    assert review_rows == expected
    assert summary.review_rows == summary.needs_review == len(expected)
    assert {"", " "} <= {row["text"] for row in review_rows}
    assert 0 < len(review_rows) < len(out_rows)


def test_batch_review_file_of_a_jsonl_input_gives_each_rows_line(tmp_path, model):
    """Reproduction: a JSON Lines input's review file gave the report on line 1 input_row 2, one line too low for
    "find it in the input" (JSON Lines has no header, and its error messages give lines)."""
    source = tmp_path / "rows.jsonl"
    source.write_text('{"id": "a", "text": ""}\n{"id": "b", "text": "bins"}\n{"id": "c", "text": " "}\n')
    label_file(source, tmp_path / "out.jsonl", model=model, jobs=1, review_out=tmp_path / "review.jsonl")
    assert [(row["input_row"], row["id"]) for row in read_rows(tmp_path / "review.jsonl")] == [("1", "a"), ("3", "c")]


@pytest.mark.parametrize("jobs", [1, 2])
def test_batch_review_band_widens_the_flag_without_changing_the_labels(tmp_path, trained, model, jobs):
    texts = _corpus_texts(60)
    source = write_csv(tmp_path / "in.csv", [{"text": text} for text in texts])
    label_file(source, tmp_path / "default.csv", model=trained.model_dir, jobs=jobs)
    wide = label_file(source, tmp_path / "wide.csv", model=trained.model_dir, jobs=jobs, review_band=0.45)

    default_rows, wide_rows = read_rows(tmp_path / "default.csv"), read_rows(tmp_path / "wide.csv")
    assert [row["labels"] for row in wide_rows] == [row["labels"] for row in default_rows]
    expected = TensionModel(model.pipeline, model.metadata, review_band=0.45).predict(texts)
    assert [row["needs_review"] == "true" for row in wide_rows] == [p.needs_review for p in expected]
    assert wide.needs_review > sum(row["needs_review"] == "true" for row in default_rows)
    assert model.review_band == 0.15  # the model object passed elsewhere keeps its own


def test_batch_summary_recalls_what_the_flag_caught_on_the_models_test_split(tmp_path, trained):
    source = write_csv(tmp_path / "in.csv", [{"text": text} for text in _corpus_texts(10)])
    summary = label_file(source, tmp_path / "out.csv", model=trained.model_dir)
    review = trained.metadata["review_flag"]
    assert summary.test_review == review
    assert f"on its test split the flag held {review['caught_rate']:.0%} of the model's mistakes" in str(summary)
    wider = label_file(source, tmp_path / "wide.csv", model=trained.model_dir, review_band=0.3)
    assert wider.test_review is None and "on its test split" not in str(wider)  # measured with another band
    loaded = TensionModel(trained.model.pipeline, trained.metadata)
    assert label_file(source, tmp_path / "object.csv", model=loaded).test_review == review
    wide_object = TensionModel(trained.model.pipeline, trained.metadata, review_band=0.3)
    assert label_file(source, tmp_path / "wide_object.csv", model=wide_object).test_review is None
    assert label_file(source, tmp_path / "copy.csv", model=loaded, review_band=0.3).test_review is None


def test_batch_review_band_of_a_model_object_is_applied_to_a_copy(tmp_path, model):
    texts = _corpus_texts(20)
    source = write_csv(tmp_path / "in.csv", [{"text": text} for text in texts])
    summary = label_file(source, tmp_path / "out.csv", model=model, review_band=0.49)
    wide = TensionModel(model.pipeline, model.metadata, review_band=0.49)
    assert summary.needs_review == sum(p.needs_review for p in wide.predict(texts))
    assert model.review_band == 0.15


def test_batch_refuses_to_overwrite_the_input(tmp_path, model):
    source = write_csv(tmp_path / "in.csv", [{"text": TEXTS[0]}])
    before = source.read_bytes()

    with pytest.raises(DataError, match="input file"):
        label_file(source, tmp_path / "." / "in.csv", model=model, force=True)
    with pytest.raises(DataError, match="input file"):
        label_file(source, tmp_path / "out.csv", model=model, review_out=source, force=True)
    assert source.read_bytes() == before


def test_batch_a_workbook_whose_first_sheet_has_no_text_column_names_the_sheet_and_the_others(tmp_path, model):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Cover"
    book.active.append(["Tension report export"])
    book.create_sheet("Data").append(["id", "text"])
    book.save(tmp_path / "in.xlsx")
    with pytest.raises(DataError, match="header of the sheet 'Cover'; the workbook also has 'Data': read another "
                                        "with --sheet NAME"):
        label_file(tmp_path / "in.xlsx", tmp_path / "out.xlsx", model=model)
    assert label_file(tmp_path / "in.xlsx", tmp_path / "out.xlsx", model=model, sheet="Data").rows_out == 0


def test_batch_a_title_above_the_header_says_which_row_is_the_header(tmp_path, model):
    (tmp_path / "in.csv").write_text("Reports received in April\n\nid,text\n1,Bins not collected\n", encoding="utf-8")
    with pytest.raises(DataError, match="Row 3 looks like the header.*delete the 2 rows above it"):
        label_file(tmp_path / "in.csv", tmp_path / "out.csv", model=model)
    assert not (tmp_path / "out.csv").exists()


def test_batch_summary_names_input_columns_written_differently(tmp_path, model):
    source = tmp_path / "in.csv"
    source.write_text("ID ,text,text,\n1,hello there,second,x\n", "utf-8")
    summary = label_file(source, tmp_path / "out.csv", model=model)
    assert summary.header_changes == [("ID ", "ID"), ("text", "text_2"), ("", "column_4")]
    assert "'text' -> 'text_2'" in str(summary)
    assert read_rows(tmp_path / "out.csv")[0]["text_2"] == "second"


@pytest.mark.parametrize("output", [None, "x.csv"])
def test_batch_a_folder_given_as_the_input_is_named_as_one(tmp_path, model, output):
    (tmp_path / "in").mkdir()
    with pytest.raises(DataError, match="in: expected a file to label, found a folder"):
        label_file(tmp_path / "in", None if output is None else tmp_path / output, model=model)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in"]


def test_batch_refuses_an_existing_output_without_force(tmp_path, model):
    source = write_csv(tmp_path / "in.csv", [{"text": TEXTS[0]}])
    output = tmp_path / "out.csv"
    output.write_text("keep me", "utf-8")

    with pytest.raises(DataError, match="already exists.*--force"):
        label_file(source, output, model=model)
    assert output.read_text("utf-8") == "keep me"

    label_file(source, output, model=model, force=True)
    assert read_rows(output)[0]["status"] == "ok"


def test_batch_control_characters_an_xlsx_cannot_hold_are_counted_in_the_summary(tmp_path, model):
    """Reproduction: a vertical tab or \\x01 in a report became U+FFFD in the .xlsx output without a word."""
    source = tmp_path / "in.csv"
    source.write_bytes(b'id,text\n1,"mosque\x0bwindows smashed"\n2,"a \x01 b"\n3,plain report\n')
    summary = label_file(source, tmp_path / "out.xlsx", model=model)
    assert summary.control_character_cells == 2
    assert ("cells with control characters, which an .xlsx file cannot hold, written with \ufffd in their place: 2"
            in str(summary))
    assert [row["text"] for row in read_rows(tmp_path / "out.xlsx")][:2] == ["mosque\ufffdwindows smashed",
                                                                           "a \ufffd b"]
    assert label_file(source, tmp_path / "out.csv", model=model).control_character_cells == 0


def test_batch_a_json_text_that_is_not_a_string_is_not_text(tmp_path, model):
    """Reproduction: {"text": true}, {"text": ["a", "b"]} and {"text": {"a": "mosque"}} were scored as the texts
    "True", "a;b" and '{"a": "mosque"}' (status ok); the Python API refuses them as not text."""
    import json

    source = tmp_path / "in.jsonl"
    values = [True, ["a", "mosque"], {"a": "mosque"}, "mosque windows smashed", 12, False]
    source.write_text("".join(json.dumps({"id": i, "text": v}) + "\n" for i, v in enumerate(values)), "utf-8")
    output = tmp_path / "out.jsonl"
    label_file(source, output, model=model, jobs=2)  # the marker crosses to the worker processes
    rows = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
    assert [row["text"] for row in rows] == values  # written back as read
    assert [row["status"] for row in rows] == ["not text", "not text", "not text", "ok", "ok", "not text"]
    assert all(row["labels"] == "" and row["needs_review"] for row in rows if row["status"] == "not text")
    assert all(row["score_immigration"] is None for row in rows if row["status"] == "not text")


@pytest.mark.parametrize("appears", ["output", "review"])
def test_batch_an_output_that_appears_during_the_run_is_not_replaced_without_force(tmp_path, model, appears):
    """Reproduction: `tension label big.csv -o out.csv` checked the name at the start only; a file saved there
    during the run (or a second run writing the same output) was replaced, and both runs said they wrote it."""
    source = write_csv(tmp_path / "in.csv", [{"text": text} for text in _corpus_texts(30)])
    output, review = tmp_path / "out.csv", tmp_path / "review.csv"
    appearing = output if appears == "output" else review

    def someone_saves_a_file(done, expected):
        if not appearing.exists():
            appearing.write_text("saved meanwhile", "utf-8")

    with pytest.raises(DataError, match=f"{appearing.name} appeared while this run was writing it .*; it was "
                                        "left as it was. Pass --force to replace it"):
        label_file(source, output, model=model, review_out=review, chunk_size=10, progress=someone_saves_a_file)
    assert appearing.read_text("utf-8") == "saved meanwhile"
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(["in.csv", appearing.name])  # nothing else

    appearing.unlink()
    label_file(source, output, model=model, review_out=review, chunk_size=10, progress=someone_saves_a_file,
               force=True)
    assert len(read_rows(output)) == 30 and appearing.read_text("utf-8") != "saved meanwhile"


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_batch_interrupted_run_leaves_no_output(tmp_path, model, monkeypatch, error):
    source = write_csv(tmp_path / "in.csv", [{"text": text} for text in _corpus_texts(30)])
    existing = tmp_path / "existing.csv"
    existing.write_text("previous output", "utf-8")
    calls = []
    real_predict = TensionModel.predict

    def predict_then_fail(self, texts, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise error
        return real_predict(self, texts, **kwargs)

    monkeypatch.setattr(TensionModel, "predict", predict_then_fail)
    for output in (tmp_path / "new.csv", existing):
        calls.clear()
        with pytest.raises(type(error)):
            label_file(source, output, model=model, chunk_size=10, force=True, review_out=tmp_path / "review.csv")
        assert len(calls) == 2
    assert not (tmp_path / "new.csv").exists()
    assert not (tmp_path / "review.csv").exists()
    assert existing.read_text("utf-8") == "previous output"
    assert _no_leftovers(tmp_path) == []


@pytest.fixture
def ctrl_c_as_in_a_terminal():
    """Python's own Ctrl-C handler for the test's length: a process started in the background by a shell
    without job control (``pytest ... &``) starts with SIGINT ignored."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_batch_only_the_first_ctrl_c_interrupts_a_run_and_one_during_a_worker_start_waits_for_it(
        ctrl_c_as_in_a_terminal):
    import os
    import signal

    from classifier.io.signals import cleanup_on_termination, interrupts_held

    cleaned = []
    with pytest.raises(KeyboardInterrupt), cleanup_on_termination():
        try:
            with interrupts_held():
                os.kill(os.getpid(), signal.SIGINT)  # held: the block still runs to its end
                cleaned.append("held")
        finally:
            os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C during the clean-up: ignored
            cleaned.append("clean-up done")
    assert cleaned == ["held", "clean-up done"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):  # outside a run, Ctrl-C works as usual
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)


def test_batch_failure_in_a_worker_leaves_no_output(tmp_path, model):
    source = write_csv(tmp_path / "in.csv", [{"text": text} for text in _corpus_texts(30)])
    with pytest.raises(DataError, match="could not label this chunk. Nothing was written to .*out.csv"):
        label_file(source, tmp_path / "out.csv", model=model_failing_in_workers(model), jobs=2, chunk_size=10)
    assert not (tmp_path / "out.csv").exists()
    assert _no_leftovers(tmp_path) == []


def test_batch_a_model_that_cannot_reach_the_workers_says_how_to_fix_it(tmp_path, model, monkeypatch):
    import copy
    import sys
    import types

    from classifier.errors import ModelError

    source = write_csv(tmp_path / "in.csv", [{"text": text} for text in _corpus_texts(30)])

    class Local(TensionModel):  # a class pickle cannot name
        pass

    local = copy.copy(model)
    local.__class__ = Local
    with pytest.raises(ModelError, match="cannot be sent to the worker processes .*jobs=1.*Nothing was written"):
        label_file(source, tmp_path / "out.csv", model=local, jobs=2, chunk_size=10)

    only_here = types.ModuleType("tension_model_only_in_this_process")  # importable here, not in a worker
    only_here.Elsewhere = type("Elsewhere", (TensionModel,), {"__module__": only_here.__name__})
    monkeypatch.setitem(sys.modules, only_here.__name__, only_here)
    elsewhere = copy.copy(model)
    elsewhere.__class__ = only_here.Elsewhere
    with pytest.raises(ModelError, match="cannot be sent to the worker processes .*ModuleNotFoundError"):
        label_file(source, tmp_path / "out.csv", model=elsewhere, jobs=2, chunk_size=10)
    assert not (tmp_path / "out.csv").exists() and _no_leftovers(tmp_path) == []


def test_batch_bad_parameters_fail_clearly(tmp_path, model):
    source = write_csv(tmp_path / "in.csv", [{"text": TEXTS[0]}])
    with pytest.raises(ValueError, match="'jobs' parameter.*Got 0"):
        label_file(source, tmp_path / "out.csv", model=model, jobs=0)
    for band in (1.0, -0.1, "0.2", True):
        with pytest.raises(ValueError, match=f"review band must be a number from 0 up to .*Got {band!r}"):
            label_file(source, tmp_path / "out.csv", model=model, review_band=band)
    with pytest.raises(DataError, match="expected a file ending in"):
        label_file(source, tmp_path / "out.txt", model=model)
    with pytest.raises(DataError, match="nothing there"):
        label_file(tmp_path / "missing.csv", tmp_path / "out.csv", model=model)


def test_batch_progress_reports_rows_done_and_an_estimate_of_the_total(tmp_path, model):
    source = write_csv(tmp_path / "in.csv", [{"text": f"Report number {i:04d} about bins."} for i in range(250)])
    seen = []

    label_file(source, tmp_path / "out.csv", model=model, chunk_size=100, progress=lambda *args: seen.append(args))

    assert [done for done, _ in seen] == [100, 200, 250]
    # Rows of equal length: the estimate from the share of bytes read is close before the end, exact at it.
    assert all(200 <= expected <= 300 for _, expected in seen) and seen[-1][1] == 250


def test_batch_progress_reads_the_input_once(tmp_path, model, monkeypatch):
    from classifier.io.tables import TableReader

    source = write_csv(tmp_path / "in.csv", [{"text": text} for text in _corpus_texts(25)])
    opened = []
    original = TableReader.__init__
    monkeypatch.setattr(TableReader, "__init__",
                        lambda self, path, **options: opened.append(path) or original(self, path, **options))

    label_file(source, tmp_path / "out.csv", model=model, chunk_size=10, progress=lambda *args: None)

    assert opened == [source]


def test_batch_summary_never_contains_report_text(tmp_path, model):
    source = BACKLOG
    summary = label_file(source, tmp_path / "out.csv", model=model)
    report = str(summary)
    texts = [row["text"] for row in read_rows(source) if len(row["text"]) > 12]
    assert not any(text in report for text in texts)
    assert f"rows in: {summary.rows_in}, rows out: {summary.rows_out}" in report


_MEMORY_SCRIPT = textwrap.dedent(
    """
    import resource, sys
    from classifier.labelling.batch import label_file
    from classifier.model.predictor import Prediction, TensionModel

    class ConstantModel(TensionModel):  # the streaming is under test, not the model
        def __init__(self):
            pass

        @property
        def labels(self):
            return ["a", "b"]

        @property
        def thresholds(self):
            return {"a": 0.5, "b": 0.5}

        def predict(self, texts, **kwargs):
            return [Prediction(("a",), {"a": 0.9, "b": 0.1}, False, {"a": ["word"]}) for _ in texts]

    n_rows = int(sys.argv[2])
    path = sys.argv[1]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("id,text\\n")
        for i in range(n_rows):
            handle.write(f"{i},short report number {i} about the bins\\n")
    label_file(path, path + ".out.csv", model=ConstantModel(), chunk_size=2000, jobs=1)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """
)


@pytest.mark.slow
def test_batch_large_file_runs_in_bounded_memory(tmp_path):
    def peak_kib(n_rows: int) -> int:
        script = tmp_path / "memory.py"
        script.write_text(_MEMORY_SCRIPT, "utf-8")
        done = subprocess.run([sys.executable, str(script), str(tmp_path / f"in_{n_rows}.csv"), str(n_rows)],
                              capture_output=True, text=True, check=True, timeout=300)
        return int(done.stdout.strip().splitlines()[-1])

    small, large = peak_kib(10_000), peak_kib(200_000)

    with open(tmp_path / "in_200000.csv.out.csv", encoding="utf-8-sig") as out:
        assert sum(1 for _ in out) == 200_001
    # Holding 200k rows in memory would cost well over 100 MB; streaming keeps the peak where it was.
    assert large - small < 30 * 1024, f"peak RSS grew by {(large - small) / 1024:.0f} MB"



def _backlog_workbook(path: Path) -> Path:
    """A backlog as offices keep them: sheet 'Backlog' with a date, a case number, an amount and a flag, and a
    second sheet 'Notes'."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Backlog"
    sheet.append(["case", "received", "amount", "text", "urgent", "comment"])
    sheet.append([12345, dt.datetime(2024, 3, 10, 10, 0), 12.5, TEXTS[2], True, None])
    sheet.append([12346, dt.datetime(2024, 3, 11), 3, TEXTS[1], False, "=1+1 typed as text"])
    sheet["F3"].data_type = "s"
    sheet.append([12347, None, None, "", None, None])
    notes = workbook.create_sheet("Notes")
    notes.append(["Exported by", "triage", dt.date(2024, 4, 1)])
    notes["B3"] = 42
    workbook.save(path)
    return path


def test_batch_xlsx_keeps_types_sheet_names_and_other_sheets(tmp_path, model):
    source = _backlog_workbook(tmp_path / "backlog.xlsx")

    summary = label_file(source, tmp_path / "out.xlsx", model=model, review_out=tmp_path / "review.xlsx")

    assert summary.sheet == "Backlog" and summary.copied_sheets == ["Notes"] and not summary.sheets_not_copied
    assert "'Notes'" in str(summary)
    for written in (tmp_path / "out.xlsx", tmp_path / "review.xlsx"):
        workbook = load_workbook(written)
        assert workbook.sheetnames == ["Backlog", "Notes"] and workbook.active.title == "Backlog"
        assert [[cell.value for cell in row] for row in workbook["Notes"].iter_rows()] == [
            ["Exported by", "triage", dt.datetime(2024, 4, 1)], [None, None, None], [None, 42, None]]
    sheet = load_workbook(tmp_path / "out.xlsx")["Backlog"]
    header = [cell.value for cell in sheet[1]]
    first, second, empty = (dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2))
    assert first["case"].value == 12345 and first["amount"].value == 12.5
    assert first["received"].value == dt.datetime(2024, 3, 10, 10, 0) and first["received"].is_date
    assert second["received"].number_format == "yyyy-mm-dd"
    assert first["urgent"].value is True and second["urgent"].value is False
    assert first["comment"].value is None
    assert second["comment"].value == "=1+1 typed as text" and second["comment"].data_type == "s"
    # Our columns: scores are numbers shown to two decimals, needs_review a boolean, the rest text.
    scores = [column for column in header if column.startswith("score_")]
    assert all(isinstance(first[column].value, float) and first[column].number_format == "0.00" for column in scores)
    assert all(row["needs_review"].data_type == "b" for row in (first, second, empty))
    assert empty["status"].value == "empty text" and all(empty[column].value is None for column in scores)
    assert isinstance(first["reasons"].value, str) and first["text"].alignment.wrap_text  # a long text wraps
    # Laid out for reading.
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:{get_column_letter(len(header))}4"
    assert all(cell.font.b for cell in sheet[1])


def test_batch_needs_review_is_boolean_in_jsonl_and_text_in_csv(tmp_path, model):
    source = _write(tmp_path / "in.csv", _rows(3))

    label_file(source, tmp_path / "out.jsonl", model=model)
    label_file(source, tmp_path / "out.csv", model=model)

    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    assert all(isinstance(record["needs_review"], bool) for record in records)
    assert all(row["needs_review"] in {"true", "false"} for row in read_rows(tmp_path / "out.csv"))


def test_batch_sheets_left_out_of_a_one_sheet_output_are_named(tmp_path, model):
    source = _backlog_workbook(tmp_path / "backlog.xlsx")

    summary = label_file(source, tmp_path / "out.csv", model=model)

    assert summary.copied_sheets == [] and list(summary.sheets_not_copied) == ["Notes"]
    assert "sheet 'Notes' is not in" in str(summary) and "holds one sheet" in str(summary)


def test_batch_a_worker_that_will_not_stop_is_killed_after_a_bounded_wait(tmp_path, model, monkeypatch):
    import time

    import classifier.labelling.batch as batch

    texts = _corpus_texts(10) + [f"hang {text}" for text in _corpus_texts(20)]  # chunk 1 fails, 2 and 3 hang
    source = write_csv(tmp_path / "in.csv", [{"text": text} for text in texts])
    monkeypatch.setattr(batch, "_STOP_SECONDS", 0.5)
    started = time.monotonic()
    with pytest.raises(DataError, match="Nothing was written to .*out.csv"):
        label_file(source, tmp_path / "out.csv", model=model_failing_in_workers(model, hang_on="hang "), jobs=2,
                   chunk_size=10)
    assert time.monotonic() - started < 60  # a worker sleeping for 10 minutes was killed
    assert not (tmp_path / "out.csv").exists() and _no_leftovers(tmp_path) == []


def test_batch_a_worker_killed_midway_gives_a_clear_error_and_no_output(tmp_path, model):
    source = write_csv(tmp_path / "in.csv", [{"text": text} for text in _corpus_texts(30)])
    killer = model_failing_in_workers(model, die=True)
    with pytest.raises(DataError, match="worker process ended abruptly.*--jobs 1.*Nothing was written"):
        label_file(source, tmp_path / "out.csv", model=killer, jobs=2, chunk_size=10)
    assert not (tmp_path / "out.csv").exists() and _no_leftovers(tmp_path) == []


def test_batch_rows_with_fewer_cells_than_the_header_are_named_in_the_summary(tmp_path, model):
    source = tmp_path / "split.csv"
    # A bare line break (here a CR) inside an unquoted cell splits one report into two rows.
    source.write_bytes(b"reference,received,channel,text\r\n"
                       b"CT-1,09/01/2024,Online form,they shouted at us\rand spat at my son\r\n"
                       b"CT-2,10/01/2024,Online form,street light out\r\n\r\n")
    summary = label_file(source, tmp_path / "out.csv", model=model)
    assert summary.rows_in == summary.rows_out
    assert summary.short_row_count == 1 and summary.short_rows == [3]  # the blank line at the end is not one
    assert "warning: 1 row(s) have fewer cells than the header" in str(summary) and "row(s) 3." in str(summary)


def test_batch_hidden_sheets_stay_hidden_and_the_first_visible_sheet_is_labelled(tmp_path, model):
    from openpyxl import Workbook, load_workbook

    book = Workbook()
    officers = book.active
    officers.title, officers.sheet_state = "Officers", "hidden"
    officers.append(["name", "phone"])
    reports = book.create_sheet("Reports")
    reports.append(["text"])
    reports.append(["Graffiti on the mosque wall telling Muslims to go home."])
    secret = book.create_sheet("Notes")
    secret.sheet_state = "veryHidden"
    secret.append(["x"])
    book.save(tmp_path / "in.xlsx")
    summary = label_file(tmp_path / "in.xlsx", tmp_path / "out.xlsx", model=model)
    assert summary.sheet == "Reports" and "sheet labelled: 'Reports'" in str(summary)
    states = {sheet.title: sheet.sheet_state for sheet in load_workbook(tmp_path / "out.xlsx").worksheets}
    assert states == {"Officers": "hidden", "Reports": "visible", "Notes": "veryHidden"}


def test_batch_hidden_columns_stay_hidden_in_xlsx_outputs_and_are_named_for_others(tmp_path, model):
    """Reproduction: a hidden column of a caller's phone numbers was visible in the labelled and review files."""
    book = Workbook()
    book.active.append(["id", "text", "caller_phone"])
    book.active.append([1, "", "07700 900123"])  # empty text: a review row
    book.active.column_dimensions["C"].hidden = True
    book.save(tmp_path / "in.xlsx")
    summary = label_file(tmp_path / "in.xlsx", tmp_path / "out.xlsx", model=model, jobs=1,
                         review_out=tmp_path / "review.xlsx")
    for name, letter in (("out.xlsx", "C"), ("review.xlsx", "D")):  # the review file starts with input_row
        sheet = load_workbook(tmp_path / name).active
        assert [key for key, dimension in sheet.column_dimensions.items() if dimension.hidden] == [letter]
    assert "hidden in Excel" not in str(summary)
    as_csv = label_file(tmp_path / "in.xlsx", tmp_path / "out.csv", model=model, jobs=1)
    assert "input columns hidden in Excel are shown in" in str(as_csv) and "'caller_phone'" in str(as_csv)


def test_batch_a_column_of_titles_found_by_name_gives_way_to_the_column_of_the_reports(tmp_path, model):
    """Reproduction: a backlog with 'description' (a short title) and 'details' (the report) was labelled from
    'description', found first by name: no label and no review flag on any row, and nothing said so."""
    rows = [{"id": str(i), "description": title, "details": TEXTS[i % len(TEXTS)] + " " + TEXTS[(i + 1) % len(TEXTS)]}
            for i, title in enumerate(["Hate incident", "ASB", "Leaflets", "ASB", "Hate incident", "ASB"])]
    source = write_csv(tmp_path / "split.csv", rows)
    with pytest.warns(TextColumnWarning, match="not from column 'description', found by its name") as warned:
        summary = label_file(source, tmp_path / "out.csv", model=model, jobs=1)
    assert summary.text_column == "details" and summary.passed_over == "description"
    assert read_rows(tmp_path / "out.csv")[0]["labels"] == ";".join(model.predict([rows[0]["details"]])[0].labels)
    assert str(warned[0].message).endswith("to label that one, label again with --text-column description")
    assert f"warning: {warned[0].message}" in str(summary)
    given = label_file(source, tmp_path / "given.csv", model=model, jobs=1, text_column="description")
    assert given.text_column == "description" and given.column_words == {} and "warning" not in str(given)
    plain = label_file(write_csv(tmp_path / "plain.csv", [{"text": t, "note": "ok"} for t in TEXTS]),
                       tmp_path / "plain_out.csv", model=model, jobs=1)
    assert plain.longer_text_column is None and "warning" not in str(plain)


def test_batch_a_column_of_short_reports_found_by_name_is_kept_beside_longer_notes(tmp_path, model):
    """Short reports that differ row by row ('report': a photo's caption, 4 words) are the reports, not titles: a
    column of officers' notes beside them, 22 words a row, was labelled instead, with only a warning."""
    captions = ["P*kis out on wall", "Swastika on the synagogue", "Asylum hotel leaflets again", "Bins not emptied",
                "Gaza flag torn down", "Fly-tipping on Elm Road", "Muslims out sprayed", "Broken streetlight"]
    notes = "Attended the address, spoke with the resident and neighbours, photos taken, referred on to housing"
    rows = [{"id": str(i), "report": caption, "officer_notes": notes} for i, caption in enumerate(captions)]
    with pytest.warns(TextColumnWarning, match="if the reports are there, label again with --text-column"):
        summary = label_file(write_csv(tmp_path / "captions.csv", rows), tmp_path / "out.csv", model=model, jobs=1)
    assert summary.text_column == "report" and summary.passed_over is None
    assert summary.longer_text_column == "officer_notes"


def test_batch_a_column_of_reports_found_by_name_is_kept_and_a_longer_one_named_before_labelling(tmp_path, model):
    """Reports found by name ('text', 8 words a row) stay the text column beside a column of longer text ('notes');
    the warning naming it came only after the whole file was labelled, below the summary."""
    rows = [{"text": text, "notes": " ".join([TEXTS[(i + 1) % len(TEXTS)]] * 3), "Reporter address": text * 9}
            for i, text in enumerate(TEXTS[:2] * 3)]
    source = write_csv(tmp_path / "notes.csv", rows)
    events = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = label_file(source, tmp_path / "out.csv", model=model, jobs=1, chunk_size=2,
                             progress=lambda done, expected: events.append(len(caught)))
    assert summary.text_column == "text" and summary.passed_over is None and summary.longer_text_column == "notes"
    assert events[0] == 1 and caught[0].category is TextColumnWarning  # before the first rows were labelled
    assert str(caught[0].message).startswith("the reports are read from column 'text' (")
    assert str(caught[0].message).endswith("if the reports are there, label again with --text-column notes")


def test_batch_a_longer_text_column_whose_name_is_not_shown_is_named_by_its_number(tmp_path, model):
    """Reproduction: a Forms export ('Ref', 'Summary', 'What happened? Please give as much detail as you can', 'Your
    email') was labelled from 'Summary' (4 words a row), every row unlabelled, exit 0, and the one warning came
    last, after the summary."""
    question = "What happened? Please give as much detail as you can"
    rows = [{"Ref": f"HF-{i}", "Summary": "Online form report", question: text, "Your email": "jo@example.org"}
            for i, text in enumerate(TEXTS)]
    with pytest.warns(TextColumnWarning) as warned:
        summary = label_file(write_csv(tmp_path / "forms.csv", rows), tmp_path / "out.csv", model=model, jobs=1)
    assert summary.text_column == question and summary.passed_over == "Summary"
    message = str(warned[0].message)
    assert message.startswith("the reports are read from column 3 (a name of 52 characters, not shown), of ")
    assert message.endswith("label again with --text-column Summary") and question not in str(summary)
    assert "(text column 3 (a name of 52 characters, not shown))" in str(summary)
    again = label_file(tmp_path / "forms.csv", tmp_path / "again.csv", model=model, jobs=1, text_column="2")
    assert again.text_column == "Summary"


def test_batch_the_summary_does_not_print_a_first_report_taken_for_the_text_columns_name(tmp_path, model):
    """Reproduction: a CSV without a header labelled with --text-column 2 began its summary "Labelled 1 rows of
    ... (text column 'Man at the bus stop called my daughter a dirty name and spat at her')"."""
    source = tmp_path / "no_header.csv"
    source.write_text(f"HF-1,{TEXTS[2]}\nHF-2,{TEXTS[1]}\n", encoding="utf-8")
    summary = label_file(source, tmp_path / "out.csv", model=model, jobs=1, text_column="2")
    assert summary.text_column == TEXTS[2] and TEXTS[2] not in str(summary) and "mosque" not in str(summary)
    assert f"(text column 2 (a name of {len(TEXTS[2])} characters, not shown))" in str(summary)


def test_batch_a_text_too_long_says_what_can_be_done(tmp_path, model):
    """Reproduction: an e-mail chain over the length limit got 'Not classified: text too long.' and no next step."""
    source = write_csv(tmp_path / "long.csv", [{"text": TEXTS[0] * 20}, {"text": TEXTS[1]}])
    label_file(source, tmp_path / "out.csv", model=model, jobs=1, max_chars=200)
    rows = read_rows(tmp_path / "out.csv")
    assert rows[0]["status"] == "text too long" and "label the file again with a larger --max-chars" in \
        rows[0]["review_reason"]
    assert rows[1]["status"] == "ok"
