"""The report's activity timeline (issue #18): days without activity are zeros, not a line
from Friday straight to Monday."""

from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from unmask.export import plots

# Thursday 2024-03-07 to Tuesday 2024-03-12, nothing at the weekend (9th, 10th) nor on
# the Monday (11th) for telegram.
ROWS = [
    {"day": "2024-03-07", "platform": "facebook", "actions": 12},
    {"day": "2024-03-08", "platform": "facebook", "actions": 30},
    {"day": "2024-03-11", "platform": "facebook", "actions": 25},
    {"day": "2024-03-12", "platform": "facebook", "actions": 5},
    {"day": "2024-03-08", "platform": "telegram", "actions": 4},
    {"day": "2024-03-12", "platform": "telegram", "actions": 9},
]


def _line_points(svg: str, platform: str) -> int:
    """Points of the longest line drawn in the platform's colour (the legend's is short)."""
    colour = plots.colour(platform)
    paths = re.findall(r'<path d="([^"]*)"[^>]*style="[^"]*stroke: ' + colour, svg)
    return max(len(re.findall(r"[ML] ", d)) for d in paths)


def test_the_plot_has_a_point_for_every_day():
    svg = plots.timeline({"activity": {"timeline": ROWS}})
    assert svg is not None
    # Six calendar days from Thursday to Tuesday: six points per platform, zeros included.
    assert _line_points(svg, "facebook") == 6
    assert _line_points(svg, "telegram") == 6


def test_daily_fills_the_days_without_activity():
    days, series = plots.daily(ROWS)
    assert days == [date(2024, 3, 7) + timedelta(days=i) for i in range(6)]
    assert series == {"facebook": [12, 30, 0, 0, 25, 5], "telegram": [0, 4, 0, 0, 0, 9]}


@given(
    st.dictionaries(
        st.tuples(st.sampled_from(["x", "facebook"]), st.dates(date(2020, 1, 1), date(2020, 3, 1))),
        st.integers(1, 1000),
        min_size=1,
    )
)
def test_daily_keeps_every_action(counts):
    rows = [{"platform": p, "day": d.isoformat(), "actions": n} for (p, d), n in counts.items()]
    days, series = plots.daily(rows)
    assert all((b - a).days == 1 for a, b in pairwise(days))
    assert days[0] == min(d for _, d in counts) and days[-1] == max(d for _, d in counts)
    for p, values in series.items():
        assert sum(values) == sum(n for (q, _), n in counts.items() if q == p)


def test_labels_in_any_script_draw_without_a_warning_per_label(caplog):
    """Only fonts the machine has are named: a missing one made Matplotlib log "findfont"
    once per label (5,270 lines on stderr for one report on the real data)."""
    reps = ["中文的标签", "日本語のラベル", "Русский текст", "plain text"] * 3
    op = {"narratives": [{"representative": r, "posts": i + 1} for i, r in enumerate(reps)]}
    with caplog.at_level("WARNING", logger="matplotlib.font_manager"):
        assert plots.narratives(op, top=12)
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]
    assert "sans-serif" in plots.plt.rcParams["font.family"]
