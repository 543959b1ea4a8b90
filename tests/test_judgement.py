"""The calibrated judgement's model: fitting, missing features, the upper bound, the
reliability table, the shipped model, and the features read from a hand-made store."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest
from worldscore import hand_made_store

from unmask import judgement
from unmask.engine import open_engine
from unmask.judgement import FEATURES, fit, load_model, reliability


def _rows(n: int, seed: int = 0) -> tuple[list[dict], list[int]]:
    """Clusters whose truth follows a known logistic law: identity support and linked
    engagement make an operation likelier, an organic audience less likely."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for _ in range(n):
        x = dict.fromkeys(FEATURES, 0.0) | {
            "coordination": 1.0,
            "identity": float(rng.uniform()),
            "linked_engagement": float(rng.uniform()),
            "unlinked_audience": float(rng.uniform(0, 2)),
        }
        z = -1 + 3 * x["identity"] + 3 * x["linked_engagement"] - 2 * x["unlinked_audience"]
        rows.append(x)
        labels.append(int(rng.uniform() < 1 / (1 + np.exp(-z))))
    return rows, labels


def test_fit_recovers_the_law_and_is_calibrated_in_sample():
    rows, labels = _rows(3000)
    model = fit(rows, labels, l2=0.1, gaps={"none": ()})
    assert model.weights["identity"] == pytest.approx(3, abs=0.6)
    assert model.weights["linked_engagement"] == pytest.approx(3, abs=0.6)
    assert model.weights["unlinked_audience"] == pytest.approx(-2, abs=0.5)
    probs = [model.probability(r) for r in rows]
    for b in reliability(probs, labels):
        assert abs(b["predicted"] - b["observed"]) < 0.1


def test_the_ridge_is_chosen_by_held_out_loss():
    """Noisy labels want a strong ridge, clean separable ones a weak one: the default rule
    takes the least held-out loss; the one-standard-error rule a penalty at least as strong,
    within one standard error of it."""
    rows, labels = _rows(600, seed=3)
    folds = [i % 2 for i in range(len(rows))]
    chosen, table = judgement.choose_l2(rows, labels, folds, gaps={"none": ()})
    best = min(table, key=lambda r: r["loss"])
    assert [r["l2"] for r in table] == list(judgement.L2_GRID)
    assert chosen == best["l2"]
    one_se, _ = judgement.choose_l2(rows, labels, folds, gaps={"none": ()}, rule="one_se")
    assert one_se >= chosen
    assert next(r for r in table if r["l2"] == one_se)["loss"] <= best["loss"] + best["se"]
    # labels that a hard rule decides: the held-out loss keeps falling as the ridge weakens
    clean = [int(r["identity"] > 0.5) for r in rows]
    weak, _ = judgement.choose_l2(rows, clean, folds, gaps={"none": ()}, rule="one_se")
    assert weak < one_se
    with pytest.raises(ValueError, match="two folds"):
        judgement.choose_l2(rows, labels, [0] * len(rows))
    with pytest.raises(ValueError, match="rule"):
        judgement.choose_l2(rows, labels, folds, rule="smallest")


def test_a_weight_of_the_wrong_sign_is_held_at_zero():
    rows, labels = _rows(2000)
    # an organic audience that (in these rows) comes with operations: the fit may not say so
    flipped = [r | {"declared": r["unlinked_audience"]} for r in rows]
    flipped = [
        r | {"declared": 2 - r["declared"]} if y else r
        for r, y in zip(flipped, labels, strict=True)
    ]
    model = fit(flipped, labels, gaps={"none": ()})
    assert model.weights["declared"] == 0.0


def test_a_missing_feature_argues_neither_way_and_upper_bounds_it():
    rows, labels = _rows(200)
    model = fit(rows, labels)
    x = rows[1] | {"identity": None}
    assert model.terms(x)["identity"] == 0.0
    assert model.upper(x) >= model.probability(x)
    assert model.upper(rows[1]) == pytest.approx(model.probability(rows[1]))


def test_a_feature_that_does_not_apply_is_not_evidence_the_data_lacks():
    """``new_audience`` is about new accounts: for old ones it does not apply, and the
    upper bound must not imagine it; where the accounts' age is unknown, it is missing."""
    rows, labels = _rows(400, seed=5)
    young = [r | {"account_age": 0.5, "new_audience": r["unlinked_audience"]} for r in rows]
    model = fit(young, labels, gaps={"none": ()})
    model.weights["new_audience"] = -5.0  # as the fit on the simulated worlds makes it
    old = young[2] | {"account_age": 3.0, "new_audience": None}
    assert judgement.not_applicable(old) == {"new_audience"}
    assert model.upper(old) == pytest.approx(model.probability(old))
    unknown = young[2] | {"account_age": None, "new_audience": None}
    assert judgement.not_applicable(unknown) == set()
    assert model.upper(unknown) > model.probability(unknown)


