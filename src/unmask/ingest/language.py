"""Offline language detection for texts whose export gives no language (py3langid).

Links, mentions and hashtags are removed first (they say nothing about the language), and
a guess below ``MIN_CONFIDENCE`` is left empty rather than stored as a fact.
"""

from __future__ import annotations

import contextlib
import re
from functools import lru_cache

import duckdb
import pyarrow as pa

MIN_CONFIDENCE = 0.5
MIN_LETTERS = 3
_NOISE = re.compile(r"https?://\S+|[@#＃][\w]+|\bRT\b", re.UNICODE)


@lru_cache(maxsize=1)
def _identifier():
    import py3langid.langid as langid

    return langid.LanguageIdentifier.from_modelpath(
        langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True
    )


@lru_cache(maxsize=100_000)
def detect_language(text: str | None) -> str | None:
    """ISO 639-1 code of the text's language, or None when too short or unsure."""
    if not text:
        return None
    clean = _NOISE.sub(" ", text)
    if sum(ch.isalpha() for ch in clean) < MIN_LETTERS:
        return None
    lang, prob = _identifier().classify(clean)
    return lang if prob >= MIN_CONFIDENCE else None


def _udf(texts: pa.Array) -> pa.Array:
    return pa.array([detect_language(t) for t in texts.to_pylist()], type=pa.string())


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
