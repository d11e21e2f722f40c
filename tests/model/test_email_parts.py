"""E-mail headers, forwarding lines, sign-offs and signatures: found, and left alone where the lines are report text."""

from __future__ import annotations

import pytest

from classifier.model.email_parts import email_edits
from classifier.model.preprocess import visible_text

REPORT = "Someone sprayed racist graffiti on the bus shelter on Elm Road last night."


def _kept(text: str) -> str:
    out, done = [], 0
    for start, end, replacement in email_edits(text):
        out += [text[done:start], replacement]
        done = end
    return "".join(out + [text[done:]])


@pytest.mark.parametrize("signature", [
    "Kind regards,\n\nJ. Okafor\nDesignated Safeguarding Lead\nSt Mary's Church of England Primary School\n"
    "Mill Lane, Hadley Green\nTel: 01632 960 412",
    "Thanks\nLiz\nTenancy Officer, Greenway Housing Association\nOffice hours Mon-Fri 9-5",
    "Regards,\nPC 4471 R. Devlin\nNeighbourhood Policing Team, Hadley North\n"
    "This e-mail is sent on behalf of the Chief Constable.",
    "Many thanks\nSarah\n\nSarah Pennock | Community Safety Officer\nHadley Borough Council\nwww.hadley.example.gov.uk",
    "Yours sincerely,\nHonorary Secretary\nresidents@example.org",
    "Thanks, Jo",
    "--\nSam Ritter\nChair, Thornfield Residents' Association\n07700 900455",
    # No sign-off: a name, then a title and contact details.
    "Andrew Mercer | Community Safety Officer | Kelsford Borough Council\n01632 960100 | andrew.m@example.gov.uk",
    "Best wishes,\nDr A. Mensah\nGP Partner, Riverside Health Centre\n\nSent from my iPhone",
    "Sent from my iPhone",
])
def test_email_parts_a_signature_under_a_report_goes(signature):
    assert _kept(f"{REPORT}\n\n{signature}").strip() == REPORT


@pytest.mark.parametrize("header", [
    "From: Okafor, Joy <j.okafor@stmarys.example.sch.uk>\nSent: 12 March 2026 09:14\n"
    "To: Community Safety <cs@example.gov.uk>\nSubject: FW: incident this morning",
    "-----Original Message-----\nFrom: Ward Cllr Dunne\nSent: Monday, 3 November 2025 17:02\nTo: Cohesion Team\n"
    "Subject: RE: FW: incident this morning",
    "---------- Forwarded message ---------\n*From:* Helen <helen@example.org>\n*Date:* Fri, 7 Nov 2025 at 13:26\n"
    "*Subject:* incident this morning\n*To:* Community Safety <cs@example.gov.uk>",
    "On Tue, 4 Nov 2025 at 11:20, Jo Bloggs <jo@example.org> wrote:\n> incident this morning",
])
def test_email_parts_a_header_block_goes_but_its_subject(header):
    kept = _kept(f"{header}\n\n{REPORT}")
    assert kept.split() == (["incident", "this", "morning"] + REPORT.split()
                            if "wrote:" not in header else [">", "incident", "this", "morning"] + REPORT.split())


def test_email_parts_no_subject_and_crlf_line_breaks():
    text = (f"From: Jo <jo@example.org>\r\nDate: 8 Nov 2025\r\nSubject: (no subject)\r\n\r\n{REPORT}\r\n\r\n"
            "Thanks,\r\nJo")
    assert _kept(text).strip() == REPORT


@pytest.mark.parametrize("text", [
    f"{REPORT}\n\nThanks,\nthey wrote 'go home' on our door",  # a quotation
    f"{REPORT}\n\nThanks\nThey called me a p*ki\nand told me to go home",  # a slur
    f"{REPORT}\n\nThanks\nJohn\nthey wrote kill all muslims on the wall",  # people named by faith
    f"{REPORT}\n\nBLACK LIVES DON'T MATTER\nwritten on the school wall",  # shouted words, not a name
    f"{REPORT}\n\nPractical:\n* Graffiti removal booked for Friday.\n* Request to Highways, 01632 960100",
    f"{REPORT}\n\nRegards,\nJo\nPS the same words are on the school gate",  # a postscript
    f"{REPORT}\n\nHadley Road Mosque\nElm Road",  # no title or contact details: a place
    "Kind regards,\nJo Bloggs\nCommunity Safety Officer",  # no report text before it
    "On Monday someone wrote:\nP*kis out",  # no date or time: not a mail app's line
    f"To: the council\n{REPORT}",  # one header line is not a header block
])
def test_email_parts_report_text_that_only_looks_like_e_mail_stays(text):
    assert email_edits(text) == []


def test_email_parts_a_signature_above_a_forwarded_message_goes_and_the_message_stays():
    forwarded = ("Forwarding from a resident, see below.\n\nThanks\nLiz\nTenancy Officer, Greenway Homes\n\n"
                 f"-----Original Message-----\nFrom: resident@example.com\nSent: 3 Nov 2025\n\n{REPORT}")
    assert _kept(forwarded).split() == ["Forwarding", "from", "a", "resident,", "see", "below."] + REPORT.split()


def test_email_parts_preprocessing_drops_them_and_keeps_where_each_word_was():
    from classifier.model.preprocess import SpacyPreprocessor

    text = (f"From: Jo <jo@example.org>\nSubject: FW: graffiti\n\n{REPORT}\n\nRegards,\nJo Bloggs\n"
            "DSL, Moor Lane Primary")
    assert visible_text(text).split() == ["graffiti"] + REPORT.split()
    processed, spans = SpacyPreprocessor().fit(["x"]).transform_with_spans([text])
    written = [text[start:end] for start, end in spans[0]]
    assert written[:3] == ["graffiti", "Someone", "sprayed"] and written[-2:] == ["last", "night"]
    assert "jo" not in processed[0].split() and "bloggs" not in processed[0].split()


def test_email_parts_a_signature_does_not_change_a_models_scores(model):
    plain = model.predict_proba([REPORT, "Leaflets say asylum seekers get free houses. They do not."])
    signed = model.predict_proba([f"{REPORT}\n\nKind regards,\nJ. Okafor\nDSL, St Mary's Primary School\n01632 960412",
                                  "From: a@example.org\nSent: 3 Nov 2025\nTo: b@example.org\n\nLeaflets say asylum "
                                  "seekers get free houses. They do not.\n\nSent from my iPhone"])
    assert (signed == plain).all()


@pytest.mark.parametrize("unit", ["Regards,\n", "Thanks\n\n\n", "From: a\n", "Jo Bloggs\nOfficer\n\n",
                                  "on 1234 , ", "Report text here.\n\nThanks\nJo\n"])
def test_email_parts_take_linear_time_on_repeated_lines(unit):
    from tests.helpers import assert_linear

    # Up to the longest text a model scores by default (MAX_TEXT_CHARS); beyond it the time stays linear too.
    assert_linear(lambda text: email_edits("Report text of a few words.\n" + text), unit, small=2_000, large=20_000)
