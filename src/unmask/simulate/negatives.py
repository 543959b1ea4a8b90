"""Hard negatives: authentic behaviour that looks coordinated to a naive detector.

* ``office_workers_utc8``: ordinary people in UTC+8 with office jobs. They post on working
  days, on the commute, in the evening and *in* their lunch break 12:00–13:30: the same
  time zone and working week as a Spamouflage-like rota, but the opposite break pattern.
* ``breaking_news``: unrelated people all over the world share one article within minutes
  of an event (many with its headline verbatim, some re-sharing the outlet's post).
* ``activist_campaign``: real people who agreed to post a campaign's toolkit texts with
  one hashtag at an announced time, and re-share each other.
* ``news_bots``: honest automated feeds; several bots post every headline of the same
  outlet within seconds of publication, around the clock. They say they are bots.
* ``fandom``: fans flood a hashtag with chants for a few hours, re-share each other and
  follow each other.
* ``fan_club``: fans of an idol (popular accounts of the club's platforms) flood its
  hashtags the same way, and buy followers for the idol and for some members from a
  follower vendor (``[vendors.NAME]``): the co-posting and the bought audience of an
  operation, from authentic people.

The people of each group are drawn from the ordinary population (disjoint groups), so
they also keep their ordinary lives; news bots are added as accounts of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from unmask.simulate import content
from unmask.simulate.population import (
    BIO_OVERRIDE,
    GROUPS,
    ROLES,
    make_posts,
    sample_ordinary,
    sample_popular,
)
from unmask.simulate.records import K_POST, K_SHARE, Acts, Follows, P, acts, unique_follows
from unmask.simulate.scenario import KINDS, LANGUAGES, PLATFORMS
from unmask.simulate.timing import DAY, HOUR, PROFILE_NAMES, parse_clock, parse_offset

G = {name: i for i, name in enumerate(GROUPS)}


@dataclass
class NegativesState:
    members: dict[str, np.ndarray] = field(default_factory=dict)
    bots: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    bot_outlet: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    breaking: list[dict[str, Any]] = field(default_factory=list)
    activist_slots: list[int] = field(default_factory=list)
    floods: list[int] = field(default_factory=list)
    club_floods: list[int] = field(default_factory=list)
    idols: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    boosted: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def describe(self, world) -> dict[str, Any]:
        out: dict[str, Any] = {
            name: {"accounts": len(m)} for name, m in self.members.items() if len(m)
        }
        if "breaking_news" in out:
            out["breaking_news"]["events"] = [
                {k: v for k, v in e.items() if k != "parent"} | {"time": _iso(e["time"])}
                for e in self.breaking
            ]
        if "activist_campaign" in out:
            cfg = world.scenario.negatives.activist_campaign
            out["activist_campaign"] |= {
                "hashtag": cfg.hashtag,
                "slots": [_iso(t) for t in self.activist_slots],
            }
        if "fandom" in out:
            cfg = world.scenario.negatives.fandom
            out["fandom"] |= {"hashtags": cfg.hashtags, "floods": [_iso(t) for t in self.floods]}
        if "fan_club" in out:
            from unmask.simulate import identity

            cfg = world.scenario.negatives.fan_club
            vendor = world.vendors.get(cfg.vendor)
            out["fan_club"] |= {
                "idols": identity.account_ids(world.seed, self.idols).to_pylist(),
                "idol_platforms": [PLATFORMS[int(world.registry.platform[i])] for i in self.idols],
                "hashtags": cfg.hashtags,
                "floods": [_iso(t) for t in self.club_floods],
                "vendor": cfg.vendor,
                "boosted_members": len(self.boosted),
                "followers_bought": vendor.sold.get("fan_club", 0) if vendor else 0,
            }
        if len(self.bots):
            out["news_bots"] = {
                "accounts": len(self.bots),
                "outlets": sorted({world.outlets[int(o)][0] for o in self.bot_outlet}),
            }
        return out


def _iso(t: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(t), UTC).isoformat()


def setup(world) -> NegativesState:
    """Choose the members of each group and the times of their events."""
    neg = world.scenario.negatives
    reg = world.registry
    rng = world.rng("negatives")
    st = NegativesState()
    lay = world.layout
    free = np.zeros(len(reg), dtype=bool)
    free[: lay.end] = (reg.kind[: lay.end] == KINDS.index("account")) & (reg.group[: lay.end] == 0)

    def carve(name: str, candidates: np.ndarray, n: int) -> np.ndarray:
        cand = candidates[free[candidates]]
        chosen = np.sort(rng.choice(cand, size=min(n, len(cand)), replace=False))
        free[chosen] = False
        reg.group[chosen] = G[name]
        st.members[name] = chosen
        return chosen

    everyone = np.arange(lay.end, dtype=np.int64)
    if neg.office_workers_utc8 is not None:
        cfg = neg.office_workers_utc8
        r = [x.name for x in lay.regions].index(cfg.region)
        cand = everyone[(reg.region[: lay.end] == r)]
        chosen = carve("office_workers_utc8", cand, round(cfg.share * int(free[cand].sum())))
        reg.profile[chosen] = PROFILE_NAMES.index("office_lunch")
    if neg.news_bots is not None:
        cfg = neg.news_bots
        n_outlets = max(1, cfg.bots // 2)
        outlets = np.arange(cfg.bots) % n_outlets
        platforms = np.array([P[cfg.platforms[i % len(cfg.platforms)]] for i in range(cfg.bots)])
        kinds = np.array(
            [
                KINDS.index(
                    {"telegram": "channel", "facebook": "page", "youtube": "channel"}.get(
                        PLATFORMS[p], "account"
                    )
                )
                for p in platforms
            ]
        )
        idx = reg.add(
            cfg.bots,
            platform=platforms,
            kind=kinds,
            created=world.t_start - rng.integers(400, 3000, cfg.bots) * DAY,
            offset=0,
            lang=[LANGUAGES.index(world.outlets[o][1]) for o in outlets],
            profile=PROFILE_NAMES.index("flat"),
            group=G["news_bots"],
            role=ROLES.index("bot"),
            bio=BIO_OVERRIDE,
            out_k=0,
        )
        for i, k in enumerate(idx):
            domain = world.outlets[int(outlets[i])][0]
            name = domain.split(".")[0]
            reg.overrides[int(k)] = {
                "handle": f"{name}_feed{i // n_outlets + 1}"
                if i >= n_outlets
                else f"{name}_headlines",
                "display_name": f"{domain} headlines (bot)",
                "description": f"Automated feed of {domain} headlines. Not affiliated, not monitored.",
                "url": f"https://{domain}/",
            }
        st.bots, st.bot_outlet = idx, outlets.astype(np.int64)
        st.members["news_bots"] = idx
    if neg.breaking_news is not None:
        cfg = neg.breaking_news
        cand = everyone[
            np.isin(
                reg.platform[: lay.end],
                [P["x"], P["facebook"], P["telegram"], P["instagram"], P["reddit"]],
            )
        ]
        group = carve("breaking_news", cand, cfg.group_size)
        english = [i for i, (_, lang) in enumerate(world.outlets) if lang == "en"] or [0]
        for e in range(cfg.events):
            day = min(world.days - 1, int((e + 1) * world.days / (cfg.events + 1)))
            o = english[int(rng.integers(len(english)))]
            domain = world.outlets[o][0]
            slug = "-".join(
                rng.choice(
                    [
                        "strong",
                        "earthquake",
                        "hits",
                        "region",
                        "dozens",
                        "feared",
                        "dead",
                        "live",
                        "updates",
                    ],
                    5,
                )
            )
            st.breaking.append(
                {
                    "time": int(world.t_start + day * DAY + rng.integers(0, DAY)),
                    "url": f"https://{domain}/world/live/{slug}-{int(rng.integers(10**7, 10**8))}",
                    "domain": domain,
                    "headline": f"Strong earthquake strikes {rng.choice(['northern', 'coastal', 'central'])} region, dozens feared dead",
                    "hashtag": content.BREAKING_TAGS[e % len(content.BREAKING_TAGS)],
                    "participants": int(min(cfg.participants, len(group))),
                    "outlet": o,
                }
            )
    if neg.activist_campaign is not None:
        cfg = neg.activist_campaign
        r = [x.name for x in lay.regions].index(cfg.region)
        cand = everyone[
            (reg.region[: lay.end] == r)
            & np.isin(reg.platform[: lay.end], [P[p] for p in cfg.platforms])
        ]
        carve("activist_campaign", cand, cfg.participants)
        off = parse_offset(lay.regions[r].utc_offset)
        local = parse_clock(cfg.local_time)
        st.activist_slots = [
            world.t_start + d * DAY + local * 60 - off * 60 for d in cfg.days if 0 <= d < world.days
        ]
    if neg.fandom is not None:
        cfg = neg.fandom
        cand = everyone[np.isin(reg.platform[: lay.end], [P[p] for p in cfg.platforms])]
        carve("fandom", cand, cfg.fans)
        st.floods = _flood_starts(world, cfg.floods, 9 * HOUR)
    if neg.fan_club is not None:
        cfg = neg.fan_club
        plats = [P[p] for p in cfg.platforms]
        # The idols: popular accounts of the club's platforms (the first to join are the
        # most followed), a page where the platform has pages.
        idols = []
        for i in range(cfg.idol):
            p = plats[i % len(plats)]
            top = np.arange(lay.start[p], lay.start[p] + min(lay.size[p], 60))
            top = top[(reg.group[top] == 0) & ~np.isin(top, idols)]
            pages = top[reg.kind[top] == KINDS.index("page")]
            accts = top[reg.kind[top] == KINDS.index("account")]
            pick = pages if len(pages) else accts
            if len(pick):
                idols.append(int(pick[int(rng.integers(min(len(pick), 10)))]))
        st.idols = np.array(sorted(idols), dtype=np.int64)
        free[st.idols] = False
        reg.group[st.idols] = G["fan_club"]
        cand = everyone[np.isin(reg.platform[: lay.end], plats)]
        members = carve("fan_club", cand, cfg.members)
        st.members["fan_club"] = np.sort(np.concatenate([st.idols, members]))
        st.boosted = members[rng.random(len(members)) < cfg.boosted_share]
        st.club_floods = _flood_starts(world, cfg.floods, 14 * HOUR)
    return st


def _flood_starts(world, floods: int, hour: int) -> list[int]:
    """Flood days spread evenly over the world, at ``hour`` UTC."""
    return [
        world.t_start
        + min(world.days - 1, int((f + 0.5) * world.days / max(floods, 1))) * DAY
        + hour
        for f in range(floods)
    ]


def fan_club_buyers(world) -> np.ndarray:
    """Who in the fan club buys followers: the idols and the boosted members."""
    st: NegativesState = world.negatives
    return np.concatenate([st.idols, st.boosted])


def follows(world) -> list[Follows]:
    st: NegativesState = world.negatives
    reg = world.registry
    out = []
    rng = world.rng("negatives", "follows")
    if len(st.bots):
        # People follow news feeds.
        k = rng.integers(20, 200, len(st.bots))
        followee = np.repeat(st.bots, k)
        follower = sample_ordinary(world, rng, reg.platform[followee].astype(np.int64))
        ok = follower >= 0
        t = _times(world, rng, follower[ok], followee[ok])
        out.append(
            unique_follows(Follows(reg.platform[followee[ok]], follower[ok], followee[ok], t))
        )
    return out


def fan_follows(world, lo: int, hi: int) -> Follows | None:
    """Fans follow each other. Made with the ordinary follows of the same block of users,
    so that a pair is never made twice."""
    st: NegativesState = world.negatives
    fans = st.members.get("fandom")
    if fans is None or len(fans) < 2:
        return None
    reg = world.registry
    cfg = world.scenario.negatives.fandom
    rng = world.rng("negatives", "fan_follows", lo)
    mine = fans[(fans >= lo) & (fans < hi)]
    follower = np.repeat(mine, cfg.follows_per_fan)
    followee = fans[rng.integers(0, len(fans), len(follower))]
    same = reg.platform[follower] == reg.platform[followee]
    follower, followee = follower[same], followee[same]
    return Follows(
        reg.platform[follower], follower, followee, _times(world, rng, follower, followee)
    )


def _times(world, rng, follower, followee):
    lo = np.maximum(world.registry.created[follower], world.registry.created[followee])
    return lo + (rng.random(len(lo)) * (world.t_end - lo)).astype(np.int64)


def day_posts(world, day: int) -> list[Acts]:
    """Posts that others engage with: the bots' headlines and the outlets' breaking news."""
    st: NegativesState = world.negatives
    reg = world.registry
    out = []
    if len(st.bots):
        cfg = world.scenario.negatives.news_bots
        rng = world.rng("news_bots", day)
        arts = world.articles(day)
        rows_author, rows_art = [], []
        for b, o in zip(st.bots, st.bot_outlet, strict=True):
            mine = np.flatnonzero(arts.outlet == o)
            rows_author.append(np.full(len(mine), b))
            rows_art.append(mine)
        author = np.concatenate(rows_author)
        art = np.concatenate(rows_art)
        t = arts.published[art] + (rng.random(len(art)) * cfg.max_delay_seconds).astype(np.int64)
        ia = pa.array(art)
        text = content.concat_text(
            arts.headline.take(ia), pa.array([" "] * len(art)), arts.url.take(ia)
        )
        offsets = np.arange(len(art) + 1)
        a = acts(
            world,
            reg.platform[author],
            author,
            t,
            K_POST,
            arts.lang[art],
            text=text,
            urls=content.list_array(offsets, arts.url.take(ia)),
            urls_original=content.list_array(offsets, arts.url.take(ia)),
            domains=content.list_array(offsets, arts.domain.take(ia)),
            hashtags=content.empty_lists(len(art)),
            mentions=content.empty_lists(len(art)),
        )
        out.append(a)
    for e in st.breaking:
        if not (world.t_start + day * DAY <= e["time"] < world.t_start + (day + 1) * DAY):
            continue
        bots = st.bots if len(st.bots) else None
        if bots is None:
            continue
        on_x = [b for b in bots if reg.platform[b] == P["x"]] or list(bots)
        b = on_x[0]
        text = f"{e['headline']} {e['url']} {e['hashtag']}"
        a = acts(
            world,
            reg.platform[b],
            [b],
            [e["time"] + 30],
            K_POST,
            LANGUAGES.index("en"),
            text=[text],
            urls_original=[[e["url"]]],
            hashtags=[content.tag_list([e["hashtag"]])],
            mentions=[[]],
        )
        e["parent"] = (int(a.counter[0]), int(b), int(reg.platform[b]))
        out.append(a)
    return out


def day_events(world, day: int) -> list[Acts]:
    out: list[Acts] = []
    out += _breaking(world, day)
    out += _activists(world, day)
    out += _fandom(world, day)
    out += _fan_club(world, day)
    return out


def _in_day(world, day: int, t: int) -> bool:
    return world.t_start + day * DAY <= t < world.t_start + (day + 1) * DAY


def _breaking(world, day: int) -> list[Acts]:
    st: NegativesState = world.negatives
    reg = world.registry
    out = []
    group = st.members.get("breaking_news")
    cfg = world.scenario.negatives.breaking_news
    for i, e in enumerate(st.breaking):
        if not _in_day(world, day, e["time"]):
            continue
        rng = world.rng("breaking", i)
        who = np.sort(rng.choice(group, e["participants"], replace=False))
        delay = (cfg.median_delay_minutes * 60 * np.exp(rng.normal(0, 1.0, len(who)))).astype(
            np.int64
        )
        t = e["time"] + 60 + delay
        parent = e.get("parent")
        mode = rng.random(len(who))
        share = (
            (mode < cfg.share_rate)
            & (parent is not None)
            & (reg.platform[who] == (parent[2] if parent else -1))
        )
        copy = ~share & (mode < cfg.share_rate + cfg.headline_copy_rate)
        own = ~share & ~copy
        if share.any():
            s = np.flatnonzero(share)
            out.append(
                acts(
                    world,
                    reg.platform[who[s]],
                    who[s],
                    t[s],
                    K_SHARE,
                    parent=np.full(len(s), parent[0]),
                    parent_author=np.full(len(s), parent[1]),
                )
            )
        texts, langs = [], []
        rows = np.flatnonzero(copy | own)
        own_words = content.random_texts(
            rng, reg.lang[who[rows]], rng.integers(3, 12, len(rows))
        ).to_pylist()
        for j, r in enumerate(rows):
            if copy[r]:
                texts.append(f"{e['headline']} {e['url']}")
                langs.append(LANGUAGES.index("en"))
            else:
                tag = f" {e['hashtag']}" if rng.random() < 0.5 else ""
                texts.append(f"{own_words[j]} {e['url']}{tag}")
                langs.append(int(reg.lang[who[r]]))
        if len(rows):
            out.append(
                acts(
                    world,
                    reg.platform[who[rows]],
                    who[rows],
                    t[rows],
                    K_POST,
                    langs,
                    text=texts,
                    urls_original=[[e["url"]]] * len(rows),
                    hashtags=[content.text_hashtags(x) for x in texts],
                    mentions=[[] for _ in rows],
                )
            )
    return out


def _activists(world, day: int) -> list[Acts]:
    st: NegativesState = world.negatives
    reg = world.registry
    cfg = world.scenario.negatives.activist_campaign
    out = []
    members = st.members.get("activist_campaign")
    for i, slot in enumerate(st.activist_slots):
        if not _in_day(world, day, slot) or members is None or not len(members):
            continue
        rng = world.rng("activists", i)
        toolkit = cfg.toolkit or content.ACTIVIST_TOOLKIT
        author = np.repeat(members, rng.integers(1, cfg.posts_per_slot + 1, len(members)))
        t = slot + (cfg.window_minutes * 60 / 3 * rng.gamma(1.5, 1.0, len(author))).astype(np.int64)
        prefix = content.random_texts(
            rng, reg.lang[author], rng.integers(2, 7, len(author))
        ).to_pylist()
        texts = []
        for j in range(len(author)):
            base = toolkit[int(rng.integers(len(toolkit)))].format(tag=cfg.hashtag)
            texts.append(f"{prefix[j]} {base}" if rng.random() < 0.5 else base)
        posts = acts(
            world,
            reg.platform[author],
            author,
            t,
            K_POST,
            reg.lang[author],
            text=texts,
            urls_original=[[] for _ in texts],
            hashtags=[content.text_hashtags(x) for x in texts],
            mentions=[[] for _ in texts],
        )
        out.append(posts)
        out += _reshare_each_other(world, rng, posts, cfg.retweet_rate, 15 * 60)
    return out


def _reshare_each_other(world, rng, posts: Acts, rate: float, median_delay: float) -> list[Acts]:
    """Members re-share posts of other members on the same platform."""
    reg = world.registry
    members = np.unique(posts.author)
    n = int(rate * len(members) * 2)
    if n == 0 or len(posts) < 2:
        return []
    who = members[rng.integers(0, len(members), n)]
    target = rng.integers(0, len(posts), n)
    ok = (reg.platform[who] == posts.platform[target]) & (posts.author[target] != who)
    who, target = who[ok], target[ok]
    # One share per (member, post).
    key = who * (len(posts) + 1) + target
    _, first = np.unique(key, return_index=True)
    who, target = who[first], target[first]
    t = posts.time[target] + (median_delay * np.exp(rng.normal(0, 1.0, len(who)))).astype(np.int64)
    return [
        acts(
            world,
            reg.platform[who],
            who,
            t,
            K_SHARE,
            parent=posts.counter[target],
            parent_author=posts.author[target],
        )
    ]


def _fandom(world, day: int) -> list[Acts]:
    st: NegativesState = world.negatives
    cfg = world.scenario.negatives.fandom
    out = []
    fans = st.members.get("fandom")
    for i, start in enumerate(st.floods):
        if not _in_day(world, day, start) or fans is None or not len(fans):
            continue
        rng = world.rng("fandom", i)
        out += _flood(
            world,
            rng,
            fans,
            start,
            cfg.flood_hours,
            cfg.posts_per_fan,
            cfg.hashtags,
            cfg.retweet_rate,
            content.FANDOM_CHANTS,
        )
    return out


def _fan_club(world, day: int) -> list[Acts]:
    st: NegativesState = world.negatives
    cfg = world.scenario.negatives.fan_club
    out = []
    members = st.members.get("fan_club")
    for i, start in enumerate(st.club_floods):
        if not _in_day(world, day, start) or members is None or not len(members):
            continue
        rng = world.rng("fan_club", i)
        fans = members[~np.isin(members, st.idols)]
        out += _flood(
            world,
            rng,
            fans,
            start,
            cfg.flood_hours,
            cfg.posts_per_member,
            cfg.hashtags,
            cfg.retweet_rate,
            content.FAN_CLUB_CHANTS,
        )
    return out


def _flood(
    world,
    rng,
    fans: np.ndarray,
    start: int,
    hours: float,
    posts_per_fan: list[int],
    hashtags: list[str],
    retweet_rate: float,
    chants: list[str],
) -> list[Acts]:
    """Fans flood ``hashtags`` with chants for ``hours`` from ``start`` (most early on)
    and re-share each other."""
    reg = world.registry
    lo, hi = posts_per_fan
    author = np.repeat(fans, rng.integers(lo, hi + 1, len(fans)))
    t = start + (hours * HOUR * rng.random(len(author)) ** 1.5).astype(np.int64)
    texts = []
    for _ in range(len(author)):
        k = int(rng.integers(1, len(hashtags) + 1))
        tags = " ".join(hashtags[:k])
        texts.append(chants[int(rng.integers(len(chants)))].format(tags=tags))
    langs = [
        LANGUAGES.index("ko")
        if any("\uac00" <= c <= "\ud7a3" for c in x)
        else LANGUAGES.index("ja")
        if "大好き" in x
        else 0
        for x in texts
    ]
    posts = acts(
        world,
        reg.platform[author],
        author,
        t,
        K_POST,
        langs,
        text=texts,
        urls_original=[[] for _ in texts],
        hashtags=[content.text_hashtags(x) for x in texts],
        mentions=[[] for _ in texts],
    )
    return [posts, *_reshare_each_other(world, rng, posts, retweet_rate, 5 * 60)]


__all__ = [
    "NegativesState",
    "day_events",
    "day_posts",
    "follows",
    "make_posts",
    "sample_popular",
    "setup",
]
