"""Lineage: which new clusters are likely the same actor as a known operation.

Operations that are taken down come back: new accounts, but the old web sites, the old
texts reposted, the same hashtags and the same office hours (Meta has removed Spamouflage
and Doppelganger again and again; its reports call such networks *recidivist*). This
module links the clusters of a detect run to the operations of a catalogue
(``unmask.catalogue``) by the assets they share, weighing each shared item by how much it
belongs to the cluster and to the known operation:

* **specificity in the store**: the share of the accounts of the store that use the item
  which are in the cluster (1: only the cluster uses it; a ``youtube.com`` link that
  everyone posts gives almost nothing), less the share its size alone would give it
  (``(s - p0) / (1 - p0)``, ``p0`` the cluster's share of all accounts: a crowd of
  thousands holds a good part of every news link's users without owning any);
* **specificity in the catalogue**: the asset's ``weight`` (how much it was the known
  operation's own where it was seen; 1 for published indicators) divided by the number of
  known operations that list it.

An item's weight is the product of the two. Items add up *within a kind* to at most the
kind's cap (``CAPS``: an account, a handle, a domain, a link or a copied text is worth up
to 1; hashtags and the weekly schedule, which authentic groups share too, up to 0.5), and
the kinds add up: the **score**. A cluster is *linked* ("likely the same actor as …") when
its score reaches ``min_score`` (1 by default: one item wholly its own of a decisive
kind, or several kinds of weaker evidence agreeing). This is the rule ``unmask.network``
uses for signal families, and the rarity weighting is inverse document frequency
(Spärck Jones 1972, "A statistical interpretation of term specificity and its application
in retrieval", J. Documentation 28(1)).

What is compared, all in SQL over the store's views (the store is scanned once per kind,
and only items in the catalogue are kept from the scan):

* ``account``: a member whose account id, or handle, a known operation lists on the same
  platform (one item per member);
* ``domain`` (the domain or its parent: ``news.bild.pics`` matches ``bild.pics``),
  ``url`` (canonical), ``hashtag``: items the members' activities carry;
* ``text``: the members' texts, normalised as the content signal normalises them, equal
  to a text of a known content family (md5) or near-copies of its representative:
  character 4-gram shingle Jaccard at least ``text_threshold`` (Broder 1997, "On the
  resemblance and containment of documents"); a family counts as one item;
* ``schedule``: the cosine of the hour-of-week activity histograms, only for pairs that
  share something else (a shift pattern alone is what office workers share too); the
  histograms are counted in SQL, the cosine (168 values a side) in Python.

``related_known`` finds known operations of the catalogue that share assets with each
other, the same actor under two names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from unmask import rundir
from unmask.catalogue import Catalogue, KnownOperation
from unmask.engine.base import Engine
from unmask.signals.content import CopiedContent, normalise_sql
from unmask.signals.registry import signal_classes

# The most a kind of shared item adds to a link's score.
CAPS = {
    "account": 1.0,
    "domain": 1.0,
    "url": 1.0,
    "text": 1.0,
    "hashtag": 0.5,
    "schedule": 0.5,
}
MATCH_KINDS = tuple(CAPS)
MIN_TEXT_CHARS = 20  # as the content signal: shorter texts are not evidence of copying
RARE_SHINGLE_DOCS = 5  # a catalogue shingle in at most this many of its texts is rare
MIN_RARE_SHARED = 2  # rare shingles a text must share with a known one to be compared
MIN_OWN_SHARE = 0.5  # of an item's users, beyond its size, for a finding to own the item
MIN_SCHEDULE_ACTIONS = 50  # fewer actions make no histogram worth comparing
TOP_MATCHES = 25

MATCH_TYPE = pa.struct(
    [
        ("kind", pa.string()),
        ("platform", pa.string()),
        ("item", pa.string()),
        ("display", pa.string()),
        ("cluster_accounts", pa.int64()),
        ("store_accounts", pa.int64()),
        ("weight", pa.float64()),
    ]
)
LINK_SCHEMA = pa.schema(
    [
        pa.field("cluster_id", pa.string(), nullable=False),
        pa.field("known_operation", pa.string(), nullable=False),
        pa.field("origin", pa.string()),
        pa.field("score", pa.float64(), nullable=False),
        pa.field("linked", pa.bool_(), nullable=False),
        pa.field(
            "by_kind",
            pa.list_(
                pa.struct(
                    [("kind", pa.string()), ("items", pa.int64()), ("evidence", pa.float64())]
                )
            ),
        ),
        pa.field("matches", pa.list_(MATCH_TYPE)),
        pa.field("reason", pa.string(), nullable=False),
    ]
)

_M = "_ln_members"
# A cluster's share of all the store's accounts: the share of an item's users it would
# have by its size alone. An item counts by how far its share exceeds that (an item the
# cluster uses no more than its size predicts is not its own), which matters for large
# clusters (a crowd of thousands shares every news link).
_LIFT_BASE = "least(0.99, count(*) / (SELECT count(*) FROM accounts))"
_CAT = "_ln_cat"


# -- matching --------------------------------------------------------------------------


def link_operations(
    engine: Engine,
    clusters: pa.Table | Path | str,
    catalogue: Catalogue | pa.Table,
    *,
    min_score: float = 1.0,
    report_score: float = 0.1,
    operations_only: bool = False,
    text_threshold: float = 0.6,
) -> pa.Table:
    """Links between clusters and known operations (``LINK_SCHEMA``), best first.

    ``clusters``: a table of members (``platform``, ``account_id``, ``cluster_id``: a detect
    run's ``nodes.parquet``) or a run directory (``operations_only``: only the clusters
    judged operations). ``catalogue``: a :class:`Catalogue` or its assets table. Pairs
    scoring at least ``report_score`` are returned; ``linked`` is ``score >= min_score``."""
    members = _members(clusters, operations_only)
    assets = catalogue.assets() if isinstance(catalogue, Catalogue) else catalogue
    origins = (
        dict(zip(*[catalogue.operations()[c].to_pylist() for c in ("name", "origin")], strict=True))
        if isinstance(catalogue, Catalogue)
        else {}
    )
    assets = assets.filter(
        pc.is_in(assets["kind"], pa.array([*MATCH_KINDS, "handle", "text_hash"]))
    )
    if members.num_rows == 0 or assets.num_rows == 0:
        return LINK_SCHEMA.empty_table()
    engine.register(_M, members)
    engine.register(
        _CAT,
        assets.select(["operation", "kind", "platform", "value", "item", "display", "weight"]),
    )
    made = [_M, _CAT]
    try:
        engine.create_table(
            "_ln_catw",
            f"""SELECT c.*, c.weight / n.ops AS cat_weight
                FROM {_CAT} c JOIN (SELECT kind, value, count(DISTINCT operation) AS ops
                                    FROM {_CAT} GROUP BY kind, value) n USING (kind, value)""",
        )
        made.append("_ln_catw")
        parts = [_account_matches(), _item_matches()]
        made += _text_tables(engine, text_threshold)
        parts.append(_text_matches())
        engine.create_table("_ln_hits", " UNION ALL ".join(f"({p})" for p in parts))
        made.append("_ln_hits")
        rows = engine.fetch(
            """SELECT cluster_id, operation, kind, platform, item, display,
                      cluster_accounts, store_accounts, weight
               FROM _ln_hits WHERE weight > 0"""
        ).to_pylist()
        made.append("_ln_hm")
        rows += _schedule_rows(engine, rows, assets)
        rows.sort(
            key=lambda r: (
                r["cluster_id"],
                r["operation"],
                -float(r["weight"]),
                r["kind"],
                r["item"],
            )
        )
    finally:
        engine.drop(*reversed(made))
    return _score(rows, origins, min_score, report_score)


def _members(clusters: pa.Table | Path | str, operations_only: bool) -> pa.Table:
    if isinstance(clusters, pa.Table):
        nodes = clusters
    else:
        run = Path(clusters)
        nodes = rundir.read_table(run, rundir.NODES)
        if operations_only:
            judged = rundir.read_table(run, rundir.CLUSTERS)
            ops = judged.filter(judged["operation"])["cluster_id"]
            nodes = nodes.filter(pc.is_in(nodes["cluster_id"], ops))
    return nodes.select(["platform", "account_id", "cluster_id"])


def _account_matches() -> str:
    """Members whose account id or handle a known operation lists on the same platform;
    one item per member account (its id and its handle are not two pieces of evidence).
    Two equi-joins (by id, by handle) rather than one join on an OR."""
    return f"""
        WITH mem AS (
            SELECT m.cluster_id, m.platform, m.account_id, lower(m.account_id) AS id,
                   lower(a.handle) AS handle
            FROM {_M} m LEFT JOIN accounts a
              ON a.platform = m.platform AND a.account_id = m.account_id),
        hit AS (
            SELECT mem.cluster_id, mem.platform, mem.account_id, c.operation, c.display,
                   c.cat_weight
            FROM mem JOIN _ln_catw c ON c.platform = mem.platform AND c.value = mem.id
            WHERE c.kind IN ('account', 'handle')
            UNION ALL
            SELECT mem.cluster_id, mem.platform, mem.account_id, c.operation, c.display,
                   c.cat_weight
            FROM mem JOIN _ln_catw c ON c.platform = mem.platform AND c.value = mem.handle
            WHERE c.kind IN ('account', 'handle'))
        SELECT cluster_id, operation, 'account' AS kind, platform,
               platform || '/' || account_id AS item, min(display) AS display,
               CAST(1 AS BIGINT) AS cluster_accounts, CAST(1 AS BIGINT) AS store_accounts,
               max(cat_weight) AS weight
        FROM hit GROUP BY cluster_id, operation, platform, account_id"""


def _item_matches() -> str:
    """Domains (or their parent), URLs and hashtags that the members' activities carry,
    with how many accounts of the whole store use each."""
    uses = []
    # Rows without a list are skipped before the unnest (twice as fast on the medium world);
    # array_length, not len: sqlglot makes len Spark's string length, array_length its size.
    for kind, column in (("domain", "domains"), ("url", "urls"), ("hashtag", "hashtags")):
        uses.append(
            f"""SELECT t.platform, t.account_id, '{kind}' AS kind, lower(x.item) AS value
                FROM activities t, unnest(t.{column}) AS x(item)
                WHERE array_length(t.{column}) > 0"""
        )
    return f"""
        WITH used AS ({" UNION ALL ".join(uses)}),
        wanted AS (SELECT DISTINCT kind, value FROM _ln_catw
                   WHERE kind IN ('domain', 'url', 'hashtag')),
        expanded AS (
            SELECT platform, account_id, kind, value FROM used
            UNION ALL
            SELECT platform, account_id, kind,
                   substring(value, strpos(value, '.') + 1) AS value
            FROM used WHERE kind = 'domain' AND strpos(value, '.') > 0),
        hits AS (SELECT e.* FROM expanded e JOIN wanted w USING (kind, value)),
        everyone AS (SELECT kind, value, count(DISTINCT platform || '/' || account_id) AS n
                     FROM hits GROUP BY kind, value),
        ours AS (SELECT m.cluster_id, h.kind, h.value,
                        count(DISTINCT h.platform || '/' || h.account_id) AS n
                 FROM hits h JOIN {_M} m
                   ON m.platform = h.platform AND m.account_id = h.account_id
                 GROUP BY m.cluster_id, h.kind, h.value),
        base AS (SELECT m.cluster_id, {_LIFT_BASE} AS p0
                 FROM {_M} m GROUP BY m.cluster_id)
        SELECT o.cluster_id, c.operation, c.kind, CAST(NULL AS VARCHAR) AS platform, c.item,
               min(c.display) AS display, max(o.n) AS cluster_accounts,
               max(e.n) AS store_accounts,
               max(c.cat_weight * greatest(0.0, (o.n / e.n - b.p0) / (1 - b.p0))) AS weight
        FROM ours o JOIN everyone e USING (kind, value)
        JOIN base b ON b.cluster_id = o.cluster_id
        JOIN _ln_catw c ON c.kind = o.kind AND c.value = o.value
        -- One member sharing an item with outsiders is no evidence (a person who shared
        -- an article a news bot posted); several members, or all of its users, are.
        WHERE o.n >= 2 OR o.n = e.n
        GROUP BY o.cluster_id, c.operation, c.kind, c.item"""


def _text_tables(engine: Engine, threshold: float) -> list[str]:
    """The members' texts as documents, the catalogue's family texts, and which of them
    are the same (md5 of the normalised text) or near-copies (shingle Jaccard)."""
    # Normalised in a step of their own: with the length filter in the same query, DuckDB
    # pushes the filter down and runs the regular expressions twice (as in the content signal).
    engine.create_table(
        "_ln_norm",
        f"""SELECT m.cluster_id, t.platform, t.account_id, {normalise_sql("t.text")} AS norm
            FROM {_M} m JOIN activities t
              ON t.platform = m.platform AND t.account_id = m.account_id
            WHERE t.text IS NOT NULL""",
    )
    engine.create_table(
        "_ln_posts",
        f"""SELECT cluster_id, platform, account_id, md5(norm) AS h, norm FROM _ln_norm
            WHERE length(norm) >= {MIN_TEXT_CHARS}""",
    )
    engine.drop("_ln_norm")
    engine.create_table(
        "_ln_docs",
        # Grouped by the text as well as its md5, as the content signal does (min(norm)
        # per md5 cost four times as much there).
        """SELECT h, norm, row_number() OVER (ORDER BY h) AS d
           FROM _ln_posts GROUP BY h, norm""",
    )
    engine.create_table(
        "_ln_cdocs",
        f"""SELECT value, norm, md5(norm) AS h, row_number() OVER (ORDER BY value) AS d
            FROM (SELECT value, {normalise_sql("value")} AS norm
                  FROM (SELECT DISTINCT value FROM _ln_catw WHERE kind = 'text'))
            WHERE length(norm) >= {MIN_TEXT_CHARS}""",
    )
    shingles = CopiedContent(k=4)._shingles_sql
    engine.create_table("_ln_sh", f"SELECT DISTINCT d, x FROM ({shingles('_ln_docs')})")
    engine.create_table("_ln_csh", f"SELECT DISTINCT d, x FROM ({shingles('_ln_cdocs')})")
    # Near-copies in two steps: candidates share at least MIN_RARE_SHARED shingles that
    # are rare among the catalogue's texts (an inverted index that common shingles such as
    # "the " cannot blow up), then the exact Jaccard of the whole shingle sets.
    engine.create_table(
        "_ln_near",
        f"""WITH df AS (SELECT x, count(*) AS n FROM _ln_csh GROUP BY x),
                 rare AS (SELECT b.d, b.x FROM _ln_csh b JOIN df USING (x)
                          WHERE df.n <= {RARE_SHINGLE_DOCS}),
                 cand AS (SELECT a.d AS da, r.d AS db FROM _ln_sh a JOIN rare r USING (x)
                          GROUP BY a.d, r.d HAVING count(*) >= {MIN_RARE_SHARED}),
                 na AS (SELECT d, count(*) AS n FROM _ln_sh
                        WHERE d IN (SELECT da FROM cand) GROUP BY d),
                 nb AS (SELECT d, count(*) AS n FROM _ln_csh GROUP BY d),
                 inter AS (SELECT c.da, c.db, count(*) AS n
                           FROM cand c JOIN _ln_sh a ON a.d = c.da
                           JOIN _ln_csh b ON b.d = c.db AND b.x = a.x
                           GROUP BY c.da, c.db)
            SELECT i.da, i.db FROM inter i JOIN na ON na.d = i.da JOIN nb ON nb.d = i.db
            WHERE i.n >= {float(threshold)} * (na.n + nb.n - i.n)""",
    )
    return ["_ln_near", "_ln_csh", "_ln_sh", "_ln_cdocs", "_ln_docs", "_ln_posts"]


def _text_matches() -> str:
    """A known content family matched by a cluster: its accounts that posted one of the
    family's texts or a near-copy of its representative. The family is one item."""
    return """
        WITH exact AS (
            SELECT p.cluster_id, p.platform, p.account_id, c.operation, c.item, c.display,
                   c.cat_weight
            FROM _ln_posts p JOIN _ln_catw c ON c.kind = 'text_hash' AND c.value = p.h
            UNION ALL
            SELECT p.cluster_id, p.platform, p.account_id, c.operation, c.item, c.display,
                   c.cat_weight
            FROM _ln_posts p JOIN _ln_cdocs cd ON cd.h = p.h
            JOIN _ln_catw c ON c.kind = 'text' AND c.value = cd.value),
        near AS (
            SELECT p.cluster_id, p.platform, p.account_id, c.operation, c.item, c.display,
                   c.cat_weight
            FROM _ln_near n JOIN _ln_docs d ON d.d = n.da
            JOIN _ln_cdocs cd ON cd.d = n.db
            JOIN _ln_posts p ON p.h = d.h
            JOIN _ln_catw c ON c.kind = 'text' AND c.value = cd.value),
        both_ AS (SELECT * FROM exact UNION ALL SELECT * FROM near)
        SELECT cluster_id, operation, 'text' AS kind, CAST(NULL AS VARCHAR) AS platform, item,
               min(display) AS display,
               count(DISTINCT platform || '/' || account_id) AS cluster_accounts,
               CAST(NULL AS BIGINT) AS store_accounts, max(cat_weight) AS weight
        FROM both_ GROUP BY cluster_id, operation, item"""


