"""What e-mail and web forms wrap around a report: HTML tags and entities, attachment tags, e-mail disclaimers.

Reports pasted from an HTML e-mail or a web form arrive as ``<p>A&nbsp;parent&nbsp;reported...</p>``, with
``[cid:image001.png@01D9...]`` where a screenshot was, and a confidentiality notice below. Read as words, the
markup hides the report's own words ("A&nbsp;parent" is one unknown token) and the notice outweighs a short
report. :func:`markup_edits` finds those stretches; the preprocessing replaces each by its text (an entity by
its character, a block tag by a line break) or drops it, keeping where every remaining character was written.
"""

from __future__ import annotations

import html
import re

#: HTML elements found in e-mail and web-form bodies. Only these count as tags, so that "<insert name>" or
#: "a < b > c" in a report stays as written. Block elements end a line (their text is a paragraph of its own);
#: inline ones are dropped, so that "<b>p</b>aki" is read as the word it shows.
_BLOCK_TAGS = (
    "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h[1-6]", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
)
_INLINE_TAGS = (
    "a", "abbr", "b", "big", "cite", "code", "col", "colgroup", "del", "em", "font", "i", "img", "ins", "label",
    "link", "mark", "meta", "nobr", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u",
    "wbr", "[a-z][a-z0-9]*:[a-z][a-z0-9]*",  # Office's own: o:p, v:shape, w:sdt, st1:place
)
#: Attributes: names, each with a value or none; a quoted value may hold '>'. One pass, no backtracking between
#: ways of reading them (linear time). At most :data:`MAX_BARE_ATTRIBUTES` may go without a value (``<td nowrap>``):
#: "<u r not welcome here>" or "<I hate them>" is text in angle brackets, not a tag.
_ATTRIBUTES = r"""(?:\s+[\w:.-]+(?:\s*=\s*(?:"[^"<]{0,500}"|'[^'<]{0,500}'|[^\s"'<>]{1,500}))?){0,100}\s*/?"""
_VALUE = re.compile(r"""\s*=\s*(?:"[^"<]*"|'[^'<]*'|[^\s"'<>]+)""")
MAX_BARE_ATTRIBUTES = 1
_BLOCK_TAG = re.compile(rf"</?(?:{'|'.join(_BLOCK_TAGS)})(?=[\s/>]){_ATTRIBUTES}>", re.IGNORECASE)
_INLINE_TAG = re.compile(rf"</?(?:{'|'.join(_INLINE_TAGS)})(?=[\s/>]){_ATTRIBUTES}>", re.IGNORECASE)
#: Word's conditional comments around list bullets: "<![if !supportLists]>", "<![endif]>".
_CONDITIONAL = re.compile(r"<!\[(?:if|endif)[^\]<>]{0,200}\]>", re.IGNORECASE)
#: Where an element whose content is not text of the report (a style sheet, a script, the head) or a comment
#: starts, and the end of the markup that closes it.
_HIDDEN_START = re.compile(r"<(style|script|head)\b[^<>]{0,500}>|<!--", re.IGNORECASE)
_HIDDEN_END = {"style": re.compile(r"</style\s*>", re.IGNORECASE), "script": re.compile(r"</script\s*>", re.IGNORECASE),
               "head": re.compile(r"</head\s*>", re.IGNORECASE), None: re.compile(r"-->")}
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
#: Where an e-mail held a picture: Outlook's "[cid:image001.png@01D9A1B2.3C4D5E60]", Gmail's "[image: photo.jpg]".
_ATTACHMENT = re.compile(r"\[(?:cid:[^\]\s]{1,300}|image:[^\]\n]{0,300})\]", re.IGNORECASE)
#: The first line of an e-mail disclaimer; the disclaimer runs from there to the next blank line.
_DISCLAIMER_START = (
    r"disclaimer\s*:",
    r"confidentiality (?:notice|statement|warning)",
    r"this (?:e-?mail|message|communication)(?:,? (?:and|including) any (?:attachments?|files?)[^.\n]{0,80})?"
    r",? (?:is|are|and any|may (?:be|contain)|contains?) (?:strictly )?(?:confidential|private|privileged|"
    r"intended (?:solely|only) for)",
    r"the information (?:contained )?in this (?:e-?mail|message|communication)",
    r"if you (?:have received this (?:e-?mail|message|communication) in error|are not the intended recipient)",
    r"please consider the environment before printing",
)
_DISCLAIMER = re.compile(rf"^[ \t>]*(?:{'|'.join(_DISCLAIMER_START)})[^\n]*(?:\n(?![ \t>\r]*(?:\n|$))[^\n]*)*",
                         re.IGNORECASE | re.MULTILINE)
