"""A tolerant CSV record splitter: the reader of last resort for files DuckDB will not read.

DuckDB's CSV reader is fast, but one broken record can make it refuse the whole file (a
dialect it cannot sniff: mixed CRLF/LF line endings, a lone carriage return) or read the
rest of the file as a single record (a quote that is never closed). ``unmask`` reads every
CSV with DuckDB first and, when it fails or rejects anything, reads the file again with
this splitter (``unmask.ingest.tabular``), which decides for each record on its own:

* records are RFC 4180: fields separated by the delimiter, optionally in double quotes
  (doubled to escape one); a quoted field may hold delimiters and line breaks; a quote
  inside an unquoted field is kept as it is (as DuckDB does);
* a record ends at a line feed (CRLF or LF, mixed freely) outside quotes; a lone carriage
  return is data (in files that hold no line feed at all, it ends the record: old Mac files);
  blank lines are no records;
* a record is bad, and quarantined alone with its line and the reason, when it has another
  number of fields than the header, text after a closing quote, a field that is not valid
  in the file's encoding, or more than :data:`MAX_RECORD_CHARS` characters;
* a quote that is not closed by the end of the file, or within :data:`MAX_RECORD_CHARS`,
  breaks only its own line: that line is the bad record, and reading goes on with the next
  line, so that one stray quote never swallows the records after it.

The raw text of a bad record is kept whole (bytes not valid in the encoding written as
``\\xNN``).
"""

from __future__ import annotations

import gzip
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# The longest record read (the limit DuckDB's reader is given too): a longer one is
# quarantined, and a quote still open after this many characters is taken as never closed.
MAX_RECORD_CHARS = 16 * 1024 * 1024

# Bytes that are not valid in the file's encoding, as ``surrogateescape`` decodes them.
_UNDECODABLE = re.compile("[\udc80-\udcff]")


@dataclass
class BadRecord:
    """A record that cannot be read: its number among the file's records, its first
    physical line, the field (column name) the problem is in, why, and its text."""

    row: int
    line: int
    field: str | None
    reason: str
    raw: str


class CsvSyntaxError(Exception):
    """The header itself cannot be read: there is no table to speak of."""


@dataclass
class _Line:
    number: int
    text: str
    end: str  # the terminator ("\n", "\r\n", "\r" or "" at the end of the file)


class CsvRecords:
    """The records of a CSV file with a header line.

    Iterating yields ``(row, fields)`` for every good record, in file order (``row`` is the
    record's number, 1-based, the header not counted; empty fields are None); the bad ones
    are collected in :attr:`bad`. :attr:`header` holds the header's fields.
    """

    def __init__(self, path: Path, delimiter: str, encoding: str | None = None) -> None:
        self.path, self.delimiter = path, delimiter
        self.encoding = encoding or "utf-8"
        self.bad: list[BadRecord] = []
        self._pending: deque[_Line] = deque()
        self._fh = self._open()
        self._lines = self._physical_lines(self._fh)
        first = self._next_record()
        if first is None:
            self._fh.close()
            raise CsvSyntaxError("the file is empty")
        fields, problem, _raw = first[1:]
        if fields is None:
            self._fh.close()
            raise CsvSyntaxError(f"its header line cannot be read: {problem}")
        self.header = ["" if f is None else f for f in fields]

    def close(self) -> list[str]:
        """Stop reading (after the header, say); returns the header."""
        self._fh.close()
        return self.header

    def _open(self) -> IO[str]:
        opener = gzip.open if self.path.suffix == ".gz" else open
        with opener(self.path, "rb") as fh:
            head = fh.read(1 << 16)
        # A file without any line feed that has carriage returns ends its records with them.
        newline = "\r" if b"\n" not in head and b"\r" in head else "\n"
        encoding = (
            "utf-8-sig"
            if self.encoding.replace("_", "-").lower() in ("utf-8", "utf8")
            else self.encoding
        )
        return opener(  # type: ignore[return-value]
            self.path, "rt", encoding=encoding, errors="surrogateescape", newline=newline
        )

    @staticmethod
    def _physical_lines(fh: IO[str]) -> Iterator[_Line]:
        for number, text in enumerate(fh, 1):
            if text.endswith("\r\n"):
                yield _Line(number, text[:-2], "\r\n")
            elif text.endswith(("\n", "\r")):
                yield _Line(number, text[:-1], text[-1])
            else:
                yield _Line(number, text, "")

    def _line(self) -> _Line | None:
        if self._pending:
            return self._pending.popleft()
        return next(self._lines, None)

    def __iter__(self) -> Iterator[tuple[int, list[str | None]]]:
        row = 0
        width = len(self.header)
        try:
            while (record := self._next_record()) is not None:
                row += 1
                line, fields, problem, raw = record
                if fields is not None and len(fields) != width:
                    # Named: the first field missing, or the last one, that more follow.
                    column = min(len(fields), width - 1)
                    problem = (f"{len(fields)} fields where the header has {width}", column)
                    fields = None
                if fields is not None:
                    yield row, fields
                    continue
                assert problem is not None
                reason, column = problem
                name = self.header[column] if column is not None and column < width else None
                self.bad.append(BadRecord(row, line, name or None, reason, _shown(raw)))
        finally:
            self._fh.close()

    def _next_record(
        self,
    ) -> tuple[int, list[str | None] | None, tuple[str, int | None] | None, str] | None:
        """The next record: its first line, and its fields, or the problem and the field it
        is in (by position); and its text."""
        first = self._line()
        while first is not None and first.text == "":
            first = self._line()  # blank lines are no records
        if first is None:
            return None
        text = first.text
        if '"' not in text:
            fields = [f or None for f in text.split(self.delimiter)]
            return first.number, *_checked(fields, text)
        fields, problem, used = self._quoted(first)
        if problem is not None and used:
            # The record's quotes do not hold: only its first line is taken as broken, and
            # the lines it ran into are read again as records of their own.
            self._pending.extendleft(reversed(used))
            reason = f"{problem[0]}; only this line is quarantined, the lines after it are read on"
            return first.number, None, (reason, problem[1]), text
        whole = text if not used else _joined(first, used)
        if problem is not None:
            return first.number, None, problem, whole
        return first.number, *_checked(fields, whole)

    def _quoted(
        self, first: _Line
    ) -> tuple[list[str | None], tuple[str, int | None] | None, list[_Line]]:
        """Split a record that holds a quote, reading more lines while a quoted field is open.

        Returns the fields, the problem if any, and the lines read after ``first``."""
        delim, buf, used = self.delimiter, first.text, []
        fields: list[str | None] = []
        end = first.end
        pos = 0
        while True:
            if not buf.startswith('"', pos):
                cut = buf.find(delim, pos)
                if cut < 0:
                    fields.append(buf[pos:] or None)
                    return fields, None, used
                fields.append(buf[pos:cut] or None)
                pos = cut + len(delim)
                continue
            scan = pos + 1
            while (close := _closing_quote(buf, scan)) < 0:
                scan = len(buf)
                more = self._line() if len(buf) <= MAX_RECORD_CHARS else None
                if more is None:
                    return fields, (_unclosed(len(fields), len(buf)), len(fields)), used
                used.append(more)
                buf = buf + end + more.text
                end = more.end
            fields.append(buf[pos + 1 : close].replace('""', '"') or None)
            pos = close + 1
            if pos == len(buf):
                return fields, None, used
            if not buf.startswith(delim, pos):
                where = f" on line {used[-1].number}" if used else ""
                reason = (
                    f"field {len(fields)}: text after its closing quote{where} "
                    f"({buf[pos : pos + 20]!r}); a quote inside a quoted field is written twice"
                )
                return fields, (reason, len(fields) - 1), used
            pos += len(delim)
            if pos == len(buf):
                fields.append(None)
                return fields, None, used


