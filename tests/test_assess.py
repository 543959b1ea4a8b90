"""The judgement's tiers on hand-made clusters: what each tier needs, and that a family the
data could not show is named and never counted as agreeing."""

from __future__ import annotations

import pyarrow as pa

from unmask.assess import FAMILIES, judge


def _clusters(families: dict[str, list[str]], size: int = 6) -> tuple[pa.Table, pa.Table]:
    """Clusters of ``size`` accounts; every account vouched for by each listed family."""
    nodes, vouched = [], []
    for cid, fams in families.items():
        for i in range(size):
            nodes.append({"platform": "x", "account_id": f"{cid}-{i}", "cluster_id": cid})
            for f in fams:
                vouched.append(
                    {
                        "platform": "x",
                        "account_id": f"{cid}-{i}",
                        "cluster_id": cid,
                        "family": f,
                        "signal": f"{f}-signal",
                    }
                )
    return pa.Table.from_pylist(nodes), pa.Table.from_pylist(vouched)


def _by_id(table: pa.Table) -> dict[str, dict]:
    return {r["cluster_id"]: r for r in table.to_pylist()}


def test_tiers_follow_the_families_that_agree():
    nodes, vouched = _clusters(
        {
            "three": ["coordination", "identity", "audience"],
            "two": ["coordination", "infrastructure"],
            "one": ["coordination"],
        }
    )
    got = _by_id(judge(nodes, vouched))
    assert (got["three"]["tier"], got["three"]["operation"]) == ("cib_high", True)
    assert (got["two"]["tier"], got["two"]["operation"]) == ("cib_likely", True)
    # every family could judge it, and only one agrees: what open crowds look like
    assert (got["one"]["tier"], got["one"]["operation"]) == (None, False)
    assert "every family could judge it" in got["one"]["reason"]


def test_coordination_alone_on_thin_data_is_not_called_inauthentic():
    nodes, vouched = _clusters({"one": ["coordination"], "none": []})
    got = _by_id(
        judge(
            nodes,
            vouched,
            assessable={"coordination", "schedule"},
            ran={"coordination", "schedule", "identity"},
        )
    )
    one = got["one"]
    assert (one["tier"], one["operation"]) == ("coordinated_unassessed", False)
    assert one["unassessed"] == ["audience", "identity", "infrastructure"]
    assert "audience, infrastructure: no signal of theirs was run" in one["reason"]
    assert "identity: the data lacks what they need" in one["reason"]
    # nothing supports it: no tier, and the reason still names what was not assessed
    assert got["none"]["tier"] is None
    assert "not assessed" in got["none"]["reason"]
    assert "every family could judge it" not in got["none"]["reason"]


def test_small_clusters_get_no_tier():
    nodes, vouched = _clusters({"tiny": list(FAMILIES)}, size=4)
    got = _by_id(judge(nodes, vouched))
    assert got["tiny"]["tier"] is None and "too small" in got["tiny"]["reason"]


def test_a_family_that_could_not_judge_never_agrees_even_when_it_vouched():
    """identity could not assess this data (its note says why) but still scored accounts:
    those scores are not support. Before: "2 independent families support at least 20% of
    it (coordination 100%, identity 100%)" on the takedown list, with identity also named as
    not assessed."""
    nodes, vouched = _clusters({"c": ["coordination", "identity"]})
    (c,) = judge(nodes, vouched, assessable={"coordination", "schedule"}).to_pylist()
    assert c["families"] == ["coordination"]
    assert [s["family"] for s in c["support"]] == ["coordination"]
    assert (c["tier"], c["operation"], c["score"]) == ("coordinated_unassessed", False, 1.0)
    assert "identity" in c["unassessed"] and "identity 100%" not in c["reason"]


def test_the_reason_names_the_supporting_families_apart_from_those_below_the_bar():
    nodes, vouched = _clusters({"c": ["coordination"]}, size=10)
    vouched = pa.concat_tables(
        [
            vouched,
            pa.Table.from_pylist(
                [
                    {
                        "platform": "x",
                        "account_id": "c-0",
                        "cluster_id": "c",
                        "family": "schedule",
                        "signal": "schedule",
                    }
                ]
            ),
        ]
    )
    (c,) = judge(nodes, vouched, assessable={"coordination", "schedule"}).to_pylist()
    assert c["families"] == ["coordination"]
    assert c["reason"].startswith(
        "1 independent family supports at least 20% of it (coordination 100%); "
        "below 20%: schedule 10%; "
    )
