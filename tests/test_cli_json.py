"""``--version`` and ``--json`` (issue #18, "A quiet, scriptable CLI"): with --json a
command prints one JSON document on stdout and nothing else there."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from unmask import __version__
from unmask.cli import app

runner = CliRunner()


def stdout_json(*args: object):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    # json.loads refuses anything before or after the document: stdout holds only it.
    return json.loads(result.stdout)


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"unmask {__version__}\n"


def test_formats_json():
    rows = stdout_json("formats", "--json")
    assert {"generic", "telegram", "x_api_v2"} <= {r["format"] for r in rows}
    assert all(r["description"] for r in rows)


def test_signals_json():
    rows = stdout_json("signals", "--json")
    by_name = {r["signal"]: r for r in rows}
    assert by_name["content"]["family"] and by_name["content"]["parameters"]["k"] == 4
    assert by_name["semantic"]["optional"] and not by_name["content"]["optional"]
    # What each signal declares (unmask.signals.base.Signal): DISARM, kill chain, tables.
    assert by_name["coaction_url"]["disarm"] == ["T0049.005"]
    assert by_name["schedule"]["kill_chain"] == ["3.1.1 Working to a regular shift pattern"]
    assert by_name["content"]["tables"] == ["families"] and by_name["content"]["label"]


def test_detect_json(cli_detected):
    run, summary = cli_detected.run, json.loads(cli_detected.stdout)
    assert summary["run"] == str(run)
    described = json.loads((run / "operations.json").read_text())
    assert summary["operations"] == sum(op["operation"] for op in described)
    assert len(summary["reported"]) == len(described)
    assert summary["flagged_accounts"] == pq.read_metadata(run / "flagged.parquet").num_rows
    assert {r["cluster_id"] for r in summary["reported"]} and summary["cases"] is None
    assert set(summary["seconds"]) >= {"coaction_url", "content"}


def test_export_json(cli_detected, tmp_path):
    run = cli_detected.run
    summary = stdout_json("export", "--run", run, "--out", tmp_path / "x", "--json")
    files = [Path(f) for f in summary["files"]]
    assert Path(summary["files"][0]).name == "bundle.json" and all(f.exists() for f in files)
    assert summary["private"] is False
