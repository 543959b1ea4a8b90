"""Reddit comments and submissions in Pushshift's NDJSON.

The fixture ``fixtures/reddit_pushshift.ndjson`` uses the fields that Pushshift's dumps
carry, as listed in Baumgartner, Zannettou, Keegan, Squire & Blackburn (2020), "The Pushshift
Reddit Dataset", ICWSM 14 (https://arxiv.org/abs/2001.08435), tables of submission fields
(id, author, created_utc, domain, is_self, num_comments, over_18, permalink, retrieved_on,
score, selftext, stickied, subreddit, subreddit_id, title, url, ...) and comment fields
(author, author_flair_*, body, controversiality, created_utc, distinguished, edited, gilded,
id, link_id, parent_id, retrieved_on, score, stickied, subreddit, subreddit_id), plus the
later additions (author_fullname, author_created_utc, crosspost_parent,
crosspost_parent_list, is_submitter, permalink). As in the real dumps, ``created_utc`` is
sometimes a string, and text fields are HTML-escaped (``&gt;``, ``&amp;``). Users and posts
are made up.

Lines, 1-based: 1 link submission, 2 self post, 3 top-level comment, 4 reply to 3, 5 comment
by a [deleted] author, 6 [removed] reply to 5, 7 invalid JSON (cut off), 8 bad created_utc,
9 no author, 10 crosspost of 1, 11 a JSON array, 12 neither a comment nor a submission,
13 comment with created_utc "1609974000.0", 14 line 3 again, 15 comment whose base-36 id
equals submission 1's.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from unmask.ingest import ingest_file
from unmask.ingest.base import FormatMismatch
from unmask.ingest.registry import detect_adapter, get_adapter, read_head

FIXTURE = Path(__file__).parent / "fixtures" / "reddit_pushshift.ndjson"


def _lines() -> list[dict | None]:
    out: list[dict | None] = []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            value = None
        out.append(value if isinstance(value, dict) else None)
    return out


@pytest.fixture
def ingested(store):
    return ingest_file(store, FIXTURE).manifest, store.connect()


def test_counts_reconcile(ingested):
    m, _ = ingested
    assert m.adapter == "reddit"
    # One line repeats a comment: merged into it, not stored twice.
    assert (m.rows_read, m.rows_stored, m.rows_merged, m.rows_quarantined) == (15, 9, 1, 5)
    assert m.rows_read == m.rows_stored + m.rows_merged + m.rows_duplicate + m.rows_quarantined
    assert m.entities["activities"] == 9 and m.entities["accounts"] == 5


def test_submissions_are_posts(ingested):
    _, con = ingested
    lines = _lines()
    link = lines[0]
    got = con.execute(
        "SELECT platform, account_id, time, kind, text, urls, domains, parent_activity_id, "
        "source_row FROM activities WHERE activity_id = 't3_kr9x1a'"
    ).fetchone()
    assert got == (
        "reddit",
        link["author"],
        datetime.fromtimestamp(link["created_utc"], UTC),
        "post",
        link["title"],  # no selftext
        # &amp; unescaped, the tracking parameter dropped by the pipeline
        ["https://truthwave.example/articles/election-stolen-proof?ref=share"],
        ["truthwave.example"],
        None,
        1,
    )
    self_post = lines[1]
    text, urls, tags, mentions, t = con.execute(
        "SELECT text, urls, hashtags, mentions, time FROM activities WHERE activity_id = 't3_kra3c9'"
    ).fetchone()
    assert text == self_post["title"] + "\n\n" + self_post["selftext"].replace("&amp;", "&")
    assert urls == ["https://harbortown.example/closures"]  # from the text, not the permalink
    assert tags == ["harbortown"]
    assert mentions == ["harbor_town_pd"]  # u/harbor_town_pd
    assert t == datetime.fromtimestamp(int(self_post["created_utc"]), UTC)  # a string in the file


def test_comments_point_at_their_parent(ingested):
    _, con = ingested
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT activity_id, account_id, kind, text, parent_activity_id, parent_account_id, "
            "time FROM activities WHERE kind = 'comment'"
        ).fetchall()
    }
    assert rows["t1_gi0a1b2"][:5] == (
        "liberty_bell_2020",
        "comment",
        "> PROOF\n\nShare this everywhere before it gets taken down!",
        "t3_kr9x1a",
        "Patriot_Eagle_1776",  # the submission's author, found in the file
    )
    assert rows["t1_gi0a9zz"][3:5] == ("t1_gi0a1b2", "liberty_bell_2020")
    # created_utc "1609974000.0"
    assert rows["t1_gi0d1f2"][5] == datetime(2021, 1, 6, 23, 0, tzinfo=UTC)
    # A comment and a submission with the same base-36 id stay two activities.
    assert rows["t1_kr9x1a"][:2] == ("harbor_town_pd", "comment")
    assert rows["t1_kr9x1a"][3:5] == ("t3_kra3c9", "harbor_town_mod")


def test_deleted_authors_and_removed_bodies(ingested):
    _, con = ingested
    account, text, parent_account = con.execute(
        "SELECT account_id, text, parent_account_id FROM activities WHERE activity_id = 't1_gi0b3c4'"
    ).fetchone()
    assert (account, text, parent_account) == ("[deleted]:t1_gi0b3c4", None, "Patriot_Eagle_1776")
    # [removed] is no text; the parent's author is deleted, so unknown.
    account, text, parent_account = con.execute(
        "SELECT account_id, text, parent_account_id FROM activities WHERE activity_id = 't1_gi0b8x1'"
    ).fetchone()
    assert (account, text, parent_account) == ("skeptical_sam", None, None)
    n = con.execute("SELECT count(*) FROM accounts WHERE account_id LIKE '[deleted]%'").fetchone()[
        0
    ]
    assert n == 0


def test_crosspost_is_a_share_of_the_original(ingested):
    _, con = ingested
    got = con.execute(
        "SELECT account_id, kind, parent_activity_id, parent_account_id, urls FROM activities "
        "WHERE activity_id = 't3_kra1x2'"
    ).fetchone()
    assert got == (
        "liberty_bell_2020",
        "share",
        "t3_kr9x1a",
        "Patriot_Eagle_1776",
        ["https://reddit.com/r/conspiracy/comments/kr9x1a/proof_the_election_was_stolen/"],
    )


def test_community_is_the_subreddit(ingested):
    _, con = ingested
    got = dict(con.execute("SELECT activity_id, community FROM activities").fetchall())
    lines = {f"t{'1' if 'body' in o else '3'}_{o['id']}": o for o in _lines() if o}
    # As the file writes them: "conspiracy", "HarborTown", "Conservative" (the crosspost).
    assert lines["t3_kra3c9"]["subreddit"] == "HarborTown"
    assert got == {
        "t3_kr9x1a": "conspiracy",
        "t3_kra3c9": "harbortown",  # lower-cased: Reddit names are case-insensitive
        "t1_gi0a1b2": "conspiracy",
        "t1_gi0a9zz": "conspiracy",
        "t1_gi0b3c4": "conspiracy",  # a deleted author's comment is still in its subreddit
        "t1_gi0b8x1": "conspiracy",
        "t3_kra1x2": "conservative",  # a crosspost is in the subreddit it was posted to
        "t1_gi0d1f2": "conspiracy",
        "t1_kr9x1a": "harbortown",
    }
    assert {k: lines[k]["subreddit"].lower() for k in got} == got


def test_community_leaves_out_the_authors_own_profile(store, tmp_path):
    path = tmp_path / "profile.ndjson"
    base = {"created_utc": 1609964400, "author": "Patriot_Eagle_1776"}
    records = [
        # A post on the author's own profile: Pushshift writes the subreddit u_<name>.
        {**base, "id": "p1", "subreddit": "u_Patriot_Eagle_1776", "title": "my profile"},
        # Someone else commenting there: that is not their own space.
        {
            **base,
            "id": "c1",
            "author": "skeptical_sam",
            "subreddit": "u_Patriot_Eagle_1776",
            "body": "hi",
            "parent_id": "t3_p1",
        },
        # Some extracts write the name prefixed.
        {**base, "id": "p2", "subreddit": "r/WorldNews", "title": "news"},
        {**base, "id": "p3", "subreddit": "", "title": "no subreddit"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    m = ingest_file(store, path).manifest
    assert (m.rows_stored, m.rows_quarantined) == (4, 0)
    got = dict(store.connect().execute("SELECT activity_id, community FROM activities").fetchall())
    assert got == {
        "t3_p1": None,
        "t1_c1": "u_patriot_eagle_1776",
        "t3_p2": "worldnews",
        "t3_p3": None,
    }


def test_gzipped_file_is_read_like_the_plain_one(store, tmp_path):
    gz = tmp_path / "RC_2021-01.ndjson.gz"
    gz.write_bytes(gzip.compress(FIXTURE.read_bytes()))
    assert detect_adapter(gz).name == "reddit"
    m = ingest_file(store, gz).manifest
    assert m.adapter == "reddit"
    assert (m.rows_read, m.rows_stored, m.rows_merged, m.rows_quarantined) == (15, 9, 1, 5)
    con = store.connect()
    q = con.execute("SELECT row, line, field FROM quarantine ORDER BY row").fetchall()
    assert [(r[0], r[2]) for r in q] == [
        (7, None),
        (8, "created_utc"),
        (9, "author"),
        (11, None),
        (12, "body"),
    ]
    assert q[0][1] == 7  # the physical line of the line that is not JSON
    got = con.execute(
        "SELECT account_id, kind, text, parent_activity_id, community FROM activities "
        "WHERE activity_id = 't1_gi0a1b2'"
    ).fetchone()
    assert got == (
        "liberty_bell_2020",
        "comment",
        "> PROOF\n\nShare this everywhere before it gets taken down!",
        "t3_kr9x1a",
        "conspiracy",
    )


def test_accounts(ingested):
    _, con = ingested
    accounts = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT account_id, kind, handle, url, created_at FROM accounts"
        ).fetchall()
    }
    assert set(accounts) == {
        "Patriot_Eagle_1776",
        "harbor_town_mod",
        "liberty_bell_2020",
        "skeptical_sam",
        "harbor_town_pd",
    }
    assert accounts["Patriot_Eagle_1776"] == (
        "account",
        "Patriot_Eagle_1776",
        "https://www.reddit.com/user/Patriot_Eagle_1776",
        datetime.fromtimestamp(1604275200, UTC),  # author_created_utc
    )


def test_quarantine_names_row_field_and_reason(ingested):
    m, con = ingested
    q = con.execute(
        "SELECT source_file, path, row, line, field, reason, raw FROM quarantine ORDER BY row"
    ).fetchall()
    assert {(r[0], r[1]) for r in q} == {(m.file_id, str(FIXTURE))}
    assert [(r[2], r[4]) for r in q] == [
        (7, None),
        (8, "created_utc"),
        (9, "author"),
        (11, None),
        (12, "body"),
    ]
    assert q[0][3] == 7 and "not valid JSON" in q[0][5]
    assert "'yesterday' as a time" in q[1][5]
    assert "'author' is missing" in q[2][5]
    assert "not an object" in q[3][5]
    assert "neither a comment" in q[4][5]
    # The raw record is kept as it was.
    assert json.loads(q[1][6])["id"] == "gi0c5d6"
    assert q[0][6].startswith('{"author":"liberty_bell_2020","body":"this line was cut off')


def test_sniffing(shared_data, tmp_path):
    assert detect_adapter(FIXTURE).name == "reddit"
    adapter = get_adapter("reddit")
    others = [
        *sorted((shared_data / "coortweet").glob("*.csv.gz")),
        shared_data / "crowdtangle" / "ct_shares.csv",
        shared_data / "ira-sample" / "authors.csv",
        Path(__file__).parent / "fixtures" / "telegram_channel.json",
    ]
    for path in others:
        if path.exists():
            assert not adapter.sniff(path, read_head(path)), path
    # Nor the other formats' fixtures.
    for path in sorted(p for p in (Path(__file__).parent / "fixtures").rglob("*") if p.is_file()):
        if not path.name.startswith("reddit"):
            assert not adapter.sniff(path, read_head(path)), path
    # NDJSON of something else is not Reddit.
    tweets = tmp_path / "tweets.ndjson"
    tweets.write_text('{"id_str": "1", "full_text": "hi", "created_at": "x"}\n')
    assert not adapter.sniff(tweets, read_head(tweets))
    # A submission whose first line is longer than the sniffed head is still recognised.
    long = tmp_path / "long.ndjson"
    long.write_text(
        json.dumps(
            {
                "id": "a",
                "subreddit": "x",
                "created_utc": 1,
                "author": "u",
                "title": "t",
                "selftext": "z" * 100_000,
            }
        )
        + "\n"
    )
    assert adapter.sniff(long, read_head(long))


def test_wrong_file_with_format_is_a_mismatch(store, shared_data, tmp_path):
    with pytest.raises(FormatMismatch) as err:
        ingest_file(store, shared_data / "crowdtangle" / "ct_shares.csv", format="reddit")
    assert "Pushshift Reddit NDJSON" in err.value.expected
    assert "no JSON object" in err.value.found
    tweets = tmp_path / "tweets.ndjson"
    tweets.write_text('{"id_str": "1", "full_text": "hi", "created_at": "x"}\n')
    with pytest.raises(FormatMismatch) as err:
        ingest_file(store, tweets, format="reddit")
    assert "keys created_at, full_text, id_str" in err.value.found
    assert store.manifests() == []