def test_fitting_needs_both_kinds():
    rows, _ = _rows(10)
    with pytest.raises(ValueError, match="both kinds"):
        fit(rows, [1] * 10)


def test_the_model_round_trips_through_json_and_a_wrong_file_is_named(tmp_path):
    rows, labels = _rows(50)
    model = fit(rows, labels, provenance={"seeds": [1, 2]})
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model.to_json()))
    again = load_model(path)
    assert again.probability(rows[3]) == pytest.approx(model.probability(rows[3]))
    assert again.provenance == {"seeds": [1, 2]}
    path.write_text(json.dumps({**model.to_json(), "features": ["coordination"]}))
    with pytest.raises(ValueError, match=r"model\.json"):
        load_model(path)


def test_the_shipped_model_was_fitted_on_tuning_seeds_only():
    model = load_model()
    assert set(model.provenance["seeds"]) <= {1, 2}
    assert model.provenance["clusters"] > 100
    # what marks an open crowd counts against, what operations cannot hide counts for
    assert model.weights["unlinked_audience"] < 0 and model.weights["declared"] < 0
    assert model.weights["persistence"] > 0 and model.weights["identity"] > 0
    assert all(judgement.SIGNS[f] * w >= 0 for f, w in model.weights.items())


T0 = datetime(2024, 3, 1, tzinfo=UTC)


def _post(i: int, account: str, parent: str | None = None, parent_account: str | None = None):
    return {
        "platform": "x",
        "activity_id": f"p{i}",
        "account_id": account,
        "time": T0.replace(hour=i % 24),
        "kind": "share" if parent else "post",
        "text": f"text {i}",
        "domains": ["mysite.org"] if not parent else [],
        "parent_activity_id": parent,
        "parent_account_id": parent_account,
        "source_file": "hand",
        "source_row": i,
    }


def test_features_read_from_the_store(tmp_path):
    ring = [f"r{i}" for i in range(6)]
    acts, i = [], 0
    for a in ring:  # each ring member posts, and the others share it
        acts.append(_post(i, a))
        post = f"p{i}"
        i += 1
        for b in ring:
            if b != a:
                acts.append(_post(i, b, post, a))
                i += 1
    acts.append(_post(i, "outsider", "p0", "r0"))
    accounts = [
        {
            "platform": "x",
            "account_id": a,
            "created_at": datetime(2024, 2, 20, tzinfo=UTC),
            "kind": "user",
            "description": "news from mysite.org" if a == "r0" else "hello",
            "source_file": "hand",
            "source_row": 0,
        }
        for a in ring
    ]
    store = hand_made_store(tmp_path, activities=acts, accounts=accounts)
    nodes = pa.table({"platform": ["x"] * 6, "account_id": ring, "cluster_id": ["c"] * 6})
    with open_engine("duckdb", store) as eng:
        assert judgement.engagement_measurable(eng)
        got = judgement.cluster_features(eng, nodes)["c"]
    assert got["linked_engagement"] == pytest.approx(30 / 31)
    assert got["unlinked_audience"] == pytest.approx(np.log1p(1 / 6))
    assert got["account_age"] == pytest.approx(np.log10(1 + 10), abs=0.05)
    assert got["declared"] == pytest.approx(1 / 6)
    # accounts ten days old: new, and their organic audience is new_audience
    assert judgement.new_accounts(got) and got["new_audience"] == got["unlinked_audience"]


def test_engagement_with_posts_the_data_lacks_is_not_measured(tmp_path):
    acts = [_post(i, f"a{i % 6}", f"elsewhere{i}", "someone") for i in range(30)]
    store = hand_made_store(tmp_path, activities=acts)
    nodes = pa.table(
        {"platform": ["x"] * 6, "account_id": [f"a{i}" for i in range(6)], "cluster_id": ["c"] * 6}
    )
    with open_engine("duckdb", store) as eng:
        assert not judgement.engagement_measurable(eng)
        got = judgement.cluster_features(eng, nodes)["c"]
    assert got["linked_engagement"] is None and got["unlinked_audience"] is None
    assert got["account_age"] is None and got["declared"] is None


