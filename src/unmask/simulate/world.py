"""Build a world from a scenario and stream it into an activity store.

Order of work (each step streams; nothing grows with the number of activities):

1. accounts: the ordinary population, the hard-negative groups, the operations' assets
   (numeric columns only, in a :class:`~unmask.simulate.population.Registry`);
2. follows: ordinary (in blocks of users), then those of the negatives and operations;
   follower counts are tallied on the way;
3. activities, day by day: the negatives' posts, ordinary posts (in blocks of users),
   ordinary responses to recent popular posts, the negatives' events, the operations;
4. infrastructure records (optional) and the account records, with the ground truth.

Every random draw comes from a generator keyed by (seed, step, day, block), so the output
depends only on the scenario, the seed and the scale: the same seed gives byte-identical
Parquet files.
"""

from __future__ import annotations

import hashlib
import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import unmask
from unmask import schema
from unmask.simulate import content, identity, negatives, operations, population, truth, vendors
from unmask.simulate.records import Acts, Follows, activities_table, follows_table
from unmask.simulate.scenario import LANGUAGES, Scenario
from unmask.simulate.timing import DAY, day_start
from unmask.store import Manifest, Store

ProgressFn = Callable[[str, int, int], None]


@dataclass
class SimulationResult:
    out: Path
    store: Path
    truth: Path
    manifest: Manifest
    seconds: float


