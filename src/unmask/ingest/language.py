"""Offline language detection for texts whose export gives no language (py3langid's model,
scored in compiled batches: ``unmask.ingest.langid_kernel``).

Links, mentions and hashtags are removed first (they say nothing about the language), and
a guess below ``MIN_CONFIDENCE`` is left empty rather than stored as a fact.
"""

from __future__ import annotations

import contextlib
import re

import duckdb
import pyarrow as pa

MIN_CONFIDENCE = 0.5
MIN_LETTERS = 3
_NOISE = re.compile(r"https?://\S+|[@#＃][\w]+|\bRT\b", re.UNICODE)
# MIN_LETTERS letters (str.isalpha: a word character that is not a digit or "_"), found
# without counting them all.
_ENOUGH_LETTERS = re.compile(r"[^\W\d_]" + r"(?:.*?[^\W\d_])" * (MIN_LETTERS - 1), re.S)


def detect_languages(texts: list[str | None]) -> list[str | None]:
    """ISO 639-1 code of each text's language, or None when too short or unsure. Each
    distinct text is classified once, all of them in one compiled batch."""
    distinct: dict[str, str | None] = {}
    todo: list[str] = []
    cleaned: list[str] = []
    for text in texts:
        if text and text not in distinct:
            distinct[text] = None
            clean = _NOISE.sub(" ", text)
            if _ENOUGH_LETTERS.search(clean):
                todo.append(text)
                cleaned.append(clean)
    if not todo:
        return [distinct[t] if t else None for t in texts]
    # The compiled kernel (numba, numpy) is loaded when a text first needs it: most exports
    # give their language, and loading it takes a tenth of a second of every ingest.
    from unmask.ingest.langid_kernel import classify_batch

    for text, (lang, prob) in zip(todo, classify_batch(cleaned), strict=True):
        distinct[text] = lang if prob >= MIN_CONFIDENCE else None
    return [distinct[t] if t else None for t in texts]


def detect_language(text: str | None) -> str | None:
    """The language of one text (see :func:`detect_languages`)."""
    return detect_languages([text])[0]


def _udf(texts: pa.Array) -> pa.Array:
    return pa.array(detect_languages(texts.to_pylist()), type=pa.string())


def register_language_udf(con: duckdb.DuckDBPyConnection) -> None:
    """Define ``unmask_language(text)`` on the connection (vectorised over Arrow batches)."""
    # Defining it twice on one connection raises; the first definition stands.
    with contextlib.suppress(duckdb.NotImplementedException):
        con.create_function(
            "unmask_language",
            _udf,
            [duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("VARCHAR"),
            type="arrow",
            side_effects=False,
            null_handling="special",
        )
