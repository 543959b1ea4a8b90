"""The case store: operations, their evidence and analysts' decisions, kept across runs.

A *case* is one operation as the investigators know it, over every run of ``unmask detect``
that saw it. ``CaseStore(url)`` opens a store through SQLAlchemy: SQLite in the data
directory by default (``sqlite:///DIR/cases.sqlite``), PostgreSQL by URL for a team
(``postgresql+psycopg://user@host/db``). ``record_run(RUN)`` reads a run directory and
updates the cases; ``decide(...)`` records an analyst's decision. ``docs/cases.md`` says
what each table holds and what an investigator can expect of a re-run.

Matching a run's operation to a case: the *overlap coefficient* (Szymkiewicz–Simpson)
``|A ∩ B| / min(|A|, |B|)`` between the operation's assets ``A`` and every asset the case
has ever had ``B``, at least ``MATCH_THRESHOLD``. Containment rather than Jaccard, because
the same operation is seen in pieces: a run on the first days of the data finds several
fragments of what a later run finds whole, and each fragment belongs to the whole (Jaccard
would call a 10-account fragment of a 150-account operation a new case). The database does
the join (the run's assets go into a temporary table joined to ``case_assets`` on an
index); only the pairs that share an asset come back to Python.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

SCHEMA_VERSION = 1
DEFAULT_FILE = "cases.sqlite"
# A run's operation is the same case as an earlier one when at least this share of the
# smaller of the two asset sets is shared (docs/cases.md: why containment, why 0.5).
MATCH_THRESHOLD = 0.5
# Analyst decisions on a case or an asset.
DECISIONS = ("confirmed", "dismissed", "taken_down", "open")
# Case statuses: the decisions, and two that unmask sets itself: ``returned`` (taken down,
# then seen again with activity after the takedown) and ``merged`` (folded into another
# case that a later run showed to be the same operation).
STATUSES = ("open", "confirmed", "dismissed", "taken_down", "returned", "merged")
SYSTEM_ANALYST = "unmask"
# Activity ids kept per case, run and signal as pointers into the run's evidence rows.
EXAMPLES = 20
# PostgreSQL advisory lock key of record_run (any fixed number; "unmask" in ASCII).
_LOCK_KEY = 0x756E6D61736B


class CaseStoreError(Exception):
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
    sa.Column("account_id", sa.String(256), primary_key=True),
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
    sa.Column("account_id", sa.String(256)),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("previous_status", sa.String(16)),
    sa.Column("note", sa.Text),
    sa.Column("analyst", sa.Text, nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    # The latest run of the case when the decision was made: what the analyst looked at.
    sa.Column("run_id", sa.String(64)),
)


def default_url(directory: Path) -> str:
    """The default case store of a data directory: ``sqlite:///DIR/cases.sqlite``."""
    return f"sqlite:///{(Path(directory) / DEFAULT_FILE).resolve()}"


