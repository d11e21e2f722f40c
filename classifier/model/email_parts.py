"""The parts of an e-mail that say who sent it, not what happened: header blocks, forwarding lines, sign-offs and
signatures, "Sent from my iPhone".

Partners forward reports by e-mail ("From: ... Sent: ... To: ... Subject: FW: incident"), and sign them with a
name, a job title and the school, surgery or team they work for. Read as words, those lines outweigh a short
report: a school's signature under one sentence of racist abuse reads as a school's everyday e-mail.
:func:`email_edits` finds them; the preprocessing drops them, keeping a header's subject line (often the report's
own summary) and where every remaining character was written.

Only what is laid out as e-mail goes. A header block is two or more lines of different fields whose values are
what mail programs write there (names and mailboxes, dates), with no slur. A signature is a block at the end of
the text (or above a forwarded message) after some report text: a sign-off line ("Kind regards,") and the lines
under it, or, without one, a block that starts with a name and holds a job title, a team, a phone number or an
address. It starts with a name or a job title; its other lines are names, titles, contact details, short lines with
no clause, or what signatures hold (office hours, pronouns, "Think before you print"); it holds no quotation,
question, exclamation, slur, and nothing about people by faith, origin, asylum hotels or the Israel/Palestine
conflict but the name of a body or a title ("Hadley Muslim Association", "Parish Priest"). Otherwise it is report
text and stays ("Thanks,\\nthey wrote 'go home' on our door", "Regards\\nHadley Patriots\\nIslam Out Of Britain").
"""

from __future__ import annotations

import re

from classifier.model.identity_terms import term_groups
from classifier.model.markup import PLAIN_WHITESPACE
from classifier.model.slurs import packaged_lexicon

#: Fields of a header block (Outlook, Gmail, Apple Mail), each at the start of its line, maybe quoted with '>' or
#: set in bold as Gmail's plain text shows it ("*From:*").
_HEADER_LINE = re.compile(
    r"[ \t>]*\*{0,2}(from|sent|to|cc|bcc|date|subject|reply-to|importance|attachments?)[ \t]*:\*{0,2}([^\n]*)",
    re.IGNORECASE)
#: Header fields whose value is a list of people or mailboxes, and those whose value is a date.
_ADDRESS_FIELDS = frozenset({"from", "to", "cc", "bcc", "reply-to"})
_DATE_FIELDS = frozenset({"sent", "date"})
#: A date as a mail program writes it: a number, a day or a month.
_DATE_LIKE = re.compile(r"\d|\b(?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
                        re.IGNORECASE)
#: An address in a header field or a "wrote:" line: "<jo@example.org>", "[mailto:jo@example.org]".
_ANGLE_ADDRESS = re.compile(r"<[^<>\n]{0,200}>|\[mailto:[^\]\n]{0,200}\]", re.IGNORECASE)
#: Words of a clause (pronouns, the commonest verbs, negation): a line holding one is written, not a name or title.
_CLAUSE_WORD = re.compile(
    r"\b(?:i|we|they|he|she|you|them|us|our|their|his|him|my|me|was|were|is|are|am|will|would|could|should|can|"
    r"said|says|told|have|has|had|been|did|do|does|got|going|want|wants|not|if|because|who|which|there|this|that)\b",
    re.IGNORECASE)
#: Words in a header's list of people at most (a name with a title and a department: "Cllr Jo Dunne (Labour)").
ADDRESS_MAX_WORDS = 10
_SUBJECT = re.compile(r"[ \t>]*\*{0,2}subject[ \t]*:\*{0,2}[ \t]*(?:(?:re|fwd?|fw)[ \t]*:[ \t]*)*", re.IGNORECASE)
_NO_SUBJECT = re.compile(r"[ \t]*\(no subject\)[ \t]*", re.IGNORECASE)
#: Lines that only mark where a forwarded or quoted e-mail starts, or how it is classified or was received.
_SEPARATOR_LINE = re.compile(
    r"[ \t>]*(?:-{2,}[ \t]*(?:original message|forwarded message|forwarded by\b[^\n]{0,200}?)[ \t]*-{2,}|"
    r"begin forwarded message:|_{10,}|"
    r"-{10,}|official(?:[ \t]*-[ \t]*sensitive)?|"
    r"(?:\[(?:external|caution|secure)\][ \t]*:?|(?:external|caution|secure)[ \t]*:)[^\n]{0,200}?"
    r"(?:outside|external|sender)[^\n]{0,200}|\[?external\]?[ \t]+(?:sender|e-?mail|message)[ \t]*[.:!]?)[ \t]*",
    re.IGNORECASE)