def _schedule_rows(
    engine: Engine, hits: list[dict[str, Any]], assets: pa.Table
) -> list[dict[str, Any]]:
    """For each pair that already shares something, when both have an hour-of-week
    histogram: the cosine of the two, as a ``schedule`` match. Only a close fit counts
    (cosine above 0.5, scaled to [0, 1]): office hours in one time zone are common. The
    histograms are small (168 values), so the cosine is taken here, not in SQL."""
    sched = assets.filter(pc.equal(assets["kind"], "schedule")).to_pylist()
    pairs = {(h["cluster_id"], h["operation"]) for h in hits}
    known: dict[str, dict[int, float]] = {}
    for a in sched:
        known.setdefault(a["operation"], {})[int(a["value"])] = float(a["weight"])
    wanted = {c for c, op in pairs if op in known}
    if not wanted:
        return []
    engine.register("_ln_hc", pa.table({"cluster_id": pa.array(sorted(wanted), pa.string())}))
    try:
        engine.create_table(
            "_ln_hm",
            f"""SELECT m.platform, m.account_id, m.cluster_id
                FROM {_M} m JOIN _ln_hc h ON h.cluster_id = m.cluster_id""",
        )
        how = engine.fetch(
            f"""SELECT m.cluster_id, {_how_sql("t.time")} AS how, count(*) AS n
                FROM _ln_hm m JOIN activities t
                  ON t.platform = m.platform AND t.account_id = m.account_id
                GROUP BY 1, 2"""
        ).to_pylist()
    finally:
        engine.drop("_ln_hc")
    mine: dict[str, dict[int, float]] = {}
    for r in how:
        mine.setdefault(r["cluster_id"], {})[int(r["how"])] = float(r["n"])
    out = []
    for c, op in sorted(pairs):
        a, b = mine.get(c, {}), known.get(op)
        if not b or sum(a.values()) < MIN_SCHEDULE_ACTIONS:
            continue
        dot = sum(v * b.get(k, 0.0) for k, v in a.items())
        norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
        cosine = dot / norm if norm else 0.0
        out.append(
            {
                "cluster_id": c,
                "operation": op,
                "kind": "schedule",
                "platform": None,
                "item": "hour of week",
                "display": f"cosine {cosine:.3f}",
                "cluster_accounts": None,
                "store_accounts": None,
                "weight": max(0.0, (cosine - 0.5) / 0.5),
            }
        )
    return out


