"""Scenarios: TOML files that describe a synthetic world, read into checked dataclasses.

A scenario names the population, the hard negatives and the planted operations with every
knob that shapes them (``docs/simulator.md`` explains each one). Unknown keys, wrong types
and out-of-range values are errors that name the offending key, so a typo in an edited copy
is never silently ignored. Keys left out keep their defaults.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import json
import math
import tomllib
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from unmask.errors import InputError

PLATFORMS = (
    "facebook",
    "instagram",
    "x",
    "youtube",
    "tiktok",
    "reddit",
    "medium",
    "blog",
    "telegram",
)
KINDS = ("account", "page", "group", "channel", "blog")
LANGUAGES = ("en", "zh", "ja", "es", "de", "fr", "pt", "ru", "ko")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DELIVERIES = ("burst", "slow")


class ScenarioError(InputError, ValueError):
    """A scenario file that cannot be used, with the key that is wrong."""


def _scaled(minimum: int = 1) -> dict[str, Any]:
    """Field metadata of a count that ``--scale`` multiplies (never below ``minimum``)."""
    return {"scale": True, "minimum": minimum}


# -- the world and its people ------------------------------------------------------------


@dataclass
class WorldConfig:
    name: str = "unnamed"
    description: str = ""
    start: str = "2024-03-04"  # first day (UTC midnight); a Monday reads best
    days: int = 14
    chunk_rows: int = 400_000  # rows held in memory before they are written
    infrastructure: bool = True  # write the optional infrastructure table
    # Write the accounts' profiles (creation time, bio, picture, location, profile link);
    # exports for researchers often have only handles and names.
    profiles: bool = True
    # Write who follows whom (the accounts keep their follower counts either way); exports
    # of posts have no follow graph.
    follows: bool = True

    def check(self, where: str) -> None:
        _positive(self.days, f"{where}.days")
        _positive(self.chunk_rows, f"{where}.chunk_rows")


@dataclass
class Region:
    name: str
    utc_offset: str  # "+08:00"
    weight: float
    languages: dict[str, float]
    country: str = "US"
    cities: list[str] = field(default_factory=list)

    def check(self, where: str) -> None:
        from unmask.simulate.timing import parse_offset

        parse_offset(self.utc_offset, f"{where}.utc_offset")
        _weights(self.languages, f"{where}.languages", LANGUAGES)


@dataclass
class Population:
    users: int = field(default=5_000, metadata=_scaled(50))
    platforms: dict[str, float] = field(
        default_factory=lambda: {
            "facebook": 0.25,
            "instagram": 0.14,
            "x": 0.2,
            "youtube": 0.08,
            "tiktok": 0.1,
            "reddit": 0.08,
            "medium": 0.03,
            "blog": 0.04,
            "telegram": 0.08,
        }
    )
    kinds: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            "facebook": {"account": 0.88, "page": 0.08, "group": 0.04},
            "youtube": {"account": 0.8, "channel": 0.2},
            "telegram": {"account": 0.8, "channel": 0.2},
            "medium": {"account": 0.6, "blog": 0.4},
            "blog": {"blog": 1.0},
        }
    )
    regions: list[Region] = field(default_factory=list)
    profiles: dict[str, float] = field(
        default_factory=lambda: {"typical": 0.6, "night_owl": 0.2, "early_bird": 0.2}
    )
    posts_per_user_day: float = 0.5
    responses_per_user_day: float = 1.0
    activity_sigma: float = 1.3  # lognormal spread of activity: the heavy tail
    lurker_share: float = 0.25  # users who almost never post
    follows_per_user: float = 25.0
    follow_exponent: float = 2.0  # preferential attachment (2 = Barabási–Albert)
    max_account_age_days: int = 4_000
    engagement_exponent: float = 0.9  # engagement ∝ (followers + 5) ** this
    link_rate: float = 0.12
    hashtag_rate: float = 0.2
    media_rate: float = 0.2
    evergreen_hashtags: int = 80
    trending_hashtags_per_day: int = 6
    trend_days: int = 2
    articles_per_outlet_day: int = 12
    news_outlets: list[str] = field(default_factory=list)  # empty: the built-in list
    pool_per_day: int = 200_000  # recent posts kept as reply/reaction targets

    def check(self, where: str) -> None:
        _weights(self.platforms, f"{where}.platforms", PLATFORMS)
        for p, kinds in self.kinds.items():
            _in(p, PLATFORMS, f"{where}.kinds")
            _weights(kinds, f"{where}.kinds.{p}", KINDS)
        if not self.regions:
            raise ScenarioError(f"{where}.regions: at least one region is needed")
        for i, r in enumerate(self.regions):
            r.check(f"{where}.regions[{i}]")
        from unmask.simulate.timing import PROFILES

        _weights(self.profiles, f"{where}.profiles", tuple(PROFILES))
        _shares(self, where, "lurker_share", "link_rate", "hashtag_rate", "media_rate")
        _positive(self.follow_exponent, f"{where}.follow_exponent")


# -- hard negatives ----------------------------------------------------------------------


@dataclass
class OfficeWorkers:
    region: str = "east_asia_utc8"
    share: float = 0.5  # of that region's ordinary accounts

    def check(self, where: str) -> None:
        _shares(self, where, "share")


@dataclass
class BreakingNews:
    events: int = 2
    group_size: int = field(default=1_500, metadata=_scaled(20))
    participants: int = field(
        default=1_000, metadata=_scaled(10)
    )  # per event, drawn from the group
    median_delay_minutes: float = 6.0
    headline_copy_rate: float = 0.35  # share the article's headline verbatim
    share_rate: float = 0.25  # re-share the outlet's own post

    def check(self, where: str) -> None:
        _shares(self, where, "headline_copy_rate", "share_rate")


@dataclass
class ActivistCampaign:
    participants: int = field(default=400, metadata=_scaled(10))
    region: str = "central_europe"
    days: list[int] = field(default_factory=lambda: [2, 5, 9])
    local_time: str = "18:00"
    window_minutes: float = 40.0
    posts_per_slot: int = 2
    retweet_rate: float = 0.5
    hashtag: str = "#SaveTheOder"
    platforms: list[str] = field(default_factory=lambda: ["x", "facebook", "instagram"])
    toolkit: list[str] = field(default_factory=list)  # empty: built-in texts

    def check(self, where: str) -> None:
        for p in self.platforms:
            _in(p, PLATFORMS, f"{where}.platforms")
        _shares(self, where, "retweet_rate")


@dataclass
class NewsBots:
    bots: int = field(default=12, metadata=_scaled(2))
    platforms: list[str] = field(default_factory=lambda: ["x", "telegram", "facebook"])
    max_delay_seconds: float = 150.0

    def check(self, where: str) -> None:
        for p in self.platforms:
            _in(p, PLATFORMS, f"{where}.platforms")


@dataclass
class Fandom:
    fans: int = field(default=800, metadata=_scaled(10))
    floods: int = 2
    flood_hours: float = 3.0
    posts_per_fan: list[int] = field(default_factory=lambda: [3, 20])
    retweet_rate: float = 0.6
    follows_per_fan: int = 15
    hashtags: list[str] = field(default_factory=lambda: ["#NOVA7_COMEBACK", "#NOVA7"])
    platforms: list[str] = field(default_factory=lambda: ["x", "tiktok", "instagram"])

    def check(self, where: str) -> None:
        for p in self.platforms:
            _in(p, PLATFORMS, f"{where}.platforms")
        _shares(self, where, "retweet_rate")


@dataclass
class FanClub:
    """Fans of an idol who flood its hashtags together and buy it (and themselves)
    followers from a vendor: two kinds of evidence, both authentic."""

    members: int = field(default=300, metadata=_scaled(10))
    idol: int = 2  # popular ordinary accounts (a page on facebook) the club is about
    floods: int = 2
    flood_hours: float = 3.0
    posts_per_member: list[int] = field(default_factory=lambda: [2, 10])
    retweet_rate: float = 0.5
    hashtags: list[str] = field(default_factory=lambda: ["#LUMI_DAY", "#StreamLumi"])
    platforms: list[str] = field(default_factory=lambda: ["facebook", "x", "instagram"])
    vendor: str = ""  # the [vendors.NAME] it buys followers from (required)
    boosted_share: float = 0.2  # members who also buy followers for themselves
    purchases: list[int] = field(default_factory=lambda: [1, 2])
    burst_size: list[int] = field(default_factory=lambda: [30, 150])

    def check(self, where: str) -> None:
        if not self.platforms:
            raise ScenarioError(f"{where}.platforms: must not be empty")
        for p in self.platforms:
            _in(p, PLATFORMS, f"{where}.platforms")
        _shares(self, where, "retweet_rate", "boosted_share")
        _range(self.posts_per_member, f"{where}.posts_per_member")
        _range(self.purchases, f"{where}.purchases")
        _range(self.burst_size, f"{where}.burst_size")
        _positive(self.flood_hours, f"{where}.flood_hours")
        if self.idol < 1:
            raise ScenarioError(f"{where}.idol: must be ≥ 1, got {self.idol}")


@dataclass
class Newsroom:
    """Journalists of one outlet: office network, office hours, its articles within minutes."""

    staff: int = field(default=40, metadata=_scaled(3))
    region: str = "uk"
    outlet: str = ""  # a domain of the world's outlets; "" = the first in the region's language
    platforms: list[str] = field(default_factory=lambda: ["x", "facebook"])
    office_network_share: float = 0.7  # staff whose sign-up came from the office block
    hours: list[str] = field(default_factory=lambda: ["09:00", "18:00"])
    lunch: list[str] = field(default_factory=lambda: ["12:30", "13:30"])
    posts_per_workday: float = 1.0  # own work posts (besides the outlet's articles)
    share_rate: float = 0.35  # of the outlet's articles published while one is at work
    median_delay_minutes: float = 8.0
    headline_rate: float = 0.6  # shares that carry the headline verbatim
    follows_colleagues: float = 0.5  # share of colleagues (same platform) each one follows

    def check(self, where: str) -> None:
        for p in self.platforms:
            _in(p, PLATFORMS, f"{where}.platforms")
        _shares(
            self, where, "office_network_share", "share_rate", "headline_rate", "follows_colleagues"
        )
        _clock_range(self.hours, f"{where}.hours")
        _clock_range(self.lunch, f"{where}.lunch")
        _positive(self.median_delay_minutes, f"{where}.median_delay_minutes")
        _positive(self.posts_per_workday, f"{where}.posts_per_workday", zero=True)


@dataclass
class MarketingAgency:
    """A social-media agency running its clients' brand accounts from one office."""

    clients: int = field(default=8, metadata=_scaled(2))  # brands; each on every platform
    region: str = "us_east"
    platforms: list[str] = field(default_factory=lambda: ["facebook", "instagram", "x", "tiktok"])
    hours: list[str] = field(default_factory=lambda: ["08:00", "19:00"])
    posts_per_client_day: float = 1.5  # per brand account and working day
    cross_promote_rate: float = 0.3  # posts shared by another client of the agency
    link_rate: float = 0.4  # posts linking to the brand's site

    def check(self, where: str) -> None:
        for p in self.platforms:
            _in(p, PLATFORMS, f"{where}.platforms")
        if not self.platforms:
            raise ScenarioError(f"{where}.platforms: must not be empty")
        _clock_range(self.hours, f"{where}.hours")
        _positive(self.posts_per_client_day, f"{where}.posts_per_client_day", zero=True)
        _shares(self, where, "cross_promote_rate", "link_rate")


