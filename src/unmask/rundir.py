"""The run directory of ``unmask detect``, as one format: its file names, its version, and
the readers and writers that every other module goes through.

``RUN/`` holds (``FORMAT`` is written into ``run.json`` as ``"format"``):

``run.json``              what ran: parameters, per-signal statistics, notes and seconds
``evidence/<signal>/``    each signal's evidence (edges, events, scores, its own tables)
``fused.parquet``         the fused graph (``unmask.network.FUSED_SCHEMA``)
``nodes.parquet``         every linked account with its cluster
``clusters.parquet``      every cluster, the families that support it, and the verdict
``operations.json``       each reported cluster's figures (:class:`Figures`)
``takedown.csv``          the assets to act on: operation, platform, account, kind, handle,
                          URL, and the signals that vouch for each
``flagged.csv``           the same accounts in the format ``unmask evaluate`` scores
                          (platform, account_id, cluster_id, score: the operation's
                          probability, signals)
``takedown.parquet``,     the same rows for programs: the CSVs are for people, and a cell
``flagged.parquet``       that would start a spreadsheet formula is neutralised there
                          (``unmask.export.sheet``)
``lineage.parquet``       with a catalogue: each cluster's links to known operations
                          (``unmask.lineage``); ``lineage.json`` the linked ones, readable

A reader refuses a run whose ``format`` is newer than it knows (its fields may mean
something else); a run without one was written before the format was versioned, and
reads as version 1.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from unmask.errors import InputError

# The version of the layout below; raise it when a reader of the old one would misread
# the new (a renamed field, a changed meaning), not for a field added.
FORMAT = 1

RUN_JSON = "run.json"
OPERATIONS_JSON = "operations.json"
FUSED = "fused.parquet"
NODES = "nodes.parquet"
# Bought followers attached to an operation by their follows, with the reason
# (``unmask.attach``); runs before it have none.
ATTACHED = "attached.parquet"
CLUSTERS = "clusters.parquet"
TAKEDOWN = "takedown.parquet"
TAKEDOWN_CSV = "takedown.csv"
FLAGGED = "flagged.parquet"
FLAGGED_CSV = "flagged.csv"
LINEAGE = "lineage.parquet"
LINEAGE_JSON = "lineage.json"
EVIDENCE = "evidence"
# Every signal's folder under EVIDENCE holds these (``unmask.signals.base.Evidence``),
# and may hold tables of its own (``<name>.parquet``).
EDGES = "edges"
EVENTS = "events"
SCORES = "scores"


class RunFormatError(InputError):
    """A run directory that this unmask cannot read: incomplete, or of a newer format."""


# -- the figures of operations.json (``unmask.operations.describe``) ----------------------


class Support(TypedDict):
    family: str
    accounts: int
    share: float
    signals: list[str]


class Confidence(TypedDict):
    probability: float
    score: float
    families: list[str]
    support: list[Support]
    reason: str
    unassessed: list[str]


class Assets(TypedDict):
    accounts: int
    attached: NotRequired[int]  # of them, bought followers (runs before it: none)
    by_platform: dict[str, dict[str, int]]  # platform -> kind -> assets
    followers: int | None  # None: the data gives no follower counts
    followers_known: int
    by_signal: dict[str, int]
    by_signal_platform: dict[str, dict[str, int]]


class Activity(TypedDict):
    actions: int
    by_kind: dict[str, int]
    first: str | None  # ISO 8601
    last: str | None
    timeline: list[dict[str, Any]]  # day, platform, actions
    hour_of_week: list[list[int]]  # 7 days x 24 hours, UTC


class Pushed(TypedDict, total=False):
    domains: list[dict[str, Any]]  # value, accounts, uses, share_of_all_uses, shortener
    urls: list[dict[str, Any]]
    hashtags: list[dict[str, Any]]


class Narrative(TypedDict):
    family_id: str
    representative: str | None
    variants: int | None
    posts: int
    accounts_inside: int
    accounts_all: int
    platforms: list[str] | None
    languages: list[str] | None
    first: str | None
    last: str | None


class Breakout(TypedDict):
    category: int
    basis: list[str]


class KillchainStep(TypedDict):
    procedure: str
    evidence: str


class Figures(TypedDict):
    """One reported cluster's entry of ``operations.json``. Runs made before tiers have no
    ``tier``, ``tier_words`` nor ``operation`` (they listed operations only)."""

    cluster_id: str
    tier: NotRequired[str]
    tier_words: NotRequired[str]
    operation: NotRequired[bool]
    confidence: Confidence
    assets: Assets
    activity: Activity
    pushed: Pushed
    audience: dict[str, Any]  # languages, communities, main_languages
    reach: dict[str, Any]  # engagement inside and outside, top outside accounts
    audience_followers: NotRequired[dict[str, Any]]
    narratives: list[Narrative]
    narrative_families: NotRequired[int]
    schedule: NotRequired[dict[str, Any]]
    breakout: Breakout
    killchain: list[KillchainStep]
    lineage: NotRequired[list[dict[str, Any]]]  # with a catalogue: links to known operations


# -- one operation, as the report's readers, the exports and the case store see it ------


def utc(value: Any) -> datetime | None:
    """A timestamp as an aware UTC datetime (SQLite hands them back naive)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass
