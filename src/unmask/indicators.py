"""Published indicators read into typed assets: refanging, and profile URLs to accounts.

Threat reports *defang* what they publish so that nobody clicks it by accident
(``hxxps://twitter[.]com/x``, ``info[at]site[.]com``); :func:`refang` undoes it. A profile
link names an account on a platform: :func:`profile` knows the URL shapes of the platforms
operations use (X/Twitter, Facebook, Instagram, Threads, Telegram, YouTube, TikTok, Medium,
Reddit, VK, Pinterest, Tumblr, LiveJournal, Blogspot, WordPress, and a dozen forums and
blog hosts); other links stay links. :func:`parse` turns one indicator cell into assets
of the kinds listed in ``unmask.catalogue``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from unmask.errors import InputError
from unmask.ingest.normalise import canonical_url


class IndicatorError(InputError, ValueError):
    """An indicator that looks like a link or address but cannot be read as one."""


_DEFANG = (
    (re.compile(r"^hxxp", re.IGNORECASE), "http"),
    (re.compile(r"\[\s*\.\s*\]|\(\s*\.\s*\)|\{\s*\.\s*\}|\[dot\]", re.IGNORECASE), "."),
    (re.compile(r"\[\s*:\s*\]"), ":"),
    (re.compile(r"\[\s*/\s*\]"), "/"),
    (re.compile(r"\[\s*(?:at|@)\s*\]|\(at\)", re.IGNORECASE), "@"),
)
_COUNT_RE = re.compile(r"^(\d[\d,. ]*)\s+([^\d].*)$")
_IP_RE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_EMAIL_RE = re.compile(r"^[^@\s,;]+@([a-z0-9-]+(?:\.[a-z0-9-]+)+)$", re.IGNORECASE)
_HOST_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$")
# A cell that starts like a link: a scheme, or a host followed by a path.
_URLISH_RE = re.compile(r"^(?:https?://|www\.|(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?/)", re.IGNORECASE)

# Platform hosts, and the first path segments on them that are not accounts.
_X = {"twitter.com", "x.com", "mobile.twitter.com"}
_FACEBOOK = {
    "facebook.com",
    "fb.com",
    "m.facebook.com",
    "web.facebook.com",
    "business.facebook.com",
}
_NOT_HANDLES = {
    "x": {"i", "intent", "hashtag", "search", "home", "share", "explore", "status"},
    "facebook": {
        "watch",
        "story.php",
        "permalink.php",
        "photo.php",
        "photo",
        "share",
        "sharer.php",
        "events",
        "hashtag",
        "reel",
        "video.php",
        "plugins",
    },
    "instagram": {"p", "reel", "reels", "explore", "stories", "tv"},
}
# Sites whose first path segment (or the segment after a marker) is a user.
_SIMPLE_USER_SITES = {
    "vk.com": "vk",
    "ok.ru": "ok",
    "vimeo.com": "vimeo",
    "linktr.ee": "linktree",
    "soundcloud.com": "soundcloud",
    "github.com": "github",
    "tumblr.com": "tumblr",
    "cont.ws": "contws",
    "dzen.ru": "dzen",
    "nairaland.com": "nairaland",
    "gab.com": "gab",
    "gettr.com": "gettr",
    "truthsocial.com": "truthsocial",
    "bitchute.com": "bitchute",
    "rumble.com": "rumble",
}
_MARKED_USER_SITES = {
    # host: (platform, the segment before the user)
    "quora.com": ("quora", "profile"),
    "9gag.com": ("9gag", "u"),
    "wattpad.com": ("wattpad", "user"),
    "disqus.com": ("disqus", "by"),
    "flickr.com": ("flickr", "photos"),
    "pixiv.net": ("pixiv", "users"),
    "scoop.it": ("scoopit", "topic"),
    "ok.ru": ("ok", "profile"),
}
_AT_SITES = {"steemit.com": "steemit", "cont.ws": "contws", "threads.net": "threads"}
# Blog hosts whose accounts are subdomains.
_SUBDOMAIN_SITES = {
    "medium.com": "medium",
    "blogspot.com": "blog",
    "wordpress.com": "blog",
    "livejournal.com": "livejournal",
    "tumblr.com": "tumblr",
    "livedoor.blog": "blog",
    "skyrock.com": "blog",
    "substack.com": "substack",
    "quora.com": "quora",
}
# Procedures (Meta's kill chain) whose indicators are the operation's own web sites.
_DOMAIN_PROCEDURES = ("0.6", "0.4.1")
# Procedures whose indicators are the operation's own texts (titles, posts, slogans).
_CONTENT_PROCEDURES = ("6.1", "5.")


def refang(text: str) -> str:
    """Undo the usual defanging (``hxxp``, ``[.]``, ``(.)``, ``[:]``, ``[at]``)."""
    out = text.strip()
    for pattern, repl in _DEFANG:
        out = pattern.sub(repl, out)
    return out


def host_of(url: str) -> str:
    """The host of a link, lower case, without ``www.``, ``m.`` or a port."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = (parts.hostname or "").lower().rstrip(".")
    return re.sub(r"^(?:www\d?|m|mobile)\.", "", host)


