"""The parts of an e-mail that say who sent it, not what happened: header blocks, forwarding lines, sign-offs and
signatures, "Sent from my iPhone".

Partners forward reports by e-mail ("From: ... Sent: ... To: ... Subject: FW: incident"), and sign them with a
name, a job title and the school, surgery or team they work for. Read as words, those lines outweigh a short
report: a school's signature under one sentence of racist abuse reads as a school's everyday e-mail.
:func:`email_edits` finds them; the preprocessing drops them, keeping a header's subject line (often the report's
own summary) and where every remaining character was written.

Only what is laid out as e-mail goes. A signature is a block at the end of the text (or above a forwarded
message) after some report text: a sign-off line ("Kind regards,") and the lines under it, or, without one, a
block that starts with a name and holds a job title, a team, a phone number or an address. It starts with a name
or a job title, holds no quotation, question or exclamation and no slur, and its lines are short; otherwise it is
report text and stays ("Thanks,\\nthey wrote 'go home' on our door").
"""

from __future__ import annotations

import re

from classifier.model.identity_terms import term_groups
from classifier.model.slurs import packaged_lexicon

#: Fields of a header block (Outlook, Gmail, Apple Mail), each at the start of its line, maybe quoted with '>' or
#: set in bold as Gmail's plain text shows it ("*From:*").
_FIELD = r"\*{0,2}(?:from|sent|to|cc|bcc|date|subject|reply-to|importance|attachments?)[ \t]*:\*{0,2}"
_HEADER_LINE = re.compile(rf"[ \t>]*{_FIELD}[^\n]*", re.IGNORECASE)
_SUBJECT = re.compile(r"[ \t>]*\*{0,2}subject[ \t]*:\*{0,2}[ \t]*(?:(?:re|fwd?|fw)[ \t]*:[ \t]*)*", re.IGNORECASE)
_NO_SUBJECT = re.compile(r"[ \t]*\(no subject\)[ \t]*", re.IGNORECASE)
#: Lines that only mark where a forwarded or quoted e-mail starts, or how it is classified or was received.
_SEPARATOR_LINE = re.compile(
    r"[ \t>]*(?:-{2,}[ \t]*(?:original message|forwarded message|forwarded by\b[^\n]{0,200}?)[ \t]*-{2,}|"
    r"begin forwarded message:|_{10,}|"
    r"-{10,}|official(?:[ \t]*-[ \t]*sensitive)?|\[?(?:external|caution|secure)\]?[ \t]*:?[^\n]{0,200}"
    r"(?:outside|external|sender)[^\n]{0,200})[ \t]*", re.IGNORECASE)
#: Gmail's and Apple Mail's "On Tue, 4 Nov 2025 at 11:20, Jo Bloggs <jo@example.com> wrote:", with a year or a time
#: in it so that "On Monday someone wrote:" stays.
_WROTE_LINE = re.compile(
    r"[ \t>]*on\b[^\n]{0,200}?(?:\b\d{4}\b|\b\d{1,2}:\d{2}\b)[^\n]{0,200},[^\n]{0,200}\bwrote:[ \t]*", re.IGNORECASE)
#: What a phone or mail app adds under every message.
_APP_LINE = re.compile(
    r"[ \t>]*(?:sent from my [\w ]{1,40}|sent from (?:outlook|mail|yahoo mail) (?:for|on) [\w ]{1,20}|"
    r"get outlook for (?:ios|android)|sent from yahoo mail[\w ]{0,30})[ \t.]*", re.IGNORECASE)
#: A line that closes a message: "Kind regards," "Thanks, Liz" "Yours sincerely" (and maybe a name after it), or
#: the signature separator "--".
_SIGN_OFF_LINE = re.compile(
    r"[ \t]*(?:(?i:(?:(?:with )?(?:kind|best|warm|warmest|many)[ \t]+)?(?:regards|wishes|thanks)|thank you|"
    r"thanks (?:again|very much|so much)|cheers|best|all the best|yours[ \t]+(?:sincerely|faithfully|truly)|"
    r"sincerely|respectfully|take care)(?:,?[ \t]+speak soon)?[ \t]*[,.!]?"
    r"(?:[ \t]+[A-Z][\w.'-]*(?:[ \t]+[A-Z][\w.'-]*){0,2})?|--)[ \t]*")