def _how_sql(col: str) -> str:
    """Hour of the week, 0 = Monday 00:00–01:00 UTC. From the epoch (1970-01-05 was a
    Monday, 345,600 s in), because engines number weekdays differently."""
    return f"CAST(floor((epoch({col}) - 345600) / 3600) AS BIGINT) % 168"


def _score(
    rows: list[dict[str, Any]], origins: dict[str, str], min_score: float, report: float
) -> pa.Table:
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        by_pair.setdefault((r["cluster_id"], r["operation"]), []).append(r)
    out = []
    for (cid, op), hits in by_pair.items():
        kinds: dict[str, list[dict[str, Any]]] = {}
        for h in hits:
            kinds.setdefault(h["kind"], []).append(h)
        by_kind = [
            {
                "kind": k,
                "items": len(v),
                "evidence": min(CAPS.get(k, 1.0), sum(float(h["weight"]) for h in v)),
            }
            for k, v in kinds.items()
        ]
        by_kind.sort(key=lambda x: (-x["evidence"], x["kind"]))
        score = sum(k["evidence"] for k in by_kind)
        if score < report:
            continue
        hits.sort(key=lambda h: (-float(h["weight"]), h["kind"], h["item"]))
        matches = [
            {
                "kind": h["kind"],
                "platform": h["platform"],
                "item": h["item"],
                "display": h["display"],
                "cluster_accounts": h["cluster_accounts"],
                "store_accounts": h["store_accounts"],
                "weight": round(float(h["weight"]), 4),
            }
            for h in hits[:TOP_MATCHES]
        ]
        linked = score >= min_score
        said = "; ".join(_say(k, kinds[k["kind"]]) for k in by_kind if k["evidence"] > 0)
        reason = f"likely the same actor as {op}: {said}" if linked else f"shares with {op}: {said}"
        out.append(
            {
                "cluster_id": cid,
                "known_operation": op,
                "origin": origins.get(op),
                "score": round(score, 4),
                "linked": linked,
                "by_kind": by_kind,
                "matches": matches,
                "reason": reason,
            }
        )
    out.sort(key=lambda r: (-r["score"], r["cluster_id"], r["known_operation"]))
    return pa.Table.from_pylist(out, schema=LINK_SCHEMA)