def resolve_url(cases: str | Path | None, store: Path | None = None) -> str:
    """A case store URL from what a user gave: a URL as it is, a file path as SQLite, or,
    with neither, the default next to the activity store."""
    if cases is not None:
        text = str(cases)
        if "://" in text:
            return text
        return f"sqlite:///{Path(text).resolve()}"
    if store is None:
        raise CaseStoreError(
            "say which case store: --cases URL (or a file), --store STORE (its data "
            "directory's cases.sqlite), or the UNMASK_CASES environment variable"
        )
    return default_url(Path(store).resolve().parent)


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: Any) -> datetime | None:
    """A timestamp as an aware UTC datetime (SQLite hands them back naive)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_case_id(text: str | int) -> int:
    """``12``, ``"12"`` or ``"case-12"``."""
    s = str(text).strip().lower().removeprefix("case-").removeprefix("#")
    if not s.isdigit():
        raise CaseStoreError(f"{text!r} is not a case id (a number, or case-N)")
    return int(s)


def case_name(case_id: int) -> str:
    return f"case-{case_id}"


@dataclass
class Recorded:
    """What ``record_run`` did: for each operation of the run, the case it went to."""

    run_id: str
    run_dir: Path
    already_recorded: bool = False
    # cluster_id -> (case id, "new" | "updated" | "returned", overlap or None)
    clusters: dict[str, tuple[int, str, float | None]] = field(default_factory=dict)
    new_cases: list[int] = field(default_factory=list)
    updated_cases: list[int] = field(default_factory=list)
    returned_cases: list[int] = field(default_factory=list)
    # (merged case, into case): open, undecided cases that a cluster showed to be one
    merged: list[tuple[int, int]] = field(default_factory=list)
    # (cluster, case, shared assets, its status): other cases the cluster shares assets
    # with, below the threshold or decided on and so left apart; a taken-down case here
    # means some of its assets are back in another operation
    related: list[tuple[str, int, int, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["run_dir"] = str(self.run_dir)
        return d


@dataclass
class _Operation:
    cluster_id: str
    score: float
    families: list[str]
    reason: str
    platforms: list[str]
    assets: list[dict[str, Any]]
    figures: dict[str, Any]

    @property
    def activity(self) -> tuple[datetime | None, datetime | None]:
        act = self.figures.get("activity") or {}
        return _utc(act.get("first")), _utc(act.get("last"))

    def title(self) -> str:
        pushed = self.figures.get("pushed") or {}
        what = next(
            (
                pushed[k][0]["value"]
                for k in ("domains", "hashtags", "urls")
                if pushed.get(k) and pushed[k][0].get("value")
            ),
            None,
        )
        if what is None:
            narr = self.figures.get("narratives") or []
            what = (narr[0].get("representative") or "")[:60] if narr else None
        # No counts in the title: it is refreshed by every run that sees the case.
        return " · ".join([", ".join(self.platforms), *([what] if what else [])])


class CaseStore:
    """A case store at a SQLAlchemy URL; its tables are made on first use."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        sa_url = sa.engine.make_url(url)
        self.dialect = sa_url.get_backend_name()
        if self.dialect == "sqlite":
            if sa_url.database and sa_url.database != ":memory:":
                Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
            # Writers wait for each other (30 s) rather than fail at once.
            self.engine = sa.create_engine(url, echo=echo, connect_args={"timeout": 30})
            _sqlite_transactions(self.engine)
        else:
            self.engine = sa.create_engine(url, echo=echo, pool_pre_ping=True)
        self._open()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> CaseStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema --------------------------------------------------------------------------

    def _open(self) -> None:
        try:
            names = set(sa.inspect(self.engine).get_table_names())
        except sa.exc.SQLAlchemyError as exc:
            raise CaseStoreError(f"cannot open the case store {self.display_url}: {exc}") from exc
        if "unmask_schema" not in names:
            ours = {t.name for t in metadata.sorted_tables} - {"unmask_schema"}
            if names & ours:
                raise CaseStoreError(
                    f"{self.display_url} has tables named like a case store's "
                    f"({', '.join(sorted(names & ours))}) but no unmask_schema table: not an "
                    "unmask case store, or a damaged one"
                )
            with self._writing(exclusive=True) as con:
                metadata.create_all(con, checkfirst=True)
                try:
                    with con.begin_nested():
                        con.execute(
                            schema_table.insert().values(
                                id=1, version=SCHEMA_VERSION, created_at=_now()
                            )
                        )
                except sa.exc.IntegrityError:
                    pass  # another process made it a moment ago
        with self.engine.connect() as con:
            version = con.execute(sa.select(sa.func.max(schema_table.c.version))).scalar()
        if version is None or version > SCHEMA_VERSION:
            raise CaseStoreError(
                f"the case store {self.display_url} has schema version {version}; this unmask "
                f"knows version {SCHEMA_VERSION}: upgrade unmask to use it"
            )
        if version < SCHEMA_VERSION:  # pragma: no cover - no older version exists yet
            raise CaseStoreError(
                f"the case store {self.display_url} has schema version {version}; "
                f"no migration to {SCHEMA_VERSION} is known"
            )

    @property
    def display_url(self) -> str:
        """The URL without its password."""
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def _writing(self, *, exclusive: bool = False) -> Iterator[sa.Connection]:
        """One write transaction. ``exclusive``: also one at a time among record_run calls
        on PostgreSQL (an advisory lock), so that two of them never open the same case twice;
        SQLite's BEGIN IMMEDIATE serialises every writer by itself."""
        with self.engine.begin() as con:
            if exclusive and self.dialect == "postgresql":
                con.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            yield con

    # -- recording runs ------------------------------------------------------------------

    def record_run(self, run_dir: str | Path) -> Recorded:
        """Read a detect run directory and update the cases: each operation joins the case
        it overlaps most (``MATCH_THRESHOLD``) or opens a new one. Decisions are kept; a
        taken-down case seen again with later activity becomes ``returned``."""
        run_dir = Path(run_dir).resolve()
        run_json = run_dir / "run.json"
        if not run_json.exists():
            raise CaseStoreError(f"{run_dir} is not a detect run (no run.json)")
        raw = run_json.read_bytes()
        run_id = hashlib.sha256(raw).hexdigest()[:32]
        meta = json.loads(raw)
        ops = _read_operations(run_dir)
        evidence = _evidence_summary(run_dir, meta, ops)
        now = _now()
        result = Recorded(run_id, run_dir)
        with self._writing(exclusive=True) as con:
            seen = con.execute(sa.select(runs.c.run_id).where(runs.c.run_id == run_id)).first()
            if seen is not None:
                result.already_recorded = True
                for row in con.execute(
                    sa.select(case_runs.c.cluster_id, case_runs.c.case_id).where(
                        case_runs.c.run_id == run_id
                    )
                ):
                    result.clusters[row.cluster_id] = (row.case_id, "recorded", None)
                return result
            con.execute(
                runs.insert().values(
                    run_id=run_id,
                    path=str(run_dir),
                    store=meta.get("store"),
                    recorded_at=now,
                    config=meta.get("config"),
                    counts=meta.get("counts"),
                )
            )
            matches = self._match(con, ops)
            for op in ops:
                pairs = matches.get(op.cluster_id, [])
                case_id, how, chosen = self._place(con, op, pairs, run_id, now, result)
                overlap = chosen["overlap"] if chosen else None
                result.clusters[op.cluster_id] = (case_id, how, overlap)
                merged_now = {m for m, _ in result.merged}
                also = [
                    p for p in pairs if p["case_id"] != case_id and p["case_id"] not in merged_now
                ]
                result.related += [
                    (op.cluster_id, p["case_id"], p["shared"], p["status"]) for p in also
                ]
                self._write_assets(con, case_id, op, run_id, now)
                con.execute(
                    case_runs.insert().values(
                        case_id=case_id,
                        run_id=run_id,
                        cluster_id=op.cluster_id,
                        accounts=len(op.assets),
                        score=op.score,
                        matched={**(chosen or {}), "also": also} if chosen or also else None,
                        figures=op.figures,
                    )
                )
                rows = [
                    {"case_id": case_id, "run_id": run_id, "cluster_id": op.cluster_id, **e}
                    for e in evidence.get(op.cluster_id, [])
                ]
                if rows:
                    con.execute(case_evidence.insert(), rows)
            touched = {c for c, _, _ in result.clusters.values()}
            for case_id in touched:
                _refresh_count(con, case_id)
        return result

    def _match(self, con: sa.Connection, ops: Sequence[_Operation]) -> dict[str, list[dict]]:
        """Per cluster, every case sharing assets with it, best first, with the shared count,
        the overlap coefficient and Jaccard; computed by the database."""
        tmp_md = sa.MetaData()
        tmp = sa.Table(
            "unmask_run_assets",
            tmp_md,
            sa.Column("cluster_id", sa.String(64)),
            sa.Column("platform", sa.String(64)),
            sa.Column("account_id", sa.String(256)),
            prefixes=["TEMPORARY"],
        )
        tmp.drop(con, checkfirst=True)
        tmp.create(con)
        try:
            rows = [
                {
                    "cluster_id": op.cluster_id,
                    "platform": a["platform"],
                    "account_id": a["account_id"],
                }
                for op in ops
                for a in op.assets
            ]
            if rows:
                con.execute(tmp.insert(), rows)
            con.execute(
                sa.text(
                    "CREATE INDEX unmask_run_assets_key ON unmask_run_assets (platform, account_id)"
                )
            )
            found = con.execute(
                sa.text(
                    """WITH shared AS (
                         SELECT r.cluster_id, a.case_id, count(*) AS shared
                         FROM unmask_run_assets r
                         JOIN case_assets a ON a.platform = r.platform AND a.account_id = r.account_id
                         GROUP BY r.cluster_id, a.case_id),
                       sizes AS (
                         SELECT cluster_id, count(*) AS n FROM unmask_run_assets GROUP BY cluster_id)
                       SELECT s.cluster_id, s.case_id, s.shared, z.n, c.asset_count AS m, c.status
                       FROM shared s JOIN sizes z ON z.cluster_id = s.cluster_id
                       JOIN cases c ON c.id = s.case_id
                       WHERE c.status <> 'merged'"""
                )
            ).all()
        finally:
            tmp.drop(con)
        out: dict[str, list[dict]] = defaultdict(list)
        for r in found:
            overlap = r.shared / max(1, min(r.n, r.m))
            jaccard = r.shared / max(1, r.n + r.m - r.shared)
            out[r.cluster_id].append(
                {
                    "case_id": r.case_id,
                    "shared": r.shared,
                    "overlap": overlap,
                    "jaccard": jaccard,
                    "status": r.status,
                }
            )
        for cands in out.values():
            cands.sort(key=lambda c: (-c["shared"], -c["overlap"], c["case_id"]))
        return out

    def _place(
        self,
        con: sa.Connection,
        op: _Operation,
        cands: list[dict],
        run_id: str,
        now: datetime,
        result: Recorded,
    ) -> tuple[int, str, dict | None]:
        """The case ``op`` goes to, how ("new", "updated", "returned"), and the match."""
        first, last = op.activity
        # A case merged earlier in this run stands for the case it was merged into (whose
        # assets now hold its own); each case once, at its best.
        into = dict(result.merged)
        seen: set[int] = set()
        kept = []
        for c in cands:
            if c["overlap"] < MATCH_THRESHOLD:
                continue
            target = c["case_id"]
            while target in into:
                target = into[target]
            if target not in seen:
                seen.add(target)
                kept.append({**c, "case_id": target} if target != c["case_id"] else c)
        cands = kept
        if not cands:
            case_id = con.execute(
                cases.insert().values(
                    title=op.title(),
                    status="open",
                    created_at=now,
                    updated_at=now,
                    first_run=run_id,
                    last_run=run_id,
                    first_seen=now,
                    last_seen=now,
                    activity_first=first,
                    activity_last=last,
                    score=op.score,
                    families=op.families,
                    reason=op.reason,
                    platforms=op.platforms,
                    asset_count=0,
                )
            ).inserted_primary_key[0]
            result.new_cases.append(case_id)
            return case_id, "new", None
        best = cands[0]
        case_id = best["case_id"]
        for other in cands[1:]:
            if self._merge(con, other["case_id"], case_id, run_id, now):
                result.merged.append((other["case_id"], case_id))
        row = con.execute(sa.select(cases).where(cases.c.id == case_id)).one()
        old_first, old_last = _utc(row.activity_first), _utc(row.activity_last)
        con.execute(
            cases.update()
            .where(cases.c.id == case_id)
            .values(
                title=op.title(),
                updated_at=now,
                last_run=run_id,
                last_seen=now,
                activity_first=min((t for t in (old_first, first) if t), default=None),
                activity_last=max((t for t in (old_last, last) if t), default=None),
                score=op.score,
                families=op.families,
                reason=op.reason,
                platforms=sorted(set(row.platforms or []) | set(op.platforms)),
            )
        )
        how = "updated"
        if row.status == "taken_down":
            down = _utc(row.takedown_activity_last)
            if last is None or down is None or last > down:
                # Conditional, so that an analyst's decision made meanwhile is not undone.
                done = con.execute(
                    cases.update()
                    .where(cases.c.id == case_id, cases.c.status == "taken_down")
                    .values(status="returned")
                )
                if done.rowcount:
                    con.execute(
                        decisions.insert().values(
                            case_id=case_id,
                            decision="returned",
                            previous_status="taken_down",
                            note=(
                                f"seen again in run {run_id[:12]} (cluster {op.cluster_id}): "
                                f"{best['shared']} of its assets, active until "
                                f"{last.isoformat() if last else 'an unknown time'}, after "
                                f"the takedown (activity until "
                                f"{down.isoformat() if down else 'unknown'})"
                            ),
                            analyst=SYSTEM_ANALYST,
                            decided_at=now,
                            run_id=run_id,
                        )
                    )
                    how = "returned"
                    result.returned_cases.append(case_id)
        if how == "updated" and case_id not in result.updated_cases:
            result.updated_cases.append(case_id)
        return case_id, how, best

    def _merge(
        self, con: sa.Connection, source: int, target: int, run_id: str, now: datetime
    ) -> bool:
        """Fold an open case that nobody has decided on into ``target``; a case with a
        decision is left for an analyst (False)."""
        decided = con.execute(
            sa.select(sa.func.count()).select_from(decisions).where(decisions.c.case_id == source)
        ).scalar()
        if decided:
            return False
        done = con.execute(
            cases.update()
            .where(cases.c.id == source, cases.c.status == "open")
            .values(status="merged", merged_into=target, updated_at=now)
        )
        if not done.rowcount:
            return False
        src = (
            con.execute(sa.select(case_assets).where(case_assets.c.case_id == source))
            .mappings()
            .all()
        )
        if src:
            _upsert(
                con,
                case_assets,
                [{**dict(r), "case_id": target} for r in src],
                keys=("case_id", "platform", "account_id"),
                update=(),
            )
        con.execute(
            decisions.insert().values(
                case_id=source,
                decision="merged",
                previous_status="open",
                note=f"merged into {case_name(target)}: run {run_id[:12]} found them to be one operation",
                analyst=SYSTEM_ANALYST,
                decided_at=now,
                run_id=run_id,
            )
        )
        _refresh_count(con, target)
        return True

    def _write_assets(
        self, con: sa.Connection, case_id: int, op: _Operation, run_id: str, now: datetime
    ) -> None:
        rows = [
            {
                "case_id": case_id,
                "platform": a["platform"],
                "account_id": a["account_id"],
                "kind": a.get("kind"),
                "handle": a.get("handle"),
                "url": a.get("url"),
                "signals": a.get("signals"),
                "first_run": run_id,
                "last_run": run_id,
                "first_seen": now,
                "last_seen": now,
                "runs_seen": 1,
            }
            for a in op.assets
        ]
        _upsert(
            con,
            case_assets,
            rows,
            keys=("case_id", "platform", "account_id"),
            update=("kind", "handle", "url", "signals", "last_run", "last_seen"),
            increment="runs_seen",
        )

    # -- decisions -----------------------------------------------------------------------

    def decide(
        self,
        case: int | str,
        decision: str,
        *,
        analyst: str,
        note: str | None = None,
        asset: tuple[str, str] | None = None,
    ) -> int:
        """Record an analyst's decision on a case (or on one of its assets, ``(platform,
        account_id)``); returns the decision's id. The log is never overwritten: two analysts
        deciding at once both stay in it, and the case takes the later one."""
        if decision not in DECISIONS:
            raise CaseStoreError(f"unknown decision {decision!r}; one of {', '.join(DECISIONS)}")
        if not analyst or not analyst.strip():
            raise CaseStoreError("a decision needs the analyst's name")
        case_id = parse_case_id(case)
        now = _now()
        with self._writing() as con:
            row = con.execute(
                sa.select(
                    cases.c.status, cases.c.last_run, cases.c.activity_last, cases.c.merged_into
                )
                .where(cases.c.id == case_id)
                .with_for_update()
            ).first()
            if row is None:
                raise CaseStoreError(f"no {case_name(case_id)} in {self.display_url}")
            if row.status == "merged" and asset is None:
                raise CaseStoreError(
                    f"{case_name(case_id)} was merged into {case_name(row.merged_into)}: decide there"
                )
            if asset is not None:
                done = con.execute(
                    case_assets.update()
                    .where(
                        case_assets.c.case_id == case_id,
                        case_assets.c.platform == asset[0],
                        case_assets.c.account_id == asset[1],
                    )
                    .values(decision=decision, decided_by=analyst, decided_at=now)
                )
                if not done.rowcount:
                    raise CaseStoreError(f"{case_name(case_id)} has no asset {asset[0]}:{asset[1]}")
            else:
                values: dict[str, Any] = {"status": decision, "updated_at": now}
                if decision == "taken_down":
                    values["takedown_activity_last"] = row.activity_last
                con.execute(cases.update().where(cases.c.id == case_id).values(**values))
            return con.execute(
                decisions.insert().values(
                    case_id=case_id,
                    platform=asset[0] if asset else None,
                    account_id=asset[1] if asset else None,
                    decision=decision,
                    previous_status=row.status,
                    note=note,
                    analyst=analyst.strip(),
                    decided_at=now,
                    run_id=row.last_run,
                )
            ).inserted_primary_key[0]

    # -- reading -------------------------------------------------------------------------

    def list_cases(self, status: Sequence[str] | None = None) -> list[dict[str, Any]]:
        q = sa.select(cases).order_by(cases.c.id)
        if status:
            unknown = set(status) - set(STATUSES)
            if unknown:
                raise CaseStoreError(
                    f"unknown status {sorted(unknown)}; one of {', '.join(STATUSES)}"
                )
            q = q.where(cases.c.status.in_(list(status)))
        with self.engine.connect() as con:
            runs_per_case = dict(
                con.execute(
                    sa.select(
                        case_runs.c.case_id, sa.func.count(sa.distinct(case_runs.c.run_id))
                    ).group_by(case_runs.c.case_id)
                ).all()
            )
            return [
                {**_row(r), "run_count": runs_per_case.get(r.id, 0)}
                for r in con.execute(q).mappings()
            ]

    def case(self, case: int | str) -> dict[str, Any]:
        """Everything about one case: its row, runs, assets, evidence and decision log."""
        case_id = parse_case_id(case)
        with self.engine.connect() as con:
            row = con.execute(sa.select(cases).where(cases.c.id == case_id)).mappings().first()
            if row is None:
                raise CaseStoreError(f"no {case_name(case_id)} in {self.display_url}")
            out = _row(row)
            parts = {
                "runs": sa.select(case_runs, runs.c.path, runs.c.recorded_at)
                .join(runs, runs.c.run_id == case_runs.c.run_id)
                .where(case_runs.c.case_id == case_id)
                .order_by(runs.c.recorded_at, case_runs.c.cluster_id),
                "assets": sa.select(case_assets)
                .where(case_assets.c.case_id == case_id)
                .order_by(case_assets.c.platform, case_assets.c.account_id),
                "evidence": sa.select(case_evidence)
                .where(case_evidence.c.case_id == case_id)
                .order_by(
                    case_evidence.c.run_id, case_evidence.c.cluster_id, case_evidence.c.signal
                ),
                "decisions": sa.select(decisions)
                .where(decisions.c.case_id == case_id)
                .order_by(decisions.c.id),
            }
            for key, query in parts.items():
                out[key] = [_row(r) for r in con.execute(query).mappings()]
            out["merged_from"] = [
                r.id
                for r in con.execute(sa.select(cases.c.id).where(cases.c.merged_into == case_id))
            ]
        return out


