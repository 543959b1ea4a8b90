"""CSV files for people: no cell that a spreadsheet would run as a formula.

Handles, profile links, post texts and even account ids come from the platforms' users, and
a cell such as ``=HYPERLINK("http://evil","click")`` or ``+cmd|' /C calc'!A0`` in
``takedown.csv`` is a formula once the file is opened in Excel, LibreOffice or Google
Sheets. Every CSV meant for people is written here, and a text cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP's rule
against CSV injection), which the spreadsheet shows as text. Numbers stay numbers: numeric
columns are written as they are, and a text cell that is a plain number (``-100123``, a
Telegram chat id) cannot be a formula and is left alone.

The same rows stay untouched in Parquet files beside the CSVs, for programs.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

# Both patterns are read the same by Python's re and by Arrow's RE2.
_FORMULA_START = r"^[=+\-@\t\r]"
_PLAIN_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_formula_start = re.compile(_FORMULA_START)
_plain_number = re.compile(_PLAIN_NUMBER)


def neutralise(value: str) -> str:
    """``value`` as a spreadsheet shows it as text: ``'`` before a formula's first sign."""
    if _formula_start.match(value) and not _plain_number.match(value):
        return "'" + value
    return value


def _neutralise_column(col: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return col
    formula = pc.and_(
        pc.match_substring_regex(col, _FORMULA_START),
        pc.invert(pc.match_substring_regex(col, _PLAIN_NUMBER)),
    )
    return pc.if_else(formula, pc.binary_join_element_wise("'", col, ""), col)


def neutralise_table(table: pa.Table) -> pa.Table:
    """``table`` with every text cell neutralised; other columns as they are."""
    return pa.table([_neutralise_column(c) for c in table.columns], names=table.column_names)


def write_table(table: pa.Table, path: Path) -> Path:
    """Write an Arrow table as a CSV file for people."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(neutralise_table(table), path)
    return path


def write_rows(rows: Iterable[Mapping[str, Any]], path: Path, columns: Sequence[str]) -> Path:
    """Write dict rows (the keys ``columns``) as a CSV file for people."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        for row in rows:
            w.writerow({k: neutralise(v) if isinstance(v, str) else v for k, v in row.items()})
    return path
