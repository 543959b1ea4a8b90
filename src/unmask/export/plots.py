"""The report's pictures, drawn with Matplotlib as inline SVG (no script, no network: the
report opens offline and prints as it shows).

Each function takes one operation's figures (``operations.json``) and returns an SVG
string, or ``None`` when there is nothing to draw.
"""

from __future__ import annotations

import io
import warnings
from datetime import date, timedelta

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
from matplotlib import font_manager

# Text stays text in the SVG: searchable, small, and drawn in the reader's fonts (which is
# what makes Chinese and Japanese labels legible without embedding a CJK font). Only fonts
# this machine has are named: Matplotlib warns once per label for a missing one (5,270
# "findfont" lines for one report on the real data).
WANTED_FONTS = ("DejaVu Sans", "Noto Sans CJK JP")
INSTALLED = {f.name for f in font_manager.fontManager.ttflist}
plt.rcParams.update(
    {
        "svg.fonttype": "none",
        "font.family": [*(f for f in WANTED_FONTS if f in INSTALLED), "sans-serif"],
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)
PLATFORM_COLOURS = {
    "facebook": "#1877f2",
    "instagram": "#c13584",
    "x": "#111111",
    "youtube": "#ff0000",
    "tiktok": "#25f4ee",
    "reddit": "#ff4500",
    "medium": "#00ab6c",
    "blog": "#8d6e63",
    "telegram": "#229ed9",
    "threads": "#555555",
}
# The outline of the working hours on the heatmap.
SHIFT_OUTLINE = "#d62728"
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MAX_NETWORK_NODES = 300
MAX_NETWORK_EDGES = 3000


def colour(platform: str) -> str:
    return PLATFORM_COLOURS.get(platform, "#999999")


def _svg(fig) -> str:
    buf = io.StringIO()
    with warnings.catch_warnings():
        # Text is left to the browser's fonts, so glyphs Matplotlib lacks (emoji) do not matter.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        # No date and ids salted alike: the same run draws the same bytes, so a report
        # regenerated from unchanged data does not differ (docs/example-report).
        with plt.rc_context({"svg.hashsalt": "unmask"}):
            fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def daily(rows: list[dict]) -> tuple[list[date], dict[str, list[int]]]:
    """Every calendar day from the first action to the last, and each platform's actions on
    each: a day without activity is a zero. The run's timeline lists active days only, and a
    line drawn through those alone would join Friday to Monday as if the weekend were busy."""
    per_day: dict[str, dict[date, int]] = {}
    for r in rows:
        per_day.setdefault(r["platform"], {})[date.fromisoformat(r["day"])] = r["actions"]
    first = min(min(d) for d in per_day.values())
    last = max(max(d) for d in per_day.values())
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return days, {p: [counts.get(d, 0) for d in days] for p, counts in sorted(per_day.items())}


def timeline(op: dict) -> str | None:
    """Actions per day, one line per platform (zeros on days without activity)."""
    rows = op["activity"]["timeline"]
    if not rows:
        return None
    days, series = daily(rows)
    fig, ax = plt.subplots(figsize=(7.5, 2.6))
    for platform, counts in series.items():
        ax.plot(days, counts, label=platform, color=colour(platform), lw=1.4)
    ax.set_ylabel("actions per day")
    ax.legend(ncol=5, fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(0, 1.22))
    fig.autofmt_xdate()
    return _svg(fig)


def heatmap(op: dict) -> str | None:
    """Actions by UTC hour of week; the inferred working hours and breaks outlined, when
    the schedule signal inferred them."""
    grid = np.array(op["activity"]["hour_of_week"], dtype=float)
    if grid.sum() == 0:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 2.4))
    im = ax.imshow(grid, aspect="auto", cmap="Greys", interpolation="nearest")
    ax.set_yticks(range(7), DAYS)
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("hour (UTC)")
    fig.colorbar(im, ax=ax, label="actions", fraction=0.03)
    # Only a shift pattern that passed the rota test has shifts_utc
    # (``unmask.signals.schedule.operation_schedules``).
    for day, start, end in (op.get("schedule") or {}).get("shifts_utc", []):
        rect = plt.Rectangle((start - 0.5, day - 0.5), end - start, 1, fill=False, ec=SHIFT_OUTLINE)
        ax.add_patch(rect)
    return _svg(fig)


