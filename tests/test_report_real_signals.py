"""The report's claims that rest on a signal, on real data (issue #19): reshares are not
copied content, a shift is claimed only when the rota test passed, and co-action says when
its null cannot tell coordination from the rest of the store.

The stores are those of ``tests/test_report_real.py`` (the IRA sample, one CSV per author)
and ``tests/conftest.py`` (CooRTweet's Russian retweet set).
"""

from __future__ import annotations

import pytest
from test_report_real import _ingest_ira

from unmask.engine.duckdb import DuckDBEngine
from unmask.signals.coaction import CoAction
from unmask.signals.content import CopiedContent, normalise_sql


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
