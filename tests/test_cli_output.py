"""Output that is not a terminal (issue #18): tables at their full width, not wrapped at 80
columns, and one line per stage of detect on stderr while it runs."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from unmask.cli import app


def test_detect_logs_one_line_per_stage(cli_detected):
    lines = cli_detected.stderr.splitlines()
    logged = [line for line in lines if line.startswith("detect: ")]
    for stage in ("signal coaction_url", "signal content", "fusing and clustering"):
        assert sum(stage in line for line in logged) == 1, cli_detected.stderr
    assert "judging clusters" in cli_detected.stderr
    # Nothing on stdout but the JSON (the log is on stderr).
    json.loads(cli_detected.stdout)


def test_tables_are_not_wrapped(cli_detected):
    # The same run's table, printed by `detect` without --json, to a pipe (the runner).
    result = CliRunner().invoke(
        app,
        [
            "detect",
            "--store",
            json.loads((cli_detected.run / "run.json").read_text())["store"],
            "--out",
            str(cli_detected.run.parent / "again"),
            "--signals",
            "coaction_url,content",
            "--no-record",
        ],
    )
    assert result.exit_code == 0, result.output
    clusters = pq.read_table(cli_detected.run / "clusters.parquet").to_pylist()
    reasons = {c["cluster_id"]: c["reason"] for c in clusters if c["tier"] is not None}
    assert reasons and any(len(r) > 80 for r in reasons.values())
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    for cluster, reason in reasons.items():
        # Each cluster's row is one line holding its whole reason.
        assert reason in rows[cluster]


def test_info_table_full_width(small_world):
    result = CliRunner().invoke(app, ["info", "--store", str(small_world / "store")])
    assert result.exit_code == 0
    assert max(len(line) for line in result.stdout.splitlines()) > 80


def test_ingest_logs_one_line_per_file(tmp_path):
    """Ingest to a pipe shows each file as it is done (a live spinner shows nothing in a
    log), on stderr, besides the table on stdout."""
    data = Path(__file__).resolve().parents[2] / "shared" / "data"
    files = sorted((data / "ira-sample" / "tweets").glob("*.csv"))[:2]
    assert len(files) == 2, data
    args = ["ingest", *map(str, files), "--store", str(tmp_path / "store")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    logged = [line for line in result.stderr.splitlines() if line.startswith("ingest: ")]
    assert [line.split(":")[1].strip() for line in logged] == [f.name for f in files]
    assert all(" stored, " in line and line.endswith(" s") for line in logged)
    assert "ingest: " not in result.stdout