#: A header line (but the subject) longer than this is report text laid out as one.
HEADER_LINE_MAX_WORDS = 20
#: A signature holds at most this many non-empty lines, each at most this many words...
SIGNATURE_MAX_LINES = 10
SIGNATURE_LINE_MAX_WORDS = 25
#: ... and its lines, blank or not, at most this many.
SIGNATURE_MAX_SPAN = 25
#: Words of report text that must come before a signature for it to count as one.
SIGNATURE_MIN_WORDS_BEFORE = 5
#: A quotation mark that is not an apostrophe inside a word or after a plural's s, a question or an exclamation:
#: report text, which a signature never holds.
_REPORT_LIKE = re.compile(r"[\"“”‘?!]|(?<![A-Za-z])'|(?<![sS])'(?![A-Za-z])")
#: "PS they also..." after a signature is report text again.
_POSTSCRIPT = re.compile(r"[ \t]*p\.?[ \t]?s\b", re.IGNORECASE)
#: A phone number, an e-mail address, a web address or a public body's domain.
_CONTACT_DETAILS = r"\d{3,}[ \t]?\d{3}|@|\bwww\.|\.(?:gov|org|nhs|sch|police|ac)\.uk\b"
#: What a signature without a sign-off line must hold: contact details, a job title or the kind of organisation
#: the sender works for.
_SIGNATURE_MARK = re.compile(
    rf"{_CONTACT_DETAILS}|\b(?:officer|manager|worker|co-?ordinator|"
    r"head|lead|teacher|nurse|practitioner|advis[eo]r|assistant|director|clerk|secretary|chair|councillor|cllr|"
    r"pcso|sergeant|sgt|inspector|constable|council|school|primary|academy|college|nhs|police|probation|housing|"
    r"homes|trust|centre|surgery|practice|team|services?|unit|department|association|charity|partnership|hub|"
    r"project)\b", re.IGNORECASE)
#: Identity-term groups that make a line of a signature that is not a name or a title report text.
_PEOPLE_GROUPS = frozenset({"religion", "nationality_ethnicity"})
#: A line with this many words in capitals or more, over half its words, is shouted text, not a name ("NHS ICB").
NAME_MAX_CAPITALS = 3
#: Contact details, or any other .co.uk, .org or .com address: a line of a signature that is not a name or a title.
_CONTACT = re.compile(rf"{_CONTACT_DETAILS}|\.co\.uk\b|\.(?:org|com)\b")
#: Words that join the capitalised words of a name, a job title or an organisation ("Head of Year", "Centre for").
_JOINING_WORDS = frozenset("of and & the for at in on to by behalf - – — | / +".split())


