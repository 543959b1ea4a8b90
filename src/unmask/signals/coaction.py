"""Co-action synchrony: accounts that act on the same target within seconds, again and again.

Targets are what an activity points at: a canonical URL, a domain, a hashtag, the post it
shares or answers (``parent``), its normalised text, or an attached image (``media``). Two
accounts co-act when they act on the same target within ``window`` seconds; they are linked
when they do so on at least ``min_repeat`` different targets. Targets other than ``parent``
are the same across platforms, so an X account and a Facebook page that push the same link
together are linked too.

The method follows the family of SynchroTrap (Cao et al., "Uncovering Large Groups of Active
Malicious Accounts in Online Social Networks", CCS 2014), CopyCatch (Beutel et al., WWW 2013)
and coordinated link sharing (Giglietto et al., "It takes a village to manipulate the media",
Information, Communication & Society 2020; CooRnet), with three guards against chance:

* **Rarity weighting.** An edge's weight sums, over the targets the pair co-acted on, the
  target's inverse document frequency ``ln(N / n_t)`` (N accounts in all, n_t on the target):
  a link that everyone shares says little, a link that twelve accounts share says a lot.
* **Bounded pairs.** Within a target, each action is compared with at most ``neighbours``
  actions that follow it in time (and within the window), so that a viral target with ten
  thousand shares in a minute yields at most ten thousand times ``neighbours`` pairs instead
  of fifty million, while every small group keeps all its pairs.
* **A permutation null and false-discovery control.** The same computation is repeated on
  ``null_replicates`` shuffled copies of the data: within every slot of ``null_slot``
  seconds (default six hours), the accounts are dealt anew among all the slot's actions,
  across targets. Every action keeps its target and its time (every target its burst),
  every account its number of actions in every slot (its volume and its rhythm over
  the day); which account acted on which target is left to chance. Accounts that merely
  share a rhythm, or that are busy when a link goes viral, co-act as often in the shuffled
  copies as in the data; accounts that pick the same targets together again and again do
  not. Edges are then judged by their weight against the shuffled copies' edges
  (``unmask.signals.significance``: pooled permutation ``p_value``, and ``q_value`` the
  estimated false-discovery rate of keeping every edge at least as heavy, Storey &
  Tibshirani 2003, PNAS; Benjamini & Hochberg 1995); edges with ``q_value > fdr`` are
  dropped. The slot is long enough to hold other accounts' actions even in sparse data (a
  slot that holds only the group's own burst deals the group to itself) and short enough
  to keep the daily rhythm (``docs/signals.md`` gives the measurements behind six hours).
  With ``stratify``, an edge is judged only against shuffled edges between accounts as busy
  as its two (binary order of magnitude of their numbers of actions; Sun et al. 2006):
  needed when a few very busy accounts' chance edges outweigh a quiet group's, harmful
  when accounts of one community act on the same targets (measured; off by default).

  A shuffle *within each target* (the first version) keeps the set of accounts on every
  target; a group that is alone on its own links is rebuilt by every shuffle, so nothing
  is ever significant: it found no planted group in the benchmark and is gone.

``window='auto'`` picks the window from the data as CooRnet's ``estimate_coord_interval``
does: for targets acted on at least twice, the time from the first to the second action;
the window is the median of the fastest ``auto_quantile`` share of those targets.

``compat='coortweet'`` reproduces CooRTweet's ``detect_groups`` + ``generate_coordinated_network``
exactly (Righetti & Balluff; see ``docs/signals.md``): no weighting, no neighbour cap, no
null; every pair of actions within the window counts; ``min_participation`` pre-filters
accounts; the weight is the number of co-acting action pairs.

**Several kinds at once** (``on=("url", "domain")``, ``unmask network --on url,domain``): the
targets of every kind are stacked, each prefixed with its kind (``url:…``, ``domain:…``), and
the network is computed once over all of them, as CooRTweet's multi-modal analysis does
(its vignette: ``detect_groups`` on each kind, the results stacked, then
``generate_coordinated_network``): a pair's weight and count add up over the kinds. With
``compat='coortweet'`` the ``min_participation`` filters apply to each kind on its own, as
they do when ``detect_groups`` runs once per kind, so the weight is the sum of CooRTweet's
per-kind weights. Kinds that overlap count twice: one link shared together is a co-shared
URL and a co-shared domain.

``compat='toolkit'`` reproduces coordination-network-toolkit's ``co_link`` (``on='url'``) and
``co_retweet`` (``on='parent'``) (Graham et al., QUT Digital Observatory): links as written,
reposts' links ignored, ``|dt| <= window`` both ways, directed edges weighted by the number of
the first account's messages, ``min_repeat`` as ``min_edge_weight`` - except that an empty
link field is no link (the toolkit makes it a link shared by all; ``docs/signals.md``).
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import pyarrow.parquet as pq

from unmask import rundir
from unmask.engine.base import Engine
from unmask.engine.duckdb import connect
from unmask.engine.sql import literal
from unmask.signals.base import EDGE_SCHEMA, EVENT_SCHEMA, Evidence, Reporting, Signal
from unmask.signals.significance import pooled_null, significance_sql, weight_sum

# The Mersenne prime 2^31 - 1: products of two residues stay below 2^62 (BIGINT everywhere).
_P = 2147483647
TARGETS = ("url", "domain", "hashtag", "parent", "text", "media")
_LABEL = {
    "url": "link",
    "domain": "domain",
    "hashtag": "hashtag",
    "parent": "post",
    "text": "text",
    "media": "image",
}
_VERB = {"parent": "shared or answered", "hashtag": "used", "text": "posted"}
# Meta's kill-chain procedure for likely fake accounts amplifying together, per platform:
# what accounts that co-share or co-reply the same posts (co-action on "parent") show.
AMPLIFYING = {
    "facebook": "6.2.1 Amplifying with likely fake accounts on Facebook",
    "instagram": "6.2.2 Amplifying with likely fake accounts on Instagram",
    "threads": "6.2.3 Amplifying with likely fake accounts on Threads",
    "x": "6.2.4 Amplifying with likely fake accounts on X/Twitter",
    "youtube": "6.2.5 Amplifying with likely fake accounts on YouTube",
    "tiktok": "6.2.6 Amplifying with likely fake accounts on TikTok",
    "telegram": "6.2.7 Amplifying with likely fake accounts on Telegram",
    "reddit": "6.2.8 Amplifying with likely fake accounts on online forums",
}


# Whole seconds (the same in every engine); ``actor`` is the account's key in one column.
_EVENT_COLUMNS = (
    "platform, account_id, platform || '/' || account_id AS actor, activity_id, time, "
    "floor(epoch(time)) AS t"
)


def target_sql(on: str, min_text_length: int = 20) -> str:
    """SELECT of (platform, account_id, activity_id, time, t, target) for one target kind."""
    if on in ("url", "domain", "hashtag", "media"):
        col = {"url": "urls", "domain": "domains", "hashtag": "hashtags", "media": "media_hashes"}[
            on
        ]
        return (
            f"SELECT DISTINCT {_EVENT_COLUMNS}, target FROM "
            f"(SELECT *, unnest({col}) AS target FROM activities) WHERE target IS NOT NULL AND target <> ''"
        )
    if on == "parent":
        return (
            f"SELECT {_EVENT_COLUMNS}, platform || ':' || parent_activity_id AS target "
            "FROM activities "
            "WHERE parent_activity_id IS NOT NULL"
        )
    if on == "text":
        return (
            f"SELECT * FROM ({_text_targets_sql()}) WHERE length(target) >= {int(min_text_length)}"
        )
    raise ValueError(f"on={on!r}: expected one of {', '.join(TARGETS)}")


TEXTS = "_shared_texts"  # the normalised texts, made once a run (Engine.shared)


def shared_texts(engine: Engine) -> str:
    """The name of the table of every activity's normalised text (target_sql("text")
    before texts shorter than min_text_length are left out), made on first use."""
    engine.shared(TEXTS, _text_targets_sql())
    return TEXTS


def _text_targets_sql() -> str:
    """target_sql("text") before texts shorter than min_text_length are left out."""
    norm = (
        "trim(regexp_replace(regexp_replace(lower(text), "
        r"'https?://\S+|@[A-Za-z0-9_]+|^rt ', '', 'g'), '\s+', ' ', 'g'))"
    )
    return f"SELECT {_EVENT_COLUMNS}, {norm} AS target FROM activities WHERE text IS NOT NULL"


class CoAction(Signal):
    name = "coaction"
    label = "co-action: acting on the same targets in sync"
    order = 10
    disarm = ("T0049.005",)  # Conduct Swarming
    kill_chain = tuple(AMPLIFYING.values())
    report_section = "synchronised"
    kind = "edges"
    reference = (
        "Cao et al. 2014 (SynchroTrap, CCS); Beutel et al. 2013 (CopyCatch, WWW); "
        "Giglietto et al. 2020 (coordinated link sharing, ICS); Righetti & Balluff (CooRTweet); "
        "Storey & Tibshirani 2003 (permutation FDR, q-values, PNAS); Benjamini & Hochberg 1995 "
        "(FDR, JRSS B)"
    )

    def __init__(
        self,
        on: str | tuple[str, ...] = "url",
        window: float | str = 60,
        min_repeat: int = 2,
        neighbours: int | None = 50,
        null_replicates: int = 1,
        null_slot: float = 21600,
        stratify: bool = False,
        fdr: float | None = 0.05,
        seed: int = 0,
        min_text_length: int = 20,
        auto_quantile: float = 0.1,
        max_events_per_edge: int = 100,
        compat: str | None = None,
        min_participation: int = 2,
        remove_loops: bool = True,
    ) -> None:
        self.on = on
        self.window = window
        self.min_repeat = min_repeat
        self.neighbours = neighbours
        self.null_replicates = null_replicates
        self.null_slot = null_slot
        self.stratify = stratify
        self.fdr = fdr
        self.seed = seed
        self.min_text_length = min_text_length
        self.auto_quantile = auto_quantile
        self.max_events_per_edge = max_events_per_edge
        self.compat = compat
        self.min_participation = min_participation
        self.remove_loops = remove_loops

    @property
    def kinds(self) -> tuple[str, ...]:
        """The target kinds, in order and once each ("url,domain" is two)."""
        parts = [self.on] if isinstance(self.on, str) else list(self.on)
        found = [k.strip() for part in parts for k in part.split(",") if k.strip()]
        return tuple(dict.fromkeys(found))

    @property
    def signal_name(self) -> str:
        return "coaction_" + "+".join(self.kinds)

    def _label(self) -> str:
        return " or ".join(_LABEL[k] for k in self.kinds)

    def _verb(self) -> str:
        verbs = {_VERB.get(k, "shared") for k in self.kinds}
        return verbs.pop() if len(verbs) == 1 else "acted on"

    @classmethod
    def configurations(cls) -> list[Signal]:
        """One per kind of target, each its own layer of evidence (``coaction_url``, ...)."""
        return [cls(on=on) for on in ("url", "domain", "hashtag", "parent", "text", "media")]

    # -- how the evidence is used ----------------------------------------------------------

    @classmethod
    def kill_chain_entries(cls, op: dict[str, Any]) -> list[tuple[str, str]]:
        per_platform = op["assets"]["by_signal_platform"].get(f"{cls.name}_parent", {})
        return [
            (
                AMPLIFYING[platform],
                f"{n} {platform} account(s) co-share or co-reply the same posts in sync",
            )
            for platform, n in per_platform.items()
            if platform in AMPLIFYING
        ]

    @classmethod
    def report_evidence(cls, ctx: Reporting) -> dict[str, list[dict[str, Any]]]:
        """Per cluster, its ``ctx.examples`` strongest co-action edges of each kind, each
        with its synchronised actions (each kind's files read once for all clusters)."""
        out: dict[str, list[dict]] = defaultdict(list)
        con = connect()
        for events_file in rundir.evidence_files(ctx.run_dir, rundir.EVENTS, f"{cls.name}_*"):
            edges_file = rundir.evidence_file(ctx.run_dir, events_file.parent.name, rundir.EDGES)
            per_cluster: dict[str, list[dict]] = defaultdict(list)
            for e in pq.read_table(edges_file).to_pylist():
                ca = ctx.cluster_of.get((e["platform_a"], e["account_a"]))
                if ca is not None and ca == ctx.cluster_of.get((e["platform_b"], e["account_b"])):
                    per_cluster[ca].append(e)
            for cluster, inside in per_cluster.items():
                inside.sort(key=lambda e: (-e["count"], e["account_a"], e["account_b"]))
                out[cluster] += [_synchronised(con, events_file, e) for e in inside[: ctx.examples]]
        con.close()
        return out

    # -- the run -------------------------------------------------------------------------

    def _check(self) -> None:
        kinds = self.kinds
        if not kinds or any(k not in TARGETS for k in kinds):
            raise ValueError(
                f"on={self.on!r}: expected one or more of {', '.join(TARGETS)} "
                "(several separated by commas)"
            )
        if self.compat not in (None, "coortweet", "toolkit"):
            raise ValueError(f"compat={self.compat!r}: expected None, 'coortweet' or 'toolkit'")
        if self.compat == "toolkit" and kinds not in (("url",), ("parent",)):
            raise ValueError(
                f"compat='toolkit' reproduces co_link (on='url') and co_retweet (on='parent'), "
                f"not on={self.on!r}"
            )
        if self.compat is None and self.null_replicates and not float(self.null_slot) > 0:
            raise ValueError(f"null_slot={self.null_slot}: must be a positive number of seconds")

    def run(self, engine: Engine) -> Evidence:
        self._check()
        kinds = self.kinds
        ev = Evidence(signal=self.signal_name, params=self.get_params())
        self._events_table(engine)
        n_events = engine.count("_ca_events")
        ev.stats["events"] = n_events
        if n_events == 0:
            named = "' or '".join(kinds)
            ev.notes.append(f"nothing to compare: no activity has a target of kind '{named}'")
            return ev
        window = self._window(engine)
        ev.stats["window_seconds"] = window
        if self.compat == "coortweet":
            self._run_coortweet(engine, window, ev)
        elif self.compat == "toolkit":
            self._run_toolkit(engine, window, ev)
        else:
            self._run_default(engine, window, ev)
        engine.drop("_ca_events", "_ca_targets", "_ca_pairs", "_ca_edges", "_ca_null")
        return ev

    def _events_table(self, engine: Engine) -> None:
        """``_ca_events``: every action on a target of the kinds in ``on``, with its kind
        (``modality``); with several kinds, each target prefixed with its kind."""
        kinds = self.kinds
        parts = []
        for kind in kinds:
            if kind == "text":
                # Two steps: in one query the length filter is pushed down into the scan,
                # where it runs the regular expressions a second time (10M activities:
                # 41 s -> 30 s). Burst reads the same texts.
                texts = shared_texts(engine)
                src = f"SELECT * FROM {texts} WHERE length(target) >= {int(self.min_text_length)}"
            else:
                src = target_sql(kind, self.min_text_length)
            target = "target" if len(kinds) == 1 else f"'{kind}:' || target"
            parts.append(
                f"SELECT platform, account_id, actor, activity_id, time, t, {target} AS target, "
                f"'{kind}' AS modality FROM ({src})"
            )
        engine.create_table("_ca_events", " UNION ALL ".join(parts))

    def _window(self, engine: Engine) -> float:
        if self.window != "auto":
            return float(self.window)
        q = float(self.auto_quantile)
        value = engine.scalar(
            f"""WITH firsts AS (
                    SELECT target, t, row_number() OVER (PARTITION BY target ORDER BY t) AS i
                    FROM _ca_events),
                gaps AS (
                    SELECT max(t) FILTER (WHERE i = 2) - min(t) FILTER (WHERE i = 1) AS gap
                    FROM firsts WHERE i <= 2 GROUP BY target HAVING count(*) = 2),
                ranked AS (
                    SELECT gap, row_number() OVER (ORDER BY gap) AS i,
                           count(*) OVER () AS n FROM gaps)
                SELECT median(gap) FROM ranked WHERE i <= greatest(1, ceil({q} * n))"""
        )
        return max(1.0, float(value)) if value is not None else 60.0

    # -- unmask's definition -------------------------------------------------------------
    #
    # The heavy steps (the pair join, the aggregation into account pairs, the same on every
    # shuffled copy) run on integers: an account is its rank among the accounts (``aid``,
    # ordered as the ``platform/account`` key, so that a < b is the same order as before),
    # a target its rank among the targets (``tid``), an action its place within its target
    # (``rn``). Names, times and activity ids are joined back for the kept edges only.

    def _keys(self, engine: Engine) -> None:
        engine.create_table(
            "_ca_actors",
            """SELECT actor, platform, account_id, row_number() OVER (ORDER BY actor) AS aid
               FROM (SELECT DISTINCT actor, platform, account_id FROM _ca_events)""",
        )
        engine.create_table(
            "_ca_tids",
            """SELECT target, row_number() OVER (ORDER BY target) AS tid
               FROM (SELECT DISTINCT target FROM _ca_events)""",
        )
        # One row per action, in integers; rn orders a target's actions in time.
        engine.create_table(
            "_ca_acts",
            """SELECT t.tid, a.aid, e.t, e.platform AS pf, e.activity_id, e.time,
                      row_number() OVER (PARTITION BY t.tid
                                         ORDER BY e.t, e.actor, e.activity_id) AS rn
               FROM _ca_events e JOIN _ca_tids t USING (target)
               JOIN _ca_actors a USING (actor)""",
        )
        # A target's rarity, ln(N / n_t), counted on the integers.
        engine.create_table(
            "_ca_targets",
            """SELECT tid, target, n_accounts, ln(total / n_accounts) AS idf
               FROM (SELECT tid, count(DISTINCT aid) AS n_accounts FROM _ca_acts GROUP BY tid)
               JOIN _ca_tids USING (tid)
               CROSS JOIN (SELECT count(*) AS total FROM _ca_actors) n""",
        )
        engine.drop("_ca_tids")

    def _pairs_sql(self, acts: str, window: float) -> str:
        """Pairs of actions (tid, rn) on the same target within the window, a < b."""
        k = self.neighbours
        if k:
            # Blocks of k consecutive actions: an action meets the next k at most, found in
            # its own block or the next one.
            block = f"CAST(floor((rn - 1) / {int(k)}) AS BIGINT)"
            cap = f"AND y.rn - x.rn <= {int(k)}"
        else:
            block = f"CAST(floor(t / {window}) AS BIGINT)"
            cap = ""
        return f"""
            WITH b AS (SELECT tid, aid, t, rn, {block} AS blk FROM {acts}),
            y2 AS (SELECT *, blk AS jk FROM b UNION ALL SELECT *, blk - 1 AS jk FROM b)
            SELECT x.tid, least(x.aid, y.aid) AS a, greatest(x.aid, y.aid) AS b,
                   CASE WHEN x.aid < y.aid THEN x.rn ELSE y.rn END AS rn_a,
                   CASE WHEN x.aid < y.aid THEN y.rn ELSE x.rn END AS rn_b,
                   y.t - x.t AS lag
            FROM b x JOIN y2 y ON x.tid = y.tid AND x.blk = y.jk
            WHERE y.rn > x.rn {cap} AND y.t - x.t <= {window} AND x.aid <> y.aid"""

    @staticmethod
    def _edges_sql(pairs: str) -> str:
        """Per account pair: the distinct targets and their summed rarity."""
        return f"""
            SELECT a, b, count(*) AS count, {weight_sum("idf")} AS weight
            FROM (SELECT DISTINCT a, b, tid FROM {pairs}) p JOIN _ca_targets USING (tid)
            GROUP BY a, b"""

    @staticmethod
    def _classed(edges: str) -> str:
        """The edges with their stratum: the pair of the two accounts' classes."""
        return f"""
            SELECT e.*, least(ca.cls, cb.cls) * 1000 + greatest(ca.cls, cb.cls) AS cls
            FROM {edges} e JOIN _ca_class ca ON ca.aid = e.a JOIN _ca_class cb ON cb.aid = e.b"""

    def _run_default(self, engine: Engine, window: float, ev: Evidence) -> None:
        self._keys(engine)
        engine.create_table("_ca_pairs", self._pairs_sql("_ca_acts", window))
        engine.create_table("_ca_edges", self._edges_sql("_ca_pairs"))
        ev.stats["action_pairs"] = engine.count("_ca_pairs")
        ev.stats["candidate_edges"] = engine.count("_ca_edges")
        replicates = int(self.null_replicates or 0)
        mr = int(self.min_repeat)
        ev.stats["repeated_edges"] = engine.scalar(
            f"SELECT count(*) FROM _ca_edges WHERE count >= {mr}"
        )
        # Busy accounts co-act by chance far more than quiet ones; with ``stratify`` an edge
        # is judged against shuffled edges between accounts as busy as its two (the binary
        # order of magnitude of each one's number of actions, which the shuffle keeps).
        engine.create_table(
            "_ca_class",
            "SELECT aid, CAST(floor(log2(count(*))) AS BIGINT) AS cls FROM _ca_acts GROUP BY aid"
            if self.stratify
            else "SELECT DISTINCT aid, CAST(0 AS BIGINT) AS cls FROM _ca_acts",
        )

        def replicate(r: int) -> str:
            engine.create_table(f"_ca_null_acts_{r}", self._null_acts_sql(r))
            engine.create_table(
                f"_ca_null_pairs_{r}", self._pairs_sql(f"_ca_null_acts_{r}", window)
            )
            engine.create_table(f"_ca_null_{r}", self._edges_sql(f"_ca_null_pairs_{r}"))
            engine.drop(f"_ca_null_acts_{r}", f"_ca_null_pairs_{r}")
            return f"SELECT cls, weight FROM ({self._classed(f'_ca_null_{r}')}) WHERE count >= {mr}"

        significance = significance_sql(
            f"(SELECT cls, weight FROM ({self._classed('_ca_edges')}) WHERE count >= {mr})",
            pooled_null(engine, "_ca_null", replicates, replicate, ev.stats),
            replicates,
            stratum="cls",
        )
        engine.create_table(
            "_ca_judged",
            f"""SELECT e.a, e.b, e.count, e.weight, s.p_value, s.q_value
                FROM ({self._classed("_ca_edges")}) e JOIN ({significance}) s USING (cls, weight)
                WHERE e.count >= {mr}""",
        )
        keep = "true"
        if replicates and self.fdr is not None:
            keep = f"q_value <= {float(self.fdr)}"
            self._note_unresolved(engine, ev, replicates)
        engine.create_table("_ca_kept", f"SELECT * FROM _ca_judged WHERE {keep}")
        engine.drop("_ca_judged")
        # The kept edges' action pairs, with names, activities and times (the evidence).
        engine.create_table(
            "_ca_kept_pairs",
            """SELECT p.a, p.b, t.target, xa.platform AS platform_a, xa.account_id AS account_a,
                      xb.platform AS platform_b, xb.account_id AS account_b,
                      ua.activity_id AS activity_a, ub.activity_id AS activity_b,
                      ua.time AS time_a, ub.time AS time_b, p.lag
               FROM _ca_pairs p SEMI JOIN _ca_kept k USING (a, b)
               JOIN _ca_targets t USING (tid)
               JOIN _ca_acts ua ON ua.tid = p.tid AND ua.rn = p.rn_a
               JOIN _ca_acts ub ON ub.tid = p.tid AND ub.rn = p.rn_b
               JOIN _ca_actors xa ON xa.aid = p.a
               JOIN _ca_actors xb ON xb.aid = p.b""",
        )
        verb, label = self._verb(), self._label()
        edges = engine.fetch(
            f"""SELECT '{self.signal_name}' AS signal, x.platform_a, x.account_a, x.platform_b,
                       x.account_b, k.weight, k.count, k.p_value, k.q_value, x.first_time,
                       x.last_time,
                       '{verb} the same {label} within ' || CAST(round(x.max_lag) AS BIGINT)
                       || ' s of each other on ' || k.count || ' occasions (median lag '
                       || CAST(round(x.median_lag) AS BIGINT) || ' s)' AS reason
                FROM _ca_kept k
                JOIN (SELECT a, b, platform_a, account_a, platform_b, account_b,
                             min(least(time_a, time_b)) AS first_time,
                             max(greatest(time_a, time_b)) AS last_time,
                             max(lag) AS max_lag, median(lag) AS median_lag
                      FROM _ca_kept_pairs
                      GROUP BY a, b, platform_a, account_a, platform_b, account_b) x
                  USING (a, b)
                ORDER BY k.weight DESC, x.platform_a, x.account_a, x.platform_b, x.account_b"""
        )
        ev.edges = edges.cast(EDGE_SCHEMA)
        ev.events = self._events(engine, "_ca_kept_pairs", kept=None)
        engine.drop("_ca_actors", "_ca_acts", "_ca_class", "_ca_kept", "_ca_kept_pairs")

    def _note_unresolved(self, engine: Engine, ev: Evidence, replicates: int) -> None:
        """A note when edges repeat but none passes the FDR because the null cannot tell
        them from chance: in a store that is mostly one operation (or one community), the
        shuffled copies deal the operation's accounts among its own actions, so they co-act
        as the data does; and with few edges, the lowest q-value ``b`` replicates can give
        is about ``1 / (b k)``, ``k`` the edges heavier than every shuffled edge. Without
        the note, such a run reads as "no coordination"."""
        fdr = float(self.fdr)
        judged = engine.count("_ca_judged")
        best_q = engine.scalar("SELECT min(q_value) FROM _ca_judged")
        if not judged or best_q is None or best_q <= fdr:
            return
        shuffled = float(ev.stats.get("null_edges_per_replicate") or 0)
        ev.stats["null_uninformative"] = True
        ev.stats["lowest_q_value"] = round(float(best_q), 4)
        ev.notes.append(
            f"the shuffled null could not judge this store: {judged:,} account pair(s) "
            f"{self._verb()} the same {self._label()} on {int(self.min_repeat)} occasions or "
            f"more, the shuffled copies made {shuffled:,.1f} such pair(s) each, and the "
            f"lowest q-value reached was {best_q:.3f}, above the FDR of {fdr} "
            f"({replicates} replicate(s)); no edge is kept. When the store is mostly one "
            "operation, the shuffled copies are the operation too: raise null_replicates, "
            "set fdr=None to see the edges with their q-values, or compare compat='coortweet' "
            "(docs/signals.md, 'When the null is uninformative')"
        )

    def _null_acts_sql(self, replicate: int) -> str:
        """One shuffled copy of the actions: within every slot of ``null_slot`` seconds, the
        accounts are dealt anew among all the slot's actions, across targets.

        Each action keeps its target and its time (each target its burst), each account its
        number of actions in every slot (its volume, its hour-by-hour rhythm); which account
        acts on which target, within the slot, is left to chance. Posts shared (``parent``)
        belong to one platform, so there the deal is within (slot, platform): an X account
        never shares a Telegram post in the shuffled copy either.
        """
        # The deal's order: a hash of the action modulo the Mersenne prime 2^31 - 1, its
        # coefficients drawn from the seed and the replicate (integers, the same on every
        # engine, and far cheaper than an md5 per action). A multiply-add alone is linear:
        # actions n and n + 1 of two targets would stay the same distance apart and a burst
        # would be dealt to another burst whole; squaring in between breaks that.
        rng = random.Random(f"coaction-null:{self.seed}:{replicate}")
        a, b, c, d = (rng.randrange(1, _P) for _ in range(4))
        # BIGINT throughout: Spark's row_number() is a 32-bit INT, and INT products wrap.
        x = f"(((CAST(tid AS BIGINT) * 1000003 + CAST(rn AS BIGINT)) % {_P}) * {a} + {b}) % {_P}"
        deal = f"((({x}) * ({x}) % {_P}) * {c} + {d}) % {_P}"
        slot = f"CAST(floor(t / {float(self.null_slot)}) AS BIGINT)"
        key = "s, pf" if "parent" in self.kinds else "s"
        # The deal in one sort: the slot's actions in a random order, each takes the account
        # of the next one (the last that of the first), so every account keeps its number of
        # actions in the slot and each action gets the account of a random other action.
        # Each action keeps its place in its target (rn): the times are the data's, so the
        # order in time is too, and no sort by target is needed again.
        w = f"OVER (PARTITION BY {key} ORDER BY {deal}, tid, rn)"
        return f"""
            SELECT tid, t, rn,
                   coalesce(lead(aid) {w}, first_value(aid) {w}) AS aid
            FROM (SELECT tid, aid, t, rn, pf, {slot} AS s FROM _ca_acts)"""

    def _events(self, engine: Engine, pairs: str, kept: str | None = "_ca_kept") -> Any:
        """The action pairs behind the edges in ``kept`` (all of ``pairs`` when None), at
        most ``max_events_per_edge`` per edge."""
        semi = (
            f"SEMI JOIN {kept} k USING (platform_a, account_a, platform_b, account_b)"
            if kept
            else ""
        )
        return engine.fetch(
            f"""SELECT '{self.signal_name}' AS signal, platform_a, account_a, platform_b, account_b,
                       target, activity_a, activity_b, time_a, time_b, lag AS lag_seconds
                FROM (SELECT p.*, row_number() OVER (
                          PARTITION BY p.platform_a, p.account_a, p.platform_b, p.account_b
                          ORDER BY p.time_a, p.target, p.activity_a, p.activity_b) AS i
                      FROM {pairs} p {semi})
                WHERE i <= {int(self.max_events_per_edge)}
                ORDER BY platform_a, account_a, platform_b, account_b, time_a, target,
                         activity_a, activity_b"""
        ).cast(EVENT_SCHEMA)

    # -- CooRTweet's definition ----------------------------------------------------------

    def _run_coortweet(self, engine: Engine, window: float, ev: Evidence) -> None:
        mp = int(self.min_participation)
        # detect_groups: accounts with at least min_participation actions take part (per
        # kind of target: CooRTweet's multi-modal analysis runs detect_groups once per kind).
        engine.create_table(
            "_ca_x",
            f"""SELECT * FROM _ca_events SEMI JOIN (
                    SELECT actor, modality FROM _ca_events GROUP BY actor, modality
                    HAVING count(*) >= {mp}) k
                USING (actor, modality)""",
        )
        # Every pair of actions on the same object within the window (both orders once).
        loops = (
            "AND x.actor <> y.actor "
            "AND x.activity_id <> y.activity_id "
            "AND x.target <> x.platform || ':' || x.activity_id "
            "AND y.target <> y.platform || ':' || y.activity_id"
            if self.remove_loops
            else ""
        )
        engine.create_table(
            "_ca_pairs",
            f"""WITH e AS (
                    SELECT *, row_number() OVER (PARTITION BY target ORDER BY t, activity_id) AS rn,
                           CAST(floor(t / {window}) AS BIGINT) AS blk
                    FROM _ca_x),
                y2 AS (SELECT *, blk AS jk FROM e UNION ALL SELECT *, blk - 1 AS jk FROM e
                       UNION ALL SELECT *, blk + 1 AS jk FROM e)
                SELECT x.target, x.modality, x.platform AS px, x.account_id AS ax, x.actor AS kx,
                       x.activity_id AS actx, x.time AS tmx, y.platform AS py,
                       y.account_id AS ay, y.actor AS ky, y.activity_id AS acty, y.time AS tmy,
                       abs(y.t - x.t) AS lag
                FROM e x JOIN y2 y ON x.target = y.target AND x.blk = y.jk
                WHERE y.rn > x.rn AND abs(y.t - x.t) <= {window} {loops}""",
        )
        # filter_min_participation: keep pairs where either action is by an account with
        # at least min_participation actions among those in the result.
        engine.create_table(
            "_ca_keep_accounts",
            f"""SELECT actor, modality FROM _ca_x SEMI JOIN (
                    SELECT actx AS activity_id, modality FROM _ca_pairs
                    UNION SELECT acty AS activity_id, modality FROM _ca_pairs) c
                  USING (activity_id, modality)
                GROUP BY actor, modality HAVING count(*) >= {mp}""",
        )
        engine.create_table(
            "_ca_pairs2",
            """SELECT p.* FROM _ca_pairs p
               LEFT JOIN _ca_keep_accounts a ON a.actor = p.kx AND a.modality = p.modality
               LEFT JOIN _ca_keep_accounts b ON b.actor = p.ky AND b.modality = p.modality
               WHERE a.actor IS NOT NULL OR b.actor IS NOT NULL""",
        )
        label = self._label()
        edges = engine.fetch(
            f"""WITH o AS (
                    SELECT CASE WHEN kx <= ky THEN px ELSE py END AS platform_a,
                           CASE WHEN kx <= ky THEN ax ELSE ay END AS account_a,
                           CASE WHEN kx <= ky THEN py ELSE px END AS platform_b,
                           CASE WHEN kx <= ky THEN ay ELSE ax END AS account_b,
                           target, lag, tmx, tmy
                    FROM _ca_pairs2)
                SELECT '{self.signal_name}' AS signal, platform_a, account_a, platform_b,
                       account_b, CAST(count(*) AS DOUBLE) AS weight,
                       count(DISTINCT target) AS count, CAST(NULL AS DOUBLE) AS p_value,
                       CAST(NULL AS DOUBLE) AS q_value, min(least(tmx, tmy)) AS first_time,
                       max(greatest(tmx, tmy)) AS last_time,
                       count(*) || ' pairs of actions on the same {label} within {window:g} s '
                       || '(CooRTweet definition; mean lag ' || CAST(round(avg(lag), 1) AS VARCHAR)
                       || ' s)' AS reason
                FROM o GROUP BY ALL
                ORDER BY weight DESC, platform_a, account_a, platform_b, account_b"""
        )
        ev.edges = edges.cast(EDGE_SCHEMA)
        ev.stats["action_pairs"] = engine.count("_ca_pairs2")
        engine.drop("_ca_x", "_ca_keep_accounts", "_ca_pairs2")

    # -- coordination-network-toolkit's definition ---------------------------------------

    def _run_toolkit(self, engine: Engine, window: float, ev: Evidence) -> None:
        """The toolkit's ``co_link`` (on='url') and ``co_retweet`` (on='parent').

        Read from ``coordination_network_toolkit/compute_networks.py`` and ``preprocess.py``
        (see docs/signals.md): links of reposts are ignored and links are compared as written;
        two messages co-act when they are different messages on the same link (co_link) or
        reposts of the same message (co_retweet) at most ``window`` seconds apart, before or
        after (inclusive), the same account included; the edge user_1 -> user_2 is *directed*
        and weighs the number of distinct messages of user_1 that co-act with a message of
        user_2; edges below ``min_repeat`` (the toolkit's ``min_edge_weight``) are dropped.
        Unlike the toolkit, an empty link is no link.
        """
        import math

        (on,) = self.kinds
        network = {"url": "co_link", "parent": "co_retweet"}[on]
        if on == "url":
            source = (
                "SELECT * FROM (SELECT *, unnest(urls_original) AS target FROM activities "
                "WHERE kind <> 'share') WHERE target IS NOT NULL AND target <> ''"
            )
        else:
            source = (
                "SELECT *, platform || ':' || parent_activity_id AS target FROM activities "
                "WHERE kind = 'share' AND parent_activity_id IS NOT NULL"
            )
        # Exact times (to the microsecond, as the toolkit compares its float seconds); whole
        # seconds only to cut time into blocks of at least the window, so that the join is an
        # equality join on (target, block) against the block itself and its two neighbours.
        block = max(1, math.ceil(window))
        micros = round(window * 1_000_000)
        engine.create_table(
            "_ca_tk",
            f"""SELECT DISTINCT platform, account_id, platform || '/' || account_id AS actor,
                       activity_id, time, target,
                       CAST(floor(floor(epoch(time)) / {block}) AS BIGINT) AS blk
                FROM ({source})""",
        )
        loops = "" if not self.remove_loops else "AND x.actor <> y.actor"
        engine.create_table(
            "_ca_tk_pairs",
            f"""WITH y AS (
                    SELECT *, blk AS jk FROM _ca_tk UNION ALL SELECT *, blk - 1 AS jk FROM _ca_tk
                    UNION ALL SELECT *, blk + 1 AS jk FROM _ca_tk)
                SELECT x.target, x.platform AS platform_a, x.account_id AS account_a,
                       y.platform AS platform_b, y.account_id AS account_b,
                       x.activity_id AS activity_a, y.activity_id AS activity_b,
                       x.time AS time_a, y.time AS time_b,
                       CAST(date_diff('microsecond', x.time, y.time) AS DOUBLE) / 1000000 AS lag
                FROM _ca_tk x JOIN y ON x.target = y.target AND x.blk = y.jk
                WHERE abs(date_diff('microsecond', x.time, y.time)) <= {micros}
                  AND (x.activity_id <> y.activity_id OR x.platform <> y.platform) {loops}""",
        )
        ev.stats["action_pairs"] = engine.count("_ca_tk_pairs")
        engine.create_table(
            "_ca_kept",
            f"""SELECT platform_a, account_a, platform_b, account_b,
                       count(DISTINCT activity_a) AS weight, count(DISTINCT target) AS count,
                       min(least(time_a, time_b)) AS first_time,
                       max(greatest(time_a, time_b)) AS last_time
                FROM _ca_tk_pairs GROUP BY platform_a, account_a, platform_b, account_b
                HAVING count(DISTINCT activity_a) >= {int(self.min_repeat)}""",
        )
        what, things = {
            "url": ("posts shared a link that the other account posted", "links"),
            "parent": ("reposts reposted a post that the other account reposted", "posts"),
        }[on]
        edges = engine.fetch(
            f"""SELECT '{self.signal_name}' AS signal, platform_a, account_a, platform_b,
                       account_b, CAST(weight AS DOUBLE) AS weight, count,
                       CAST(NULL AS DOUBLE) AS p_value, CAST(NULL AS DOUBLE) AS q_value,
                       first_time, last_time,
                       CAST(weight AS VARCHAR) || ' of this account''s {what} within {window:g} s, '
                       || 'before or after ({things}: ' || CAST(count AS VARCHAR) || '; '
                       || 'coordination-network-toolkit {network}, directed)' AS reason
                FROM _ca_kept
                ORDER BY weight DESC, platform_a, account_a, platform_b, account_b"""
        )
        ev.edges = edges.cast(EDGE_SCHEMA)
        ev.events = self._events(engine, "_ca_tk_pairs")
        ev.notes.append(
            f"coordination-network-toolkit's {network}: edges are directed, one row "
            "per direction; the weight counts account_a's messages"
        )
        engine.drop("_ca_tk", "_ca_tk_pairs", "_ca_kept")


def _synchronised(con: Any, events_file: Any, e: dict[str, Any]) -> dict[str, Any]:
    """One co-action edge for the report: its accounts, reason and first synchronised
    actions."""
    rows = con.execute(
        f"""SELECT target, activity_a, activity_b, time_a, time_b, lag_seconds
            FROM read_parquet({literal(events_file)})
            WHERE platform_a = ? AND account_a = ? AND platform_b = ? AND account_b = ?
            ORDER BY time_a LIMIT 10""",
        [e["platform_a"], e["account_a"], e["platform_b"], e["account_b"]],
    ).fetchall()
    return {
        "signal": events_file.parent.name,
        "accounts": [f"{e['platform_a']}/{e['account_a']}", f"{e['platform_b']}/{e['account_b']}"],
        "reason": e["reason"],
        "count": e["count"],
        "q_value": e["q_value"],
        "events": [
            {
                "target": t,
                "activity_a": aa,
                "activity_b": ab,
                "time_a": ta.isoformat(),
                "time_b": tb.isoformat(),
                "lag_seconds": lag,
            }
            for t, aa, ab, ta, tb, lag in rows
        ],
    }
