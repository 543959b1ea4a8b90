"""``unmask cases ...``: the case store from the command line (``docs/cases.md``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from unmask import rundir
from unmask.assess import tier_words
from unmask.cases import (
    DECISIONS,
    STATUSES,
    CaseStore,
    CaseStoreError,
    Recorded,
    case_name,
    parse_case_id,
    resolve_url,
)
from unmask.cli_output import consoles, fail

app = typer.Typer(
    help="Cases: operations, their evidence and analysts' decisions, kept across runs.",
    no_args_is_help=True,
)
console, out = consoles()

CasesOpt = Annotated[
    str | None,
    typer.Option(
        "--cases",
        envvar="UNMASK_CASES",
        help="The case store: a SQLAlchemy URL (postgresql+psycopg://user@host/db) or a "
        "SQLite file. Default: cases.sqlite next to --store.",
    ),
]
StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="The activity store whose data directory holds cases.sqlite."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@contextmanager
def _opened(cases: str | None, store: Path | None) -> Iterator[CaseStore]:
    """The case store, closed afterwards; its errors end the command with the message."""
    try:
        cs = CaseStore(resolve_url(cases, store))
    except CaseStoreError as exc:
        fail(str(exc))
    try:
        yield cs
    except CaseStoreError as exc:
        fail(str(exc))
    finally:
        cs.close()


def print_recorded(rec: Recorded, where: str) -> None:
    """One line per operation of the run: the case it went to and how."""
    if rec.already_recorded:
        console.print(f"{rec.run_dir} is already recorded in {where}", highlight=False)
        return
    for cluster, (case_id, how, overlap) in sorted(rec.clusters.items()):
        said = how if overlap is None else f"{how} (overlap {overlap:.2f})"
        console.print(f"  {cluster} -> {case_name(case_id)}: {said}", highlight=False)
    for source, target in rec.merged:
        console.print(f"  {case_name(source)} merged into {case_name(target)}", highlight=False)
    for cluster, case_id, shared, status in rec.related:
        console.print(
            f"  [yellow]{cluster} also shares {shared} asset(s) with {case_name(case_id)}[/] "
            f"({status})",
            highlight=False,
        )
    for case_id in rec.returned_cases:
        console.print(
            f"  [bold red]{case_name(case_id)} is back[/]: taken down, now active again",
            highlight=False,
        )
    console.print(
        f"recorded in {where}: {len(rec.new_cases)} new case(s), "
        f"{len(rec.updated_cases)} updated, {len(rec.returned_cases)} returned, "
        f"{len(rec.merged)} merged",
        highlight=False,
    )


@app.command("record")
def record(
    run: Annotated[Path, typer.Argument(help="A run directory of `unmask detect`.")],
    cases: CasesOpt = None,
    store: StoreOpt = None,
) -> None:
    """Record a detect run: its operations join their cases or open new ones."""
    if cases is None and store is None:
        # The default store of the activity store the run was made from, if it is here.
        try:
            meta = rundir.read_meta(run)
        except (OSError, ValueError):
            meta = {}
        named = Path(meta["store"]) if meta.get("store") else None
        if named is None or not (named / "store.json").exists():
            fail(
                f"{run} names the activity store {named}, which is not found from here: "
                "give --cases URL or --store STORE"
            )
        store = named
    with _opened(cases, store) as cs:
        rec = cs.record_run(run)
    print_recorded(rec, cs.display_url)


@app.command("list")
def list_cases(
    cases: CasesOpt = None,
    store: StoreOpt = None,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help=f"Only these statuses ({', '.join(STATUSES)})."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The cases, by case id (oldest first)."""
    with _opened(cases, store) as cs:
        rows = cs.list_cases(status)
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    t = Table(title=f"{len(rows)} case(s)")
    for col in ("case", "status", "tier", "assets", "runs", "score", "active", "title"):
        t.add_column(col)
    for r in rows:
        status_text = r["status"] + (
            f" into {case_name(r['merged_into'])}" if r["merged_into"] else ""
        )
        t.add_row(
            case_name(r["id"]),
            status_text,
            r.get("tier") or "",
            f"{r['asset_count']:,}",
            str(r["run_count"]),
            f"{r['score']:.2f}" if r["score"] is not None else "",
            f"{(r['activity_first'] or '')[:10]} → {(r['activity_last'] or '')[:10]}",
            r["title"],
        )
    out.print(t)


