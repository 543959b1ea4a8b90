"""X API v2 JSON as twarc2 writes it.

Format: the X API v2 data dictionary (https://docs.x.com/x-api/fundamentals/data-dictionary)
and expansions (https://docs.x.com/x-api/fundamentals/expansions): a response page is
``{"data": [post, ...], "includes": {"users": [...], "tweets": [...], "media": [...]},
"meta": {...}}``; twarc2 writes one page per line and adds ``__twarc`` (url, version,
retrieved_at); ``twarc2 flatten`` writes one post per line with ``author``,
``in_reply_to_user`` and the referenced posts inline
(https://twarc-project.readthedocs.io/en/latest/twarc2_en_us/).

``fixtures/x_api_v2_pages.jsonl`` (made-up accounts and posts, fields as documented):

1. a search page: a post with hashtag, mention and an unwound link; its retweet; a reply;
   a quote of a post that only ``includes.tweets`` has; the first post again in includes
2. a second page: a long post (``note_tweet``), a post with a photo (its own media link),
   a post in Indonesian (Twitter's legacy code ``in``) made in an X Community
   (``community_id``); a newer follower count of one user
3. a blank line
4. a page with no results (``meta`` only): no record
5. line 1 cut short: not JSON
6. a page with a good post and one whose ``created_at`` is ``yesterday``
7. a flattened post (``twarc2 flatten``) replying to post 1 of line 1
8. an API error body, not a page
9. a users lookup page (``data`` holds users)

``fixtures/x_api_v2_document.json`` is the expansions example of the docs, pretty-printed,
with ``created_at`` and ``public_metrics`` added.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from unmask.ingest import ingest_file
from unmask.ingest.base import FormatMismatch
from unmask.ingest.registry import adapters, detect_adapter, read_head

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = FIXTURES / "x_api_v2_pages.jsonl"
DOCUMENT = FIXTURES / "x_api_v2_document.json"


def _line(n: int) -> dict:
    return json.loads(PAGES.read_text(encoding="utf-8").splitlines()[n - 1])


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture
def ingested(store):
    m = ingest_file(store, PAGES).manifest
    return m, store.connect()


def test_counts_reconcile(ingested):
    m, con = ingested
    assert m.adapter == "x_api_v2"
    # lines 1, 2, 5, 6, 7, 8, 9 are records; 3 is blank; 4 holds no result
    assert m.rows_read == 7
    assert m.rows_read == m.rows_stored + m.rows_merged + m.rows_duplicate + m.rows_quarantined
    assert (m.rows_stored, m.rows_quarantined) == (4, 3)
    ids = {
        p["id"] for n in (1, 2) for p in _line(n)["data"] + _line(n)["includes"].get("tweets", [])
    } | {_line(7)["id"]}
    got = {r[0] for r in con.execute("SELECT activity_id FROM activities").fetchall()}
    assert got == ids and len(got) == 9


def test_posts_as_written(ingested):
    _, con = ingested
    for n in (1, 2):
        page = _line(n)
        for p in page["data"] + page["includes"].get("tweets", []):
            text = p.get("note_tweet", {}).get("text", p["text"])
            got = con.execute(
                "SELECT account_id, time, text, platform, source_row FROM activities "
                "WHERE activity_id = ?",
                [p["id"]],
            ).fetchone()
            assert got == (p["author_id"], _t(p["created_at"]), text, "x", n), p["id"]


def test_kinds_parents_and_entities(ingested):
    _, con = ingested

    def get(i):
        return con.execute(
            "SELECT kind, parent_activity_id, parent_account_id, hashtags, mentions, urls, "
            "urls_original, language FROM activities WHERE activity_id = ?",
            [i],
        ).fetchone()

    news, twitter = "1423456789012345601", "783214"
    post = get("1631234567890123401")
    assert post[:3] == ("post", None, None)
    assert post[3:5] == (["savetheharbour"], ["bigportco"])
    # unwound_url is the link's target; canonical without www and utm_*
    assert post[5] == ["https://harbour-news.example/2023/03/01/council-vote/"]
    assert post[6] == [
        "https://www.harbour-news.example/2023/03/01/council-vote/?utm_source=twitter"
    ]
    # retweet: a share; the parent's author from includes.tweets
    rt = get("1631234590000000002")
    assert rt[:3] == ("share", "1631234567890123401", news)
    assert rt[4] == ["bigportco", "harbour_news"] and rt[5] == ["https://bit.ly/3harbour"]
    reply = get("1631234601000000003")
    assert reply[:3] == ("reply", "1631234567890123401", news)
    assert reply[3] == ["harbourcity", "savetheharbour"]
    # the quoted post is only in includes.tweets: it is an activity, and names the author
    assert get("1631234615000000004")[:3] == ("quote", "1631000000000000000", twitter)
    assert get("1631000000000000000")[:3] == ("post", None, None)
    # long post: note_tweet's text and entities
    long_post = get("1631240000000000005")
    assert long_post[3] == ["savetheharbour"] and long_post[5] == []
    # the link to the post's own photo is not a shared link; "qme" (media only) is no language
    assert get("1631240100000000006")[5:] == ([], [], None)
    # no entities: hashtags from the text; Twitter's "in" is ISO "id"
    assert get("1631240200000000007")[3] == ["savetheharbour"]
    assert get("1631240200000000007")[7] == "id"
    # the flattened reply
    flat = get("1631260000000000010")
    assert flat[:3] == ("reply", "1631234567890123401", news)
    assert flat[4] == ["harbour_news", "jenny_k_1987"]


def test_community_is_the_x_community_of_the_post(ingested, store, tmp_path):
    _, con = ingested
    got = dict(con.execute("SELECT activity_id, community FROM activities").fetchall())
    in_community = next(p for p in _line(2)["data"] if "community_id" in p)
    assert in_community["id"] == "1631240200000000007"
    assert got.pop("1631240200000000007") == in_community["community_id"] == "1623456789012345678"
    # every other post is on its author's own timeline
    assert set(got.values()) == {None} and len(got) == 8
    # A flattened post (twarc2 flatten) carries the field as the API gives it.
    flat = dict(_line(7), id="1631260000000000099", community_id="1623456789012345678")
    path = tmp_path / "flat.jsonl"
    path.write_text(json.dumps(flat) + "\n", encoding="utf-8")
    assert ingest_file(store, path).manifest.rows_quarantined == 0
    got = (
        store.connect()
        .execute("SELECT community FROM activities WHERE activity_id = '1631260000000000099'")
        .fetchone()
    )
    assert got == ("1623456789012345678",)


def test_accounts(ingested):
    _, con = ingested
    a = con.execute(
        "SELECT handle, display_name, created_at, followers, following, description, "
        "location, verified, url, observed_at FROM accounts WHERE account_id = ?",
        ["1423456789012345601"],
    ).fetchone()
    # the newest observation: line 7, retrieved 08:18, with the count of line 2
    assert a == (
        "harbour_news",
        "Harbour News",
        datetime(2021, 8, 6, 9, 12, 44, tzinfo=UTC),
        48377,
        120,
        "Independent news from the harbour city.",
        "Harbour City",
        True,
        "https://t.co/hnWebsite1",
        datetime(2023, 3, 2, 8, 18, tzinfo=UTC),
    )
    handles = {r[0] for r in con.execute("SELECT handle FROM accounts").fetchall()}
    # authors, referenced authors, flattened authors, and the users lookup of line 9
    assert handles == {
        "harbour_news",
        "jenny_k_1987",
        "mark_t_1990",
        "sunny_day_44",
        "Twitter",
        "bob_patriot_77",
        "anna_s_1985",
        "tom_w_1979",
    }
    # line 9 describes accounts only: its record is stored
    assert con.execute(
        "SELECT source_row FROM account_observations WHERE account_id = '1598765432109876507'"
    ).fetchone() == (9,)


def test_quarantine(ingested):
    _, con = ingested
    q = con.execute("SELECT row, line, field, reason, raw FROM quarantine ORDER BY row").fetchall()
    assert [r[0] for r in q] == [5, 6, 8]
    cut, bad_time, not_page = q
    assert cut[1] == 5 and "not valid JSON" in cut[3]
    assert bad_time[2] == "created_at"
    assert "post 1631250000000000008" in bad_time[3] and "'yesterday'" in bad_time[3]
    # the whole line is kept: the good post of that page is not lost
    assert json.loads(bad_time[4]) == _line(6)
    assert not con.execute(
        "SELECT count(*) FROM activities WHERE activity_id = '1631250000000000009'"
    ).fetchone()[0]
    assert not_page[1] == 8 and "neither an X API v2 response page" in not_page[3]
    assert "status" in not_page[3]


def test_single_document(store):
    m = ingest_file(store, DOCUMENT).manifest
    assert m.adapter == "x_api_v2"
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (1, 1, 0)
    con = store.connect()
    assert con.execute(
        "SELECT activity_id, account_id, time, hashtags FROM activities"
    ).fetchall() == [
        ("1234567890", "2244994945", datetime(2023, 1, 15, 12, tzinfo=UTC), ["helloworld"])
    ]
    assert con.execute("SELECT handle, followers, verified FROM accounts").fetchall() == [
        ("xdevelopers", 570000, True)
    ]


def test_flattened_lines_and_array_document(store, tmp_path):
    # twarc2 flatten output alone, and the same posts as one JSON array
    flat = _line(7)
    lines = tmp_path / "flat.jsonl"
    lines.write_text(json.dumps(flat) + "\n", encoding="utf-8")
    m = ingest_file(store, lines).manifest
    assert (m.adapter, m.rows_read, m.rows_stored) == ("x_api_v2", 1, 1)
    array = tmp_path / "flat.json"
    array.write_text(json.dumps([flat, _line(9)], indent=1), encoding="utf-8")
    m = ingest_file(store, array).manifest
    assert (m.rows_read, m.rows_stored, m.rows_duplicate) == (2, 1, 1)
    # the same array on one line is still one document, not a line of unknown shape
    compact = tmp_path / "compact.json"
    compact.write_text(json.dumps([_line(9), flat]), encoding="utf-8")
    m = ingest_file(store, compact).manifest
    assert (m.rows_read, m.rows_duplicate, m.rows_quarantined) == (2, 1, 0)


def _other_formats(shared: Path) -> list[Path]:
    return [
        shared / "coortweet" / "russian_coord_tweets.csv.gz",
        shared / "coortweet" / "german_elections.csv.gz",
        shared / "crowdtangle" / "ct_shares.csv",
        shared / "ira-sample" / "authors.csv",
        shared / "ira-sample" / "tweets" / "ACAB_ZONE.csv",
        *sorted((shared / "meta-threat-research").glob("*.csv"))[:3],
        *sorted(
            p for p in FIXTURES.rglob("*") if p.is_file() and not p.name.startswith("x_api_v2")
        ),
    ]


def test_sniffing(shared_data):
    assert detect_adapter(PAGES).name == "x_api_v2"
    assert detect_adapter(DOCUMENT).name == "x_api_v2"
    adapter = adapters()["x_api_v2"]
    for path in _other_formats(shared_data):
        assert not adapter.sniff(path, read_head(path)), path
    # Twitter API v1.1 JSON is not v2
    v1 = '{"created_at": "Thu Jun 07 06:36:05 +0000 2012", "id": 1, "id_str": "1", "text": "hi", "user": {"id": 2, "screen_name": "x"}}'
    assert not adapter.sniff(Path("v1.jsonl"), v1)


def test_wrong_file_is_a_format_mismatch(store, shared_data, tmp_path):
    with pytest.raises(FormatMismatch) as exc:
        ingest_file(store, shared_data / "crowdtangle" / "ct_shares.csv", format="x_api_v2")
    assert "X API v2 JSON" in str(exc.value) and "not JSON" in str(exc.value)
    assert '"id","is_orig"' in str(exc.value)
    v1 = tmp_path / "v1.jsonl"
    v1.write_text(json.dumps({"created_at": "x", "id_str": "1", "user": {}}) + "\n")
    with pytest.raises(FormatMismatch, match="keys created_at, id_str, user"):
        ingest_file(store, v1, format="x_api_v2")
    assert store.manifests() == []


def test_gzipped_lines(store, tmp_path):
    gz = tmp_path / "pages.jsonl.gz"
    gz.write_bytes(gzip.compress(PAGES.read_bytes()))
    assert detect_adapter(gz).name == "x_api_v2"
    m = ingest_file(store, gz).manifest
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (7, 4, 3)
    q = store.connect().execute("SELECT row, line FROM quarantine ORDER BY row").fetchall()
    assert q == [(5, 5), (6, 6), (8, 8)]