@dataclass
class CampaignVolunteers:
    """Volunteers who signed up together at a campaign event and post its toolkit."""

    volunteers: int = field(default=80, metadata=_scaled(5))
    region: str = "us_east"
    platforms: list[str] = field(default_factory=lambda: ["x", "facebook", "instagram"])
    event_day: int = -2  # day of the sign-up event (negative: before the world starts)
    event_time: str = "19:00"  # local
    signup_minutes: float = 45.0
    event_wifi_share: float = 0.6  # volunteers whose sign-up came from the event's Wi-Fi
    days: list[int] = field(default_factory=lambda: [3, 7, 10])
    local_times: list[str] = field(default_factory=lambda: ["12:00", "20:00"])
    window_minutes: float = 30.0
    posts_per_slot: int = 1
    retweet_rate: float = 0.6
    follows_per_volunteer: int = 6  # other volunteers (same platform) each follows
    hashtag: str = "#Whitfield4Senate"
    toolkit: list[str] = field(default_factory=list)  # empty: built-in texts; "{tag}" = hashtag

    def check(self, where: str) -> None:
        for p in self.platforms:
            _in(p, PLATFORMS, f"{where}.platforms")
        from unmask.simulate.timing import parse_clock

        parse_clock(self.event_time, f"{where}.event_time")
        for t in self.local_times:
            parse_clock(t, f"{where}.local_times")
        _positive(self.signup_minutes, f"{where}.signup_minutes")
        _positive(self.window_minutes, f"{where}.window_minutes")
        _shares(self, where, "event_wifi_share", "retweet_rate")
        _positive(self.follows_per_volunteer, f"{where}.follows_per_volunteer", zero=True)
        if self.posts_per_slot < 1:
            raise ScenarioError(f"{where}.posts_per_slot: must be ≥ 1, got {self.posts_per_slot}")


