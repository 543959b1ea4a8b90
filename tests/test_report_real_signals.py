"""The report's claims that rest on a signal, on real data (issue #19): reshares are not
copied content, a shift is claimed only when the rota test passed, and co-action says when
its null cannot tell coordination from the rest of the store.

The stores are those of ``tests/test_report_real.py`` (the IRA sample, one CSV per author)
and ``tests/conftest.py`` (CooRTweet's Russian retweet set).
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from test_report_real import _describe_all, _ingest_ira

from unmask.engine.duckdb import DuckDBEngine
from unmask.signals.coaction import CoAction
from unmask.signals.content import CopiedContent, normalise_sql
from unmask.signals.schedule import DAY_NAMES, SHIFT, ShiftSchedule


@pytest.fixture(scope="module")
def ira(tmp_path_factory):
    store = _ingest_ira(tmp_path_factory.mktemp("ira"))
    return store, store.connect()


@pytest.fixture(scope="module")
def ira_content(ira):
    store, _ = ira
    with DuckDBEngine(store) as eng:
        return CopiedContent().run(eng)


def test_reshares_are_not_copied_content(ira, ira_content):
    """The IRA sample has 6,837 retweets (kind ``share``); retweets of one tweet have the
    same text, and were families of "near-copies" behind the narratives and 5.2.2. Only
    texts the accounts wrote themselves (posts, replies, quotes) may be in a family."""
    _, con = ira
    shares = con.execute(
        "SELECT count(*) FROM activities WHERE kind = 'share' AND text IS NOT NULL"
    ).fetchone()[0]
    assert shares == 6837
    own = {
        h
        for (h,) in con.execute(
            f"""SELECT DISTINCT md5({normalise_sql("text")}) FROM activities
                WHERE kind <> 'share' AND text IS NOT NULL"""
        ).fetchall()
    }
    families = ira_content.tables["families"].to_pylist()
    assert all(set(f["text_hashes"]) <= own for f in families)
    assert ira_content.stats["reshares_left_out"] == shares


def test_coaction_says_when_its_null_cannot_judge_the_store(russian_store):
    """CooRTweet's Russian set is one operation's retweets: ``--on parent --window 60``
    keeps 0 edges at the default FDR, where CooRTweet's definition gives 3,721. The 32
    pairs that co-retweeted two posts or more are no heavier than the shuffled copies'
    (6 a copy; the best q-value is 0.10). Before: no note, a silent "no coordination"."""
    with DuckDBEngine(russian_store) as eng:
        ev = CoAction(on="parent", window=60).run(eng)
        coortweet = CoAction(on="parent", window=60, compat="coortweet").run(eng)
        shown = CoAction(on="parent", window=60, fdr=None).run(eng)
    assert (len(ev.edges), len(coortweet.edges), len(shown.edges)) == (0, 3721, 32)
    (note,) = [n for n in ev.notes if n.startswith("the shuffled null could not judge")]
    assert "32 account pair(s)" in note and "6.0 such pair(s)" in note
    assert ev.stats["null_uninformative"] is True
    assert ev.stats["lowest_q_value"] == pytest.approx(
        min(shown.edges["q_value"].to_pylist()), abs=1e-4
    )
    # Edges shown without the FDR: nothing is hidden, so nothing to note.
    assert not any("shuffled null" in n for n in shown.notes)


def test_a_shift_is_claimed_only_when_the_rota_test_passed(ira):
    """The IRA sample read as one group keeps "every day, 02:30–02:00 UTC−2" (a 23.5-hour
    shift) with an office score of 0.0, and the schedule signal says no group keeps
    office-like shifts; yet 5 accounts score as shift-like one by one, so the signal vouches
    for them. Before: the heatmap outlined the 23.5 hours as working hours and 3.1.1
    "Working to a regular shift pattern" was claimed on those 5 accounts."""
    from unmask.export import plots, report

    store, _ = ira
    sig = ShiftSchedule()
    with DuckDBEngine(store) as eng:
        ev = sig.run(eng)
    assert ev.notes == ["no group of accounts keeps the same office-like shifts"]
    shift_like = ev.scores.filter(pa.compute.greater_equal(ev.scores["score"], sig.score_threshold))
    assert shift_like.num_rows == 5
    n = shift_like.num_rows
    vouched = pa.table(
        {
            "platform": shift_like["platform"],
            "account_id": shift_like["account_id"],
            "cluster_id": ["ira"] * n,
            "family": ["schedule"] * n,
            "signal": ["schedule"] * n,
        }
    )
    op = _describe_all(store, "ira", [ev], vouched)
    sched = op["schedule"]
    assert op["assets"]["by_signal"] == {"schedule": 5}
    assert (sched["office_score"], sched["days"]) == (0.0, list(DAY_NAMES))
    assert sched["shift_pattern"] is False
    assert sched["shifts_utc"] == []
    assert sched["description"].startswith("no shift pattern")
    assert SHIFT not in {k["procedure"] for k in op["killchain"]}
    assert "no shift pattern" in report.summary(op)
    svg = plots.heatmap(op)
    assert svg and plots.SHIFT_OUTLINE not in svg