class World:
    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.seed = int(seed)
        self.t_start = day_start(scenario.world.start)
        self.days = scenario.world.days
        self.t_end = self.t_start + self.days * DAY
        digest = hashlib.sha256(
            f"{scenario.source_text}\x00{seed}\x00{_scale_key(scenario)}".encode()
        ).hexdigest()
        self.sha256 = digest
        self.file_id = f"simulate-{digest[:24]}"
        self._activity_counter = 0
        self.registry = population.Registry()
        pop = scenario.population
        self.outlets = (
            [(d, _outlet_lang(d)) for d in pop.news_outlets]
            if pop.news_outlets
            else content.NEWS_OUTLETS
        )
        self._articles: dict[int, content.Articles] = {}
        self.layout = population.build_population(self)
        self.negatives = negatives.setup(self)
        # One by one: an operation that comes back (``lineage``) reads its earlier self.
        self.operations: list[operations.OpBase] = []
        for i, op in enumerate(scenario.operations):
            self.operations.append(operations.build(self, i, op))
        # After the operations: worlds without vendors keep their account numbers.
        self.vendors = vendors.setup(self)
        specials = []
        neg = scenario.negatives
        if neg.activist_campaign:
            specials.append(neg.activist_campaign.hashtag)
        if neg.fandom:
            specials += neg.fandom.hashtags
        if neg.fan_club:
            specials += neg.fan_club.hashtags
        if neg.campaign_volunteers:
            specials.append(neg.campaign_volunteers.hashtag)
        specials += content.BREAKING_TAGS
        for tags in content.NARRATIVE_TAGS.values():
            specials += tags
        self.hashtags = content.build_hashtags(
            self.rng("hashtags"),
            pop.evergreen_hashtags,
            self.days,
            pop.trending_hashtags_per_day,
            pop.trend_days,
            specials,
        )
        self.pool = population.ParentPool(self, pop.pool_per_day)

    # -- helpers used by the generators ----------------------------------------------

    def rng(self, *keys) -> np.random.Generator:
        ints = [self.seed] + [
            k if isinstance(k, int) else zlib.crc32(str(k).encode()) for k in keys
        ]
        return np.random.default_rng(ints)

    def next_activity_ids(self, n: int) -> np.ndarray:
        out = np.arange(self._activity_counter, self._activity_counter + n, dtype=np.int64)
        self._activity_counter += n
        return out

    def articles(self, day: int) -> content.Articles:
        if day not in self._articles:
            for old in [d for d in self._articles if d < day - 2]:
                del self._articles[old]
            self._articles[day] = content.make_articles(
                self.rng("articles", day),
                self.outlets,
                day,
                self.t_start + day * DAY,
                self.scenario.population.articles_per_outlet_day,
            )
        return self._articles[day]

    def news_links(self, rng, times: np.ndarray, day: int):
        """Links people share: mostly yesterday's and today's news (published before the
        post), some videos. Returns canonical URLs, URLs as written, domains and the text
        suffix (" https://…")."""
        n = len(times)
        prev = self.articles(max(day - 1, 0))
        today = self.articles(day)
        pick_prev = rng.choice(len(prev.popularity), n, p=prev.popularity)
        pick_today = rng.choice(len(today.popularity), n, p=today.popularity)
        use_today = (today.published[pick_today] < times) & (rng.random(n) < 0.5)
        video = rng.random(n) < 0.25
        vid = identity.hex64(rng.integers(0, 2**63 - 1, n, dtype=np.int64).astype(np.uint64))
        vid = pc.utf8_slice_codeunits(vid, 0, 11)
        v_url = pc.binary_join_element_wise("https://youtube.com/watch?v=", vid, "")
        v_orig = pc.binary_join_element_wise("https://www.youtube.com/watch?v=", vid, "")

        def col(name):
            a = getattr(prev, name).take(pa.array(pick_prev))
            b = getattr(today, name).take(pa.array(pick_today))
            return pc.if_else(pa.array(use_today), b, a)

        vm = pa.array(video)
        urls = pc.if_else(vm, v_url, col("url"))
        orig = pc.if_else(vm, v_orig, col("original"))
        domains = pc.if_else(vm, "youtube.com", col("domain"))
        return urls, orig, domains, pc.binary_join_element_wise(" ", orig, "")

    def handles(self, idx: np.ndarray) -> pa.Array:
        reg = self.registry
        out = identity.handles(self.seed, idx, reg.style[idx], reg.lang[idx])
        special = [i for i, k in enumerate(idx) if int(k) in reg.overrides]
        if special:
            values = out.to_pylist()
            for i in special:
                values[i] = reg.overrides[int(idx[i])]["handle"]
            out = pa.array(values, type=pa.string())
        return out

    # -- the stream of records ---------------------------------------------------------

    def user_blocks(self, per_user: float) -> list[tuple[int, int]]:
        """Blocks of ordinary users whose day of activity fits in a chunk."""
        n = self.layout.end
        rows = max(self.scenario.world.chunk_rows // 2, 1000)
        size = max(1000, int(rows / max(per_user, 1e-6)))
        return [(lo, min(lo + size, n)) for lo in range(0, n, size)]

    def follows(self):
        reg = self.registry
        cfg = self.scenario.population
        for lo, hi in self.user_blocks(cfg.follows_per_user):
            yield population.organic_follows(self, lo, hi)
        yield from negatives.follows(self)
        for op in self.operations:
            yield from op.follows()
        for v in self.vendors.values():
            yield from v.follows()
        del reg

    def day_activities(self, day: int):
        reg = self.registry
        cfg = self.scenario.population
        self.pool.new_day()
        for a in negatives.day_posts(self, day):
            self.pool.add(a, boost=3.0)
            yield a
        per_user = cfg.posts_per_user_day + cfg.responses_per_user_day
        blocks = self.user_blocks(per_user)
        for lo, hi in blocks:
            a = population.organic_posts(self, day, lo, hi)
            self.pool.add(a)
            yield a
        self.pool.freeze(self.rng("pool", day))
        for lo, hi in blocks:
            yield population.organic_responses(self, day, lo, hi)
        yield from negatives.day_events(self, day)
        for op in self.operations:
            yield from op.day(day)
        for v in self.vendors.values():
            yield from v.day(day)
        del reg


def _scale_key(sc: Scenario) -> str:
    return str(sc.population.users)


def _outlet_lang(domain: str) -> str:
    known = dict(content.NEWS_OUTLETS)
    if domain in known:
        return known[domain]
    tld = domain.rsplit(".", 1)[-1]
    return {
        "de": "de",
        "fr": "fr",
        "es": "es",
        "br": "pt",
        "ru": "ru",
        "jp": "ja",
        "kr": "ko",
        "cn": "zh",
        "tw": "zh",
    }.get(tld, "en")


class _Sink:
    """Buffers Arrow tables per store table and writes them in chunks of ``rows``."""

    def __init__(self, batch, rows: int) -> None:
        self.batch = batch
        self.rows = rows
        self.buf: dict[str, list[pa.Table]] = {}
        self.n_buf: dict[str, int] = {}
        self.written: dict[str, int] = {}

    def add(self, table: str, t: pa.Table) -> None:
        if t.num_rows == 0:
            return
        self.buf.setdefault(table, []).append(t)
        self.n_buf[table] = self.n_buf.get(table, 0) + t.num_rows
        if self.n_buf[table] >= self.rows:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.buf):
            parts = self.buf.get(name)
            if parts:
                self.batch.write(name, pa.concat_tables(parts))
                self.written[name] = self.written.get(name, 0) + self.n_buf[name]
            self.buf[name] = []
            self.n_buf[name] = 0


