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
    # Sign-offs and the lines signatures hold besides names, titles and contact details.
    "Kindest regards,\nAisha Karim\nCo-ordinator, Hadley Palestine Solidarity Campaign\n01632 960 555",
    "In solidarity,\nAisha Karim\nCo-ordinator, Hadley Palestine Solidarity Campaign",
    "Thanks, Jo x",
    "Kind regards,\nAisha Karim\nHadley Palestine Solidarity Campaign\n01632 960 555\nFollow us on Instagram!",
    "Kind regards,\nSam Lee (she/her)\nYouth Worker\nMy working days are Monday to Wednesday",
    "Thanks,\nAnnie Coltrane\nSenior Probation Officer\nI am working from home on Fridays",
    "Kind regards,\nImam Yusuf Patel\nHadley Central Mosque\n01632 960 777",
    "Yours sincerely,\nParish Priest, St Columba's\nstcolumbas@example.org",
    "Best wishes,\nAmina Khan\nSecretary, Hadley Muslim Association\namina@example.org",
    "Regards,\nSam Lee\nHousing Officer\nThink before you print.",
    "Mrs Angela Sutton | Attendance & Welfare Officer | Hollins Park Primary School | 01632 960419",
])
def test_email_parts_a_signature_under_a_report_goes(signature):
    assert _kept(f"{REPORT}\n\n{signature}").strip() == REPORT


@pytest.mark.parametrize("separator", ["\r", "\r\n", "\u2028", "\u2029", "\x85"])
@pytest.mark.parametrize("space", [" ", "\u00a0", "\u202f"])
def test_email_parts_any_line_break_and_any_space_in_a_signature(separator, space):
    signature = f"Kind{space}regards,{space}\nJ. Okafor\nDesignated Safeguarding Lead\nTel: 01632 960 412"
    assert _kept(f"{REPORT}\n\n{signature}".replace("\n", separator)).strip() == REPORT


def test_email_parts_a_short_report_loses_its_signature_under_a_sign_off():
    assert _kept("Swastika on synagogue door.\n\nKind regards,\nJ. Okafor\nDSL, St Mary's Primary School") == (
        "Swastika on synagogue door.\n\n")


@pytest.mark.parametrize("header", [
    "From: Okafor, Joy <j.okafor@stmarys.example.sch.uk>\nSent: 12 March 2026 09:14\n"
    "To: Community Safety <cs@example.gov.uk>\nSubject: FW: incident this morning",
    "-----Original Message-----\nFrom: Ward Cllr Dunne\nSent: Monday, 3 November 2025 17:02\nTo: Cohesion Team\n"
    "Subject: RE: FW: incident this morning",
    "---------- Forwarded message ---------\n*From:* Helen <helen@example.org>\n*Date:* Fri, 7 Nov 2025 at 13:26\n"
    "*Subject:* incident this morning\n*To:* Community Safety <cs@example.gov.uk>",
    "On Tue, 4 Nov 2025 at 11:20, Jo Bloggs <jo@example.org> wrote:\n> incident this morning",
    "On Tue, Nov 4, 2025 at 11:20 AM Jo Bloggs <jo@example.org> wrote:\n> incident this morning",
    # A distribution list longer than a header line may be: its names and mailboxes were each checked.
    "From: Community Safety <cs@example.gov.uk>\nSent: 12 March 2026 09:14\nCc: Imam Yusuf Patel <imam@example.org>; "
    "Rabbi Ruth Adler <rabbi@example.org>; Father Michael Doyle <md@example.org>; Giani Harjit Singh "
    "<gs@example.org>; Hadley Palestine Solidarity Campaign <hpsc@example.org>\nSubject: incident this morning",
    "From: Jo Bloggs <jo@example.org>\nSent: 3 Nov 2025 10:00\nTo: community safety\nSubject: incident this morning",
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
    # A banner needs its brackets or its colon.
    "Update from the neighbourhood team.\nCautioned the sender of the letters telling the Jewish families on Elm "
    "Road to leave or be burnt out.",
    "Incident at Elm Road.\nExternal wall of the mosque sprayed with 'burn the mosque', seen from outside.",
    # A header's fields hold names, mailboxes and dates, each field once.
    "Texts my daughter got last night:\nFrom: unknown: go back to Pakistan you terrorist\nFrom: unknown: we will "
    "burn your mosque down\nFrom: unknown: your days are numbered",
    "A note was left on Mr Osei's car:\nTo: the black bastard at number 9\nFrom: your white neighbours who want "
    "you gone\nWe know where you live.",
    # Under a sign-off: a clause, or words about people by faith, origin, a hotel or the conflict.
    "Men in balaclavas were hanging around the community centre on Friday night.\n\nThanks\nMaria\nAlso they told "
    "the lads at the bus stop they would burn the mosque down with everyone inside.",
    "Someone has been putting leaflets through doors on Elm Road again.\n\nThanks\nMaria\n\nForgot to say, the "
    "leaflets claim the council gives the hotel guests free cars and phones before local families get homes.",
    f"{REPORT}\n\nThanks\nMaria\nZionists out of Hadley",
    f"{REPORT}\n\nThanks\nMaria\nBurn the hotel down",
    f"{REPORT}\n\nThanks\nMaria\nI work at the Spar on Mondays and a man told me to go home",
    "A public meeting about the planning application will be held at the Legion on Friday.\n\nRegards\nHadley "
    "Patriots\nNo Mosques In Hadley\nIslam Out Of Britain",
    f"{REPORT}\n\nYours sincerely,\nThe White Residents Of Elm Road\nKeep Hadley White",
    "Copied from the Hadley Residents Facebook group this morning:\n\nDean Marsh\nCheers\nGary Hollis\nLads meet "
    "at the hotel at 10 tonight, bring petrol and we will smoke them out",
    "A protest has been called on Facebook for Saturday at 2pm outside the\n\nBest Western Hotel\nMill Lane, "
    "Hadley\nThey want the boat people out before the summer and say bring masks and fireworks",
    # A headline in title case is not a signature.
    "Leaflet found on the windscreens in the Tesco car park this morning:\n\nThe Council Is Housing Illegal "
    "Migrants In Our Schools\nHadley Truth Team",
    # "wrote:" after a clause, not a name or an address.
    "Facebook post screenshot attached.\nOn 3 March 2026 at 21:40, a man who has threatened to burn down the Elm "
    "Road mosque before wrote:\nThis is your last warning.",
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
                                  "on 1234 , ", "Report text here.\n\nThanks\nJo\n", "Thanks\nJo\nI work Mon ) ",
                                  "Cc: A B <a@b>; ", "From: a\nTo: b\n"])
def test_email_parts_take_linear_time_on_repeated_lines(unit):
    from tests.helpers import assert_linear

    # Up to the longest text a model scores by default (MAX_TEXT_CHARS); beyond it the time stays linear too.
    assert_linear(lambda text: email_edits("Report text of a few words.\n" + text), unit, small=2_000, large=20_000)
