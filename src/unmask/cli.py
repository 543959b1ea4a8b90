"""The ``unmask`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.markup import escape
from rich.table import Table

from unmask.cli_catalogue import catalogue_app
from unmask.cli_output import consoles, fail, stages
from unmask.engine import ENGINES
from unmask.errors import UnmaskError
from unmask.ingest.base import FormatMismatch
from unmask.ingest.registry import UnknownFormat, adapters
from unmask.rundir import FLAGGED_CSV
from unmask.store import Store, StoreError, summarise

console, out = consoles()


class _Commands(typer.core.TyperGroup):
    """The top-level group: an ``UnmaskError`` from any command (sub-groups included) ends
    it with one line on stderr and the error's exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except UnmaskError as exc:
            fail(str(exc), exc.exit_code)


app = typer.Typer(
    cls=_Commands,
    help="Find covert influence operations in social-media data, and prove them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(catalogue_app, name="catalogue")

StoreOpt = Annotated[Path, typer.Option("--store", help="The activity store directory.")]


def _engine_name(name: str) -> str:
    # Checked before the command starts: a typo must not leave a half-made run behind.
    if name not in ENGINES:
        raise typer.BadParameter(f"{name!r} is not an engine; one of {', '.join(ENGINES)}")
    return name


EngineOpt = Annotated[str, typer.Option(help="duckdb (default) or spark.", callback=_engine_name)]


JsonOpt = Annotated[
    bool, typer.Option("--json", help="A machine-readable summary on stdout (and only that).")
]


def _emit_json(value: object) -> None:
    """``value`` as JSON on stdout: the one thing a command prints there with --json."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def _show_version(value: bool) -> None:
    if value:
        from unmask import __version__

        sys.stdout.write(f"unmask {__version__}\n")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Find covert influence operations in social-media data, and prove them."""


def _parse_options(pairs: list[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"--option takes KEY=VALUE, got {pair!r}")
        options[key.strip()] = value
    return options


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Export files (or folders) to ingest.")],
    store: StoreOpt,
    format: Annotated[
        str | None, typer.Option("--format", "-f", help="Source format; recognised when omitted.")
    ] = None,
    map: Annotated[
        list[str] | None,
        typer.Option("--map", help="Generic format: FIELD=COLUMN (e.g. time=created_at)."),
    ] = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", "-o", help="Adapter option KEY=VALUE.")
    ] = None,
    detect_language: Annotated[
        bool, typer.Option(help="Detect the language of texts that have none.")
    ] = True,
) -> None:
    """Ingest platform exports into the activity store (appendable and idempotent)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from unmask.ingest import ingest_file

    options: dict[str, object] = _parse_options(option or [])
    if map:
        # A list, not comma-joined text: a column's name may hold a comma.
        options["map"] = list(map)
    if not detect_language:
        options["detect_language"] = False
    files = _expand(paths)
    explicit = {p for p in paths if not p.is_dir()}
    try:
        st = Store(store, create=True)
    except StoreError as exc:
        fail(str(exc))
    table = Table(title=f"ingested into {store}")
    for col in (
        "file",
        "format",
        "read",
        "stored",
        "merged",
        "duplicate",
        "quarantined",
        "reconciles",
    ):
        table.add_column(col, justify="right" if col not in ("file", "format") else "left")
    failed = 0
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        for path in files:
            task = progress.add_task(f"{path.name}")
            try:
                result = ingest_file(
                    st,
                    path,
                    format=format,
                    options=options,
                    progress=lambda msg, t=task, p=path: progress.update(
                        t, description=f"{p.name}: {msg}"
                    ),
                )
            except UnknownFormat as exc:
                if path in explicit or format:
                    console.print(f"[bold red]error:[/] {exc}", highlight=False)
                    failed += 1
                else:
                    # A folder may hold licences and read-me files beside the exports.
                    console.print(f"[yellow]skipped[/] {path}: not a known format", highlight=False)
                continue
            except (FormatMismatch, FileNotFoundError, ValueError, StoreError) as exc:
                console.print(f"[bold red]error:[/] {exc}", highlight=False)
                failed += 1
                continue
            finally:
                progress.remove_task(task)
            m = result.manifest
            table.add_row(
                path.name,
                m.adapter + (" (already in store)" if result.skipped else ""),
                f"{m.rows_read:,}",
                f"{m.rows_stored:,}",
                f"{m.rows_merged:,}",
                f"{m.rows_duplicate:,}",
                f"{m.rows_quarantined:,}",
                "yes" if m.reconciles else "[red]NO[/]",
            )
    out.print(table)
    if failed:
        raise typer.Exit(1)


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(
                sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
            )
        elif p.exists():
            files.append(p)
        else:
            fail(f"{p}: no such file or folder")
    return files


@app.command()
def info(
    store: StoreOpt,
    as_json: JsonOpt = False,
) -> None:
    """What is in a store: platforms, accounts, activities, follows, time span, files, quarantine."""
    try:
        s = summarise(Store(store))
    except StoreError as exc:
        fail(str(exc))
    if as_json:
        _emit_json(s)
        return
    t = s["totals"]
    out.print(
        f"[bold]{store}[/]: {t['accounts']:,} accounts, {t['activities']:,} activities, "
        f"{t['follows']:,} follows, {t['infrastructure']:,} infrastructure records, "
        f"{t['quarantine']:,} quarantined; {s['first'] or '-'} → {s['last'] or '-'}",
        highlight=False,
    )
    pt = Table(title="by platform")
    for col in ("platform", "accounts", "activities", "kinds", "follows", "first", "last"):
        pt.add_column(col)
    for name, p in s["platforms"].items():
        kinds = ", ".join(f"{k} {v:,}" for k, v in p.get("activity_kinds", {}).items())
        pt.add_row(
            name,
            f"{p.get('accounts', 0):,}",
            f"{p.get('activities', 0):,}",
            kinds,
            f"{p.get('follows', 0):,}",
            p.get("first") or "",
            p.get("last") or "",
        )
    out.print(pt)
    ft = Table(title="files")
    for col in ("file", "format", "read", "stored", "merged", "duplicate", "quarantined"):
        ft.add_column(col)
    for m in s["files"]:
        ft.add_row(
            Path(m["path"]).name,
            m["adapter"],
            f"{m['rows_read']:,}",
            f"{m['rows_stored']:,}",
            f"{m.get('rows_merged', 0):,}",
            f"{m['rows_duplicate']:,}",
            f"{m['rows_quarantined']:,}",
        )
    out.print(ft)
    if s["quarantine_reasons"]:
        qt = Table(title="quarantine (most common reasons)")
        for col in ("file", "field", "reason", "rows"):
            qt.add_column(col)
        for q in s["quarantine_reasons"]:
            qt.add_row(Path(q["file"]).name, q["field"] or "", q["reason"], f"{q['rows']:,}")
        out.print(qt)


@app.command()
def formats(as_json: JsonOpt = False) -> None:
    """The source formats that `ingest` reads."""
    if as_json:
        _emit_json([{"format": n, "description": a.description} for n, a in adapters().items()])
        return
    t = Table()
    t.add_column("format")
    t.add_column("what it reads")
    for name, a in adapters().items():
        t.add_row(name, a.description)
    out.print(t)


@app.command()
def network(
    store: StoreOpt,
    on: Annotated[
        list[str],
        typer.Option(
            "--on",
            help="Target: url, domain, hashtag, parent, text or media. Several make one "
            "multi-modal network (--on url,domain or --on url --on domain): weights add up "
            "over the kinds, as in CooRTweet's multi-modal analysis.",
        ),
    ] = ["url"],  # noqa: B006 - typer reads the default, never mutates it
    window: Annotated[
        str, typer.Option("--window", help="Seconds, or 'auto' (chosen from the data).")
    ] = "60",
    min_repeat: Annotated[
        int, typer.Option("--min-repeat", help="Different targets a pair must share.")
    ] = 2,
    compat: Annotated[
        str | None,
        typer.Option(
            "--compat",
            help="Reproduce a peer's definition: coortweet (CooRTweet) or toolkit "
            "(coordination-network-toolkit's co_link with --on url, co_retweet with --on "
            "parent; directed, as the toolkit writes them: a row per direction). No null.",
        ),
    ] = None,
    min_participation: Annotated[
        int, typer.Option(help="--compat coortweet: actions an account needs to take part.")
    ] = 2,
    remove_loops: Annotated[
        bool,
        typer.Option(help="--compat coortweet or toolkit: drop an account's pairs with itself."),
    ] = True,
    fdr: Annotated[
        float, typer.Option(help="Keep edges whose estimated false-discovery rate is at most this.")
    ] = 0.05,
    out: Annotated[Path, typer.Option("--out", help="Edge list CSV (or .parquet).")] = Path(
        "edges.csv"
    ),
    events: Annotated[
        Path | None, typer.Option(help="Also write the action pairs behind each edge.")
    ] = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """One signal's coordination network: accounts that act on the same target together."""
    from unmask.engine import open_engine
    from unmask.signals.coaction import CoAction

    try:
        st = Store(store)
    except StoreError as exc:
        fail(str(exc))
    win: float | str = window if window == "auto" else float(window)
    kinds = CoAction(on=tuple(on)).kinds
    signal = CoAction(
        on=kinds[0] if len(kinds) == 1 else kinds,
        window=win,
        min_repeat=min_repeat,
        compat=compat,
        fdr=fdr,
        min_participation=min_participation,
        remove_loops=remove_loops,
    )
    with (
        console.status(f"computing {signal.signal_name} on {engine}"),
        open_engine(engine, st) as eng,
    ):
        try:
            ev = signal.run(eng)
        except ValueError as exc:
            fail(str(exc))
    edges = ev.edges.select(
        [
            "account_a",
            "account_b",
            "weight",
            "platform_a",
            "platform_b",
            "count",
            "p_value",
            "q_value",
            "first_time",
            "last_time",
            "reason",
        ]
    )
    _write_table(edges, out)
    if events is not None:
        _write_table(ev.events, events)
    for note in ev.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    accounts = len(
        set(zip(edges["platform_a"].to_pylist(), edges["account_a"].to_pylist(), strict=True))
        | set(zip(edges["platform_b"].to_pylist(), edges["account_b"].to_pylist(), strict=True))
    )
    console.print(
        f"{edges.num_rows:,} edges between {accounts:,} accounts "
        f"(window {ev.stats.get('window_seconds', 0):g} s, {ev.stats.get('events', 0):,} actions) "
        f"-> {out}",
        highlight=False,
    )