def test_without_bios_whether_sites_are_declared_is_not_measured(tmp_path):
    """CrowdTangle's and CooRTweet's exports have no bios: a page that pushes its own site
    cannot be told from one that hides it, so neither feature is a zero."""
    acts = [_post(i, f"a{i % 6}") for i in range(30)]
    accounts = [
        {
            "platform": "x",
            "account_id": f"a{i}",
            "kind": "page",
            "handle": "mysite",
            "source_file": "hand",
            "source_row": i,
        }
        for i in range(6)
    ]
    store = hand_made_store(tmp_path, activities=acts, accounts=accounts)
    nodes = pa.table(
        {"platform": ["x"] * 6, "account_id": [f"a{i}" for i in range(6)], "cluster_id": ["c"] * 6}
    )
    vouched = pa.table(
        {
            "platform": ["x"] * 6,
            "account_id": [f"a{i}" for i in range(6)],
            "signal": [judgement.OWNED_SIGNAL] * 6,
        }
    )
    with open_engine("duckdb", store) as eng:
        assert not judgement.bios_measurable(eng)
        got = judgement.cluster_features(eng, nodes, vouched)["c"]
    assert got["declared"] is None and got["covert_sites"] is None


def _acts_evidence(pairs_days: list[tuple[str, str, int, bool]], hour: int = 1):
    """Evidence whose events are pairs acting on a day (day offset from T0) at ``hour`` UTC;
    the flag says whether the event names an activity (an act) or not (a sign-up, a
    follow)."""
    from datetime import timedelta

    from unmask.signals.base import EVENT_SCHEMA, Evidence

    rows = [
        {
            "signal": "s",
            "platform_a": "x",
            "account_a": a,
            "platform_b": "x",
            "account_b": b,
            "activity_a": f"{a}-{day}" if act else None,
            "time_a": T0 + timedelta(days=day, hours=hour),
        }
        for a, b, day, act in pairs_days
    ]
    return Evidence(signal="s", params={}, events=pa.Table.from_pylist(rows, schema=EVENT_SCHEMA))


@pytest.mark.parametrize("active_days", [20, 10])
def test_persistence_is_the_share_of_its_active_days_a_cluster_acted_together(
    tmp_path, active_days
):
    """A job acts together day after day, a crowd on its event days and lives its own life
    the others; sign-ups and pairs across clusters are not acts of a cluster, someone
    else's days do not count, and a cluster active on few days cannot tell."""
    from datetime import timedelta

    members = ["j0", "j1", "e0", "e1"]
    lives = [
        _post(100 * k + d, a) | {"time": T0 + timedelta(days=d)}
        for k, a in enumerate(members)
        for d in range(active_days)
    ]
    elsewhere = [_post(9000 + d, "someone") | {"time": T0 + timedelta(days=d)} for d in range(60)]
    store = hand_made_store(tmp_path, activities=lives + elsewhere, accounts=[])
    nodes = pa.table(
        {
            "platform": ["x"] * 4,
            "account_id": members,
            "cluster_id": ["job", "job", "event", "event"],
        }
    )
    evidence = _acts_evidence(
        [("j0", "j1", d, True) for d in range(8)]
        + [("j1", "j0", d, True) for d in range(6)]  # the same days again, the other way
        + [("e0", "e1", d, True) for d in (2, 3, 7)]
        + [("e0", "e1", 9, False), ("j0", "e0", 9, True)]
    )
    acts = judgement.act_hours([evidence])
    with open_engine("duckdb", store) as eng:
        got = judgement.cluster_features(eng, nodes, None, acts)
    if active_days < judgement.MIN_WINDOW_DAYS:
        assert got["job"]["persistence"] is None and got["event"]["persistence"] is None
    else:
        assert got["job"]["persistence"] == pytest.approx(8 / active_days)
        assert got["event"]["persistence"] == pytest.approx(3 / active_days)


def _owned_evidence(pushes: list[tuple[str, str, str]]):
    """The owned-sites signal's events for accounts ("platform/account") that push a unit:
    a chain of pairs over each unit's pushers, as the signal links them."""
    from itertools import pairwise

    from unmask.signals.base import EVENT_SCHEMA, Evidence

    by_unit: dict[str, list[str]] = {}
    for unit, platform, account in pushes:
        by_unit.setdefault(unit, []).append(f"{platform}/{account}")
    rows = [
        {
            "signal": judgement.OWNED_SIGNAL,
            "platform_a": a.split("/")[0],
            "account_a": a.split("/")[1],
            "platform_b": b.split("/")[0],
            "account_b": b.split("/")[1],
            "target": unit,
        }
        for unit, who in by_unit.items()
        for a, b in pairwise(who)
    ]
    table = pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)
    return Evidence(signal=judgement.OWNED_SIGNAL, params={}, events=table)


