"""coordination-network-toolkit's CSV input (QUT Digital Media Research Centre).

The toolkit (``pip install coordination-network-toolkit``; ``compute_networks DB preprocess
--format csv FILE``) reads a CSV with a header line and eight columns *in this order* — their
names do not matter to it, only their position:

``message_id``  the message's id on the platform (repeats: the first one is kept)
``user_id``     its author's id
``username``    the author's name (display only)
``repost_id``   when the message is a verbatim repost (retweet, reblog), the reposted
                message's id; empty otherwise
``reply_id``    when it answers a message, that message's id; empty otherwise
``message``     the text
``timestamp``   seconds, as a number (any consistent origin; fractions allowed)
``urls``        the links of the message, separated by single spaces

How it maps to the common schema: each record is an activity of ``platform`` (option,
default ``x``), ``message_id`` → ``activity_id``, ``user_id`` → ``account_id``,
``username`` → the account's ``handle``. A record with ``repost_id`` is a *share* of it, one
with ``reply_id`` (and no ``repost_id``) a *reply* to it, any other a *post*; the schema has
one parent per activity, so a record with both keeps ``repost_id``, as the toolkit's
co-retweet network does. ``timestamp`` is always read as seconds, whatever its size (the
toolkit does not know milliseconds), so small relative times (0, 59, 60, ...) are seconds
after 1970-01-01; an ISO 8601 date-time is accepted too, and any other value sends its record
to the quarantine, as does a time before 1970 or more than a year ahead (the pipeline's
plausible window, from 1970 for this format). ``urls`` is split on spaces as the toolkit splits it, but an empty field
(or the empty strings that doubled and trailing spaces leave) is *no* link — the toolkit
stores such an empty string as a URL that every message without links then shares (see
``docs/signals.md``, "Compatibility with coordination-network-toolkit"). The links are kept
as written in ``urls_original`` and canonicalised in ``urls``; links are not looked for in
the text (the toolkit does not either). Records with the wrong number of columns, which the
toolkit cannot read at all, go to the quarantine.

Reference: the toolkit's README, "Supported Input Formats / CSV", and
``coordination_network_toolkit/preprocess.py`` (``preprocess_csv_files``,
``preprocess_data``), https://github.com/QUT-Digital-Observatory/coordination-network-toolkit
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from unmask.ingest.base import Adapter, FormatMismatch, StageContext, csv_header
from unmask.ingest.formats._sqlhelp import first_error, ident, lit, unreadable_error
from unmask.ingest.tabular import CsvStream

COLUMNS = (
    "message_id",
    "user_id",
    "username",
    "repost_id",
    "reply_id",
    "message",
    "timestamp",
    "urls",
)

# Where relative times count from.
RELATIVE_ORIGIN = datetime(1970, 1, 1, tzinfo=UTC)

# A number of seconds, as Python's float() reads it (the toolkit's reader).
_NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"


def _seconds(expr: str) -> str:
    """Seconds (always seconds) as a time; ISO 8601 and other readable dates also work."""
    v = f"trim(CAST({expr} AS VARCHAR))"
    return (
        f"CASE WHEN {expr} IS NULL OR {v} = '' THEN NULL "
        f"WHEN regexp_full_match({v}, '{_NUMBER}') "
        f"THEN make_timestamptz(TRY_CAST(round(TRY_CAST({v} AS DOUBLE) * 1000000) AS BIGINT)) "
        f"ELSE unmask_time({expr}) END"
    )


class ToolkitCSVAdapter(Adapter):
    name = "toolkit_csv"
    description = (
        "coordination-network-toolkit's CSV: message_id, user_id, username, repost_id, "
        "reply_id, message, timestamp, urls (by position)"
    )
    reference = "https://github.com/QUT-Digital-Observatory/coordination-network-toolkit#csv-all-other-platforms"
    detect_order = 25

    def sniff(self, path: Path, head: str) -> bool:
        return tuple(c.lower() for c in csv_header(head)) == COLUMNS

    def stage(self, ctx: StageContext) -> None:
        # The toolkit's seconds may count from any origin: relative times are plausible from
        # 1970 on (the window's end is the pipeline's).
        ctx.earliest_time = RELATIVE_ORIGIN
        # Read as it is staged, never loaded whole.
        stream = CsvStream(ctx, delimiter=ctx.option("delimiter", ","))
        cols = stream.columns
        if len(cols) != len(COLUMNS):
            raise FormatMismatch(
                ctx.path,
                f"the toolkit's {len(COLUMNS)} columns in this order: {', '.join(COLUMNS)}",
                f"{len(cols)} columns: {', '.join(cols)}",
            )
        c = dict(zip(COLUMNS, (ident(x) for x in cols), strict=True))
        platform = lit(str(ctx.option("platform", "x")).strip().lower())
        repost, reply = f"unmask_str({c['repost_id']})", f"unmask_str({c['reply_id']})"
        time = _seconds(c["timestamp"])
        why = "seconds (the toolkit reads a number of seconds)"
        error, field = first_error(
            [("timestamp", unreadable_error(c["timestamp"], "timestamp", time, why))]
        )
        # Split as the toolkit does (str.split(" ")), without the empty strings.
        urls = (
            f"CASE WHEN {c['urls']} IS NULL THEN [] ELSE "
            f"list_filter(string_split({c['urls']}, ' '), lambda u: u <> '') END"
        )
        stream.insert(
            "activities",
            f"""SELECT {platform} AS platform,
                       unmask_str({c["message_id"]}) AS activity_id,
                       unmask_str({c["user_id"]}) AS account_id,
                       {time} AS time,
                       CASE WHEN {repost} IS NOT NULL THEN 'share'
                            WHEN {reply} IS NOT NULL THEN 'reply' ELSE 'post' END AS kind,
                       CASE WHEN {c["message"]} <> '' THEN {c["message"]} END AS text,
                       coalesce({repost}, {reply}) AS parent_activity_id,
                       {urls} AS urls,
                       _row, {error} AS _error, {field} AS _field
                FROM raw""",
            count=True,
        )
        stream.insert(
            "accounts",
            f"""SELECT {platform} AS platform, unmask_str({c["user_id"]}) AS account_id,
                       'account' AS kind, unmask_str({c["username"]}) AS handle, _row
                FROM raw""",
        )
        stream.finish()
