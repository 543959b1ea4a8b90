"""``unmask report`` and ``export``: a run's findings for people and for other tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from unmask.cli.common import JsonOpt, RunOpt, RunStoreOpt, WithoutStoreOpt, run_info, run_store
from unmask.cli.output import consoles, emit_json, fail

app = typer.Typer()
console, out = consoles()


@app.command()
def report(
    run: RunOpt,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the report.")],
    store: RunStoreOpt = None,
    without_store: WithoutStoreOpt = False,
) -> None:
    """The run's threat report: self-contained HTML, Markdown and JSON."""
    from unmask.export.report import WITHOUT_STORE, write

    st = run_store(run, store, without_store, WITHOUT_STORE)
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

    run_info(run)
    if private and not key:
        fail("--private needs --key (or UNMASK_EXPORT_KEY): the team's secret for the hashes")
    privacy = Privacy(key.encode()) if private and key else None
    # Only the graphs read the store; a private export writes none.
    st = None if privacy else run_store(run, store, without_store, WITHOUT_STORE)
    paths = [
        stix.write(run, out_dir / "bundle.json", privacy=privacy),
        indicators.write(run, out_dir / "indicators.csv", privacy=privacy),
    ]
    if privacy is None:
        # The graphs label nodes with handles and ids: not for sharing outside the team.
        paths += write_graphs(run, out_dir / "graphs", st, all_accounts=all_accounts)
    if as_json:
        emit_json({"run": str(run), "private": privacy is not None, "files": paths})
        return
    for path in paths:
        out.print(str(path), highlight=False)
