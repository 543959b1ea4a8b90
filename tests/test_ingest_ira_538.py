"""FiveThirtyEight's IRA tweets, in the by-author reshaping (the real sample under
``shared/data/ira-sample``) and in the original layout.

Formats: https://github.com/fivethirtyeight/russian-troll-tweets (README, column
definitions) and https://github.com/bet4a/russian-troll-tweets-by-author (its README is
``ira-sample/UPSTREAM_README.md``).

``fixtures/ira_538_original.csv`` is in the original layout: rows 1-11 are real rows of
``IRAhandle_tweets_1.csv`` (account 10_GOP, 1 October 2017, CC BY 4.0, FiveThirtyEight and
Clemson University); row 12 repeats row 2; rows 13-22 are made up (account
EXAMPLE_TROLL_RU): two without ``tweet_id`` that repeat each other (rows 15-16), and five
broken records (rows 17-21).
"""

from __future__ import annotations

import csv
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from unmask.ingest import ingest_file
from unmask.ingest.base import FormatMismatch
from unmask.ingest.formats.ira_538 import LANGUAGES
from unmask.ingest.registry import adapters, detect_adapter, read_head
from unmask.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
ORIGINAL = FIXTURES / "ira_538_original.csv"


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _made_id(author_id: str, publish_date: str, content: str) -> str:
    minute = datetime.strptime(publish_date, "%Y-%m-%d %H:%M:%S").strftime("%Y-%m-%d %H:%M")
    key = f"{author_id.lower()}|{minute}|{content}"
    return "ira538:" + hashlib.sha256(key.encode()).hexdigest()[:24]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = Path(__file__).resolve().parents[2] / "shared" / "data" / "ira-sample"
    if not root.exists():
        pytest.fail(f"the shared real data is missing at {root}")
    store = Store(tmp_path_factory.mktemp("ira") / "store", create=True)
    manifests = {"authors.csv": ingest_file(store, root / "authors.csv").manifest}
    for path in sorted((root / "tweets").glob("*.csv")):
        manifests[path.name] = ingest_file(store, path).manifest
    return root, store, manifests


def test_sample_counts_reconcile(sample):
    root, store, manifests = sample
    assert {m.adapter for m in manifests.values()} == {"ira_538"}
    assert all(m.reconciles and m.rows_quarantined == 0 for m in manifests.values())
    rows = [r for p in sorted((root / "tweets").glob("*.csv")) for r in _read(p)]
    assert len(rows) == 13_366
    tweets = {n: m for n, m in manifests.items() if n != "authors.csv"}
    assert sum(m.rows_read for m in tweets.values()) == len(rows)
    assert sum(m.rows_stored + m.rows_merged + m.rows_duplicate for m in tweets.values()) == len(
        rows
    )
    con = store.connect()
    # Rows that repeat a tweet (same author, minute and text) are one activity.
    distinct = {(r["author_id"], r["publish_date"], r["content"]) for r in rows}
    assert con.execute("SELECT count(*) FROM activities").fetchone()[0] == len(distinct)
    assert len(distinct) == 13_318
    per_author = dict(
        con.execute("SELECT account_id, count(*) FROM activities GROUP BY 1").fetchall()
    )
    for p in (root / "tweets").glob("*.csv"):
        keys = {(r["publish_date"], r["content"]) for r in _read(p)}
        assert per_author[p.stem.lower()] == len(keys), p.name
    kinds = dict(con.execute("SELECT kind, count(*) FROM activities GROUP BY 1").fetchall())
    expected: dict[str, set] = {"post": set(), "share": set(), "quote": set()}
    for r in rows:
        kind = {"R": "share", "Q": "quote", "": "post"}[r["post_type"]]
        expected[kind].add((r["author_id"], r["publish_date"], r["content"]))
    assert kinds == {k: len(v) for k, v in expected.items()}


def test_sample_rows_checked_by_hand(sample):
    root, store, _ = sample
    con = store.connect()
    first = _read(root / "tweets" / "ACAB_ZONE.csv")[0]
    got = con.execute(
        "SELECT activity_id, account_id, time, kind, language, hashtags, urls, source_row "
        "FROM activities WHERE text = ?",
        [first["content"]],
    ).fetchone()
    assert got == (
        _made_id("ACAB_ZONE", "2015-12-04 22:59:00", first["content"]),
        "acab_zone",
        datetime(2015, 12, 4, 22, 59, tzinfo=UTC),
        "post",
        "en",
        ["blacklivesmatter", "justiceformariowoods", "mariowoods", "policebrutality"],
        ["https://t.co/xJUP5ADjIN"],
        1,
    )
    # Row 3 of ACAB_ZONE: Twitter said "Vietnamese" (wrongly, but that is the data).
    assert con.execute(
        "SELECT language FROM activities WHERE text = 'ACAB Girls https://t.co/QnWHJGQMf3'"
    ).fetchone() == ("vi",)
    # Row 129 of ACAB_ZONE is a retweet (post_type R).
    r129 = _read(root / "tweets" / "ACAB_ZONE.csv")[128]
    assert r129["post_type"] == "R"
    assert con.execute(
        "SELECT kind, time, source_row FROM activities WHERE activity_id = ?",
        [_made_id("ACAB_ZONE", r129["publish_date"], r129["content"])],
    ).fetchone() == ("share", datetime(2016, 1, 17, 20, 43, tzinfo=UTC), 129)
    # A Russian-language account
    n1 = _read(root / "tweets" / "milena_NIHAO.csv")[0]
    assert con.execute(
        "SELECT account_id, language, kind FROM activities WHERE activity_id = ?",
        [_made_id("milena_NIHAO", n1["publish_date"], n1["content"])],
    ).fetchone() == ("milena_nihao", "ru", "share")


