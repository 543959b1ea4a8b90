"""The common schema: one set of Arrow tables for every platform.

Every entity is keyed by ``(platform, id)`` so that identities never collide across
platforms. ``docs/schema.md`` describes each field; this module is the source of truth.
"""

from __future__ import annotations

from enum import StrEnum

import pyarrow as pa


class AccountKind(StrEnum):
    ACCOUNT = "account"
    PAGE = "page"
    GROUP = "group"
    CHANNEL = "channel"
    BLOG = "blog"


class ActivityKind(StrEnum):
    POST = "post"
    SHARE = "share"
    REPLY = "reply"
    COMMENT = "comment"
    QUOTE = "quote"
    REACTION = "reaction"


TIME = pa.timestamp("us", tz="UTC")
STRINGS = pa.list_(pa.string())

# Provenance columns: which ingested file (manifest ``file_id``) and which record of it a row
# came from. They make every flag traceable back to the rows of the export behind it.
_PROVENANCE = [
    pa.field("source_file", pa.string(), nullable=False),
    pa.field("source_row", pa.int64(), nullable=False),
]

ACCOUNTS = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("handle", pa.string()),
        pa.field("display_name", pa.string()),
        pa.field("created_at", TIME),
        pa.field("followers", pa.int64()),
        pa.field("following", pa.int64()),
        pa.field("description", pa.string()),
        pa.field("profile_image_hash", pa.string()),
        pa.field("language", pa.string()),
        pa.field("location", pa.string()),
        pa.field("verified", pa.bool_()),
        pa.field("url", pa.string()),
        # When the export observed these values (follower counts change over time).
        pa.field("observed_at", TIME),
        *_PROVENANCE,
    ]
)

ACTIVITIES = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("activity_id", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("time", TIME, nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("text", pa.string()),
        pa.field("language", pa.string()),
        pa.field("urls", STRINGS),
        pa.field("urls_original", STRINGS),
        pa.field("domains", STRINGS),
        pa.field("hashtags", STRINGS),
        pa.field("mentions", STRINGS),
        pa.field("media_hashes", STRINGS),
        pa.field("parent_activity_id", pa.string()),
        pa.field("parent_account_id", pa.string()),
        # Where it was posted when that is not the author's own space: a subreddit, a
        # Facebook group, a Telegram group; the audience it was aimed at.
        pa.field("community", pa.string()),
        *_PROVENANCE,
    ]
)

FOLLOWS = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("follower_id", pa.string(), nullable=False),
        pa.field("followee_id", pa.string(), nullable=False),
        pa.field("time", TIME),
        *_PROVENANCE,
    ]
)

INFRASTRUCTURE = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("time", TIME),
        pa.field("ip", pa.string()),
        pa.field("device", pa.string()),
        pa.field("email_domain", pa.string()),
        pa.field("phone_country", pa.string()),
        *_PROVENANCE,
    ]
)

# A record that could not be read. ``raw`` keeps the record as it was (JSON of its fields,
# or the raw line) so that nothing is lost.
QUARANTINE = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("path", pa.string(), nullable=False),
        pa.field("row", pa.int64()),
        pa.field("line", pa.int64()),
        pa.field("field", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw", pa.string()),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "accounts": ACCOUNTS,
    "activities": ACTIVITIES,
    "follows": FOLLOWS,
    "infrastructure": INFRASTRUCTURE,
}

# The columns that identify one entity in each table.
KEYS: dict[str, tuple[str, ...]] = {
    "accounts": ("platform", "account_id"),
    "activities": ("platform", "activity_id"),
    "follows": ("platform", "follower_id", "followee_id"),
    "infrastructure": (
        "platform",
        "account_id",
        "time",
        "ip",
        "device",
        "email_domain",
        "phone_country",
    ),
}

# The text fields that identify an entity or point at one, per table: a control character
# in one (a NUL byte, a line break) makes it another id to every tool that cuts or splits
# strings there, so a record holding one is quarantined.
IDS: dict[str, tuple[str, ...]] = {
    "accounts": ("platform", "account_id"),
    "activities": (
        "platform",
        "activity_id",
        "account_id",
        "parent_activity_id",
        "parent_account_id",
    ),
    "follows": ("platform", "follower_id", "followee_id"),
    "infrastructure": ("platform", "account_id"),
}

# Required non-empty fields per table: a row missing one is quarantined.
REQUIRED: dict[str, tuple[str, ...]] = {
    "accounts": ("platform", "account_id"),
    "activities": ("platform", "activity_id", "account_id", "time"),
    "follows": ("platform", "follower_id", "followee_id"),
    "infrastructure": ("platform", "account_id"),
}

# Lower-case platform names that adapters emit; anything else is accepted as given
# (lower-cased) so that a new platform needs no code change.
PLATFORM_ALIASES = {
    "twitter": "x",
    "x": "x",
    "fb": "facebook",
    "facebook": "facebook",
    "ig": "instagram",
    "instagram": "instagram",
    "yt": "youtube",
    "youtube": "youtube",
    "tg": "telegram",
    "telegram": "telegram",
}


def normalise_platform(name: str) -> str:
    key = name.strip().lower()
    return PLATFORM_ALIASES.get(key, key)


def duckdb_type(t: pa.DataType) -> str:
    """The DuckDB column type that stores an Arrow type of this schema."""
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ"
    if pa.types.is_list(t):
        return duckdb_type(t.value_type) + "[]"
    return {
        pa.string(): "VARCHAR",
        pa.int64(): "BIGINT",
        pa.bool_(): "BOOLEAN",
        pa.float64(): "DOUBLE",
    }[t]


def empty_select(schema: pa.Schema) -> str:
    """A SQL SELECT that yields no rows with exactly the columns and types of ``schema``."""
    cols = ", ".join(f"CAST(NULL AS {duckdb_type(f.type)}) AS {f.name}" for f in schema)
    return f"SELECT {cols} WHERE false"