def _write_table(table, path: Path) -> None:
    import pyarrow.parquet as pq

    from unmask.export import sheet

    if path.suffix == ".parquet":
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
    else:
        sheet.write_table(table, path)


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for store/ and truth/.")],
    scenario: Annotated[
        str,
        typer.Option(
            "--scenario", help="A built-in scenario (small, medium, large) or a TOML file."
        ),
    ] = "small",
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same world (byte for byte).")] = 1,
    scale: Annotated[
        float, typer.Option("--scale", help="Multiply the population, groups and operations.")
    ] = 1.0,
) -> None:
    """Generate a synthetic world with planted operations and its ground truth."""
    from unmask.simulate.scenario import ScenarioError, load_scenario
    from unmask.simulate.world import simulate as run_simulation

    try:
        sc = load_scenario(scenario)
    except ScenarioError as exc:
        fail(str(exc))
    with stages(console, "simulate") as report:
        try:
            result = run_simulation(out_dir, sc, seed, scale=scale, progress=report)
        except (FileExistsError, StoreError, ScenarioError) as exc:
            fail(str(exc))
    m = result.manifest
    e = m.entities
    out.print(
        f"[bold]{out_dir}[/]: {e.get('accounts', 0):,} accounts, {e.get('activities', 0):,} activities, "
        f"{e.get('follows', 0):,} follows, {e.get('infrastructure', 0):,} infrastructure records "
        f"in {result.seconds:.1f} s ({e.get('activities', 0) / max(result.seconds, 1e-9):,.0f} activities/s); "
        f"store: {result.store}, truth: {result.truth}",
        highlight=False,
    )