#: Gmail's and Apple Mail's "On Tue, 4 Nov 2025 at 11:20, Jo Bloggs <jo@example.com> wrote:": a year or a time
#: in it (so that "On Monday someone wrote:" stays), and a name or an address just before "wrote:" (so that "On 3
#: March 2026 at 21:40, a man who has threatened us before wrote:" stays).
_WROTE_LINE = re.compile(
    r"[ \t>]*(?i:on)\b[^\n]{0,200}?(?:\b\d{4}\b|\b\d{1,2}:\d{2}\b)[^\n]{0,200}?[ \t,]"
    r"(?:\"?[A-Z][\w.'-]*(?:[ \t]+[A-Z][\w.'-]*){0,5}\"?(?:[ \t]*<[^<>\n]{1,200}>)?|<[^<>\n]{1,200}>|"
    r"[^\s<>()]{1,100}@[^\s<>()]{1,100})[ \t]*(?i:wrote):[ \t]*")
#: What a phone or mail app adds under every message.
_APP_LINE = re.compile(
    r"[ \t>]*(?:sent from my [\w ]{1,40}|sent from (?:outlook|mail|yahoo mail) (?:for|on) [\w ]{1,20}|"
    r"get outlook for (?:ios|android)|sent from yahoo mail[\w ]{0,30})[ \t.]*", re.IGNORECASE)
#: A line that closes a message: "Kind regards," "Thanks, Liz" "Yours sincerely" (and maybe a name after it), or
#: the signature separator "--".
_SIGN_OFF_LINE = re.compile(
    r"[ \t]*(?:(?i:(?:(?:with )?(?:kind|kindest|best|warm|warmest|many)[ \t]+)?(?:regards|wishes|thanks)|"
    r"thank you(?:[ \t]+(?:so much|very much|again|in advance))?|thanks (?:again|very much|so much|in advance)|"
    r"in solidarity|cheers|best|all the best|yours[ \t]+(?:sincerely|faithfully|truly)|"
    r"sincerely|respectfully|take care|sent on behalf of[^\n]{1,100})(?:,?[ \t]+speak soon)?[ \t]*[,.!]?"
    r"(?:[ \t]*x{1,3})?"
    r"(?:[ \t]+[A-Z][\w.'-]*(?:[ \t]+[A-Z][\w.'-]*){0,2})?(?:[ \t]*x{1,3})?|--)[ \t]*")
#: A header line (but the subject and the lists of names and mailboxes) longer than this is report text laid out as
#: one.
HEADER_LINE_MAX_WORDS = 20
#: A signature holds at most this many non-empty lines, each at most this many words...
SIGNATURE_MAX_LINES = 10
SIGNATURE_LINE_MAX_WORDS = 25
#: ... and its lines, blank or not, at most this many.
SIGNATURE_MAX_SPAN = 25
#: Words of report text that must come before a signature for it to count as one: under a sign-off line, and
#: without one (a name-like first line is then all that tells a signature from report text).
SIGNED_MIN_WORDS_BEFORE = 1
SIGNATURE_MIN_WORDS_BEFORE = 5
#: Words at most in the first line of a signature without a sign-off, up to its first '|' or ',': a name, maybe with
#: a title ("Mrs Angela Sutton | Attendance Officer | ...").
UNSIGNED_FIRST_LINE_MAX_WORDS = 6
#: Words in a signature's line that is neither a name nor contact details at most ("Safer neighbourhoods team").
TITLE_LINE_MAX_WORDS = 8
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
    r"project|office|mp|ward|governors)\b", re.IGNORECASE)
