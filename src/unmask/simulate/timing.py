"""Time in the synthetic world: daily rhythms of ordinary people and shift schedules.

Times are whole seconds since the Unix epoch (UTC) in int64 numpy arrays. Time zones are
fixed offsets in minutes (no daylight saving). A *profile* is a person's rhythm: weights for
the 48 half-hours of a local day, separately for working days and weekends. A
:class:`Schedule` is an operation's rota: working days and shifts in one time zone; it can
sample times inside the shifts and add delays measured in *working time*, so that a
coordinated action that is delayed past the end of a shift continues in the next one (the
breaks stay empty).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from unmask.simulate.scenario import DAY_NAMES, ScenarioError

DAY = 86_400
HOUR = 3_600
WEEK = 7 * DAY


def parse_offset(text: str, where: str = "utc_offset") -> int:
    """'+08:00' → 480 (minutes east of UTC)."""
    m = re.fullmatch(r"([+-])(\d{1,2}):?(\d{2})", text.strip())
    if text.strip() in ("Z", "UTC"):
        return 0
    if not m:
        raise ScenarioError(f"{where}: {text!r} is not a UTC offset like '+08:00'")
    sign = 1 if m.group(1) == "+" else -1
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    if minutes > 14 * 60:
        raise ScenarioError(f"{where}: {text!r} is beyond ±14:00")
    return sign * minutes


def parse_clock(text: str, where: str = "time") -> int:
    """'13:30' → 810 (minutes after local midnight); '24:00' is allowed as an end."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59:
        raise ScenarioError(f"{where}: {text!r} is not a clock time like '13:30'")
    value = int(m.group(1)) * 60 + int(m.group(2))
    if value > 1440:
        raise ScenarioError(f"{where}: {text!r} is past 24:00")
    return value


def day_start(date: str) -> int:
    """UTC midnight of an ISO date, in epoch seconds."""
    try:
        d = datetime.fromisoformat(date)
    except ValueError as exc:
        raise ScenarioError(f"world.start: {date!r} is not an ISO date") from exc
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def weekday(t: np.ndarray | int) -> np.ndarray | int:
    """Monday = 0 … Sunday = 6 of epoch seconds (in whatever zone they were shifted to)."""
    return (np.floor_divide(t, DAY) + 3) % 7


def _halfhours(hours: list[float]) -> np.ndarray:
    return np.repeat(np.asarray(hours, dtype=float), 2)


# Half-hourly weights (48 values) for working days and weekends, and the weekend's volume.
_TYPICAL = [0.5, 0.3, 0.15, 0.1, 0.1, 0.15, 0.4, 0.9, 1.2, 1.1, 1.0, 1.1]
_TYPICAL += [1.5, 1.3, 1.1, 1.1, 1.2, 1.4, 1.7, 2.1, 2.4, 2.3, 1.7, 1.0]
_NIGHT = [1.2, 1.0, 0.7, 0.4, 0.2, 0.1, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0]
_NIGHT += [1.2, 1.2, 1.1, 1.1, 1.2, 1.3, 1.5, 1.8, 2.2, 2.5, 2.4, 1.8]
_EARLY = [0.2, 0.1, 0.05, 0.05, 0.2, 0.8, 1.8, 2.2, 1.8, 1.4, 1.2, 1.2]
_EARLY += [1.5, 1.3, 1.1, 1.0, 1.0, 1.2, 1.4, 1.5, 1.2, 0.8, 0.5, 0.3]
_FLAT = [1.0] * 24


def _office_lunch() -> np.ndarray:
    """Office workers: they post on the commute, in their lunch break (12:00–13:30) and in
    the evening; hardly at their desks."""
    w = np.full(48, 0.1)
    w[0:2] = 0.6  # 00:00–01:00
    w[2:4] = 0.2
    w[14:18] = 0.9  # 07:00–09:00 commute
    w[18:24] = 0.12  # 09:00–12:00 at work
    w[24:27] = 3.2  # 12:00–13:30 lunch
    w[27:36] = 0.12  # 13:30–18:00 at work
    w[36:38] = 1.2  # 18:00–19:00 commute
    w[38:46] = 2.0  # 19:00–23:00 evening
    w[46:48] = 1.2
    return w


@dataclass(frozen=True)
class Profile:
    workday: np.ndarray  # 48 weights
    weekend: np.ndarray
    weekend_volume: float  # activity on a weekend day relative to a working day


PROFILES: dict[str, Profile] = {
    "typical": Profile(_halfhours(_TYPICAL), _halfhours(_NIGHT) * 0.5 + _halfhours(_TYPICAL), 1.15),
    "night_owl": Profile(_halfhours(_NIGHT), _halfhours(_NIGHT), 1.1),
    "early_bird": Profile(_halfhours(_EARLY), _halfhours(_TYPICAL), 1.0),
    "office_lunch": Profile(_office_lunch(), _halfhours(_TYPICAL), 1.2),
    "flat": Profile(_halfhours(_FLAT), _halfhours(_FLAT), 1.0),
}
PROFILE_NAMES = tuple(PROFILES)
_CDF = {
    name: (np.cumsum(p.workday) / p.workday.sum(), np.cumsum(p.weekend) / p.weekend.sum())
    for name, p in PROFILES.items()
}