@app.command("signals")
def list_signals(as_json: JsonOpt = False) -> None:
    """The signals `detect` knows (built-in and plugins), their families and their
    parameters with defaults."""
    from unmask.detect import default_signals, optional_signals

    if as_json:
        _emit_json(
            [
                {
                    "signal": sig.signal_name,
                    "family": sig.family,
                    "optional": optional,
                    "parameters": sig.get_params(),
                    "reference": sig.reference,
                    "label": sig.label,
                    "defines_groups": sig.defines_groups,
                    "disarm": list(sig.disarm),
                    "kill_chain": list(sig.kill_chain),
                    "tables": sorted(sig.empty_tables),
                }
                for optional, group in ((False, default_signals()), (True, optional_signals()))
                for sig in group
            ]
        )
        return

    for sig in default_signals():
        out.print(
            f"[bold]{sig.signal_name}[/] ({sig.family}): {sig!r}\n  {sig.reference}",
            highlight=False,
        )
    for sig in optional_signals():
        out.print(
            f"[bold]{sig.signal_name}[/] ({sig.family}, optional: only with --signals): "
            f"{sig!r}\n  {sig.reference}",
            highlight=False,
        )


@app.command()
def detect(
    store: StoreOpt,
    run: Annotated[Path, typer.Option("--out", help="The run directory to write.")],
    signals: Annotated[
        str | None,
        typer.Option("--signals", help="Comma-separated signal names (default: all)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="A TOML file of settings (docs/detect.md).")
    ] = None,
    engine: EngineOpt = "duckdb",
    catalogue: Annotated[
        Path | None,
        typer.Option("--catalogue", help="Link clusters to known operations (docs/lineage.md)."),
    ] = None,
    cases: Annotated[
        str | None,
        typer.Option(
            "--cases",
            envvar="UNMASK_CASES",
            help="Record the run in this case store (URL or SQLite file); default: "
            "cases.sqlite next to --store (docs/cases.md).",
        ),
    ] = None,
    record: Annotated[
        bool, typer.Option("--record/--no-record", help="Record the run in the case store.")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Find operations: run every signal, fuse their evidence, cluster, and judge."""
    from unmask.cases import CaseStoreError, resolve_url
    from unmask.cases_cli import print_recorded
    from unmask.detect import DetectConfig
    from unmask.detect import detect as run_detect

    try:
        st = Store(store)
        cfg = DetectConfig.load(config) if config else DetectConfig()
        if signals:
            cfg.signals = [s.strip() for s in signals.split(",") if s.strip()]
        if catalogue is not None:
            cfg.catalogue = str(catalogue)
        cfg.build_signals()
    except (StoreError, ValueError) as exc:
        fail(str(exc))
    with stages(console, "detect") as tell:
        url = resolve_url(cases, store) if record else None
        try:
            result = run_detect(st, run, cfg, engine=engine, progress=tell, cases=url)
        except CaseStoreError as exc:
            fail(f"{exc}\nthe run is complete in {run}: `unmask cases record {run} --cases URL`")
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    if as_json:
        _emit_json(_detect_summary(result, url))
        return
    from unmask.assess import tier_words

    reported = result.reported
    table = Table(
        title=f"operations: {result.operations.num_rows}; other coordinated groups reported: "
        f"{reported.num_rows - result.operations.num_rows} (of {result.clusters.num_rows} clusters)"
    )
    for col in ("cluster", "accounts", "platforms", "tier", "probability", "why"):
        table.add_column(col)
    for row in reported.to_pylist():
        table.add_row(
            row["cluster_id"],
            f"{row['accounts']:,}",
            ", ".join(row["platforms"]),
            tier_words(row["tier"]),
            f"{row['probability']:.2f}",
            row["reason"],
        )
    out.print(table)
    out.print(
        f"{result.flagged.num_rows:,} accounts flagged in {sum(result.seconds.values()):.1f} s "
        f"-> {run}/{FLAGGED_CSV}",
        highlight=False,
    )
    if result.recorded is not None:
        print_recorded(result.recorded, url)


def _detect_summary(result, cases_url: str | None) -> dict[str, object]:
    """What `detect --json` prints: the run folder, its reported groups and the counts."""
    rec = result.recorded
    return {
        "run": str(result.run_dir),
        "clusters": result.clusters.num_rows,
        "operations": result.operations.num_rows,
        "reported": result.reported.to_pylist(),
        "flagged_accounts": result.flagged.num_rows,
        "seconds": result.seconds,
        "notes": result.notes,
        "cases": None if rec is None else {"url": cases_url, **rec.to_dict()},
    }


RunOpt = Annotated[Path, typer.Option("--run", help="A run directory of `unmask detect`.")]
RunStoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="Where the run's store is now (default: the one run.json names)."),
]
WithoutStoreOpt = Annotated[
    bool,
    typer.Option(
        "--without-store",
        help="Go on when the run's store is missing or has changed since the run, leaving "
        "out what it gives (said on stderr).",
    ),
]


def _run_info(run: Path) -> dict:
    from unmask import rundir

    if not (run / rundir.OPERATIONS_JSON).exists():
        fail(f"{run}: not a detect run directory (no {rundir.OPERATIONS_JSON})")
    return rundir.read_meta(run)


def _run_store(run: Path, path: Path | None, without: bool, gives: str) -> Store | None:
    """The store the run read, checked to be the same data; without it only when asked."""
    from unmask.store import run_store

    if without:
        console.print(f"[yellow]note:[/] without the run's store: {gives} left out")
        return None
    try:
        return run_store(_run_info(run), path)
    except StoreError as exc:
        fail(
            f"{exc}. The store gives {gives}: say where it is now with --store PATH, or go "
            "on without them with --without-store"
        )
        raise  # unreachable: fail exits


@app.command()
def report(
    run: RunOpt,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the report.")],
    store: RunStoreOpt = None,
    without_store: WithoutStoreOpt = False,
) -> None:
    """The run's threat report: self-contained HTML, Markdown and JSON."""
    from unmask.export.report import WITHOUT_STORE, write

    st = _run_store(run, store, without_store, WITHOUT_STORE)
    with console.status("writing the report"):
        paths = write(run, out_dir, store=st)
    for kind, path in paths.items():
        out.print(f"{kind}: {path}", highlight=False)


@app.command()
def export(
    run: RunOpt,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the files.")],
    store: RunStoreOpt = None,
    without_store: WithoutStoreOpt = False,
    private: Annotated[
        bool,
        typer.Option("--private", help="Hash handles and account ids, leave out texts and graphs."),
    ] = False,
    key: Annotated[
        str | None,
        typer.Option(
            "--key", envvar="UNMASK_EXPORT_KEY", help="The team's key for --private (HMAC)."
        ),
    ] = None,
    all_accounts: Annotated[
        bool,
        typer.Option(
            "--all-accounts",
            help="Graphs: every linked account, not only the operations' (for the team, not "
            "for sharing).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The run's indicators to share: bundle.json (STIX 2.1), indicators.csv (Meta's
    columns) and the graphs (GEXF, GraphML, edge lists); docs/export.md."""
    from unmask.export import indicators, stix
    from unmask.export.findings import Privacy
    from unmask.export.graph import WITHOUT_STORE, write_graphs

    _run_info(run)
    if private and not key:
        fail("--private needs --key (or UNMASK_EXPORT_KEY): the team's secret for the hashes")
    privacy = Privacy(key.encode()) if private and key else None
    # Only the graphs read the store; a private export writes none.
    st = None if privacy else _run_store(run, store, without_store, WITHOUT_STORE)
    paths = [
        stix.write(run, out_dir / "bundle.json", privacy=privacy),
        indicators.write(run, out_dir / "indicators.csv", privacy=privacy),
    ]
    if privacy is None:
        # The graphs label nodes with handles and ids: not for sharing outside the team.
        paths += write_graphs(run, out_dir / "graphs", st, all_accounts=all_accounts)
    if as_json:
        _emit_json({"run": str(run), "private": privacy is not None, "files": paths})
        return
    for path in paths:
        out.print(str(path), highlight=False)


@app.command()
def evaluate(
    truth: Annotated[Path, typer.Option("--truth", help="The truth/ folder of `unmask simulate`.")],
    run: Annotated[
        Path,
        typer.Option("--run", help="A folder with flagged.csv or flagged.parquet (or the file)."),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Score a detection run against a synthetic world's ground truth."""
    from unmask.evaluate import EvaluationError
    from unmask.evaluate import evaluate as run_evaluation

    try:
        ev = run_evaluation(truth, run)
    except EvaluationError as exc:
        fail(str(exc))
    if as_json:
        _emit_json(ev.to_dict())
        return

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f}%"

    o = ev.overall
    out.print(
        f"[bold]accounts[/]: precision {pct(o.precision)}, recall {pct(o.recall)}, F1 {pct(o.f1)} "
        f"(TP {o.tp:,}, FP {o.fp:,}, FN {o.fn:,}); false-positive rate {pct(ev.false_positive_rate)} "
        f"of authentic accounts, {pct(ev.ordinary.rate)} of ordinary ones",
        highlight=False,
    )
    out.print(
        f"[bold]operations[/]: {ev.found} found, {ev.missed} missed, {ev.merged} merged, {ev.split} split; "
        f"purity {pct(ev.purity)}, completeness {pct(ev.completeness)}, "
        f"adjusted Rand index {ev.adjusted_rand_index:.3f}"
        + (
            f", average precision {ev.average_precision:.3f}"
            if ev.average_precision is not None
            else ""
        ),
        highlight=False,
    )
    fake = [g for g in ev.groups if g.kind == "inauthentic" and g.flagged]
    if fake:
        out.print(
            "[bold]fake accounts of no operation[/] (a follower vendor's stock): "
            + ", ".join(f"{g.group} {g.flagged:,} of {g.accounts:,}" for g in fake)
            + " flagged, not counted as false positives; counting them, precision "
            + pct(ev.strict.precision),
            highlight=False,
        )
    if ev.unknown_accounts or ev.duplicate_rows:
        console.print(
            f"[yellow]note:[/] {ev.unknown_accounts:,} flagged account(s) are not in the truth (ignored); "
            f"{ev.duplicate_rows:,} duplicate row(s) merged",
            highlight=False,
        )
    ot = Table(title="per operation")
    for col in (
        "operation",
        "type",
        "accounts",
        "flagged",
        "recall",
        "precision",
        "F1",
        "completeness",
        "status",
        "clusters",
    ):
        ot.add_column(col)
    for op in ev.operations:
        status = (
            op.status
            + (" split" if op.split else "")
            + (f" merged with {', '.join(op.merged_with)}" if op.merged else "")
        )
        ot.add_row(
            op.id,
            op.type or "",
            f"{op.accounts:,}",
            f"{op.flagged:,}",
            pct(op.recall),
            pct(op.precision),
            pct(op.f1),
            pct(op.completeness),
            status,
            ", ".join(op.clusters[:5]) + (" …" if len(op.clusters) > 5 else ""),
        )
    out.print(ot)
    ct = Table(title="confusion (truth class × flagged)")
    for col in ("class", "kind", "accounts", "flagged", "not flagged", "rate"):
        ct.add_column(col)
    for r in ev.confusion:
        ct.add_row(
            r["class"],
            r["kind"],
            f"{r['accounts']:,}",
            f"{r['flagged']:,}",
            f"{r['not_flagged']:,}",
            pct(r["flagged"] / r["accounts"] if r["accounts"] else None),
        )
    out.print(ct)
    if ev.signals:
        st = Table(title="per signal")
        for col in ("signal", "flagged", "precision", "recall", "false positives by group"):
            st.add_column(col)
        for s in ev.signals:
            st.add_row(
                s.signal,
                f"{s.flagged:,}",
                pct(s.precision),
                pct(s.recall),
                ", ".join(f"{g} {n:,}" for g, n in s.false_positives_by_group.items()),
            )
        out.print(st)
    kt = Table(title="largest clusters")
    for col in ("cluster", "size", "majority", "purity"):
        kt.add_column(col)
    for c in ev.clusters[:15]:
        kt.add_row(c.cluster_id, f"{c.size:,}", c.majority, pct(c.purity))
    out.print(kt)


def _add_cases() -> None:
    from unmask.cases_cli import app as cases_app

    app.add_typer(cases_app, name="cases")


_add_cases()

if __name__ == "__main__":  # pragma: no cover
    app()
