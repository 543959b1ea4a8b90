"""Ordinary people: who they are, whom they follow, and what they post day by day.

* **Accounts** live in a :class:`Registry` (one row per account, numeric columns only,
  ~40 bytes an account); names, handles and images are derived from the index on demand.
* **The follower graph** is preferential attachment in its closed form: on each platform,
  accounts are numbered in the order they joined, and a new follow picks the account at
  position ``floor(n · U^γ)``; with γ = 2 the in-degree of the k-th account falls as
  k^(-1/2), which is what Barabási–Albert growth gives, but it is sampled without keeping
  the graph, so it streams.
* **Activity** is heavy-tailed (lognormal rates and lurkers) and follows each person's
  daily rhythm in their own time zone. Replies, comments, shares and reactions go to
  recent posts chosen in proportion to their author's audience (:class:`ParentPool`), so
  popular content gets most of the engagement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from unmask.simulate import content, identity
from unmask.simulate.records import (
    K_COMMENT,
    K_POST,
    K_QUOTE,
    K_REACTION,
    K_REPLY,
    K_SHARE,
    Acts,
    Follows,
    P,
    acts,
    unique_follows,
)
from unmask.simulate.scenario import KINDS, LANGUAGES, PLATFORMS
from unmask.simulate.timing import DAY, PROFILE_NAMES, parse_offset, sample_local_seconds, weekday

GROUPS = (
    "ordinary",
    "office_workers_utc8",
    "breaking_news",
    "activist_campaign",
    "news_bots",
    "fandom",
    # Authentic accounts of commercial follower vendors (not an operation's), the ordinary
    # people who buy from them, and a fan club that floods hashtags and buys followers.
    "follower_vendor",
    "vendor_customers",
    "fan_club",
    "newsroom",
    "marketing_agency",
    "campaign_volunteers",
)
ROLES = (
    "user",
    "page",
    "group",
    "channel",
    "blog",
    "bot",
    "poster",
    "amplifier",
    "fake_follower",
    "persona",
)
IMAGE_UNIQUE, IMAGE_NONE = -1, -2
BIO_ORDINARY, BIO_GENERIC, BIO_NONE, BIO_OVERRIDE = 0, 1, 2, 3

_COLUMNS = {
    "platform": np.int8,
    "kind": np.int8,
    "created": np.int64,
    "offset": np.int16,
    "lang": np.int8,
    "region": np.int8,
    "profile": np.int8,
    "post_rate": np.float32,
    "resp_rate": np.float32,
    "group": np.int8,
    "op": np.int16,
    "role": np.int8,
    "style": np.int8,
    "image": np.int64,
    "bio": np.int8,
    "out_k": np.int32,
}


@dataclass
class Registry:
    """Every account of the world by index; columns are numpy arrays."""

    cols: dict[str, np.ndarray] = field(
        default_factory=lambda: {k: np.empty(0, dtype=t) for k, t in _COLUMNS.items()}
    )
    overrides: dict[int, dict[str, str]] = field(default_factory=dict)
    followers: np.ndarray | None = None
    following: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.cols["platform"])

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("cols")
        if cols is not None and name in cols:
            return cols[name]
        raise AttributeError(name)

    def add(self, n: int, **values) -> np.ndarray:
        """Append ``n`` accounts; columns not given take neutral defaults. Returns indexes."""
        defaults = {
            "region": -1,
            "profile": 0,
            "post_rate": 0.0,
            "resp_rate": 0.0,
            "group": 0,
            "op": -1,
            "role": 0,
            "style": 0,
            "image": IMAGE_UNIQUE,
            "bio": BIO_ORDINARY,
            "out_k": 0,
            "offset": 0,
            "lang": 0,
        }
        start = len(self)
        for k, t in _COLUMNS.items():
            v = values.get(k, defaults.get(k))
            if v is None:
                raise ValueError(f"account column {k!r} is required")
            arr = np.broadcast_to(np.asarray(v, dtype=t), (n,))
            self.cols[k] = np.concatenate([self.cols[k], arr])
        return np.arange(start, start + n, dtype=np.int64)


@dataclass
class PopulationLayout:
    start: np.ndarray  # first index of each platform's ordinary users
    size: np.ndarray  # how many
    regions: list  # scenario regions
    end: int  # one past the last ordinary user


def _allocate(total: int, weights: dict[str, float], names: tuple[str, ...]) -> np.ndarray:
    w = np.array([weights.get(n, 0.0) for n in names], dtype=float)
    w = w / w.sum()
    raw = w * total
    out = np.floor(raw).astype(np.int64)
    rest = total - out.sum()
    out[np.argsort(-(raw - out), kind="stable")[:rest]] += 1
    return out


def _choice(
    rng: np.random.Generator, weights: dict[str, float], names: tuple[str, ...], n: int
) -> np.ndarray:
    w = np.array([weights.get(x, 0.0) for x in names], dtype=float)
    return rng.choice(len(names), size=n, p=w / w.sum())


def lognormal_mean(rng: np.random.Generator, mean: float, sigma: float, n: int) -> np.ndarray:
    return mean * np.exp(rng.normal(-0.5 * sigma * sigma, sigma, n))


def build_population(world) -> PopulationLayout:
    cfg = world.scenario.population
    reg: Registry = world.registry
    rng = world.rng("population")
    sizes = _allocate(cfg.users, cfg.platforms, PLATFORMS)
    starts = np.zeros(len(PLATFORMS), dtype=np.int64)
    regions = cfg.regions
    region_w = np.array([r.weight for r in regions], dtype=float)
    region_w /= region_w.sum()
    offsets = np.array([parse_offset(r.utc_offset) for r in regions], dtype=np.int16)
    for p, n in enumerate(sizes):
        starts[p] = len(reg)
        if n == 0:
            continue
        kinds = _choice(rng, cfg.kinds.get(PLATFORMS[p], {"account": 1.0}), KINDS, n)
        u = (np.arange(n) + rng.random(n)) / n
        created = world.t_start - (cfg.max_account_age_days * DAY * (1 - u) ** 2).astype(np.int64)
        created -= rng.integers(DAY, 3 * DAY, n)  # nobody joins on the first day
        region = rng.choice(len(regions), size=n, p=region_w)
        lang = np.zeros(n, dtype=np.int8)
        for r, reg_cfg in enumerate(regions):
            sel = np.flatnonzero(region == r)
            if len(sel):
                lang[sel] = _choice(rng, reg_cfg.languages, LANGUAGES, len(sel))
        profile = _choice(rng, cfg.profiles, PROFILE_NAMES, n)
        lurker = rng.random(n) < cfg.lurker_share
        post_rate = lognormal_mean(rng, cfg.posts_per_user_day, cfg.activity_sigma, n)
        resp_rate = lognormal_mean(rng, cfg.responses_per_user_day, cfg.activity_sigma, n)
        post_rate[lurker] *= 0.03
        resp_rate[lurker] *= 0.15
        out_k = lognormal_mean(rng, cfg.follows_per_user, 1.0, n)
        is_page = kinds != KINDS.index("account")
        post_rate[is_page] = post_rate[is_page] * 3 + 0.3
        resp_rate[is_page] *= 0.1
        out_k[is_page] *= 0.1
        out_k[kinds == KINDS.index("group")] = 0
        role = np.where(kinds == 0, 0, kinds).astype(
            np.int8
        )  # user / page / group / channel / blog
        reg.add(
            n,
            platform=p,
            kind=kinds,
            created=created,
            offset=offsets[region],
            lang=lang,
            region=region,
            profile=profile,
            post_rate=post_rate,
            resp_rate=resp_rate,
            role=role,
            style=np.where(is_page, identity.HANDLE_STYLES.index("page"), 0),
            image=np.where(rng.random(n) < 0.08, IMAGE_NONE, IMAGE_UNIQUE),
            bio=np.where(rng.random(n) < 0.3, BIO_NONE, BIO_ORDINARY),
            out_k=np.round(out_k).astype(np.int32),
        )
    return PopulationLayout(start=starts, size=sizes, regions=regions, end=len(reg))


def sample_popular(world, rng: np.random.Generator, platforms: np.ndarray) -> np.ndarray:
    """Ordinary accounts drawn by preferential attachment (older = more followed)."""
    lay = world.layout
    gamma = world.scenario.population.follow_exponent
    n_p = lay.size[platforms]
    ok = n_p > 0
    local = np.floor(np.maximum(n_p, 1) * rng.random(len(platforms)) ** gamma).astype(np.int64)
    return np.where(ok, lay.start[platforms] + np.minimum(local, np.maximum(n_p - 1, 0)), -1)


def sample_ordinary(world, rng: np.random.Generator, platforms: np.ndarray) -> np.ndarray:
    """Ordinary accounts drawn uniformly on each row's platform (-1 if there are none)."""
    lay = world.layout
    n_p = lay.size[platforms]
    local = (rng.random(len(platforms)) * np.maximum(n_p, 1)).astype(np.int64)
    return np.where(n_p > 0, lay.start[platforms] + local, -1)


