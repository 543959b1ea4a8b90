"""The Twitter/X information operations archive (Transparency Center, hashed releases).

Format: Twitter Transparency Center, information operations datasets, hashed release
(https://transparency.twitter.com/en/reports/information-operations.html): one CSV of tweets
with the columns tweetid, userid, user_display_name, user_screen_name,
user_reported_location, user_profile_description, user_profile_url, follower_count,
following_count, account_creation_date, account_language, tweet_language, tweet_text,
tweet_time, tweet_client_name, in_reply_to_userid, in_reply_to_tweetid,
quoted_tweet_tweetid, is_retweet, retweet_userid, retweet_tweetid, latitude, longitude,
quote_count, reply_count, like_count, retweet_count, hashtags, urls, user_mentions,
poll_choices; and one CSV of users with the profile columns. Accounts under 5,000 followers
have their id, handle and name replaced by one hash; ``latitude``/``longitude`` read
``absent``; counts are sometimes written as floats (``0.0``).

The fixture ``fixtures/twitter_io_tweets.csv`` is written in that shape (made-up content):
an unhashed news account amplified by hashed accounts (retweets within a minute, replies,
quotes), a multi-line tweet, a row repeated, and five broken records (rows 22-26).
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from unmask.ingest import ingest_file
from unmask.ingest.base import FormatMismatch
from unmask.ingest.registry import adapters, detect_adapter, read_head

FIXTURES = Path(__file__).parent / "fixtures"
TWEETS = FIXTURES / "twitter_io_tweets.csv"
USERS = FIXTURES / "twitter_io_users.csv"
BROKEN_ROWS = {22, 23, 24, 25, 26}


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _records() -> list[dict[str, str]]:
    rows = _rows(TWEETS)
    header = rows[0]
    return [dict(zip(header, r, strict=False)) for r in rows[1:]]


def _time(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


@pytest.fixture
def ingested(store):
    m = ingest_file(store, TWEETS).manifest
    return m, store.connect()


def test_counts_reconcile(ingested):
    m, con = ingested
    assert m.adapter == "twitter_io"
    assert m.rows_read == 28
    assert m.reconciles
    assert m.rows_read == m.rows_stored + m.rows_merged + m.rows_duplicate + m.rows_quarantined
    assert m.rows_quarantined == len(BROKEN_ROWS)
    good = [r for i, r in enumerate(_records(), 1) if i not in BROKEN_ROWS]
    n = con.execute("SELECT count(*) FROM activities").fetchone()[0]
    assert n == len({r["tweetid"] for r in good}) == 22
    # Row 20 repeats row 19: one activity, traced to the first of them.
    assert con.execute(
        "SELECT source_row FROM activities WHERE activity_id = '1002970000333344768'"
    ).fetchone() == (19,)


def test_every_good_row_is_stored_as_it_was_written(ingested):
    _, con = ingested
    for i, r in enumerate(_records(), 1):
        if i in BROKEN_ROWS:
            continue
        got = con.execute(
            "SELECT account_id, time, text, platform FROM activities WHERE activity_id = ?",
            [r["tweetid"]],
        ).fetchone()
        assert got == (r["userid"], _time(r["tweet_time"]), r["tweet_text"], "x"), i


def test_kinds_and_parents(ingested):
    _, con = ingested

    def get(tweetid):
        return con.execute(
            "SELECT kind, parent_activity_id, parent_account_id FROM activities "
            "WHERE activity_id = ?",
            [tweetid],
        ).fetchone()

    # is_retweet True: a share of retweet_tweetid by retweet_userid
    assert get("1002873650012344320") == ("share", "1002873384221593600", "2871234567")
    # in_reply_to_tweetid: a reply
    assert get("1002880011223344640") == ("reply", "1002874012335001601", "2871234567")
    # only in_reply_to_userid: still a reply, to the account
    assert get("1002901234567890944") == ("reply", None, "113338601")
    # quoted_tweet_tweetid: a quote (the archive does not say whose)
    assert get("1002905555666677760") == ("quote", "1002874012335001601", None)
    assert get("1002873384221593600") == ("post", None, None)
    kinds = dict(con.execute("SELECT kind, count(*) FROM activities GROUP BY 1").fetchall())
    assert kinds == {"post": 12, "share": 5, "reply": 3, "quote": 2}


def test_list_columns_languages_and_text(ingested):
    _, con = ingested

    def get(tweetid):
        return con.execute(
            "SELECT hashtags, urls, urls_original, domains, mentions, language "
            "FROM activities WHERE activity_id = ?",
            [tweetid],
        ).fetchone()

    # ['a', 'b'] lists; URLs canonical (no www, no utm_*), the original kept.
    hashtags, urls, original, domains, mentions, lang = get("1002873384221593600")
    assert sorted(hashtags) == ["горловка", "донбасс"]
    assert urls == ["https://rt.com/russian/news/123456-gorlovka/"]
    assert original == [
        "https://www.rt.com/russian/news/123456-gorlovka/?utm_source=twitter&utm_medium=social"
    ]
    assert domains == ["rt.com"] and mentions == [] and lang == "ru"
    # [a, b] lists without quotes, in any script
    assert sorted(get("1141234567890123776")[0]) == ["hongkong", "香港"]
    # an empty hashtags field says nothing: they come from the text
    assert get("1141234599990124544")[0] == ["香港警察"]
    # two URLs in one list
    assert sorted(get("1002970000333344768")[3]) == ["novorossia.today", "t.me"]
    # user_mentions holds user ids; mentions are the handles written in the text
    assert get("1002880122334455808")[4] == ["newsofdonbass", "osce_smm"]
    # Twitter's legacy code "in" is ISO "id"; "und" says nothing
    assert get("1002905555666677760")[5] == "id"
    assert get("1002950000111122432")[5] is None
    # a multi-line tweet is one record, its text intact
    text = con.execute(
        "SELECT text FROM activities WHERE activity_id = '1003102233445566778'"
    ).fetchone()[0]
    assert text.startswith('"Мы не уйдём"') and "\nВидео: https://t.co/Vid30Link0" in text


def test_accounts_from_the_user_columns(ingested):
    _, con = ingested
    news = con.execute(
        "SELECT handle, display_name, followers, following, created_at, language, location, "
        "description, url, observed_at FROM accounts WHERE account_id = '2871234567'"
    ).fetchone()
    # The newest observation (row 21, 2018-06-03 05:00) has 15,990 followers.
    assert news == (
        "NewsOfDonbass",
        "Новости Донбасса",
        15990,
        312,
        datetime(2014, 9, 2, tzinfo=UTC),
        "ru",
        "Донецк",
        "Новости Донбасса и Новороссии 24/7",
        "https://t.co/x2AbCdEfGh",
        datetime(2018, 6, 3, 5, 0, tzinfo=UTC),
    )
    hashed = "aLXrxYNRc712oNIY4RO95w/nQ9BddX0dbo/OMR7x9SY="
    got = con.execute(
        "SELECT handle, display_name, followers, language, location FROM accounts "
        "WHERE account_id = ?",
        [hashed],
    ).fetchone()
    # The hash that stands in for a small account's handle and name is not a handle.
    assert got == (None, None, 35, "zh-cn", "北京")
    assert con.execute("SELECT count(*) FROM accounts").fetchone()[0] == 6


def test_broken_records_are_quarantined_with_their_field(ingested):
    _, con = ingested
    q = con.execute(
        "SELECT row, line, field, reason, raw, path FROM quarantine ORDER BY row"
    ).fetchall()
    assert [r[0] for r in q] == sorted(BROKEN_ROWS)
    by_row = {r[0]: r for r in q}
    assert by_row[22][2] == "tweet_time" and "'2018-02-30 25:61'" in by_row[22][3]
    assert by_row[23][2] == "follower_count" and "'1.2k'" in by_row[23][3]
    assert by_row[24][2] == "is_retweet" and "'maybe'" in by_row[24][3]
    assert by_row[25][2] == "account_id" and "empty" in by_row[25][3]
    # The record cut short: the reader's reason, and its physical line (row 4 spans two).
    assert by_row[26][1] == 28 and "26 fields where the header has 31" in by_row[26][3]
    assert by_row[26][4].startswith("1002999999000000005,")
    assert '"tweetid":"1002999999000000001"' in by_row[22][4]
    assert all(r[5].endswith("twitter_io_tweets.csv") for r in q)
    # Nothing of a quarantined record is stored.
    assert not con.execute(
        "SELECT count(*) FROM activities WHERE activity_id LIKE '100299999900000000_'"
    ).fetchone()[0]


def test_users_file(store):
    m = ingest_file(store, USERS).manifest
    assert m.adapter == "twitter_io"
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (5, 4, 1)
    con = store.connect()
    assert con.execute(
        "SELECT handle, followers, created_at FROM accounts WHERE account_id = '2871234567'"
    ).fetchone() == ("NewsOfDonbass", 15873, datetime(2014, 9, 2, tzinfo=UTC))
    assert con.execute("SELECT row, field FROM quarantine").fetchall() == [(5, "following_count")]


def test_no_community_in_the_releases(ingested):
    # The releases have no column for it: no tweet has a community.
    _, con = ingested
    assert con.execute("SELECT count(*), count(community) FROM activities").fetchone() == (22, 0)


def test_community_from_a_community_id_column(store, tmp_path):
    # A file in this shape with a community_id column: its values, empty cells none.
    rows = _rows(TWEETS)[:4]
    communities = ["1623456789012345678", "", "1623456789012345679"]
    path = tmp_path / "with_communities_tweets_csv_hashed.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [[*rows[0], "community_id"]]
            + [[*r, c] for r, c in zip(rows[1:], communities, strict=True)]
        )
    m = ingest_file(store, path).manifest
    assert (m.rows_stored, m.rows_quarantined) == (3, 0)
    got = dict(
        store.connect()
        .execute(
            "SELECT activity_id, community FROM activities WHERE activity_id IN (?, ?, ?)",
            [r[0] for r in rows[1:]],
        )
        .fetchall()
    )
    assert got == {r[0]: c or None for r, c in zip(rows[1:], communities, strict=True)}


def test_same_file_twice_adds_nothing(store):
    first = ingest_file(store, TWEETS)
    again = ingest_file(store, TWEETS)
    assert again.skipped and not first.skipped


def _other_formats(shared: Path) -> list[Path]:
    return [
        shared / "coortweet" / "russian_coord_tweets.csv.gz",
        shared / "coortweet" / "german_elections.csv.gz",
        shared / "crowdtangle" / "ct_shares.csv",
        shared / "ira-sample" / "authors.csv",
        shared / "ira-sample" / "tweets" / "ACAB_ZONE.csv",
        *sorted((shared / "meta-threat-research").glob("*.csv"))[:3],
        *sorted(
            p for p in FIXTURES.rglob("*") if p.is_file() and not p.name.startswith("twitter_io")
        ),
    ]


def test_sniffing(shared_data):
    assert detect_adapter(TWEETS).name == "twitter_io"
    assert detect_adapter(USERS).name == "twitter_io"
    adapter = adapters()["twitter_io"]
    for path in _other_formats(shared_data):
        assert not adapter.sniff(path, read_head(path)), path


def test_wrong_file_is_a_format_mismatch(store, shared_data):
    path = shared_data / "coortweet" / "russian_coord_tweets.csv.gz"
    with pytest.raises(FormatMismatch) as exc:
        ingest_file(store, path, format="twitter_io")
    msg = str(exc.value)
    assert "Twitter information operations" in msg and "missing tweetid" in msg
    assert "timestamp_share" in msg  # what was found
    assert store.manifests() == []
