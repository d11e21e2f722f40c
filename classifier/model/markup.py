"""What e-mail and web forms wrap around a report: HTML tags and entities, attachment tags, e-mail disclaimers.

Reports pasted from an HTML e-mail or a web form arrive as ``<p>A&nbsp;parent&nbsp;reported...</p>``, with
``[cid:image001.png@01D9...]`` where a screenshot was, and a confidentiality notice below. Read as words, the
markup hides the report's own words ("A&nbsp;parent" is one unknown token) and the notice outweighs a short
report. :func:`markup_edits` finds those stretches; the preprocessing replaces each by its text (an entity by
its character, a tag by a space) or drops it, keeping where every remaining character was written.
"""

from __future__ import annotations

import html
import re

#: HTML elements found in e-mail and web-form bodies. Only these count as tags, so that "<insert name>" or
#: "a < b > c" in a report stays as written.
_TAGS = (
    "a", "abbr", "b", "big", "blockquote", "body", "br", "caption", "center", "code", "col", "colgroup", "dd",
    "div", "dl", "dt", "em", "font", "footer", "h[1-6]", "head", "header", "hr", "html", "i", "img", "li", "link",
    "meta", "o:p", "ol", "p", "pre", "s", "section", "small", "span", "strike", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "title", "tr", "tt", "u", "ul", "v:[a-z]+", "w:[a-z]+",
)
#: Where an element whose content is not text of the report (a style sheet, a script, the head) or a comment
#: starts, and the end of the markup that closes it.
_HIDDEN_START = re.compile(r"<(style|script|head)\b[^<>]{0,500}>|<!--", re.IGNORECASE)
_HIDDEN_END = {"style": re.compile(r"</style\s*>", re.IGNORECASE), "script": re.compile(r"</script\s*>", re.IGNORECASE),
               "head": re.compile(r"</head\s*>", re.IGNORECASE), None: re.compile(r"-->")}
_TAG = re.compile(rf"</?(?:{'|'.join(_TAGS)})(?=[\s/>])[^<>]{{0,500}}>", re.IGNORECASE)
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
_DISCLAIMER = re.compile(rf"^[ \t>]*(?:{'|'.join(_DISCLAIMER_START)})[^\n]*(?:\n(?![ \t>]*(?:\n|$))[^\n]*)*",
                         re.IGNORECASE | re.MULTILINE)


def markup_edits(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, replacement)`` for each stretch of ``text`` that is markup (in order, not overlapping):
    hidden HTML and comments, tags and attachment tags become a space, an entity its character (a space for
    ``&nbsp;``). Unknown entities and anything that only looks like a tag stay.

    >>> markup_edits("<p>A&nbsp;van</p>[cid:image001.png@01D9]")
    [(0, 3, ' '), (4, 10, ' '), (13, 17, ' '), (17, 40, ' ')]
    """
    if "<" not in text and "&" not in text and "[" not in text:
        return []
    found = _hidden(text) + [(match.start(), match.end(), " ") for pattern in (_TAG, _ATTACHMENT)
                             for match in pattern.finditer(text)]
    for match in _ENTITY.finditer(text):
        character = html.unescape(match.group())
        if character != match.group():
            found.append((match.start(), match.end(), " " if character.isspace() else character))
    return _outermost(found)


def disclaimer_edits(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, "")`` for each e-mail disclaimer paragraph of ``text`` (from its first line to the next
    blank line), in order."""
    if "\n" not in text and len(text) < 60:
        return []
    return [(match.start(), match.end(), "") for match in _DISCLAIMER.finditer(text)]


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
