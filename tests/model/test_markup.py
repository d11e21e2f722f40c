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
