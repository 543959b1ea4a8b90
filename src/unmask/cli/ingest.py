"""``unmask ingest``, ``info`` and ``formats``: what goes into a store, and what is in it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from unmask.cli.common import JsonOpt, StoreOpt
from unmask.cli.output import consoles, emit_json, fail
from unmask.ingest.base import FormatMismatch
from unmask.ingest.registry import UnknownFormat, adapters
from unmask.store import Store, StoreError, summarise

app = typer.Typer()
console, out = consoles()


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
            started = time.perf_counter()
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
            if not console.is_terminal:
                # No live spinner in a log: one line per file as it is done.
                console.print(
                    f"ingest: {path.name}: {m.adapter}"
                    + (" (already in store)" if result.skipped else "")
                    + f", {m.rows_read:,} read, {m.rows_stored:,} stored, "
                    f"{m.rows_quarantined:,} quarantined "
                    f"in {time.perf_counter() - started:.1f} s",
                    highlight=False,
                    markup=False,
                )
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
        emit_json(s)
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
        emit_json([{"format": n, "description": a.description} for n, a in adapters().items()])
        return
    t = Table()
    t.add_column("format")
    t.add_column("what it reads")
    for name, a in adapters().items():
        t.add_row(name, a.description)
    out.print(t)