def _say(kind: dict[str, Any], hits: list[dict[str, Any]]) -> str:
    names = {
        "account": "account(s)",
        "domain": "domain(s)",
        "url": "link(s)",
        "hashtag": "hashtag(s)",
        "text": "content famil(ies)",
        "schedule": "weekly schedule",
    }
    examples = ", ".join(
        (h["display"] or h["item"])[:60] for h in hits[:3] if h["kind"] != "schedule"
    ) or (hits[0]["display"] or "")
    return (
        f"{kind['items']} shared {names.get(kind['kind'], kind['kind'])} "
        f"(evidence {kind['evidence']:.2f}: {examples})"
    )


# -- unmask's own findings into the catalogue ---------------------------------------------


def operations_from_run(
    engine: Engine,
    run_dir: Path | str,
    name: str,
    *,
    clusters: Sequence[str] | None = None,
    all_clusters: bool = False,
    min_accounts: int = 2,
    min_share: float = MIN_OWN_SHARE,
) -> list[KnownOperation]:
    """A detect run's operations as known operations, named ``NAME/<cluster_id>`` (or
    ``NAME`` when one cluster is asked for). ``engine`` runs over the store the run was
    made from. Assets: the members' accounts (by id: handles are not unique over time and,
    in the simulator, not at all; the handle is kept for the reader); the domains, links and hashtags
    that are its own: at least ``min_accounts`` members (or only the operation) used them
    and its share of the accounts that use them, beyond its share of all accounts, is at
    least ``min_share`` (a news link that a crowd shares after a bot posted it is neither's
    own); weighted by that share; its content families (representative and every
    variant's hash) weighted by the share of the family's accounts inside it; and its
    hour-of-week schedule."""
    run = Path(run_dir)
    judged = rundir.read_table(run, rundir.CLUSTERS)
    if clusters is not None:
        wanted = list(clusters)
        missing = sorted(set(wanted) - set(judged["cluster_id"].to_pylist()))
        if missing:
            raise ValueError(f"{run}: no cluster(s) {', '.join(missing)}")
    elif all_clusters:
        wanted = judged["cluster_id"].to_pylist()
    else:
        wanted = judged.filter(judged["operation"])["cluster_id"].to_pylist()
    nodes = rundir.read_table(run, rundir.NODES)
    members = nodes.filter(pc.is_in(nodes["cluster_id"], pa.array(wanted, pa.string())))
    members = members.select(["platform", "account_id", "cluster_id"])
    single = clusters is not None and len(wanted) == 1
    naming = {c: name if single else f"{name}/{c}" for c in wanted}
    ops = {
        c: KnownOperation(
            name=naming[c], origin="unmask", source=str(run.resolve()), title=f"{name}: {c}"
        )
        for c in wanted
    }
    if not wanted:
        return []
    engine.register(_M, members)
    try:
        _run_accounts(engine, ops)
        _run_items(engine, ops, min_accounts, min_share)
        _run_schedule(engine, ops)
        _run_period(engine, ops)
    finally:
        engine.drop(_M)
    # What the run's evidence adds (the content families' texts): ``Signal.known_assets``.
    for cls in signal_classes():
        for cid, asset in cls.known_assets(run, members):
            ops[cid].assets.append(asset)
    for c, op in ops.items():
        j = judged.filter(pc.equal(judged["cluster_id"], c)).to_pylist()[0]
        op.info = {
            "cluster_id": c,
            "accounts": j["accounts"],
            "platforms": j["platforms"],
            "score": j["score"],
            "reason": j["reason"],
            "run": str(run.resolve()),
        }
    return list(ops.values())


