import pytest

from classifier.errors import DataError
from classifier.io.records import combine, parse_labels, read_labelled
from tests.helpers import write_csv


def test_records_reads_labels_ids_and_splits(tmp_path):
    path = write_csv(tmp_path / "d.csv", [
        {"id": "A1", "text": "hotel protest", "labels": "immigration; misinformation", "split": "train"},
        {"id": "A2", "text": "bins", "labels": "", "split": "TEST"},
    ])
    data = read_labelled(path)
    assert data.ids == ["A1", "A2"]
    assert data.labels == [("immigration", "misinformation"), ()]
    assert data.splits == ["train", "test"]
    assert data.sources == ["d.csv row 2", "d.csv row 3"]


def test_records_empty_text_names_row_and_column(tmp_path):
    path = write_csv(tmp_path / "d.csv", [{"text": "ok", "labels": ""}, {"text": "  ", "labels": "race_hate"}])
    with pytest.raises(DataError, match=r"d.csv row 3: 'text' is empty"):
        read_labelled(path)


def test_records_missing_text_column_lists_columns(tmp_path):
    path = write_csv(tmp_path / "d.csv", [{"body_txt": "x", "labels": ""}])
    with pytest.raises(DataError, match="body_txt"):
        read_labelled(path)


def test_records_missing_labels_column(tmp_path):
    path = write_csv(tmp_path / "d.csv", [{"text": "x", "tags": ""}])
    with pytest.raises(DataError, match="tags"):
        read_labelled(path)


def test_records_bad_label_name_suggests_fix():
    with pytest.raises(DataError, match="Did you mean 'race_hate'"):
        parse_labels("Race Hate", "f.csv row 2")


def test_records_bad_split_value(tmp_path):
    path = write_csv(tmp_path / "d.csv", [{"text": "x", "labels": "", "split": "validation"}])
    with pytest.raises(DataError, match="expected one of"):
        read_labelled(path)


def test_records_an_empty_split_cell_is_a_row_without_a_split(tmp_path):
    path = write_csv(tmp_path / "d.csv", [{"text": "a", "labels": "", "split": "test"},
                                          {"text": "b", "labels": "", "split": "  "}])
    assert read_labelled(path).splits == ["test", None]


def test_records_every_bad_row_is_counted_and_the_first_named(tmp_path):
    rows = [{"text": "", "labels": "", "split": ""}, {"text": "ok", "labels": "Race Hate", "split": ""},
            {"text": "ok", "labels": "", "split": "dev"}]
    rows += [{"text": " ", "labels": "", "split": ""}] * 5 + [{"text": "ok", "labels": "", "split": ""}]
    with pytest.raises(DataError) as caught:
        read_labelled(write_csv(tmp_path / "d.csv", rows))
    message = str(caught.value)
    assert message.startswith("8 rows of d.csv cannot be used")
    assert "row 2: 'text' is empty" in message and "row 3" in message and "race_hate" in message
    assert "row 4: 'split' is 'dev'" in message and message.endswith("... and 3 more")


def test_records_non_utf8_file_is_read_with_warning(tmp_path):
    text = "caf\u00e9 \u2013 r\u00e9sum\u00e9"
    path = write_csv(tmp_path / "d.csv", [{"text": text, "labels": ""}], encoding="cp1252")
    with pytest.warns(UserWarning, match="cp1252"):
        data = read_labelled(path)
    assert data.texts == ["caf\u00e9 \u2013 r\u00e9sum\u00e9"]


