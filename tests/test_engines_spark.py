"""The same signal on Spark (local mode) and DuckDB gives the same evidence.

Spark starts a JVM (about half a minute here), so the session shares one engine.
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from worldscore import same_rows

from unmask.engine.duckdb import DuckDBEngine
from unmask.signals.coaction import CoAction

pyspark = pytest.importorskip("pyspark")


@pytest.fixture(scope="module")
def spark_engine(russian_store):
    from unmask.engine.spark import SparkEngine

    eng = SparkEngine(russian_store)
    yield eng
    eng.close()


@pytest.mark.parametrize(
    "params",
    [
        {"on": "parent", "window": 10, "compat": "coortweet", "min_participation": 5},
        # fdr=None keeps the edges that one shuffle cannot vouch for (three here), so that
        # their q-values, which depend on the shuffled copies, are compared too.
        {"on": "parent", "window": "auto", "fdr": None, "null_replicates": 3},
    ],
    ids=["coortweet", "default-auto-window"],
)
def test_coaction_same_on_spark_and_duckdb(russian_store, spark_engine, params):
    with DuckDBEngine(russian_store) as duck:
        expected = CoAction(**params).run(duck)
    got = CoAction(**params).run(spark_engine)
    assert got.stats["window_seconds"] == expected.stats["window_seconds"]
    # The shuffled copies are dealt alike (integer hashes, the same on both engines).
    assert got.stats.get("null_edges_per_replicate") == expected.stats.get(
        "null_edges_per_replicate"
    )
    assert expected.edges.num_rows > 0
    cols = [
        "platform_a",
        "account_a",
        "platform_b",
        "account_b",
        "count",
        "first_time",
        "last_time",
    ]
    assert same_rows(got.edges, cols) == same_rows(expected.edges, cols)
    for a, b in zip(
        sorted(got.edges.to_pylist(), key=lambda r: (r["account_a"], r["account_b"])),
        sorted(expected.edges.to_pylist(), key=lambda r: (r["account_a"], r["account_b"])),
        strict=True,
    ):
        assert a["weight"] == pytest.approx(b["weight"])
        assert a["q_value"] == pytest.approx(b["q_value"])
    ecols = ["account_a", "account_b", "target", "activity_a", "activity_b", "lag_seconds"]
    assert same_rows(got.events, ecols) == same_rows(expected.events, ecols)


def test_a_registered_arrow_table_joins_the_store_on_both_engines(russian_store, spark_engine):
    import pyarrow as pa

    some = pa.table({"platform": ["x", "x"], "account_id": ["nope", "also-nope"]})
    with DuckDBEngine(russian_store) as duck:
        first = duck.fetch("SELECT account_id FROM accounts ORDER BY account_id LIMIT 3")
        picked = pa.concat_tables(
            [
                some,
                first.append_column("platform", pa.array(["x"] * 3)).select(
                    ["platform", "account_id"]
                ),
            ]
        )
        query = """SELECT count(*) AS n FROM picked p
                   JOIN accounts a ON a.platform = p.platform AND a.account_id = p.account_id"""
        duck.register("picked", picked)
        expected = duck.fetch(query)
        duck.drop("picked")
    spark_engine.register("picked", picked)
    got = spark_engine.fetch(query)
    spark_engine.drop("picked")
    assert expected["n"][0].as_py() == got["n"][0].as_py() == 3


def test_operations_are_described_the_same_on_spark(russian_store, spark_engine, tmp_path):
    import json

    import pyarrow.parquet as pq

    from unmask import assess, operations
    from unmask.detect import DetectConfig, detect

    # CooRTweet's own settings on its own data (the default null finds nothing this small).
    # Coordination alone is never an operation, so the reported groups are taken as
    # operations here, to have a takedown list to compare: this test is about the engines.
    params = {"compat": "coortweet", "window": 10, "min_participation": 5}
    cfg = DetectConfig(signals=["coaction_parent"], signal_params={"coaction_parent": params})
    result = detect(russian_store, tmp_path / "run", cfg)
    clusters = result.clusters
    reported = pa.array([t is not None for t in clusters["tier"].to_pylist()])
    clusters = clusters.set_column(
        clusters.schema.get_field_index("operation"), "operation", reported
    )
    assert result.reported.num_rows > 0
    run = tmp_path / "run"
    nodes = pq.read_table(run / "nodes.parquet")
    edges = pq.read_table(run / "evidence" / "coaction_parent" / "edges.parquet")
    from unmask.signals.base import Evidence

    judged = [assess.Judged(Evidence("coaction_parent", {}, edges=edges), "coordination")]
    vouched = assess.member_support(nodes, judged)
    expected = json.loads((run / "operations.json").read_text())
    got = operations.describe(spark_engine, nodes, result.clusters, [], vouched)
    assert json.loads(json.dumps(got, default=str)) == expected
    with DuckDBEngine(russian_store) as duck:
        want = operations.takedown(duck, nodes, clusters, vouched)
    got_list = operations.takedown(spark_engine, nodes, clusters, vouched).to_pylist()
    assert want.num_rows > 0 and got_list == want.to_pylist()


def test_map_groups_hands_over_whole_groups_on_both_engines(russian_store, spark_engine):
    import pyarrow as pa

    # Defined here, not in the module: Spark's workers cannot import the test module.
    def group_sizes(table):
        """Rows per account of one call: right only if each account's rows come whole."""
        counts = table.group_by("account_id").aggregate([("account_id", "count")])
        return pa.table(
            {"account_id": counts["account_id"], "n": counts["account_id_count"].cast(pa.int64())}
        )

    schema = pa.schema([("account_id", pa.string()), ("n", pa.int64())])
    # Three groups of accounts (by the first character of the id), each a query whose rows
    # Spark reads as two partitions (a union), so that a group arrives whole only if the
    # engine brings it together.
    queries = [
        f"""SELECT account_id FROM activities
            WHERE substring(account_id, 1, 1) {cond} AND right(activity_id, 1) < '5'
            UNION ALL
            SELECT account_id FROM activities
            WHERE substring(account_id, 1, 1) {cond} AND right(activity_id, 1) >= '5'"""
        for cond in ("< '4'", "BETWEEN '4' AND '7'", "> '7'")
    ]
    expected_sql = "SELECT account_id, count(*) AS n FROM activities GROUP BY account_id"
    with DuckDBEngine(russian_store) as duck:
        expected = same_rows(duck.fetch(expected_sql), ["account_id", "n"])
        duck.map_groups("sizes", queries, group_sizes, schema)
        got_duck = same_rows(duck.fetch("SELECT * FROM sizes"), ["account_id", "n"])
    spark_engine.map_groups("sizes", queries, group_sizes, schema)
    got_spark = same_rows(spark_engine.fetch("SELECT * FROM sizes"), ["account_id", "n"])
    spark_engine.drop("sizes")
    assert len(expected) > 100
    assert got_duck == expected
    assert got_spark == expected


