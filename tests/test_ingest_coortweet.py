"""CooRTweet's bundled data sets, ingested as they are."""

from __future__ import annotations

import csv
import gzip

from unmask.ingest import ingest_file


def test_russian_retweets_are_shares_of_their_object(store, shared_data):
    path = shared_data / "coortweet" / "russian_coord_tweets.csv.gz"
    m = ingest_file(store, path).manifest
    assert m.adapter == "coortweet"
    assert m.rows_read == 35_125
    assert m.reconciles and m.rows_quarantined == 0
    with gzip.open(path, "rt") as fh:
        rows = list(csv.DictReader(fh))
    con = store.connect()
    n_distinct = len({r["content_id"] for r in rows})
    assert con.execute("SELECT count(*) FROM activities").fetchone()[0] == n_distinct
    assert con.execute("SELECT count(*) FROM accounts").fetchone()[0] == len(
        {r["account_id"] for r in rows}
    )
    # One row checked by hand against the file.
    r = rows[0]
    got = con.execute(
        "SELECT account_id, parent_activity_id, kind, platform, epoch(time) FROM activities "
        "WHERE activity_id = ?",
        [r["content_id"]],
    ).fetchone()
    assert got == (r["account_id"], r["object_id"], "share", "x", float(r["timestamp_share"]))


def test_german_elections_long_rows_become_one_post(store, shared_data):
    path = shared_data / "coortweet" / "german_elections.csv.gz"
    m = ingest_file(store, path).manifest
    assert m.rows_read == 218_971 and m.reconciles
    con = store.connect()
    # Post 28347 spans two rows with two images.
    urls, media, platform = con.execute(
        "SELECT urls, media_hashes, platform FROM activities WHERE activity_id = '28347'"
    ).fetchone()
    assert platform == "x"
    assert urls == ["coortweet:url:18687"]
    assert sorted(media) == ["539", "9061"]
    platforms = dict(con.execute("SELECT platform, count(*) FROM accounts GROUP BY 1").fetchall())
    assert set(platforms) == {"facebook", "x"}


def test_same_file_twice_adds_nothing(store, shared_data):
    path = shared_data / "coortweet" / "russian_coord_tweets.csv.gz"
    first = ingest_file(store, path)
    again = ingest_file(store, path)
    assert again.skipped and not first.skipped
    assert len(store.manifests()) == 1
