"""The run's networks as GEXF and GraphML (networkx reads them back with every attribute)
and as edge lists."""

from __future__ import annotations

import networkx as nx
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from unmask.export.graph import write_graphs
from unmask.store import Store

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


@pytest.fixture(scope="module")
def graphs(small_run, small_world, tmp_path_factory):
    result, _ = small_run
    out = tmp_path_factory.mktemp("graphs")
    written = write_graphs(result.run_dir, out, Store(small_world / "store"))
    return result.run_dir, out, written


@pytest.mark.parametrize("reader", [nx.read_gexf, nx.read_graphml], ids=["gexf", "graphml"])
def test_the_fused_graph_loads_with_every_attribute(graphs, reader):
    run_dir, out, _ = graphs
    suffix = ".gexf" if reader is nx.read_gexf else ".graphml"
    g = reader(out / f"fused{suffix}")
    nodes = pq.read_table(run_dir / "nodes.parquet")
    fused = pq.read_table(run_dir / "fused.parquet")
    assert g.number_of_nodes() == nodes.num_rows
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
