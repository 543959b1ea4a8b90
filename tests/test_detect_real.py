"""`unmask detect` on real public data (CooRTweet's German election set: Facebook and X,
anonymised): the operations it reports can be checked by hand against the rows, and this
test does some of that checking."""

from __future__ import annotations

import csv
import json

import pytest

from unmask.detect import detect


@pytest.fixture(scope="module")
def german_run(german_store, tmp_path_factory):
    run = tmp_path_factory.mktemp("german") / "run"
    result = detect(german_store, run)
    ops = json.loads((run / "operations.json").read_text())
    con = german_store.connect()
    con.execute(f"CREATE TEMP TABLE members AS SELECT * FROM '{run / 'nodes.parquet'}'")
    return result, ops, con


def test_coordination_alone_is_reported_without_calling_it_inauthentic(german_run):
    """An export for researchers (no profiles, follows or infrastructure): the coordinated
    groups are reported, with their evidence, as coordinated behaviour whose authenticity
    was not assessed; none is called inauthentic or proposed for removal."""
    result, ops, _ = german_run
    reported = result.reported.to_pylist()
    assert len(reported) >= 3 and len(ops) == len(reported)
    assert result.operations.num_rows == 0
    meta = json.loads((result.run_dir / "run.json").read_text())
    assert any(n.startswith("infra:") for n in meta["notes"])
    for c in reported:
        assert c["tier"] == "coordinated_unassessed"
        assert "the data lacks what they need" in c["reason"]
        assert {"audience", "identity", "infrastructure"} <= set(c["unassessed"])


def test_each_operations_size_and_activity_equal_the_rows(german_run):
    _, ops, con = german_run
    for op in ops[:5]:
        accounts, actions, first, last = con.execute(
            """SELECT count(DISTINCT (m.platform, m.account_id)), count(t.activity_id),
                      min(t.time), max(t.time)
               FROM members m LEFT JOIN activities t USING (platform, account_id)
               WHERE m.cluster_id = ?""",
            [op["cluster_id"]],
        ).fetchone()
        assert op["assets"]["accounts"] == accounts
        assert op["activity"]["actions"] == actions
        assert (op["activity"]["first"], op["activity"]["last"]) == (
            first.isoformat(),
            last.isoformat(),
        )


def test_the_synchronised_actions_behind_an_edge_are_in_the_store(german_run):
    """Co-action events between two accounts of an operation name two activities of those
    accounts, at the times and lag they give."""
    result, ops, con = german_run
    ids = [o["cluster_id"] for o in ops]
    checked = 0
    for events in sorted((result.run_dir / "evidence").glob("coaction_*/events.parquet")):
        cur = con.execute(
            f"""SELECT e.* FROM '{events}' e
                JOIN members a ON a.platform = e.platform_a AND a.account_id = e.account_a
                JOIN members b ON b.platform = e.platform_b AND b.account_id = e.account_b
                WHERE a.cluster_id = b.cluster_id AND list_contains(?, a.cluster_id)
                ORDER BY e.time_a LIMIT 100""",
            [ids],
        )
        names = [d[0] for d in cur.description]
        for e in (dict(zip(names, row, strict=True)) for row in cur.fetchall()):
            rows = con.execute(
                """SELECT account_id, time FROM activities
                   WHERE (platform = ? AND activity_id = ?) OR (platform = ? AND activity_id = ?)
                   ORDER BY (activity_id = ?) DESC""",
                [
                    e["platform_a"],
                    e["activity_a"],
                    e["platform_b"],
                    e["activity_b"],
                    e["activity_a"],
                ],
            ).fetchall()
            assert [r[0] for r in rows] == [e["account_a"], e["account_b"]]
            assert (rows[0][1], rows[1][1]) == (e["time_a"], e["time_b"])
            assert abs((e["time_b"] - e["time_a"]).total_seconds()) == pytest.approx(
                e["lag_seconds"]
            )
            checked += 1
    assert checked > 0


def test_the_takedown_list_is_empty_when_nothing_is_called_inauthentic(german_run):
    result, ops, _ = german_run
    with open(result.run_dir / "takedown.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows == [] and all(not o["operation"] for o in ops)
    with open(result.run_dir / "flagged.csv", newline="") as f:
        assert list(csv.DictReader(f)) == []