@app.command("show")
def show(
    case: Annotated[str, typer.Argument(help="A case id: 12 or case-12.")],
    cases: CasesOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One case: its runs, assets, evidence per signal and decision log."""
    with _opened(cases, store) as cs:
        c = cs.case(case)
    if as_json:
        sys.stdout.write(json.dumps(c, indent=2, default=str, ensure_ascii=False) + "\n")
        return
    out.print(
        f"[bold]{case_name(c['id'])}[/] {c['title']}\n"
        f"status {c['status']}"
        + (f" (merged into {case_name(c['merged_into'])})" if c["merged_into"] else "")
        + (f"; {tier_words(c['tier'])}" if c.get("tier") else "")
        + f"; {c['asset_count']:,} assets on {', '.join(c['platforms'] or [])}; score "
        f"{c['score']:.2f}: {c['reason']}\nactive {c['activity_first']} → {c['activity_last']}; "
        f"seen by runs {c['first_seen']} → {c['last_seen']}"
        + (
            f"; merged from {', '.join(case_name(i) for i in c['merged_from'])}"
            if c["merged_from"]
            else ""
        ),
        highlight=False,
    )
    rt = Table(title="runs")
    for col in ("recorded", "cluster", "accounts", "score", "matched", "run directory"):
        rt.add_column(col)
    for r in c["runs"]:
        m = r["matched"]
        rt.add_row(
            r["recorded_at"][:19],
            r["cluster_id"],
            str(r["accounts"]),
            f"{r['score']:.2f}",
            (
                f"{m['shared']} shared, overlap {m['overlap']:.2f}"
                if m and "shared" in m
                else "new case"
            )
            + "".join(
                f"; also {a['shared']} with {case_name(a['case_id'])} ({a['status']})"
                for a in (m or {}).get("also", [])
            ),
            r["path"],
        )
    out.print(rt)
    latest = [e for e in c["evidence"] if e["run_id"] == c["last_run"]]
    et = Table(
        title=f"evidence in the latest run (rows in {c['runs'][-1]['path'] if c['runs'] else 'RUN'}"
        "/evidence/<signal>/; earlier runs: --json)"
    )
    for col in (
        "cluster",
        "signal",
        "accounts",
        "edges",
        "events",
        "activities",
        "period",
        "e.g. activities",
    ):
        et.add_column(col)
    for e in latest:
        et.add_row(
            e["cluster_id"],
            e["signal"],
            str(e["accounts"]),
            str(e["edges"]),
            str(e["events"]),
            str(e["activities"]),
            f"{(e['first_time'] or '')[:16]} → {(e['last_time'] or '')[:16]}",
            ", ".join((e["example_activities"] or [])[:3]),
        )
    out.print(et)
    at = Table(title=f"assets ({len(c['assets'])})")
    for col in ("platform", "account", "kind", "handle", "runs", "signals", "decision"):
        at.add_column(col)
    for a in c["assets"][:50]:
        at.add_row(
            a["platform"],
            a["account_id"],
            a["kind"] or "",
            a["handle"] or "",
            str(a["runs_seen"]),
            a["signals"] or "",
            f"{a['decision']} ({a['decided_by']})" if a["decision"] else "",
        )
    out.print(at)
    if len(c["assets"]) > 50:
        out.print(f"… and {len(c['assets']) - 50} more (--json for all)", highlight=False)
    dt = Table(title="decisions")
    for col in ("when", "analyst", "decision", "asset", "note"):
        dt.add_column(col)
    for d in c["decisions"]:
        dt.add_row(
            d["decided_at"][:19],
            d["analyst"],
            f"{d['previous_status']} → {d['decision']}",
            f"{d['platform']}:{d['account_id']}" if d["platform"] else "",
            d["note"] or "",
        )
    out.print(dt)


@app.command("decide")
def decide(
    case: Annotated[str, typer.Argument(help="A case id: 12 or case-12.")],
    decision: Annotated[str, typer.Option("--decision", help=" | ".join(DECISIONS))],
    analyst: Annotated[str, typer.Option("--analyst", help="Who decides (kept in the log).")],
    note: Annotated[str | None, typer.Option("--note", help="Why.")] = None,
    asset: Annotated[
        str | None,
        typer.Option("--asset", help="Decide on one asset of the case: PLATFORM:ACCOUNT_ID."),
    ] = None,
    cases: CasesOpt = None,
    store: StoreOpt = None,
) -> None:
    """Record an analyst's decision on a case (or one asset); the log keeps every one."""
    target = None
    if asset is not None:
        platform, sep, account = asset.partition(":")
        if not sep or not platform or not account:
            fail(f"--asset takes PLATFORM:ACCOUNT_ID, got {asset!r}")
        target = (platform, account)
    with _opened(cases, store) as cs:
        cs.decide(case, decision, analyst=analyst, note=note, asset=target)
    console.print(
        f"{case_name(parse_case_id(case))}"
        + (f" asset {asset}" if asset else "")
        + f": {decision} by {analyst}",
        highlight=False,
    )