def test_a_parquet_file_at_a_hostile_path_is_read_on_both_engines(
    russian_store, spark_engine, tmp_path
):
    """A signal's spilled tables live under the store's folder, whatever its name: quotes,
    a backtick and a semicolon in it are part of the path on Spark too (issue #18)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "it's `odd` \"x\"; y'); DROP TABLE activities; --"
    folder.mkdir()
    pq.write_table(pa.table({"n": [1, 2, 3]}), folder / "t.parquet")
    with DuckDBEngine(russian_store) as duck:
        duck.create_table_from_parquet("spilled", folder / "t.parquet")
        assert duck.scalar("SELECT sum(n) FROM spilled") == 6
    spark_engine.create_table_from_parquet("spilled", folder / "t.parquet")
    assert spark_engine.scalar("SELECT sum(n) FROM spilled") == 6
    spark_engine.drop("spilled")


def test_the_store_views_are_the_same_on_spark_and_duckdb(russian_store, spark_engine):
    """Both engines make the views that ``unmask.store.VIEWS`` defines, no more, with
    the same columns (#18: defined once for both)."""
    from unmask.store import VIEWS

    made = {t.name for t in spark_engine.spark.catalog.listTables() if t.isTemporary}
    assert made - set(spark_engine._cached) == set(VIEWS)
    con = russian_store.connect()
    try:
        for view in VIEWS:
            duck = [d[0] for d in con.execute(f"SELECT * FROM {view} LIMIT 0").description]
            assert spark_engine.spark.table(view).columns == duck, view
    finally:
        con.close()


def test_the_judgements_features_are_the_same_on_spark(
    russian_store, spark_engine, tmp_path, monkeypatch
):
    """The judgement's features (engagement, age, persistence with each cluster's own
    night) are one SQL: DuckDB's and Spark's readings agree on the real retweet set. The
    set is shorter than persistence's minimum window, which is lowered to compare it."""
    import pyarrow.parquet as pq

    from unmask import judgement
    from unmask.detect import DetectConfig, detect
    from unmask.signals.base import Evidence

    monkeypatch.setattr(judgement, "MIN_WINDOW_DAYS", 1)
    # The default null vouches for nothing in a set this small; fdr=None keeps the edges
    # (CooRTweet's compatible mode writes no events).
    params = {"window": "auto", "fdr": None, "null_replicates": 3}
    cfg = DetectConfig(signals=["coaction_parent"], signal_params={"coaction_parent": params})
    detect(russian_store, tmp_path / "run", cfg)
    run = tmp_path / "run"
    nodes = pq.read_table(run / "nodes.parquet")
    events = pq.read_table(run / "evidence" / "coaction_parent" / "events.parquet")
    acts = judgement.act_hours([Evidence("coaction_parent", {}, events=events)])
    with DuckDBEngine(russian_store) as duck:
        want = judgement.cluster_features(duck, nodes, None, acts)
    got = judgement.cluster_features(spark_engine, nodes, None, acts)
    assert any(f["persistence"] is not None for f in want.values())
    assert got.keys() == want.keys()
    for cid, features in want.items():
        for name, value in features.items():
            assert got[cid][name] == (pytest.approx(value) if value is not None else None), (
                cid,
                name,
            )


def test_bought_followers_are_attached_alike_on_spark(russian_store, spark_engine):
    """Attaching bought followers to operations is one SQL: Spark agrees with DuckDB."""
    from test_attach import attached_on

    with DuckDBEngine(russian_store) as duck:
        want = attached_on(duck)
    assert want and attached_on(spark_engine) == want
