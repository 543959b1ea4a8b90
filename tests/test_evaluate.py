"""The scorer, on hand-made truths and detection files whose right answers are worked out
by hand in the comments."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from unmask.cli import app
from unmask.evaluate import EvaluationError, adjusted_rand_index, evaluate
from unmask.simulate.truth import TRUTH_SCHEMA

# 15 accounts on x: operation A (5), operation B (3), 7 authentic.
TRUTH = [
    ("a1", "A", "poster", None),
    ("a2", "A", "poster", None),
    ("a3", "A", "poster", None),
    ("a4", "A", "amplifier", None),
    ("a5", "A", "fake_follower", None),
    ("b1", "B", "poster", None),
    ("b2", "B", "poster", None),
    ("b3", "B", "poster", None),
    ("o1", None, "user", "ordinary"),
    ("o2", None, "user", "ordinary"),
    ("o3", None, "user", "ordinary"),
    ("o4", None, "user", "ordinary"),
    ("n1", None, "user", "breaking_news"),
    ("n2", None, "user", "breaking_news"),
    ("f1", None, "user", "fandom"),
]


def make_truth(path: Path, extra=()) -> Path:
    rows = [*TRUTH, *extra]
    path.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table(
            {
                "platform": ["x"] * len(rows),
                "account_id": [r[0] for r in rows],
                "operation_id": [r[1] for r in rows],
                "role": [r[2] for r in rows],
                "group": [r[3] for r in rows],
            },
            schema=TRUTH_SCHEMA,
        ),
        path / "accounts.parquet",
    )
    ops = [{"id": "A", "type": "spamouflage"}, {"id": "B", "type": "doppelganger"}]
    if extra:
        ops.append({"id": "C", "type": "careful"})
    (path / "operations.json").write_text(json.dumps({"operations": ops}))
    return path


def write_run(path: Path, text: str, name: str = "flagged.csv") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / name).write_text(text)
    return path


RUN_1 = """platform,account_id,cluster_id,score,signals
x,a1,c1,0.9,coaction;content
x,a2,c1,0.8,coaction;content
x,a3,c1,0.7,content
x,a4,c2,0.6,coaction
x,b1,c2,0.95,coaction
Twitter,b2,c2,0.5,coaction
x,n1,c3,0.4,coaction
x,n2,c3,0.3,coaction
x,o1,c1,0.2,content
x,zz,c9,0.1,coaction
x,a1,c1,0.1,schedule
"""


def test_account_level_figures(tmp_path):
    ev = evaluate(make_truth(tmp_path / "truth"), write_run(tmp_path / "run", RUN_1))
    # Flagged in the truth: a1–a4, b1, b2 (operations) and n1, n2, o1 (authentic); zz is
    # unknown; a1 comes twice; "Twitter" is x.
    assert ev.accounts == 15 and ev.operation_accounts == 8 and ev.flagged == 9
    assert ev.unknown_accounts == 1 and ev.duplicate_rows == 1
    o = ev.overall
    assert (o.tp, o.fp, o.fn) == (6, 3, 2)
    assert o.precision == pytest.approx(6 / 9)
    assert o.recall == pytest.approx(6 / 8)
    assert o.f1 == pytest.approx(12 / 17)  # 2·(2/3)·(3/4) / (2/3 + 3/4)
    assert ev.false_positive_rate == pytest.approx(3 / 7)
    assert (ev.ordinary.accounts, ev.ordinary.flagged, ev.ordinary.rate) == (4, 1, 0.25)
    groups = {g.group: (g.accounts, g.flagged, g.rate) for g in ev.groups}
    assert groups == {"breaking_news": (2, 2, 1.0), "fandom": (1, 0, 0.0)}
    confusion = {r["class"]: (r["accounts"], r["flagged"], r["not_flagged"]) for r in ev.confusion}
    assert confusion == {
        "A": (5, 4, 1),
        "B": (3, 2, 1),
        "ordinary": (4, 1, 3),
        "breaking_news": (2, 2, 0),
        "fandom": (1, 0, 1),
    }


def test_operation_matching(tmp_path):
    ev = evaluate(make_truth(tmp_path / "truth"), write_run(tmp_path / "run", RUN_1))
    # c1 = {a1, a2, a3, o1}, c2 = {a4, b1, b2}, c3 = {n1, n2}. A cluster covers an
    # operation when it holds at least max(ceil(10% of it), 2) of its accounts: A needs 2,
    # B needs 2. So c1 covers A (3), c2 covers B (2) but not A (1).
    ops = {o.id: o for o in ev.operations}
    a, b = ops["A"], ops["B"]
    assert a.type == "spamouflage" and a.clusters == ["c1"] and b.clusters == ["c2"]
    assert a.purity == pytest.approx(3 / 4) and a.completeness == pytest.approx(3 / 5)
    assert a.recall == pytest.approx(4 / 5) and a.precision == pytest.approx(3 / 4)
    assert a.f1 == pytest.approx(2 * 0.75 * 0.8 / 1.55)
    assert b.purity == pytest.approx(2 / 3) and b.completeness == pytest.approx(2 / 3)
    assert b.recall == pytest.approx(2 / 3) and b.f1 == pytest.approx(2 / 3)
    assert (a.status, a.split, a.merged) == ("found", False, False)
    assert (b.status, b.split, b.merged) == ("found", False, False)
    assert (ev.found, ev.missed, ev.merged, ev.split) == (2, 0, 0, 0)
    roles = {r.role: (r.accounts, r.flagged) for r in a.roles}
    assert roles == {"amplifier": (1, 1), "fake_follower": (1, 0), "poster": (3, 3)}
    # Purity over clusters: (3 + 2 + 2) / 9; completeness: (3 + 2) / 8.
    assert ev.purity == pytest.approx(7 / 9)
    assert ev.completeness == pytest.approx(5 / 8)
    clusters = {c.cluster_id: (c.size, c.majority, c.purity) for c in ev.clusters}
    assert clusters == {
        "c1": (4, "A", 0.75),
        "c2": (3, "B", pytest.approx(2 / 3)),
        "c3": (2, "authentic", 1.0),
    }
    # ARI over all 15 accounts (truth: A, B, authentic; found: c1, c2, c3, not flagged):
    # Σ C(n_ij, 2) = 3 + 1 + 1 + 6 = 11; rows 5, 3, 7 → 34; columns 4, 3, 2, 6 → 25;
    # expected 34·25/105; ARI = (11 − 170/21) / (59/2 − 170/21) = 122/899.
    assert ev.adjusted_rand_index == pytest.approx(122 / 899)
    # Ranked by score: b1, a1, a2, a3, a4, b2 are all hits before any miss: AP = 6/8.
    assert ev.average_precision == pytest.approx(0.75)


def test_per_signal_figures(tmp_path):
    ev = evaluate(make_truth(tmp_path / "truth"), write_run(tmp_path / "run", RUN_1))
    sig = {s.signal: s for s in ev.signals}
    assert set(sig) == {"coaction", "content", "schedule"}
    # coaction: a1 a2 a4 b1 b2 (operations) n1 n2 (breaking news); zz is not in the truth.
    c = sig["coaction"]
    assert (c.flagged, c.tp, c.fp) == (7, 5, 2)
    assert c.precision == pytest.approx(5 / 7) and c.recall == pytest.approx(5 / 8)
    assert c.false_positives_by_group == {"breaking_news": 2}
    t = sig["content"]
    assert (t.flagged, t.tp, t.fp, t.false_positives_by_group) == (4, 3, 1, {"ordinary": 1})
    # a1's duplicate row adds the schedule signal.
    s = sig["schedule"]
    assert (s.flagged, s.tp, s.precision, s.recall) == (1, 1, 1.0, 1 / 8)


def test_merged_split_and_missed(tmp_path):
    truth = make_truth(
        tmp_path / "truth", extra=[("k1", "C", "persona", None), ("k2", "C", "persona", None)]
    )
    run = write_run(
        tmp_path / "run",
        "platform,account_id,cluster_id\nx,a1,c1\nx,a2,c1\nx,a3,c2\nx,a4,c2\nx,b1,c2\nx,b2,c2\n",
    )
    ev = evaluate(truth, run)
    ops = {o.id: o for o in ev.operations}
    # A sits in c1 (2) and c2 (2): split; c2 also holds 2 of B: A and B are merged; C is missed.
    assert ops["A"].clusters == ["c1", "c2"] and ops["A"].split and ops["A"].merged_with == ["B"]
    assert ops["B"].clusters == ["c2"] and ops["B"].merged and not ops["B"].split
    assert ops["C"].status == "missed" and ops["C"].clusters == [] and ops["C"].purity is None
    assert ops["A"].purity == pytest.approx(4 / 6) and ops["A"].completeness == pytest.approx(4 / 5)
    assert ops["B"].purity == pytest.approx(2 / 4)
    assert (ev.found, ev.missed, ev.merged, ev.split) == (2, 1, 2, 1)
    assert ev.overall.precision == 1.0 and ev.false_positive_rate == 0.0
    assert ev.average_precision is None and ev.signals == []


def test_parquet_without_clusters_is_one_group(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    pq.write_table(
        pa.table({"platform": ["X", "x", "x"], "account_id": ["a1", "a2", "o1"]}),
        run / "flagged.parquet",
    )
    ev = evaluate(make_truth(tmp_path / "truth"), run)
    assert (ev.overall.tp, ev.overall.fp) == (2, 1)
    [cluster] = ev.clusters
    assert cluster.size == 3 and cluster.majority == "A"
    assert {o.id: o.status for o in ev.operations} == {"A": "found", "B": "missed"}


def test_bad_files_are_explained(tmp_path):
    truth = make_truth(tmp_path / "truth")
    with pytest.raises(EvaluationError, match=r"no flagged\.csv or flagged\.parquet"):
        evaluate(truth, tmp_path / "nothing")
    with pytest.raises(EvaluationError, match="missing column"):
        evaluate(truth, write_run(tmp_path / "r1", "platform,id\nx,a1\n"))
    with pytest.raises(EvaluationError, match="not a number"):
        evaluate(truth, write_run(tmp_path / "r2", "platform,account_id,score\nx,a1,high\n"))
    with pytest.raises(EvaluationError, match=r"no accounts\.parquet"):
        evaluate(tmp_path, write_run(tmp_path / "r3", RUN_1))


def test_adjusted_rand_index_known_values():
    def ari(a, b):
        return adjusted_rand_index(
            {
                k: sum(1 for x in zip(a, b, strict=True) if x == k)
                for k in set(zip(a, b, strict=True))
            }
        )

    assert ari([0, 0, 1, 1], [1, 1, 0, 0]) == 1.0
    assert ari([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(4 / 7)  # scikit-learn's docs
    assert ari([0, 0, 0, 0], [0, 1, 2, 3]) == 0.0


def test_cli_prints_tables_and_json(tmp_path):
    truth = make_truth(tmp_path / "truth")
    run = write_run(tmp_path / "run", RUN_1)
    runner = CliRunner()
    res = runner.invoke(app, ["evaluate", "--truth", str(truth), "--run", str(run), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["overall"]["tp"] == 6 and data["adjusted_rand_index"] == pytest.approx(122 / 899)
    res = runner.invoke(app, ["evaluate", "--truth", str(truth), "--run", str(run)])
    assert res.exit_code == 0, res.output
    for word in ("precision", "breaking_news", "c1", "coaction", "found"):
        assert word in res.stdout
    res = runner.invoke(app, ["evaluate", "--truth", str(truth), "--run", str(tmp_path / "none")])
    assert res.exit_code == 2


def test_a_cluster_of_a_vendors_stock_is_named_for_it(tmp_path):
    """A cluster of a follower vendor's fake accounts is neither an operation nor
    authentic: the cluster table names it for the vendor's stock, and the partition figures
    are as before (the stock counts with the authentic accounts there)."""
    vendor = [(f"v{i}", None, "user", "follower_vendor") for i in range(3)]
    truth = make_truth(tmp_path / "truth", vendor)
    run = write_run(
        tmp_path / "run", RUN_1 + "".join(f"x,v{i},c8,0.5,followers\n" for i in range(3))
    )
    ev = evaluate(truth, run)
    clusters = {c.cluster_id: (c.size, c.majority, c.purity) for c in ev.clusters}
    assert clusters["c8"] == (3, "follower_vendor", 1.0)
    assert clusters["c3"] == (2, "authentic", 1.0)
    assert ev.purity == pytest.approx((3 + 2 + 2 + 3) / 12)


def test_reported_counts_groups_named_as_coordinated_but_not_accused(tmp_path):
    """With the run's clusters at hand, each operation's accounts in any reported cluster:
    c1 is an operation (flagged), c2 is reported as coordinated whose authenticity the data
    could not show (not flagged), c3 has no tier (neither)."""
    run = write_run(tmp_path / "run", "platform,account_id,cluster_id,score\nx,a1,c1,0.9\n")
    members = {"c1": ["a1", "a2"], "c2": ["a3", "b1", "o1", "o2"], "c3": ["b2", "n1"]}
    rows = [(c, a) for c, accounts in members.items() for a in accounts]
    pq.write_table(
        pa.table(
            {
                "platform": ["x"] * len(rows),
                "account_id": [a for _, a in rows],
                "cluster_id": [c for c, _ in rows],
            }
        ),
        run / "nodes.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "cluster_id": ["c1", "c2", "c3"],
                "tier": ["cib_high", "coordinated_unassessed", None],
            }
        ),
        run / "clusters.parquet",
    )
    ev = evaluate(make_truth(tmp_path / "truth"), run)
    reported = {op.id: (op.flagged, op.reported) for op in ev.operations}
    # A: a1 flagged; a1, a2 (c1) and a3 (c2) reported. B: b1 (c2); b2's c3 has no tier.
    assert reported == {"A": (1, 3), "B": (0, 1)}
    assert ev.reported_authentic == 2  # o1, o2
    # A flagged file alone cannot say what was reported.
    bare = evaluate(make_truth(tmp_path / "truth2"), run / "flagged.csv")
    assert bare.reported_authentic is None
    assert {op.reported for op in bare.operations} == {None}