def breakdown(op: dict) -> str | None:
    """Engagement received from inside vs outside the operation, and followers that look
    bought vs the rest (when the audience signal measured them)."""
    reach = op["reach"]
    bars = []
    if reach["engagement_outside"] is not None:  # None: not in this data
        bars.append(
            (
                "engagement",
                reach["engagement_inside"],
                reach["engagement_outside"],
                "inside",
                "outside",
            )
        )
    bought = (op.get("audience_followers") or {}).get("bought")
    if bought is not None:
        total = op["audience_followers"]["followers"]
        bars.append(("followers", bought, max(total - bought, 0), "look bought", "other"))
    if not any(a + b for _, a, b, _, _ in bars):
        return None
    fig, ax = plt.subplots(figsize=(7.5, 0.6 + 0.5 * len(bars)))
    for i, (name, a, b, la, lb) in enumerate(bars):
        ax.barh(i, a, color="#d62728", label=la if i == 0 else f"{name}: {la}")
        ax.barh(i, b, left=a, color="#7f7f7f", label=lb if i == 0 else f"{name}: {lb}")
        ax.text(a + b, i, f"  {a:,} / {a + b:,}", va="center", fontsize=8)
    ax.set_yticks(range(len(bars)), [b[0] for b in bars])
    ax.legend(ncol=4, fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(0, 1.5))
    return _svg(fig)


def network(op: dict, edges: list[tuple[str, str, float]], platforms: dict[str, str]) -> str | None:
    """The operation's accounts and the fused links between them, coloured by platform
    (the strongest-linked ``MAX_NETWORK_NODES`` accounts when there are more)."""
    if not edges:
        return None
    g = nx.Graph()
    g.add_weighted_edges_from(edges)
    if g.number_of_nodes() > MAX_NETWORK_NODES:
        keep = sorted(g.degree(weight="weight"), key=lambda x: (-x[1], x[0]))[:MAX_NETWORK_NODES]
        g = g.subgraph([n for n, _ in keep]).copy()
    # The layout uses every link; the picture draws the strongest (a hairball of 20,000
    # lines shows nothing more and weighs megabytes).
    drawn = sorted(g.edges(data="weight"), key=lambda e: (-e[2], e[0], e[1]))[:MAX_NETWORK_EDGES]
    pos = nx.spring_layout(g, seed=1, weight="weight", k=1.5 / max(1, g.number_of_nodes()) ** 0.5)
    fig, ax = plt.subplots(figsize=(7.5, 5))
    nx.draw_networkx_edges(
        g, pos, edgelist=[(a, b) for a, b, _ in drawn], ax=ax, alpha=0.15, width=0.5
    )
    for platform in sorted({platforms.get(n, "?") for n in g}):
        nodes = [n for n in g if platforms.get(n, "?") == platform]
        nx.draw_networkx_nodes(
            g, pos, nodelist=nodes, node_size=18, node_color=colour(platform), label=platform, ax=ax
        )
    ax.legend(ncol=5, fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(0, 1.08))
    ax.set_axis_off()
    return _svg(fig)


def narratives(op: dict, top: int = 8) -> str | None:
    """Posts per topic, labelled with its terms; or, without topics, posts per content
    family, labelled with the start of its representative text."""
    told = op.get("topics") or {}
    if told.get("method") == "topics" and told.get("topics"):
        items = [
            (t["posts"], f"{t['topic_id']}: " + ", ".join(t["terms"][:4])) for t in told["topics"]
        ]
    else:
        items = [(f["posts"], f["representative"] or "") for f in op.get("narratives") or []]
    if not items:
        return None
    items = items[:top][::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.4 + 0.35 * len(items)))
    ax.barh(range(len(items)), [n for n, _ in items], color="#1f77b4")
    labels = [text[:60] + ("…" if len(text) > 60 else "") for _, text in items]
    ax.set_yticks(range(len(items)), labels, fontsize=7)
    ax.set_xlabel("posts")
    return _svg(fig)