def organic_follows(world, lo: int, hi: int) -> Follows:
    reg: Registry = world.registry
    rng = world.rng("follows", lo)
    idx = np.arange(lo, hi, dtype=np.int64)
    k = reg.out_k[idx].astype(np.int64)
    follower = np.repeat(idx, k)
    p = reg.platform[follower].astype(np.int64)
    followee = sample_popular(world, rng, p)
    ok = followee >= 0
    follower, followee, p = follower[ok], followee[ok], p[ok]
    t = follow_times(world, rng, follower, followee)
    f = Follows(p.astype(np.int8), follower, followee, t)
    from unmask.simulate.negatives import fan_follows

    fans = fan_follows(world, lo, hi)
    if fans is not None:
        f = Follows(
            *(
                np.concatenate([getattr(f, c), getattr(fans, c)])
                for c in ("platform", "follower", "followee", "time")
            )
        )
    return unique_follows(f)


def follow_times(world, rng, follower: np.ndarray, followee: np.ndarray) -> np.ndarray:
    reg: Registry = world.registry
    lo = np.maximum(reg.created[follower], reg.created[followee])
    return lo + (rng.random(len(lo)) * (world.t_end - lo)).astype(np.int64)


# -- engagement targets ------------------------------------------------------------------


class ParentPool:
    """Recent posts (yesterday's and today's) that replies, shares and reactions go to, with
    weights that grow with the author's audience. Bounded: above ``cap`` posts a day, a
    weighted sample is kept."""

    def __init__(self, world, cap: int) -> None:
        self.world = world
        self.cap = cap
        self._yesterday: list[tuple] = []
        self._today: list[tuple] = []
        self._frozen: dict[int, tuple] = {}

    def new_day(self) -> None:
        self._yesterday, self._today = self._today, []
        self._frozen = {}

    def add(self, a: Acts, boost: float = 1.0) -> None:
        if len(a) == 0:
            return
        reg = self.world.registry
        beta = self.world.scenario.population.engagement_exponent
        w = (reg.followers[a.author].astype(np.float64) + 5.0) ** beta * boost
        self._today.append((a.platform, a.counter, a.author, a.time, w))

    def freeze(self, rng: np.random.Generator) -> None:
        today = _concat(self._today)
        if today is not None and len(today[0]) > self.cap:
            keep = rng.random(len(today[0])) < self.cap / len(today[0])
            today = (*(x[keep] for x in today[:4]), today[4][keep] * len(keep) / self.cap)
        self._today = [today] if today is not None else []
        both = _concat([*self._yesterday, *self._today])
        self._frozen = {}
        if both is None:
            return
        plat, counter, author, time, w = both
        for p in np.unique(plat):
            sel = np.flatnonzero(plat == p)
            order = sel[np.argsort(time[sel], kind="stable")]
            self._frozen[int(p)] = (
                counter[order],
                author[order],
                time[order],
                np.concatenate([[0.0], np.cumsum(w[order])]),
            )

    def sample_before(
        self,
        rng: np.random.Generator,
        platforms: np.ndarray,
        times: np.ndarray,
        max_age: int = 2 * DAY,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each row, a post on its platform published before its time (-1 if none)."""
        n = len(platforms)
        counter = np.full(n, -1, dtype=np.int64)
        author = np.full(n, -1, dtype=np.int64)
        ptime = np.full(n, -1, dtype=np.int64)
        for p in np.unique(platforms):
            entry = self._frozen.get(int(p))
            if entry is None:
                continue
            c, a, t, cw = entry
            sel = np.flatnonzero(platforms == p)
            hi = np.searchsorted(t, times[sel], side="left")
            lo = np.searchsorted(t, times[sel] - max_age, side="left")
            ok = hi > lo
            sel, hi, lo = sel[ok], hi[ok], lo[ok]
            u = cw[lo] + rng.random(len(sel)) * (cw[hi] - cw[lo])
            k = np.clip(np.searchsorted(cw, u, side="right") - 1, lo, hi - 1)
            counter[sel], author[sel], ptime[sel] = c[k], a[k], t[k]
        return counter, author, ptime


def _concat(parts: list[tuple]) -> tuple | None:
    parts = [p for p in parts if p is not None and len(p[0])]
    if not parts:
        return None
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(5))


# -- ordinary activity -------------------------------------------------------------------

# Words per text by platform (posts), and per reply or comment.
_POST_WORDS = {
    "facebook": (5, 40),
    "instagram": (3, 15),
    "x": (6, 28),
    "youtube": (4, 12),
    "tiktok": (3, 12),
    "reddit": (8, 60),
    "medium": (30, 90),
    "blog": (30, 90),
    "telegram": (8, 40),
}
_WORDS_LO = np.array([_POST_WORDS[p][0] for p in PLATFORMS])
_WORDS_HI = np.array([_POST_WORDS[p][1] for p in PLATFORMS])
_ALWAYS_MEDIA = np.isin(np.arange(len(PLATFORMS)), [P["instagram"], P["tiktok"], P["youtube"]])
# What people do besides posting, per platform: (kind, weight).
RESPONSE_KINDS = {
    "facebook": {K_REACTION: 0.6, K_COMMENT: 0.28, K_SHARE: 0.12},
    "instagram": {K_REACTION: 0.75, K_COMMENT: 0.25},
    "x": {K_REACTION: 0.55, K_SHARE: 0.2, K_REPLY: 0.2, K_QUOTE: 0.05},
    "youtube": {K_REACTION: 0.7, K_COMMENT: 0.3},
    "tiktok": {K_REACTION: 0.7, K_COMMENT: 0.2, K_SHARE: 0.1},
    "reddit": {K_REACTION: 0.55, K_COMMENT: 0.45},
    "medium": {K_REACTION: 0.8, K_COMMENT: 0.2},
    "blog": {K_COMMENT: 1.0},
    "telegram": {K_REACTION: 0.5, K_SHARE: 0.4, K_COMMENT: 0.1},
}
_RESP_CDF = np.zeros((len(PLATFORMS), 6))
for _p, _kinds in RESPONSE_KINDS.items():
    _w = np.zeros(6)
    for _k, _v in _kinds.items():
        _w[_k] = _v
    _RESP_CDF[P[_p]] = np.cumsum(_w) / _w.sum()


def response_kinds(rng: np.random.Generator, platforms: np.ndarray) -> np.ndarray:
    u = rng.random(len(platforms))
    return (u[:, None] > _RESP_CDF[platforms]).sum(axis=1).astype(np.int8)


def day_rates(world, idx: np.ndarray, day: int, rates: np.ndarray) -> tuple[np.ndarray, bool]:
    from unmask.simulate.timing import weekend_volume

    d0 = world.t_start + day * DAY
    weekend = bool(weekday(d0) >= 5)
    lam = rates.astype(np.float64)
    if weekend:
        lam = lam * weekend_volume(world.registry.profile[idx])
    return lam, weekend


def local_times(world, rng, authors: np.ndarray, day: int, weekend: bool) -> np.ndarray:
    reg = world.registry
    secs = sample_local_seconds(rng, reg.profile[authors], weekend)
    return world.t_start + day * DAY + secs - reg.offset[authors].astype(np.int64) * 60


def organic_posts(world, day: int, lo: int, hi: int) -> Acts:
    rng, author, t = _organic_times(world, "posts", day, lo, hi, world.registry.post_rate)
    return make_posts(world, rng, author, t, day)


def _organic_times(world, key: str, day: int, lo: int, hi: int, rate: np.ndarray):
    """The random stream, authors (one per act) and times of the acts of the ordinary
    accounts ``lo``..``hi`` on ``day``, at each one's ``rate`` a day and local hours."""
    reg: Registry = world.registry
    rng = world.rng(key, day, lo)
    idx = np.arange(lo, hi, dtype=np.int64)
    lam, weekend = day_rates(world, idx, day, rate[idx])
    author = np.repeat(idx, rng.poisson(lam))
    t = local_times(world, rng, author, day, weekend)
    author, t = _after_creation(reg, author, t)
    return rng, author, t


def _after_creation(reg: Registry, author: np.ndarray, t: np.ndarray):
    """Accounts made during the world (campaign volunteers) do nothing before they exist;
    everyone else was made before the world starts, so nothing is dropped (no draw moves)."""
    born = t >= reg.created[author]
    if born.all():
        return author, t
    return author[born], t[born]


def make_posts(
    world, rng, author: np.ndarray, t: np.ndarray, day: int, link_rate: float | None = None
) -> Acts:
    """Ordinary posts by ``author`` at ``t``: own words, hashtags that trend, links to news."""
    reg: Registry = world.registry
    cfg = world.scenario.population
    n = len(author)
    p = reg.platform[author].astype(np.int64)
    lang = reg.lang[author]
    words = rng.integers(_WORDS_LO[p], _WORDS_HI[p] + 1)
    body = content.random_texts(rng, lang, words)
    tags, tag_suffix = world.hashtags.organic(rng, n, day, cfg.hashtag_rate)
    rate = cfg.link_rate if link_rate is None else link_rate
    has_link = rng.random(n) < rate * np.where(reg.kind[author] != 0, 3.0, 1.0)
    link = np.flatnonzero(has_link)
    urls, originals, domains, suffix = world.news_links(rng, t[link], day)
    offsets = np.concatenate([[0], np.cumsum(has_link)]).astype(np.int32)
    valid = np.ones(n, dtype=bool)
    link_text = np.full(n, -1, dtype=np.int64)
    link_text[link] = np.arange(len(link))
    full_suffix = pc.if_else(
        pa.array(has_link), suffix.take(pa.array(np.maximum(link_text, 0))) if len(link) else "", ""
    )
    text = content.concat_text(body, tag_suffix, full_suffix)
    media_on = (rng.random(n) < cfg.media_rate) | _ALWAYS_MEDIA[p]
    media = media_lists(rng, media_on)
    return acts(
        world,
        p,
        author,
        t,
        K_POST,
        lang,
        text=text,
        urls=content.list_array(offsets, urls, valid),
        urls_original=content.list_array(offsets, originals, valid),
        domains=content.list_array(offsets, domains, valid),
        hashtags=tags,
        mentions=content.empty_lists(n),
        media=media,
    )


def media_lists(rng: np.random.Generator, on: np.ndarray) -> pa.Array:
    n = len(on)
    values = identity.hex64(
        rng.integers(0, 2**63 - 1, int(on.sum()), dtype=np.int64).astype(np.uint64)
    )
    offsets = np.concatenate([[0], np.cumsum(on)]).astype(np.int32)
    return content.list_array(offsets, values, np.ones(n, dtype=bool))


def organic_responses(world, day: int, lo: int, hi: int) -> Acts:
    rng, author, t = _organic_times(world, "responses", day, lo, hi, world.registry.resp_rate)
    return make_responses(world, rng, author, t)


def make_responses(
    world, rng, author: np.ndarray, t: np.ndarray, kinds: np.ndarray | None = None, texts=None
) -> Acts:
    """Responses by ``author`` at ``t`` to recent popular posts on their platform."""
    reg: Registry = world.registry
    p = reg.platform[author].astype(np.int64)
    kind = response_kinds(rng, p) if kinds is None else kinds
    parent, pauthor, _ = world.pool.sample_before(rng, p, t)
    ok = (parent >= 0) & (pauthor != author)
    author, t, p, kind, parent, pauthor = (x[ok] for x in (author, t, p, kind, parent, pauthor))
    if texts is not None:
        texts = texts.filter(pa.array(ok))
    return response_acts(world, rng, author, t, p, kind, parent, pauthor, texts)


def response_acts(world, rng, author, t, p, kind, parent, pauthor, texts=None) -> Acts:
    """Replies, comments and quotes get short texts (replies on X start with the mention);
    shares and reactions carry none."""
    reg: Registry = world.registry
    n = len(author)
    lang = reg.lang[author]
    has_text = np.isin(kind, [K_REPLY, K_COMMENT, K_QUOTE])
    if texts is None:
        texts = content.random_texts(rng, lang, rng.integers(2, 16, n))
    is_reply_x = (kind == K_REPLY) & (p == P["x"])
    mention_handles = pa.array([""] * n, type=pa.string())
    mentions = content.empty_lists(n, has_text)
    if is_reply_x.any():
        sel = np.flatnonzero(is_reply_x)
        h = world.handles(pauthor[sel])
        pos = np.full(n, 0, dtype=np.int64)
        pos[sel] = np.arange(len(sel))
        mention_handles = pc.if_else(
            pa.array(is_reply_x),
            pc.binary_join_element_wise("@", h.take(pa.array(pos)), " ", ""),
            "",
        )
        lower = pc.utf8_lower(h)
        offsets = np.concatenate([[0], np.cumsum(is_reply_x)]).astype(np.int32)
        mentions = content.list_array(offsets, lower, has_text)
    text = pc.if_else(
        pa.array(has_text),
        content.concat_text(mention_handles, texts),
        pa.scalar(None, pa.string()),
    )
    return acts(
        world,
        p,
        author,
        t,
        kind,
        np.where(has_text, lang, -1),
        text=text,
        urls=content.empty_lists(n, has_text),
        urls_original=content.empty_lists(n, has_text),
        domains=content.empty_lists(n, has_text),
        hashtags=content.empty_lists(n, has_text),
        mentions=mentions,
        parent=parent,
        parent_author=pauthor,
    )