@dataclass
class Negatives:
    office_workers_utc8: OfficeWorkers | None = None
    breaking_news: BreakingNews | None = None
    activist_campaign: ActivistCampaign | None = None
    news_bots: NewsBots | None = None
    fandom: Fandom | None = None
    fan_club: FanClub | None = None
    newsroom: Newsroom | None = None
    marketing_agency: MarketingAgency | None = None
    campaign_volunteers: CampaignVolunteers | None = None


# -- follower vendors --------------------------------------------------------------------


@dataclass
class Vendor:
    """A commercial follower vendor: its accounts are authentic-looking and sell follows to
    operations and to ordinary people alike."""

    pool: dict[str, int] = field(
        metadata=_scaled(), default_factory=lambda: {"x": 600, "facebook": 400, "instagram": 200}
    )
    aged_share: float = 0.5  # accounts made years ago, with pictures, bios and a few posts
    posts_per_account: list[int] = field(default_factory=lambda: [2, 12])  # aged, over the world
    customers: int = field(default=40, metadata=_scaled(1))  # ordinary accounts that buy
    customer_followers: list[int] = field(default_factory=lambda: [30, 200])  # per customer
    customer_slow_share: float = 0.5  # customers whose followers arrive slowly
    delivery_days: float = 10.0  # spread of a slow delivery
    camouflage_follows: int = 8  # popular ordinary accounts each vendor account follows
    own_infrastructure: float = 0.3  # share of its sign-ups through its own proxies

    def check(self, where: str) -> None:
        for p in self.pool:
            _in(p, PLATFORMS, f"{where}.pool")
        _shares(self, where, "aged_share", "customer_slow_share", "own_infrastructure")
        _range(self.posts_per_account, f"{where}.posts_per_account")
        _range(self.customer_followers, f"{where}.customer_followers")
        _positive(self.delivery_days, f"{where}.delivery_days")


# -- planted operations ------------------------------------------------------------------


@dataclass
class Evasion:
    """Knobs that make an operation harder to see; every operation has them."""

    timing_jitter_s: float = 600.0  # spread of coordinated actions (working-time seconds)
    paraphrase_rate: float = 0.0  # copies that are paraphrased instead of copied
    camouflage: float = 0.0  # share of actions spent on popular organic content
    schedule_spread: float = 0.0  # share of actions at random times, off the schedule
    aged_accounts: float = 0.0  # share of accounts bought aged instead of made new
    # Share of sign-ups through the operation's own proxies; the rest look residential.
    own_infrastructure: float = 0.7
    # How far a paraphrase moves from the message: 0 = a light rewording (another phrasing,
    # closer, a few synonyms); 1 = reordered, most words swapped, clauses added and dropped.
    paraphrase_strength: float = 0.0
    # How coordinated actions are delayed from their start (``DELAY_SHAPES``).
    delay_shape: str = "exponential"
    delay_wait_s: float = 1800.0  # wait_burst: working seconds before the burst
    single_shot: float = 0.0  # share of posts made by throwaway accounts (1–2 actions each)

    def check(self, where: str) -> None:
        _positive(self.timing_jitter_s, f"{where}.timing_jitter_s", zero=True)
        _shares(
            self,
            where,
            "paraphrase_rate",
            "camouflage",
            "schedule_spread",
            "aged_accounts",
            "own_infrastructure",
            "paraphrase_strength",
            "single_shot",
        )
        _in(self.delay_shape, DELAY_SHAPES, f"{where}.delay_shape")
        _positive(self.delay_wait_s, f"{where}.delay_wait_s", zero=True)


