"""An operation's bought followers, attached to it after the judgement.

Operations buy followers, and an operation that runs its own spam pool (Spamouflage's
"follower farm") owns those accounts as much as its posters. They post nothing and share
nothing, so no signal that makes groups links them to anything; in a store with profiles
the pool is found by what made it (creation batches, the ``identity`` signal; a sign-up
kit, ``infra``), and without profiles most of it was lost: 466 of the 580 follow-only
accounts of the ``no_profiles`` variation at tuning seed 1 were in no operation.

The ``followers`` signal still knows them: each follows the operation's accounts in the
bursts a pool delivers (``tables["bought"]``). Linking such followers to each other, or to
the accounts they follow, as group-making edges fused a vendor's customers (an operation, a
fan club, ordinary buyers) into one cluster (``signals.audience``), so this step runs after
the judgement, on operations only, and never changes a cluster or its verdict: a follower
that looks bought is attached to an operation when

* at least ``ATTACH_SHARE`` of its bought follows are of that operation's accounts, and
* they are of at least ``ATTACH_MIN_ACCOUNTS`` of them,

and it is not already a member of an operation. A vendor's stock that serves many
customers falls under the share (in the tuning worlds, the stock of the ``no_profiles``
variation serves other customers and none was attached; in ``followers_vendor``, where the
vendor sells to the operation too, about 1 in 8 was); an account that looks bought by
mistake (without profiles the signal has no marks to weigh) follows few of an operation's
accounts, if any (none of the 24 authentic ones at tuning seed 1 followed 30 % or more).

What an attached follower is accused of is what its rows show: it looks bought, and its
bought follows go mostly to this operation. The report and the takedown list name it as a
bought follower, not as a linked account (``basis``); the judgement's figures are the
linked accounts' alone.

The bought follows are the lockstep of CatchSync and CopyCatch (Jiang et al., KDD 2014;
Beutel et al., WWW 2013) and the dense blocks of FRAUDAR (Hooi et al., KDD 2016), found by
the ``followers`` signal; this step only assigns each such follower to the operation it
was delivered to. Tried and left: block follows with times, for a pool delivered slowly
(``followers_slow``: no bursts, so no bought follow); at tuning seed 1, 25 of the
operation's followers had follows inside a block, none of them to three of its accounts.
Attaching costs 0.12 s on the medium world (282,421 bought follows).
"""

from __future__ import annotations

import pyarrow as pa

from unmask.engine.base import Engine

ATTACH_SHARE = 0.5
ATTACH_MIN_ACCOUNTS = 3
LINKED = "linked"
BOUGHT_FOLLOWER = "bought follower"

ATTACHED_SCHEMA = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("cluster_id", pa.string(), nullable=False),
        # the accounts the follower followed in bought follows, and how many of them are
        # the operation's
        pa.field("bought_follows", pa.int64(), nullable=False),
        pa.field("of_operation", pa.int64(), nullable=False),
        pa.field("share", pa.float64(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
    ]
)


def bought_followers(
    engine: Engine,
    nodes: pa.Table,
    operations: list[str],
    bought: pa.Table | None,
    *,
    share: float = ATTACH_SHARE,
    min_accounts: int = ATTACH_MIN_ACCOUNTS,
) -> pa.Table:
    """The followers to attach to the ``operations`` (cluster ids), one operation each (the
    one with the largest share of its bought follows; ties to the smaller id), from the
    ``followers`` signal's ``tables["bought"]``; empty without it."""
    if bought is None or bought.num_rows == 0 or not operations:
        return ATTACHED_SCHEMA.empty_table()
    engine.register("_at_bought", bought.select(["platform", "follower_id", "followee_id"]))
    engine.register("_at_nodes", nodes.select(["platform", "account_id", "cluster_id"]))
    engine.register("_at_ops", pa.table({"cluster_id": pa.array(operations, pa.string())}))
    try:
        t = engine.fetch(
            f"""WITH members AS (
                    SELECT n.platform, n.account_id, n.cluster_id FROM _at_nodes n
                    JOIN _at_ops o ON o.cluster_id = n.cluster_id),
                b AS (SELECT DISTINCT platform, follower_id, followee_id FROM _at_bought),
                total AS (SELECT platform, follower_id, count(*) AS bought_follows
                          FROM b GROUP BY platform, follower_id),
                per_op AS (
                    SELECT b.platform, b.follower_id, m.cluster_id, count(*) AS of_operation
                    FROM b JOIN members m
                      ON m.platform = b.platform AND m.account_id = b.followee_id
                    GROUP BY b.platform, b.follower_id, m.cluster_id),
                ranked AS (
                    SELECT p.*, t.bought_follows,
                           CAST(p.of_operation AS DOUBLE) / t.bought_follows AS share,
                           row_number() OVER (PARTITION BY p.platform, p.follower_id
                                              ORDER BY p.of_operation DESC, p.cluster_id) AS k
                    FROM per_op p JOIN total t
                      ON t.platform = p.platform AND t.follower_id = p.follower_id)
                SELECT r.platform, r.follower_id AS account_id, r.cluster_id, r.bought_follows,
                       r.of_operation, r.share
                FROM ranked r
                LEFT JOIN members m ON m.platform = r.platform AND m.account_id = r.follower_id
                WHERE r.k = 1 AND m.account_id IS NULL
                  AND r.share >= {float(share)} AND r.of_operation >= {int(min_accounts)}
                ORDER BY r.cluster_id, r.platform, r.follower_id"""
        )
    finally:
        engine.drop("_at_bought", "_at_nodes", "_at_ops")
    reasons = [
        f"looks bought, and {r['of_operation']} of its {r['bought_follows']} bought follows "
        f"({r['share']:.0%}) are of this operation's accounts"
        for r in t.to_pylist()
    ]
    t = t.append_column("reason", pa.array(reasons, pa.string()))
    return t.select(ATTACHED_SCHEMA.names).cast(ATTACHED_SCHEMA)


def members(nodes: pa.Table, attached: pa.Table | None = None) -> pa.Table:
    """Every account of every cluster with how it belongs: ``linked`` by the signals that
    make groups (``nodes``, with its degree), or attached as a ``bought follower``
    (degree 0: it is linked to no one). ``nodes`` that already say how (``basis``) are
    returned as they are; without ``attached``, every account is linked."""
    if "basis" in nodes.column_names:
        return nodes
    if attached is None:
        attached = ATTACHED_SCHEMA.empty_table()
    linked = nodes.select(["platform", "account_id", "cluster_id", "degree"])
    linked = linked.append_column("basis", pa.array([LINKED] * linked.num_rows, pa.string()))
    extra = pa.table(
        {
            "platform": attached["platform"],
            "account_id": attached["account_id"],
            "cluster_id": attached["cluster_id"],
            "degree": pa.array([0] * attached.num_rows, linked.schema.field("degree").type),
            "basis": pa.array([BOUGHT_FOLLOWER] * attached.num_rows, pa.string()),
        }
    )
    return pa.concat_tables([linked, extra.cast(linked.schema)])
