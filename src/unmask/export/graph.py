"""The run's networks as files that Gephi, networkx and spreadsheets open.

``write_graphs(run_dir, out_dir)`` writes, for the fused graph and for each signal's layer:

``<name>.gexf``     GEXF 1.2 (Gephi's own format)
``<name>.graphml``  GraphML
``<name>.csv``      the edge list (and ``<name>.parquet``)

Only the accounts of operations (clusters whose tier is in ``assess.TAKEDOWN_TIERS``, flagged
in ``clusters.parquet``'s ``operation``) and the edges between them are written: the graphs
name accounts by handle and go to partners, and an account that was not flagged is not
theirs to see. ``all_accounts=True`` (``unmask export --all-accounts``) writes every linked
account, for the team's own analysis.

Nodes carry ``platform``, ``account_id``, ``label`` (the handle where known), ``kind``,
``cluster`` (the Leiden cluster), ``operation`` (the cluster id when it was judged an
operation, else empty), ``degree`` and ``strength`` in the fused graph; edges carry
``signal`` (the signals that link the pair, ``;``-joined in the fused graph), ``weight``
and ``evidence`` (the number of supporting facts: the edge's ``count`` in a layer, the number
of agreeing families in the fused graph).
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from unmask import rundir
from unmask.export import sheet
from unmask.store import Store

FUSED = "fused"

# What the graphs leave out when written without the run's store.
WITHOUT_STORE = "the graphs' handles as node labels and the asset kinds (page, group, channel)"


def _node_attributes(
    run_dir: Path, store: Store | None, *, all_accounts: bool
) -> dict[tuple[str, str], dict]:
    """The attributes of the accounts to write (only operations' unless ``all_accounts``)."""
    nodes = rundir.read_table(run_dir, rundir.NODES).to_pylist()
    clusters = rundir.read_table(run_dir, rundir.CLUSTERS, columns=["cluster_id", "operation"])
    operations = {
        c
        for c, op in zip(
            clusters["cluster_id"].to_pylist(), clusters["operation"].to_pylist(), strict=True
        )
        if op
    }
    attrs = {
        (n["platform"], n["account_id"]): {
            "platform": n["platform"],
            "account_id": n["account_id"],
            "label": n["account_id"],
            "kind": "account",
            "cluster": n["cluster_id"],
            "operation": n["cluster_id"] if n["cluster_id"] in operations else "",
            "degree": int(n["degree"]),
            "strength": float(n["strength"]),
        }
        for n in nodes
        if all_accounts or n["cluster_id"] in operations
    }
    if store is not None and attrs:
        con = store.connect()
        con.register(
            "_nodes",
            pa.table(
                {
                    "platform": [p for p, _ in attrs],
                    "account_id": [a for _, a in attrs],
                }
            ),
        )
        for platform, account_id, handle, kind in con.execute(
            """SELECT n.platform, n.account_id, a.handle, a.kind FROM _nodes n
               JOIN accounts a USING (platform, account_id)"""
        ).fetchall():
            node = attrs[(platform, account_id)]
            node["label"] = handle or account_id
            node["kind"] = kind or "account"
        con.close()
    return attrs


def _unclustered(platform: str, account_id: str) -> dict:
    """A layer's account that fusion left out of every cluster (a self-pair, say)."""
    return {
        "platform": platform,
        "account_id": account_id,
        "label": account_id,
        "kind": "account",
        "cluster": "",
        "operation": "",
        "degree": 0,
        "strength": 0.0,
    }


def _graph(edges: pa.Table, attrs: dict, *, fused: bool) -> nx.Graph:
    g = nx.Graph()
    for r in edges.to_pylist():
        a, b = (r["platform_a"], r["account_a"]), (r["platform_b"], r["account_b"])
        for key in (a, b):
            if key not in g:
                g.add_node(f"{key[0]}/{key[1]}", **(attrs.get(key) or _unclustered(*key)))
        g.add_edge(
            f"{a[0]}/{a[1]}",
            f"{b[0]}/{b[1]}",
            signal=r["signals"] if fused else r["signal"],
            weight=float(r["weight"]),
            evidence=int(r["families"] if fused else r["count"]),
        )
    return g


def _between(edges: pa.Table, attrs: dict) -> pa.Table:
    """The edges both of whose accounts are in ``attrs``."""
    ends = [
        pc.is_in(
            pc.binary_join_element_wise(edges[f"platform_{s}"], edges[f"account_{s}"], "\x00"),
            value_set=pa.array([f"{p}\x00{a}" for p, a in attrs], pa.string()),
        )
        for s in ("a", "b")
    ]
    return edges.filter(pc.and_(*ends))


def write_graphs(
    run_dir: Path, out_dir: Path, store: Store | None = None, *, all_accounts: bool = False
) -> list[Path]:
    """Write the fused graph and every layer (see the module docstring); the files written.
    Operations' accounts only, unless ``all_accounts``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    attrs = _node_attributes(run_dir, store, all_accounts=all_accounts)
    tables = {FUSED: (rundir.read_table(run_dir, rundir.FUSED), True)}
    for layer in rundir.evidence_files(run_dir, rundir.EDGES):
        tables[layer.parent.name] = (pq.read_table(layer), False)
    written = []
    for name, (edges, fused) in tables.items():
        if not all_accounts:
            edges = _between(edges, attrs)
        g = _graph(edges, attrs, fused=fused)
        for suffix, write in ((".gexf", nx.write_gexf), (".graphml", nx.write_graphml)):
            path = out_dir / f"{name}{suffix}"
            write(g, path)
            written.append(path)
        for suffix in (".csv", ".parquet"):
            path = out_dir / f"{name}{suffix}"
            if suffix == ".csv":
                sheet.write_table(edges, path)
            else:
                pq.write_table(edges, path)
            written.append(path)
    return written
