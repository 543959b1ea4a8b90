"""Field normalisation shared by every adapter: times, URLs, domains, hashtags, mentions.

The work is done by SQL macros so that it runs vectorised inside DuckDB at ingest speed;
``canonical_url`` and ``url_domain`` are the same rules in Python (for adapters, the
simulator and tests), and property tests keep the two equal.

A link's domain is its host when that is a host name (:func:`valid_host`); a link cut off in
a text ("https://t.…"), a bare word or a number has none. Link shorteners (``SHORTENERS``)
are domains, but not the sites a link leads to: the figures that name those sites leave
them out (``unmask.operations``, ``unmask.signals.owned``).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

import duckdb

# The largest UTC offset of any time zone (Kiribati, +14:00; the smallest is -12:00). A time
# written with a larger one (+25:00) is no time anywhere: it cannot be read.
MAX_UTC_OFFSET = timedelta(hours=14)
_OFFSET_MINUTES = int(MAX_UTC_OFFSET.total_seconds()) // 60
_OFFSET_TEXT = f"±{_OFFSET_MINUTES // 60:02d}:{_OFFSET_MINUTES % 60:02d}"

# Query parameters that only track the click, never change what the link points to.
TRACKING_PARAMS = (
    "utm_[a-z0-9_]*",
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "igsh",
    "ref_src",
    "ref_url",
    "_ga",
    "_gl",
    "mkt_tok",
    "spm",
    "share_id",
    "cmpid",
    "ncid",
    "ocid",
    "__twitter_impression",
    "s_cid",
)
_TRACKING_RE = "^(" + "|".join(TRACKING_PARAMS) + ")$"
_TRACKING_PARAM = "&(?:" + "|".join(TRACKING_PARAMS) + ")(?:=[^&]*)?&"
_URL_RE = r"^([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#]*)([^?#]*)(?:\?([^#]*))?"
_HTTP_RE = r"^[Hh][Tt][Tt][Pp][Ss]?://"

# What is trimmed around a link, the same in SQL and Python (their own trims differ on
# Unicode spaces).
_URL_SPACE = " \t\r\n"
_url_re = re.compile(_URL_RE)
_http_re = re.compile(_HTTP_RE)
_tracking_re = re.compile(_TRACKING_RE)


def canonical_url(url: str | None) -> str | None:
    """The canonical form of a link, so that the same target matches however it was written.

    http(s) only: scheme and host lower-cased, a leading ``www.`` and the default port
    dropped, an empty path made ``/``, tracking parameters and the fragment removed, the
    order of the other parameters kept. Anything else is returned trimmed and unchanged.
    """
    if url is None:
        return None
    u = url.strip(_URL_SPACE)
    if not _http_re.match(u):
        return u
    m = _url_re.match(u)
    if m is None:  # pragma: no cover - the http prefix always matches the URL pattern
        return u
    scheme, authority, path, query = m.group(1), m.group(2), m.group(3), m.group(4) or ""
    scheme = scheme.lower()
    host = _canonical_host(scheme, authority.lower())
    kept = [
        p for p in query.split("&") if p != "" and not _tracking_re.match(p.split("=")[0].lower())
    ]
    return f"{scheme}://{host}{path or '/'}" + ("?" + "&".join(kept) if kept else "")


def _canonical_host(scheme: str, authority: str) -> str:
    host = re.sub(r"^www\.", "", authority)
    return re.sub(":80$" if scheme == "http" else ":443$", "", host)


# Link shorteners: hosts that redirect to any site, so that a link through them hides where
# it leads unless the export expanded it. A site's own short host (youtu.be for YouTube) is
# not one: its links lead to that site.
SHORTENERS = (
    "bit.ly",
    "t.co",
    "tinyurl.com",
    "goo.gl",
    "ow.ly",
    "buff.ly",
    "dlvr.it",
    "is.gd",
    "lnkd.in",
    "trib.al",
    "shorturl.at",
    "rb.gy",
    "cutt.ly",
    "tiny.cc",
    "bit.do",
    "t.ly",
    "fb.me",
    "wp.me",
    "ift.tt",
    "j.mp",
    "s.id",
    "v.gd",
    "rebrand.ly",
    "bl.ink",
    "shorte.st",
    "adf.ly",
    "linktr.ee",
)
_SHORTENER_SET = frozenset(SHORTENERS)


def is_shortener(domain: str | None) -> bool:
    """Whether a domain is a link shortener's (its links hide the site they lead to)."""
    return domain is not None and domain.lower() in _SHORTENER_SET