def _run_accounts(engine: Engine, ops: dict[str, KnownOperation]) -> None:
    for r in engine.fetch(
        f"""SELECT m.cluster_id, m.platform, m.account_id, a.handle, a.url
            FROM {_M} m LEFT JOIN accounts a
              ON a.platform = m.platform AND a.account_id = m.account_id
            ORDER BY 1, 2, 3"""
    ).to_pylist():
        op = ops[r["cluster_id"]]
        shown = r["url"] or f"{r['platform']}/{r['handle'] or r['account_id']}"
        op.assets.append(
            {
                "kind": "account",
                "platform": r["platform"],
                "value": r["account_id"].lower(),
                "display": shown,
            }
        )


def _run_items(
    engine: Engine, ops: dict[str, KnownOperation], min_accounts: int, min_share: float
) -> None:
    for kind, column in (("domain", "domains"), ("url", "urls"), ("hashtag", "hashtags")):
        for r in engine.fetch(
            f"""WITH items AS (
                    SELECT t.platform, t.account_id, lower(x.item) AS item
                    FROM activities t, unnest(t.{column}) AS x(item)
                    WHERE array_length(t.{column}) > 0),
                ours AS (
                    SELECT m.cluster_id, i.item, count(*) AS uses,
                           count(DISTINCT i.platform || '/' || i.account_id) AS accounts
                    FROM items i JOIN {_M} m
                      ON m.platform = i.platform AND m.account_id = i.account_id
                    GROUP BY 1, 2),
                everyone AS (
                    SELECT item, count(DISTINCT platform || '/' || account_id) AS accounts
                    FROM items WHERE item IN (SELECT item FROM ours) GROUP BY item),
                base AS (SELECT m.cluster_id, {_LIFT_BASE} AS p0
                         FROM {_M} m GROUP BY m.cluster_id)
                SELECT o.cluster_id, o.item, o.accounts, o.uses, e.accounts AS all_accounts,
                       greatest(0.0, (o.accounts / e.accounts - b.p0) / (1 - b.p0)) AS share
                FROM ours o JOIN everyone e USING (item) JOIN base b USING (cluster_id)
                WHERE (o.accounts >= {int(min_accounts)} OR o.accounts = e.accounts)
                  AND greatest(0.0, (o.accounts / e.accounts - b.p0) / (1 - b.p0))
                      >= {float(min_share)}
                ORDER BY 1, 2"""
        ).to_pylist():
            ops[r["cluster_id"]].assets.append(
                {
                    "kind": kind,
                    "value": r["item"],
                    "display": r["item"],
                    "weight": float(r["share"]),
                    "note": f"{r['accounts']} of its {r['all_accounts']} account(s), "
                    f"{r['uses']} use(s)",
                }
            )


