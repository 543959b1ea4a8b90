"""URL canonicalisation, times and text extraction: the SQL macros and the Python rule agree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unmask.engine.duckdb import connect
from unmask.ingest.normalise import canonical_url, install_macros, url_domain


@pytest.fixture(scope="module")
def con():
    c = connect()
    install_macros(c)
    yield c
    c.close()


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTP://WWW.Example.com:80?utm_source=x&a=1#frag", "http://example.com/?a=1"),
        ("https://x.com:443/a/b?fbclid=1", "https://x.com/a/b"),
        ("https://x.com:8443/a?b=2&utm_campaign=z&c=3", "https://x.com:8443/a?b=2&c=3"),
        ("https://news.site/Path/Keeps/Case/", "https://news.site/Path/Keeps/Case/"),
        ("  https://www.nytimes.com  ", "https://nytimes.com/"),
        ("ftp://files.example", "ftp://files.example"),
        ("coortweet:url:123", "coortweet:url:123"),
    ],
)
def test_canonical_url_examples(con, url, canonical):
    assert canonical_url(url) == canonical
    assert con.execute("SELECT unmask_canonical_url(?)", [url]).fetchone()[0] == canonical


url_part = st.text(alphabet="abcXYZ019-._~%/=&?#:@+", max_size=12)
urls = st.builds(
    lambda scheme, www, host, port, path, query, frag: (
        f"{scheme}://{www}{host}{port}{path}{query}{frag}"
    ),
    st.sampled_from(["http", "https", "HTTP", "Https"]),
    st.sampled_from(["", "www.", "WWW."]),
    st.from_regex(r"[a-zA-Z0-9-]{1,10}(\.[a-zA-Z]{2,5}){1,2}", fullmatch=True),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.one_of(st.just(""), url_part.map(lambda p: "/" + p.replace("?", "").replace("#", ""))),
    st.one_of(
        st.just(""),
        st.lists(
            st.tuples(
                st.sampled_from(["utm_source", "UTM_Medium", "fbclid", "id", "q", "s"]), url_part
            ),
            max_size=4,
        ).map(
            lambda kv: "?" + "&".join(f"{k}={v.replace('&', '').replace('#', '')}" for k, v in kv)
        ),
    ),
    st.one_of(st.just(""), url_part.map(lambda f: "#" + f)),
)


@settings(max_examples=300, deadline=None)
@given(url=st.one_of(urls, st.text(max_size=40)))
def test_sql_and_python_canonical_urls_agree(con, url):
    assert con.execute("SELECT unmask_canonical_url(?)", [url]).fetchone()[0] == canonical_url(url)


@settings(max_examples=100, deadline=None)
@given(url=urls)
def test_canonical_url_is_idempotent_and_drops_tracking(url):
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert "utm_" not in once.lower() and "fbclid" not in once and "#" not in once


@pytest.mark.parametrize(
    ("text", "epoch"),
    [
        ("1623881091.0", 1623881091),
        ("1623881091000", 1623881091),
        ("2017-01-13 21:41:10", 1484343670),
        ("2021-08-22T00:10:11+02:00", 1629583811),
        ("Wed Oct 10 20:19:24 +0000 2018", 1539202764),
        ("10/1/2017 19:58", 1506887880),
    ],
)
def test_times_in_the_formats_exports_use(con, text, epoch):
    assert con.execute("SELECT epoch(unmask_time(?))", [text]).fetchone()[0] == epoch
    assert con.execute("SELECT unmask_time_error(?, 't')", [text]).fetchone()[0] is None


@pytest.mark.parametrize("text", ["soon", "2021-13-45 10:00", "1e400"])
def test_unreadable_times_say_why(con, text):
    assert con.execute("SELECT unmask_time(?)", [text]).fetchone()[0] is None
    assert "cannot read" in con.execute("SELECT unmask_time_error(?, 't')", [text]).fetchone()[0]


def test_text_extraction_handles_cjk_and_emails(con):
    tags, mentions, links = con.execute(
        "SELECT unmask_text_hashtags(?), unmask_text_mentions(?), unmask_text_urls(?)",
        [
            "Hi #Trump #中国 x#no ＃日本語 #123 a@b.com @Bob_1 see https://a.com/x. and http://b.org/y)。"
        ]
        * 3,
    ).fetchone()
    assert tags == ["trump", "中国", "日本語"]
    assert mentions == ["bob_1"]
    assert links == ["https://a.com/x", "http://b.org/y"]


# Texts dense in what the hashtag rule decides on: marks, spaces and other characters
# before them, letters, digits, URL and entity characters.
tag_texts = st.text(alphabet="#＃ aZé中1_&/.\n-@", max_size=30)


@settings(max_examples=400, deadline=None)
@given(text=tag_texts)
def test_hashtags_fast_rule_agrees_with_the_general_one(con, text):
    fast, general = con.execute(
        "SELECT unmask_text_hashtags(?), unmask__text_hashtags_any(?)", [text, text]
    ).fetchone()
    assert fast == general


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://news.example.org/a", "news.example.org"),
        ("https://www.Example.COM:8080/a", "example.com"),
        ("http://user@host.co.uk./x", "host.co.uk"),
        ("http://голос.дети/", "голос.дети"),
        ("https://xn--80ahcnbhv.xn--d1acj3b/", "xn--80ahcnbhv.xn--d1acj3b"),
        ("https://भारत.भारत/", "भारत.भारत"),
        ("https://a-b.io/", "a-b.io"),
        # links cut off in the text, bare words and numbers are not host names
        ("https://t.…", None),
        ("https://t…", None),
        ("https://…", None),
        ("https://t.c…/", None),
        ("http://ift.…", None),
        ("http://yo", None),
        ("https://de/", None),
        ("http://211362195/", None),
        ("http://1.2.3.4/", None),
        ("http://голос.дети»", None),
        ("https://-a.com/", None),
        ("https://a..com/", None),
        ("https://a.c/", None),
        ("https://a.co1/", None),
        ("https://" + "a" * 64 + ".com/", None),
        ("coortweet:url:123", None),
    ],
)
def test_a_domain_is_a_valid_host_name(con, url, domain):
    assert url_domain(canonical_url(url)) == domain
    sql = "SELECT unmask_url_domain(unmask_canonical_url(?))"
    assert con.execute(sql, [url]).fetchone()[0] == domain


# Hosts dense in what the host rule decides on: ASCII, Cyrillic, Devanagari (with its
# marks), CJK, digits, a superscript digit, hyphens, dots, quotes and an ellipsis.
host_chars = "ab0-.xn-дети中भा²»…'"


@settings(max_examples=400, deadline=None)
@given(host=st.text(alphabet=host_chars, max_size=20))
def test_sql_and_python_domains_agree(con, host):
    url = f"https://{host}/p"
    sql = "SELECT unmask_url_domain(unmask_canonical_url(?))"
    assert con.execute(sql, [url]).fetchone()[0] == url_domain(canonical_url(url))


def test_text_links_cut_off_by_an_ellipsis_are_dropped(con):
    text = "RT @a: read https://t.co/abc… and «http://голос.дети» or https://t.… https://…"
    links = con.execute("SELECT unmask_text_urls(?)", [text]).fetchone()[0]
    assert links == ["http://голос.дети"]
