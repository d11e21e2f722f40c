"""What e-mail and web forms wrap around a report: found, and left alone where it only looks like markup."""

from __future__ import annotations

import pytest

from classifier.model.markup import disclaimer_edits, markup_edits


def _apply(text, edits):
    out, done = [], 0
    for start, end, replacement in edits:
        out += [text[done:start], replacement]
        done = end
    return "".join(out + [text[done:]])


def test_markup_tags_entities_hidden_blocks_and_attachment_tags_are_found():
    text = ('<html><head><style>p {font-family:"Calibri",sans-serif}</style></head><body>'
            "<p class=MsoNormal>A&nbsp;parent said &quot;go home&quot; &amp; spat<o:p></o:p></p><!-- x -->"
            "[cid:image001.png@01D9A1B2.3C4D5E60] [image: photo.jpg]<br/></body></html>")
    assert " ".join(_apply(text, markup_edits(text)).split()) == 'A parent said "go home" & spat'


@pytest.mark.parametrize("text", [
    "Please <insert name> when you reply",  # a placeholder, not a tag
    "a < b > c and a<b",
    "fish &chips; and R&D; &unknownentity;",  # no such entity
    "[photo attached] and [see above]",
    "plain report about the bins, nothing to do",
])
def test_markup_text_that_only_looks_like_markup_stays(text):
    assert markup_edits(text) == []


def test_markup_edits_are_in_order_and_never_overlap():
    text = "<head><title>x</title></head><p>a&amp;b</p>" * 50
    edits = markup_edits(text)
    assert all(a[1] <= b[0] for a, b in zip(edits, edits[1:], strict=False))
    assert _apply(text, edits).split() == ["a&b"] * 50


def test_markup_disclaimer_runs_to_the_next_blank_line_and_only_an_e_mail_one_is_found():
    report = "Leaflets saying asylum seekers get free houses were put through doors on Elm Road."
    notice = ("This e-mail and any attachments are confidential and intended solely for the addressee.\n"
              "If you have received this e-mail in error please notify the sender.")
    text = f"{report}\n\n{notice}\n\nSecond paragraph stays."
    assert _apply(text, disclaimer_edits(text)).split() == (report + " Second paragraph stays.").split()
    for kept in ("If you have received a leaflet like this please tell us, it is false.",
                 "This message is going round the estate WhatsApp groups and it is not true."):
        assert disclaimer_edits(f"{report}\n\n{kept}") == []


@pytest.mark.parametrize("unit", ["<style ", "<style>", "&nbsp;", "<p", "<p>", "[cid:", "[cid:x]", "<!--",
                                  "This e-mail is confidential\n", "<head>x</head>"])
def test_markup_takes_linear_time_on_unclosed_and_repeated_markup(unit):
    from tests.helpers import assert_linear

    assert_linear(lambda text: (markup_edits(text), disclaimer_edits(text)), unit)


def test_markup_a_disclaimer_needs_its_boilerplate_and_ends_at_a_blank_line_of_any_line_ending():
    """Reproductions (2026-12-03, a stress test of the first version): with Windows line endings a disclaimer ran to
    the end of the text, deleting the forwarded report below it; a report opening 'Disclaimer: I'm not sure this
    is the right place...' or 'This message is private, please don't share it...' was deleted whole."""
    report = "A man shouted at my son outside the mosque and spat at him."
    notice = ("This e-mail and any attachments are confidential and intended solely for the addressee. If you have "
              "received it in error, notify the sender and delete it.")
    for newline in ("\n", "\r\n"):
        text = f"Thanks.{newline}{newline}{notice}{newline}{newline}From: Resident{newline}{report}{newline}"
        kept = _apply(text, disclaimer_edits(text))
        assert report in kept and "addressee" not in kept
    for opening in ("Disclaimer: I'm not sure this is the right place.", "This message is private, please don't "
                    "share it.", "This email is confidential as I fear reprisals."):
        assert disclaimer_edits(f"{opening}\n{report}") == [] and disclaimer_edits(f"Hi,\n\n{opening}\n{report}") == []


@pytest.mark.parametrize(("space", "newline"), [("\u00a0", "\n"), (" ", "\u2028"), (" ", "\r"), ("\u202f", "\x85")])
def test_markup_a_disclaimer_is_found_with_no_break_spaces_and_other_line_breaks(space, newline):
    """Pasted from a rendered e-mail, a disclaimer has no-break spaces, or lines ended by U+2028, a lone carriage
    return or NEL: it goes as it does with plain spaces and line feeds, and the report under it stays."""
    report = "A man shouted at my son outside the mosque and spat at him."
    notice = ("This e-mail and any attachments are confidential and intended solely for the addressee. If you have "
              "received it in error, notify the sender and delete it.").replace(" ", space)
    text = f"Thanks.{newline}{newline}{notice}{newline}{newline}{report}"
    kept = _apply(text, disclaimer_edits(text))
    assert report in kept and "addressee" not in kept and "Thanks." in kept


@pytest.mark.parametrize("text", ["The note said <u r not welcome here go back> and was left on the car",
                                  "He shouted <I hate Muslims> at her", "Crowd of <a hundred people>",
                                  "a<b and b>c"])
def test_markup_words_in_angle_brackets_are_not_tags(text):
    assert markup_edits(text) == []


def test_markup_inline_tags_join_a_word_block_tags_end_a_line_and_word_markup_goes():
    text = ('<p class=MsoListParagraph><![if !supportLists]><span>1.</span><![endif]>Racist <b>ab</b>use at the '
            '<st1:place>shop</st1:place></p><p><q>Muslims out</q> <a href="x>y">link</a></p>')
    assert _apply(text, markup_edits(text)).split("\n") == ["", "1.Racist abuse at the shop", "",
                                                              "Muslims out link", ""]


@pytest.mark.parametrize("unit", [" a=1", ' a="x"', " a"])
def test_markup_an_unclosed_tag_with_many_attributes_takes_linear_time(unit):
    """Reproduction (a review of the first version): '<b' and 4,000 ' a=1' took 1.4 s, quadratic, from two
    ways of reading the same attributes; 20,000 characters of them would hold a web request for seconds."""
    from tests.helpers import assert_linear

    assert_linear(lambda text: markup_edits("<b" + text), unit)
