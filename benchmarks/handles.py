"""The handle detector (``unmask.signals.handles``) on real handles.

    .venv/bin/python benchmarks/handles.py            # prints the figures in docs/signals.md
    .venv/bin/python benchmarks/handles.py /work/worlds/medium   # + a simulated world's

Positives: every profile handle in Meta's published takedown indicators
(``../shared/data/meta-threat-research/``: X/Twitter, TikTok, YouTube, Reddit, Medium and
Telegram links, refanged), and those of the Q2 2023 Spamouflage network alone.
Ordinary: the handles the Internet Research Agency's tweets mention or retweet
(``../shared/data/ira-sample/``), less the IRA's own 30 accounts and any handle Meta lists.
They are the only real handles of other people in the shared data (CooRTweet's sets are
anonymised; the CrowdTangle export has page names, not handles): people, politicians, news
outlets and celebrities that Twitter users talked to in 2014-2018, i.e. the accounts a
detector must leave alone, including ordinary users who kept the handle they were given.
A few mentioned accounts may themselves be inauthentic; that can only lower the measured
precision.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from unmask.signals.handles import handle_score

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
_URL = re.compile(
    r"(twitter|x|tiktok|youtube|reddit|medium|instagram|t)\[\.\](?:com|me)/"
    r"(@?[^/?#\s\"',]+)(?:/([^/?#\s\"',]+))?",
    re.I,
)
# Path parts of those sites that are not handles.
_NOT_HANDLES = {
    "status", "i", "hashtag", "search", "intent", "home", "share", "s", "joinchat", "channel",
    "watch", "c", "p", "reel", "explore", "video", "shorts", "playlist", "user", "u",
}  # fmt: skip
_MENTION = re.compile(r"@([A-Za-z0-9_]{1,15})")


def meta_handles(files: str = "*.csv") -> list[str]:
    """Distinct profile handles in Meta's indicator files (defanged URLs)."""
    out: set[str] = set()
    for f in sorted((DATA / "meta-threat-research").glob(files)):
        for m in _URL.finditer(f.read_text(encoding="utf-8", errors="replace")):
            site, first, second = m.group(1).lower(), m.group(2), m.group(3)
            if site == "reddit":
                if first.lower() not in ("user", "u") or not second:
                    continue
                first = second
            h = first.lstrip("@")
            if h and h.lower() not in _NOT_HANDLES and "%" not in h:
                out.add(h)
    return sorted(out)


def ira_mentioned_handles(exclude: set[str] = frozenset()) -> list[str]:
    """Handles the IRA sample's tweets mention, less the IRA's own and ``exclude``."""
    ira = DATA / "ira-sample"
    with open(ira / "authors.csv", encoding="utf-8") as fh:
        own = {r["author"].lower() for r in csv.DictReader(fh)}
    skip = own | {h.lower() for h in exclude}
    out: dict[str, str] = {}
    for f in sorted((ira / "tweets").glob("*.csv")):
        with open(f, encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                for h in _MENTION.findall(r["content"] or ""):
                    if h.lower() not in skip:
                        out.setdefault(h.lower(), h)
    return sorted(out.values())


def roc_auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(a positive scores above a negative), ties counting half (Mann-Whitney U)."""
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def measure(threshold: float = 0.5) -> dict:
    """Recall on Meta's handles, false-positive rate on ordinary ones, ROC AUC."""
    meta = meta_handles()
    spam = meta_handles("*Spamouflage*")
    ordinary = ira_mentioned_handles(set(meta))
    s_meta, s_spam, s_ord = (handle_score(x) for x in (meta, spam, ordinary))
    return {
        "threshold": threshold,
        "meta_handles": len(meta),
        "spamouflage_handles": len(spam),
        "ordinary_handles": len(ordinary),
        "recall_meta": float((s_meta >= threshold).mean()),
        "recall_spamouflage": float((s_spam >= threshold).mean()),
        "false_positive_rate": float((s_ord >= threshold).mean()),
        "auc_meta": roc_auc(s_meta, s_ord),
        "auc_spamouflage": roc_auc(s_spam, s_ord),
        "precision_at_equal_sizes": float(
            (s_meta >= threshold).mean()
            / max((s_meta >= threshold).mean() + (s_ord >= threshold).mean(), 1e-12)
        ),
    }


def simulated_ordinary_handles(world: Path) -> list[str]:
    """The handles of a simulated world's authentic accounts (ordinary and hard negatives)."""
    import pyarrow.parquet as pq

    from unmask.store import Store

    con = Store(world / "store").connect()
    con.register("truth", pq.read_table(world / "truth" / "accounts.parquet"))
    rows = con.sql(
        """SELECT DISTINCT a.handle FROM accounts a JOIN truth t USING (platform, account_id)
           WHERE t.operation_id IS NULL AND a.handle IS NOT NULL ORDER BY 1"""
    ).fetchall()
    return [r[0] for r in rows]


if __name__ == "__main__":
    import sys

    if len(sys.argv) > 1:  # a simulated world: its authentic handles as the ordinary ones
        sim = simulated_ordinary_handles(Path(sys.argv[1]))
        s_sim, s_meta = handle_score(sim), handle_score(meta_handles())
        print(f"simulated authentic handles: {len(sim)}, flagged {(s_sim >= 0.5).mean():.4f}")
        print(f"ROC AUC, Meta's handles against them: {roc_auc(s_meta, s_sim):.3f}")
        print("flagged:", ", ".join(h for h, x in zip(sim, s_sim, strict=True) if x >= 0.5))
    for k, v in measure().items():
        print(f"{k:>26}: {v:.3f}" if isinstance(v, float) else f"{k:>26}: {v}")
    ordinary = ira_mentioned_handles(set(meta_handles()))
    flagged = [h for h, s in zip(ordinary, handle_score(ordinary), strict=True) if s >= 0.5]
    print("ordinary handles flagged:", ", ".join(flagged))