def email_edits(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, "")`` for each header line, forwarding line, app footer and signature of ``text`` (in order,
    not overlapping). A header block is two or more header lines in a row; of its subject line only the field
    name and any "RE:"/"FW:" go.

    >>> text = "From: Jo <jo@x.org>\\nSubject: FW: graffiti\\n\\nNazi graffiti on Elm Road.\\n\\nRegards,\\nJo Bloggs"
    >>> [text[start:end] for start, end, _ in email_edits(text)]
    ['From: Jo <jo@x.org>\\n', 'Subject: FW: ', 'Regards,\\nJo Bloggs']
    >>> email_edits("Nazi graffiti on Elm Road.\\n\\nThanks,\\nthey wrote 'go home' on our door")
    []
    """
    if "\n" not in text:
        return []
    lines = _lines(text)
    edits: list[tuple[int, int, str]] = []
    index = words_before = 0
    while index < len(lines):
        start, end = lines[index]
        line = text[start:end]
        length = _block_length(text, lines, index)
        if length >= 2:
            edits += _header_edits(text, lines[index : index + length])
            index += length
            continue
        if _SEPARATOR_LINE.fullmatch(line) or _WROTE_LINE.fullmatch(line) or _APP_LINE.fullmatch(line):
            edits.append((start, _line_end(text, end), ""))
        elif words_before >= SIGNATURE_MIN_WORDS_BEFORE and line.strip():
            last = _signature_end(text, lines, index)
            if last is not None:
                edits.append((start, lines[last][1], ""))
                index = last + 1
                continue
        words_before += len(line.split())
        index += 1
    return edits


def _lines(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each line of ``text``, without its line break ('\\r' belongs to the break)."""
    spans, start = [], 0
    for match in re.finditer(r"\r?\n|\r", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _line_end(text: str, end: int) -> int:
    """Where the line ending at ``end`` is followed by the next one (after its line break)."""
    if text.startswith("\r\n", end):
        return end + 2
    return end + 1 if end < len(text) else end


def _block_length(text: str, lines, index: int) -> int:
    """How many header lines in a row start at line ``index``."""
    length = 0
    while index + length < len(lines) and _HEADER_LINE.fullmatch(text[slice(*lines[index + length])]):
        length += 1
    return length


def _header_edits(text: str, block) -> list[tuple[int, int, str]]:
    """The edits of a header block: every line but the subject's text ("(no subject)" goes too), and header lines
    too long to be one."""
    edits = []
    for start, end in block:
        subject = _SUBJECT.match(text, start, end)
        if subject and not _NO_SUBJECT.fullmatch(text, subject.end(), end):
            if subject.end() > start:
                edits.append((start, subject.end(), ""))
        elif subject or len(text[start:end].split()) <= HEADER_LINE_MAX_WORDS:
            edits.append((start, _line_end(text, end), ""))
    return edits


def _signature_end(text: str, lines, index: int) -> int | None:
    """The last line of the signature that starts at line ``index``, or None when none does: a sign-off line, or a
    line after a blank one that starts a block holding a job title, a team or contact details; the block runs to the
    end of the text or to a forwarded message, and reads as a signature (:func:`_reads_as_signature`)."""
    first = text[slice(*lines[index])]
    signed_off = bool(_SIGN_OFF_LINE.fullmatch(first))
    if not signed_off and (index == 0 or text[slice(*lines[index - 1])].strip() or not _name_like(first)):
        return None
    block, last = ([] if signed_off else [first]), index
    for position in range(index + 1, min(len(lines), index + SIGNATURE_MAX_SPAN)):
        line = text[slice(*lines[position])]
        if _ends_signature(text, lines, position):
            break
        if _APP_LINE.fullmatch(line):  # "Sent from my iPhone" under the name
            last = position
        elif line.strip():
            block.append(line)
            last = position
    else:
        if index + SIGNATURE_MAX_SPAN < len(lines):
            return None  # more lines follow than a signature spans
    if not _reads_as_signature(block, signed_off):
        return None
    return last


def _reads_as_signature(block: list[str], signed_off: bool) -> bool:
    """Whether the non-empty lines ``block`` under a sign-off (``signed_off``) or on their own are a signature."""
    if not block:
        return signed_off
    if len(block) > SIGNATURE_MAX_LINES or not _name_like(block[0]):
        return False
    if not signed_off and not (any(_SIGNATURE_MARK.search(line) for line in block)
                               and all(_name_like(line) or _CONTACT.search(line) for line in block)):
        return False  # without a sign-off, every line is a name, a title or contact details
    for line in block:
        if len(line.split()) > SIGNATURE_LINE_MAX_WORDS or _REPORT_LIKE.search(line) or _POSTSCRIPT.match(line):
            return False
        if not _name_like(line) and _PEOPLE_GROUPS.intersection(term_groups(line)):
            return False  # a sentence about people by faith or origin: report text ("Hindu Society" is a name)
    return not packaged_lexicon().find("\n".join(block))


def _name_like(line: str) -> bool:
    """Whether ``line`` is a name, a job title or an organisation: capitalised words (initials, post-nominals,
    numbers, e-mail addresses) and the words that join them."""
    words = re.findall(r"[^\s|,()]+", line)
    if not words or len(words) > SIGNATURE_LINE_MAX_WORDS or not words[0][:1].isupper() or line.rstrip()[-1] in ":.":
        return False  # a heading ("Practical:") or a sentence
    shouted = [word for word in words if len(word) >= 3 and word.isalpha() and word.isupper()]
    if len(shouted) >= NAME_MAX_CAPITALS and 2 * len(shouted) > len(words):
        return False  # "GO HOME YOU LOT" is graffiti quoted, not a name
    return all(not word[:1].isalpha() or word[:1].isupper() or word.lower() in _JOINING_WORDS or "@" in word
               for word in words)


def _ends_signature(text: str, lines, position: int) -> bool:
    """Whether line ``position`` starts what follows a signature: a forwarded or quoted message."""
    line = text[slice(*lines[position])]
    return bool(_SEPARATOR_LINE.fullmatch(line) or _WROTE_LINE.fullmatch(line) or line.lstrip().startswith(">")
                or _block_length(text, lines, position) >= 2)