# A host name: labels of letters, marks and digits with hyphens inside, at least one dot,
# and a top-level label of letters or an IDNA ``xn--`` label (so no bare words, numbers or
# IP addresses). Lengths as in RFC 1035, counted in characters, are tested apart: counted
# repeats of Unicode classes make a pattern that RE2 takes 0.15 s to compile, at every query.
_LABEL = r"[\p{L}\p{M}\p{N}]+(?:-+[\p{L}\p{M}\p{N}]+)*"
_HOST_RE = rf"(?:{_LABEL}\.)+(?:\p{{L}}[\p{{L}}\p{{M}}]+|xn--[a-z0-9-]+)"
_HOST_MAX = 253
_LABEL_MAX = 63
_url_host_re = re.compile(r"^https?://(?:[^@/?#]*@)?([^/?#:]*)")
_xn_tld_re = re.compile(r"xn--[a-z0-9-]+")


def _label_char(c: str, *, digits: bool = True) -> bool:
    return unicodedata.category(c)[0] in ("LMN" if digits else "LM")


def _valid_label(label: str) -> bool:
    return (
        0 < len(label) <= _LABEL_MAX
        and _label_char(label[0])
        and _label_char(label[-1])
        and all(c == "-" or _label_char(c) for c in label)
    )


def _valid_tld(label: str) -> bool:
    if len(label) > _LABEL_MAX:
        return False
    if _xn_tld_re.fullmatch(label):
        return True
    return (
        len(label) >= 2
        and unicodedata.category(label[0])[0] == "L"
        and all(_label_char(c, digits=False) for c in label)
    )


def valid_host(host: str) -> bool:
    """Whether ``host`` is a host name (the rule of the SQL macro ``unmask__valid_host``)."""
    *labels, tld = host.split(".")
    return (
        len(host) <= _HOST_MAX
        and bool(labels)
        and all(_valid_label(x) for x in labels)
        and _valid_tld(tld)
    )


def url_domain(url: str | None) -> str | None:
    """The domain of a canonical http(s) link: its host without a trailing dot, or None
    when that is not a host name (the SQL macro ``unmask_url_domain``)."""
    m = _url_host_re.match(url or "")
    if m is None:
        return None
    host = m.group(1).removesuffix(".")
    return host if valid_host(host) else None


# Characters that end a URL written inside running text (CJK punctuation included).
_TEXT_URL = r"""https?://[^\s<>"''\x{3000}\x{3001}\x{3002}\x{FF0C}\x{FF09}\x{3011}\x{300D}]+"""

