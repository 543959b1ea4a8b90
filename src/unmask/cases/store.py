"""``CaseStore``: recording runs into cases, analysts' decisions, and reading cases back
(the matching rule is in the package's doc and ``docs/cases.md``)."""

from __future__ import annotations

import hashlib
import sqlite3
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from unmask import rundir
from unmask.cases.rundir import evidence_summary
from unmask.cases.tables import (
    DECISIONS,
    MIGRATIONS,
    SCHEMA_VERSION,
    STATUSES,
    CaseStoreError,
    case_assets,
    case_evidence,
    case_runs,
    cases,
    decisions,
    metadata,
    runs,
    schema_table,
)
from unmask.errors import missing_extra
from unmask.rundir import Operation, read_operations, utc

DEFAULT_FILE = "cases.sqlite"
# A run's operation is the same case as an earlier one when at least this share of the
# smaller of the two asset sets is shared (docs/cases.md: why containment, why 0.5).
MATCH_THRESHOLD = 0.5
# Who the decision log names for what unmask itself decides (returned, merged).
SYSTEM_ANALYST = "unmask"
# PostgreSQL advisory lock key of record_run (any fixed number; "unmask" in ASCII).
_LOCK_KEY = 0x756E6D61736B


def default_url(directory: Path) -> str:
    """The default case store of a data directory: ``sqlite:///DIR/cases.sqlite``."""
    return sqlite_url(Path(directory) / DEFAULT_FILE)


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite file. The path is percent-encoded: a URL ends its database
    part at ``?`` and decodes ``%41``, which a folder's name may hold."""
    return "sqlite:///" + urllib.parse.quote(str(Path(path).resolve()))


def resolve_url(cases: str | Path | None, store: Path | None = None) -> str:
    """A case store URL from what a user gave: a URL as it is, a file path as SQLite, or,
    with neither, the default inside the activity store (``STORE/cases.sqlite``: two stores
    in one folder keep their own cases). A case store made next to the store by an older
    unmask (``DIR/cases.sqlite``) is still used when the store holds none, so no case is
    left behind."""
    if cases is not None:
        text = str(cases)
        if "://" in text:
            return text
        return sqlite_url(Path(text))
    if store is None:
        raise CaseStoreError(
            "say which case store: --cases URL (or a file), --store STORE (its "
            "cases.sqlite), or the UNMASK_CASES environment variable"
        )
    store = Path(store).resolve()
    older = store.parent / DEFAULT_FILE
    if older.is_file() and not (store / DEFAULT_FILE).exists():
        return default_url(store.parent)
    return default_url(store)


def _now() -> datetime:
    return datetime.now(UTC)


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


# How long a SQLite connection waits for another's lock before it fails.
_SQLITE_WAIT_SECONDS = 30


class CaseStore:
    """A case store at a SQLAlchemy URL; its tables are made on first use."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        sa_url = sa.engine.make_url(url)
        self.dialect = sa_url.get_backend_name()
        if self.dialect == "sqlite":
            if sa_url.database and sa_url.database != ":memory:":
                Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
            # Writers wait for each other rather than fail at once.
            self.engine = sa.create_engine(
                url, echo=echo, connect_args={"timeout": _SQLITE_WAIT_SECONDS}
            )
            _sqlite_transactions(self.engine)
        else:
            with missing_extra(f"the case store {self.display_url}", "postgres"):
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
        if version < SCHEMA_VERSION:
            self._migrate(version)

    def _migrate(self, version: int) -> None:
        """Bring a store of an older schema version up to this one, step by step, each step
        in one transaction with its new version row (a concurrent opener that migrated first
        leaves nothing to do)."""
        while version < SCHEMA_VERSION:
            with self._writing(exclusive=True) as con:
                now = con.execute(sa.select(sa.func.max(schema_table.c.version))).scalar()
                if now == version:
                    for statement in MIGRATIONS[version]:
                        if isinstance(statement, tuple):
                            dialect, statement = statement
                            if con.dialect.name != dialect:
                                continue
                        con.execute(sa.text(statement))
                    con.execute(
                        schema_table.insert().values(
                            id=version + 1, version=version + 1, created_at=_now()
                        )
                    )
            version += 1

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
        run_json = run_dir / rundir.RUN_JSON
        if not run_json.exists():
            raise CaseStoreError(f"{run_dir} is not a detect run (no {rundir.RUN_JSON})")
        raw = run_json.read_bytes()
        run_id = hashlib.sha256(raw).hexdigest()[:32]
        meta = rundir.parse_meta(raw, run_json)
        ops = read_operations(run_dir)
        evidence = evidence_summary(run_dir, meta, ops)
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
                        tier=op.tier,
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

    def _match(self, con: sa.Connection, ops: Sequence[Operation]) -> dict[str, list[dict]]:
        """Per cluster, every case sharing assets with it, best first, with the shared count,
        the overlap coefficient and Jaccard; computed by the database."""
        tmp_md = sa.MetaData()
        tmp = sa.Table(
            "unmask_run_assets",
            tmp_md,
            sa.Column("cluster_id", sa.String(64)),
            sa.Column("platform", sa.String(64)),
            sa.Column("account_id", sa.Text),
            prefixes=["TEMPORARY"],
        )
        tmp.drop(con, checkfirst=True)
        tmp.create(con)
        try:
            rows = [
                {
                    "cluster_id": op.cluster_id,
                    "platform": a.platform,
                    "account_id": a.account_id,
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
        op: Operation,
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
                    tier=op.tier,
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
        old_first, old_last = utc(row.activity_first), utc(row.activity_last)
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
                tier=op.tier,
                families=op.families,
                reason=op.reason,
                platforms=sorted(set(row.platforms or []) | set(op.platforms)),
            )
        )
        how = "updated"
        if row.status == "taken_down":
            down = utc(row.takedown_activity_last)
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
        self, con: sa.Connection, case_id: int, op: Operation, run_id: str, now: datetime
    ) -> None:
        rows = [
            {
                "case_id": case_id,
                "platform": a.platform,
                "account_id": a.account_id,
                "kind": a.kind,
                "handle": a.handle,
                "url": a.url,
                "signals": None if a.signals is None else ";".join(a.signals),
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
    return {k: (utc(v).isoformat() if isinstance(v, datetime) else v) for k, v in dict(r).items()}


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


def _use_wal(cur: Any) -> None:
    """Put the SQLite file in WAL mode (it stays so). Switching needs the file to itself and
    SQLite does not wait for that as it waits for locks (the busy timeout is not used): two
    processes opening a new case store at once made one fail with "database is locked"."""
    deadline = time.monotonic() + _SQLITE_WAIT_SECONDS
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_transactions(engine: sa.Engine) -> None:
    """SQLite: every transaction takes the write lock when it begins (BEGIN IMMEDIATE), so
    that two writers queue instead of one failing when it upgrades a read lock; WAL lets
    readers go on meanwhile. (SQLAlchemy's documented recipe for pysqlite.)"""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_con: Any, _record: Any) -> None:
        dbapi_con.isolation_level = None
        cur = dbapi_con.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        _use_wal(cur)
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(con: sa.Connection) -> None:
        con.exec_driver_sql("BEGIN IMMEDIATE")
