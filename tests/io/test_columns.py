"""Tests for classifier.io.columns: one row number per row whatever the command, and the added column names."""

from __future__ import annotations

import pytest

from classifier.errors import DataError
from classifier.io.columns import (
    ADDED_PREFIXES,
    added_column_names,
    labeller_prefix,
    model_column,
    row_number,
    score_column,
)
from classifier.io.records import read_labelled
from classifier.io.tables import AtomicTableWriter, read_rows
from classifier.reports.summarise import UndatedRowsWarning, summarise


def test_columns_first_report_is_row_2_as_a_spreadsheet_shows_it():
    assert [row_number(index) for index in range(3)] == [2, 3, 4]


def test_columns_one_row_gets_one_number_from_every_reader(tmp_path):
    # The third report's text is empty and its date unreadable: each command names the row it is in.
    path = tmp_path / "r.csv"
    path.write_text("received,text,labels\n2024-05-01,a,\n2024-05-02,b,\nsoon,,\n", encoding="utf-8")

    with pytest.raises(DataError, match=r"r\.csv row 4: 'text' is empty"):
        read_labelled(path)
    with pytest.warns(UndatedRowsWarning, match=r"\(row 4\)"):
        summarise(path)


def test_columns_tables_messages_number_rows_the_same_way(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,text\n1,a\n2,b\n3,c,extra\n", encoding="utf-8")

    with pytest.raises(DataError, match=r"row 4 \(line 4\)"):
        read_rows(path)
    with pytest.raises(DataError, match=r"row 2: expected only the columns"), \
            AtomicTableWriter(tmp_path / "out.csv", ["text"]) as writer:
        writer.write_rows([{"text": "a", "other": "b"}])


def test_columns_score_and_model_columns():
    assert score_column("race_hate") == "score_race_hate"
    assert score_column("race_hate", "tension_") == "tension_score_race_hate"
    assert model_column(score_column("race_hate")) == "model_score_race_hate"


def test_columns_added_names_avoid_every_input_column():
    assert added_column_names(["text"], ["a"]) == {
        "labels": "labels", "score_a": "score_a", "needs_review": "needs_review", "review_reason": "review_reason",
        "reasons": "reasons", "status": "status",
    }
    assert set(added_column_names(["text", "status"], ["a"]).values()) == {
        "tension_labels", "tension_score_a", "tension_needs_review", "tension_review_reason", "tension_reasons",
        "tension_status",
    }
    assert set(added_column_names(["text", "review_reason"], ["a"]).values()) >= {"tension_review_reason"}


@pytest.mark.parametrize("theirs", ["Status", "Labels", "Needs Review", "needs-review", "REVIEW REASON",
                                    "Score_A", "score a", "NeedsReview", " reasons "])
def test_columns_an_input_column_named_like_ours_but_for_case_spaces_or_underscores_clashes(theirs):
    """Reproduction: a case-management export's 'Status', 'Labels' and 'Needs Review' columns were not taken for
    clashes, so the output held both 'Status' and 'status', 'Labels' and 'labels', with no prefix and no note."""
    assert set(added_column_names(["Case ID", "Report", theirs], ["a"]).values()) == {
        "tension_labels", "tension_score_a", "tension_needs_review", "tension_review_reason", "tension_reasons",
        "tension_status",
    }
    assert added_column_names(["Report", theirs, "Tension Labels"], ["a"])["labels"] == "tension2_labels"
    assert added_column_names(["Report", "Label", "Statuses", "review"], ["a"])["labels"] == "labels"


def test_columns_no_prefix_left_is_a_data_error():
    taken = [f"{prefix}labels" for prefix in ADDED_PREFIXES]

    with pytest.raises(DataError, match="'tension_' to 'tension99_'"):
        added_column_names(taken, ["a"])


@pytest.mark.parametrize(
    ("columns", "prefix"),
    [
        (["text", "labels", "status"], ""),
        (["labels", "status", "tension_labels", "tension_status"], "tension_"),
        (["labels", "tension_labels", "tension_status", "tension2_labels", "tension2_status"], "tension2_"),
        (["text", "labels"], ""),
    ],
)
def test_columns_labeller_prefix_finds_the_labellers_columns_again(columns, prefix):
    assert labeller_prefix(columns) == prefix


def test_columns_a_header_that_reads_like_a_report_is_not_quoted_in_errors():
    from classifier.io.tables import find_column

    columns = ["Mr Quixtravenko was shouted at near the mosque on Friday night", "column_2"]
    with pytest.raises(DataError) as caught:
        find_column(columns, ("text",))
    message = str(caught.value)
    assert "Quixtravenko" not in message and "column 1 (a name of 62 characters, not shown)" in message
    assert "'column_2'" in message and "The first row reads like a report rather than a header (column 1)" in message


def test_columns_an_error_says_how_many_columns_it_found_before_naming_them():
    """Reproduction: a workbook with a title above its header said "found only columns column 1 (a name of 59
    characters, not shown)"."""
    from classifier.io.tables import find_column

    for columns, found in ((["Community tension log for the Greyfriars ward in April 2024"],
                            "found only one column, column 1 (a name of 59 characters, not shown);"),
                           (["Mr Quixtravenko was shouted at near the mosque", "ID"],
                            "found only 2 columns: column 1 (a name of 46 characters, not shown), 'ID';"),
                           ([], "found no columns;")):
        with pytest.raises(DataError) as caught:
            find_column(columns, ("text",))
        assert found in str(caught.value) and "columns column" not in str(caught.value)


def test_columns_a_header_cell_with_an_email_or_phone_number_is_not_quoted():
    from classifier.io.tables import describe_columns

    described = describe_columns(["1042", "Jo Bloggs", "07700 900123", "jo@example.com", "text"])
    assert "07700" not in described and "jo@example.com" not in described and "'text'" in described
    assert "column 3 (a name of 12 characters, not shown)" in described


def test_columns_a_first_row_that_is_a_short_report_is_not_quoted_but_headers_of_usual_words_are():
    """Reproduction: a CSV without a header whose first report was short ('John Smith shouted') had it quoted in
    full in the "expected a text column" error (names of up to five words were quoted)."""
    from classifier.io.tables import describe_columns, first_row_hint

    row = ["CT-1", "John Smith shouted", "racist graffiti on mosque wall", "street light"]
    described = describe_columns(row)
    for text in ("John", "graffiti", "street"):
        assert text not in described and text not in first_row_hint(row)
    assert "'CT-1'" in described and "column 2 (a name of 18 characters, not shown)" in described
    assert "reads like a report rather than a header (columns 2, 3 and 4)" in first_row_hint(row)
    headers = ["Date received", "Description of incident", "Ref No.", "What happened?", "Report_Text", "Ward"]
    assert describe_columns(headers) == ", ".join(map(repr, headers))


@pytest.mark.parametrize("headers", [
    ["Ref", "Date received", "Channel", "Reporter name", "Reporter email", "Reporter phone", "Description"],
    ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time"],
    ["Case ID", "Date opened", "Date closed", "Due date", "Crime reference", "Offence type", "Victim ethnicity"],
    ["Caller name", "Mobile number", "Telephone number", "Your email", "Street name", "Post code", "Date of birth"],
])
def test_columns_usual_header_names_of_exports_and_forms_are_shown(headers):
    """Reproduction: a backlog's 'Reporter name', 'Reporter email' and 'Reporter phone', and Microsoft Forms'
    'Start time' and 'Completion time', were hidden as "column 4 (a name of 13 characters, not shown)", as if they
    might be report text: 'reporter', 'start' and 'completion' were not among the words of column names."""
    from classifier.io.tables import describe_columns

    assert describe_columns(headers) == ", ".join(map(repr, headers))


def test_columns_a_column_shown_by_its_number_can_be_given_by_that_number():
    """Reproduction: a Google Forms export's "no text column" error showed 'Please describe what happened' as
    "column 4 (a name of 29 characters, not shown)", and --text-column 4 failed: "expected a text column named
    '4'"."""
    from classifier.io.tables import find_column

    columns = ["Timestamp", "Email Address", "Where did this happen?", "Please describe what happened"]
    with pytest.raises(DataError) as caught:
        find_column(columns, ("text",))
    message = str(caught.value)
    assert "column 4 (a name of 29 characters, not shown)" in message and "--text-column 4" in message
    assert find_column(columns, ("text",), given="4") == "Please describe what happened"
    assert find_column(["4", "text"], ("text",), given="4") == "4"  # a column named so wins over a position
    with pytest.raises(DataError, match="named '5'"):
        find_column(columns, ("text",), given="5")


def test_columns_the_example_of_a_column_not_found_is_the_column_of_the_longest_text(tmp_path):
    """Reproduction: `--text-column "Details of incident"` on a backlog suggested "e.g. --text-column 6", its
    'Reporter phone' column (the last one shown by its number), and a header shown in full got no example."""
    from classifier.io.tables import find_column
    from tests.helpers import write_csv

    rows = [{"Ref": f"HF-{i}", "Channel": "Online form", "Reporter name": "Jo Bloggs",
             "Description": "Man at the bus stop shouted at my daughter and spat at her", "Reporter phone": "07700 9"}
            for i in range(3)]
    path = write_csv(tmp_path / "backlog.csv", rows)
    with pytest.raises(DataError) as caught:
        find_column(list(rows[0]), ("text",), given="Details of incident", path=path)
    assert str(caught.value).endswith("pass one of those with --text-column (e.g. --text-column Description, the "
                                      "column of the longest text: 13 words a row).")
    assert "Man at the bus" not in str(caught.value)
    ids = write_csv(tmp_path / "ids.csv", [{"ref": "1", "notes": "hotel"}])
    with pytest.raises(DataError) as caught:
        find_column(["ref", "notes"], ("text",), path=ids)  # not the id column, as long
    assert "(e.g. --text-column notes, the column of the longest text: 1 word a row)" in str(caught.value)
    columns = ["Ref", "Please describe what happened", "Callers mobile no."]  # both shown by their number
    for given in (None, "Details of incident"):
        with pytest.raises(DataError) as caught:
            find_column(columns, ("text",), given=given)  # no rows to read: the last shown so, not the phone column
        assert "column 3 (a name of 18 characters, not shown)" in str(caught.value)
        assert "(e.g. --text-column 2)" in str(caught.value)


def test_columns_a_column_number_beyond_the_last_column_says_how_many_there_are():
    """Reproduction: `--text-column 20` on a file of 7 columns said "expected a text column named '20'", as if a name
    had been mistyped."""
    from classifier.io.tables import find_column

    columns = ["Ref", "Date received", "Channel", "Reporter name", "Reporter email", "Reporter phone", "Description"]
    with pytest.raises(DataError) as caught:
        find_column(columns, ("text",), given="20")
    message = str(caught.value)
    assert message.startswith("expected a text column numbered 20 (or named '20'), found only 7 columns: 'Ref',")
    assert "pass one of those with --text-column, by its name or by its number from 1 to 7" in message
    assert find_column([*columns, "20"], ("text",), given="20") == "20"  # a column named so is still found
    assert find_column(columns, ("text",), given="7") == "Description"


def test_columns_a_header_of_form_questions_is_not_taken_for_a_report():
    """Reproduction: the same error asked "is the first row a report rather than a header? Add a header row" of a
    form's header of questions, leading the user to edit a correct header."""
    from classifier.io.tables import describe_columns, first_row_hint

    questions = ["Timestamp", "Where did this happen?", "Please describe what happened"]
    assert "column 3 (a name of 29 characters, not shown)" in describe_columns(questions)
    assert first_row_hint(questions) == ""
    report = ["Timestamp", "Where did this happen?", "Man shouted at my neighbour on Friday"]
    assert "reads like a report rather than a header (column 3)" in first_row_hint(report)


def test_columns_a_usual_header_is_not_asked_whether_it_is_a_report():
    """Reproduction: `--text-column "Details of incident"` on a backlog with a proper header ended its list of
    columns with "'Description' (a header that reads like a report: is the first row a report rather than a
    header? ...)", as if 'Description' looked like a report, because one name of the header was not shown."""
    from classifier.io.tables import find_column

    for columns in (["Ref", "Beat code", "Channel", "Description"], ["ID", "Start time", "Completion time", "Email",
                                                                     "Name", "Where did this happen?"]):
        with pytest.raises(DataError) as caught:
            find_column(columns, ("text",), given="Details of incident")
        assert "report rather than a header" not in str(caught.value) and "Add a header" not in str(caught.value)
    columns = ["1042", "Jo Bloggs", "07700 900123", "Man shouted at my neighbour"]  # a row of values
    with pytest.raises(DataError) as caught:
        find_column(columns, ("text",), given="Details of incident")
    assert str(caught.value).endswith("--text-column 4). The first row reads like a report rather than a header "
                                      "(columns 2, 3 and 4): if it is one, add a header row above it, e.g. "
                                      "text,labels.")