def test_sample_accounts(sample):
    root, store, _ = sample
    con = store.connect()
    authors = _read(root / "authors.csv")
    got = dict(con.execute("SELECT account_id, handle FROM accounts").fetchall())
    assert got == {a["author_id"].lower(): a["author"] for a in authors}
    # Counts as of the newest harvest of the account's tweets.
    rows = _read(root / "tweets" / "ACAB_ZONE.csv")
    newest = max(enumerate(rows), key=lambda ir: (ir[1]["harvested_date"], ir[0]))[1]
    assert con.execute(
        "SELECT followers, following, location, observed_at FROM accounts "
        "WHERE account_id = 'acab_zone'"
    ).fetchone() == (
        int(newest["followers"]),
        int(newest["following"]),
        "United States",
        datetime.strptime(newest["harvested_date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC),
    )
    # region "Unknown" is no location
    unknown = {
        p.stem.lower()
        for p in (root / "tweets").glob("*.csv")
        if {r["region"] for r in _read(p)} == {"Unknown"}
    }
    if unknown:
        placeholders = ", ".join("?" for _ in unknown)
        assert con.execute(
            f"SELECT count(*) FROM accounts WHERE account_id IN ({placeholders}) "
            "AND location IS NOT NULL",
            sorted(unknown),
        ).fetchone() == (0,)


def test_sample_languages_mapped(sample):
    root, store, _ = sample
    con = store.connect()
    expected: dict[str, set] = {}
    for p in (root / "tweets").glob("*.csv"):
        for r in _read(p):
            if r["language"] == "LANGUAGE UNDEFINED":
                continue
            code = LANGUAGES[r["language"].lower()]  # every name of the sample is known
            expected.setdefault(code, set()).add((r["author_id"], r["publish_date"], r["content"]))
    got = dict(
        con.execute(
            "SELECT language, count(*) FROM activities WHERE language IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    for code, keys in expected.items():
        # the one LANGUAGE UNDEFINED tweet gets a detected language, maybe one of these
        assert got[code] - len(keys) in (0, 1), code
    assert set(got) <= set(LANGUAGES.values())


def test_made_ids_make_reingesting_idempotent(sample, tmp_path):
    root, store, _ = sample
    # The same rows written another way (columns reordered, every field quoted): the file
    # is new, its tweets are not.
    rows = _read(root / "tweets" / "ACAB_ZONE.csv")
    copy = tmp_path / "acab_again.csv"
    with open(copy, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=sorted(rows[0]), quoting=csv.QUOTE_ALL)
        w.writeheader()
        w.writerows(rows)
    before = store.connect().execute("SELECT count(*) FROM activities").fetchone()[0]
    m = ingest_file(store, copy).manifest
    assert m.rows_read == 279 and m.rows_duplicate == m.rows_read and m.rows_stored == 0
    assert store.connect().execute("SELECT count(*) FROM activities").fetchone()[0] == before
    store.remove_batch(m.file_id)


def test_original_layout(store):
    m = ingest_file(store, ORIGINAL).manifest
    assert m.adapter == "ira_538"
    assert (m.rows_read, m.rows_quarantined) == (22, 5)
    assert m.reconciles
    con = store.connect()
    rows = _read(ORIGINAL)
    # The real rows 1-11 are stored under their tweet_id, as written.
    for r in rows[:11]:
        when = datetime.strptime(r["publish_date"], "%m/%d/%Y %H:%M").replace(tzinfo=UTC)
        kind = {"": "post", "RETWEET": "share"}[r["post_type"]]
        urls = [u for u in (r["tco1_step1"], r["tco2_step1"], r["tco3_step1"]) if u]
        got = con.execute(
            "SELECT account_id, time, kind, text, language, urls_original FROM activities "
            "WHERE activity_id = ?",
            [r["tweet_id"]],
        ).fetchone()
        assert got == ("10_gop", when, kind, r["content"], "en", urls or []), r["tweet_id"]
    # Row 12 repeats row 2; rows 15-16 (no tweet_id) repeat each other.
    assert con.execute("SELECT count(*) FROM activities").fetchone()[0] == 15
    made = con.execute(
        "SELECT activity_id, kind, language FROM activities WHERE activity_id LIKE 'ira538:%'"
    ).fetchall()
    key = "example_troll_ru|2016-03-14 10:02|Хорошая статья, рекомендую"
    # a blank post_type with retweet 1 is a share; "Farsi (Persian)" is fa
    assert made == [("ira538:" + hashlib.sha256(key.encode()).hexdigest()[:24], "share", "fa")]
    quote = con.execute(
        "SELECT kind, urls, domains FROM activities WHERE activity_id = '709543210987654321'"
    ).fetchone()
    assert quote[0] == "quote"
    assert sorted(quote[1]) == [
        "https://ria.ru/20160314/1389123456.html",
        "https://twitter.com/rian_ru/status/709540000000000000",
    ]
    assert sorted(quote[2]) == ["ria.ru", "twitter.com"]
    accounts = con.execute(
        "SELECT account_id, handle, followers, following, location FROM accounts ORDER BY 1"
    ).fetchall()
    assert accounts == [
        ("10_gop", "10_GOP", 9642, 1062, None),  # harvested last at 10/1/2017 23:52
        ("example_troll_ru", "EXAMPLE_TROLL_RU", 1835, 246, "Russian Federation"),
    ]


def test_original_layout_quarantine(store):
    ingest_file(store, ORIGINAL)
    q = store.connect().execute("SELECT row, line, field, reason FROM quarantine ORDER BY row")
    got = {r[0]: r[1:] for r in q.fetchall()}
    assert sorted(got) == [17, 18, 19, 20, 21]
    assert got[17][1] == "publish_date" and "'13/45/2016 99:99'" in got[17][2]
    assert got[18][1] == "followers" and "'n/a'" in got[18][2]
    assert got[19][1] == "post_type" and "'REPLY'" in got[19][2]
    assert got[20][1] == "account_id"
    assert got[21][0] == 22 and "6 fields where the header has 21" in got[21][2]


def test_sniffing(shared_data):
    root = shared_data / "ira-sample"
    for path in (ORIGINAL, root / "authors.csv", *sorted((root / "tweets").glob("*.csv"))[:3]):
        assert detect_adapter(path).name == "ira_538", path
    adapter = adapters()["ira_538"]
    others = [
        shared_data / "coortweet" / "russian_coord_tweets.csv.gz",
        shared_data / "coortweet" / "german_elections.csv.gz",
        shared_data / "crowdtangle" / "ct_shares.csv",
        *sorted((shared_data / "meta-threat-research").glob("*.csv"))[:3],
        *sorted(p for p in FIXTURES.rglob("*") if p.is_file() and not p.name.startswith("ira_538")),
    ]
    for path in others:
        assert not adapter.sniff(path, read_head(path)), path


def test_wrong_file_is_a_format_mismatch(store, shared_data):
    for path in (
        shared_data / "coortweet" / "german_elections.csv.gz",
        FIXTURES / "twitter_io_tweets.csv",
    ):
        with pytest.raises(FormatMismatch) as exc:
            ingest_file(store, path, format="ira_538")
        msg = str(exc.value)
        assert "FiveThirtyEight" in msg and "external_author_id" in msg and "found columns" in msg
    assert store.manifests() == []


def test_sample_links_cut_off_in_the_text_give_no_domain(sample):
    """Retweets that Twitter cut at 140 characters end in a link cut off by "…" ("https://t.…"
    in rows 443 of OliviaDWarren and 458, 478 of CliftonHughes_): the link is not a link and
    its host is not a domain. Every domain left is a valid host name."""
    root, store, _ = sample
    con = store.connect()
    cut = {("OliviaDWarren.csv", 443), ("CliftonHughes_.csv", 458), ("CliftonHughes_.csv", 478)}
    for name, row in cut:
        text = _read(root / "tweets" / name)[row - 1]["content"]
        assert text.endswith("…")
        assert con.execute(
            "SELECT urls, urls_original, domains FROM activities WHERE text = ?", [text]
        ).fetchone() == ([], [], [])
    domains = dict(
        con.execute(
            "SELECT d, count(*) FROM activities, unnest(domains) AS x(d) GROUP BY d"
        ).fetchall()
    )
    # 9,423 before: five posts' only t.co links were cut off too ("https://t.co/haxb…").
    assert domains == {"t.co": 9418, "tinyurl.com": 2, "linkz.mobi": 1}
    assert con.execute(
        "SELECT count(*) FROM activities, unnest(urls_original) AS x(u) WHERE contains(u, '…')"
    ).fetchone() == (0,)