def weekend_volume(profile_codes: np.ndarray) -> np.ndarray:
    vols = np.array([PROFILES[n].weekend_volume for n in PROFILE_NAMES])
    return vols[profile_codes]


def sample_local_seconds(
    rng: np.random.Generator, profile_codes: np.ndarray, weekend: bool | np.ndarray
) -> np.ndarray:
    """Seconds after local midnight, drawn from each row's profile."""
    n = len(profile_codes)
    out = np.empty(n, dtype=np.int64)
    u = rng.random(n)
    jitter = rng.integers(0, 1800, n)
    weekend = np.broadcast_to(np.asarray(weekend, dtype=bool), (n,))
    for code, name in enumerate(PROFILE_NAMES):
        for is_we in (False, True):
            sel = np.flatnonzero((profile_codes == code) & (weekend == is_we))
            if len(sel) == 0:
                continue
            cdf = _CDF[name][1 if is_we else 0]
            bins = np.minimum(np.searchsorted(cdf, u[sel], side="right"), 47)
            out[sel] = bins * 1800 + jitter[sel]
    return out


class Schedule:
    """Working days and shifts in one time zone, over a span of absolute time.

    ``sample`` draws times inside the shifts; ``add_work_time`` adds a delay counted in
    working seconds only; ``spread`` moves a share of times anywhere (the evasion knob).
    """

    def __init__(
        self,
        utc_offset_min: int,
        days: list[str],
        shifts: list[tuple[int, int]],
        span_start: int,
        span_end: int,
        profile: str | None = None,
    ) -> None:
        self.offset = utc_offset_min
        self.t0 = (span_start - 2 * DAY) // 60 * 60
        n = (span_end + 10 * DAY - self.t0) // 60
        minute = self.t0 + np.arange(n, dtype=np.int64) * 60  # absolute minute starts
        local = minute + utc_offset_min * 60
        dow = weekday(local)
        mod = (local % DAY) // 60
        allowed_days = np.zeros(7, dtype=bool)
        allowed_days[[DAY_NAMES.index(d) for d in days]] = True
        in_shift = np.zeros(n, dtype=bool)
        for a, b in shifts:
            in_shift |= (mod >= a) & (mod < b)
        self.working = allowed_days[dow] & in_shift
        self.work_minutes = np.flatnonzero(self.working)
        self.cum = np.concatenate([[0], np.cumsum(self.working)])
        if profile is not None:
            hh = (mod[self.work_minutes] // 30).astype(int)
            w = PROFILES[profile].workday[hh]
        else:
            w = np.ones(len(self.work_minutes))
        self.cw = np.concatenate([[0.0], np.cumsum(w)])
        self.n_minutes = n

    def _minute_index(self, t: np.ndarray) -> np.ndarray:
        return np.clip((np.asarray(t) - self.t0) // 60, 0, self.n_minutes - 1)

    def working_minutes_between(self, lo: int, hi: int) -> int:
        a, b = self._minute_index(lo), self._minute_index(hi)
        return int(self.cum[b] - self.cum[a])

    def sample(self, rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
        """``n`` times in working minutes of [lo, hi) (empty if there are none)."""
        a, b = self.cum[self._minute_index(lo)], self.cum[self._minute_index(hi)]
        if b <= a or n == 0:
            return np.empty(0, dtype=np.int64)
        u = rng.uniform(self.cw[a], self.cw[b], n)
        k = np.clip(np.searchsorted(self.cw, u, side="right") - 1, a, b - 1)
        return self.t0 + self.work_minutes[k] * 60 + rng.integers(0, 60, n)

    def is_working(self, t: np.ndarray) -> np.ndarray:
        return self.working[self._minute_index(t)]

    def add_work_time(self, t: np.ndarray, delay_s: np.ndarray) -> np.ndarray:
        """``t`` plus ``delay_s`` seconds of working time (times off shift start at the next shift)."""
        t = np.asarray(t, dtype=np.int64)
        m = self._minute_index(t)
        sec = np.where(self.working[m], (t - self.t0) % 60, 0)
        pos = self.cum[m] * 60 + sec + np.asarray(delay_s, dtype=np.int64)
        k = np.clip(pos // 60, 0, len(self.work_minutes) - 1)
        return self.t0 + self.work_minutes[k] * 60 + pos % 60

    def spread(
        self, rng: np.random.Generator, t: np.ndarray, share: float, lo: int, hi: int
    ) -> np.ndarray:
        """Move a share of the times to uniformly random moments of [lo, hi)."""
        if share <= 0 or len(t) == 0:
            return t
        move = rng.random(len(t)) < share
        out = t.copy()
        out[move] = rng.integers(lo, hi, int(move.sum()))
        return out


def schedule_from_config(cfg, span_start: int, span_end: int) -> Schedule:
    return Schedule(
        parse_offset(cfg.utc_offset),
        cfg.days,
        [(parse_clock(a), parse_clock(b)) for a, b in cfg.shifts],
        span_start,
        span_end,
        cfg.profile,
    )
