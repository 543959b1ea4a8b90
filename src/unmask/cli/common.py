"""The options that several commands share, and reading the run directory they name."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from unmask.cli.output import consoles, fail
from unmask.engine import ENGINES
from unmask.store import Store, StoreError

console, _ = consoles()

StoreOpt = Annotated[Path, typer.Option("--store", help="The activity store directory.")]

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Machine-readable output on stdout (and only that).")
]


def _engine_name(name: str) -> str:
    # Checked before the command starts: a typo must not leave a half-made run behind.
    if name not in ENGINES:
        raise typer.BadParameter(f"{name!r} is not an engine; one of {', '.join(ENGINES)}")
    return name


EngineOpt = Annotated[str, typer.Option(help="duckdb (default) or spark.", callback=_engine_name)]

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


def run_info(run: Path) -> dict:
    """The run's run.json; the command ends when ``run`` is not a detect run directory."""
    from unmask import rundir

    if not (run / rundir.OPERATIONS_JSON).exists():
        fail(f"{run}: not a detect run directory (no {rundir.OPERATIONS_JSON})")
    return rundir.read_meta(run)


def run_store(run: Path, path: Path | None, without: bool, gives: str) -> Store | None:
    """The store the run read, checked to be the same data; without it only when asked."""
    from unmask.store import run_store as checked_store

    if without:
        console.print(f"[yellow]note:[/] without the run's store: {gives} left out")
        return None
    try:
        return checked_store(run_info(run), path)
    except StoreError as exc:
        fail(
            f"{exc}. The store gives {gives}: say where it is now with --store PATH, or go "
            "on without them with --without-store"
        )
        raise  # unreachable: fail exits
