"""The run directory is one format (``unmask.rundir``): written and read back the same, its
version checked, old runs still read, and no other module naming its files."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pyarrow as pa
import pytest

from unmask import rundir
from unmask.errors import UnmaskError
from unmask.export import findings

SRC = Path(__file__).resolve().parents[1] / "src" / "unmask"


def _figures(cluster_id: str, probability: float) -> dict:
    return {
        "cluster_id": cluster_id,
        "tier": "cib_high",
        "operation": True,
        "confidence": {"probability": probability, "score": 2.0},
        "activity": {"first": "2024-03-01T00:00:00+00:00", "last": "2024-03-02T00:00:00+00:00"},
        "pushed": {
            "domains": [
                {"value": "own.example", "accounts": 3, "uses": 9, "share_of_all_uses": 1.0}
            ]
        },
        "narratives": [],
    }


def _write_run(run: Path) -> None:
    """A small run written with the module's writers, as ``unmask detect`` does."""
    run.mkdir()
    clusters = pa.table(
        {
            "cluster_id": ["c0", "c1", "c2"],
            "operation": [True, True, False],
            "tier": ["cib_likely", "cib_high", None],
            "score": [1.5, 2.0, 0.1],
            "families": [["coordination"], ["identity", "coordination"], []],
            "reason": ["r0", "r1", "r2"],
            "platforms": [["x"], ["x", "facebook"], ["x"]],
        }
    )
    nodes = pa.table(
        {
            "platform": ["x", "x", "facebook", "x", "x"],
            "account_id": ["2", "1", "9", "5", "7"],
            "cluster_id": ["c1", "c1", "c1", "c0", "c2"],
        }
    )
    takedown = pa.table(
        {
            "operation": ["c1", "c1", "c1", "c0"],
            "platform": ["facebook", "x", "x", "x"],
            "account_id": ["9", "1", "2", "5"],
            "kind": ["page", "account", "account", "account"],
            "handle": ["pg", "one", "", "five"],
            "url": [None, None, None, None],
            "signals": ["infra", "burst;infra", "", "burst"],
        }
    )
    rundir.write_tables(
        run,
        {rundir.CLUSTERS: clusters, rundir.NODES: nodes, rundir.TAKEDOWN: takedown},
    )
    # operations.json lists the best first: c1 before c0.
    rundir.write_json(run, rundir.OPERATIONS_JSON, [_figures("c1", 0.95), _figures("c0", 0.8)])
    rundir.write_meta(run, {"store": "/nowhere", "signals": {}})


def test_a_written_run_reads_back(tmp_path):
    run = tmp_path / "run"
    _write_run(run)
    meta = rundir.read_meta(run)
    assert meta["format"] == rundir.FORMAT and meta["store"] == "/nowhere"
    assert [f["cluster_id"] for f in rundir.read_figures(run)] == ["c1", "c0"]

    ops = rundir.read_operations(run)
    assert [op.cluster_id for op in ops] == ["c0", "c1"]  # the order of clusters.parquet
    c1 = ops[1]
    assert (c1.tier, c1.score, c1.families, c1.platforms) == (
        "cib_high",
        2.0,
        ["identity", "coordination"],
        ["x", "facebook"],
    )
    # Its assets in the order of nodes.parquet, with what the takedown list says of each.
    assert [(a.platform, a.account_id, a.kind, a.signals) for a in c1.assets] == [
        ("x", "2", "account", []),
        ("x", "1", "account", ["burst", "infra"]),
        ("facebook", "9", "page", ["infra"]),
    ]
    assert c1.probability == 0.95 and c1.domains == ["own.example"]
    assert c1.first_seen == "2024-03-01T00:00:00+00:00"


def test_the_exports_read_the_same_operations_best_first(tmp_path):
    """The exports' view is the one model, in their order: operations best first, assets
    in the takedown list's order, no empty handle."""
    run = tmp_path / "run"
    _write_run(run)
    _, ops = findings.read_run(run)
    assert [op.cluster_id for op in ops] == ["c1", "c0"]
    assert [(a.platform, a.account_id, a.handle) for a in ops[0].assets] == [
        ("facebook", "9", "pg"),
        ("x", "1", "one"),
        ("x", "2", None),
    ]
    _, private = findings.read_run(run, findings.Privacy(b"k"))
    assert private[0].private and private[0].assets[0].account_id != "9"


def test_a_run_of_a_newer_format_is_refused_in_one_line(tmp_path):
    run = tmp_path / "run"
    _write_run(run)
    meta = json.loads((run / rundir.RUN_JSON).read_text())
    (run / rundir.RUN_JSON).write_text(json.dumps({**meta, "format": rundir.FORMAT + 1}))
    for read in (rundir.read_meta, rundir.read_operations, rundir.read_figures, findings.read_run):
        with pytest.raises(UnmaskError, match=r"run\.json: run format 2 is newer") as exc:
            read(run)
        assert "\n" not in str(exc.value) and str(run / rundir.RUN_JSON) in str(exc.value)


def test_an_old_run_without_a_format_still_reads(tmp_path):
    """Runs written before the format was versioned: run.json without ``format``, and
    operations without tiers."""
    run = tmp_path / "run"
    _write_run(run)
    meta = json.loads((run / rundir.RUN_JSON).read_text())
    del meta["format"]
    (run / rundir.RUN_JSON).write_text(json.dumps(meta))
    assert rundir.read_meta(run)["store"] == "/nowhere"
    assert [op.cluster_id for op in rundir.read_operations(run)] == ["c0", "c1"]


def test_an_incomplete_run_is_refused_in_one_line(tmp_path):
    run = tmp_path / "run"
    _write_run(run)
    (run / rundir.NODES).unlink()
    with pytest.raises(UnmaskError, match=r"not a complete detect run \(no nodes\.parquet\)"):
        rundir.read_operations(run)


# The run's files, which only unmask.rundir names.
RUN_FILES = {
    rundir.RUN_JSON,
    rundir.OPERATIONS_JSON,
    rundir.FUSED,
    rundir.NODES,
    rundir.CLUSTERS,
    rundir.TAKEDOWN,
    rundir.TAKEDOWN_CSV,
    rundir.FLAGGED,
    rundir.FLAGGED_CSV,
    rundir.LINEAGE,
    rundir.LINEAGE_JSON,
    *(f"{t}.parquet" for t in (rundir.EDGES, rundir.EVENTS, rundir.SCORES)),
}
# The simulator's truth folder is another format that happens to use two of the names
# (run.json, operations.json): the simulator writes it and evaluate reads it.
OTHER_FORMATS = {"simulate/truth.py": {"run.json", "operations.json"}}
TRUTH_READERS = {"evaluate.py": {"operations.json"}}


def _run_file_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if node.value in RUN_FILES
    }


def test_no_module_but_rundir_names_the_run_files():
    """Every reader and writer of a run goes through ``unmask.rundir``: no other module
    spells a run file's name (docstrings may describe them in words, not as a literal)."""
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel == "rundir.py":
            continue
        names = (
            _run_file_names(path) - OTHER_FORMATS.get(rel, set()) - TRUTH_READERS.get(rel, set())
        )
        if names:
            found[rel] = sorted(names)
    assert found == {}