#: Words of a disclaimer's legal boilerplate: a paragraph is one only with at least :data:`DISCLAIMER_MIN_WORDS` of
#: them ("Disclaimer: I'm not sure this is the right place..." or "This message is private, please don't share it"
#: open a report, and stay).
_DISCLAIMER_WORDS = re.compile(
    r"\b(?:confidential\w*|intended|recipients?|addressee|notify|delete|error|privileged|disclos\w+|"
    r"distribut\w+|copying|monitored|viruses|virus|legally|prohibited|unauthori[sz]ed|views expressed|"
    r"environment before printing)\b", re.IGNORECASE)
DISCLAIMER_MIN_WORDS = 3
#: Spaces and line breaks other than ' ', '\\t', '\\n' and '\\r' as those, one character for one: text pasted from a
#: web page or a rendered e-mail has no-break spaces, and some programs end lines with U+2028.
PLAIN_WHITESPACE = str.maketrans(
    {**dict.fromkeys("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f"
                     "\u205f\u3000", " "), **dict.fromkeys("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029", "\n")})
_LONE_CR = re.compile(r"\r(?!\n)")


def markup_edits(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, replacement)`` for each stretch of ``text`` that is markup (in order, not overlapping):
    hidden HTML and comments become a space, block tags a line break, inline tags and Word's conditional comments
    nothing, attachment tags a space, an entity its character (a space for ``&nbsp;``). Unknown entities and
    anything that only looks like a tag stay.

    >>> markup_edits("<p>A&nbsp;van</p>[cid:image001.png@01D9]")
    [(0, 3, '\\n'), (4, 10, ' '), (13, 17, '\\n'), (17, 40, ' ')]
    >>> markup_edits("<u r not welcome here> and <I hate them> and a<b and b>c")
    []
    """
    if "<" not in text and "&" not in text and "[" not in text:
        return []
    found = _hidden(text)
    for pattern, replacement in ((_BLOCK_TAG, "\n"), (_INLINE_TAG, "")):
        found += [(match.start(), match.end(), replacement) for match in pattern.finditer(text)
                  if _reads_as_a_tag(match.group())]
    for pattern, replacement in ((_CONDITIONAL, ""), (_ATTACHMENT, " ")):
        found += [(match.start(), match.end(), replacement) for match in pattern.finditer(text)]
    for match in _ENTITY.finditer(text):
        character = html.unescape(match.group())
        if character != match.group():
            found.append((match.start(), match.end(), " " if character.isspace() else character))
    return _outermost(found)


def disclaimer_edits(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, "")`` for each e-mail disclaimer paragraph of ``text``: one that starts as a disclaimer does,
    after some text of the report, and runs to the next blank line with at least :data:`DISCLAIMER_MIN_WORDS` words
    of legal boilerplate ("confidential", "intended", "recipient", "notify", "delete"...).

    >>> disclaimer_edits("Leaflets on Elm Road.\\n\\nThis e-mail is confidential. If you are not the intended "
    ...                  "recipient, delete it.")
    [(23, 101, '')]
    >>> disclaimer_edits("Report.\\n\\nThis email is confidential as I fear reprisals. They spat at me.")
    []
    """
    # One character for one, so every span stays where it was: other spaces as ' ', other line breaks (and a
    # lone carriage return, an old Mac's) as a line feed.
    text = _LONE_CR.sub("\n", text.translate(PLAIN_WHITESPACE))
    if "\n" not in text:
        return []
    return [(match.start(), match.end(), "") for match in _DISCLAIMER.finditer(text)
            if text[: match.start()].strip() and len(_DISCLAIMER_WORDS.findall(match.group())) >= DISCLAIMER_MIN_WORDS]


def _reads_as_a_tag(written: str) -> bool:
    """Whether a match of the tag patterns has at most :data:`MAX_BARE_ATTRIBUTES` names without a value."""
    inner = _VALUE.sub("", written[1:-1].strip("/"))
    return len(inner.split()) - 1 <= MAX_BARE_ATTRIBUTES


def _hidden(text: str) -> list[tuple[int, int, str]]:
    """A space for each style sheet, script, head and comment of ``text`` that is closed, in linear time: once
    one kind is found unclosed, no later one of that kind can be closed either."""
    found: list[tuple[int, int, str]] = []
    unclosed: set = set()
    position = 0
    while match := _HIDDEN_START.search(text, position):
        kind = match.group(1) and match.group(1).lower()
        end = None if kind in unclosed else _HIDDEN_END[kind].search(text, match.end())
        if end is None:
            unclosed.add(kind)
            position = match.end()
            continue
        found.append((match.start(), end.end(), " "))
        position = end.end()
    return found


def _outermost(found) -> list[tuple[int, int, str]]:
    """The edits of ``found`` that lie inside no earlier or longer one (a tag inside a style sheet), in order."""
    edits: list[tuple[int, int, str]] = []
    for edit in sorted(found, key=lambda edit: (edit[0], -edit[1])):
        if not edits or edit[0] >= edits[-1][1]:
            edits.append(edit)
    return edits