def record_run(url: str, run_dir: str | Path) -> Recorded:
    """Record one run into the case store at ``url`` (opened and closed here)."""
    with CaseStore(url) as store:
        return store.record_run(run_dir)


def _row(r: Any) -> dict[str, Any]:
    return {k: (_utc(v).isoformat() if isinstance(v, datetime) else v) for k, v in dict(r).items()}


def _refresh_count(con: sa.Connection, case_id: int) -> None:
    n = con.execute(
        sa.select(sa.func.count()).select_from(case_assets).where(case_assets.c.case_id == case_id)
    ).scalar()
    con.execute(cases.update().where(cases.c.id == case_id).values(asset_count=n))


def _upsert(
    con: sa.Connection,
    table: sa.Table,
    rows: list[dict[str, Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str],
    increment: str | None = None,
) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE, in SQLite's and PostgreSQL's common syntax."""
    if not rows:
        return
    dialect = con.dialect.name
    ins = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    sets = {c: ins.excluded[c] for c in update}
    if increment:
        sets[increment] = table.c[increment] + 1
    stmt = (
        ins.on_conflict_do_update(index_elements=list(keys), set_=sets)
        if sets
        else ins.on_conflict_do_nothing(index_elements=list(keys))
    )
    con.execute(stmt, rows)


def _sqlite_transactions(engine: sa.Engine) -> None:
    """SQLite: every transaction takes the write lock when it begins (BEGIN IMMEDIATE), so
    that two writers queue instead of one failing when it upgrades a read lock; WAL lets
    readers go on meanwhile. (SQLAlchemy's documented recipe for pysqlite.)"""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_con: Any, _record: Any) -> None:
        dbapi_con.isolation_level = None
        cur = dbapi_con.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(con: sa.Connection) -> None:
        con.exec_driver_sql("BEGIN IMMEDIATE")


# -- reading a run directory ---------------------------------------------------------------


def _read_operations(run_dir: Path) -> list[_Operation]:
    for name in ("clusters.parquet", "nodes.parquet"):
        if not (run_dir / name).exists():
            raise CaseStoreError(f"{run_dir} is not a complete detect run (no {name})")
    clusters = pq.read_table(run_dir / "clusters.parquet")
    ops_rows = [r for r in clusters.to_pylist() if r["operation"]]
    nodes = pq.read_table(
        run_dir / "nodes.parquet", columns=["platform", "account_id", "cluster_id"]
    )
    details: dict[tuple[str, str], dict[str, Any]] = {}
    takedown = run_dir / "takedown.csv"
    if takedown.exists():
        cols = ["operation", "platform", "account_id", "kind", "handle", "url", "signals"]
        td = pacsv.read_csv(
            takedown,
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in cols}, include_columns=cols
            ),
        )
        for r in td.to_pylist():
            details[(r["platform"], r["account_id"])] = r
    figures: dict[str, dict[str, Any]] = {}
    if (run_dir / "operations.json").exists():
        for entry in json.loads((run_dir / "operations.json").read_text(encoding="utf-8")):
            figures[entry["cluster_id"]] = entry
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    wanted = {r["cluster_id"] for r in ops_rows}
    for r in nodes.to_pylist():
        if r["cluster_id"] in wanted:
            d = details.get((r["platform"], r["account_id"]), {})
            members[r["cluster_id"]].append(
                {
                    "platform": r["platform"],
                    "account_id": r["account_id"],
                    "kind": d.get("kind") or "account",
                    "handle": d.get("handle"),
                    "url": d.get("url"),
                    "signals": d.get("signals"),
                }
            )
    return [
        _Operation(
            cluster_id=r["cluster_id"],
            score=float(r["score"]),
            families=list(r["families"] or []),
            reason=r["reason"],
            platforms=list(r["platforms"] or []),
            assets=members[r["cluster_id"]],
            figures=figures.get(r["cluster_id"], {}),
        )
        for r in ops_rows
    ]


