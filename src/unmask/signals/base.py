"""The one interface every signal follows, and the shape of the evidence it returns.

Modelled on scikit-learn's estimators: a signal is configured by keyword parameters with
documented defaults (``get_params`` lists them, ``set_params`` changes them), and does its
work in one call, ``run(engine)``. What comes back is always :class:`Evidence`:

* ``edges``: weighted account–account links, one row per unordered pair
  (``EDGE_SCHEMA``): which signal, how strong, how often, how significant, and a sentence
  that says why ("posted the same URL within 41 s of each other on 17 occasions");
* ``events``: the facts behind each edge (``EVENT_SCHEMA``): which target, which two
  activities, at what times, so that every edge can be checked against the rows;
* ``scores``: per-account scores, for signals that judge accounts one by one;
* ``tables``: anything else a signal finds that later steps use (content families, ...);
* ``notes``: what the signal could not do (no infrastructure table, too little data, ...).

A signal is declared in one place, its class: besides the parameters and the run, class
attributes say what it is (``family``, ``label``, ``reference``, ``defines_groups``, the
DISARM techniques and Meta kill-chain procedures it evidences, the schemas of its evidence
tables, whether it runs by default and on Spark), and optional hooks say how an operation's
figures (:meth:`Signal.describe_operations`, :meth:`Signal.kill_chain_entries`), the report
(:meth:`Signal.summary_sentences`, :meth:`Signal.report_evidence`) and lineage (:meth:`Signal.known_assets`) use its evidence.
``unmask.signals.registry`` finds the classes (built-in and plugins); ``unmask.signals.checks``
holds the conformance checks that every registered signal passes.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq

from unmask.engine.base import Engine
from unmask.engine.session import RunSession
from unmask.rundir import EDGES, EVENTS, SCORES

if TYPE_CHECKING:
    from unmask.store import Store

EDGE_SCHEMA = pa.schema(
    [
        pa.field("signal", pa.string(), nullable=False),
        pa.field("platform_a", pa.string(), nullable=False),
        pa.field("account_a", pa.string(), nullable=False),
        pa.field("platform_b", pa.string(), nullable=False),
        pa.field("account_b", pa.string(), nullable=False),
        pa.field("weight", pa.float64(), nullable=False),
        pa.field("count", pa.int64(), nullable=False),
        pa.field("p_value", pa.float64()),
        pa.field("q_value", pa.float64()),
        pa.field("first_time", pa.timestamp("us", tz="UTC")),
        pa.field("last_time", pa.timestamp("us", tz="UTC")),
        pa.field("reason", pa.string()),
    ]
)

EVENT_SCHEMA = pa.schema(
    [
        pa.field("signal", pa.string(), nullable=False),
        pa.field("platform_a", pa.string(), nullable=False),
        pa.field("account_a", pa.string(), nullable=False),
        pa.field("platform_b", pa.string(), nullable=False),
        pa.field("account_b", pa.string(), nullable=False),
        pa.field("target", pa.string()),
        pa.field("activity_a", pa.string()),
        pa.field("activity_b", pa.string()),
        pa.field("time_a", pa.timestamp("us", tz="UTC")),
        pa.field("time_b", pa.timestamp("us", tz="UTC")),
        pa.field("lag_seconds", pa.float64()),
    ]
)

SCORE_SCHEMA = pa.schema(
    [
        pa.field("signal", pa.string(), nullable=False),
        pa.field("platform", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("score", pa.float64(), nullable=False),
        pa.field("reason", pa.string()),
    ]
)


@dataclass
class Evidence:
    """What one signal found."""

    signal: str
    params: dict[str, Any]
    edges: pa.Table = field(default_factory=EDGE_SCHEMA.empty_table)
    events: pa.Table = field(default_factory=EVENT_SCHEMA.empty_table)
    scores: pa.Table = field(default_factory=SCORE_SCHEMA.empty_table)
    tables: dict[str, pa.Table] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    # False when the data lacks what the signal needs (no follows, no profile fields, no
    # infrastructure table): it found nothing because it could not look, which is not
    # evidence that there is nothing to find.
    assessable: bool = True

    def cannot_assess(self, why: str) -> None:
        """Record that the data does not let this signal judge, and why."""
        self.assessable = False
        self.notes.append(why)

    def write(self, directory: Path) -> None:
        """Write every table as Parquet under ``directory/<signal>/``."""
        out = directory / self.signal
        out.mkdir(parents=True, exist_ok=True)
        own = {EDGES: self.edges, EVENTS: self.events, SCORES: self.scores, **self.tables}
        for name, table in own.items():
            pq.write_table(table, out / f"{name}.parquet")

    @classmethod
    def read(
        cls, directory: Path, signal: str, params: dict[str, Any], *, assessable: bool = True
    ) -> Evidence:
        """The evidence :meth:`write` wrote under ``directory/<signal>/`` (its notes and
        stats are the run's to keep, in run.json)."""
        found = {p.stem: pq.read_table(p) for p in sorted((directory / signal).glob("*.parquet"))}
        ev = cls(
            signal=signal,
            params=params,
            edges=found.pop("edges"),
            events=found.pop("events"),
            scores=found.pop("scores"),
            assessable=assessable,
        )
        ev.tables = found
        return ev


@dataclass
class Describing:
    """What a signal's figures hook gets (:meth:`Signal.describe_operations`)."""

    engine: Engine
    # The reported clusters' members: platform, account_id, cluster_id.
    members: pa.Table
    # Each reported cluster's figures so far, by cluster id: the hook adds its own.
    figures: dict[str, dict[str, Any]]
    # How many items a list of figures keeps.
    top: int


@dataclass
class Reporting:
    """What a signal's report hook gets (:meth:`Signal.report_evidence`)."""

    run_dir: Path
    # The run's store, or None when the report is written without it.
    store: Store | None
    # The run's reported clusters (``operations.json``).
    operations: list[dict[str, Any]]
    # (platform, account_id) -> cluster id, for every linked account.
    cluster_of: dict[tuple[str, str], str]
    # How many examples a section shows per cluster, and variants per example.
    examples: int
    variants: int


def vouched_entry(
    op: dict[str, Any], signal: str, procedure: str, what: str
) -> list[tuple[str, str]]:
    """The kill-chain entry of a signal that evidences ``procedure`` by vouching for the
    operation's accounts: "<n> account(s) <what> (<signal> signal)", or none."""
    n = op["assets"]["by_signal"].get(signal)
    return [(procedure, f"{n} account(s) {what} ({signal} signal)")] if n else []


class Signal:
    """Base class of signals. Subclasses declare ``name``, ``kind`` and ``reference`` and
    take their parameters as keyword arguments with defaults in ``__init__``."""

    name: ClassVar[str]
    # "edges" (links between accounts) or "scores" (a judgement per account).
    kind: ClassVar[str] = "edges"
    # The paper or method the signal follows (networkx-style: every algorithm cites it).
    reference: ClassVar[str] = ""
    # Signals of one family see the same acts (a co-share and a copied text are one act
    # seen twice); fusion lets a family speak once, so that independent families agreeing
    # weigh more than one family shouting (``unmask.network``). Families: "coordination"
    # (acting together), "schedule", "audience", "identity", "infrastructure".
    family: ClassVar[str] = "coordination"
    # Per-account scores are in [0, 1]; an account at or above this is one the signal flags.
    score_threshold: ClassVar[float] = 0.5
    # Whether the signal's edges say who belongs together (they enter the fused graph that
    # is clustered), or only describe groups that other signals found (a shared working
    # rhythm is common to thousands of people who never met: it supports a cluster's
    # verdict but does not pull accounts into it).
    defines_groups: ClassVar[bool] = True
    # What the signal finds, in a few words, for people ("co-action", "copied content").
    label: ClassVar[str] = ""
    # The DISARM v1.6 techniques (ids in ``unmask.export.ttp.DISARM_TECHNIQUES``) that the
    # accounts it vouches for show; empty when DISARM names none (a shift pattern).
    disarm: ClassVar[tuple[str, ...]] = ()
    # The Meta Online Operations Kill Chain procedures its evidence can show, as Meta's
    # table spells them ("3.3.1 Centralizing internet access"); the entries
    # :meth:`kill_chain_entries` writes are among them.
    kill_chain: ClassVar[tuple[str, ...]] = ()
    # Whether ``detect`` runs it unless told otherwise (a costly signal runs when asked).
    default: ClassVar[bool] = True
    # Where it runs among the registered signals, lowest first (then by name).
    order: ClassVar[int] = 100
    # Whether it runs on the Spark engine as on DuckDB (the conformance suite compares them).
    spark: ClassVar[bool] = True

    @classmethod
    def configurations(cls) -> list[Signal]:
        """The configured signals ``detect`` knows this class by (one per evidence name)."""
        return [cls()]

    # -- hooks: how later steps use the evidence (none by default) ------------------------

    @classmethod
    def describe_operations(cls, ctx: Describing, evidence: Evidence | None) -> None:
        """Add this signal's figures to each reported cluster's (``ctx.figures``).
        ``evidence``: the run's evidence named ``cls.name``, None when it did not run."""

    @classmethod
    def kill_chain_entries(cls, op: dict[str, Any]) -> Sequence[tuple[str, str]]:
        """(procedure, evidence in words) for each kill-chain procedure (among
        ``kill_chain``) that an operation's figures show through this signal."""
        return ()

    @classmethod
    def summary_sentences(cls, op: dict[str, Any]) -> Sequence[str]:
        """The sentences this signal adds to an operation's summary in the report, from the
        figures its :meth:`describe_operations` wrote (``op``: the operation's figures)."""
        return ()

    # The key of this signal's section in each operation's report evidence, or None.
    report_section: ClassVar[str | None] = None

    @classmethod
    def report_evidence(cls, ctx: Reporting) -> dict[str, list[dict[str, Any]]]:
        """Per cluster id, the items of its report section (``report_section``)."""
        return {}

    @classmethod
    def known_assets(cls, run_dir: Path, members: pa.Table) -> list[tuple[str, dict[str, Any]]]:
        """(cluster id, asset) pairs that a run's evidence gives a cluster as a known
        operation of a catalogue (``unmask.lineage.operations_from_run``)."""
        return []

    @property
    def signal_name(self) -> str:
        """The name of this configured signal's evidence (a signal run several ways, such
        as co-action on URLs and on hashtags, gives one name per way)."""
        return self.name

    @classmethod
    def param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self) -> dict[str, Any]:
        return {p: getattr(self, p) for p in self.param_names()}

    def set_params(self, **params: Any) -> Signal:
        unknown = set(params) - set(self.param_names())
        if unknown:
            raise ValueError(f"{self.name}: unknown parameters {sorted(unknown)}")
        for k, v in params.items():
            setattr(self, k, v)
        return self

    # The schemas of its evidence tables (``Evidence.tables``), by name: every table its
    # evidence holds is declared here, and a run starts with each of them empty.
    empty_tables: ClassVar[dict[str, pa.Schema]] = {}

    def run(self, engine: Engine) -> Evidence:
        """Check the parameters, then ``_run`` in a session whose tables are dropped when it
        ends. A signal overrides ``_check`` and ``_run``, or this method as a whole."""
        self._check()
        ev = Evidence(signal=self.signal_name, params=self.get_params())
        for name, table_schema in self.empty_tables.items():
            ev.tables[name] = table_schema.empty_table()
        with RunSession(engine) as session:
            self._run(session, ev)
        return ev

    def _check(self) -> None:
        """Raise ValueError for a parameter out of range (nothing to check by default)."""

    def _run(self, engine: Engine, ev: Evidence) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"
