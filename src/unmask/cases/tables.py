"""The case store's tables (SQLAlchemy Core), its schema version and its vocabulary."""

from __future__ import annotations

import sqlalchemy as sa

from unmask.errors import UnmaskError

SCHEMA_VERSION = 3
# What a store of each older version needs to become the next one: SQL both SQLite and
# PostgreSQL run, or (dialect, SQL) for one of them. 1 -> 2: the judgement's tier
# (``unmask.assess.TIERS``) on cases and runs. 2 -> 3: account ids of any length (they were
# VARCHAR(256), which PostgreSQL enforces and SQLite does not).
MIGRATIONS: dict[int, tuple[str | tuple[str, str], ...]] = {
    1: (
        "ALTER TABLE cases ADD COLUMN tier VARCHAR(32)",
        "ALTER TABLE case_runs ADD COLUMN tier VARCHAR(32)",
    ),
    2: (
        ("postgresql", "ALTER TABLE case_assets ALTER COLUMN account_id TYPE TEXT"),
        ("postgresql", "ALTER TABLE decisions ALTER COLUMN account_id TYPE TEXT"),
    ),
}
# Analyst decisions on a case or an asset ("open" reopens).
DECISIONS = ("confirmed", "dismissed", "taken_down", "open")
# Case statuses: the decisions, and two that unmask sets itself: ``returned`` (taken down,
# then seen again with activity after the takedown) and ``merged`` (folded into another
# case that a later run showed to be the same operation).
STATUSES = ("open", "confirmed", "dismissed", "taken_down", "returned", "merged")


class CaseStoreError(UnmaskError):
    """The case store cannot be opened, is of another schema version, or lacks a case."""


metadata = sa.MetaData()

schema_table = sa.Table(
    "unmask_schema",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    # sha256 of run.json: the same run directory recorded twice is one run.
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("store", sa.Text),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("config", sa.JSON),
    sa.Column("counts", sa.JSON),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="open"),
    sa.Column("merged_into", sa.Integer, sa.ForeignKey("cases.id")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("first_run", sa.String(64), sa.ForeignKey("runs.run_id")),
    sa.Column("last_run", sa.String(64), sa.ForeignKey("runs.run_id")),
    # When runs saw it (wall clock) and when it was active (the data's own time).
    sa.Column("first_seen", sa.DateTime(timezone=True)),
    sa.Column("last_seen", sa.DateTime(timezone=True)),
    sa.Column("activity_first", sa.DateTime(timezone=True)),
    sa.Column("activity_last", sa.DateTime(timezone=True)),
    # activity_last when it was last taken down: later activity means it came back.
    sa.Column("takedown_activity_last", sa.DateTime(timezone=True)),
    sa.Column("score", sa.Float),
    # the tier of its latest run (``unmask.assess.TIERS``; null in runs made before tiers)
    sa.Column("tier", sa.String(32)),
    sa.Column("families", sa.JSON),
    sa.Column("reason", sa.Text),
    sa.Column("platforms", sa.JSON),
    # Every asset the case has ever had (kept here so that matching needs no count query).
    sa.Column("asset_count", sa.Integer, nullable=False, default=0),
    sa.CheckConstraint(f"status IN ({', '.join(repr(s) for s in STATUSES)})", name="status"),
)

case_runs = sa.Table(
    "case_runs",
    metadata,
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), primary_key=True),
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("cluster_id", sa.String(64), primary_key=True),
    sa.Column("accounts", sa.Integer, nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("tier", sa.String(32)),
    # How the cluster was matched: shared assets, overlap, Jaccard; null for a new case.
    sa.Column("matched", sa.JSON),
    # The operation's figures in that run (its entry of RUN/operations.json).
    sa.Column("figures", sa.JSON),
)

case_assets = sa.Table(
    "case_assets",
    metadata,
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), primary_key=True),
    sa.Column("platform", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.Text, primary_key=True),
    sa.Column("kind", sa.String(32)),
    sa.Column("handle", sa.Text),
    sa.Column("url", sa.Text),
    sa.Column("signals", sa.Text),
    sa.Column("first_run", sa.String(64)),
    sa.Column("last_run", sa.String(64)),
    sa.Column("first_seen", sa.DateTime(timezone=True)),
    sa.Column("last_seen", sa.DateTime(timezone=True)),
    sa.Column("runs_seen", sa.Integer, nullable=False, default=1),
    # An analyst's decision on this asset alone (an authentic account caught in the net).
    sa.Column("decision", sa.String(16)),
    sa.Column("decided_by", sa.Text),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Index("case_assets_account", "platform", "account_id"),
)

case_evidence = sa.Table(
    "case_evidence",
    metadata,
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), primary_key=True),
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("cluster_id", sa.String(64), primary_key=True),
    sa.Column("signal", sa.String(64), primary_key=True),
    sa.Column("family", sa.String(32)),
    # Accounts of the operation the signal vouches for, edges inside it, the events behind
    # those edges and the distinct activities they name, and their period.
    sa.Column("accounts", sa.Integer, nullable=False, default=0),
    sa.Column("edges", sa.Integer, nullable=False, default=0),
    sa.Column("events", sa.Integer, nullable=False, default=0),
    sa.Column("activities", sa.Integer, nullable=False, default=0),
    sa.Column("scored", sa.Integer, nullable=False, default=0),
    sa.Column("first_time", sa.DateTime(timezone=True)),
    sa.Column("last_time", sa.DateTime(timezone=True)),
    # Where the rows are (relative to the run directory) and a few activity ids to start from.
    sa.Column("files", sa.JSON),
    sa.Column("example_activities", sa.JSON),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
    # Set for a decision on one asset; null for the whole case.
    sa.Column("platform", sa.String(64)),
    sa.Column("account_id", sa.Text),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("previous_status", sa.String(16)),
    sa.Column("note", sa.Text),
    sa.Column("analyst", sa.Text, nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    # The latest run of the case when the decision was made: what the analyst looked at.
    sa.Column("run_id", sa.String(64)),
)
