"""The ``unmask`` command line: the Typer app, built from one module per command group.

``ingest`` (ingest, info, formats), ``detect`` (detect, signals, network), ``simulate``
(simulate, evaluate), ``report`` (report, export), ``catalogue`` and ``cases`` (their own
sub-commands); ``common`` holds the options they share and ``output`` where they write.
"""

from __future__ import annotations

import sys
from typing import Annotated

import click
import typer

from unmask.cli import cases, catalogue, detect, ingest, report, simulate
from unmask.cli.output import fail
from unmask.errors import UnmaskError


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
# Without a name a group's commands join the top level (`unmask detect`), in this order in
# --help: the order of the work.
for _group in (ingest, detect, simulate, report):
    app.add_typer(_group.app)
app.add_typer(catalogue.app, name="catalogue")
app.add_typer(cases.app, name="cases")


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