def test_records_missing_file(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_labelled(tmp_path / "nope.csv")


def test_records_combine_conflicts_error_unless_prefer_later(tmp_path):
    a = read_labelled(write_csv(tmp_path / "a.csv", [{"text": "Same text", "labels": "race_hate"}]))
    b = read_labelled(write_csv(tmp_path / "b.csv", [{"text": "same  TEXT", "labels": ""}]))
    with pytest.raises(DataError, match="a.csv row 2.*b.csv row 2"):
        combine([a, b])
    with pytest.warns(UserWarning, match="conflicting"):
        merged = combine([a, b], prefer_later=True)
    assert merged.labels == [()]


def test_records_only_split_keeps_rows_or_says_none(tmp_path):
    data = read_labelled(write_csv(tmp_path / "d.csv", [
        {"text": "a", "labels": "", "split": "train"}, {"text": "b", "labels": "", "split": "test"},
    ]))
    assert data.only_split("test").texts == ["b"] and data.only_split(" Test ").texts == ["b"]
    with pytest.raises(DataError, match="split 'holdout'"):
        data.only_split("holdout")
    no_column = read_labelled(write_csv(tmp_path / "n.csv", [{"text": "a", "labels": ""}]))
    with pytest.raises(DataError, match="has no 'split' column, so --split test selects nothing"):
        no_column.only_split("test", "'n.csv'")


def test_records_label_strata_pools_rare_combinations():
    from classifier.io.records import label_strata

    rows = [("a",)] * 4 + [()] * 3 + [("a", "b")] * 2 + [("c",)]
    assert label_strata(rows, 3) == ["a"] * 4 + ["none"] * 3 + ["rare"] * 3
    # a "rare" stratum smaller than the minimum cannot be split: it joins the commonest combination
    assert label_strata(rows, 2)[-1] == "a" and label_strata(rows, 2)[-3:-1] == ["a;b", "a;b"]


def test_records_read_labelled_files_needs_a_path():
    from classifier.io.records import read_labelled_files

    with pytest.raises(DataError, match="No labelled data file"):
        read_labelled_files([])


def test_records_stray_quote_in_labelled_file_names_the_row_and_line(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text('text\tlabels\nfine\t\n"stray quote opens here\trace_hate\nmore\t\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"d.tsv row 3 \(line 3\).*stray quote"):
        read_labelled(path)


def test_records_combine_a_corrected_row_without_a_split_keeps_the_earlier_split(tmp_path):
    corpus = write_csv(tmp_path / "corpus.csv", [
        {"text": "Hotel protest tonight", "labels": "", "split": "test"},
        {"text": "bins", "labels": "", "split": "train"},
    ])
    corrections = write_csv(tmp_path / "new.csv", [{"text": "hotel  PROTEST tonight", "labels": "immigration"},
                                                   {"text": "a new report", "labels": ""}])
    with pytest.warns(UserWarning, match="merged"):
        merged = combine([read_labelled(corpus), read_labelled(corrections)], prefer_later=True)
    assert list(zip(merged.labels, merged.splits, merged.sources, strict=True)) == [
        ((), "train", "corpus.csv row 3"), (("immigration",), "test", "new.csv row 2"), ((), None, "new.csv row 3"),
    ]


def test_records_text_hash_ignores_case_and_spacing_only():
    from classifier.io.records import text_sha256

    assert text_sha256("Hotel  protest\ttonight ") == text_sha256("hotel protest tonight")
    assert text_sha256("hotel protest tonight") != text_sha256("hotel protest today")
    assert len(text_sha256("x")) == 64


def _conflicting_files(tmp_path, n: int):
    old = write_csv(tmp_path / "old.csv", [{"text": f"report number {i}", "labels": "race_hate"} for i in range(n)])
    new = write_csv(tmp_path / "new.csv", [{"text": f"Report  number {i}", "labels": ""} for i in range(n)])
    return old, new


def test_records_conflicts_are_listed_one_per_line_with_a_way_to_see_them_all(tmp_path):
    from classifier.io.records import LabelConflictError

    old, new = _conflicting_files(tmp_path, 15)
    with pytest.raises(LabelConflictError) as caught:
        combine([read_labelled(old), read_labelled(new)])
    lines = str(caught.value).splitlines()
    assert lines[0] == "15 report text(s) appear more than once with different labels:"
    assert lines[1] == "  old.csv row 2 ['race_hate'] vs new.csv row 2 no label"
    assert len([line for line in lines if " vs " in line]) == 10
    assert lines[11] == "  ... and 5 more; list them all with: tension validate old.csv new.csv --show-all"
    assert "--prefer-later" in lines[12] and "(and" not in str(caught.value)
    assert len(caught.value.conflicts) == 15 and "report number" not in str(caught.value)


def test_records_report_text_in_the_labels_column_is_not_quoted_back(tmp_path):
    path = tmp_path / "shifted.csv"
    path.write_text("id,text,labels\n1,Mr Zanderwick shouted at me, then he ran off down the road\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_labelled(path)
    message = str(caught.value)
    assert "shifted.csv row 2" in message and "not shown" in message and "ran off" not in message
    with pytest.raises(DataError, match="label 'Race Hate' is not a valid label name"):  # a short one is quoted
        parse_labels("Race Hate", "f.csv row 2")


def test_records_a_workbook_whose_labelled_sheet_is_not_the_first_says_which_sheet_was_read(tmp_path):
    """Reproduction: a workbook with a 'notes' sheet before its 'data' sheet gave 'found only columns ...; name the
    one to use with --text-column NAME', a fix that cannot work."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "notes"
    workbook.active.append(["about"])
    workbook.active.append(["read me"])
    data = workbook.create_sheet("data")
    data.append(["text", "labels"])
    data.append(["a report about the hotel", "immigration"])
    path = tmp_path / "labelled.xlsx"
    workbook.save(path)
    with pytest.raises(DataError, match=r"This is the workbook's first sheet, 'notes'; it has others: 'data'\. "
                                        r"Labelled files are read from their first sheet"):
        read_labelled(path)
    assert read_labelled(path, sheet="data").texts == ["a report about the hotel"]


@pytest.mark.parametrize("cell", ["said Mrs Zorbalinski", "reg AB12CDE", "jo.bloggs@example.com", "Zorbalinski",
                                  "07700 900123"])
def test_records_a_short_piece_of_report_text_in_the_labels_column_is_not_quoted_either(cell):
    """Reproduction: an unquoted comma pushed 'said Mrs Zorbalinski' (or a registration, an e-mail address, a
    phone number) into the labels column, and `tension validate` printed it: cells of up to 3 words were quoted."""
    with pytest.raises(DataError, match="not shown") as caught:
        parse_labels(cell, "f.csv row 2")
    assert cell not in str(caught.value) and cell.lower() not in str(caught.value)
    with pytest.raises(DataError, match="label 'Race-Hate' is not a valid label name.*'race_hate'"):
        parse_labels("Race-Hate", "f.csv row 2")


@pytest.mark.parametrize(("cell", "fix"), [("Disability Hate", "disability_hate"),
                                           ("Antisocial Behaviour", "antisocial_behaviour")])
def test_records_a_teams_own_label_written_as_words_gets_its_fix(cell, fix):
    """The codebook's own examples: 'Disability Hate' was reported as report text with no suggestion."""
    with pytest.raises(DataError, match=f"label '{cell}' is not a valid label name.*Did you mean '{fix}'"):
        parse_labels(cell, "f.csv row 2")


@pytest.mark.parametrize("cell", ["none", "None", "TRUE", "false", "yes", "No", "na", "N/A", "nil", "NULL", "-",
                                  "race_hate;none", "No."])
def test_records_a_value_that_means_no_label_is_refused_as_a_label_name(cell):
    """Reproduction: 'none' was trained as a label (the model then gave it), an Excel TRUE became the label 'true',
    and 'None' was refused with "Did you mean 'none'?"."""
    with pytest.raises(DataError, match="is a 'no label' or yes/no value, not a label name.*leave it empty for a "
                                        "report with no label") as caught:
        parse_labels(cell, "f.csv row 2")
    assert "Did you mean" not in str(caught.value)


def test_records_a_value_that_means_no_label_is_never_suggested_as_a_fix():
    with pytest.raises(DataError, match="Did you mean 'race_hate'[?]$"):
        parse_labels("race_hate, none", "f.csv row 2")
    assert parse_labels("nonesuch;notable", "f.csv row 2") == ("nonesuch", "notable")


@pytest.mark.parametrize(("cell", "fix"), [("anti_social_behaviour\nrace_hate", "anti_social_behaviour;race_hate"),
                                           ("noise\r\nfly_tipping", "noise;fly_tipping"),
                                           ("Race Hate\nimmigration", "race_hate;immigration")])
def test_records_labels_on_separate_lines_of_a_cell_get_the_semicolon_fix(cell, fix):
    """Reproduction: an Excel cell 'anti_social_behaviour⏎race_hate' (Alt+Enter) got "Did you mean
    'anti_social_behaviour_race_hate'?", one bogus merged label."""
    expected = f"on separate lines .*Alt\\+Enter in Excel.*Did you mean '{fix}'[?]$"
    with pytest.raises(DataError, match=expected) as caught:
        parse_labels(cell, "f.csv row 2")
    assert "\n" not in str(caught.value) and "\r" not in str(caught.value)


@pytest.mark.parametrize(("cell", "fix"), [("désordre_public", "Did you mean 'desordre_public'?"),
                                           ("2024_asb", "Did you mean 'asb_2024'?"),
                                           ("2024_ASB", "Did you mean 'asb_2024'?"),
                                           ("антисемитизм", "Rename it in ASCII letters")])
def test_records_a_label_name_outside_ascii_or_starting_with_a_number_is_told_the_rule(cell, fix):
    """Reproduction: 'désordre_public' and '2024_asb' were called report text pushed by a stray comma, hidden, with
    no fix."""
    with pytest.raises(DataError, match=f"label '{cell}' is not a valid label name: label names are lowercase ASCII "
                                        "letters, digits and underscores, starting with a letter") as caught:
        parse_labels(cell, "f.csv row 2")
    assert fix in str(caught.value) and "report text" not in str(caught.value)
