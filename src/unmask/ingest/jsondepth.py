"""JSON documents with values nested too deep for Python's parser.

``json.loads`` recurses once per level of nesting and raises ``RecursionError`` past about
a thousand levels: one record nested 200,000 deep would stop a whole export. :func:`loads`
parses such a document anyway, with each value that lies deeper than :data:`MAX_DEPTH`
levels replaced by a marker object that holds that value's text
(``{"__unmask_too_deep__": "[[[..."}``), so that the record around it can be quarantined
alone, with nothing of it lost. :func:`too_deep` finds a marker in a record.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Far deeper than any export nests (a dozen levels at most), far shallower than Python's
# recursion limit, so that every object :func:`loads` returns can be walked and dumped.
MAX_DEPTH = 256
MARKER = "__unmask_too_deep__"

# A JSON string (escapes included) or a bracket: brackets inside strings are not structure.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def loads(text: str | bytes) -> tuple[Any, bool]:
    """The parsed document, and whether some value in it was too deep (and replaced)."""
    try:
        return json.loads(text), False
    except RecursionError:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        return json.loads(_cut_deep(text)), True


def _cut_deep(text: str) -> str:
    """The document with every outermost value deeper than MAX_DEPTH replaced by a marker."""
    out: list[str] = []
    depth, start, done = 0, -1, 0
    for m in _TOKEN.finditer(text):
        token = m.group()
        if token in "[{":
            depth += 1
            if depth == MAX_DEPTH and start < 0:
                start = m.start()
        elif token in "]}":
            depth -= 1
            if depth == MAX_DEPTH - 1 and start >= 0:
                out += [text[done:start], json.dumps({MARKER: text[start : m.end()]})]
                done, start = m.end(), -1
    if start >= 0:  # never closed: the document is broken there; json says where
        out += [text[done:start], json.dumps({MARKER: text[start:]})]
        done = len(text)
    out.append(text[done:])
    return "".join(out)


def too_deep(value: Any) -> str | None:
    """Where in ``value`` a too-deep value was cut out by :func:`loads` (a path such as
    ``text_entities[0].text``), or None."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            if MARKER in item:
                # [0][0][0]... two hundred and fifty-six times says no more than its start
                return (path if len(path) <= 60 else path[:57] + "...") or "the record"
            stack += [(v, f"{path}.{k}" if path else str(k)) for k, v in item.items()]
        elif isinstance(item, list):
            stack += [(v, f"{path}[{i}]") for i, v in enumerate(item)]
    return None


def describe(value: Any) -> str:
    """What a JSON value is, for a reason: "a JSON object", "a JSON number", ..."""
    kind = {
        dict: "object",
        list: "array",
        str: "string",
        bool: "boolean",
        int: "number",
        float: "number",
        type(None): "null",
    }.get(type(value), type(value).__name__)
    return f"a JSON {kind}"
