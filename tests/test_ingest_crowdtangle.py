"""CrowdTangle exports: the CooRnet links/posts flattening (real data) and the dashboard's
historical-data download (fixture).

The fixture ``fixtures/crowdtangle_historical.csv`` follows the column list of CrowdTangle's
historical-data CSV as read by 4CAT's importer (digitalmethodsinitiative/4cat,
``datasources/upload/import_formats.py``, ``facebook-crowdtangle``) and CooRnet's
``get_urls_from_ct_histdata`` (fabiogiglietto/CooRnet): Page Name, User Name, Facebook Id,
Page Category, Page Admin Top Country, Page Description, Page Created, Likes at Posting,
Followers at Posting, Post Created (with a zone abbreviation), Post Created Date, Post
Created Time, Type, Total Interactions (thousands written with commas), the reaction counts,
video columns, URL, Message, Link, Final Link, Image Text, Link Text ("This is a re-share
of a post" for re-shares), Description, Sponsor Id/Name/Category and the weighted
Overperforming Score. Pages and posts in it are made up.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from unmask.ingest import ingest_file
from unmask.ingest.base import FormatMismatch
from unmask.ingest.normalise import canonical_url
from unmask.ingest.registry import detect_adapter, get_adapter, read_head

FIXTURES = Path(__file__).parent / "fixtures"
HISTORICAL = FIXTURES / "crowdtangle_historical.csv"
GROUPS = FIXTURES / "crowdtangle_historical_groups.csv"


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- the API links/posts flattening (PyCooRnet's sample, real data) ------------------------


@pytest.fixture
def ct_shares(shared_data) -> Path:
    return shared_data / "crowdtangle" / "ct_shares.csv"


def test_ct_shares_rows_become_posts_with_their_links(store, ct_shares):
    m = ingest_file(store, ct_shares).manifest
    assert m.adapter == "crowdtangle"
    with open(ct_shares, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert m.rows_read == len(rows) == 1684
    assert m.reconciles and m.rows_quarantined == 0
    assert m.rows_read == m.rows_stored + m.rows_merged + m.rows_duplicate + m.rows_quarantined
    con = store.connect()
    # One activity per CrowdTangle post; a post with several links spans several rows.
    assert con.execute("SELECT count(*) FROM activities").fetchone()[0] == len(
        {r["id"] for r in rows}
    )
    assert con.execute("SELECT count(*) FROM accounts").fetchone()[0] == len(
        {r["account.platformId"] for r in rows}
    )
    r = rows[0]
    got = con.execute(
        "SELECT platform, account_id, kind, time, urls, text FROM activities WHERE activity_id = ?",
        [f"crowdtangle:{r['id']}"],
    ).fetchone()
    assert got == (
        "facebook",
        r["account.platformId"],
        "post",
        datetime.fromisoformat(r["date"]).replace(tzinfo=UTC),
        [canonical_url(r["expanded"])],
        None,
    )
    # A post that shared four links: all four are on the one activity.
    multi = [x for x in rows if x["id"] == "21320620990"]
    assert len(multi) == 4
    urls = con.execute(
        "SELECT urls FROM activities WHERE activity_id = 'crowdtangle:21320620990'"
    ).fetchone()[0]
    assert sorted(urls) == sorted({canonical_url(x["expanded"]) for x in multi})


def test_ct_shares_accounts_are_pages_and_groups_by_platform_id(store, ct_shares):
    ingest_file(store, ct_shares)
    with open(ct_shares, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    con = store.connect()
    accounts = {
        a[0]: a[1:]
        for a in con.execute(
            "SELECT account_id, kind, handle, display_name, followers, verified, url FROM accounts"
        ).fetchall()
    }
    for r in rows:
        kind, handle, name, followers, verified, url = accounts[r["account.platformId"]]
        assert kind == ("group" if "/groups/" in r["account.url"] else "page")
        assert name == r["account.name"]
        assert followers == int(r["account.subscriberCount"])  # one value per page in this file
        assert handle == (r["account.handle"] if r["account.handle"] not in ("NA", "") else None)
        assert url == r["account.url"]
        assert verified == (r["account.verified"] == "TRUE")
    # Row 1 by hand: a group without a handle.
    assert accounts["300176403665207"] == (
        "group",
        None,
        "Periódico ¡ahora!",
        3183,
        False,
        "https://www.facebook.com/groups/300176403665207",
    )
    assert accounts["82409693514"][:4] == ("page", "cubadebate", "Cubadebate", 538732)
    # Activities point at accounts by the platform's id, never CrowdTangle's own.
    orphans = con.execute(
        "SELECT count(*) FROM activities WHERE account_id NOT IN (SELECT account_id FROM accounts)"
    ).fetchone()[0]
    assert orphans == 0


def test_ct_shares_bad_values_are_quarantined_with_their_field(store, ct_shares, tmp_path):
    with open(ct_shares, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    header, body = lines[0], lines[1:6]
    rows = list(csv.reader(body))
    rows[1][3] = "13/13/2017 99:00"  # date
    rows[2][7] = "lots"  # account.subscriberCount
    rows[3][10] = ""  # account.platformId
    rows[4][0] = "NA"  # id
    path = tmp_path / "ct_shares_broken.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(header + "\n")
        csv.writer(fh, lineterminator="\n").writerows(rows)
    m = ingest_file(store, path).manifest
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (5, 1, 4)
    assert m.reconciles
    q = store.connect().execute("SELECT row, field, reason, raw FROM quarantine ORDER BY row")
    got = q.fetchall()
    assert [(r[0], r[1]) for r in got] == [
        (2, "date"),
        (3, "account.subscriberCount"),
        (4, "account.platformId"),
        (5, "id"),
    ]
    assert "13/13/2017 99:00" in got[0][2] and "as a time" in got[0][2]
    assert "'lots' as a whole number" in got[1][2]
    assert all(r[3] for r in got)  # the record as it was


# -- the dashboard historical-data download (fixture) --------------------------------------


def test_historical_download_values(store):
    m = ingest_file(store, HISTORICAL).manifest
    assert m.adapter == "crowdtangle"
    # Row 20 repeats a post: merged into it, not stored twice.
    assert (m.rows_read, m.rows_stored, m.rows_merged, m.rows_quarantined) == (20, 14, 1, 5)
    assert m.rows_read == m.rows_stored + m.rows_merged + m.rows_duplicate + m.rows_quarantined
    con = store.connect()
    acts = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT activity_id, account_id, time, kind, text, urls, hashtags, mentions, "
            "parent_activity_id, source_row FROM activities"
        ).fetchall()
    }
    # Row 1: a link post; the id is <page id>_<post id from the URL>; EST is UTC-5.
    assert acts["104211358077311_3712546612167415"] == (
        "104211358077311",
        _utc(2021, 1, 6, 19, 3, 12),
        "post",
        "Crowds are gathering downtown. Live updates here.",
        ["https://bayareaherald.example/2021/01/06/capitol-crowds"],
        [],
        [],
        None,
        1,
    )
    # Row 2: Final Link (the expanded bit.ly) is the link, tracking parameters dropped;
    # hashtags come from the message.
    _, t, _, text, urls, tags, _, _, row = acts["100587233214570_249871203338001"]
    assert (t, urls, tags, row) == (
        _utc(2021, 1, 6, 19, 3, 40),
        ["https://truthwave.example/articles/election-stolen-proof"],
        ["election2020", "stopthesteal"],
        2,
    )
    assert text.startswith("They don't want you to see THIS.") and "\n" in text
    # Row 4: a photo; the id is the photo's, from /photos/<album>/<id>/.
    assert acts["104211358077311_3712641918824551"][1] == _utc(2021, 1, 6, 21, 45)
    # Row 5: mentions from the message.
    assert acts["100587233214570_1093327514520119"][6] == ["cnn", "foxnews"]
    # Row 6: a status post with a link in its text only.
    assert acts["112739806601472_421503912599189"][4] == [
        "https://truthwave.example/watch/1093327514520119"
    ]
    # Row 7: a re-share of row 6's post.
    reshare = acts["100587233214570_250190529972735"]
    assert reshare[2] == "share" and reshare[7] == "112739806601472_421503912599189"
    # Rows 8-14: CET, CEST, EDT, -0500, -05:00, PDT, UTC.
    assert acts["108843711994210_1456123987761234"][1] == _utc(2021, 3, 14, 18, 30)
    assert acts["108843711994210_1456890012233445"][1] == _utc(2021, 7, 14, 17, 30)
    assert acts["104211358077311_3790012345678901"][1] == _utc(2021, 3, 14, 7, 30)
    assert acts["100587233214570_260001122334455"][1] == _utc(2021, 3, 15, 13, 0)
    assert acts["112739806601472_430001122334455"][1] == _utc(2021, 3, 15, 13, 0, 7)
    assert acts["100587233214570_260009988776655"][1] == _utc(2021, 3, 16, 12, 0)
    # Row 13 has no URL: its id is a hash of what it holds, the same on every ingest.
    hashed = [k for k, v in acts.items() if v[8] == 13]
    assert len(hashed) == 1 and hashed[0].startswith("hash:")
    assert acts[hashed[0]][1] == _utc(2021, 3, 16, 17, 0)  # PDT is UTC-7
    # Row 20 is row 8's post again: one activity, the first record's values.
    assert acts["108843711994210_1456123987761234"][3].startswith("Wahlbetrug?")
    assert len(acts) == 14


def test_historical_download_accounts(store):
    ingest_file(store, HISTORICAL)
    con = store.connect()
    got = con.execute(
        "SELECT kind, handle, display_name, followers, created_at, description, location, url,"
        " observed_at FROM accounts WHERE account_id = '104211358077311'"
    ).fetchone()
    # The newest observation in the file (row 13, 2021-03-16) gives the follower count.
    assert got == (
        "page",
        "harbortowngazette",
        "Harbor Town Gazette",
        13251,
        _utc(2016, 3, 14, 13, 12, 44),
        "Local news for Harbor Town and the bay.",
        "US",
        "https://www.facebook.com/harbortowngazette",
        _utc(2021, 3, 16, 17, 0),
    )
    # A page without a user name, and whose "Likes at Posting" is empty.
    handle, followers, url = con.execute(
        "SELECT handle, followers, url FROM accounts WHERE account_id = '112739806601472'"
    ).fetchone()
    assert (handle, followers, url) == (None, 10044, "https://www.facebook.com/112739806601472")
    assert con.execute("SELECT count(*) FROM accounts").fetchone()[0] == 4


def test_historical_download_quarantine_names_file_row_and_field(store):
    m = ingest_file(store, HISTORICAL).manifest
    q = (
        store.connect()
        .execute("SELECT source_file, path, row, line, field, reason FROM quarantine ORDER BY row")
        .fetchall()
    )
    assert {r[0] for r in q} == {m.file_id}
    assert {r[1] for r in q} == {str(HISTORICAL)}
    assert [(r[2], r[4].split(" (")[0]) for r in q] == [
        (15, "Overperforming Score"),  # one field too many: named after the last column
        (16, "Post Created"),
        (17, "Facebook Id"),
        (18, "Followers at Posting"),
        (19, "Post Created"),
    ]
    # Its physical line (two rows before it span two lines each).
    assert q[0][3] == 18 and "41 fields where the header has 40" in q[0][5]
    assert "'yesterday at noon' as a time" in q[1][5]
    assert "'Facebook Id' is empty" in q[2][5]
    assert "'lots' as a whole number" in q[3][5]
    assert "'2021-03-17 09:00:00 XYZ'" in q[4][5] and "timezone=" in q[4][5]


def test_historical_timezone_option_reads_unknown_abbreviations(store):
    m = ingest_file(store, HISTORICAL, options={"timezone": "Asia/Kolkata"}).manifest
    assert m.rows_quarantined == 4 and m.reconciles
    t = (
        store.connect()
        .execute(
            "SELECT time FROM activities WHERE activity_id = '104211358077311_3790099999999999'"
        )
        .fetchone()[0]
    )
    assert t == _utc(2021, 3, 17, 3, 30)  # 09:00 at UTC+05:30
    # Known abbreviations keep their own offset.
    t = (
        store.connect()
        .execute(
            "SELECT time FROM activities WHERE activity_id = '104211358077311_3712546612167415'"
        )
        .fetchone()[0]
    )
    assert t == _utc(2021, 1, 6, 19, 3, 12)


def test_historical_group_download(store):
    m = ingest_file(store, GROUPS).manifest
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (4, 3, 1) and m.reconciles
    con = store.connect()
    kinds = dict(con.execute("SELECT account_id, kind FROM accounts").fetchall())
    assert kinds == {"2738114406271185": "group", "411927756213007": "group"}
    got = con.execute(
        "SELECT account_id, time, urls FROM activities "
        "WHERE activity_id = '2738114406271185_3902215540311061'"
    ).fetchone()
    assert got == (
        "2738114406271185",
        _utc(2021, 1, 6, 19, 4, 2),
        ["https://truthwave.example/articles/election-stolen-proof"],
    )
    url = con.execute("SELECT url FROM accounts WHERE account_id = '2738114406271185'").fetchone()[
        0
    ]
    assert url == "https://www.facebook.com/groups/2738114406271185"
    row, field = con.execute("SELECT row, field FROM quarantine").fetchone()
    assert (row, field) == (4, "Post Created")  # 25:00 is not an hour


def test_group_posts_have_no_community_as_the_group_is_their_account(store, ct_shares):
    """CrowdTangle never says which member posted in a group: a group's post is the group's
    own (its account is the group), so the group is its own space, not a community."""
    ingest_file(store, GROUPS)
    ingest_file(store, ct_shares)
    con = store.connect()
    groups = con.execute(
        """SELECT a.platform, a.account_id, count(*), count(a.community)
           FROM activities a JOIN accounts g USING (platform, account_id)
           WHERE g.kind = 'group' GROUP BY ALL ORDER BY 2"""
    ).fetchall()
    # Row 1 of ct_shares is a post of the group 300176403665207, as its account.url says.
    assert ("facebook", "300176403665207", 1, 0) in groups
    assert ("facebook", "2738114406271185", 2, 0) in groups  # the dashboard's group download
    assert len(groups) > 100 and all(n == 0 for *_, n in groups)
    assert con.execute("SELECT count(community) FROM activities").fetchone() == (0,)


# -- recognising the format, and refusing others -------------------------------------------


def test_sniffing_recognises_both_shapes(ct_shares):
    for path in (ct_shares, HISTORICAL, GROUPS):
        assert detect_adapter(path).name == "crowdtangle"


def test_sniffing_does_not_claim_other_formats(shared_data):
    adapter = get_adapter("crowdtangle")
    others = [
        *sorted((shared_data / "coortweet").glob("*.csv.gz")),
        *sorted((shared_data / "ira-sample" / "tweets").glob("*.csv"))[:3],
        shared_data / "ira-sample" / "authors.csv",
        *sorted((shared_data / "meta-threat-research").glob("*.csv"))[:3],
    ]
    for path in others:
        assert not adapter.sniff(path, read_head(path)), path
    # Nor the other formats' fixtures.
    for path in sorted(p for p in FIXTURES.rglob("*") if p.is_file()):
        if not path.name.startswith("crowdtangle"):
            assert not adapter.sniff(path, read_head(path)), path
    for path in sorted((shared_data / "coortweet").glob("*.csv.gz")):
        assert detect_adapter(path).name == "coortweet"


def test_wrong_file_with_format_is_a_mismatch(store, shared_data, tmp_path):
    path = shared_data / "coortweet" / "russian_coord_tweets.csv.gz"
    with pytest.raises(FormatMismatch) as err:
        ingest_file(store, path, format="crowdtangle")
    assert "expected a CrowdTangle table" in str(err.value)
    assert "object_id" in err.value.found
    # A historical download without its URL and Message columns is not one either.
    partial = tmp_path / "partial.csv"
    partial.write_text("Page Name,Facebook Id,Post Created\nX,1,2021-01-01 00:00:00 EST\n")
    with pytest.raises(FormatMismatch) as err:
        ingest_file(store, partial, format="crowdtangle")
    assert "missing URL, Message, Link" in err.value.found
    assert store.manifests() == []