def profile(url: str) -> dict[str, str] | None:
    """The account a profile link names, as ``{platform, kind, value}`` (``kind`` is
    ``handle``, ``account`` (an id) or ``community``), or None for any other link."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = host_of(url)
    segs = [unquote(s) for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    first = segs[0] if segs else ""

    def acct(platform: str, value: str, kind: str = "handle") -> dict[str, str] | None:
        value = value.strip().lstrip("@").lower()
        return {"platform": platform, "kind": kind, "value": value} if value else None

    if host in _X:
        return acct("x", first) if first and first.lower() not in _NOT_HANDLES["x"] else None
    if host in _FACEBOOK:
        if first == "profile.php" and query.get("id"):
            return acct("facebook", query["id"][0], "account")
        if first in ("groups", "group") and len(segs) > 1:
            return acct("facebook", segs[1], "account" if segs[1].isdigit() else "community")
        if first in ("people", "pages", "pg") and len(segs) > 1:
            if len(segs) > 2 and segs[2].isdigit():
                return acct("facebook", segs[2], "account")
            return acct("facebook", segs[1])
        if first and first.lower() not in _NOT_HANDLES["facebook"]:
            return acct("facebook", first, "account" if first.isdigit() else "handle")
        return None
    if host == "instagram.com":
        ok = first and first.lower() not in _NOT_HANDLES["instagram"]
        return acct("instagram", first) if ok else None
    if host in ("t.me", "telegram.me", "telegram.dog"):
        if first == "s" and len(segs) > 1:
            return acct("telegram", segs[1])
        if first in ("joinchat", "addstickers", "share") or first.startswith("+"):
            return None
        return acct("telegram", first) if first else None
    if host in ("youtube.com", "youtube-nocookie.com"):
        if first.startswith("@"):
            return acct("youtube", first)
        if first == "channel" and len(segs) > 1:
            return acct("youtube", segs[1], "account")
        if first in ("c", "user") and len(segs) > 1:
            return acct("youtube", segs[1])
        return None
    if host == "tiktok.com":
        return acct("tiktok", first) if first.startswith("@") else None
    if host == "reddit.com" or host == "old.reddit.com":
        if first in ("user", "u") and len(segs) > 1:
            return acct("reddit", segs[1])
        if first == "r" and len(segs) > 1:
            return acct("reddit", segs[1], "community")
        return None
    if host == "medium.com":
        return acct("medium", first) if first.startswith("@") else None
    if re.fullmatch(r"(?:[a-z]{2}\.)?pinterest\.[a-z.]+", host) or host == "pinterest.com":
        return acct("pinterest", first) if first and first != "pin" else None
    for site, (platform, marker) in _MARKED_USER_SITES.items():
        if host == site:
            if first == marker and len(segs) > 1:
                return acct(platform, segs[1])
            break
    for site, platform in _AT_SITES.items():
        if host == site and first.startswith("@"):
            return acct(platform, first)
    if host in _SIMPLE_USER_SITES and first:
        return acct(_SIMPLE_USER_SITES[host], first)
    for site, platform in _SUBDOMAIN_SITES.items():
        if host.endswith("." + site):
            sub = host[: -len(site) - 1]
            if "." not in sub:
                # Blog hosts without handles of their own are known by the whole host.
                return acct(platform, sub if platform not in ("blog",) else host)
    return None


def parse(
    raw: str, *, procedure: str | None = None, kind_hint: str | None = None
) -> list[dict[str, Any]]:
    """One indicator cell as assets (``kind``, ``platform``, ``value``, ``display``).

    ``procedure`` (the kill-chain tag of the row) and ``kind_hint`` (the 2022 files'
    ``indicator_type``) say what a bare value is: a domain under "Acquiring domains" is the
    operation's own site. Raises :class:`IndicatorError` for a cell that starts like a link
    or an address but cannot be read as one."""
    display = " ".join(raw.split())
    text = refang(display)
    if not text:
        return []
    m = _COUNT_RE.match(text)
    if m and not _URLISH_RE.match(text):
        platform = _platform_of_procedure(procedure)
        number = re.sub(r"[^\d]", "", m.group(1))
        return [
            {
                "kind": "count",
                "platform": platform,
                "value": number,
                "display": display,
                "item": f"{number} {m.group(2).strip().lower()}",
            }
        ]
    # The first word, without the punctuation that lists put after it.
    token = text.split(" ", 1)[0].rstrip(",;")
    if _IP_RE.match(token):
        return [{"kind": "ip", "value": token, "display": display}]
    own_site = kind_hint == "domain_name" or (
        procedure is not None and procedure.startswith(_DOMAIN_PROCEDURES)
    )
    if _URLISH_RE.match(token):
        return _link(token, display, own_site)
    email = _EMAIL_RE.match(token)
    if email:
        domain = email.group(1).lower()
        return [
            {"kind": "email", "value": token.lower(), "display": display},
            {"kind": "domain", "value": _strip_www(domain), "display": display},
        ]
    bare = token.lower().rstrip("./")
    if " " not in text and _HOST_RE.match(bare):
        # A bare host: a blog or space on a platform (``name.medium.com``), or a web site.
        if profile("http://" + bare) is not None:
            return _link(bare, display, own_site=False)
        if own_site or kind_hint in (None, "domain_name"):
            return [{"kind": "domain", "value": _strip_www(bare), "display": display}]
    if text.lower().startswith(("http:", "https:")):
        raise IndicatorError(f"a link without a host: {display!r}")
    if re.fullmatch(r"[#＃][^\s#＃]+", text):
        return [{"kind": "hashtag", "value": text[1:].lower(), "display": display}]
    if procedure is not None and procedure.startswith(_CONTENT_PROCEDURES):
        # Under "posting content" procedures the indicators are the posts' titles or texts.
        return [{"kind": "text", "value": display, "display": display}]
    return [{"kind": "note", "value": display, "display": display}]


def _link(token: str, display: str, own_site: bool) -> list[dict[str, Any]]:
    url = token if "://" in token else "https://" + token
    host = host_of(url)
    if not host or not _HOST_RE.match(host):
        raise IndicatorError(f"cannot read the host of the link {display!r}")
    parts = urlsplit(url)
    has_path = bool(parts.path.strip("/") or parts.query)
    acct = profile(url)
    out: list[dict[str, Any]] = []
    if acct is not None:
        out.append({**acct, "display": display})
    if own_site or (acct is None and not has_path):
        out.append({"kind": "domain", "value": host, "display": display})
    # A link to a post or an article, not to a profile or a site's front page.
    if has_path and (acct is None or _has_content_path(url)):
        out.append({"kind": "url", "value": canonical_url(url), "display": display})
    return out


def _has_content_path(url: str) -> bool:
    """A link to a post (``/status/``, ``/posts/``, a Telegram message) rather than to the
    profile alone."""
    path = urlsplit(url).path
    return bool(re.search(r"/(status|posts|videos|photos|pin|p|reel|watch)/|/\d+/?$", path))


def _strip_www(host: str) -> str:
    return re.sub(r"^www\d?\.", "", host)


_PROCEDURE_PLATFORMS = (
    ("facebook", "facebook"),
    ("instagram", "instagram"),
    ("threads", "threads"),
    ("twitter", "x"),
    ("youtube", "youtube"),
    ("tiktok", "tiktok"),
    ("telegram", "telegram"),
    ("forum", "forums"),
)


def _platform_of_procedure(procedure: str | None) -> str | None:
    p = (procedure or "").lower()
    return next((name for key, name in _PROCEDURE_PLATFORMS if key in p), None)
