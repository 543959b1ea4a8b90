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

Three groups show two or more kinds of evidence at once, all of it authentic:

* ``newsroom``: one outlet's journalists. Most signed up from the office network (one
  address block), they post in office hours of their time zone (Monday–Friday, a lunch
  dip, each with their own shift) and share the outlet's new articles within minutes,
  often with the headline: infrastructure, schedule and coordination on URLs (and they
  follow their colleagues).
* ``marketing_agency``: brand accounts of an agency's clients, run from one office (sign-ups
  from its address block on a few devices), posting by a scheduling tool at quarter hours
  on working days, from templates with the client's name swapped in, and sharing each
  other's posts: infrastructure, schedule, content and shared devices.
* ``campaign_volunteers``: a campaign's volunteers who made their accounts together at a
  sign-up event (within minutes, many on the event's Wi-Fi) and post its toolkit with a
  hashtag at announced times, re-sharing and following each other: identity (a creation
  batch), infrastructure, content and coordination.

The people of each group are drawn from the ordinary population (disjoint groups), so
they also keep their ordinary lives; news bots and the agency's brands are added as
accounts of their own. Volunteers' accounts are re-dated to the sign-up event, and nothing
of theirs (posts, responses, follows) comes before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from unmask.simulate import content, identity, records
from unmask.simulate.population import (
    BIO_OVERRIDE,
    GROUPS,
    ROLES,
    make_posts,
    media_lists,
    sample_ordinary,
    sample_popular,
)
from unmask.simulate.records import K_POST, K_SHARE, Acts, Follows, P, acts, unique_follows
from unmask.simulate.scenario import KINDS, LANGUAGES, PLATFORMS
from unmask.simulate.timing import DAY, HOUR, PROFILE_NAMES, parse_clock, parse_offset, weekday

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
    newsroom: dict[str, Any] = field(default_factory=dict)
    agency: dict[str, Any] = field(default_factory=dict)
    volunteers: dict[str, Any] = field(default_factory=dict)
    # Sign-ups on a shared network: (accounts, ip octets (n, 4), devices or None, e-mail
    # domains or None), applied over the ordinary ones by infrastructure_overrides.
    infra: list[tuple[np.ndarray, np.ndarray, list[str] | None, list[str] | None]] = field(
        default_factory=list
    )

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
        for name, extra in (
            ("newsroom", self.newsroom),
            ("marketing_agency", self.agency),
            ("campaign_volunteers", self.volunteers),
        ):
            if name in out:
                out[name] |= {k: v for k, v in extra.items() if not k.startswith("_")}
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

    def carve(
        name: str, candidates: np.ndarray, n: int, gen: np.random.Generator | None = None
    ) -> np.ndarray:
        cand = candidates[free[candidates]]
        chosen = np.sort((gen or rng).choice(cand, size=min(n, len(cand)), replace=False))
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
    # The groups below draw from their own generators, so that adding one changes nothing
    # of the others.
    if neg.newsroom is not None:
        _setup_newsroom(world, st, carve, free)
    if neg.marketing_agency is not None:
        _setup_agency(world, st)
    if neg.campaign_volunteers is not None:
        _setup_volunteers(world, st, carve)
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
    out = _agency_follows(world)
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
    """Members of a group follow each other: fans, journalists their colleagues, volunteers
    the people they met at the sign-up event. Made with the ordinary follows of the same
    block of users, so that a pair is never made twice."""
    parts = [
        f
        for f in (
            _fans_follow(world, lo, hi),
            _colleagues_follow(world, lo, hi),
            _volunteers_follow(world, lo, hi),
        )
        if f is not None
    ]
    if len(parts) <= 1:
        return parts[0] if parts else None
    return Follows(
        *(
            np.concatenate([getattr(f, c) for f in parts])
            for c in ("platform", "follower", "followee", "time")
        )
    )


def _random_members(world, group: str, per_member: int, key: str, lo: int, hi: int):
    """The members of ``group`` in users ``lo``..``hi`` each follow ``per_member`` random
    members on their own platform: (follower, followee, the generator, for the times);
    None for a group of fewer than two."""
    members = world.negatives.members.get(group)
    if members is None or len(members) < 2:
        return None
    reg = world.registry
    rng = world.rng("negatives", key, lo)
    mine = members[(members >= lo) & (members < hi)]
    follower = np.repeat(mine, per_member)
    followee = members[rng.integers(0, len(members), len(follower))]
    same = reg.platform[follower] == reg.platform[followee]
    return follower[same], followee[same], rng


def _fans_follow(world, lo: int, hi: int) -> Follows | None:
    cfg = world.scenario.negatives.fandom
    drawn = _random_members(
        world, "fandom", cfg.follows_per_fan if cfg else 0, "fan_follows", lo, hi
    )
    if drawn is None:
        return None
    follower, followee, rng = drawn
    return Follows(
        world.registry.platform[follower],
        follower,
        followee,
        _times(world, rng, follower, followee),
    )


def _colleagues_follow(world, lo: int, hi: int) -> Follows | None:
    staff = world.negatives.members.get("newsroom")
    if staff is None or len(staff) < 2:
        return None
    reg = world.registry
    cfg = world.scenario.negatives.newsroom
    rng = world.rng("negatives", "colleague_follows", lo)
    mine = staff[(staff >= lo) & (staff < hi)]
    a, b = np.meshgrid(mine, staff, indexing="ij")
    pick = (
        (reg.platform[a] == reg.platform[b])
        & (a != b)
        & (rng.random(a.shape) < cfg.follows_colleagues)
    )
    follower, followee = a[pick], b[pick]
    return Follows(
        reg.platform[follower], follower, followee, _times(world, rng, follower, followee)
    )


def _volunteers_follow(world, lo: int, hi: int) -> Follows | None:
    cfg = world.scenario.negatives.campaign_volunteers
    per = cfg.follows_per_volunteer if cfg else 0
    drawn = _random_members(world, "campaign_volunteers", per, "volunteer_follows", lo, hi)
    if drawn is None:
        return None
    follower, followee, rng = drawn
    reg = world.registry
    # Mostly at the event and on the way home, once both accounts exist.
    first = np.maximum(reg.created[follower], reg.created[followee])
    t = np.minimum(first + rng.exponential(2 * HOUR, len(first)).astype(np.int64), world.t_end - 1)
    return Follows(reg.platform[follower], follower, followee, t)


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
    out += _newsroom(world, day)
    out += _agency(world, day)
    out += _volunteers(world, day)
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
                records.text_posts(
                    world, who[rows], t[rows], langs, texts, [[e["url"]]] * len(rows)
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
        posts = records.text_posts(world, author, t, reg.lang[author], texts, [[] for _ in texts])
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
    return [records.responses(world, posts, target, who, t, K_SHARE)]


def _fandom(world, day: int) -> list[Acts]:
    st: NegativesState = world.negatives
    cfg = world.scenario.negatives.fandom
    if cfg is None:  # not in this scenario
        return []
    fans = st.members.get("fandom")
    return _floods(
        world, day, "fandom", st.floods, fans, cfg, cfg.posts_per_fan, content.FANDOM_CHANTS
    )


def _fan_club(world, day: int) -> list[Acts]:
    st: NegativesState = world.negatives
    cfg = world.scenario.negatives.fan_club
    if cfg is None:  # not in this scenario
        return []
    members = st.members.get("fan_club")
    # The idols (popular accounts the club boosts) belong to the group but do not chant.
    fans = None if members is None else members[~np.isin(members, st.idols)]
    chants = content.FAN_CLUB_CHANTS
    return _floods(
        world, day, "fan_club", st.club_floods, members, cfg, cfg.posts_per_member, chants, fans
    )


def _floods(
    world,
    day: int,
    key: str,
    starts: list[int],
    members: np.ndarray | None,
    cfg,
    posts_per_fan: list[int],
    chants: list[str],
    fans: np.ndarray | None = None,
) -> list[Acts]:
    """The floods of a fan group (``members``; ``fans`` of them chant, all by default) that
    start on ``day``, each with the random stream of its own number."""
    out: list[Acts] = []
    if members is None or not len(members):
        return out
    for i, start in enumerate(starts):
        if _in_day(world, day, start):
            rng = world.rng(key, i)
            out += _flood(
                world, rng, members if fans is None else fans, start, cfg, posts_per_fan, chants
            )
    return out


def _flood(
    world,
    rng,
    fans: np.ndarray,
    start: int,
    cfg,
    posts_per_fan: list[int],
    chants: list[str],
) -> list[Acts]:
    """Fans flood ``cfg.hashtags`` with chants for ``cfg.flood_hours`` from ``start`` (most
    early on) and re-share each other."""
    hours, hashtags, retweet_rate = cfg.flood_hours, cfg.hashtags, cfg.retweet_rate
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
    posts = records.text_posts(world, author, t, langs, texts, [[] for _ in texts])
    return [posts, *_reshare_each_other(world, rng, posts, retweet_rate, 5 * 60)]


# -- groups with several kinds of evidence at once ---------------------------------------


def _region(world, name: str) -> tuple[int, int, str]:
    """Index, UTC offset (minutes) and main language of a scenario region."""
    regions = world.layout.regions
    r = [x.name for x in regions].index(name)
    langs = regions[r].languages
    return r, parse_offset(regions[r].utc_offset), max(langs, key=lambda k: langs[k])


def _block(rng: np.random.Generator, first: int) -> tuple[int, int, int]:
    """A /24 of a business network (the first octet fixed by the caller)."""
    return first, int(rng.integers(1, 255)), int(rng.integers(1, 255))


def _existing_handles(world, idx: np.ndarray) -> list[str]:
    reg = world.registry
    return identity.handles(world.seed, idx, reg.style[idx], reg.lang[idx]).to_pylist()


def _setup_newsroom(world, st: NegativesState, carve, free: np.ndarray) -> None:
    cfg = world.scenario.negatives.newsroom
    reg = world.registry
    lay = world.layout
    rng = world.rng("negatives", "newsroom")
    r, off, lang = _region(world, cfg.region)
    domains = [d for d, _ in world.outlets]
    if cfg.outlet:
        o = domains.index(cfg.outlet)
    else:
        same = [i for i, (_, ol) in enumerate(world.outlets) if ol == lang]
        o = same[0] if same else 0
    domain, olang = world.outlets[o]
    everyone = np.arange(lay.end, dtype=np.int64)
    base = everyone[
        (reg.region[: lay.end] == r)
        & np.isin(reg.platform[: lay.end], [P[p] for p in cfg.platforms])
    ]
    # Journalists write in their outlet's language when the region has enough of them.
    cand = base[reg.lang[base] == LANGUAGES.index(olang)]
    if int(free[cand].sum()) < cfg.staff:
        cand = base
    staff = carve("newsroom", cand, cfg.staff, rng)
    n = len(staff)
    handles = _existing_handles(world, staff)
    for i, k in enumerate(staff):
        bios = content.NEWSROOM_BIOS.get(LANGUAGES[int(reg.lang[k])], content.NEWSROOM_BIOS["en"])
        reg.overrides[int(k)] = {
            "handle": handles[i],
            "description": bios[int(rng.integers(len(bios)))].format(outlet=domain),
        }
    reg.bio[staff] = BIO_OVERRIDE
    office = rng.random(n) < cfg.office_network_share
    a, b, c = _block(rng, 193)
    hosts = 10 + rng.integers(0, 8, int(office.sum()))  # the office's few egress addresses
    ips = np.column_stack([np.full(len(hosts), x) for x in (a, b, c)] + [hosts])
    st.infra.append((staff[office], ips.astype(np.int64), None, None))
    st.newsroom = {
        "outlet": domain,
        "region": cfg.region,
        "office_block": f"{a}.{b}.{c}.0/24",
        "office_accounts": int(office.sum()),
        "hours": cfg.hours,
        "articles_shared": 0,
        "_outlet": o,
        "_offset": off,
        # Each journalist's own shift: starts up to an hour early or 90 minutes late, and
        # their own appetite for posting.
        "_shift": rng.integers(-60, 91, n),
        "_rate": np.exp(rng.normal(-0.125, 0.5, n)),
    }


def _workday(world, day: int) -> bool:
    return bool(weekday(world.t_start + day * DAY) < 5)


def _office_minutes(rng, n: int, hours: list[str], lunch: list[str]) -> np.ndarray:
    """Minutes after local midnight in office hours, a quarter as many in the lunch break."""
    h0, h1 = (parse_clock(x) for x in hours)
    l0, l1 = (parse_clock(x) for x in lunch)
    minute = np.arange(h0, h1)
    w = np.where((minute >= l0) & (minute < l1), 0.25, 1.0)
    cdf = np.cumsum(w) / w.sum()
    return minute[np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(minute) - 1)]


def _newsroom(world, day: int) -> list[Acts]:
    st: NegativesState = world.negatives
    staff = st.members.get("newsroom")
    if staff is None or not len(staff) or not _workday(world, day):
        return []
    cfg = world.scenario.negatives.newsroom
    reg = world.registry
    nr = st.newsroom
    rng = world.rng("newsroom", day)
    off, shift = nr["_offset"], nr["_shift"]
    local0 = world.t_start + day * DAY - off * 60  # local midnight of this day, in UTC
    out: list[Acts] = []
    # Their own reporting and chatter, at their desks.
    k = rng.poisson(cfg.posts_per_workday * nr["_rate"])
    who = np.repeat(np.arange(len(staff)), k)
    if len(who):
        minute = _office_minutes(rng, len(who), cfg.hours, cfg.lunch) + shift[who]
        t = local0 + minute * 60 + rng.integers(0, 60, len(who))
        out.append(make_posts(world, rng, staff[who], t, day))
    # The outlet's articles published while each one is at work, shared within minutes.
    h0, h1 = (parse_clock(x) for x in cfg.hours)
    pubs, urls, heads, langs = [], [], [], []
    for d in (day - 1, day, day + 1):
        if not 0 <= d < world.days:
            continue
        arts = world.articles(d)
        mine = np.flatnonzero(arts.outlet == nr["_outlet"])
        pubs.append(arts.published[mine])
        urls += arts.original.take(pa.array(mine)).to_pylist()
        heads += arts.headline.take(pa.array(mine)).to_pylist()
        langs.append(arts.lang[mine])
    if not pubs:
        return out
    pub = np.concatenate(pubs)
    lang = np.concatenate(langs)
    minute = (pub - local0) // 60  # minutes after this local midnight
    at_work = (minute[None, :] >= h0 + shift[:, None]) & (minute[None, :] < h1 + shift[:, None])
    take = at_work & (rng.random(at_work.shape) < cfg.share_rate)
    who, art = np.nonzero(take)
    delay = np.maximum(30, cfg.median_delay_minutes * 60 * np.exp(rng.normal(0, 0.8, len(who))))
    t = pub[art] + delay.astype(np.int64)
    keep = t < world.t_end
    who, art, t = who[keep], art[keep], t[keep]
    if not len(who):
        return out
    author = staff[who]
    own = content.random_texts(rng, reg.lang[author], rng.integers(3, 14, len(who))).to_pylist()
    headline = rng.random(len(who)) < cfg.headline_rate
    texts = [
        f"{heads[a]} {urls[a]}" if headline[j] else f"{own[j]} {urls[a]}" for j, a in enumerate(art)
    ]
    nr["articles_shared"] += len(who)
    langs = np.where(headline, lang[art], reg.lang[author])
    out.append(records.text_posts(world, author, t, langs, texts, [[urls[a]] for a in art]))
    return out


# Devices of an agency's office (its people's laptops and the office phone).
_AGENCY_DEVICES = ["Safari on macOS", "Chrome on macOS", "iPhone 15 Pro", "Chrome on Windows"]
_AGENCY_NAMES = ["brightpath-social", "hivemind-media", "northstar-digital", "pixel-and-post"]
_BRAND_KIND = {"facebook": "page", "youtube": "channel", "telegram": "channel"}
_AGENCY_SHARES = {P["facebook"], P["x"], P["tiktok"], P["telegram"]}  # a share exists there


def _setup_agency(world, st: NegativesState) -> None:
    cfg = world.scenario.negatives.marketing_agency
    reg = world.registry
    rng = world.rng("negatives", "marketing_agency")
    r, off, lang = _region(world, cfg.region)
    region = world.layout.regions[r]
    trades = list(content.BRAND_TRADES)
    grid = len(content.BRAND_NAMES) * len(trades)
    pick = rng.permutation(grid)
    brands = []
    for c in range(cfg.clients):
        trade = trades[pick[c % grid] % len(trades)]
        name = f"{content.BRAND_NAMES[pick[c % grid] // len(trades)]} {trade}"
        if c >= grid:
            name += f" {c // grid + 1}"
        slug = "".join(ch for ch in name.lower().replace("&", "and") if ch.isalnum())
        city = region.cities[c % len(region.cities)] if region.cities else region.country
        bio = content.BRAND_TRADES[trade].format(year=int(rng.integers(1985, 2019)))
        brands.append(
            {"name": name, "slug": slug, "domain": f"{slug}.com", "city": city, "bio": bio}
        )
    plats = [P[p] for p in cfg.platforms]
    n = len(brands) * len(plats)
    brand = np.repeat(np.arange(len(brands)), len(plats))
    platform = np.tile(plats, len(brands))
    kinds = np.array(
        [KINDS.index(_BRAND_KIND.get(PLATFORMS[p], "account")) for p in platform], dtype=np.int8
    )
    idx = reg.add(
        n,
        platform=platform,
        kind=kinds,
        created=world.t_start - rng.integers(365, 3000, n) * DAY - rng.integers(0, DAY, n),
        offset=off,
        lang=LANGUAGES.index(lang),
        region=r,
        profile=PROFILE_NAMES.index("flat"),
        group=G["marketing_agency"],
        role=np.where(kinds == KINDS.index("account"), ROLES.index("user"), kinds),
        style=identity.HANDLE_STYLES.index("page"),
        bio=BIO_OVERRIDE,
        out_k=0,
    )
    site = {"facebook": "https://facebook.com/", "x": "https://x.com/"}
    for i, k in enumerate(idx):
        b = brands[int(brand[i])]
        pname = PLATFORMS[int(platform[i])]
        handle = {
            "x": b["name"].replace(" ", "").replace("&", "And"),
            "tiktok": f"{b['slug']}.official",
            "instagram": f"{b['slug']}_",
        }.get(pname, b["slug"])
        reg.overrides[int(k)] = {
            "handle": handle,
            "display_name": b["name"],
            "description": f"{b['bio']} 📍 {b['city']}",
            "url": site.get(pname, f"https://{b['domain']}/") + (handle if pname in site else ""),
        }
    agency = _AGENCY_NAMES[int(rng.integers(len(_AGENCY_NAMES)))]
    a, bb, c = _block(rng, 198)
    devices = list(rng.choice(_AGENCY_DEVICES, 3, replace=False))
    hosts = 20 + rng.integers(0, 4, n)
    ips = np.column_stack([np.full(n, a), np.full(n, bb), np.full(n, c), hosts])
    # Half the accounts were made with the agency's address, half with the client's.
    emails = [
        f"{agency}.com" if rng.random() < 0.5 else brands[int(brand[i])]["domain"] for i in range(n)
    ]
    st.infra.append(
        (idx, ips.astype(np.int64), [devices[int(x)] for x in rng.integers(0, 3, n)], emails)
    )
    st.members["marketing_agency"] = idx
    st.agency = {
        "agency": agency,
        "region": cfg.region,
        "clients": [{"name": b["name"], "domain": b["domain"]} for b in brands],
        "office_block": f"{a}.{bb}.{c}.0/24",
        "devices": devices,
        "posts": 0,
        "cross_promotions": 0,
        "_brand": brand,
        "_brands": brands,
        "_offset": off,
    }


def _agency_follows(world) -> list[Follows]:
    """People follow the brands; the agency's brands follow each other on each platform."""
    st: NegativesState = world.negatives
    idx = st.members.get("marketing_agency")
    if idx is None or not len(idx):
        return []
    reg = world.registry
    rng = world.rng("negatives", "agency_follows")
    k = rng.integers(30, 300, len(idx))
    followee = np.repeat(idx, k)
    follower = sample_ordinary(world, rng, reg.platform[followee].astype(np.int64))
    ok = follower >= 0
    follower, followee = follower[ok], followee[ok]
    a, b = np.meshgrid(idx, idx, indexing="ij")
    same = (reg.platform[a] == reg.platform[b]) & (a != b)
    follower = np.concatenate([follower, a[same]])
    followee = np.concatenate([followee, b[same]])
    t = _times(world, rng, follower, followee)
    return [unique_follows(Follows(reg.platform[followee], follower, followee, t))]


def _agency(world, day: int) -> list[Acts]:
    st: NegativesState = world.negatives
    idx = st.members.get("marketing_agency")
    if idx is None or not len(idx) or not _workday(world, day):
        return []
    cfg = world.scenario.negatives.marketing_agency
    reg = world.registry
    ag = st.agency
    rng = world.rng("marketing_agency", day)
    local0 = world.t_start + day * DAY - ag["_offset"] * 60
    h0, h1 = (parse_clock(x) for x in cfg.hours)
    q0, q1 = -(-h0 // 15), h1 // 15  # the tool posts on quarter hours
    k = rng.poisson(cfg.posts_per_client_day, len(idx))
    row = np.repeat(np.arange(len(idx)), k)
    if not len(row):
        return []
    author = idx[row]
    quarter = rng.integers(q0, max(q1, q0 + 1), len(row))
    t = local0 + quarter * 15 * 60 + rng.integers(0, 20, len(row))  # the tool's few seconds
    lang = LANGUAGES[int(reg.lang[idx[0]])]
    templates = content.AGENCY_TEMPLATES.get(lang, content.AGENCY_TEMPLATES["en"])
    wd = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][
        int(weekday(world.t_start + day * DAY))
    ]
    texts, links = [], []
    for rr in row:
        b = ag["_brands"][int(ag["_brand"][rr])]
        extra = rng.choice(content.AGENCY_TAGS, int(rng.integers(1, 3)), replace=False)
        tags = " ".join(["#" + b["name"].replace(" ", "").replace("&", "And"), *extra])
        text = templates[int(rng.integers(len(templates)))].format(
            client=b["name"],
            pct=int(rng.choice([10, 15, 20, 25, 30, 40, 50])),
            weekday=wd,
            tags=tags,
        )
        link = []
        if rng.random() < cfg.link_rate:
            url = (
                f"https://{b['domain']}/{rng.choice(['sale', 'offers', 'jobs', 'giveaway', 'new'])}"
            )
            text = f"{text} {url}"
            link = [url]
        texts.append(text)
        links.append(link)
    media = media_lists(rng, np.ones(len(row), dtype=bool))
    posts = records.text_posts(world, author, t, reg.lang[author], texts, links, media=media)
    out = [posts]
    ag["posts"] += len(posts)
    # Cross-promotion: another client on the same platform shares the post, on a later
    # quarter hour of the tool's queue.
    promote = np.flatnonzero(
        (rng.random(len(row)) < cfg.cross_promote_rate)
        & np.isin(posts.platform, list(_AGENCY_SHARES))
    )
    who, target = [], []
    for j in promote:
        same = idx[(reg.platform[idx] == posts.platform[j]) & (idx != posts.author[j])]
        if len(same):
            who.append(int(same[int(rng.integers(len(same)))]))
            target.append(j)
    if who:
        target_a = np.asarray(target, dtype=np.int64)
        later = quarter[target_a] + rng.integers(1, 9, len(who))
        ok = later < max(q1, q0 + 1)  # the tool's queue ends with the office day
        who_a, target_a, later = np.asarray(who)[ok], target_a[ok], later[ok]
        ts = local0 + later * 15 * 60 + rng.integers(0, 20, len(who_a))
        out.append(records.responses(world, posts, target_a, who_a, ts, K_SHARE))
        ag["cross_promotions"] += len(who_a)
    return out


def _setup_volunteers(world, st: NegativesState, carve) -> None:
    cfg = world.scenario.negatives.campaign_volunteers
    reg = world.registry
    lay = world.layout
    rng = world.rng("negatives", "campaign_volunteers")
    r, off, _ = _region(world, cfg.region)
    everyone = np.arange(lay.end, dtype=np.int64)
    plat = reg.platform[: lay.end].astype(np.int64)
    # People who only now make an account are the newest on their platform (accounts are
    # numbered in the order they joined), so they do not get the oldest accounts' audience.
    newest = (everyone - lay.start[plat]) >= lay.size[plat] // 2
    cand = everyone[(reg.region[: lay.end] == r) & np.isin(plat, [P[p] for p in cfg.platforms])]
    cand = cand[newest[cand]]
    members = carve("campaign_volunteers", cand, cfg.volunteers, rng)
    n = len(members)
    event = world.t_start + cfg.event_day * DAY + (parse_clock(cfg.event_time) - off) * 60
    created = event + (rng.random(n) * cfg.signup_minutes * 60).astype(np.int64)
    # Follows are timed between creation and the world's end: keep that span non-empty.
    reg.created[members] = np.minimum(created, world.t_end - HOUR)
    wifi = rng.random(n) < cfg.event_wifi_share
    a, b, c = _block(rng, 172)
    host = int(rng.integers(2, 250))
    ips = np.tile(np.array([a, b, c, host], dtype=np.int64), (int(wifi.sum()), 1))
    st.infra.append((members[wifi], ips, None, None))
    last = int(reg.created[members].max()) if n else event
    slots = sorted(
        world.t_start + d * DAY + (parse_clock(x) - off) * 60
        for d in cfg.days
        for x in cfg.local_times
        if 0 <= d < world.days
    )
    st.volunteers = {
        "hashtag": cfg.hashtag,
        "region": cfg.region,
        "event": _iso(event),
        "signup_minutes": cfg.signup_minutes,
        "event_wifi_ip": f"{a}.{b}.{c}.{host}",
        "event_wifi_accounts": int(wifi.sum()),
        "slots": [_iso(t) for t in slots if t > last],
        "_slots": [t for t in slots if t > last],
    }


def _volunteers(world, day: int) -> list[Acts]:
    st: NegativesState = world.negatives
    members = st.members.get("campaign_volunteers")
    if members is None or not len(members):
        return []
    cfg = world.scenario.negatives.campaign_volunteers
    reg = world.registry
    out: list[Acts] = []
    for i, slot in enumerate(st.volunteers["_slots"]):
        if not _in_day(world, day, slot):
            continue
        rng = world.rng("campaign_volunteers", i)
        # Most of them turn out for each call, some post more than once.
        here = members[rng.random(len(members)) < 0.85]
        author = np.repeat(here, rng.integers(1, cfg.posts_per_slot + 1, len(here)))
        t = slot + (cfg.window_minutes * 60 * rng.random(len(author)) ** 1.5).astype(np.int64)
        prefix = content.random_texts(
            rng, reg.lang[author], rng.integers(2, 7, len(author))
        ).to_pylist()
        texts, links = [], []
        for j, k in enumerate(author):
            kit = cfg.toolkit or content.CAMPAIGN_TOOLKIT.get(
                LANGUAGES[int(reg.lang[k])], content.CAMPAIGN_TOOLKIT["en"]
            )
            base = kit[int(rng.integers(len(kit)))].format(tag=cfg.hashtag)
            text = f"{prefix[j]} {base}" if rng.random() < 0.3 else base
            texts.append(text)
            links.append(re.findall(r"https?://\S+", text))
        posts = records.text_posts(world, author, t, reg.lang[author], texts, links)
        out.append(posts)
        out += _reshare_each_other(world, rng, posts, cfg.retweet_rate, 10 * 60)
    return out


def infrastructure_overrides(
    world, idx: np.ndarray, octs: list[np.ndarray], devices: list, emails: list
) -> None:
    """Sign-ups on a hard-negative group's shared network (an office block, an event's
    Wi-Fi), written over one block of ordinary sign-up records in place."""
    st: NegativesState = world.negatives
    if not st.infra or not len(idx):
        return
    lo, hi = int(idx[0]), int(idx[-1]) + 1
    for members, ips, devs, mails in st.infra:
        sel = np.flatnonzero((members >= lo) & (members < hi))
        pos = members[sel] - lo
        for j in range(4):
            octs[j][pos] = ips[sel, j]
        for i, p in zip(sel, pos, strict=True):
            if devs is not None:
                devices[p] = devs[i]
            if mails is not None:
                emails[p] = mails[i]


__all__ = [
    "NegativesState",
    "day_events",
    "day_posts",
    "follows",
    "infrastructure_overrides",
    "make_posts",
    "sample_popular",
    "setup",
]
