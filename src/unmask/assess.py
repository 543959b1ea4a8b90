"""Judging clusters: which independent signals support each, how likely it is an
inauthentic operation, and in what words to report it.

A cluster of the fused graph is a group of accounts that the signals tie together. A family
*supports* a cluster by the share of its accounts it vouches for: accounts with an edge of
that family to another account of the same cluster, or with a score of that family at or
above the signal's threshold. A cluster's ``score`` is the sum over families of these
shares (2.6 reads "two and a half families' worth of the accounts"); ``families`` are those
that support at least ``min_support`` of it.

Coordination is not inauthenticity: fandoms, activists, newsrooms and news bots act
together in the open, and some show two or three families. So the judgement is not a
count of families: the families' support and what marks an open crowd (an audience outside
the cluster, accounts with years of history, affiliation said in the open) go into a
calibrated model (:mod:`unmask.judgement`), whose ``probability`` sets the *tier*, in words
that claim no more than the data shows (``TIERS``):

* ``cib_high``, "coordinated inauthentic behaviour (high confidence)": probability at least
  ``high`` (0.9);
* ``cib_likely``, "likely coordinated inauthentic behaviour": at least ``likely`` (0.7,
  "likely" is 66-100 % in the IPCC's calibrated language, Mastrandrea et al. 2010);
* ``coordinated_unassessed``, "coordinated behaviour (authenticity not assessed)": below
  ``likely``, some family supports it, and what this data could not show (no follows, no
  profile fields, no sign-up records, no engagement with its posts, or signals not chosen)
  could have lifted it over ``likely`` (``Model.upper``). The bar is never lowered because
  the data is thin: the tier says so instead, and names what was not assessed.

A cluster with fewer than ``min_size`` accounts, or one below ``likely`` that the missing
evidence could not have changed, gets no tier (it is what open crowds look like). Only the
two inauthentic tiers are *operations* (``operation``): they make the takedown list; the
other tier is reported, with its evidence, for an analyst to judge. The reason names the
features that argued for and against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from unmask.engine.duckdb import connect
from unmask.judgement import (
    AUTHENTICITY,
    FAMILIES,
    FEATURES,
    Model,
    load_model,
    not_applicable,
)
from unmask.signals.base import Evidence

SUPPORT_SCHEMA = pa.schema(
    [
        pa.field("cluster_id", pa.string(), nullable=False),
        pa.field("family", pa.string(), nullable=False),
        pa.field("signal", pa.string(), nullable=False),
        pa.field("accounts", pa.int64(), nullable=False),
    ]
)


@dataclass(frozen=True)
class Judged:
    """One signal's evidence with what fusion and judgement need to know of it."""

    evidence: Evidence
    family: str
    score_threshold: float = 0.5
    defines_groups: bool = True


def member_support(nodes: pa.Table, judged: Sequence[Judged]) -> pa.Table:
    """Per cluster, family and signal: how many of the cluster's accounts the signal vouches
    for (an internal edge, or a score at or above its threshold). Also, per account, which
    signals vouch for it (``account_signals``)."""
    con = connect()
    con.register("nodes", nodes)
    parts = []
    for i, j in enumerate(judged):
        ev = j.evidence
        if ev.edges.num_rows:
            con.register(
                f"e{i}", ev.edges.select(["platform_a", "account_a", "platform_b", "account_b"])
            )
            # Each end's cluster is looked up on its own (a materialised step): left to
            # itself the planner may pair every two accounts of a big cluster first.
            parts.append(
                f"""(WITH ends AS MATERIALIZED (
                      SELECT e.p, e.a, e.q, e.b, n.cluster_id
                      FROM (SELECT platform_a AS p, account_a AS a, platform_b AS q,
                                   account_b AS b FROM e{i}
                            UNION ALL
                            SELECT platform_b, account_b, platform_a, account_a FROM e{i}) e
                      JOIN nodes n ON n.platform = e.p AND n.account_id = e.a)
                    SELECT ends.p AS platform, ends.a AS account_id, ends.cluster_id,
                           '{j.family}' AS family, '{ev.signal}' AS signal
                    FROM ends JOIN nodes m ON m.platform = ends.q AND m.account_id = ends.b
                    WHERE m.cluster_id = ends.cluster_id)"""
            )
        if ev.scores.num_rows:
            con.register(f"s{i}", ev.scores.select(["platform", "account_id", "score"]))
            parts.append(
                f"""SELECT n.platform, n.account_id, n.cluster_id,
                           '{j.family}' AS family, '{ev.signal}' AS signal
                    FROM s{i} s JOIN nodes n USING (platform, account_id)
                    WHERE s.score >= {float(j.score_threshold)}"""
            )
    if not parts:
        empty = pa.table(
            {"platform": [], "account_id": [], "cluster_id": [], "family": [], "signal": []},
            schema=pa.schema(
                [
                    (c, pa.string())
                    for c in ("platform", "account_id", "cluster_id", "family", "signal")
                ]
            ),
        )
        return empty
    return con.sql("SELECT DISTINCT * FROM (" + " UNION ALL ".join(parts) + ")").to_arrow_table()


