"""``unmask detect``, ``signals`` and ``network``: finding operations, and the signals that do."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from unmask import rundir
from unmask.cli.common import EngineOpt, JsonOpt, StoreOpt
from unmask.cli.output import consoles, emit_json, fail, stages
from unmask.store import Store, StoreError

app = typer.Typer()
console, out = consoles()


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


@app.command("signals")
def list_signals(as_json: JsonOpt = False) -> None:
    """The signals `detect` knows (built-in and plugins), their families and their
    parameters with defaults."""
    from unmask.detect import default_signals, optional_signals

    if as_json:
        emit_json(
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
    reuse_evidence: Annotated[
        bool,
        typer.Option(
            "--reuse-evidence",
            help="Read back each signal's evidence already in --out (same data, same "
            "parameters) instead of running it; clustering and judgement are redone.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Find operations: run every signal, fuse their evidence, cluster, and judge."""
    from unmask.cases import CaseStoreError, resolve_url
    from unmask.cli.cases import print_recorded
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
            result = run_detect(
                st,
                run,
                cfg,
                engine=engine,
                progress=tell,
                cases=url,
                reuse_evidence=reuse_evidence,
            )
        except CaseStoreError as exc:
            fail(f"{exc}\nthe run is complete in {run}: `unmask cases record {run} --cases URL`")
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    if as_json:
        emit_json(_detect_summary(result, url))
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
        f"-> {run}/{rundir.FLAGGED_CSV}",
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