def _run_schedule(engine: Engine, ops: dict[str, KnownOperation]) -> None:
    rows = engine.fetch(
        f"""SELECT m.cluster_id, {_how_sql("t.time")} AS how, count(*) AS n
            FROM {_M} m JOIN activities t
              ON t.platform = m.platform AND t.account_id = m.account_id
            GROUP BY 1, 2 ORDER BY 1, 2"""
    ).to_pylist()
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["cluster_id"]] = totals.get(r["cluster_id"], 0) + r["n"]
    for r in rows:
        total = totals[r["cluster_id"]]
        if total >= MIN_SCHEDULE_ACTIONS:
            ops[r["cluster_id"]].assets.append(
                {
                    "kind": "schedule",
                    "value": str(r["how"]),
                    "display": f"hour {r['how']} of the week (UTC)",
                    "weight": r["n"] / total,
                }
            )


def _run_period(engine: Engine, ops: dict[str, KnownOperation]) -> None:
    for r in engine.fetch(
        f"""SELECT m.cluster_id, min(t.time) AS first, max(t.time) AS last
            FROM {_M} m JOIN activities t
              ON t.platform = m.platform AND t.account_id = m.account_id
            GROUP BY 1"""
    ).to_pylist():
        op = ops[r["cluster_id"]]
        op.first_seen, op.last_seen = r["first"].isoformat(), r["last"].isoformat()