MACROS = rf"""
-- ``list_transform([x], lambda v: ...)[1]`` binds a value once: a macro argument is
-- substituted wherever it is used, so an expression used several times would be computed
-- several times per row.
-- An offset after a time of day beyond MAX_UTC_OFFSET (+25:00, -2400).
CREATE OR REPLACE MACRO unmask__bad_offset(v) AS list_transform(
    [regexp_extract(v, '[0-9][0-9:.]*\s*[+-]([0-9]{{2}}):?([0-9]{{2}})$', ['h', 'm'])], lambda o:
        coalesce(TRY_CAST(o.h AS INTEGER) * 60 + TRY_CAST(o.m AS INTEGER) > {_OFFSET_MINUTES}, false))[1];
CREATE OR REPLACE MACRO unmask_time(s) AS (
    CASE WHEN s IS NULL THEN NULL ELSE list_transform([trim(CAST(s AS VARCHAR))], lambda v:
        CASE
            WHEN v = '' THEN NULL
            WHEN unmask__bad_offset(v) THEN NULL
            WHEN regexp_full_match(v, '-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?') THEN
                list_transform([TRY_CAST(v AS DOUBLE)], lambda d:
                    CASE WHEN abs(d) >= 1e11
                         THEN make_timestamptz(TRY_CAST(d * 1000 AS BIGINT))
                         ELSE make_timestamptz(TRY_CAST(d * 1000000 AS BIGINT))
                    END)[1]
            ELSE coalesce(
                TRY_CAST(v AS TIMESTAMPTZ),
                try_strptime(v, '%a %b %d %H:%M:%S %z %Y'),
                CAST(try_strptime(v, '%m/%d/%Y %H:%M') AS TIMESTAMPTZ),
                CAST(try_strptime(v, '%m/%d/%Y %H:%M:%S') AS TIMESTAMPTZ),
                CAST(try_strptime(v, '%d/%m/%Y %H:%M') AS TIMESTAMPTZ)
            )
        END)[1]
    END
);
CREATE OR REPLACE MACRO unmask_time_error(s, field) AS (
    CASE WHEN s IS NOT NULL AND trim(CAST(s AS VARCHAR)) <> '' AND unmask_time(s) IS NULL
         THEN 'field ''' || field || ''': cannot read ''' || left(CAST(s AS VARCHAR), 80)
              || CASE WHEN unmask__bad_offset(trim(CAST(s AS VARCHAR)))
                      THEN ''' as a time: its UTC offset is beyond {_OFFSET_TEXT}, which no time zone has'
                      ELSE ''' as a time (expected unix seconds or milliseconds, or an ISO 8601 date-time)'
                 END
    END
);
CREATE OR REPLACE MACRO unmask_int(s) AS TRY_CAST(TRY_CAST(nullif(trim(CAST(s AS VARCHAR)), '') AS DOUBLE) AS BIGINT);
CREATE OR REPLACE MACRO unmask_int_error(s, field) AS (
    CASE WHEN s IS NOT NULL AND trim(CAST(s AS VARCHAR)) NOT IN ('', 'NA', 'null', 'None')
              AND unmask_int(s) IS NULL
         THEN 'field ''' || field || ''': cannot read ''' || left(CAST(s AS VARCHAR), 80) || ''' as a whole number'
    END
);
CREATE OR REPLACE MACRO unmask_bool(s) AS (
    CASE lower(trim(CAST(s AS VARCHAR)))
        WHEN 'true' THEN true WHEN 't' THEN true WHEN '1' THEN true WHEN 'yes' THEN true
        WHEN 'false' THEN false WHEN 'f' THEN false WHEN '0' THEN false WHEN 'no' THEN false
    END
);
CREATE OR REPLACE MACRO unmask_str(s) AS nullif(nullif(trim(CAST(s AS VARCHAR)), ''), 'NA');
-- Tracking parameters are cut with one global replace: separators are doubled first so that
-- each parameter is matched with an '&' on both sides, and the survivors are re-joined.
CREATE OR REPLACE MACRO unmask__query(q) AS (
    CASE WHEN q IS NULL OR q = '' THEN '' ELSE coalesce('?' || nullif(trim(regexp_replace(
        regexp_replace('&' || replace(q, '&', '&&') || '&', '{_TRACKING_PARAM}', '', 'gi'),
        '&+', '&', 'g'), '&'), ''), '') END
);
CREATE OR REPLACE MACRO unmask__host(scheme, host) AS (
    CASE WHEN scheme = 'http' AND suffix(host, ':80') THEN left(host, -3)
         WHEN scheme = 'https' AND suffix(host, ':443') THEN left(host, -4)
         ELSE host END
);
CREATE OR REPLACE MACRO unmask__nowww(authority) AS
    CASE WHEN starts_with(authority, 'www.') THEN substr(authority, 5) ELSE authority END;
CREATE OR REPLACE MACRO unmask__assemble(scheme, authority, path, query) AS
    scheme || '://' || unmask__host(scheme, unmask__nowww(authority))
    || CASE WHEN path = '' THEN '/' ELSE path END || unmask__query(query);
-- One pattern cuts the link into its parts (a struct), bound once by the lambda.
CREATE OR REPLACE MACRO unmask__canon(t) AS list_transform(
    [regexp_extract(t, '{_URL_RE}', ['scheme', 'authority', 'path', 'query'])],
    lambda p: unmask__assemble(lower(p.scheme), lower(p.authority), p.path, p.query))[1];
CREATE OR REPLACE MACRO unmask__trim(u) AS trim(u, ' ' || chr(9) || chr(13) || chr(10));
CREATE OR REPLACE MACRO unmask_canonical_url(u) AS (
    CASE WHEN u IS NULL THEN NULL
         ELSE list_transform([unmask__trim(u)], lambda t:
             CASE WHEN NOT regexp_matches(t, '{_HTTP_RE}') THEN t ELSE unmask__canon(t) END)[1]
    END
);
CREATE OR REPLACE MACRO unmask__valid_host(h) AS
    length(h) <= {_HOST_MAX} AND regexp_full_match(h, '{_HOST_RE}')
    AND list_max(list_transform(string_split(h, '.'), lambda x: length(x))) <= {_LABEL_MAX};
-- The host of a canonical link, without a trailing dot, when it is a host name; prefix and
-- dot are plain string tests, only the host itself needs a pattern.
CREATE OR REPLACE MACRO unmask_url_domain(u) AS (
    CASE WHEN starts_with(u, 'http://') OR starts_with(u, 'https://')
         THEN list_transform([regexp_extract(u, '^https?://(?:[^@/?#]*@)?([^/?#:]*)', 1)], lambda h:
             list_transform([CASE WHEN suffix(h, '.') THEN left(h, -1) ELSE h END], lambda d:
                 CASE WHEN unmask__valid_host(d) THEN d END)[1])[1]
    END
);
-- A link that holds an ellipsis was cut off (retweets cut at 140 characters end in
-- "https://t.…"): it leads nowhere and is dropped. Punctuation and closing quotes after a
-- link end the sentence, not the link.
CREATE OR REPLACE MACRO unmask_text_urls(t) AS
    list_transform(list_filter(regexp_extract_all(t, '{_TEXT_URL}'), lambda x: NOT contains(x, '…')),
        lambda x:
        -- Only links that end in punctuation need the pattern that strips it.
        CASE WHEN x[-1] IN ('.', ',', ';', ':', '!', '?', ')', ']', '}}', '»', '”', '’', '›')
             THEN regexp_replace(x, '[.,;:!?)\]}}»”’›]+$', '') ELSE x END);
-- Sorted and without repeats; lists of one (most) are so already. The list is bound once
-- by the lambda (DuckDB does not share a repeated subexpression inside CASE branches).
CREATE OR REPLACE MACRO unmask__sorted_set(l) AS list_transform([l], lambda v:
    CASE WHEN len(v) < 2 THEN v ELSE list_sort(list_distinct(v)) END)[1];
-- A hashtag starts at '#' (or the full-width '＃') that does not follow a letter, digit, '&'
-- or '/' (so URL fragments and HTML entities are not tags) and holds at least one letter.
-- The character before '#' is matched and then checked, which is several times faster in
-- RE2 than a negated-class prefix. That check is a pattern inside a lambda, which DuckDB
-- compiles for every element; it runs only on texts where some '#' follows anything but a
-- space or another '#'. "All digits" is a trim, not a pattern.
CREATE OR REPLACE MACRO unmask__tags_after_ok(l) AS list_transform([l], lambda v:
    CASE WHEN list_bool_and(list_transform(v, lambda x: x[1] IN ('#', '＃', ' '))) THEN v
         ELSE list_filter(v, lambda x: x[1] IN ('#', '＃') OR NOT regexp_matches(x[1], '[\p{{L}}\p{{N}}_&/]'))
    END)[1];
-- A tag that does not start with an ASCII digit is not all digits: only lists with one
-- that does are filtered.
CREATE OR REPLACE MACRO unmask__not_all_digits(l) AS list_transform([l], lambda v:
    CASE WHEN list_bool_and(list_transform(v, lambda x: NOT (x[1] BETWEEN '0' AND '9'))) THEN v
         ELSE list_filter(v, lambda x: ltrim(x, '0123456789') <> '') END)[1];
CREATE OR REPLACE MACRO unmask__text_hashtags_any(t) AS
    unmask__sorted_set(unmask__not_all_digits(list_transform(
        unmask__tags_after_ok(regexp_extract_all(t, '.?[#＃][\p{{L}}\p{{N}}_]+')),
        lambda x: lower(ltrim(CASE WHEN x[1] IN ('#', '＃') THEN x ELSE substr(x, 2) END, '#＃')))));
-- Most texts write a tag as '#' at the start or after a space, and have no '＃': then no
-- character before a '#' can disqualify it, and the pattern can start at the '#' itself,
-- which RE2 finds by searching for that byte (twice as fast as a pattern that starts with
-- any character). Other texts take the general rule above. ``t`` is read several times.
CREATE OR REPLACE MACRO unmask_text_hashtags(t) AS CASE
    WHEN contains(t, '＃') OR contains(replace(CASE WHEN starts_with(t, '#') THEN substr(t, 2)
                                                    ELSE t END, ' #', ' '), '#')
        THEN unmask__text_hashtags_any(t)
    ELSE unmask__sorted_set(unmask__not_all_digits(list_transform(
        regexp_extract_all(t, '#[\p{{L}}\p{{N}}_]+'), lambda x: lower(substr(x, 2)))))
END;
CREATE OR REPLACE MACRO unmask_text_mentions(t) AS
    unmask__sorted_set(list_transform(
        regexp_extract_all(t, '(?:^|[^A-Za-z0-9_@./])@([A-Za-z0-9_]{{1,30}})', 1), lambda x: lower(x)));
CREATE OR REPLACE MACRO unmask_split(s, sep) AS (
    CASE WHEN unmask_str(s) IS NULL THEN NULL
         ELSE list_filter(
             list_transform(
                 string_split_regex(regexp_replace(trim(CAST(s AS VARCHAR)), '^\[|\]$', '', 'g'), sep),
                 lambda x: trim(x, chr(39) || chr(34) || ' ')),
             lambda x: x <> '')
    END
);
CREATE OR REPLACE MACRO unmask_clean_tags(l) AS
    list_sort(list_distinct(list_filter(list_transform(l, lambda x: lower(ltrim(trim(x), '#＃@'))),
                                        lambda x: x <> '')));
"""


def _platform_macro() -> str:
    from unmask.schema import PLATFORM_ALIASES

    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in PLATFORM_ALIASES.items())
    return (
        "CREATE OR REPLACE MACRO unmask_platform(p) AS "
        f"CASE lower(trim(p)) {whens} ELSE lower(trim(p)) END;"
    )


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Define unmask's normalisation macros on a connection (idempotent)."""
    con.execute(MACROS + _platform_macro())