#: Identity-term groups that make a line of a signature report text, unless it names an organisation or a person
#: by title ("No Mosques In Hadley" and "Islam Out Of Britain" are slogans; "Hadley Muslim Association" is a name).
_PEOPLE_GROUPS = frozenset({"religion", "nationality_ethnicity", "faith_building", "hotel_flag_protest"})
#: The words of the Israel/Palestine conflict, which the identity-term groups do not hold ("Zionists out").
_CONFLICT_WORD = re.compile(r"\b(?:israel|israelis?|palestine|palestinians?|zionis[mt]s?|gaza|hamas|idf|intifada)\b",
                            re.IGNORECASE)
#: A line that ends with the kind of body a sender works for ("Board of Deputies of British Jews", "Hadley Central
#: Mosque", "Imam, Hadley Masjid"), or starts with a faith leader's title ("Rabbi D. Cohen").
_ORGANISATION_OR_TITLE = re.compile(
    r"\b(?:Association|Society|Trust|Council|Forum|Centre|Center|Network|Group|Project|Services?|Mosque|Masjid|"
    r"Church|Synagogue|Temple|Gurdwara|Mandir|Cathedral|Chapel|School|Academy|College|University|Charity|"
    r"Foundation|Partnership|Team|Campaign|Alliance|Federation|Board|Committee|Union|Institute|Chaplaincy|Chaplain|"
    r"Hub|Officer|Lead|Co-?ordinator|Manager|Worker|Advis[eo]r|Liaison|Priest|Vicar|Minister|Curate|Deacon|Rector)"
    r"(?:[ \t]+(?:of|for)(?:[ \t]+(?:the[ \t]+)?[A-Z][\w'&.-]*){1,4})?[ \t.,]*$|"
    r"^[ \t]*(?:Rabbi|Imam|Rev(?:erend|d)?\.?|Father|Fr\.?|Sister|Pastor|Canon|Bishop|Sheikh|Shaykh|Pandit|Giani|"
    r"Bhai|Maulana|Mufti)[ \t]")
#: What separates the parts of a signature's line ("Imam, Hadley Masjid | 01632 960777").
_SEGMENT = re.compile(r"[,|;]|[ \t][–—-][ \t]")
#: What signatures hold besides names, titles and contact details: office hours, pronouns, a call to follow the
#: sender's team online, what the e-mail or the body is (the environment line, "X is a registered charity"). Such
#: a line may hold a '!' or a clause.
_SIGNATURE_EXTRA = re.compile(
    r"[ \t]*(?:\(?(?:she|he|they)[ \t]*/[ \t]*(?:her|him|them|they)\)?|"
    r"(?:follow|find|like|join|connect with)[ \t]+us\b|visit[ \t]+(?:us|our)\b|(?:my[ \t]+)?(?:pronouns|"
    r"working[ \t]+(?:days|hours|pattern)|office[ \t]+hours|opening[ \t]+hours)\b|"
    r"please[ \t]+note[ \t]+(?:that[ \t]+)?(?:my|this|our)\b|please[ \t]+consider[ \t]+the[ \t]+environment\b|"
    r"think[ \t]+before[ \t]+you[ \t]+print|please[ \t]+(?:do[ \t]+not|don't)[ \t]+(?:reply|respond|use)\b|"
    r"we[ \t]+are[ \t]+open\b|this[ \t]+(?:e-?mail|message|mailbox)\b|official(?:[ \t]*-[ \t]*sensitive)?[ \t]*:|"
    r"(?:(?-i:[A-Z])[\w&'.-]*[ \t]+){1,6}is[ \t]+(?:a|an|part[ \t]+of)[ \t]+(?:[\w-]+[ \t]+){0,3}?"
    r"(?:registered|charity|company|trust|member|provider|academy|school)\b)[^\n]{0,200}",
    re.IGNORECASE)
