"""Identity traits: accounts made in batches, with generated handles, reused profile pictures
and templated bios.

Operations buy or make accounts in bulk, and bulk leaves marks on the profile. Four traits
are measured per account, each from the accounts table alone:

* **handle** (``unmask.signals.handles.handle_score``): how generated the handle looks
  (``ZoeRich28859010``, ``kQ8zTw2mXb``, ``user8101771158572``), in [0, 1].
* **batch**: the account was made in a burst. Accounts are ordered by ``created_at`` over all
  platforms (an operation's batch mixes them); an account is in a burst when at least
  ``min_batch`` accounts (itself included) were made within ``batch_seconds / 2`` of it and
  that is ``burst_ratio`` times what the creation rate around it (within
  ``background_days``) predicts. This is the two-rate view of burst detection (Kleinberg
  2002, "Bursty and hierarchical structure in streams", KDD), reduced to one window; account
  marketplaces and bulk registration make exactly such bursts (Thomas et al. 2013,
  "Trafficking fraudulent accounts: the role of the underground market in Twitter spam and
  abuse", USENIX Security; Gao et al. 2010, "Detecting and characterizing social spam
  campaigns", IMC).
* **picture**: the profile picture is shared, perceptually, with another account: two 64-bit
  perceptual hashes (pHash, Zauner 2010, "Implementation and benchmarking of perceptual image
  hash functions") within ``max_hamming`` bits (a re-encoded copy is a bit or two off). Pairs
  are found without comparing all of them by multi-index hashing (Norouzi, Punjani & Fleet
  2012, "Fast search in Hamming space with multi-index hashing", CVPR; Manku, Jain & Das
  Sarma 2007 for near-duplicate simhashes): the hash is cut into four 16-bit blocks, and two
  hashes within 3 bits agree on one block at least. A picture used by more than
  ``max_picture_accounts`` accounts is a platform's default avatar or a meme, not a
  reused stock photo: it marks nothing. Hashes that are not 16 hex digits are matched
  exactly.
* **bio**: the bio, lower-cased with digits as ``0`` and punctuation as spaces, is the same
  as that of at least ``min_bio_accounts - 1`` other accounts. Ordinary people share short
  bios too ("student", "runner"), so this trait only adds to others.

**Score** per account: ``min(1, (handle + batch + picture + bio_weight * bio) / 3)``; at
0.5 or more (``score_threshold``) an account has two strong traits at least: one alone
(a person who kept the handle X suggested) is not enough.

**Edges** link two accounts that share a creation batch (made within ``batch_seconds`` of
each other, both in a burst, and each with a mark on its handle or a reused picture: a person
who signed up in the same half hour as a batch is not one of it) or a picture (within ``max_hamming`` bits); a shared bio
template adds to the weight (1 per shared batch or picture, ``bio_weight`` for the bio) but
links nothing alone. Each account is paired with its ``neighbours`` nearest accounts in
creation time per trait, so a batch or a picture of n accounts gives at most n times
``neighbours`` pairs. The events say which trait, which hashes or bio, and when each
account was made; ``tables["traits"]`` holds every scored account's traits.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from unmask.engine.base import Engine
from unmask.signals.base import (
    EDGE_SCHEMA,
    EVENT_SCHEMA,
    SCORE_SCHEMA,
    Evidence,
    Signal,
    vouched_entry,
)
from unmask.signals.handles import handle_marks, handle_score

__all__ = ["IdentityTraits", "bio_template_sql", "handle_score", "picture_blocks"]

TRAITS_SCHEMA = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("handle", pa.string()),
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
        pa.field("handle_score", pa.float64()),
        pa.field("handle_mark", pa.string()),
        pa.field("batch_size", pa.int64()),
        pa.field("batch_expected", pa.float64()),
        pa.field("picture", pa.string()),
        pa.field("picture_accounts", pa.int64()),
        pa.field("bio_template", pa.string()),
        pa.field("bio_accounts", pa.int64()),
        pa.field("score", pa.float64()),
    ]
)

_HEX16 = re.compile(r"^[0-9a-fA-F]{16}$")
_NIBBLE = np.zeros(256, dtype=np.uint8)
_NIBBLE[np.frombuffer(b"0123456789abcdef", np.uint8)] = np.arange(16, dtype=np.uint8)


def bio_template_sql(col: str = "description") -> str:
    """A bio's template (DuckDB SQL, portable): lower case, digits as 0, punctuation and
    blanks as one space; NULL when nothing is left."""
    return (
        f"nullif(trim(regexp_replace(regexp_replace(lower({col}), '[0-9]+', '0', 'g'), "
        f"'[ \\t\\n\\r.,;:!?|/·｜•()\\[\\]\"''_-]+', ' ', 'g')), '')"
    )


def picture_blocks(hashes: pa.Array) -> pa.Table:
    """Each distinct hash with its two 32-bit halves and four 16-bit blocks (as BIGINT; null
    for hashes that are not 16 hex digits, which are then matched exactly). Vectorised: the
    hex digits are decoded as bytes, not one Python int at a time."""
    values = pc.drop_null(hashes.cast(pa.string()))
    values = values.filter(pc.not_equal(values, ""))
    ok = pc.match_substring_regex(values, _HEX16.pattern).to_numpy(zero_copy_only=False)
    n = len(values)
    v = np.zeros(n, dtype=np.uint64)
    if ok.any():
        digits = pc.utf8_lower(values.filter(pa.array(ok)))
        if isinstance(digits, pa.ChunkedArray):
            digits = digits.combine_chunks()
        # Every kept string is 16 ASCII bytes, so the data buffer is an (m, 16) byte matrix.
        start = int(np.frombuffer(digits.buffers()[1], np.int32)[digits.offset])
        raw = np.frombuffer(digits.buffers()[2], np.uint8)[start : start + 16 * len(digits)]
        raw = raw.reshape(-1, 16)
        nib = _NIBBLE[raw]
        packed = np.ascontiguousarray((nib[:, 0::2] << 4) | nib[:, 1::2])  # (m, 8) bytes
        v[ok] = packed.view(">u8").ravel().astype(np.uint64)
    mask = ~ok

    def part(shift: int, bits: int) -> pa.Array:
        x = ((v >> np.uint64(shift)) & np.uint64((1 << bits) - 1)).astype(np.int64)
        return pa.array(x, pa.int64(), mask=mask)

    return pa.table(
        {
            "pic": values,
            "hi": part(32, 32),
            "lo": part(0, 32),
            **{f"b{i}": part(16 * i, 16) for i in range(4)},
        }
    )


# Meta's kill-chain procedure that accounts vouched for by this signal show.
COPIED_PICTURES = "1.1.1 Copying profile pictures"


class IdentityTraits(Signal):
    """Batch-made accounts with generated handles, reused pictures and templated bios; see
    the module's docstring."""

    name = "identity"
    label = "identity traits: shared profile pictures, bios and creation batches"
    order = 30
    disarm = ("T0145.001", "T0150.008")  # Copy Account Imagery; Bulk Created Asset
    kill_chain = (COPIED_PICTURES,)
    empty_tables: ClassVar[dict[str, pa.Schema]] = {"traits": TRAITS_SCHEMA}
    kind = "scores"
    family = "identity"
    score_threshold = 0.5
    reference = (
        "Lee & Kim 2014 (generated usernames, Computer Communications 54); Yang et al. 2020 "
        "(scalable social bot detection, AAAI); Kleinberg 2002 (bursts, KDD); Thomas et al. "
        "2013 (account marketplaces, USENIX Security); Gao et al. 2010 (social spam "
        "campaigns, IMC); Zauner 2010 (pHash); Norouzi, Punjani & Fleet 2012 (multi-index "
        "hashing, CVPR)"
    )

    @classmethod
    def kill_chain_entries(cls, op: dict[str, Any]) -> list[tuple[str, str]]:
        return vouched_entry(
            op, cls.name, COPIED_PICTURES, "share profile pictures, bios or creation batches"
        )

    def __init__(
        self,
        batch_seconds: float = 1800.0,
        min_batch: int = 5,
        burst_ratio: float = 5.0,
        background_days: float = 15.0,
        max_hamming: int = 2,
        max_picture_accounts: int = 1000,
        min_bio_accounts: int = 3,
        bio_weight: float = 0.4,
        neighbours: int = 10,
    ) -> None:
        self.batch_seconds = batch_seconds
        self.min_batch = min_batch
        self.burst_ratio = burst_ratio
        self.background_days = background_days
        self.max_hamming = max_hamming
        self.max_picture_accounts = max_picture_accounts
        self.min_bio_accounts = min_bio_accounts
        self.bio_weight = bio_weight
        self.neighbours = neighbours

    def _check(self) -> None:
        if not 0 <= int(self.max_hamming) <= 3:
            raise ValueError(f"max_hamming={self.max_hamming}: must be 0-3 (four 16-bit blocks)")
        if int(self.min_batch) < 2 or int(self.neighbours) < 1:
            raise ValueError("min_batch must be at least 2 and neighbours at least 1")
        if float(self.batch_seconds) <= 0 or float(self.background_days) * 86400 <= float(
            self.batch_seconds
        ):
            raise ValueError("batch_seconds must be positive and shorter than background_days")

    # -- per account ---------------------------------------------------------------------

    def _run(self, engine: Engine, ev: Evidence) -> None:
        n_accounts = engine.count("accounts")
        ev.stats["accounts"] = n_accounts
        if n_accounts == 0:
            ev.cannot_assess("no accounts: nothing to judge")
            ev.tables["traits"] = TRAITS_SCHEMA.empty_table()
            return
        handles = engine.fetch(
            "SELECT DISTINCT handle FROM accounts WHERE handle IS NOT NULL ORDER BY handle"
        ).column(0)
        marks = handle_marks(handles.combine_chunks() if handles.num_chunks else handles)
        engine.register("_id_handles", marks)
        pics = engine.fetch(
            "SELECT DISTINCT profile_image_hash FROM accounts "
            "WHERE profile_image_hash IS NOT NULL AND profile_image_hash <> '' ORDER BY 1"
        ).column(0)
        engine.register("_id_pics", picture_blocks(pics.combine_chunks()))
        engine.create_table(
            "_id_acc",
            f"""SELECT a.platform, a.account_id, a.platform || '/' || a.account_id AS actor,
                       a.handle, a.created_at, floor(epoch(a.created_at)) AS created,
                       nullif(a.profile_image_hash, '') AS pic,
                       {bio_template_sql("a.description")} AS bio,
                       coalesce(h.score, 0.0) AS handle_score, h.mark AS handle_mark
                FROM accounts a LEFT JOIN _id_handles h ON h.handle = a.handle""",
        )
        have = engine.fetch(
            "SELECT count(handle) AS handle, count(created) AS creation_time, "
            "count(pic) AS profile_picture, count(bio) AS bio FROM _id_acc"
        ).to_pylist()[0]
        ev.stats["with"] = have
        missing = [k.replace("_", " ") for k, v in have.items() if not v]
        note = (
            f"not measured, no account has one: {', '.join(missing)} "
            "(the export does not give them)"
        )
        if len(have) - len(missing) < 2:
            # An account needs two strong traits to reach the threshold: with one trait
            # measurable the signal cannot vouch for anyone, whatever the accounts are.
            ev.cannot_assess(note)
        elif missing:
            ev.notes.append(note)
        self._bursts(engine)
        self._pictures(engine)
        engine.create_table(
            "_id_acc_traits",
            f"""WITH bios AS (SELECT bio, count(*) AS n FROM _id_acc
                              WHERE bio IS NOT NULL GROUP BY bio)
                SELECT a.platform, a.account_id, a.actor, a.handle, a.created_at, a.created,
                       a.handle_score, a.handle_mark, a.pic, a.bio,
                       b.k AS batch_size, b.expected AS batch_expected,
                       coalesce(b.in_burst, false) AS in_burst,
                       p.n_near AS picture_accounts,
                       coalesce(p.n_near >= 2 AND p.n_near <= {int(self.max_picture_accounts)},
                                false) AS reused,
                       s.n AS bio_accounts,
                       coalesce(s.n >= {int(self.min_bio_accounts)}, false) AS templated
                FROM _id_acc a
                LEFT JOIN _id_burst b ON b.actor = a.actor
                LEFT JOIN _id_pic_n p ON p.pic = a.pic
                LEFT JOIN bios s ON s.bio = a.bio""",
        )
        score = (
            "least(1.0, (handle_score + CASE WHEN in_burst THEN 1.0 ELSE 0.0 END"
            " + CASE WHEN reused THEN 1.0 ELSE 0.0 END"
            f" + CASE WHEN templated THEN {float(self.bio_weight)} ELSE 0.0 END) / 3.0)"
        )
        traits = engine.fetch(
            f"""SELECT platform, account_id, handle, created_at, handle_score, handle_mark,
                       CASE WHEN in_burst THEN batch_size END AS batch_size,
                       CASE WHEN in_burst THEN batch_expected END AS batch_expected,
                       CASE WHEN reused THEN pic END AS picture,
                       CASE WHEN reused THEN picture_accounts END AS picture_accounts,
                       CASE WHEN templated THEN bio END AS bio_template,
                       CASE WHEN templated THEN bio_accounts END AS bio_accounts,
                       {score} AS score
                FROM _id_acc_traits
                -- a shared bio alone (a third of ordinary people) is not worth a row
                WHERE handle_score > 0 OR in_burst OR reused
                ORDER BY platform, account_id"""
        )
        traits = traits.cast(TRAITS_SCHEMA)
        ev.tables["traits"] = traits
        ev.scores = _scores(traits, self.name)
        ev.stats["scored"] = traits.num_rows
        ev.stats["flagged"] = int(pc.sum(pc.greater_equal(traits["score"], 0.5)).as_py() or 0)
        ev.stats["in_burst"] = int(pc.count(traits["batch_size"]).as_py())
        ev.stats["reused_picture"] = int(pc.count(traits["picture"]).as_py())
        self._edges(engine, ev)

    def _bursts(self, engine: Engine) -> None:
        half = int(float(self.batch_seconds) // 2)
        bg = int(float(self.background_days) * 86400)
        # Expected accounts in the window at the background rate around the account.
        expected = f"bg * {2 * half + 1} / {2 * bg + 1}.0"
        engine.create_table(
            "_id_burst",
            f"""SELECT actor, created, k, {expected} AS expected,
                       k >= {int(self.min_batch)}
                         AND k >= {float(self.burst_ratio)} * {expected} AS in_burst
                FROM (SELECT actor, created,
                             count(*) OVER (ORDER BY created
                                 RANGE BETWEEN {half} PRECEDING AND {half} FOLLOWING) AS k,
                             count(*) OVER (ORDER BY created
                                 RANGE BETWEEN {bg} PRECEDING AND {bg} FOLLOWING) AS bg
                      FROM _id_acc WHERE created IS NOT NULL)""",
        )

    def _pictures(self, engine: Engine) -> None:
        # Distinct hashes within max_hamming bits (p1 < p2), found through a shared block.
        joins = " UNION ".join(
            f"""SELECT a.pic AS p1, b.pic AS p2,
                       bit_count(xor(a.hi, b.hi)) + bit_count(xor(a.lo, b.lo)) AS dist
                FROM _id_pics a JOIN _id_pics b ON a.b{i} = b.b{i} AND a.pic < b.pic"""
            for i in range(4)
        )
        engine.create_table(
            "_id_pic_pairs",
            f"SELECT p1, p2, dist FROM ({joins}) WHERE dist <= {int(self.max_hamming)}",
        )
        # Accounts whose picture is this one or near it.
        engine.create_table(
            "_id_pic_n",
            """WITH n AS (SELECT pic, count(*) AS n FROM _id_acc WHERE pic IS NOT NULL
                          GROUP BY pic),
                    near AS (SELECT p1 AS pic, p2 AS other FROM _id_pic_pairs
                             UNION ALL SELECT p2, p1 FROM _id_pic_pairs)
               SELECT n.pic, n.n + coalesce(sum(m.n), 0) AS n_near
               FROM n LEFT JOIN near ON near.pic = n.pic LEFT JOIN n m ON m.pic = near.other
               GROUP BY n.pic, n.n""",
        )

    # -- between accounts ----------------------------------------------------------------

    def _edges(self, engine: Engine, ev: Evidence) -> None:
        k = int(self.neighbours)
        window = int(float(self.batch_seconds))
        # Candidate pairs per trait; each account keeps its k nearest in creation time.
        engine.create_table(
            "_id_pairs",
            f"""WITH t AS (
                  SELECT *, floor(created / {window}) AS slot,
                         -- made during a burst, with a mark of bulk of its own
                         in_burst AND (handle_score > 0 OR reused) AS batch_member
                  FROM _id_acc_traits),
                cand AS (
                  SELECT 'batch' AS trait, a.actor AS x, b.actor AS y,
                         CAST(NULL AS VARCHAR) AS pic_x, CAST(NULL AS VARCHAR) AS pic_y,
                         CAST(NULL AS BIGINT) AS dist
                  FROM (SELECT * FROM t WHERE batch_member) a
                  CROSS JOIN (VALUES (-1), (0), (1)) AS o(off)
                  -- an equi-join on the neighbouring time slots, then the exact window
                  JOIN (SELECT * FROM t WHERE batch_member) b
                    ON b.slot = a.slot + o.off AND a.actor <> b.actor
                   AND abs(b.created - a.created) <= {window}
                  UNION ALL
                  SELECT 'picture', a.actor, b.actor, a.pic, b.pic, 0
                  FROM t a JOIN t b ON a.reused AND b.reused AND a.pic = b.pic
                   AND a.actor <> b.actor
                  UNION ALL
                  SELECT 'picture', a.actor, b.actor, a.pic, b.pic, q.dist
                  FROM _id_pic_pairs q
                  JOIN t a ON a.pic = q.p1 AND a.reused JOIN t b ON b.pic = q.p2 AND b.reused
                  UNION ALL
                  SELECT 'picture', b.actor, a.actor, b.pic, a.pic, q.dist
                  FROM _id_pic_pairs q
                  JOIN t a ON a.pic = q.p1 AND a.reused JOIN t b ON b.pic = q.p2 AND b.reused),
                ranked AS (
                  SELECT c.*, row_number() OVER (
                           PARTITION BY c.trait, c.x
                           ORDER BY abs(tx.created - ty.created), c.y) AS r
                  FROM cand c JOIN t tx ON tx.actor = c.x JOIN t ty ON ty.actor = c.y)
                SELECT DISTINCT trait,
                       CASE WHEN x < y THEN x ELSE y END AS a,
                       CASE WHEN x < y THEN y ELSE x END AS b,
                       CASE WHEN x < y THEN pic_x ELSE pic_y END AS pic_a,
                       CASE WHEN x < y THEN pic_y ELSE pic_x END AS pic_b, dist
                FROM ranked WHERE r <= {k}""",
        )
        events = engine.fetch(
            f"""WITH p AS (
                  SELECT trait, a, b,
                         CASE WHEN trait = 'batch' THEN 'batch: made '
                                || CAST(abs(ta.created - tb.created) AS BIGINT) || ' s apart'
                              ELSE 'picture ' || pic_a || CASE WHEN pic_a = pic_b THEN ''
                                   ELSE ' ~ ' || pic_b || ' (' || CAST(dist AS VARCHAR)
                                        || ' bits)' END END AS target
                  FROM _id_pairs JOIN _id_acc_traits ta ON ta.actor = a
                  JOIN _id_acc_traits tb ON tb.actor = b
                  UNION ALL
                  SELECT 'bio', a, b, 'bio "' || ta.bio || '"'
                  FROM (SELECT DISTINCT a, b FROM _id_pairs) q
                  JOIN _id_acc_traits ta ON ta.actor = q.a
                  JOIN _id_acc_traits tb ON tb.actor = q.b
                  WHERE ta.templated AND ta.bio = tb.bio)
                SELECT '{self.name}' AS signal, ta.platform AS platform_a,
                       ta.account_id AS account_a, tb.platform AS platform_b,
                       tb.account_id AS account_b, p.target,
                       CAST(NULL AS VARCHAR) AS activity_a, CAST(NULL AS VARCHAR) AS activity_b,
                       ta.created_at AS time_a, tb.created_at AS time_b,
                       CAST(abs(ta.created - tb.created) AS DOUBLE) AS lag_seconds
                FROM p JOIN _id_acc_traits ta ON ta.actor = p.a
                JOIN _id_acc_traits tb ON tb.actor = p.b
                ORDER BY platform_a, account_a, platform_b, account_b, target"""
        )
        ev.events = events.cast(EVENT_SCHEMA)
        ev.edges = _edges_from_events(ev.events, self.name, float(self.bio_weight))
        ev.stats["edges"] = ev.edges.num_rows


def _scores(traits: pa.Table, signal: str) -> pa.Table:
    rows = traits.to_pylist()
    reasons = []
    for r in rows:
        parts = []
        if r["handle_mark"]:
            parts.append(f"handle {r['handle']}: {r['handle_mark']}")
        if r["batch_size"] is not None:
            parts.append(
                f"made in a batch: {r['batch_size']} accounts within the window "
                f"(expected {r['batch_expected']:.1f})"
            )
        if r["picture"] is not None:
            parts.append(f"profile picture {r['picture']} used by {r['picture_accounts']}")
        if r["bio_template"] is not None:
            parts.append(f'bio "{r["bio_template"]}" shared by {r["bio_accounts"]}')
        reasons.append("; ".join(parts))
    return pa.table(
        {
            "signal": pa.array([signal] * len(rows), pa.string()),
            "platform": traits["platform"],
            "account_id": traits["account_id"],
            "score": traits["score"],
            "reason": pa.array(reasons, pa.string()),
        },
        schema=SCORE_SCHEMA,
    )


def _edges_from_events(events: pa.Table, signal: str, bio_weight: float) -> pa.Table:
    """One edge per pair: 1 per shared batch or picture, ``bio_weight`` for a shared bio."""
    if events.num_rows == 0:
        return EDGE_SCHEMA.empty_table()
    from unmask.engine.duckdb import connect

    con = connect()
    con.register("ev", events)
    edges = con.sql(
        f"""SELECT '{signal}' AS signal, platform_a, account_a, platform_b, account_b,
                   sum(CASE WHEN target LIKE 'bio %' THEN {bio_weight} ELSE 1.0 END) AS weight,
                   count(*) AS count, CAST(NULL AS DOUBLE) AS p_value,
                   CAST(NULL AS DOUBLE) AS q_value,
                   least(min(time_a), min(time_b)) AS first_time,
                   greatest(max(time_a), max(time_b)) AS last_time,
                   string_agg(target, '; ' ORDER BY target) AS reason
            FROM ev GROUP BY platform_a, account_a, platform_b, account_b
            ORDER BY platform_a, account_a, platform_b, account_b"""
    ).to_arrow_table()
    con.close()
    return edges.cast(EDGE_SCHEMA)
