"""``unmask report`` and ``export``: a run's findings for people and for other tools."""

from __future__ import annotations

from dataclasses import asdict
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
    misp: Annotated[
        bool,
        typer.Option(
            "--misp",
            help="Also write the operations as MISP events: misp/, a MISP feed with one event "
            "per operation (needs the misp extra).",
        ),
    ] = False,
    taxii: Annotated[
        str | None,
        typer.Option(
            "--taxii",
            metavar="URL",
            help="Also push bundle.json to this TAXII 2.1 API root (needs the taxii extra).",
        ),
    ] = None,
    collection: Annotated[
        str | None, typer.Option("--collection", help="--taxii: the collection's id.")
    ] = None,
    taxii_user: Annotated[
        str | None, typer.Option("--taxii-user", envvar="UNMASK_TAXII_USER", help="--taxii: user.")
    ] = None,
    taxii_password: Annotated[
        str | None,
        typer.Option(
            "--taxii-password",
            envvar="UNMASK_TAXII_PASSWORD",
            help="--taxii: password (better in the environment: a command line is seen by "
            "every user of the machine).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The run's indicators to share: bundle.json (STIX 2.1), indicators.csv (Meta's
    columns) and the graphs (GEXF, GraphML, edge lists); with --misp MISP events, with
    --taxii a push to a TAXII 2.1 collection; docs/export.md."""
    from unmask.export import indicators, stix
    from unmask.export.findings import Privacy
    from unmask.export.graph import WITHOUT_STORE, write_graphs

    run_info(run)
    if private and not key:
        fail("--private needs --key (or UNMASK_EXPORT_KEY): the team's secret for the hashes")
    if (taxii is None) != (collection is None):
        fail("--taxii URL and --collection ID go together: the API root and its collection")
    privacy = Privacy(key.encode()) if private and key else None
    # Only the graphs read the store; a private export writes none.
    st = None if privacy else run_store(run, store, without_store, WITHOUT_STORE)
    bundle = out_dir / "bundle.json"
    paths = [
        stix.write(run, bundle, privacy=privacy),
        indicators.write(run, out_dir / "indicators.csv", privacy=privacy),
    ]
    if privacy is None:
        # The graphs label nodes with handles and ids: not for sharing outside the team.
        paths += write_graphs(run, out_dir / "graphs", st, all_accounts=all_accounts)
    if misp:
        from unmask.export import misp as misp_events

        paths += misp_events.write(run, out_dir / "misp", privacy=privacy)
    pushed = None
    if taxii is not None and collection is not None:
        from unmask.export.taxii import push

        with console.status(f"pushing the bundle to {collection} at {taxii}"):
            pushed = push(bundle, taxii, collection, user=taxii_user, password=taxii_password)
    if as_json:
        summary = {"run": str(run), "private": privacy is not None, "files": paths}
        if pushed is not None:
            summary["taxii"] = {"url": taxii, "collection": collection, **asdict(pushed)}
        emit_json(summary)
        return
    for path in paths:
        out.print(str(path), highlight=False)
    if pushed is not None:
        out.print(
            f"TAXII {taxii} collection {collection}: {pushed.sent:,} objects sent in "
            f"{pushed.requests} request(s); {pushed.added:,} added, {pushed.not_added:,} not "
            f"added (already there, or refused), {pushed.pending:,} pending",
            highlight=False,
        )