class Asset:
    """One account (page, group, channel) of an operation, from the takedown list."""

    platform: str
    account_id: str
    kind: str = "account"
    handle: str | None = None
    url: str | None = None
    # The signals that vouch for it; None when the run has no takedown list to say.
    signals: list[str] | None = None
    # "linked" by the signals that make groups, or "bought follower" (``unmask.attach``)
    basis: str = "linked"


@dataclass
class Operation:
    """One operation of a run: its cluster's judgement, its assets and its figures."""

    cluster_id: str
    score: float
    tier: str | None  # ``unmask.assess.TIERS``; None in runs made before tiers
    families: list[str]
    reason: str
    platforms: list[str]
    assets: list[Asset]
    figures: Figures | dict[str, Any]  # {} when the run has no operations.json
    # True when handles and ids are keyed hashes (``unmask.export.findings.Privacy``).
    private: bool = False

    @property
    def activity(self) -> tuple[datetime | None, datetime | None]:
        act = self.figures.get("activity") or {}
        return utc(act.get("first")), utc(act.get("last"))

    @property
    def first_seen(self) -> str | None:
        return self.figures["activity"]["first"]

    @property
    def last_seen(self) -> str | None:
        return self.figures["activity"]["last"]

    @property
    def probability(self) -> float:
        """The calibrated probability that it is an operation (``unmask.judgement``)."""
        return float(self.figures["confidence"]["probability"])

    @property
    def domains(self) -> list[str]:
        """The operation's own domains (``unmask.operations.own_domains``: one rule for the
        kill chain and the exports)."""
        from unmask.operations import own_domains

        return [d["value"] for d in own_domains(self.figures)]

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


# -- reading ------------------------------------------------------------------------------


def read_meta(run_dir: Path) -> dict[str, Any]:
    """``run.json``, refused when its format is newer than this unmask reads."""
    path = Path(run_dir) / RUN_JSON
    if not path.is_file():
        raise RunFormatError(f"{run_dir}: not a detect run directory (no {RUN_JSON})")
    return parse_meta(path.read_bytes(), path)


def parse_meta(raw: bytes, path: Path) -> dict[str, Any]:
    """``run.json``'s bytes (read once by a caller that also hashes them), checked."""
    meta = json.loads(raw)
    version = meta.get("format", 1)
    if not isinstance(version, int) or version > FORMAT:
        raise RunFormatError(
            f"{path}: run format {version!r} is newer than this unmask reads ({FORMAT}); "
            "upgrade unmask"
        )
    return meta


def check(run_dir: Path) -> Path:
    """``run_dir`` after checking its format when it says one (a folder holding only a
    flagged list, from another tool, has no run.json and is not refused)."""
    run_dir = Path(run_dir)
    if (run_dir / RUN_JSON).is_file():
        read_meta(run_dir)
    return run_dir


def table_path(run_dir: Path, name: str) -> Path:
    """The path of one of the run's files (``NODES``, ``CLUSTERS``...), which must exist."""
    path = check(run_dir) / name
    if not path.exists():
        raise RunFormatError(f"{run_dir} is not a complete detect run (no {name})")
    return path


def read_table(run_dir: Path, name: str, columns: list[str] | None = None) -> pa.Table:
    """One of the run's Parquet tables (``FUSED``, ``NODES``, ``CLUSTERS``...)."""
    return pq.read_table(table_path(run_dir, name), columns=columns)


def read_figures(run_dir: Path) -> list[Figures]:
    """``operations.json``: each reported cluster's figures, operations first, best first."""
    path = table_path(run_dir, OPERATIONS_JSON)
    return json.loads(path.read_text(encoding="utf-8"))


def evidence_dir(run_dir: Path, signal: str | None = None) -> Path:
    """The run's evidence folder, or one signal's folder in it."""
    root = Path(run_dir) / EVIDENCE
    return root if signal is None else root / signal


