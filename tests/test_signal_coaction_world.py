"""Co-action on the simulated world: what it links, per planted operation and role, and how
much of each hard-negative group it drags in. The bounds are the figures measured on the
small scenario (seed 1), with some slack; docs/signals.md gives the full table (small and
medium worlds)."""

from __future__ import annotations

import pytest
from worldscore import accounts_of, group_rate, role_recall, score_accounts

from unmask.engine.duckdb import DuckDBEngine
from unmask.signals.coaction import TARGETS, CoAction
from unmask.store import Store

NEGATIVES = ("breaking_news", "fandom", "activist_campaign", "office_workers_utc8", "news_bots")


def linked(world, tmp_path, **params) -> dict:
    with DuckDBEngine(Store(world / "store")) as eng:
        ev = CoAction(**params).run(eng)
    return score_accounts(world, tmp_path / "run", accounts_of(ev), "coaction")


@pytest.mark.parametrize("on", TARGETS)
def test_defaults_leave_ordinary_people_and_every_hard_negative_alone(small_world, tmp_path, on):
    # Measured with the defaults: no ordinary account and no hard-negative account on any
    # target kind; the news feeds (8 bots, 4 edges) are too few for one shuffled copy to
    # vouch for them (see the next test but one).
    r = linked(small_world, tmp_path, on=on)
    assert r["ordinary"]["flagged"] == 0
    for group in NEGATIVES:
        assert group_rate(r, group) == 0, group


def test_defaults_find_the_amplifiers_that_share_the_operations_posts(small_world, tmp_path):
    """Spamouflage's amplifiers share its posts within seconds, again and again: the slot
    null finds all 74 (measured) and nobody else."""
    r = linked(small_world, tmp_path, on="parent")
    assert role_recall(r, "spamouflage-1", "amplifier") >= 0.95
    assert r["overall"]["precision"] >= 0.95
    assert role_recall(r, "spamouflage-1", ("poster", "fake_follower")) == 0


def test_a_slot_too_short_deals_the_group_to_itself(small_world, tmp_path):
    """In a 5-minute slot of the small world the amplifiers' burst is nearly all there is
    to deal, so the shuffled copy rebuilds them (measured: none of 74 found); the default
    slot holds other accounts' actions too."""
    r = linked(small_world, tmp_path, on="parent", null_slot=300)
    assert role_recall(r, "spamouflage-1", "amplifier") <= 0.2


def test_more_shuffles_vouch_for_small_cliques(small_world, tmp_path):
    """Twenty shuffled copies make the news feeds' few edges significant: they post the same
    links at the same second, every time (other signals must say that they hide nothing)."""
    r = linked(small_world, tmp_path, on="url", null_replicates=20)
    assert group_rate(r, "news_bots") == 1.0
    assert r["ordinary"]["flagged"] == 0
    for group in ("breaking_news", "fandom", "activist_campaign", "office_workers_utc8"):
        assert group_rate(r, group) == 0, group


def test_loose_settings_reach_the_operations_posters(small_world, tmp_path):
    """Operations that deal copies to random posters rarely pair the same two accounts
    twice: one co-action per pair, within a quarter of an hour, finds their posters (and,
    as expected, much of every hard-negative group: fusing signals must sort them out)."""
    r = linked(small_world, tmp_path, on="text", window=900, min_repeat=1, fdr=None)
    assert role_recall(r, "spamouflage-1", "poster") >= 0.9
    assert role_recall(r, "doppelganger-1", "poster") >= 0.9
    assert role_recall(r, "spamouflage-1", "fake_follower") == 0
    assert r["ordinary"]["flagged"] == 0
    assert group_rate(r, "fandom") > 0.5  # one co-action is what a fandom does too
