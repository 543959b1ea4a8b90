"""``unmask detect``: every signal, fusion, clustering and judgement, into a run directory.

``RUN/`` is described, read and written by ``unmask.rundir``.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from unmask import assess, attach, judgement, lineage, network, operations, rundir
from unmask.catalogue import Catalogue
from unmask.engine import open_engine
from unmask.errors import ConfigError
from unmask.export import sheet
from unmask.signals import registry
from unmask.signals.base import Evidence, Signal
from unmask.store import Store

Progress = Callable[[str, int, int], None]


def default_signals() -> list[Signal]:
    """The signals ``detect`` runs unless told otherwise, each with its defaults: every
    registered signal class (``unmask.signals.registry``) that runs by default."""
    return registry.default_signals()


def optional_signals() -> list[Signal]:
    """Signals ``detect`` can run when asked (``--signals``, ``[signals] run``) but does not
    run by default, as too costly for every run (semantic copies: 3x the default detect on
    the medium world)."""
    return registry.optional_signals()


def available_signals() -> list[Signal]:
    """Every signal ``detect`` knows: the default ones first, then the optional ones."""
    return registry.available_signals()


# Settings that no longer exist, and what took their place.
RETIRED = {
    ("judge", "min_families"): "was replaced by `likely` (the calibrated probability for "
    "'likely coordinated inauthentic behaviour', 0.7); see docs/detect.md, Judgement",
    ("judge", "high_families"): "was replaced by `high` (the calibrated probability for "
    "'coordinated inauthentic behaviour (high confidence)', 0.9); see docs/detect.md",
}


@dataclass
class DetectConfig:
    """Everything ``detect`` can be told; a TOML file with the same keys sets it.

    ``[fusion]`` cap, resolution, workers · ``[judge]`` min_size, min_support, likely,
    high (the probabilities of the two inauthentic tiers), model (a fitted judgement
    model's file) · ``[attach]`` share, min_accounts (``unmask.attach``) · ``[signals]``
    run = [names] · ``[signals.<name>]`` parameters of that signal (``unmask signals``
    lists names and parameters).
    """

    signals: list[str] | None = None
    signal_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    cap: float = 3.0
    resolution: float = 0.1
    workers: int = 1
    seed: int = 0
    min_size: int = 5
    min_support: float = 0.2
    likely: float = 0.7
    high: float = 0.9
    # A judgement model file (``benchmarks/fit_judgement.py``); default: the shipped one.
    model: str | None = None
    # A catalogue of known operations (``unmask.catalogue``): clusters are linked to them.
    catalogue: str | None = None
    # Bought followers attached to an operation (``unmask.attach``).
    attach_share: float = attach.ATTACH_SHARE
    attach_min_accounts: int = attach.ATTACH_MIN_ACCOUNTS

    @classmethod
    def load(cls, path: Path) -> DetectConfig:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the configuration: {exc}") from exc
        cfg = cls()
        # Per section, each setting and the field it sets.
        known = {
            "fusion": {k: k for k in ("cap", "resolution", "workers", "seed")},
            "judge": {k: k for k in ("min_size", "min_support", "likely", "high", "model")},
            "attach": {"share": "attach_share", "min_accounts": "attach_min_accounts"},
        }
        for section, keys in known.items():
            for key, value in raw.get(section, {}).items():
                if (section, key) in RETIRED:
                    raise ConfigError(f"{path}: [{section}] {key} {RETIRED[section, key]}")
                if key not in keys:
                    raise ConfigError(
                        f"{path}: [{section}] has no setting {key!r} (known: {', '.join(keys)})"
                    )
                _check_type(path, section, key, value, getattr(cfg, keys[key]))
                setattr(cfg, keys[key], value)
        if not 0 < cfg.attach_share <= 1 or cfg.attach_min_accounts < 1:
            raise ConfigError(
                f"{path}: [attach] share must be in (0, 1] and min_accounts at least 1 "
                f"(got {cfg.attach_share!r} and {cfg.attach_min_accounts!r})"
            )
        if "lineage" in raw:
            for key, value in raw["lineage"].items():
                if key != "catalogue":
                    raise ConfigError(
                        f"{path}: [lineage] has no setting {key!r} (known: catalogue)"
                    )
                cfg.catalogue = str(value)
        sig = dict(raw.get("signals", {}))
        run = sig.pop("run", None)
        cfg.signals = list(run) if run is not None else None
        cfg.signal_params = {k: dict(v) for k, v in sig.items()}
        unknown = set(raw) - {"fusion", "judge", "attach", "signals", "lineage"}
        if unknown:
            raise ConfigError(f"{path}: unknown section(s) {sorted(unknown)}")
        return cfg

    def build_signals(self) -> list[Signal]:
        available = {s.signal_name: s for s in available_signals()}
        defaults = [s.signal_name for s in default_signals()]
        names = self.signals if self.signals is not None else defaults
        unknown = [n for n in [*names, *self.signal_params] if n not in available]
        if unknown:
            raise ConfigError(
                f"unknown signal(s) {', '.join(sorted(set(unknown)))}; known: {', '.join(available)}"
            )
        chosen = []
        for name in names:
            sig = available[name]
            try:
                # Checked now: a wrong value fails before any signal runs, not midway.
                sig.set_params(**self.signal_params.get(name, {}))._check()
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"[signals.{name}]: {exc}") from exc
            chosen.append(sig)
        return chosen


def _check_type(path: Path, section: str, key: str, value: object, default: object) -> None:
    """A setting must have its default's type (an integer is a number too)."""
    if default is None or (isinstance(value, type(default)) and not isinstance(value, bool)):
        return
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return
    raise ConfigError(f"{path}: [{section}] {key} = {value!r}: expected a {type(default).__name__}")


@dataclass
class DetectResult:
    run_dir: Path
    clusters: pa.Table
    flagged: pa.Table
    seconds: dict[str, float]
    notes: list[str]
    # What the case store made of the run (``unmask.cases.Recorded``), when one was given.
    recorded: Any = None

    @property
    def operations(self) -> pa.Table:
        """The clusters judged inauthentic (``assess.TAKEDOWN_TIERS``)."""
        return self.clusters.filter(self.clusters["operation"])

    @property
    def reported(self) -> pa.Table:
        """Every cluster with a tier: the operations first, then the coordinated groups
        whose authenticity the data could not show."""
        rows = self.clusters.filter(pc.is_valid(self.clusters["tier"])).to_pylist()
        rows.sort(key=lambda r: (not r["operation"], -r["probability"], r["cluster_id"]))
        return pa.Table.from_pylist(rows, schema=self.clusters.schema)


def detect(
    store: Store,
    run_dir: Path,
    config: DetectConfig | None = None,
    *,
    engine: str = "duckdb",
    progress: Progress | None = None,
    cases: str | None = None,
    reuse_evidence: bool = False,
) -> DetectResult:
    """Run the whole detection on ``store`` and write ``run_dir`` (see the module doc); with
    ``cases`` (a case store URL), record the written run there (``docs/cases.md``).

    ``reuse_evidence``: a signal whose evidence ``run_dir`` already holds, from the same
    store (fingerprint) with the same parameters, is read back instead of run again; fusion,
    clustering, the judgement and the figures are always redone (a refitted model, a new
    clustering rule, without paying for the signals)."""
    cfg = config or DetectConfig()
    signals = cfg.build_signals()
    # Opened first: a wrong catalogue or model path fails before the signals run, not after.
    known = Catalogue(cfg.catalogue) if cfg.catalogue else None
    model = judgement.load_model(Path(cfg.model) if cfg.model else None)
    run_dir.mkdir(parents=True, exist_ok=True)
    tell = progress or (lambda stage, done, total: None)
    seconds: dict[str, float] = {}
    notes: list[str] = []
    judged: list[assess.Judged] = []
    stats: dict[str, Any] = {}
    # Before the engine reads the store: a batch committed during the run is not in it.
    fingerprint = store.fingerprint()
    before = _earlier_run(run_dir, fingerprint) if reuse_evidence else {}
    with open_engine(engine, store) as eng:
        for i, sig in enumerate(signals):
            tell(f"signal {sig.signal_name}", i, len(signals))
            t0 = time.perf_counter()
            ev = _kept_evidence(before, sig, run_dir)
            if ev is not None:
                seconds[sig.signal_name] = before["seconds"][sig.signal_name]
            else:
                ev = sig.run(eng)
                seconds[sig.signal_name] = round(time.perf_counter() - t0, 3)
                ev.write(rundir.evidence_dir(run_dir))
            notes += [f"{ev.signal}: {n}" for n in ev.notes]
            stats[ev.signal] = {
                "params": _jsonable(ev.params),
                "stats": _jsonable(ev.stats),
                "edges": ev.edges.num_rows,
                "scores": ev.scores.num_rows,
                "family": sig.family,
                "assessable": ev.assessable,
            }
            judged.append(assess.Judged(ev, sig.family, sig.score_threshold, sig.defines_groups))
        eng.drop_shared()
        tell("fusing and clustering", len(signals), len(signals))
        t0 = time.perf_counter()
        fused = network.fuse(
            [
                network.Layer(j.evidence.signal, j.family, j.evidence.edges)
                for j in judged
                if j.defines_groups
            ],
            cap=cfg.cap,
        )
        nodes = network.cluster(
            fused, resolution=cfg.resolution, seed=cfg.seed, workers=cfg.workers
        )
        seconds["fuse_and_cluster"] = round(time.perf_counter() - t0, 3)
        tell("judging clusters", len(signals), len(signals))
        t0 = time.perf_counter()
        vouched = assess.member_support(nodes, judged)
        clusters = assess.judge(
            nodes,
            vouched,
            features=judgement.cluster_features(
                eng,
                nodes,
                vouched,
                judgement.act_hours(j.evidence for j in judged if j.defines_groups),
                judgement.site_pushers(j.evidence for j in judged),
            ),
            model=model,
            min_size=cfg.min_size,
            min_support=cfg.min_support,
            likely=cfg.likely,
            high=cfg.high,
            assessable={j.family for j in judged if j.evidence.assessable},
            ran={j.family for j in judged},
        )
        seconds["judge"] = round(time.perf_counter() - t0, 3)
        tell("describing operations", len(signals), len(signals))
        t0 = time.perf_counter()
        attached = _attached(eng, nodes, clusters, judged, cfg)
        members = attach.members(nodes, attached)
        described = operations.describe(
            eng, members, clusters, [j.evidence for j in judged], vouched
        )
        assets = operations.takedown(eng, members, clusters, vouched)
        seconds["describe"] = round(time.perf_counter() - t0, 3)
        if known is not None:
            tell("linking to known operations", len(signals), len(signals))
            t0 = time.perf_counter()
            links = lineage.link_operations(eng, nodes, known)
            lineage.write_links(links, run_dir)
            _add_lineage(described, links)
            seconds["lineage"] = round(time.perf_counter() - t0, 3)
    flagged = assets.select(
        ["platform", "account_id", "operation", "operation_probability", "signals"]
    )
    flagged = flagged.rename_columns(["platform", "account_id", "cluster_id", "score", "signals"])

    rundir.write_tables(
        run_dir,
        {
            rundir.FUSED: fused,
            rundir.NODES: nodes,
            rundir.CLUSTERS: clusters,
            rundir.ATTACHED: attached,
        },
    )
    # The CSVs are for people (formula cells neutralised); programs read the Parquet twins.
    for parquet, csv, table in (
        (rundir.FLAGGED, rundir.FLAGGED_CSV, flagged),
        (rundir.TAKEDOWN, rundir.TAKEDOWN_CSV, assets),
    ):
        rundir.write_tables(run_dir, {parquet: table})
        sheet.write_table(table, run_dir / csv)
    rundir.write_json(run_dir, rundir.OPERATIONS_JSON, described)
    rundir.write_meta(
        run_dir,
        {
            # Absolute, so that a report or export run from another folder finds it;
            # the fingerprint tells them whether it is still the data the run read.
            "store": str(store.path.resolve()),
            "store_fingerprint": fingerprint,
            # The run's time: the created/modified of the objects it exports (STIX).
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "engine": engine,
            "config": _jsonable(cfg.__dict__),
            "signals": stats,
            "seconds": seconds,
            "notes": notes,
            "counts": {
                "fused_edges": fused.num_rows,
                "linked_accounts": nodes.num_rows,
                "clusters": clusters.num_rows,
                "operations": int(sum(clusters["operation"].to_pylist())),
                "reported": {
                    t: int(sum(x == t for x in clusters["tier"].to_pylist())) for t in assess.TIERS
                },
                "attached_followers": attached.num_rows,
                "flagged_accounts": flagged.num_rows,
            },
        },
    )
    result = DetectResult(run_dir, clusters, flagged, seconds, notes)
    if cases is not None:
        from unmask.cases import record_run

        result.recorded = record_run(cases, run_dir)
    return result


def _attached(
    eng: Any, nodes: pa.Table, clusters: pa.Table, judged: list[assess.Judged], cfg: DetectConfig
) -> pa.Table:
    """The operations' bought followers (``unmask.attach``), from the evidence of the
    signal that gives bought follows, when one ran."""
    bought = next(
        (j.evidence.tables["bought"] for j in judged if "bought" in j.evidence.tables), None
    )
    ops = sorted(clusters.filter(clusters["operation"])["cluster_id"].to_pylist())
    return attach.bought_followers(
        eng, nodes, ops, bought, share=cfg.attach_share, min_accounts=cfg.attach_min_accounts
    )


def _add_lineage(described: list[dict[str, Any]], links: pa.Table) -> None:
    """Each operation's links to known operations, in ``operations.json``."""
    by_cluster: dict[str, list[dict[str, Any]]] = {}
    for link in links.filter(links["linked"]).to_pylist():
        by_cluster.setdefault(link["cluster_id"], []).append(
            {k: link[k] for k in ("known_operation", "origin", "score", "reason")}
        )
    for op in described:
        op["lineage"] = by_cluster.get(op["cluster_id"], [])


def _kept_evidence(before: dict[str, Any], sig: Signal, run_dir: Path) -> Evidence | None:
    """``sig``'s evidence as the earlier run (its run.json ``before``) wrote it, when that run
    ran it with the same parameters; None when it must run again."""
    kept = before.get("signals", {}).get(sig.signal_name)
    if not kept or kept["params"] != _jsonable(sig.get_params()) or "assessable" not in kept:
        return None
    try:
        ev = Evidence.read(
            rundir.evidence_dir(run_dir),
            sig.signal_name,
            sig.get_params(),
            assessable=kept["assessable"],
        )
    except (OSError, KeyError):  # a file of it is gone: run it again
        return None
    prefix = f"{sig.signal_name}: "
    ev.notes = [n.removeprefix(prefix) for n in before.get("notes", []) if n.startswith(prefix)]
    ev.stats = kept["stats"]
    return ev


def _earlier_run(run_dir: Path, fingerprint: str) -> dict[str, Any]:
    """The run.json already in ``run_dir`` when it was made from the same data, else {}."""
    try:
        earlier = rundir.read_meta(run_dir)
    except (OSError, ValueError, rundir.RunFormatError):
        return {}
    return earlier if earlier.get("store_fingerprint") == fingerprint else {}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