#: "I work Mon-Wed", "Please note that I am not working on Fridays": the days and hours alone, so that "I work at the
#: Spar on Mondays and a man told me to go home" stays.
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[\w.]*"
_WORKING_DAYS_LINE = re.compile(
    rf"[ \t]*(?:please[ \t]+note[ \t]*,?[ \t]+(?:that[ \t]+)?)?i(?:[ \t]+am|'m)?"
    rf"(?:[ \t]+(?:do[ \t]+not|don't|am[ \t]+not))?"
    rf"[ \t]+work(?:ing)?(?:[ \t,:;&/()]+(?:on|at|from|in|and|to|only|part[- ]time|full[- ]time|flexibly|home|"
    rf"mornings?|afternoons?|hours|days|weekdays|weekends|{_DAY}(?:[–-]{_DAY})?|\d[\w:.–-]*))*"
    rf"[ \t)]*(?:[ \t,]+(?:so|and)[ \t]+(?:i[ \t]+)?(?:may|might|will|can)(?:[ \t]+not)?[ \t]+"
    rf"(?:reply|respond|answer)[a-z \t]{{0,40}})?[ \t.]*",
    re.IGNORECASE)
#: A line with this many words in capitals or more, over half its words, is shouted text, not a name ("NHS ICB").
NAME_MAX_CAPITALS = 3
#: Contact details, or any other .co.uk, .org or .com address: a line of a signature that is not a name or a title.
_CONTACT = re.compile(rf"{_CONTACT_DETAILS}|\.co\.uk\b|\.(?:org|com)\b")
#: Words that join the capitalised words of a name, a job title or an organisation ("Head of Year", "Centre for"),
#: and pronouns given after a name ("Sam Lee (she/her)").
_JOINING_WORDS = frozenset("of and & the for at in on to by behalf - – — | / + she/her he/him they/them she/they "
                           "he/they".split())


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
    text = text.translate(PLAIN_WHITESPACE)  # one character for one: every span stays where it was
    if "\n" not in text and "\r" not in text:
        return []
    lines = _lines(text)
    edits: list[tuple[int, int, str]] = []
    index = words_before = 0
    while index < len(lines):
        start, end = lines[index]
        line = text[start:end]
        fields = _header_fields(text, lines, index)
        if len(fields) >= 2:
            edits += _header_edits(text, lines[index : index + len(fields)], fields)
            index += len(fields)
            continue
        if _SEPARATOR_LINE.fullmatch(line) or _WROTE_LINE.fullmatch(line) or _APP_LINE.fullmatch(line):
            edits.append((start, _line_end(text, end), ""))
        elif words_before >= SIGNED_MIN_WORDS_BEFORE and line.strip():
            last = _signature_end(text, lines, index, words_before)
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


def _header_fields(text: str, lines, index: int) -> list[str]:
    """The fields of the header lines in a row from line ``index``, each field once (three "From:" lines in a row
    are texts pasted one under another, not a header)."""
    fields: list[str] = []
    while index + len(fields) < len(lines):
        field = _header_field(text[slice(*lines[index + len(fields)])])
        if field is None or field in fields:
            break
        fields.append(field)
    return fields


def _header_field(line: str) -> str | None:
    """The field of ``line`` when it is a header line ("from", "sent", ...), or None: a list of names or mailboxes
    in an address field, a date in a date field, no slur anywhere ("To: the black bastard at number 9" is a note's
    abuse, not a header)."""
    match = _HEADER_LINE.fullmatch(line)
    if not match:
        return None
    field, value = match.group(1).lower(), match.group(2).strip(" \t*")
    if field in _ADDRESS_FIELDS and not all(map(_addressee, re.split(r"[;,]", value))):
        return None
    if field in _DATE_FIELDS and value and not _DATE_LIKE.search(value):
        return None
    return None if packaged_lexicon().find(line) else field


def _addressee(item: str) -> bool:
    """Whether ``item`` of a header's list is a mailbox or a name ("Jo <jo@x.org>", "Community Safety Team")."""
    if "@" in item:
        return True
    words = _ANGLE_ADDRESS.sub(" ", item).split()
    return len(words) <= ADDRESS_MAX_WORDS and not _CLAUSE_WORD.search(item) and (
        not words or words[0][:1].isupper() or len(words) <= 3 or bool(_SIGNATURE_MARK.search(item)))


def _header_edits(text: str, block, fields: list[str]) -> list[tuple[int, int, str]]:
    """The edits of a header block (its lines ``block`` of ``fields``): every line but the subject's text ("(no
    subject)" goes too) and header lines too long to be one (a list of names and mailboxes is never too long: each
    was checked)."""
    edits = []
    for (start, end), field in zip(block, fields, strict=True):
        subject = _SUBJECT.match(text, start, end)
        if subject and not _NO_SUBJECT.fullmatch(text, subject.end(), end):
            if subject.end() > start:
                edits.append((start, subject.end(), ""))
        elif (subject or field in _ADDRESS_FIELDS
              or len(text[start:end].split()) <= HEADER_LINE_MAX_WORDS):
            edits.append((start, _line_end(text, end), ""))
    return edits