TIERS = {
    "cib_high": "coordinated inauthentic behaviour (high confidence)",
    "cib_likely": "likely coordinated inauthentic behaviour",
    "coordinated_unassessed": "coordinated behaviour (authenticity not assessed)",
}
# The tiers that name inauthentic behaviour: the ones that make a takedown list.
TAKEDOWN_TIERS = ("cib_high", "cib_likely")


def judge(
    nodes: pa.Table,
    vouched: pa.Table,
    *,
    features: Mapping[str, Mapping[str, float | None]] | None = None,
    model: Model | None = None,
    min_size: int = 5,
    min_support: float = 0.2,
    likely: float = 0.7,
    high: float = 0.9,
    assessable: set[str] | None = None,
    ran: set[str] | None = None,
) -> pa.Table:
    """One row per cluster: size, platforms, support per family, score, the calibrated
    probability that it is an inauthentic operation, its tier (and whether that makes it
    an operation), with the reason in words.

    ``features``: per cluster, :data:`unmask.judgement.FEATURES` (``cluster_features``);
    without them only the families' support is known. ``model``: the fitted model (default:
    the one shipped). ``assessable``: the families whose signals ran and could judge this
    data (None: all); a family that could not be assessed is a missing feature, never a
    zero. ``ran``: the families whose signals ran at all (None: all), so that the reason
    can tell a family not chosen from one the data could not show.
    """
    model = model or load_model()
    known = set(FAMILIES) if assessable is None else set(assessable)
    unassessed = [f for f in FAMILIES if f not in known]
    not_run = [f for f in unassessed if ran is not None and f not in ran]
    lacking = [f for f in unassessed if f not in not_run]
    why = "; ".join(
        part
        for part in (
            f"{', '.join(not_run)}: no signal of theirs was run" if not_run else "",
            f"{', '.join(lacking)}: the data lacks what they need (see the notes)"
            if lacking
            else "",
        )
        if part
    )
    # What a family that could not judge this data vouched for is not support: it never
    # counts as agreeing, nor in the score, nor in the reason's shares.
    judged = vouched.filter(pc.is_in(vouched["family"], pa.array(sorted(known), pa.string())))
    out = []
    for c in support_table(nodes, judged):
        support = c["support"]
        shares = {f["family"]: f["share"] for f in support}
        x = dict(features.get(c["cluster_id"], {})) if features is not None else {}
        for f in FAMILIES:
            if f not in x:
                x[f] = float(shares.get(f, 0.0)) if f in known else None
        for f in FEATURES:
            x.setdefault(f, None)
        # Choosing fewer signals never lowers the bar: a family the user did not run counts
        # as having found nothing (its least incriminating value), not as the average that
        # a family the data cannot show stands for; what it might have found is ``upper``.
        p = model.probability(x | {f: model.least(f) for f in not_run})
        upper = model.upper(x)
        # A feature that does not apply (new accounts' audience, for old ones) is not one
        # the data lacks.
        inapplicable = not_applicable(x)
        missing = [f for f in FEATURES if x[f] is None and f not in inapplicable]
        strong = [f["family"] for f in support if f["share"] >= min_support]
        weak = [f for f in support if f["share"] < min_support]
        # The families named as supporting are exactly ``families``; the others that vouched
        # for some accounts are named apart, below the bar.
        said = (
            _shares([f for f in support if f["share"] >= min_support], min_support)
            + (f"; below {100 * min_support:.0f}%: {_shares(weak, min_support)}" if weak else "")
        ).lstrip("; ") or "no family"
        pro, con = model.explain(x)
        because = "; ".join(
            part
            for part in (
                f"for: {', '.join(pro)}" if pro else "",
                f"against: {', '.join(con)}" if con else "",
            )
            if part
        )
        head = f"probability {p:.2f} that it is an inauthentic operation rather than an open crowd"
        if not_run:
            head += f" (counting {', '.join(not_run)}, not run, as finding nothing)"
        gaps = _gaps(missing, why)
        # Coordination is not inauthenticity: how a group acts together (its support, its
        # rota, how long it kept at it) never makes it inauthentic without some evidence on
        # who its accounts are, what they are built on or who answers them.
        authentic_unknown = all(x[f] is None for f in AUTHENTICITY)
        tier = None
        if c["accounts"] < min_size:
            reason = f"too small ({c['accounts']} accounts < {min_size}); {said}"
        elif authentic_unknown and strong and upper >= likely:
            # Low or high (``upper`` is never below ``p``), the probability then reads how
            # the group acts together only: it is not stated as one of inauthenticity.
            tier = "coordinated_unassessed"
            reason = (
                f"{', '.join(strong)} support{'s' if len(strong) == 1 else ''} it ({said}); "
                f"how its accounts act together would alone put it at {p:.2f}"
                f"{f' ({because})' if because else ''}, "
                f"but coordination is not inauthenticity and nothing in this data shows "
                f"whether they are authentic: {gaps}"
            )
        elif p >= high:
            tier, reason = "cib_high", f"{head} ({because})"
        elif p >= likely:
            tier, reason = "cib_likely", f"{head} ({because})"
        elif strong and missing and upper >= likely:
            tier = "coordinated_unassessed"
            reason = (
                f"{', '.join(strong)} support{'s' if len(strong) == 1 else ''} it ({said}); "
                f"{head}, and what the data could not show could have made it one "
                f"(up to {upper:.2f}): {gaps}"
            )
        else:
            reason = f"{head} ({because or said})"
        if missing and tier != "coordinated_unassessed":
            reason += f"; not assessed: {gaps}"
        out.append(
            {
                "cluster_id": c["cluster_id"],
                "accounts": c["accounts"],
                "platforms": c["platforms"],
                "families": strong,
                "support": support,
                "score": sum(min(1.0, f["share"]) for f in support),
                "probability": p,
                "features": [{"feature": f, "value": x[f]} for f in FEATURES],
                "tier": tier,
                "operation": tier in TAKEDOWN_TIERS,
                "reason": reason,
                "unassessed": unassessed,
            }
        )
    return pa.Table.from_pylist(out, schema=CLUSTER_SCHEMA)