def simulate(
    out: str | Path,
    scenario: Scenario,
    seed: int,
    *,
    scale: float = 1.0,
    progress: ProgressFn | None = None,
) -> SimulationResult:
    """Generate the world into ``OUT/store`` (an unmask store) and ``OUT/truth``."""
    started = time.perf_counter()
    out = Path(out)
    say = progress or (lambda _stage, _done, _total: None)
    sc = scenario.scaled(scale)
    for sub in ("store", "truth"):
        p = out / sub
        if p.exists() and any(p.iterdir()):
            raise FileExistsError(f"{p} already exists and is not empty; choose a new --out")
    say("building the population", 0, 1)
    world = World(sc, seed)
    store = Store(out / "store", create=True)
    row = 0
    total_steps = world.days + 3
    with store.write_batch(world.file_id) as batch:
        sink = _Sink(batch, sc.world.chunk_rows)
        say("follows", 0, total_steps)
        counts_in = np.zeros(len(world.registry), dtype=np.int32)
        counts_out = np.zeros(len(world.registry), dtype=np.int32)
        for f in world.follows():
            if len(f) == 0:
                continue
            counts_in += np.bincount(f.followee, minlength=len(counts_in)).astype(np.int32)
            counts_out += np.bincount(f.follower, minlength=len(counts_out)).astype(np.int32)
            if sc.world.follows:
                sink.add("follows", follows_table(world, f, row))
                row += len(f)
        world.registry.followers, world.registry.following = counts_in, counts_out
        sink.flush("follows")
        for day in range(world.days):
            say(f"day {day + 1} of {world.days}", day + 1, total_steps)
            for a in world.day_activities(day):
                if len(a) == 0:
                    continue
                sink.add("activities", activities_table(world, a, row))
                row += len(a)
        sink.flush("activities")
        say("accounts and ground truth", world.days + 1, total_steps)
        if sc.world.infrastructure:
            for t in truth.infrastructure(world, row):
                sink.add("infrastructure", t)
                row += t.num_rows
            sink.flush("infrastructure")
        truth_dir = out / "truth"
        with truth.AccountTruthWriter(truth_dir / "accounts.parquet") as tw:
            for acc, tru in truth.accounts(world, row):
                if not sc.world.profiles:
                    acc = truth.without_profiles(acc)
                sink.add("accounts", acc)
                tw.write(tru)
                row += acc.num_rows
        sink.flush()
        entities = {t: sink.written.get(t, 0) for t in schema.TABLES}
        manifest = Manifest(
            file_id=world.file_id,
            path=str((out / "truth" / "scenario.toml").resolve()),
            adapter="simulate",
            sha256=world.sha256,
            ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
            rows_read=row,
            rows_stored=row,
            entities=entities,
            options={"scenario": sc.world.name, "seed": seed, "scale": scale},
            unmask_version=unmask.__version__,
        )
        if sum(entities.values()) != row:
            raise RuntimeError(f"simulation counts do not reconcile: {entities} vs {row} records")
        manifest.seconds = round(time.perf_counter() - started, 3)
        batch.manifest = manifest
    truth.write_files(world, truth_dir, scenario, seed, scale)
    say("done", total_steps, total_steps)
    return SimulationResult(out, out / "store", truth_dir, manifest, time.perf_counter() - started)


def lang_name(code: int) -> str:
    return LANGUAGES[code]


__all__ = ["Acts", "Follows", "SimulationResult", "World", "json", "simulate"]
