"""Schedule fingerprint: a hand-made world (people of three time zones on ordinary rhythms,
people of UTC+8 who post in their lunch break, and a small office on a rota with meal
breaks); the simulated world (the planted Spamouflage rota read back from the truth, what
the signal links per operation and hard-negative group); the same evidence on Spark."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from worldscore import accounts_of, group_rate, role_recall, same_rows, score_accounts

from unmask.engine.duckdb import DuckDBEngine
from unmask.ingest import ingest_file
from unmask.signals.base import EDGE_SCHEMA, SCORE_SCHEMA, Signal
from unmask.signals.schedule import (
    GROUP_SCHEMA,
    Schedule,
    ShiftSchedule,
    exposure,
    infer_schedule,
    population,
)
from unmask.store import Store

# -- a hand-made world -------------------------------------------------------------------

MONDAY = 1_709_510_400  # 2024-03-04 00:00 UTC, a Monday
WEEKS = 3
# An ordinary day, hour by hour (local): little at night, more in the evening.
ORDINARY = np.array(
    [5, 3, 1, 1, 1, 2, 4, 9, 12, 11, 10, 11, 15, 13, 11, 11, 12, 14, 17, 21, 24, 23, 17, 10],
    dtype=float,
)
# Office workers who post on the commute, in their lunch break and in the evening.
LUNCH = np.array(
    [6, 2, 1, 1, 1, 1, 1, 9, 9, 1, 1, 1, 32, 32, 1, 1, 1, 1, 12, 20, 20, 20, 20, 12],
    dtype=float,
)
# The office's rota (UTC+8): Monday to Friday, 09:00-12:00, 13:30-17:30, 18:30-21:30.
SHIFTS = [(9.0, 12.0), (13.5, 17.5), (18.5, 21.5)]


def _local_times(rng, hours: np.ndarray, n: int, offset: float, weekend: bool = True):
    """n times (epoch seconds) on a local daily rhythm given hour by hour."""
    days = rng.integers(0, 7 * WEEKS, n)
    if not weekend:
        days = days[(days % 7) < 5]
    h = rng.choice(24, len(days), p=hours / hours.sum()) + rng.random(len(days))
    return (MONDAY + days * 86400 + (h - offset) * 3600).astype(np.int64)


def _rota_times(rng, n: int, offset: float = 8.0):
    days = rng.integers(0, 7 * WEEKS, 4 * n)
    days = days[(days % 7) < 5][:n]
    lengths = np.array([b - a for a, b in SHIFTS])
    which = rng.choice(len(SHIFTS), len(days), p=lengths / lengths.sum())
    h = np.array([SHIFTS[w][0] for w in which]) + rng.random(len(days)) * lengths[which]
    return (MONDAY + days * 86400 + (h - offset) * 3600).astype(np.int64)


def hand_rows(seed: int = 7) -> list[tuple[str, str, int]]:
    """(account, group, time) rows: 240 ordinary people in UTC-5, UTC+1 and UTC+8, 40 lunch
    posters and 12 office accounts in UTC+8."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(240):
        offset = (-5.0, 1.0, 8.0)[i % 3]
        for t in _local_times(rng, ORDINARY, int(rng.integers(15, 80)), offset):
            rows.append((f"p{i}", "ordinary", int(t)))
    for i in range(40):
        work = _local_times(rng, LUNCH, int(rng.integers(20, 60)), 8.0, weekend=False)
        free = _local_times(rng, ORDINARY, int(rng.integers(6, 20)), 8.0)
        free = free[((free - MONDAY + 8 * 3600) // 86400) % 7 >= 5]  # their weekends
        for t in np.concatenate([work, free]):
            rows.append((f"l{i}", "lunch", int(t)))
    for i in range(12):
        for t in _rota_times(rng, int(rng.integers(25, 60))):
            rows.append((f"o{i}", "office", int(t)))
    return rows


def hand_store(tmp_path: Path, rows=None) -> Store:
    rows = hand_rows() if rows is None else rows
    path = tmp_path / "posts.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["platform", "activity_id", "account_id", "time", "kind", "text"])
        for k, (account, _, t) in enumerate(rows):
            w.writerow(["x", f"a{k}", account, t, "post", f"post {k}"])
    store = Store(tmp_path / "store", create=True)
    ingest_file(store, path, format="generic", options={"detect_language": False})
    return store


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    store = hand_store(tmp_path_factory.mktemp("schedule-hand"))
    with DuckDBEngine(store) as eng:
        ev = ShiftSchedule().run(eng)
    return store, ev


def test_the_office_is_linked_and_its_rota_read_in_words(hand):
    _, ev = hand
    assert ev.edges.schema == EDGE_SCHEMA and ev.scores.schema == SCORE_SCHEMA
    linked = {a for _, a in accounts_of(ev)}
    assert linked == {f"o{i}" for i in range(12)}
    groups = [g for g in ev.tables["groups"].to_pylist() if g["kept"]]
    assert len(groups) == 1
    g = groups[0]
    assert g["description"] == "Mon–Fri, 09:00–21:30 UTC+8, breaks 12:00–13:30 and 17:30–18:30"
    assert g["office_score"] > 0.9 and g["utc_offset"] == 8
    assert len(g["histogram_utc"]) == 336 and sum(g["histogram_utc"]) == g["slots"]
    # Every edge says why, and carries a p-value from the group's rota test.
    for e in ev.edges.to_pylist():
        assert "Mon–Fri, 09:00–21:30 UTC+8" in e["reason"]
        assert 0 <= e["p_value"] <= e["q_value"] <= 0.01


def test_lunch_break_posters_and_ordinary_people_are_not_shift_workers(hand):
    _, ev = hand
    scored = {r["account_id"] for r in ev.scores.to_pylist()}
    assert not {a for a in scored if a[0] in "pl"}
    # Each account in the accounts table has its histogram: the rows behind the score.
    acc = ev.tables["accounts"].to_pylist()
    assert {r["account_id"] for r in acc} == scored
    assert all(sum(r["histogram_utc"]) == r["slots"] for r in acc)


def test_infer_schedule_on_any_group(hand):
    store, _ = hand
    with DuckDBEngine(store) as eng:
        pop = population(eng)
        lunch = infer_schedule(eng, _accounts([f"l{i}" for i in range(40)]), pop)
        office = infer_schedule(eng, _accounts([f"o{i}" for i in range(12)]), pop)
        people = infer_schedule(eng, _accounts([f"p{i}" for i in range(2, 240, 3)]), pop)
    assert office.describe() == "Mon–Fri, 09:00–21:30 UTC+8, breaks 12:00–13:30 and 17:30–18:30"
    assert office.office_score > 0.9
    # People who post in their own lunch break keep weekends: not an office rota.
    assert lunch.office_score < 0.5 and "12:00" not in [b for b, _ in lunch.breaks]
    assert people.office_score < 0.2 and people.utc_offset in (7, 8, 9)
    assert office.histogram.sum() == office.slots and len(office.local_histogram()) == 336


def _accounts(ids: list[str]) -> pa.Table:
    return pa.table({"platform": ["x"] * len(ids), "account_id": ids})


def test_describe_and_exposure():
    s = Schedule(
        utc_offset=-5,
        days=["Sun", "Mon", "Tue", "Wed", "Thu"],
        shifts=[("08:00", "12:00"), ("13:00", "17:00")],
        breaks=[("12:00", "13:00")],
        office_score=1.0,
        days_contrast=1.0,
        hours_contrast=1.0,
        recurrence=1.0,
        accounts=3,
        slots=10,
        histogram=np.zeros(336),
        background=np.full(336, 1 / 336),
    )
    assert s.describe() == "Sun–Thu, 08:00–17:00 UTC−5, break 12:00–13:00"
    # Ten days from a Monday (1970-01-05 is half-hour 192 of the epoch, ten weeks on):
    # Monday to Wednesday's half-hours twice, the rest once.
    monday = 4 * 48 + 10 * 336
    e = exposure(monday, monday + 10 * 48 - 1)
    assert e.sum() == 480 and e[:144].min() == 2 and e[144:].max() == 1


def test_nothing_to_judge_is_a_note(tmp_path):
    rows = [("u1", "ordinary", MONDAY + 60 * k) for k in range(5)]
    with DuckDBEngine(hand_store(tmp_path, rows)) as eng:
        ev = ShiftSchedule().run(eng)
    assert ev.edges.num_rows == 0 and ev.notes and "nothing to judge" in ev.notes[0]
    assert ev.tables["groups"].schema == GROUP_SCHEMA


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="leak"):
        ShiftSchedule(leak=0.7).run(None)  # type: ignore[arg-type]
    assert isinstance(ShiftSchedule(), Signal) and ShiftSchedule().family == "schedule"


# -- the simulated world -------------------------------------------------------------------


def _planted(world: Path, op: str) -> dict:
    ops = json.loads((world / "truth" / "operations.json").read_text())["operations"]
    return next(o for o in ops if o["id"] == op)["parameters"]["schedule"]


def _hours(clock: str) -> float:
    h, m = clock.split(":")
    return int(h) + int(m) / 60


def _offset_hours(text: str) -> float:
    sign = -1 if text.startswith("-") else 1
    return sign * _hours(text.lstrip("+-"))


def _matches_planted(s: Schedule, planted: dict) -> None:
    """Time zone, days, hours and breaks within an hour of what the simulator planted."""
    assert abs(s.utc_offset - _offset_hours(planted["utc_offset"])) <= 1
    assert [d.lower() for d in s.days] == planted["days"]
    shifts = planted["shifts"]
    assert abs(_hours(s.start) - _hours(shifts[0][0])) <= 1
    assert abs(_hours(s.end) - _hours(shifts[-1][1])) <= 1
    gaps = [(a[1], b[0]) for a, b in itertools.pairwise(shifts)]
    assert len(s.breaks) == len(gaps)
    for (a, b), (pa_, pb) in zip(s.breaks, gaps, strict=True):
        assert abs(_hours(a) - _hours(pa_)) <= 1 and abs(_hours(b) - _hours(pb)) <= 1


@pytest.fixture(scope="module")
def world_result(small_world, tmp_path_factory):
    with DuckDBEngine(Store(small_world / "store")) as eng:
        ev = ShiftSchedule().run(eng)
    linked = {(r["platform_a"], r["account_a"]) for r in ev.edges.to_pylist()}
    linked |= {(r["platform_b"], r["account_b"]) for r in ev.edges.to_pylist()}
    result = score_accounts(small_world, tmp_path_factory.mktemp("schedule") / "run", linked)
    result["evidence"] = ev
    return result


ACTIVE = ("poster", "amplifier", "page", "group", "channel", "blog")


def test_world_reads_the_planted_rota(world_result, small_world):
    groups = [g for g in world_result["evidence"].tables["groups"].to_pylist() if g["kept"]]
    assert len(groups) == 1
    g = groups[0]
    s = Schedule(
        utc_offset=g["utc_offset"],
        days=g["days"],
        shifts=[tuple(x.split("–")) for x in g["shifts"]],
        breaks=[tuple(x.split("–")) for x in g["breaks"]],
        office_score=g["office_score"],
        days_contrast=g["days_contrast"],
        hours_contrast=g["hours_contrast"],
        recurrence=g["recurrence"],
        accounts=g["n_accounts"],
        slots=g["slots"],
        histogram=np.array(g["histogram_utc"]),
        background=np.array(g["background_utc"]),
    )
    _matches_planted(s, _planted(small_world, "spamouflage-1"))
    assert g["office_score"] > 0.9


def test_world_links_the_office_and_leaves_the_hard_negatives(world_result):
    r = world_result
    # Accounts that post little cannot show a rota on their own (fake followers post
    # nothing); the measured recall of the active assets is 0.36 (86 of 238).
    assert role_recall(r, "spamouflage-1", ACTIVE) >= 0.25
    assert role_recall(r, "spamouflage-1", ("amplifier",)) >= 0.6
    assert r["overall"]["precision"] >= 0.95
    # Doppelganger accounts live a day or two; careful personas keep an ordinary rhythm.
    assert role_recall(r, "careful-1", ("persona",)) == 0
    assert r["ordinary"]["rate"] <= 0.005
    for group in ("office_workers_utc8", "breaking_news", "activist_campaign", "fandom"):
        assert group_rate(r, group) <= 0.01, group


def test_world_infer_schedule_on_the_truth(small_world):
    truth = pq.read_table(small_world / "truth" / "accounts.parquet")
    with DuckDBEngine(Store(small_world / "store")) as eng:
        pop = population(eng)
        op = infer_schedule(
            eng, truth.filter(pc.equal(truth.column("operation_id"), "spamouflage-1")), pop
        )
        office = infer_schedule(
            eng, truth.filter(pc.equal(truth.column("group"), "office_workers_utc8")), pop
        )
    _matches_planted(op, _planted(small_world, "spamouflage-1"))
    assert op.office_score > 0.9
    # Ordinary people of UTC+8 who post in their lunch break: not an office at work.
    assert office.office_score < 0.5


# -- Spark ---------------------------------------------------------------------------------


def test_same_evidence_on_spark(hand):
    pytest.importorskip("pyspark")
    from unmask.engine.spark import SparkEngine

    store, expected = hand
    spark = SparkEngine(store)
    try:
        got = ShiftSchedule().run(spark)
    finally:
        spark.close()
    cols = ["platform_a", "account_a", "platform_b", "account_b", "count", "reason"]
    assert same_rows(got.edges, cols) == same_rows(expected.edges, cols)
    for a, b in zip(
        sorted(got.edges.to_pylist(), key=lambda r: (r["account_a"], r["account_b"])),
        sorted(expected.edges.to_pylist(), key=lambda r: (r["account_a"], r["account_b"])),
        strict=True,
    ):
        assert a["weight"] == pytest.approx(b["weight"])
        assert a["p_value"] == pytest.approx(b["p_value"])
    scols = ["platform", "account_id", "reason"]
    assert same_rows(got.scores, scols) == same_rows(expected.scores, scols)
    gcols = ["group_id", "description", "n_accounts", "slots", "accounts"]
    assert same_rows(got.tables["groups"], gcols) == same_rows(expected.tables["groups"], gcols)
    assert got.stats == expected.stats


def test_the_report_summary_says_what_the_schedule_shows():
    """The summary's sentence on the hours is the schedule signal's (the report reads no
    figure of a signal by name)."""
    shift = {"shift_pattern": True, "description": "Mon–Fri 01:00–10:00 UTC, a break at 04:00"}
    assert ShiftSchedule.summary_sentences({"schedule": shift}) == [
        "They worked to a shift pattern: Mon–Fri 01:00–10:00 UTC, a break at 04:00."
    ]
    none = {"shift_pattern": False, "description": "no shift pattern (office score 0.1)"}
    assert "no shift pattern" in ShiftSchedule.summary_sentences({"schedule": none})[0]
    assert ShiftSchedule.summary_sentences({}) == []