def _gaps(missing: list[str], why: str) -> str:
    """The missing features in words, with why the families among them are missing."""
    if not missing:
        return ""
    fams = [f for f in missing if f in FAMILIES]
    rest = [f for f in missing if f not in FAMILIES]
    parts = []
    if fams:
        parts.append(why or ", ".join(fams))
    if rest:
        parts.append(f"{', '.join(rest)}: not in this data")
    return "; ".join(parts)


def support_table(nodes: pa.Table, vouched: pa.Table) -> list[dict]:
    """Per cluster: its accounts, platforms and each family's support (accounts, share,
    signals), largest first."""
    con = connect()
    con.register("nodes", nodes)
    con.register("vouched", vouched)
    rows = con.sql(
        """WITH size AS (
              SELECT cluster_id, count(*) AS accounts,
                     list(DISTINCT platform ORDER BY platform) AS platforms
              FROM nodes GROUP BY cluster_id),
            fam AS (
              SELECT cluster_id, family, count(DISTINCT (platform, account_id)) AS vouched,
                     list(DISTINCT signal ORDER BY signal) AS signals
              FROM vouched GROUP BY cluster_id, family)
           SELECT s.cluster_id, s.accounts, s.platforms,
                  coalesce(list(struct_pack(family := f.family, accounts := f.vouched,
                                            share := f.vouched / s.accounts,
                                            signals := f.signals)
                                ORDER BY f.vouched DESC, f.family)
                           FILTER (WHERE f.family IS NOT NULL), []) AS support
           FROM size s LEFT JOIN fam f USING (cluster_id)
           GROUP BY s.cluster_id, s.accounts, s.platforms
           ORDER BY s.accounts DESC, s.cluster_id"""
    ).fetchall()
    return [
        {"cluster_id": c, "accounts": a, "platforms": p, "support": sup} for c, a, p, sup in rows
    ]


def _shares(support: list[dict], bar: float) -> str:
    """Families with their shares in percent ("coordination 100%, schedule 10%"); a share
    just under the bar keeps a decimal so that it never reads as reaching it."""

    def pct(share: float) -> str:
        whole = f"{100 * share:.0f}"
        return f"{100 * share:.1f}" if share < bar and float(whole) >= 100 * bar else whole

    return ", ".join(f"{f['family']} {pct(f['share'])}%" for f in support)


def tier_words(tier: str | None) -> str:
    """The words a report uses for a tier ("" for a cluster without one)."""
    return TIERS.get(tier or "", "")


CLUSTER_SCHEMA = pa.schema(
    [
        pa.field("cluster_id", pa.string(), nullable=False),
        pa.field("accounts", pa.int64(), nullable=False),
        pa.field("platforms", pa.list_(pa.string())),
        pa.field("families", pa.list_(pa.string())),
        pa.field(
            "support",
            pa.list_(
                pa.struct(
                    [
                        ("family", pa.string()),
                        ("accounts", pa.int64()),
                        ("share", pa.float64()),
                        ("signals", pa.list_(pa.string())),
                    ]
                )
            ),
        ),
        pa.field("score", pa.float64(), nullable=False),
        # the calibrated probability that it is an inauthentic operation (unmask.judgement)
        pa.field("probability", pa.float64(), nullable=False),
        # what the probability was computed from (null: the data cannot give it)
        pa.field(
            "features",
            pa.list_(pa.struct([("feature", pa.string()), ("value", pa.float64())])),
        ),
        # TIERS key, or null for a cluster that is not reported
        pa.field("tier", pa.string()),
        # the tier names inauthentic behaviour: the cluster is on the takedown list
        pa.field("operation", pa.bool_(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        # the families this data could not show (never counted as agreeing)
        pa.field("unassessed", pa.list_(pa.string())),
    ]
)