def write_links(links: pa.Table, run_dir: Path) -> Path:
    """``RUN/lineage.parquet``, and a readable ``RUN/lineage.json`` of the linked pairs."""
    rundir.write_tables(run_dir, {rundir.LINEAGE: links})
    rundir.write_json(run_dir, rundir.LINEAGE_JSON, links.filter(links["linked"]).to_pylist())
    return run_dir / rundir.LINEAGE


def related_known(catalogue: Catalogue, *, min_score: float = 1.0) -> pa.Table:
    """Pairs of known operations that share assets: an actor's earlier takedowns that the
    catalogue holds under different names (Meta's Doppelganger file repeats hundreds of
    the domains of its September 2022 file). An item shared by ``n`` operations adds
    ``1 / (n - 1)`` to each of their pairs; kinds are capped and add up as in
    :func:`link_operations`. Columns: ``a``, ``b``, ``score``, ``by_kind`` (kind, items),
    ``examples``."""
    from unmask.engine.duckdb import connect

    con = connect()
    con.register("assets", catalogue.assets())
    kinds = ", ".join(f"'{k}'" for k in ("account", "handle", "domain", "url", "text", "hashtag"))
    rows = con.sql(
        f"""WITH items AS (
                SELECT DISTINCT operation,
                       CASE WHEN kind = 'handle' THEN 'account' ELSE kind END AS kind,
                       coalesce(platform, '') || ':' || value AS value, display
                FROM assets WHERE kind IN ({kinds})),
            n AS (SELECT kind, value, count(DISTINCT operation) AS ops FROM items
                  GROUP BY kind, value HAVING count(DISTINCT operation) > 1),
            pairs AS (
                SELECT a.operation AS a, b.operation AS b, a.kind, a.value,
                       min(a.display) AS display, 1.0 / (n.ops - 1) AS w
                FROM items a JOIN items b
                  ON a.kind = b.kind AND a.value = b.value AND a.operation < b.operation
                JOIN n ON n.kind = a.kind AND n.value = a.value
                GROUP BY a.operation, b.operation, a.kind, a.value, n.ops)
            SELECT a, b, kind, count(*) AS items, sum(w) AS evidence,
                   list(display ORDER BY display)[1:3] AS examples
            FROM pairs GROUP BY a, b, kind ORDER BY a, b, kind"""
    ).fetchall()
    by_pair: dict[tuple[str, str], list[tuple[str, int, float, list[str]]]] = {}
    for a, b, kind, items, evidence, examples in rows:
        by_pair.setdefault((a, b), []).append((kind, items, evidence, examples))
    out = []
    for (a, b), ks in by_pair.items():
        score = sum(min(CAPS.get(k, 1.0), e) for k, _, e, _ in ks)
        if score >= min_score:
            out.append(
                {
                    "a": a,
                    "b": b,
                    "score": round(score, 4),
                    "by_kind": [{"kind": k, "items": n} for k, n, _, _ in ks],
                    "examples": [x for _, _, _, ex in ks for x in ex],
                }
            )
    out.sort(key=lambda r: (-r["score"], r["a"], r["b"]))
    schema = pa.schema(
        [
            ("a", pa.string()),
            ("b", pa.string()),
            ("score", pa.float64()),
            ("by_kind", pa.list_(pa.struct([("kind", pa.string()), ("items", pa.int64())]))),
            ("examples", pa.list_(pa.string())),
        ]
    )
    return pa.Table.from_pylist(out, schema=schema)
