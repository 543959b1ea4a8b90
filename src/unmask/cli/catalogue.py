"""``unmask catalogue ...``: the catalogue of known operations (``docs/lineage.md``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from unmask import rundir
from unmask.catalogue import Catalogue, CatalogueError
from unmask.cli.common import JsonOpt
from unmask.cli.output import consoles, emit_json, fail

app = typer.Typer(
    help="Known operations: import published indicators, add past findings, link runs.",
    no_args_is_help=True,
)
console, out = consoles()

CatalogueOpt = Annotated[
    Path, typer.Option("--catalogue", help="The catalogue directory (made when missing).")
]


def _open(path: Path, create: bool = False) -> Catalogue:
    try:
        return Catalogue(path, create=create and not (path / "catalogue.json").exists())
    except CatalogueError as exc:
        fail(str(exc))
        raise  # unreachable: fail exits


def _run_store(run: Path, store: Path | None):
    """The store the run read (or the one at ``store``), checked to be the same data, as
    report and export check it (``unmask.store.run_store``)."""
    from unmask.store import StoreError, run_store

    try:
        return run_store(rundir.read_meta(run), store)
    except (OSError, ValueError, StoreError) as exc:
        fail(f"{run}: {exc}; say where the run's store is now with --store PATH")


@app.command("import")
def import_files(
    files: Annotated[list[Path], typer.Argument(help="Meta indicator CSV files or folders.")],
    catalogue: CatalogueOpt,
) -> None:
    """Import published indicator files (Meta's threat-research CSVs): one known
    operation per file."""
    from unmask.catalogue import import_meta

    missing = [str(f) for f in files if not f.exists()]
    if missing:
        fail(f"no such file(s): {', '.join(missing)}")
    cat = _open(catalogue, create=True)
    names, problems = import_meta(cat, files)
    for p in problems:
        console.print(f"[yellow]not read:[/] {p}", highlight=False)
    out.print(f"{len(names)} known operation(s) imported into {catalogue}", highlight=False)


@app.command("add-run")
def add_run(
    run: Annotated[Path, typer.Argument(help="A run directory of `unmask detect`.")],
    name: Annotated[str, typer.Option("--name", help="Name of the finding (NAME/<cluster>).")],
    catalogue: CatalogueOpt,
    store: Annotated[
        Path | None, typer.Option("--store", help="The store of the run (default: run.json's).")
    ] = None,
    cluster: Annotated[
        list[str] | None, typer.Option("--cluster", help="Only this cluster (repeatable).")
    ] = None,
    all_clusters: Annotated[
        bool, typer.Option("--all-clusters", help="Every cluster, not only operations.")
    ] = False,
) -> None:
    """Add a run's operations (their accounts, pushed domains, links and hashtags, content
    families and schedule) to the catalogue."""
    from unmask.engine.duckdb import DuckDBEngine
    from unmask.lineage import operations_from_run

    if not (run / rundir.CLUSTERS).exists():
        fail(f"{run}: not a detect run directory (no {rundir.CLUSTERS})")
    st = _run_store(run, store)
    cat = _open(catalogue, create=True)
    try:
        with DuckDBEngine(st) as eng:
            ops = operations_from_run(
                eng, run, name, clusters=cluster or None, all_clusters=all_clusters
            )
    except ValueError as exc:
        fail(str(exc))
    if not ops:
        console.print("[yellow]note:[/] the run has no operation to add (try --all-clusters)")
        return
    cat.add(ops)
    for op in ops:
        out.print(f"{op.name}: {len(op.assets):,} assets", highlight=False)


@app.command("list")
def list_operations(
    catalogue: CatalogueOpt,
    as_json: JsonOpt = False,
) -> None:
    """The known operations, with their assets by kind and accounts by platform."""
    rows = _open(catalogue).summary()
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"{len(rows)} known operation(s)")
    for col in ("name", "origin", "assets", "accounts by platform"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["name"],
            r["origin"],
            ", ".join(f"{k} {v:,}" for k, v in sorted(r["assets"].items())),
            ", ".join(f"{k} {v:,}" for k, v in sorted(r["accounts_by_platform"].items())),
        )
    out.print(table)


@app.command("link")
def link(
    run: Annotated[Path, typer.Argument(help="A run directory of `unmask detect`.")],
    catalogue: CatalogueOpt,
    store: Annotated[
        Path | None, typer.Option("--store", help="The store of the run (default: run.json's).")
    ] = None,
    min_score: Annotated[float, typer.Option(help="Score from which a pair is linked.")] = 1.0,
) -> None:
    """Link a run's clusters to the known operations: RUN/lineage.parquet and lineage.json."""
    from unmask.engine.duckdb import DuckDBEngine
    from unmask.lineage import link_operations, write_links

    if not (run / rundir.NODES).exists():
        fail(f"{run}: not a detect run directory (no {rundir.NODES})")
    st = _run_store(run, store)
    cat = _open(catalogue)
    with DuckDBEngine(st) as eng:
        links = link_operations(eng, rundir.read_table(run, rundir.NODES), cat, min_score=min_score)
    path = write_links(links, run)
    linked = links.filter(links["linked"]).to_pylist()
    for r in linked:
        out.print(f"{r['cluster_id']}: {r['reason']} (score {r['score']:.2f})", highlight=False)
    out.print(f"{len(linked)} link(s) -> {path}", highlight=False)


@app.command("related")
def related(catalogue: CatalogueOpt) -> None:
    """Known operations that share assets with each other (one actor under two names)."""
    from unmask.lineage import related_known

    rows = related_known(_open(catalogue)).to_pylist()
    for r in rows:
        kinds = ", ".join(f"{k['items']} {k['kind']}(s)" for k in r["by_kind"])
        out.print(
            f"{r['a']} ~ {r['b']}: {kinds}, e.g. {', '.join(r['examples'][:3])} "
            f"(score {r['score']:.2f})",
            highlight=False,
        )
    out.print(f"{len(rows)} related pair(s)", highlight=False)
