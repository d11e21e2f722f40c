"""What the page says about an upload: the user's file name, never the server's paths."""

from __future__ import annotations

import warnings

import pytest

from classifier.errors import DataError
from classifier.io.tables import EncodingFallbackWarning, read_rows
from classifier.web.uploads import for_the_page, our_notices


def _page_message(path) -> str:
    """What the page says about reading the upload ``path`` (named backlog.csv), which must fail."""
    with pytest.raises(DataError) as error:
        read_rows(path)
    return for_the_page(str(error.value), {str(path): "backlog.csv"})


def test_uploads_messages_name_the_upload_and_the_pages_field():
    names = {"/srv/jobs/ab12/upload.csv": "backlog.csv", "/srv/jobs/ab12/": ""}
    message = for_the_page("/srv/jobs/ab12/upload.csv: no column 'text'. Choose one with --text-column NAME.", names)
    assert message == "backlog.csv: no column 'text'. Choose one in the \"Text column\" field."


@pytest.mark.parametrize(("given", "field"), [("7", '"7"'), ("Description", '"Description"'),
                                             ("'Date received'", '"Date received"')])
def test_uploads_an_example_of_the_text_column_is_given_for_the_pages_field(given, field):
    message = for_the_page(f"found only 2 columns: 'ID', 'Body'; pass one of those with --text-column (e.g. "
                           f"--text-column {given}, the column of the longest text: 9 words a row).", {})
    assert message.endswith(f'pass one of those in the "Text column" field (e.g. {field} in the "Text column" field, '
                            "the column of the longest text: 9 words a row).")


def test_uploads_stray_quote_advice_is_to_fix_the_file_not_a_command_line_option(tmp_path):
    path = tmp_path / "upload.csv"
    path.write_text('id,text\n1,"ok"\n2,"a stray quote, never closed\n' + "3,more\n" * 30, encoding="utf-8")
    message = _page_message(path)
    assert message.startswith("backlog.csv") and "Fix that quote and upload the file again." in message
    assert "--" not in message


def test_uploads_a_long_quoted_cell_is_sent_to_the_command_line(tmp_path):
    path = tmp_path / "upload.csv"
    body = "\n".join(f"line {number} of an e-mail" for number in range(130))
    path.write_text(f'id,text\n1,"{body}"\n2,ok\n', encoding="utf-8")
    message = _page_message(path)
    assert "the page reads no longer cells: label this file from the command line (tension label FILE " \
           "--max-field-lines 129)." in message and "pass --max" not in message


def test_uploads_notices_are_ours_only_and_named():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("/tmp/x.csv was read as Windows-1252", EncodingFallbackWarning, stacklevel=1)
        warnings.warn("something from a library", DeprecationWarning, stacklevel=1)
    assert our_notices(caught, {"/tmp/x.csv": "backlog.csv"}) == ["backlog.csv was read as Windows-1252"]


def test_uploads_a_notice_of_another_text_column_names_the_pages_field():
    from classifier.labelling.batch import TextColumnWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("the reports are read from column 3 (...): to label that one, label again with --text-column "
                      "Summary", TextColumnWarning, stacklevel=1)
    assert our_notices(caught, {})[0].endswith('label again with "Summary" in the "Text column" field')