# exponential: each delay drawn anew (scale = the knob that sets it); wait_burst: a fixed
# wait, then all in a tight burst; per_operator: each account keeps its own habitual delay.
DELAY_SHAPES = ("exponential", "wait_burst", "per_operator")


@dataclass
class Teams:
    """Fixed teams of accounts that act together task after task (count 0: no teams)."""

    count: int = 0
    size: list[int] = field(default_factory=lambda: [5, 15])  # relative sizes, drawn per team
    turnout: float = 0.8  # share of a team's members that post a task given to the team

    def check(self, where: str) -> None:
        _positive(self.count, f"{where}.count", zero=True)
        _range(self.size, f"{where}.size")
        if self.size[1] < 1:
            raise ScenarioError(f"{where}.size: teams need at least one member, got {self.size}")
        _shares(self, where, "turnout")


@dataclass
class Translation:
    """Copies posted as machine-translated variants of the task's message."""

    share: float = 0.0  # of a task's copies (0: none, as before the knob existed)
    languages: dict[str, float] = field(default_factory=dict)  # empty: all nine, equally

    def check(self, where: str) -> None:
        _shares(self, where, "share")
        if self.languages:
            _weights(self.languages, f"{where}.languages", LANGUAGES)

    def weights(self) -> dict[str, float]:
        return dict(self.languages) if self.languages else dict.fromkeys(LANGUAGES, 1.0)


@dataclass
class ScheduleConfig:
    utc_offset: str = "+08:00"
    days: list[str] = field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    shifts: list[list[str]] = field(
        default_factory=lambda: [["09:00", "12:00"], ["13:30", "17:30"], ["18:30", "21:30"]]
    )
    profile: str | None = None  # weight times within the shifts by an ordinary daily rhythm

    def check(self, where: str) -> None:
        from unmask.simulate.timing import PROFILES, parse_clock, parse_offset

        parse_offset(self.utc_offset, f"{where}.utc_offset")
        for d in self.days:
            _in(d, DAY_NAMES, f"{where}.days")
        for s in self.shifts:
            if len(s) != 2:
                raise ScenarioError(f"{where}.shifts: each shift is [start, end], got {s!r}")
            a, b = (parse_clock(x, f"{where}.shifts") for x in s)
            if b <= a:
                raise ScenarioError(f"{where}.shifts: {s!r} ends before it starts")
        if self.profile is not None:
            _in(self.profile, tuple(PROFILES), f"{where}.profile")


@dataclass
class FakeFollowers:
    pool: dict[str, int] = field(
        metadata=_scaled(), default_factory=lambda: {"x": 600, "facebook": 400, "instagram": 200}
    )
    buyers_share: float = 0.7  # accounts of the operation that buy followers
    purchases: list[int] = field(default_factory=lambda: [1, 3])
    burst_size: list[int] = field(default_factory=lambda: [40, 250])
    burst_minutes: float = 20.0
    camouflage_follows: int = 8  # popular organic accounts each fake follower follows
    vendor: str = ""  # "": the operation's own pool; else a [vendors.NAME] it buys from
    delivery: str = "burst"  # "burst": within minutes; "slow": over delivery_days
    delivery_days: float = 10.0

    def check(self, where: str) -> None:
        _shares(self, where, "buyers_share")
        _range(self.purchases, f"{where}.purchases")
        _range(self.burst_size, f"{where}.burst_size")
        _in(self.delivery, DELIVERIES, f"{where}.delivery")
        _positive(self.delivery_days, f"{where}.delivery_days")


@dataclass
class Lineage:
    """An operation that comes back after its takedown: fresh accounts, old material."""

    of: str  # the id of the earlier operation (listed before this one, of the same type)
    reuse_content: float = 0.5  # share of messages that are the earlier self's, reposted
    reuse_domains: float = 1.0  # share of the earlier self's own domains used again

    def check(self, where: str) -> None:
        _shares(self, where, "reuse_content", "reuse_domains")


# Operation types that can come back (``lineage``): they have messages or domains to reuse.
LINEAGE_TYPES = ("spamouflage", "doppelganger")


@dataclass
class Operation:
    id: str
    type: str
    start_day: int = 0
    end_day: int | None = None  # exclusive; None = to the end of the world
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    evasion: Evasion = field(default_factory=Evasion)
    languages: dict[str, float] = field(default_factory=lambda: {"en": 1.0})
    real_engagement: float = 0.05  # organic responses per post of the operation
    real_followers: float = 2.0  # organic followers per asset
    lineage: Lineage | None = None  # this is an earlier operation back after its takedown
    translation: Translation = field(default_factory=Translation)

    def check(self, where: str) -> None:
        self.schedule.check(f"{where}.schedule")
        self.evasion.check(f"{where}.evasion")
        self.translation.check(f"{where}.translation")
        _weights(self.languages, f"{where}.languages", LANGUAGES)
        if self.lineage is not None:
            self.lineage.check(f"{where}.lineage")


