"""The judgement's tiers on hand-made clusters and a hand-made model: what each tier needs,
that open-crowd markers count against, and that a family the data could not show is named
and never counted as agreeing."""

from __future__ import annotations

import pyarrow as pa

from unmask.assess import FAMILIES, judge
from unmask.judgement import FEATURES, STORE_FEATURES, Model

# Each family +2 on the log-odds, an outside audience -2: one family gives 0.27, two 0.73,
# three 0.95 (the shipped model is fitted; these tests pin the tier logic, not the fit).
WEIGHTS = (
    dict.fromkeys(FEATURES, 0.0)
    | dict.fromkeys(FAMILIES, 2.0)
    | {
        "linked_engagement": 2.0,
        "unlinked_audience": -2.0,
    }
)
MODEL = Model(
    -3.0,
    WEIGHTS,
    dict.fromkeys(FEATURES, 0.0),
    dict.fromkeys(FEATURES, 0.0),
    dict.fromkeys(FEATURES, 1.0),
)


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
    # the store's features known (and neutral): only the families' support decides
    known = dict.fromkeys(STORE_FEATURES, 0.0)
    features = dict.fromkeys(("three", "two", "one"), known)
    got = _by_id(judge(nodes, vouched, features=features, model=MODEL))
    assert (got["three"]["tier"], got["three"]["operation"]) == ("cib_high", True)
    assert got["three"]["probability"] > 0.9
    assert (got["two"]["tier"], got["two"]["operation"]) == ("cib_likely", True)
    assert "for: coordination vouches for 100%" in got["two"]["reason"]
    # every family could judge it, and only one agrees: what open crowds look like
    assert (got["one"]["tier"], got["one"]["operation"]) == (None, False)
    assert "not assessed" not in got["one"]["reason"]


def test_an_audience_outside_the_cluster_counts_against_it():
    nodes, vouched = _clusters({"crowd": ["coordination", "schedule"]})
    crowd = {"unlinked_audience": 2.0}
    got = _by_id(judge(nodes, vouched, features={"crowd": crowd}, model=MODEL))["crowd"]
    assert got["tier"] is None and got["probability"] < 0.5
    assert "against: an organic audience" in got["reason"]
    assert {"feature": "unlinked_audience", "value": 2.0} in got["features"]


def test_coordination_alone_on_thin_data_is_not_called_inauthentic():
    nodes, vouched = _clusters({"one": ["coordination"], "none": []})
    got = _by_id(
        judge(
            nodes,
            vouched,
            model=MODEL,
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
    assert "linked_engagement, unlinked_audience" in got["none"]["reason"]


def test_small_clusters_get_no_tier():
    nodes, vouched = _clusters({"tiny": list(FAMILIES)}, size=4)
    got = _by_id(judge(nodes, vouched, model=MODEL))
    assert got["tiny"]["tier"] is None and "too small" in got["tiny"]["reason"]


def test_a_family_that_could_not_judge_never_agrees_even_when_it_vouched():
    """identity could not assess this data (its note says why) but still scored accounts:
    those scores are not support. Before: "2 independent families support at least 20% of
    it (coordination 100%, identity 100%)" on the takedown list, with identity also named as
    not assessed."""
    nodes, vouched = _clusters({"c": ["coordination", "identity"]})
    (c,) = judge(nodes, vouched, assessable={"coordination", "schedule"}, model=MODEL).to_pylist()
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
    (c,) = judge(nodes, vouched, assessable={"coordination", "schedule"}, model=MODEL).to_pylist()
    assert c["families"] == ["coordination"]
    assert c["reason"].startswith(
        "coordination supports it (coordination 100%; below 20%: schedule 10%); "
    )


def test_how_a_group_acts_together_alone_never_makes_it_inauthentic():
    """Coordination, a rota and persistence say how accounts act together, not whether they
    are authentic: with nothing measured on who they are (a real export without profiles,
    follows, sign-ups or the posts its engagements answer), even a high probability leaves
    the group coordinated, authenticity not assessed. One authenticity feature read from
    the store is enough to let the probability decide."""
    weights = WEIGHTS | {"persistence": 4.0}
    model = Model(-3.0, weights, MODEL.means, MODEL.low, MODEL.high)
    nodes, vouched = _clusters({"job": ["coordination", "schedule"], "seen": ["coordination"]})
    features = {"job": {"persistence": 1.0}, "seen": {"persistence": 1.0, "declared": 0.0}}
    got = _by_id(
        judge(
            nodes,
            vouched,
            features=features,
            model=model,
            assessable={"coordination", "schedule"},
        )
    )
    job = got["job"]
    assert job["probability"] >= 0.9 and not job["operation"]
    assert job["tier"] == "coordinated_unassessed"
    assert "nothing in this data shows whether they are authentic" in job["reason"]
    assert "acted together day after day" in job["reason"]
    assert got["seen"]["operation"] and got["seen"]["tier"] == "cib_high"
    # A group that rarely acts together is not called unlikely to be inauthentic either:
    # nothing was measured on who its accounts are.
    few = _by_id(
        judge(
            nodes,
            vouched,
            features={"job": {"persistence": 0.0}, "seen": {"persistence": 0.0}},
            model=Model(-6.0, weights, MODEL.means, MODEL.low, MODEL.high),
            assessable={"coordination", "schedule"},
        )
    )["job"]
    assert few["probability"] < 0.7 and few["tier"] == "coordinated_unassessed"
    assert "that it is an inauthentic operation" not in few["reason"] and "()" not in few["reason"]
    assert "nothing in this data shows whether they are authentic" in few["reason"]


def test_new_accounts_audience_is_not_missing_for_old_accounts():
    """``new_audience`` does not apply to a group of old accounts: it is not named as
    evidence the data lacks; where the accounts' age is unknown, it is."""
    nodes, vouched = _clusters({"old": ["coordination"], "unknown": ["coordination"]})
    known = dict.fromkeys(STORE_FEATURES, 0.0)
    features = {
        "old": known | {"account_age": 3.0, "new_audience": None},
        "unknown": known | {"account_age": None, "new_audience": None},
    }
    got = _by_id(judge(nodes, vouched, features=features, model=MODEL))
    assert "not assessed" not in got["old"]["reason"]
    assert "account_age, new_audience: not in this data" in got["unknown"]["reason"]
