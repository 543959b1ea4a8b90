"""SQL helpers shared by the X/Twitter adapters (``twitter_io``, ``x_api_v2``, ``ira_538``).

No adapter lives here: the registry imports this module and finds nothing to register.
"""

from __future__ import annotations

from collections.abc import Sequence

from unmask.engine.sql import literal as lit

PLATFORM = "x"

# Twitter's language codes that say "no language" (undetermined, no linguistic content) or
# only what a tweet is made of (qme: media only, qht: hashtags only, qam: mentions only,
# qct: cashtags only, qst: very short text).
_NO_LANGUAGE = ("und", "zxx", "xx")
# Legacy codes Twitter kept using after ISO 639 replaced them.
_LEGACY_LANGUAGE = {"in": "id", "iw": "he", "ji": "yi", "jw": "jv", "mo": "ro"}


def errors(checks: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """SQL for ``_error`` and ``_field`` from ``(field, error expression)`` pairs.

    Each error expression is NULL when its field is fine. All the problems of a record are
    reported (joined by ``; ``), and ``_field`` names every field that has one.
    """
    if not checks:
        return "CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)"
    error = "nullif(concat_ws('; ', " + ", ".join(e for _, e in checks) + "), '')"
    field = (
        "nullif(concat_ws(',', "
        + ", ".join(f"CASE WHEN ({e}) IS NOT NULL THEN {lit(f)} END" for f, e in checks)
        + "), '')"
    )
    return error, field


def language_sql(expr: str, *, keep_region: bool = False) -> str:
    """A Twitter language code as an ISO 639-1 code (NULL for "undetermined" and the like).

    ``keep_region`` keeps a region or script subtag (``zh-cn``, ``en-gb``), which says more
    about an account's interface setting than about a text.
    """
    lang = f"lower(trim(CAST({expr} AS VARCHAR)))"
    legacy = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in _LEGACY_LANGUAGE.items())
    primary = f"CASE split_part({lang}, '-', 1) {legacy} ELSE split_part({lang}, '-', 1) END"
    region = f"CASE WHEN contains({lang}, '-') THEN '-' || split_part({lang}, '-', 2) ELSE '' END"
    value = f"{primary} || {region}" if keep_region else primary
    none = ", ".join(lit(v) for v in _NO_LANGUAGE)
    return (
        f"CASE WHEN {lang} IS NULL OR {lang} IN ('', {none}) "
        f"OR regexp_full_match({lang}, 'q[a-z]{{2}}') THEN NULL ELSE {value} END"
    )


# One element of a list written as text: a '…' or "…" quoted string, or a bare run up to the
# next comma.
_LIST_ITEM = r"""'[^']*'|"[^"]*"|[^,'"\s][^,]*"""


def text_list_sql(expr: str) -> str:
    """A list written as text (``[a, b]``, ``['a', 'b']``, ``["it's"]``, ``[]``) as a SQL list.

    An empty value is NULL (the export says nothing), ``[]`` is the empty list.
    """
    inner = f"regexp_replace(trim({expr}), '^\\[|\\]$', '', 'g')"
    items = f"regexp_extract_all({inner}, {lit(_LIST_ITEM)})"
    cleaned = f"list_transform({items}, lambda x: trim(trim(x), '''\"'))"
    return (
        f"CASE WHEN unmask_str({expr}) IS NULL THEN NULL "
        f"ELSE list_filter({cleaned}, lambda x: x <> '') END"
    )