@dataclass
class Spamouflage(Operation):
    assets: dict[str, dict[str, int]] = field(
        metadata=_scaled(),
        default_factory=lambda: {
            "facebook": {"account": 300, "page": 20, "group": 10},
            "x": {"account": 400},
            "youtube": {"channel": 40},
            "tiktok": {"account": 80},
            "reddit": {"account": 40},
            "instagram": {"account": 60},
            "medium": {"blog": 15},
            "blog": {"blog": 10},
            "telegram": {"channel": 10},
        },
    )
    amplifier_share: float = 0.4
    batch_size: int = 25
    batch_minutes: float = 30.0
    creation_days: int = 120
    handle_styles: dict[str, float] = field(
        default_factory=lambda: {"name_digits": 0.65, "random": 0.35}
    )
    profile_images: int = 40
    image_bit_flip_rate: float = 0.2
    narratives: dict[str, float] = field(
        default_factory=lambda: {"praise_china": 0.35, "attack_us": 0.4, "attack_critics": 0.25}
    )
    tasks_per_workday: float = field(default=40.0, metadata=_scaled())
    copies: list[int] = field(default_factory=lambda: [6, 30])
    typo_rate: float = 0.35
    headline_rate: float = 0.3
    link_rate: float = 0.3
    image_rate: float = 0.4
    hashtag_rate: float = 0.6
    comments_per_post: float = 1.5
    likes_per_post: float = 4.0
    shares_per_post: float = 0.6
    amplify_delay_s: float = 900.0
    internal_follows: int = 6
    fake_followers: FakeFollowers = field(default_factory=FakeFollowers)
    teams: Teams = field(default_factory=Teams)

    def check(self, where: str) -> None:
        super().check(where)
        for p, kinds in self.assets.items():
            _in(p, PLATFORMS, f"{where}.assets")
            for k in kinds:
                _in(k, KINDS, f"{where}.assets.{p}")
        _weights(self.handle_styles, f"{where}.handle_styles", ("name_digits", "random"))
        from unmask.simulate.content import NARRATIVES

        _weights(self.narratives, f"{where}.narratives", tuple(NARRATIVES))
        _range(self.copies, f"{where}.copies")
        _shares(
            self,
            where,
            "amplifier_share",
            "typo_rate",
            "headline_rate",
            "link_rate",
            "image_rate",
            "hashtag_rate",
            "image_bit_flip_rate",
        )
        self.fake_followers.check(f"{where}.fake_followers")
        self.teams.check(f"{where}.teams")


@dataclass
class Doppelganger(Operation):
    outlets: list[str] = field(
        default_factory=lambda: [
            "spiegel.de",
            "welt.de",
            "bild.de",
            "faz.net",
            "lemonde.fr",
            "leparisien.fr",
            "theguardian.com",
            "washingtonpost.com",
        ]
    )
    squats_per_outlet: int = 2
    platforms: dict[str, float] = field(
        default_factory=lambda: {"facebook": 0.45, "x": 0.4, "telegram": 0.15}
    )
    waves_per_week: float = 3.0
    accounts_per_wave: int = field(default=60, metadata=_scaled(3))
    articles_per_wave: int = 2
    posts_per_account: list[int] = field(default_factory=lambda: [2, 6])
    lifetime_days: list[int] = field(default_factory=lambda: [1, 3])
    created_before_hours: list[int] = field(default_factory=lambda: [2, 48])
    reply_spam_rate: float = 0.3
    likes_per_post: float = 1.5

    def check(self, where: str) -> None:
        super().check(where)
        _weights(self.platforms, f"{where}.platforms", PLATFORMS)
        for name in ("posts_per_account", "lifetime_days", "created_before_hours"):
            _range(getattr(self, name), f"{where}.{name}")
        _shares(self, where, "reply_spam_rate")


@dataclass
class Careful(Operation):
    personas: dict[str, int] = field(
        metadata=_scaled(),
        default_factory=lambda: {"x": 12, "facebook": 8, "instagram": 6, "reddit": 6, "medium": 4},
    )
    posts_per_day: float = 1.5
    replies_per_day: float = 1.5
    narrative_share: float = 0.35
    in_network_share: float = 0.1
    link_rate: float = 0.2
    site_domains: list[str] = field(
        default_factory=lambda: ["civic-ledger-news.com", "heartland-daily-report.com"]
    )
    messages_per_day: int = 1
    teams: Teams = field(default_factory=Teams)

    def check(self, where: str) -> None:
        super().check(where)
        for p in self.personas:
            _in(p, PLATFORMS, f"{where}.personas")
        self.teams.check(f"{where}.teams")
        if self.evasion.single_shot > 0:
            # Personas are the careful operation's whole point: it has no throwaway accounts.
            raise ScenarioError(
                f"{where}.evasion.single_shot: careful operations have no throwaway accounts"
                f" (only spamouflage and doppelganger), got {self.evasion.single_shot}"
            )
        _shares(self, where, "narrative_share", "in_network_share")


OPERATION_TYPES: dict[str, type[Operation]] = {
    "spamouflage": Spamouflage,
    "doppelganger": Doppelganger,
    "careful": Careful,
}

# Defaults that differ by operation type (a scenario's keys still override them).
TYPE_DEFAULTS: dict[str, dict[str, Any]] = {
    "spamouflage": {"languages": {"zh": 0.5, "en": 0.35, "ja": 0.15}},
    "doppelganger": {
        "languages": {"de": 0.45, "fr": 0.3, "en": 0.25},
        "schedule": {
            "utc_offset": "+03:00",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "shifts": [["09:00", "19:00"]],
        },
        "evasion": {"timing_jitter_s": 1800.0},
        "real_followers": 0.2,
    },
    "careful": {
        "languages": {"en": 1.0},
        "schedule": {
            "utc_offset": "-05:00",
            "days": list(DAY_NAMES),
            "shifts": [["07:30", "23:30"]],
            "profile": "typical",
        },
        "evasion": {
            "timing_jitter_s": 7200.0,
            "paraphrase_rate": 1.0,
            "camouflage": 0.5,
            "aged_accounts": 1.0,
        },
        "real_engagement": 0.8,
        "real_followers": 60.0,
    },
}