def _signature_end(text: str, lines, index: int, words_before: int) -> int | None:
    """The last line of the signature that starts at line ``index`` after ``words_before`` words of report text,
    or None when none does: a sign-off line, or a line after a blank one that starts a block holding a job title, a
    team or contact details; the block runs to the end of the text or to a forwarded message, and reads as a
    signature (:func:`_reads_as_signature`)."""
    first = text[slice(*lines[index])]
    signed_off = bool(_SIGN_OFF_LINE.fullmatch(first))
    if not signed_off and (words_before < SIGNATURE_MIN_WORDS_BEFORE or index == 0
                           or text[slice(*lines[index - 1])].strip() or not _name_like(first)
                           or len(re.split(r"[|,]", first, maxsplit=1)[0].split()) > UNSIGNED_FIRST_LINE_MAX_WORDS):
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
    """Whether the non-empty lines ``block`` under a sign-off (``signed_off``) or on their own are a signature: a
    name first, then names, titles, contact details and the lines signatures hold (office hours, pronouns); no
    quotation, question, exclamation, postscript, slur or clause, and nothing said of people by faith or origin
    but the name of a body ("Hadley Muslim Association")."""
    if not block:
        return signed_off
    if len(block) > SIGNATURE_MAX_LINES or not _name_like(block[0]):
        return False
    if not signed_off and not any(_SIGNATURE_MARK.search(line) for line in block):
        return False  # without a sign-off, a title, a team or contact details tell it from report text
    for position, line in enumerate(block):
        if len(line.split()) > SIGNATURE_LINE_MAX_WORDS or _POSTSCRIPT.match(line):
            return False
        extra = bool(_SIGNATURE_EXTRA.fullmatch(line) or _WORKING_DAYS_LINE.fullmatch(line))
        if not extra and (_REPORT_LIKE.search(line) or not _signature_line(line, signed_off)):
            return False
        if not (position == 0 and _personal_name(line)) and not all(map(_names_a_body, _SEGMENT.split(line))):
            return False  # a sentence or a slogan about people by faith or origin: report text
    return not packaged_lexicon().find("\n".join(block))


def _signature_line(line: str, signed_off: bool) -> bool:
    """Whether ``line`` may stand in a signature: a name, a title or an organisation, contact details, or (under a
    sign-off) a short line with no clause ("Safer neighbourhoods team", "Working together for a safer Hadley")."""
    if _name_like(line) or _CONTACT.search(line):
        return True
    return signed_off and len(line.split()) <= TITLE_LINE_MAX_WORDS and not _CLAUSE_WORD.search(line)


def _names_a_body(segment: str) -> bool:
    """Whether ``segment`` of a signature's line says nothing of people by faith, origin or the conflict, or only
    names a body or a person by title ("Hadley Muslim Association", "Parish Priest", "Rabbi Ruth Adler")."""
    if not (_PEOPLE_GROUPS.intersection(term_groups(segment)) or _CONFLICT_WORD.search(segment)):
        return True
    return _name_like(segment) and bool(_ORGANISATION_OR_TITLE.search(segment))


def _words(line: str) -> list[str]:
    """The words of a name, a title or an organisation (separators such as '|' and ',' are none)."""
    return re.findall(r"[^\s|,()]+", line)


def _personal_name(line: str) -> bool:
    """Whether ``line`` is a person's name alone: two to four capitalised words and no joining word ("Jo White",
    "Dr Amira Black"), which may be a word that names a group."""
    words = line.split()
    return 2 <= len(words) <= 4 and all(word[:1].isupper() for word in words)


def _name_like(line: str) -> bool:
    """Whether ``line`` is a name, a job title or an organisation: capitalised words (initials, post-nominals,
    numbers, e-mail addresses) and the words that join them."""
    words = _words(line)
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
                or len(_header_fields(text, lines, position)) >= 2)
