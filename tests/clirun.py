"""Running the ``unmask`` command line inside a test (typer's runner), failing with its
output when a command does not succeed."""

from __future__ import annotations

from typer.testing import CliRunner

from unmask.cli import app

runner = CliRunner()


def invoke(*args: object) -> str:
    """``unmask ARGS...``; its output, or the test fails with the output and exception."""
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, f"unmask {args[0]}: {result.output}\n{result.exception!r}"
    return result.output