@dataclass
class Scenario:
    world: WorldConfig = field(default_factory=WorldConfig)
    population: Population = field(default_factory=Population)
    negatives: Negatives = field(default_factory=Negatives)
    vendors: dict[str, Vendor] = field(default_factory=dict)
    operations: list[Operation] = field(default_factory=list)
    source_text: str = ""  # the TOML it was read from
    source_name: str = ""

    def check(self) -> None:
        self.world.check("world")
        self.population.check("population")
        regions = {r.name for r in self.population.regions}
        for name in (
            "office_workers_utc8",
            "activist_campaign",
            "newsroom",
            "marketing_agency",
            "campaign_volunteers",
        ):
            neg = getattr(self.negatives, name)
            if neg is not None and neg.region not in regions:
                raise ScenarioError(
                    f"negatives.{name}.region: unknown region {neg.region!r} "
                    f"(regions: {', '.join(sorted(regions))})"
                )
        self._check_new_negatives()
        for f in dataclasses.fields(self.negatives):
            neg = getattr(self.negatives, f.name)
            if neg is not None and hasattr(neg, "check"):
                neg.check(f"negatives.{f.name}")
        for name, v in self.vendors.items():
            v.check(f"vendors.{name}")
        if self.negatives.fan_club is not None:
            self._check_vendor(self.negatives.fan_club.vendor, "negatives.fan_club.vendor")
        seen = set()
        for i, op in enumerate(self.operations):
            if op.id in seen:
                raise ScenarioError(f"operations[{i}].id: {op.id!r} is used twice")
            op.check(f"operations[{i}]")
            ff = getattr(op, "fake_followers", None)
            if ff is not None and ff.vendor:
                self._check_vendor(ff.vendor, f"operations[{i}].fake_followers.vendor")
            if op.lineage is not None:
                _check_lineage(op, [o for o in self.operations[:i]], f"operations[{i}].lineage")
            seen.add(op.id)

    def _check_vendor(self, name: str, where: str) -> None:
        if name not in self.vendors:
            raise ScenarioError(
                f"{where}: unknown vendor {name!r} (vendors: {', '.join(self.vendors) or 'none'})"
            )

    def _check_new_negatives(self) -> None:
        """What the newsroom and the volunteers need from the rest of the world."""
        news = self.negatives.newsroom
        if news is not None and news.outlet:
            from unmask.simulate.content import NEWS_OUTLETS

            domains = self.population.news_outlets or [d for d, _ in NEWS_OUTLETS]
            if news.outlet not in domains:
                raise ScenarioError(
                    f"negatives.newsroom.outlet: {news.outlet!r} is not one of the world's "
                    f"outlets ({', '.join(domains)})"
                )
        vol = self.negatives.campaign_volunteers
        if vol is not None and vol.event_day >= self.world.days:
            raise ScenarioError(
                f"negatives.campaign_volunteers.event_day: must be before the world ends "
                f"(day {self.world.days}), got {vol.event_day}"
            )

    def scaled(self, scale: float) -> Scenario:
        """A copy whose counts (population, negatives, operation assets) are multiplied."""
        if scale <= 0:
            raise ScenarioError(f"scale must be positive, got {scale}")
        out = copy.deepcopy(self)
        if scale != 1.0:
            _scale_in_place(out, scale)
        return out


def _check_lineage(op: Operation, earlier: list[Operation], where: str) -> None:
    """A comeback names an earlier operation of its type that was taken down (``end_day``)
    before the comeback starts."""
    lin = op.lineage
    assert lin is not None
    if op.type not in LINEAGE_TYPES:
        raise ScenarioError(
            f"{where}: operations of type {op.type!r} cannot come back "
            f"(types that can: {', '.join(LINEAGE_TYPES)})"
        )
    before = {o.id: o for o in earlier}
    if lin.of not in before:
        raise ScenarioError(
            f"{where}.of: {lin.of!r} is not an operation listed before {op.id!r}"
            f" (listed before: {', '.join(before) or 'none'})"
        )
    prev = before[lin.of]
    if prev.type != op.type:
        raise ScenarioError(f"{where}.of: {lin.of!r} is a {prev.type}, {op.id!r} a {op.type}")
    if prev.end_day is None or prev.end_day > op.start_day:
        raise ScenarioError(
            f"{where}.of: {lin.of!r} must be taken down (end_day) by {op.id!r}'s start_day "
            f"({op.start_day}); its end_day is {prev.end_day}"
        )


# -- loading -----------------------------------------------------------------------------


def builtin_scenarios() -> list[str]:
    root = resources.files("unmask.simulate") / "scenarios"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Read a scenario: a built-in name (``small``, ``medium``, ``large``) or a TOML path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        src = _read_file(path, str(name_or_path))
    else:
        src = _read_builtin(str(name_or_path))
    return _parse(src)


@dataclass
class _Source:
    text: str
    name: str  # as the user named it, for messages
    ident: str  # the same file under any name: a resolved path or ``builtin:<name>``
    base_dir: Path | None  # where its relative ``extends`` point from (None: the working folder)


def _read_file(path: Path, name: str) -> _Source:
    if not path.is_file():
        raise ScenarioError(f"{name}: no such scenario file")
    resolved = path.resolve()
    return _Source(path.read_text(encoding="utf-8"), name, str(resolved), resolved.parent)


def _read_builtin(name: str) -> _Source:
    res = resources.files("unmask.simulate") / "scenarios" / f"{name}.toml"
    if not res.is_file():
        raise ScenarioError(
            f"unknown scenario {name!r}; built-in: {', '.join(builtin_scenarios())}"
            " (or give a path to a .toml file)"
        )
    return _Source(res.read_text(encoding="utf-8"), name, f"builtin:{name}", None)