def _evidence_summary(
    run_dir: Path, meta: dict[str, Any], ops: Sequence[_Operation]
) -> dict[str, list[dict[str, Any]]]:
    """Per operation and signal: accounts vouched for, edges and events inside the
    operation, distinct activities, period and a few activity ids; the rows stay in the
    run's Parquet files, which the summary names."""
    if not ops:
        return {}
    con = duckdb.connect()
    con.register(
        "members",
        pa.Table.from_pylist(
            [
                {
                    "cluster_id": op.cluster_id,
                    "platform": a["platform"],
                    "account_id": a["account_id"],
                    "signals": a["signals"] or "",
                }
                for op in ops
                for a in op.assets
            ],
            schema=pa.schema(
                [
                    ("cluster_id", pa.string()),
                    ("platform", pa.string()),
                    ("account_id", pa.string()),
                    ("signals", pa.string()),
                ]
            ),
        ),
    )
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    root = run_dir / "evidence"
    signals = meta.get("signals") or {}
    names = sorted(
        set(signals) | ({p.name for p in root.iterdir() if p.is_dir()} if root.exists() else set())
    )
    for sig in names:
        folder = root / sig
        if not folder.exists():
            continue
        files = sorted(str(p.relative_to(run_dir)) for p in folder.glob("*.parquet"))
        vouched = dict(
            con.execute(
                "SELECT cluster_id, count(*) FROM members WHERE list_contains(string_split(signals, ';'), ?) GROUP BY cluster_id",
                [sig],
            ).fetchall()
        )
        per: dict[str, dict[str, Any]] = defaultdict(dict)
        if (folder / "edges.parquet").exists():
            for cid, n in con.execute(
                f"""SELECT a.cluster_id, count(*) FROM read_parquet('{_q(folder / "edges.parquet")}') e
                    JOIN members a ON a.platform = e.platform_a AND a.account_id = e.account_a
                    JOIN members b ON b.platform = e.platform_b AND b.account_id = e.account_b
                    WHERE a.cluster_id = b.cluster_id GROUP BY 1"""
            ).fetchall():
                per[cid]["edges"] = n
        if (folder / "events.parquet").exists():
            for cid, n, acts, t0, t1, examples in con.execute(
                f"""WITH ev AS (
                      SELECT a.cluster_id, e.activity_a, e.activity_b, e.time_a, e.time_b
                      FROM read_parquet('{_q(folder / "events.parquet")}') e
                      JOIN members a ON a.platform = e.platform_a AND a.account_id = e.account_a
                      JOIN members b ON b.platform = e.platform_b AND b.account_id = e.account_b
                      WHERE a.cluster_id = b.cluster_id),
                    acts AS (
                      SELECT cluster_id, activity_a AS activity, time_a AS time FROM ev WHERE activity_a IS NOT NULL
                      UNION SELECT cluster_id, activity_b, time_b FROM ev WHERE activity_b IS NOT NULL)
                    SELECT x.cluster_id, x.events, y.activities, y.first, y.last, y.examples
                    FROM (SELECT cluster_id, count(*) AS events FROM ev GROUP BY 1) x
                    LEFT JOIN (SELECT cluster_id, count(*) AS activities, min(time) AS first, max(time) AS last,
                                      list(activity ORDER BY time, activity)[1:{EXAMPLES}] AS examples
                               FROM acts GROUP BY 1) y USING (cluster_id)"""
            ).fetchall():
                per[cid].update(
                    events=n,
                    activities=acts or 0,
                    first_time=t0,
                    last_time=t1,
                    example_activities=examples or [],
                )
        if (folder / "scores.parquet").exists():
            for cid, n in con.execute(
                f"""SELECT m.cluster_id, count(*) FROM read_parquet('{_q(folder / "scores.parquet")}') s
                    JOIN members m ON m.platform = s.platform AND m.account_id = s.account_id GROUP BY 1"""
            ).fetchall():
                per[cid]["scored"] = n
        for cid in set(per) | set(vouched):
            p = per.get(cid, {})
            out[cid].append(
                {
                    "signal": sig,
                    "family": (signals.get(sig) or {}).get("family"),
                    "accounts": vouched.get(cid, 0),
                    "edges": p.get("edges", 0),
                    "events": p.get("events", 0),
                    "activities": p.get("activities", 0),
                    "scored": p.get("scored", 0),
                    "first_time": _utc(p.get("first_time")),
                    "last_time": _utc(p.get("last_time")),
                    "files": files,
                    "example_activities": p.get("example_activities", []),
                }
            )
    con.close()
    return out


def _q(path: Path) -> str:
    return str(path).replace("'", "''")