def _closing_quote(buf: str, i: int) -> int:
    """The position of the quote that closes a quoted field scanned from ``i``, or -1."""
    while True:
        j = buf.find('"', i)
        if j < 0:
            return -1
        if buf.startswith('"', j + 1):
            i = j + 2  # a doubled quote: one quote in the value
            continue
        return j


def _unclosed(index: int, length: int) -> str:
    where = (
        "before the end of the file"
        if length <= MAX_RECORD_CHARS
        else f"within {MAX_RECORD_CHARS:,} characters"
    )
    return f"field {index + 1}: the quote that opens it is not closed {where}"


def _joined(first: _Line, used: list[_Line]) -> str:
    parts = [first.text]
    end = first.end
    for line in used:
        parts += [end, line.text]
        end = line.end
    return "".join(parts)


def _checked(
    fields: list[str | None], text: str
) -> tuple[list[str | None] | None, tuple[str, int | None] | None, str]:
    """The fields of a record whose quotes hold, unless it is too long or not decodable."""
    if len(text) > MAX_RECORD_CHARS:
        longest = max(range(len(fields)), key=lambda i: len(fields[i] or ""))
        reason = (
            f"the record has {len(text):,} characters, more than the {MAX_RECORD_CHARS:,} "
            f"a record may have (field {longest + 1} alone has {len(fields[longest] or ''):,})"
        )
        return None, (reason, longest), text
    if _UNDECODABLE.search(text):
        at = next(i for i, f in enumerate(fields) if f and _UNDECODABLE.search(f))
        return None, (f"field {at + 1}: bytes that are not valid in the file's encoding", at), text
    return fields, None, text


def _shown(raw: str) -> str:
    """A record's text for the quarantine: undecodable bytes written as ``\\xNN``."""
    if not _UNDECODABLE.search(raw):
        return raw
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def duckdb_column_names(header: list[str]) -> list[str]:
    """Column names as DuckDB's CSV reader makes them from a header: trimmed, ``column<i>``
    for an empty one, and ``_1``, ``_2`` ... added to repeats (compared without case)."""
    seen: set[str] = set()
    out = []
    for i, raw in enumerate(header):
        base = raw.strip() or f"column{i}"
        name, k = base, 0
        while name.lower() in seen:
            k += 1
            name = f"{base}_{k}"
        seen.add(name.lower())
        out.append(name)
    return out