def parse_scenario(
    text: str, name: str = "<scenario>", *, base_dir: Path | None = None
) -> Scenario:
    """A scenario from TOML text. With ``extends = "small"`` (a built-in name, or a path
    relative to ``base_dir``, default the working folder) the text says only what differs
    from its base (see :func:`_extend`); ``source_text`` is then the merged scenario, so the
    truth's ``scenario.toml`` stands on its own, and the same merged scenario gives the same
    world whatever files it was spread over."""
    return _parse(_Source(text, name, f"text:{name}", base_dir))


def _parse(src: _Source) -> Scenario:
    data, root = _resolve(src, [])
    text = src.text
    if root is not None:
        # An extension that changes nothing is its base, byte for byte.
        text = root[0] if data == root[1] else dump_toml(data, EFFECTIVE_HEADER)
    ops = data.pop("operations", [])
    if not isinstance(ops, list):
        raise ScenarioError("operations: must be an array of tables ([[operations]])")
    sc = _build(Scenario, data, "")
    for i, raw in enumerate(ops):
        where = f"operations[{i}]"
        if not isinstance(raw, dict):
            raise ScenarioError(f"{where}: must be a table")
        kind = raw.get("type")
        if kind not in OPERATION_TYPES:
            raise ScenarioError(
                f"{where}.type: {kind!r} is not one of {', '.join(OPERATION_TYPES)}"
            )
        merged = _deep_merge(TYPE_DEFAULTS.get(kind, {}), raw)
        sc.operations.append(_build(OPERATION_TYPES[kind], merged, where))
    sc.source_text = text
    sc.source_name = src.name
    sc.check()
    return sc


# The first line of a merged scenario. It names no file: where the files lie must not
# change the world (``World`` keys its batch by a hash of ``source_text``).
EFFECTIVE_HEADER = "# The effective scenario: its `extends` chain merged (docs/simulator.md)."