def test_separate_owners_tells_brands_shops_from_an_operations_sites(tmp_path):
    """An agency's brands each push their own shop from their own account on each platform
    (one owner's presence on several platforms); an operation's accounts push its sites
    together (several accounts on one platform). The share is of the cluster's accounts:
    members that push no owned site, and accounts outside the cluster, do not count; a
    cluster that pushes none is at 0, and without the owned-sites signal it is missing."""
    from unmask.signals.base import Evidence

    pushes = [
        # the agency: three brands, one account on each of two platforms
        *[(f"{b}.com", p, f"{b}-{p}") for b in ("shoe", "cafe", "gym") for p in ("x", "fb")],
        # the operation: four accounts on x and one on fb push two sites, chained by o2
        ("news-a.com", "x", "o1"),
        ("news-a.com", "x", "o2"),
        ("news-b.com", "x", "o2"),
        ("news-b.com", "x", "o3"),
        ("news-b.com", "fb", "o4"),
        # a group of two on x, and one owner on x and fb; m5 pushes nothing
        ("grp.com", "x", "m1"),
        ("grp.com", "x", "m2"),
        ("own.com", "x", "m3"),
        ("own.com", "fb", "m4"),
        # an outsider pushing the agency's shop and the operation's site
        ("shoe.com", "x", "outsider"),
        ("news-a.com", "x", "outsider"),
    ]
    evidence = [_owned_evidence(pushes), Evidence(signal="coaction_url", params={})]
    sites = judgement.site_pushers(evidence)
    assert judgement.site_pushers(evidence[1:]) is None
    assert sites.num_rows == len(pushes)
    members = {
        "agency": [(p, f"{b}-{p}") for b in ("shoe", "cafe", "gym") for p in ("x", "fb")],
        "operation": [("x", "o1"), ("x", "o2"), ("x", "o3"), ("fb", "o4")],
        "mixed": [("x", "m1"), ("x", "m2"), ("x", "m3"), ("fb", "m4"), ("x", "m5")],
        "quiet": [("x", "q1"), ("x", "q2")],
    }
    nodes = pa.Table.from_pylist(
        [
            {"platform": p, "account_id": a, "cluster_id": cid}
            for cid, accounts in members.items()
            for p, a in accounts
        ]
    )
    store = hand_made_store(tmp_path, activities=[_post(1, "q1")], accounts=[])
    with open_engine("duckdb", store) as eng:
        got = judgement.cluster_features(eng, nodes, None, None, sites)
        unknown = judgement.cluster_features(eng, nodes)
    assert got["agency"]["separate_owners"] == 1.0
    assert got["operation"]["separate_owners"] == 0.0
    assert got["mixed"]["separate_owners"] == pytest.approx(2 / 5)
    assert got["quiet"]["separate_owners"] == 0.0
    assert all(f["separate_owners"] is None for f in unknown.values())


def test_a_staged_feature_is_fitted_on_top_of_the_others():
    """``separate_owners`` is fitted after the rest and centred at 0: the weights of the
    other features are those of a fit without it, and a cluster at 0 is not pushed."""
    rows, labels = _rows(400, seed=3)
    # a crowd that only the staged feature tells apart: its identity an operation's
    crowd = rows[0] | {"identity": 1.0, "linked_engagement": 1.0, "unlinked_audience": 0.0}
    rows = [r | {"separate_owners": 0.0} for r in rows] + [crowd | {"separate_owners": 1.0}] * 20
    labels = labels + [0] * 20
    with_it = fit(rows, labels, l2=0.1, gaps={"none": ()})
    without = fit([r | {"separate_owners": None} for r in rows], labels, l2=0.1, gaps={"none": ()})
    assert with_it.means["separate_owners"] == 0.0
    assert with_it.weights["separate_owners"] < 0 and without.weights["separate_owners"] == 0
    assert with_it.probability(crowd | {"separate_owners": 1.0}) < 0.5
    assert without.probability(crowd) > 0.5
    assert with_it.intercept == pytest.approx(without.intercept)
    for f in FEATURES:
        if f != "separate_owners":
            assert with_it.weights[f] == pytest.approx(without.weights[f]), f


