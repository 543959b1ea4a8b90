"""The run's networks as GEXF and GraphML (networkx reads them back with every attribute)
and as edge lists; shared, they hold the operations' accounts only (issue #18)."""

from __future__ import annotations

import csv
from pathlib import Path

import networkx as nx
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from unmask.cli import app

NODE_ATTRIBUTES = {
    "platform",
    "account_id",
    "label",
    "kind",
    "cluster",
    "operation",
    "degree",
    "strength",
}
EDGE_ATTRIBUTES = {"signal", "weight", "evidence"}


def export(run_dir: Path, out: Path, *options: str) -> list[Path]:
    """``unmask export``; the graph files it wrote."""
    result = CliRunner().invoke(app, ["export", "--run", str(run_dir), "--out", str(out), *options])
    assert result.exit_code == 0, result.output
    return sorted((out / "graphs").iterdir())


@pytest.fixture(scope="module")
def graphs(small_run, tmp_path_factory):
    """``unmask export --all-accounts``: every linked account, for the team's analysis."""
    result, _ = small_run
    out = tmp_path_factory.mktemp("graphs")
    written = export(result.run_dir, out, "--all-accounts")
    return result.run_dir, out / "graphs", written


@pytest.fixture(scope="module")
def shared(small_run, tmp_path_factory):
    """``unmask export`` as it is shared."""
    result, _ = small_run
    out = tmp_path_factory.mktemp("shared")
    export(result.run_dir, out)
    return result.run_dir, out / "graphs"


def _accounts(run_dir) -> tuple[set[str], set[str]]:
    """The linked accounts (``platform/account_id``) of operations, and the others."""
    clusters = pq.read_table(run_dir / "clusters.parquet")
    ops = set(clusters.filter(clusters["operation"])["cluster_id"].to_pylist())
    flagged, others = set(), set()
    for n in pq.read_table(run_dir / "nodes.parquet").to_pylist():
        (flagged if n["cluster_id"] in ops else others).add(f"{n['platform']}/{n['account_id']}")
    return flagged, others


def test_the_shared_graphs_hold_the_operations_accounts_only(shared):
    run_dir, out = shared
    flagged, others = _accounts(run_dir)
    assert flagged and others, "the small world links accounts that are not flagged"
    fused = pq.read_table(run_dir / "fused.parquet").to_pylist()
    between = [
        r
        for r in fused
        if {f"{r['platform_a']}/{r['account_a']}", f"{r['platform_b']}/{r['account_b']}"} <= flagged
    ]
    assert nx.read_gexf(out / "fused.gexf").number_of_edges() == len(between) > 0
    for path in sorted(out.iterdir()):
        if path.suffix in (".gexf", ".graphml"):
            g = nx.read_gexf(path) if path.suffix == ".gexf" else nx.read_graphml(path)
            assert set(g.nodes) <= flagged, path
            assert all(d["operation"] for _, d in g.nodes(data=True)), path
        else:
            if path.suffix == ".parquet":
                rows = pq.read_table(path).to_pylist()
            else:
                with open(path, newline="", encoding="utf-8") as fh:
                    rows = list(csv.DictReader(fh))
            ends = {f"{r[f'platform_{s}']}/{r[f'account_{s}']}" for r in rows for s in "ab"}
            assert ends <= flagged, path


@pytest.mark.parametrize("reader", [nx.read_gexf, nx.read_graphml], ids=["gexf", "graphml"])
def test_the_fused_graph_loads_with_every_attribute(graphs, reader):
    run_dir, out, _ = graphs
    suffix = ".gexf" if reader is nx.read_gexf else ".graphml"
    g = reader(out / f"fused{suffix}")
    nodes = pq.read_table(run_dir / "nodes.parquet")
    fused = pq.read_table(run_dir / "fused.parquet")
    assert g.number_of_nodes() == nodes.num_rows == len(set.union(*_accounts(run_dir)))
    assert g.number_of_edges() == fused.num_rows
    for _, data in g.nodes(data=True):
        assert set(data) >= NODE_ATTRIBUTES
    for _, _, data in g.edges(data=True):
        assert set(data) >= EDGE_ATTRIBUTES
    # the operation's accounts carry its id, the others an empty one
    clusters = pq.read_table(run_dir / "clusters.parquet")
    ops = set(clusters.filter(clusters["operation"])["cluster_id"].to_pylist())
    for _, data in g.nodes(data=True):
        assert data["operation"] == (data["cluster"] if data["cluster"] in ops else "")
    # handles and kinds come from the store
    assert any(d["label"] != d["account_id"] for _, d in g.nodes(data=True))
    assert {d["kind"] for _, d in g.nodes(data=True)} > {"account"}


def test_every_layer_is_written_and_its_edges_match_the_evidence(graphs):
    run_dir, out, written = graphs
    for layer in (run_dir / "evidence").glob("*/edges.parquet"):
        name = layer.parent.name
        edges = pq.read_table(layer)
        g = nx.read_gexf(out / f"{name}.gexf")
        pairs = {
            frozenset(
                (f"{r['platform_a']}/{r['account_a']}", f"{r['platform_b']}/{r['account_b']}")
            )
            for r in edges.to_pylist()
        }
        assert {frozenset(e) for e in g.edges()} == pairs
        assert pacsv.read_csv(out / f"{name}.csv").num_rows == edges.num_rows
        assert out / f"{name}.graphml" in written
