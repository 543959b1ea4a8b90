"""Text from the store written into Markdown as text: no link, image, HTML or layout.

Post texts, handles, hashtags, kinds and paths reach ``report.md``. In Markdown,
``[x](javascript:alert(1))`` is a link, ``![](http://evil/img)`` an image fetched when the
file is shown, ``<script>`` HTML, and on GitHub a bare ``www.`` or ``http://`` address, an
e-mail address and an ``@name`` become links too. :func:`escape` makes every such value
plain text with CommonMark's backslash escapes (which any renderer shows as the character
itself); :func:`code` writes a value as a code span, inside which nothing is markup.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

# Characters that start inline markup (emphasis, code, links and images, HTML and
# autolinks, tables, strikethrough, entities, mentions and e-mail links).
_INLINE = re.compile(r"([\\`*_\[\]<>|~&@])")
# What makes a block when it starts a line: a heading, a list item, a setext underline.
_BLOCK_START = re.compile(r"^(\s*)([#+=-])|^(\s*\d+)([.)])(?=\s|$)")
# GitHub's extended autolinks: www.example.com and scheme://...
_AUTOLINK = re.compile(r"(?i)\b(www)\.|(:)(//)")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def escape(value: Any) -> Any:
    """A template value as Markdown text (a :class:`Markup` value is taken as it is)."""
    if not isinstance(value, str) or isinstance(value, Markup):
        return value
    text = _NEWLINES.sub(" ", value)
    text = _INLINE.sub(r"\\\1", text)
    text = _AUTOLINK.sub(lambda m: f"{m[1]}\\." if m[1] else "\\://", text)
    return _BLOCK_START.sub(lambda m: (m[1] or m[3] or "") + "\\" + (m[2] or m[4]), text)


def code(value: Any) -> Markup:
    """``value`` as an inline code span, fenced by more backticks than it holds in a row."""
    text = _NEWLINES.sub(" ", str(value))
    fence = "`" * (1 + max((len(r) for r in re.findall(r"`+", text)), default=0))
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")