def _resolve(
    src: _Source, chain: list[_Source]
) -> tuple[dict[str, Any], tuple[str, dict[str, Any]] | None]:
    """The TOML data of ``src`` with its ``extends`` chain merged in, and the text and data
    of the chain's root (the scenario that extends nothing; None when ``src`` is it)."""
    try:
        data = tomllib.loads(src.text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{src.name}: not valid TOML: {exc}") from exc
    if "extends" not in data:
        return data, None
    ref = data.pop("extends")
    if not isinstance(ref, str) or not ref:
        raise ScenarioError(f"extends: expected a scenario name or path, got {ref!r}")
    chain = [*chain, src]
    try:
        if ref.endswith(".toml") or "/" in ref or "\\" in ref:
            base = _read_file((src.base_dir or Path.cwd()) / ref, ref)
        else:
            base = _read_builtin(ref)
    except ScenarioError as exc:
        raise ScenarioError(f"extends (in {src.name}): {exc}") from exc
    if base.ident in {s.ident for s in chain}:
        names = " -> ".join(s.name for s in [*chain, base])
        raise ScenarioError(f"extends: a cycle: {names}")
    base_data, root = _resolve(base, chain)
    try:
        merged = _extend(base_data, data)
    except ScenarioError as exc:
        raise ScenarioError(f"{exc} (in {src.name}, which extends {ref})") from exc
    return merged, root if root is not None else (base.text, base_data)


def _extend(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base``: tables merge key by key; ``[[operations]]`` merge by ``id``
    (``remove = true`` drops the base's entry, a new id is appended); ``[negatives] X =
    false`` drops a hard negative; any other value (lists included) replaces the base's."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if key == "operations":
            out[key] = _extend_operations(out.get(key, []), value)
        elif key == "negatives" and isinstance(value, dict):
            negs = out.setdefault(key, {})
            for neg, v in value.items():
                if v is False:
                    if neg not in negs:
                        raise ScenarioError(
                            f"negatives.{neg}: false removes the base's section, but the base "
                            f"has none (it has: {', '.join(negs) or 'none'})"
                        )
                    del negs[neg]
                elif isinstance(v, dict) and isinstance(negs.get(neg), dict):
                    negs[neg] = _merge_tables(negs[neg], v)
                else:
                    negs[neg] = copy.deepcopy(v)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_tables(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_tables(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge_tables(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _extend_operations(base: Any, over: Any) -> list[Any]:
    if not isinstance(over, list) or not all(isinstance(o, dict) for o in over):
        raise ScenarioError("operations: must be an array of tables ([[operations]])")
    out = copy.deepcopy(base) if isinstance(base, list) else []
    ids = [o.get("id") if isinstance(o, dict) else None for o in out]
    for i, entry in enumerate(over):
        where = f"operations[{i}]"
        entry = dict(entry)
        op_id = entry.get("id")
        if not isinstance(op_id, str):
            raise ScenarioError(
                f"{where}.id: missing (in a scenario that extends another, each "
                "[[operations]] entry names the base's operation it changes, or a new id)"
            )
        remove = entry.pop("remove", False)
        if not isinstance(remove, bool):
            raise ScenarioError(f"{where}.remove: expected true or false, got {remove!r}")
        if op_id in ids:
            j = ids.index(op_id)
            if remove:
                del out[j]
                del ids[j]
            else:
                out[j] = _merge_tables(out[j], entry)
        elif remove:
            raise ScenarioError(
                f"{where}.remove: the base has no operation {op_id!r} to remove "
                f"(it has: {', '.join(str(x) for x in ids) or 'none'})"
            )
        else:
            out.append(copy.deepcopy(entry))
            ids.append(op_id)
    return out


def dump_toml(data: dict[str, Any], header: str = "") -> str:
    """TOML text of plain data (what ``tomllib`` reads), in the data's key order: tables as
    ``[a.b]`` sections, lists of tables as ``[[a]]``, everything else inline."""
    lines = [header] if header else []
    _dump_table(data, [], lines)
    return "\n".join(lines).strip("\n") + "\n"


def _is_table_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _inline(v: Any, path: list[str]) -> bool:
    """Short tables of plain values below a section read best on one line."""
    if not isinstance(v, dict):
        return not _is_table_list(v)
    if not path or any(isinstance(x, dict) or _is_table_list(x) for x in v.values()):
        return False
    return len(_toml_value(v)) <= 72


def _dump_table(data: dict[str, Any], path: list[str], lines: list[str]) -> None:
    for k, v in data.items():
        if _inline(v, path):
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
    for k, v in data.items():
        here = [*path, _toml_key(k)]
        if _inline(v, path):
            continue
        if isinstance(v, dict):
            lines += ["", f"[{'.'.join(here)}]"]
            _dump_table(v, here, lines)
        elif _is_table_list(v):
            for item in v:
                lines += ["", f"[[{'.'.join(here)}]]"]
                _dump_table(item, here, lines)


def _toml_key(key: str) -> str:
    bare = key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key)
    return key if bare else json.dumps(key, ensure_ascii=False)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(v, datetime.date | datetime.time):
        return v.isoformat()
    raise ScenarioError(f"cannot write {v!r} as TOML")


def to_dict(obj: Any) -> Any:
    """A dataclass (scenario part) as plain JSON-able data."""
    if dataclasses.is_dataclass(obj):
        return {
            f.name: to_dict(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if f.name not in ("source_text", "source_name")
        }
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_dict(v) for v in obj]
    return obj


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k in ("schedule", "evasion"):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ScenarioError(f"{where or 'scenario'}: expected a table, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields) - {"source_text", "source_name"})
    if unknown:
        raise ScenarioError(
            f"{_join(where, unknown[0])}: unknown key (known: {', '.join(sorted(fields))})"
        )
    kwargs = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ScenarioError(f"{_join(where, name)}: missing")
            continue
        kwargs[name] = _convert(hints[name], data[name], _join(where, name), f)
    return cls(**kwargs)


def _convert(tp: Any, value: Any, where: str, f: dataclasses.Field | None = None) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, where)
    if dataclasses.is_dataclass(tp):
        if (
            f is not None
            and f.default_factory is not dataclasses.MISSING
            and isinstance(value, dict)
        ):
            # Keys left out keep the defaults of this field (e.g. evasion knobs).
            base = to_dict(f.default_factory())
            value = {**base, **value}
        return _build(tp, value, where)
    if origin is list:
        if not isinstance(value, list):
            raise ScenarioError(f"{where}: expected a list, got {value!r}")
        return [_convert(args[0], v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ScenarioError(f"{where}: expected a table, got {value!r}")
        return {k: _convert(args[1], v, f"{where}.{k}") for k, v in value.items()}
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(f"{where}: expected a whole number, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ScenarioError(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ScenarioError(f"{where}: expected a string, got {value!r}")
        return value
    return value


def _scale_in_place(obj: Any, scale: float) -> None:
    if isinstance(obj, list | dict):
        # Lists of operations, tables of vendors: their dataclasses scale.
        for v in obj.values() if isinstance(obj, dict) else obj:
            _scale_in_place(v, scale)
        return
    if not dataclasses.is_dataclass(obj):
        return
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.metadata.get("scale"):
            setattr(obj, f.name, _scale_value(value, scale, f.metadata.get("minimum", 1)))
        else:
            _scale_in_place(value, scale)


def _scale_value(value: Any, scale: float, minimum: int) -> Any:
    if isinstance(value, dict):
        return {k: _scale_value(v, scale, minimum) for k, v in value.items()}
    if isinstance(value, float):
        return value * scale
    if isinstance(value, int):
        return 0 if value == 0 else max(minimum, round(value * scale))
    return value


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _positive(value: float, where: str, zero: bool = False) -> None:
    if value < 0 or (value == 0 and not zero):
        raise ScenarioError(f"{where}: must be {'≥' if zero else '>'} 0, got {value}")


def _shares(section: Any, where: str, *names: str) -> None:
    """Each of the fields ``names`` of ``section`` is a share (0 to 1)."""
    for name in names:
        value = getattr(section, name)
        if not 0.0 <= value <= 1.0:
            raise ScenarioError(f"{where}.{name}: must be between 0 and 1, got {value}")


def _range(value: list[int], where: str) -> None:
    if len(value) != 2 or value[0] > value[1] or value[0] < 0:
        raise ScenarioError(f"{where}: must be [low, high] with 0 ≤ low ≤ high, got {value}")


def _clock_range(value: list[str], where: str) -> None:
    from unmask.simulate.timing import parse_clock

    if len(value) != 2:
        raise ScenarioError(f"{where}: must be [start, end], got {value!r}")
    a, b = (parse_clock(x, where) for x in value)
    if b <= a:
        raise ScenarioError(f"{where}: {value!r} ends before it starts")


def _in(value: str, allowed: tuple[str, ...], where: str) -> None:
    if value not in allowed:
        raise ScenarioError(f"{where}: {value!r} is not one of {', '.join(allowed)}")


def _weights(weights: dict[str, float], where: str, allowed: tuple[str, ...]) -> None:
    if not weights:
        raise ScenarioError(f"{where}: must not be empty")
    for k, v in weights.items():
        _in(k, allowed, where)
        if v < 0:
            raise ScenarioError(f"{where}.{k}: weights must be ≥ 0, got {v}")
    if sum(weights.values()) <= 0:
        raise ScenarioError(f"{where}: the weights sum to 0")