def evidence_file(run_dir: Path, signal: str, table: str) -> Path:
    """One table of a signal's evidence (``EDGES``, ``EVENTS``, ``SCORES`` or its own)."""
    return evidence_dir(run_dir, signal) / f"{table}.parquet"


def evidence_files(run_dir: Path, table: str, signals: str = "*") -> list[Path]:
    """That table of every signal whose name matches the glob ``signals``, by name."""
    return sorted(evidence_dir(check(run_dir)).glob(f"{signals}/{table}.parquet"))


def read_takedown(run_dir: Path) -> list[dict[str, Any]]:
    """A run's takedown list as rows, with the values as they are: from
    ``takedown.parquet``, or from ``takedown.csv`` in runs made before the CSV was for people
    only (its cells were then written unchanged)."""
    run_dir = check(run_dir)
    if (run_dir / TAKEDOWN).exists():
        return pq.read_table(run_dir / TAKEDOWN).to_pylist()
    text = ["operation", "platform", "account_id", "kind", "handle", "url", "signals"]
    return pacsv.read_csv(
        run_dir / TAKEDOWN_CSV,
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in text}),
    ).to_pylist()


def flagged_file(run_dir: Path) -> Path | None:
    """The run's flagged accounts for programs (Parquet), or the CSV of older runs."""
    run_dir = check(run_dir)
    return next((run_dir / n for n in (FLAGGED, FLAGGED_CSV) if (run_dir / n).is_file()), None)


def read_operations(run_dir: Path) -> list[Operation]:
    """The run's operations in the order of ``clusters.parquet``, each with its assets in
    the order of ``nodes.parquet`` (then its attached bought followers) and its figures."""
    clusters = read_table(run_dir, CLUSTERS)
    ops_rows = [r for r in clusters.to_pylist() if r["operation"]]
    nodes = read_table(run_dir, NODES, columns=["platform", "account_id", "cluster_id"])
    if (run_dir / ATTACHED).exists():
        attached = read_table(run_dir, ATTACHED, columns=["platform", "account_id", "cluster_id"])
        nodes = pa.concat_tables([nodes, attached.cast(nodes.schema)])
    details: dict[tuple[str, str], dict[str, Any]] = {}
    if (run_dir / TAKEDOWN).exists() or (run_dir / TAKEDOWN_CSV).exists():
        for r in read_takedown(run_dir):
            details[(r["platform"], r["account_id"])] = r
    figures: dict[str, Figures] = {}
    if (run_dir / OPERATIONS_JSON).exists():
        figures = {f["cluster_id"]: f for f in read_figures(run_dir)}
    members: dict[str, list[Asset]] = defaultdict(list)
    wanted = {r["cluster_id"] for r in ops_rows}
    for r in nodes.to_pylist():
        if r["cluster_id"] in wanted:
            d = details.get((r["platform"], r["account_id"]), {})
            signals = d.get("signals")
            members[r["cluster_id"]].append(
                Asset(
                    r["platform"],
                    r["account_id"],
                    d.get("kind") or "account",
                    d.get("handle"),
                    d.get("url"),
                    None if signals is None else [s for s in signals.split(";") if s],
                    d.get("basis") or "linked",
                )
            )
    return [
        Operation(
            cluster_id=r["cluster_id"],
            score=float(r["score"]),
            tier=r.get("tier"),
            families=list(r["families"] or []),
            reason=r["reason"],
            platforms=list(r["platforms"] or []),
            assets=members[r["cluster_id"]],
            figures=figures.get(r["cluster_id"], {}),
        )
        for r in ops_rows
    ]


# -- writing (``unmask detect``) ----------------------------------------------------------


def write_tables(run_dir: Path, tables: dict[str, pa.Table]) -> None:
    """The run's Parquet tables by file name (``FUSED``, ``NODES``, ``CLUSTERS``...)."""
    for name, table in tables.items():
        pq.write_table(table, Path(run_dir) / name)


def write_json(run_dir: Path, name: str, value: Any, *, indent: int = 2) -> Path:
    """One of the run's JSON files (``OPERATIONS_JSON``, ``LINEAGE_JSON``) as written since
    the first runs: indented, UTF-8, non-JSON values as strings."""
    path = Path(run_dir) / name
    path.write_text(
        json.dumps(value, indent=indent, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    return path


def write_meta(run_dir: Path, meta: dict[str, Any]) -> Path:
    """``run.json``, with the format version first."""
    path = Path(run_dir) / RUN_JSON
    path.write_text(json.dumps({"format": FORMAT, **meta}, indent=2) + "\n", encoding="utf-8")
    return path