def test_a_crowd_acts_together_only_on_days_a_tenth_of_it_takes_part(tmp_path):
    """In a crowd of thirty, two share something on every one of twenty days: that is not
    the crowd acting together. On the three days ten of them do, it is."""
    from datetime import timedelta

    members = [f"m{i}" for i in range(30)]
    lives = [
        _post(1000 * k + d, a) | {"time": T0 + timedelta(days=d, hours=2)}
        for k, a in enumerate(members)
        for d in range(20)
    ]
    store = hand_made_store(tmp_path, activities=lives, accounts=[])
    nodes = pa.table({"platform": ["x"] * 30, "account_id": members, "cluster_id": ["c"] * 30})
    pairs = [("m0", "m1", d, True) for d in range(20)]
    pairs += [(members[2 * i], members[2 * i + 1], d, True) for d in (4, 9, 14) for i in range(5)]
    acts = judgement.act_hours([_acts_evidence(pairs, hour=2)])
    with open_engine("duckdb", store) as eng:
        got = judgement.cluster_features(eng, nodes, None, acts)["c"]["persistence"]
    assert 2 / 30 < judgement.MIN_TAKING_PART <= 10 / 30
    assert got == pytest.approx(3 / 20)


@pytest.mark.parametrize("weeks", [2, 1])
def test_persistence_needs_a_long_enough_span_not_many_active_days(tmp_path, weeks):
    """A rota with its weekends off, in a collection from a Monday to the Monday two weeks
    on, is active on eleven days that span fifteen: its persistence is measured (all eleven
    days together), though it was active on fewer than MIN_WINDOW_DAYS days. One working
    week is too short a window to tell a job from an event."""
    from datetime import timedelta

    days = [w * 7 + d for w in range(weeks) for d in range(5)] + ([14] if weeks == 2 else [])
    members = ["r0", "r1"]
    lives = [
        _post(100 * k + d, a) | {"time": T0 + timedelta(days=d, hours=2)}
        for k, a in enumerate(members)
        for d in days
    ]
    elsewhere = [_post(9000 + d, "someone") | {"time": T0 + timedelta(days=d)} for d in range(30)]
    store = hand_made_store(tmp_path, activities=lives + elsewhere, accounts=[])
    nodes = pa.table({"platform": ["x"] * 2, "account_id": members, "cluster_id": ["rota"] * 2})
    acts = judgement.act_hours([_acts_evidence([("r0", "r1", d, True) for d in days], hour=2)])
    with open_engine("duckdb", store) as eng:
        got = judgement.cluster_features(eng, nodes, None, acts)["rota"]["persistence"]
    span = days[-1] - days[0] + 1
    assert (span >= judgement.MIN_WINDOW_DAYS) == (weeks == 2)
    assert got == (pytest.approx(1.0) if weeks == 2 else None)


def test_persistence_counts_a_clusters_own_days_not_utc_days(tmp_path):
    """Volunteers in New York answer calls at noon and 8 pm, 17:00 and 01:00 UTC: one call
    day is two UTC days. Their days begin in their night (they post 13:00-02:00 UTC), so
    three call days are three of their twenty days, not six; a rota in UTC+8 that acts at
    02:00 UTC every day keeps all its days."""
    from datetime import timedelta

    def lives(account: str, first: int, hours: range) -> list[dict]:
        return [
            _post(first + 100 * d + h, account) | {"time": T0 + timedelta(days=d, hours=h)}
            for d in range(20)
            for h in hours
        ]

    activities = (
        lives("v0", 0, range(13, 27))
        + lives("v1", 10_000, range(13, 27))
        + lives("r0", 20_000, range(1, 11))
        + lives("r1", 30_000, range(1, 11))
    )
    store = hand_made_store(tmp_path, activities=activities, accounts=[])
    nodes = pa.table(
        {
            "platform": ["x"] * 4,
            "account_id": ["v0", "v1", "r0", "r1"],
            "cluster_id": ["volunteers", "volunteers", "rota", "rota"],
        }
    )
    calls = (2, 7, 12)
    evidence = [
        _acts_evidence([("v0", "v1", d, True) for d in calls], hour=17),
        _acts_evidence([("v0", "v1", d + 1, True) for d in calls], hour=1),
        _acts_evidence([("r0", "r1", d, True) for d in range(20)], hour=2),
    ]
    acts = judgement.act_hours(evidence)
    with open_engine("duckdb", store) as eng:
        got = judgement.cluster_features(eng, nodes, None, acts)
    assert got["volunteers"]["persistence"] == pytest.approx(3 / 20)
    assert got["rota"]["persistence"] == pytest.approx(1.0)
