"""Copied content: accounts that post near-copies of the same texts, across platforms and
languages.

Operations copy one text to many accounts and platforms, often with small edits: a typo, a
word put in, an odd headline in front (``【重磅】``, ``BREAKING!!``). This signal groups
texts into **content families** (connected groups of near-duplicates) and links two
accounts when they posted members of the same families, again and again.

How, all in SQL on the engine (no Python loop over rows):

1. **Normalise** each text: lower case; links, @mentions, a leading ``rt @user:`` and
   characters outside the Basic Multilingual Plane (emoji) removed; whitespace collapsed.
   Texts shorter than ``min_chars`` are left out ("great post!" is not evidence of
   anything). Reshares (kind ``share``: retweets, shares) are left out: they repeat their
   parent's text by design, and are co-action on the parent, not copied content (their
   count is ``stats["reshares_left_out"]``). Identical normalised texts are one *document* (an md5 of the text), so a text
   copied 5,000 times is processed once: exact matching comes first and for free.
2. **Shingle** each document into its set of character ``k``-grams. Characters, not words,
   so that Chinese and Japanese (no spaces) work like English; ``k = 4`` because a typo
   then destroys at most 4 shingles, short CJK sentences keep enough of them, and 4-grams
   of English rarely collide by chance (on the small simulated world the best match of an
   ordinary post with another has median Jaccard 0.15, of a Spamouflage copy 0.81; 88 %
   of the copies have a match at 0.6 or more). A shingle is an integer: its code points
   in a polynomial modulo the Mersenne prime ``2^31 - 1`` (the same integers on every
   engine, unlike each engine's own ``hash``).
3. **MinHash** (Broder 1997) by **one permutation hashing** (Li, Owen & Zhang 2012): each
   shingle is hashed once (multiply-add-shift, Dietzfelbinger 1996) into one of
   ``bands * rows`` bins, and each bin keeps its minimum; a bin left empty borrows another's
   by **optimal densification** (Shrivastava 2017). Two documents agree on a bin with
   probability equal to their Jaccard similarity, as with ``bands * rows`` hash functions,
   for one hash per shingle. *Stop shingles* (those in more than ``max_shingle_share`` of
   the texts and in 1,000 texts at least: "the ", "ing ") are left out: they say nothing
   about copying and would put unrelated texts in one bucket. This one step is a compiled
   loop over the characters of each text (``unmask.signals.minhash``, numba), run batch by
   batch through ``Engine.map_batches`` on either engine: in SQL it cost a hash function
   per bin per shingle and was two thirds of the signal's time.
4. **LSH banding** (Indyk & Motwani 1998; Leskovec, Rajaraman & Ullman, *Mining of Massive
   Datasets*, ch. 3): the signature is cut into ``bands`` bands of ``rows`` values; two
   documents whose values agree on a whole band fall in the same bucket and become a
   candidate pair, with probability ``1 - (1 - s^rows)^bands`` at similarity ``s``
   (12 bands of 3: 0.95 at 0.6, 0.99 at 0.7, 0.04 at 0.15). Within a bucket each document
   is paired with the next ``bucket_neighbours`` documents only, so a bucket of common
   text cannot explode quadratically; candidates whose signatures agree on fewer values
   than the threshold allows (less two standard deviations) are dropped.
5. **Verify** each candidate pair by the exact Jaccard similarity of the two (whole)
   shingle sets, counted with one small hash table per pair in the same compiled module
   (``unmask.signals.minhash.near_duplicates``); pairs at or above ``threshold`` are
   near-duplicates.
6. **Families** are the connected components of the near-duplicate pairs (min-label
   propagation with pointer jumping, a handful of SQL rounds), plus texts posted
   verbatim by two accounts or more. Families of two accounts or more are kept
   (``Evidence.tables["families"]``).
7. **Edges.** Within a family, an account's first post of it stands for all (with
   ``max_gap``: every post); they are ordered in time and each is paired with the next
   ``neighbours`` of other accounts (and within ``max_gap`` seconds when it is set), so a
   text posted by 10,000 accounts yields at most 10,000 times ``neighbours`` pairs. Two
   accounts are linked when they share at least ``min_repeat`` families; the weight sums
   each shared family's rarity ``ln(N / n_f)`` (N accounts that posted a text long enough,
   n_f in the family), as co-action weighs targets.
8. **Significance.** A permutation null: in ``null_replicates`` copies of the data, the
   (account, family) memberships are dealt anew among the accounts (each account keeps its
   number of families, each family its number of accounts, its posts and their times: the
   configuration model of the account-family graph); the edges are computed again. Edges
   are compared with shuffled edges between accounts that are in as many families (the
   binary order of magnitude of each one's number of families: a stratified FDR): for an
   edge of weight w in its stratum, the estimated false discovery rate is (shuffled pairs
   with weight >= w) / (observed pairs with weight >= w), made monotone (Storey &
   Tibshirani 2003); edges with ``q_value > fdr`` are dropped.

   Why not co-action's null (shuffle the accounts *within* each target)? Without a time
   window, who is in a family is all that counts, and that shuffle keeps it: the shuffled
   copy would equal the data. Why strata? Accounts that copy a lot (news feeds posting every
   headline, an operation's posters) share families with each other by chance far more
   often than accounts that copy little; one FDR over all pairs lets the former drown the
   latter. ``docs/signals.md`` gives the figures on the simulated worlds.
"""

from __future__ import annotations

import difflib
import html
import math
import random
from collections import defaultdict
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq

from unmask import rundir
from unmask.engine.base import Engine
from unmask.engine.duckdb import connect
from unmask.engine.sql import literal
from unmask.schema import ActivityKind
from unmask.signals.base import (
    EDGE_SCHEMA,
    EVENT_SCHEMA,
    Describing,
    Evidence,
    Reporting,
    Signal,
)
from unmask.signals.minhash import (
    candidate_schema,
    candidates,
    jaccard_schema,
    near_duplicates,
    packed_words,
    shingle_set_schema,
    shingle_sets,
    signature_schema,
    signatures,
    stop_table,
)
from unmask.signals.significance import pooled_null, significance_sql, weight_sum

RESHARE = ActivityKind.SHARE.value

# The Mersenne prime 2^31 - 1: products of two residues stay below 2^62 (no overflow in
# BIGINT on either engine).
P = 2147483647
_BASE = 1000003  # the shingle polynomial's base
_SPACE = r"[ \t\n\r\f]"
# One pass, whose matches are rare (so it is cheap): a leading retweet marker; runs of
# links, mentions and characters outside the BMP (emoji; this also keeps the per-character
# split identical on engines that count UTF-16 units) with the blanks around them;
# runs of two blanks or more; single tabs and newlines.
NORMALISE_RE = (
    rf"^rt @[a-z0-9_]+:?{_SPACE}*"
    rf"|({_SPACE}*(https?://[^ \t\n\r\f]+|www\.[^ \t\n\r\f]+|@[a-z0-9_]+|[\x{{10000}}-\x{{10FFFF}}]))+{_SPACE}*"
    rf"|{_SPACE}{_SPACE}+|[\t\n\r\f]"
)

_HEX = "'0123456789abcdef'"
_MD5_FIRST_BYTE = (
    f"((instr({_HEX}, substring(h, 1, 1)) - 1) * 16 + instr({_HEX}, substring(h, 2, 1)) - 1)"
)

# Documents in one group of the candidate step (see _near_duplicates).
GROUP_ROWS = 8_000_000

# Meta's kill-chain procedures that an operation's content families show.
EDITED_COPIES = "5.2.2 Editing copied content"
DISPERSING = "9.2.3 Dispersing content across many platforms"

FAMILY_SCHEMA = pa.schema(
    [
        pa.field("family_id", pa.string(), nullable=False),
        pa.field("representative", pa.string()),
        pa.field("language", pa.string()),
        pa.field("n_texts", pa.int64()),
        pa.field("n_posts", pa.int64()),
        pa.field("n_accounts", pa.int64()),
        pa.field("rarity", pa.float64()),
        pa.field("first_time", pa.timestamp("us", tz="UTC")),
        pa.field("last_time", pa.timestamp("us", tz="UTC")),
        pa.field("platforms", pa.list_(pa.string())),
        pa.field("languages", pa.list_(pa.string())),
        pa.field("accounts", pa.list_(pa.string())),
        pa.field("text_hashes", pa.list_(pa.string())),
    ]
)


def normalise_sql(col: str = "text") -> str:
    """The normalised text (DuckDB SQL; portable to Spark through sqlglot)."""
    return f"trim(regexp_replace(lower({col}), '{NORMALISE_RE}', ' ', 'g'))"


# The stratum of a pair: the classes of its two accounts, the lower first.
_PAIR_CLASS = (
    "CASE WHEN da.cls <= db.cls THEN da.cls || ':' || db.cls ELSE db.cls || ':' || da.cls END"
)


def _lag_words(col: str) -> str:
    """A lag in seconds as words: 40 s, 12 min, 5 h, 3 days."""
    return (
        f"CASE WHEN {col} < 120 THEN CAST(round({col}) AS BIGINT) || ' s' "
        f"WHEN {col} < 7200 THEN CAST(round({col} / 60) AS BIGINT) || ' min' "
        f"WHEN {col} < 172800 THEN CAST(round({col} / 3600) AS BIGINT) || ' h' "
        f"ELSE CAST(round({col} / 86400) AS BIGINT) || ' days' END"
    )


class CopiedContent(Signal):
    """Near-duplicate texts posted by different accounts (MinHash LSH over character
    shingles, verified by exact Jaccard similarity); see the module's docstring."""

    name = "content"
    label = "copied content: the same texts, edited, from different accounts"
    order = 20
    disarm = ("T0084.001",)  # Use Copypasta
    kill_chain = (EDITED_COPIES, DISPERSING)
    report_section = "copied"
    empty_tables: ClassVar[dict[str, pa.Schema]] = {"families": FAMILY_SCHEMA}
    kind = "edges"
    reference = (
        "Broder 1997 (MinHash: 'On the resemblance and containment of documents', SEQUENCES); "
        "Li, Owen & Zhang 2012 (one permutation hashing, NeurIPS); Shrivastava 2017 (optimal "
        "densification, ICML); "
        "Indyk & Motwani 1998 (locality-sensitive hashing, STOC); Leskovec, Rajaraman & "
        "Ullman, Mining of Massive Datasets, ch. 3 (banding); Li & König 2010 (b-bit "
        "minwise hashing, WWW); Sun et al. 2006 (stratified FDR, Genet. Epidemiol.); "
        "Storey & Tibshirani 2003 (q-values, PNAS)"
    )

    def __init__(
        self,
        k: int = 4,
        threshold: float = 0.6,
        bands: int = 12,
        rows: int = 3,
        min_chars: int = 20,
        max_chars: int = 1000,
        bucket_neighbours: int = 5,
        max_shingle_share: float = 0.01,
        min_shingles: int = 10,
        neighbours: int | None = 50,
        max_gap: float | None = None,
        min_repeat: int = 2,
        null_replicates: int = 1,
        fdr: float | None = 0.05,
        seed: int = 0,
        max_events_per_edge: int = 100,
    ) -> None:
        self.k = k
        self.threshold = threshold
        self.bands = bands
        self.rows = rows
        self.min_chars = min_chars
        self.max_chars = max_chars
        self.bucket_neighbours = bucket_neighbours
        self.max_shingle_share = max_shingle_share
        self.min_shingles = min_shingles
        self.neighbours = neighbours
        self.max_gap = max_gap
        self.min_repeat = min_repeat
        self.null_replicates = null_replicates
        self.fdr = fdr
        self.seed = seed
        self.max_events_per_edge = max_events_per_edge

    # -- how the evidence is used ----------------------------------------------------------

    @classmethod
    def describe_operations(cls, ctx: Describing, evidence: Evidence | None) -> None:
        """``narratives``: the content families each operation's accounts post."""
        narratives(ctx, evidence)

    @classmethod
    def summary_sentences(cls, op: dict[str, Any]) -> list[str]:
        fams = op["narratives"]
        if not fams:
            return []
        return [
            f"They posted {op.get('narrative_families', len(fams))} copied-content "
            f"famil(ies), e.g. “{(fams[0]['representative'] or '')[:120]}”."
        ]

    @classmethod
    def kill_chain_entries(cls, op: dict[str, Any]) -> list[tuple[str, str]]:
        found = []
        edited = [n for n in op["narratives"] if (n["variants"] or 0) > 1]
        if edited:
            found.append(
                (
                    EDITED_COPIES,
                    f"{len(edited)} content famil(ies) posted in several edited variants, "
                    f"e.g. {edited[0]['family_id']}",
                )
            )
        wide = [n for n in op["narratives"] if len(n["platforms"] or []) >= 3]
        if wide:
            found.append(
                (
                    DISPERSING,
                    f"{len(wide)} content famil(ies) on 3+ platforms, e.g. {wide[0]['family_id']} "
                    f"on {', '.join(wide[0]['platforms'])}",
                )
            )
        return found

    @classmethod
    def report_evidence(cls, ctx: Reporting) -> dict[str, list[dict[str, Any]]]:
        return copied_examples(ctx, rundir.evidence_file(ctx.run_dir, cls.name, "families"))

    @classmethod
    def known_assets(cls, run_dir: Path, members: pa.Table) -> list[tuple[str, dict[str, Any]]]:
        return family_assets(rundir.evidence_file(run_dir, cls.name, "families"), members)

    # -- the run -------------------------------------------------------------------------

    def _check(self) -> None:
        if int(self.k) < 1:
            raise ValueError(f"k={self.k}: must be at least 1")
        if int(self.min_chars) < int(self.k):
            raise ValueError(f"min_chars={self.min_chars}: must be at least k={self.k}")
        if int(self.max_chars) < int(self.min_chars):
            raise ValueError(f"max_chars={self.max_chars}: must be at least min_chars")
        if not 0 < float(self.threshold) <= 1:
            raise ValueError(f"threshold={self.threshold}: must be in (0, 1]")
        if int(self.bands) < 1 or int(self.rows) < 1:
            raise ValueError("bands and rows must be at least 1")
        if int(self.bucket_neighbours) < 1:
            raise ValueError("bucket_neighbours must be at least 1")
        if self.neighbours is not None and int(self.neighbours) < 1:
            raise ValueError("neighbours must be at least 1 (or None: every pair)")

    def _run(self, engine: Engine, ev: Evidence) -> None:
        # Normalised in a step of its own: a filter on the normalised text in the same
        # query is pushed down into the scan, where it runs the regular expression a second
        # time (DuckDB 1.x-2.0: 2.7 s instead of 1.2 for a million posts).
        # A reshare (a retweet, a share) repeats its parent's text by design: it is co-action
        # on the parent (``coaction --on parent``), not content its account copied.
        engine.create_table(
            "_cc_norm",
            f"""SELECT platform, account_id, activity_id, time, language,
                       {normalise_sql("text")} AS norm
                FROM activities WHERE text IS NOT NULL AND kind <> '{RESHARE}'""",
        )
        ev.stats["reshares_left_out"] = engine.scalar(
            f"SELECT count(*) FROM activities WHERE text IS NOT NULL AND kind = '{RESHARE}'"
        )
        engine.create_table(
            "_cc_posts",
            f"""SELECT platform, account_id, platform || '/' || account_id AS actor,
                       activity_id, time, floor(epoch(time)) AS t,
                       coalesce(language, 'und') AS lang, norm, md5(norm) AS h
                FROM _cc_norm WHERE length(norm) >= {int(self.min_chars)}""",
        )
        engine.drop("_cc_norm")
        n_posts = engine.count("_cc_posts")
        ev.stats["posts"] = n_posts
        if n_posts == 0:
            ev.notes.append(
                f"nothing to compare: no activity has a text of {int(self.min_chars)} "
                "characters or more"
            )
            ev.tables["families"] = FAMILY_SCHEMA.empty_table()
            return
        # One document per distinct normalised text; "shared" when two accounts posted it.
        # Grouped by the text itself as well as its md5 (min(norm) per md5 cost four times
        # as much), numbered in md5 order (the same on every engine) by 256 sorts of a
        # part each instead of one of the whole: the first byte of the md5 in the high
        # bits, the place within its part in the low (10M activities: 8.7-21 s -> 5 s).
        engine.create_table(
            "_cc_texts",
            f"""SELECT h, norm, shared,
                       {_MD5_FIRST_BYTE} * 4294967296
                       + row_number() OVER (PARTITION BY substring(h, 1, 2) ORDER BY h) AS d
                FROM (SELECT h, norm, min(actor) < max(actor) AS shared
                      FROM _cc_posts GROUP BY h, norm)""",
        )
        # The posts' texts live on in _cc_texts only (the original text of a family's
        # representative is read back from activities): at 100M activities the texts
        # held twice filled tens of GB of DuckDB's spill.
        engine.create_table(
            "_cc_posts",
            "SELECT platform, account_id, actor, activity_id, time, t, lang, h FROM _cc_posts",
        )
        ev.stats["texts"] = engine.count("_cc_texts")
        self._near_duplicates(engine, ev)
        self._families(engine, ev)
        if not ev.stats.get("families"):
            ev.notes.append("no text was posted (nearly) the same by two accounts or more")
            return
        self._edges(engine, ev)

    # -- MinHash LSH ---------------------------------------------------------------------

    def _shingles_sql(self, texts: str) -> str:
        """(d, x): the k-gram shingles of each document as integers (repeats included)."""
        k = int(self.k)
        # x = sum_j codepoint(c[i + j]) * BASE^(k-1-j) mod P; each term < 2^21 * 2^31.
        # The index is an explicit BIGINT so that sqlglot shifts it to Spark's 0-based arrays.
        terms = " + ".join(
            f"CAST(unicode(c[CAST(i + {j} AS BIGINT)]) AS BIGINT) * {pow(_BASE, k - 1 - j, P)}"
            for j in range(k)
        )
        return f"""
            SELECT d, ({terms}) % {P} AS x
            FROM (SELECT d, c, unnest(range(1, n - {k} + 2)) AS i
                  FROM (SELECT d, string_split(s, '') AS c, length(s) AS n
                        FROM (SELECT d, substring(norm, 1, {int(self.max_chars)}) AS s
                              FROM {texts})))"""

    def _hash_coefficients(self) -> tuple[int, int]:
        rng = random.Random(f"content-minhash:{self.seed}")
        # Multiply-add-shift (Dietzfelbinger 1996): h(x) = ((a x + b) mod 2^47) div 2^16,
        # a odd; x < 2^31 and a < 2^31, so a x + b < 2^63 never overflows a BIGINT.
        return rng.randrange(1, 1 << 31) | 1, rng.randrange(0, 1 << 47)

    def min_agreements(self) -> int:
        """Signature values two candidates must share to be verified: the threshold less two
        standard deviations of the MinHash estimate. A pair exactly at the threshold is
        dropped with probability about 2 %, one 0.1 above it almost never; on the medium
        simulated world this halves the pairs to verify and loses 0.2 % of the true ones
        (families, being connected components, barely change: 3,523 with three standard
        deviations, 3,509 with two)."""
        n = int(self.bands) * int(self.rows)
        t = float(self.threshold)
        return max(1, math.ceil(n * (t - 2 * math.sqrt(t * (1 - t) / n))))

    def _near_duplicates(self, engine: Engine, ev: Evidence) -> None:
        a, b = self._hash_coefficients()
        r = int(self.rows)
        n = int(self.bands) * r
        # Stop shingles: those found in more than max_shingle_share of the texts, and in
        # 1,000 texts at least (so that no family of near-copies, however large, loses its
        # own), say nothing about copying ("the ", "ing ") and would put unrelated texts in
        # one bucket: the MinHash leaves them out. Counted on a sample of ~100,000 texts.
        # A text with fewer than min_shingles others is made of common fragments; its
        # signature would be noise (on the medium world such texts made 40 % of the
        # candidate pairs and 0.1 % of the near-duplicates): it is matched exactly only.
        n_texts = int(ev.stats["texts"])
        step = max(1, n_texts // 100_000)
        n_sample = int(engine.scalar(f"SELECT count(*) FROM _cc_texts WHERE d % {step} = 0"))
        cut = max(float(self.max_shingle_share) * n_texts, 1000.0) * n_sample / n_texts
        sample = f"(SELECT * FROM _cc_texts WHERE d % {step} = 0)"
        engine.map_batches(
            "_cc_sample_sh",
            f"SELECT norm FROM {sample}",
            partial(shingle_sets, k=int(self.k), max_chars=int(self.max_chars)),
            shingle_set_schema(),
        )
        engine.create_table(
            "_cc_stop", f"SELECT x FROM _cc_sample_sh GROUP BY x HAVING count(*) > {cut}"
        )
        engine.drop("_cc_sample_sh")
        ev.stats["stop_shingles"] = engine.count("_cc_stop")
        # The signatures: one permutation hashing with optimal densification, compiled
        # (unmask.signals.minhash); SQL would compute n hash functions per shingle.
        stop = stop_table(engine.fetch("SELECT x FROM _cc_stop").column(0).to_numpy())
        engine.map_batches(
            "_cc_sig",
            "SELECT d, norm FROM _cc_texts",
            partial(
                signatures,
                k=int(self.k),
                max_chars=int(self.max_chars),
                rows=r,
                bands=int(self.bands),
                a=a,
                b=b,
                seed=int(self.seed),
                stop=stop,
            ),
            signature_schema(int(self.bands), r),
        )
        # Candidate pairs: documents in the same bucket of a band, each with the next
        # bucket_neighbours documents of the bucket (never quadratic in a bucket's size),
        # kept when their signatures agree often enough to be near the threshold. Compiled,
        # band by band: in SQL, grouping ten million bucket keys (nine in ten of them alone
        # in their bucket) to find the shared ones cost twice the whole compiled step.
        # A group is a band, or, past GROUP_ROWS documents, a part of a band (its buckets
        # split by their key, a bucket never): the groups in hand are held in Python,
        # outside DuckDB's memory limit (at 47M documents a whole band is 3 GB).
        words = ", ".join(f"p{w}" for w in range(len(packed_words(n))))
        parts = max(1, math.ceil(n_texts / GROUP_ROWS))
        engine.map_groups(
            "_cc_cand",
            [
                f"""SELECT b{band} AS bkey, d, {words} FROM _cc_sig
                    WHERE n_shingles >= {max(1, int(self.min_shingles))}"""
                + (f" AND (b{band} % {parts} + {parts}) % {parts} = {part}" if parts > 1 else "")
                for band in range(int(self.bands))
                for part in range(parts)
            ],
            partial(
                candidates,
                n_values=n,
                neighbours=int(self.bucket_neighbours),
                min_agreements=self.min_agreements(),
            ),
            candidate_schema(),
        )
        # A pair found in several bands once.
        engine.create_table("_cc_cand", "SELECT DISTINCT d1, d2 FROM _cc_cand")
        engine.drop("_cc_sig", "_cc_stop")
        ev.stats["candidate_pairs"] = engine.count("_cc_cand")
        # Exact Jaccard similarity of the shingle sets of the candidates (compiled: in SQL
        # it meant every shingle of every candidate as a row, joined with the other's).
        engine.map_batches(
            "_cc_near",
            """SELECT c.d1, c.d2, t1.norm AS norm1, t2.norm AS norm2
               FROM _cc_cand c JOIN _cc_texts t1 ON t1.d = c.d1 JOIN _cc_texts t2 ON t2.d = c.d2""",
            partial(
                near_duplicates,
                k=int(self.k),
                max_chars=int(self.max_chars),
                threshold=float(self.threshold),
            ),
            jaccard_schema(),
        )
        engine.drop("_cc_cand")
        ev.stats["near_duplicate_pairs"] = engine.count("_cc_near")

    # -- families ------------------------------------------------------------------------

    def _components(self, engine: Engine, ev: Evidence) -> None:
        """_cc_lab(d, lab): the smallest document of each document's connected component."""
        both = (
            "SELECT d1 AS d, d2 AS o FROM _cc_near UNION ALL SELECT d2 AS d, d1 AS o FROM _cc_near"
        )
        engine.create_table(
            "_cc_lab", f"SELECT d, least(d, min(o)) AS lab FROM ({both}) GROUP BY d"
        )
        rounds = 0
        while True:
            rounds += 1
            # Each document takes the smallest label among its neighbours', then jumps to
            # its label's label (pointer jumping halves the remaining distance).
            engine.create_table(
                "_cc_lab1",
                f"""SELECT e.d, least(min(l.lab), min(s.lab)) AS lab
                    FROM ({both}) e JOIN _cc_lab l ON l.d = e.o JOIN _cc_lab s ON s.d = e.d
                    GROUP BY e.d""",
            )
            engine.create_table(
                "_cc_lab2",
                """SELECT a.d, least(a.lab, b.lab) AS lab
                   FROM _cc_lab1 a JOIN _cc_lab1 b ON b.d = a.lab""",
            )
            changed = engine.scalar(
                """SELECT count(*) FROM _cc_lab2 n JOIN _cc_lab o USING (d)
                   WHERE n.lab <> o.lab"""
            )
            engine.create_table("_cc_lab", "SELECT * FROM _cc_lab2")
            engine.drop("_cc_lab1", "_cc_lab2")
            if not changed or rounds >= 64:
                break
        ev.stats["component_rounds"] = rounds

    def _families(self, engine: Engine, ev: Evidence) -> None:
        self._components(engine, ev)
        # Texts that belong to a family: near-duplicates of another, or posted verbatim by
        # two accounts or more. A family is known by its smallest document.
        engine.create_table(
            "_cc_tf",
            """SELECT t.h, coalesce(l.lab, t.d) AS fam
               FROM _cc_texts t LEFT JOIN _cc_lab l USING (d)
               WHERE l.lab IS NOT NULL OR t.shared""",
        )
        engine.create_table(
            "_cc_m0",
            """SELECT f.fam, p.h, p.platform, p.account_id, p.actor, p.activity_id, p.time, p.t,
                      p.lang
               FROM _cc_posts p JOIN _cc_tf f USING (h)""",
        )
        engine.create_table(
            "_cc_fam",
            """WITH f AS (
                    SELECT fam, 'f' || substring(min(h), 1, 16) AS family_id,
                           count(DISTINCT h) AS n_texts, count(*) AS n_posts,
                           count(DISTINCT actor) AS n_accounts,
                           min(time) AS first_time, max(time) AS last_time
                    FROM _cc_m0 GROUP BY fam HAVING count(DISTINCT actor) >= 2),
                lc AS (SELECT fam, lang, count(*) AS n FROM _cc_m0 GROUP BY fam, lang),
                lm AS (SELECT fam, lang FROM (
                           SELECT fam, lang, row_number() OVER (
                               PARTITION BY fam ORDER BY n DESC, lang) AS i FROM lc)
                       WHERE i = 1),
                total AS (SELECT count(DISTINCT actor) AS n FROM _cc_posts)
               SELECT f.*, lm.lang AS language, ln(total.n / f.n_accounts) AS rarity
               FROM f JOIN lm USING (fam) CROSS JOIN total""",
        )
        engine.create_table(
            "_cc_m",
            """SELECT m.*, f.family_id, f.language AS flang, f.rarity
               FROM _cc_m0 m JOIN _cc_fam f USING (fam)""",
        )
        engine.drop("_cc_m0")
        n_fam = engine.count("_cc_fam")
        ev.stats["families"] = n_fam
        if not n_fam:
            ev.tables["families"] = FAMILY_SCHEMA.empty_table()
            return
        # The representative: the family's most posted text (the first posted among equals),
        # as its earliest post wrote it.
        families = engine.fetch(
            """WITH hn AS (SELECT fam, h, count(*) AS n, min(t) AS t0 FROM _cc_m GROUP BY fam, h),
                    top AS (SELECT fam, h FROM (
                                SELECT fam, h, row_number() OVER (
                                    PARTITION BY fam ORDER BY n DESC, t0, h) AS i FROM hn)
                            WHERE i = 1),
                    first AS (SELECT fam, platform, activity_id FROM (
                                SELECT m.fam, m.platform, m.activity_id, row_number() OVER (
                                    PARTITION BY m.fam ORDER BY m.time, m.platform, m.activity_id) AS i
                                FROM _cc_m m JOIN top USING (fam, h))
                            WHERE i = 1),
                    rep AS (SELECT r.fam, min(a.text) AS text
                            FROM first r JOIN activities a
                              ON a.platform = r.platform AND a.activity_id = r.activity_id
                            GROUP BY r.fam),
                    lists AS (
                        SELECT fam, list_sort(list(DISTINCT platform)) AS platforms,
                               list_sort(list(DISTINCT lang)) AS languages,
                               list_sort(list(DISTINCT actor)) AS accounts,
                               list_sort(list(DISTINCT h)) AS text_hashes
                        FROM _cc_m GROUP BY fam)
               SELECT f.family_id, rep.text AS representative, f.language, f.n_texts,
                      f.n_posts, f.n_accounts, f.rarity, f.first_time, f.last_time,
                      lists.platforms, lists.languages, lists.accounts, lists.text_hashes
               FROM _cc_fam f JOIN rep USING (fam) JOIN lists USING (fam)
               ORDER BY f.n_accounts DESC, f.n_posts DESC, f.family_id"""
        )
        ev.tables["families"] = families.cast(FAMILY_SCHEMA)

    # -- edges ---------------------------------------------------------------------------

    def _blocks(self) -> tuple[str, str]:
        """How a family's members (numbered ``rn`` in time order) are paired: the block
        each is in (a member meets those of its own block and the next) and the condition
        on a pair (x before y)."""
        k = self.neighbours
        gap = self.max_gap
        if k:
            block = f"CAST(floor((rn - 1) / {int(k)}) AS BIGINT)"
            cond = f"AND y.rn - x.rn <= {int(k)}"
        elif gap is not None:
            block = f"CAST(floor(t / {float(gap)}) AS BIGINT)"
            cond = ""
        else:
            block = "CAST(0 AS BIGINT)"
            cond = ""
        if gap is not None:
            cond += f" AND y.t - x.t <= {float(gap)}"
        return block, cond

    def _pairs_sql(self, units: str) -> str:
        """(fam, rarity, a, b, rn_a, rn_b, lag): per account pair (by number, a < b) and
        family, the closest pair of their posts in ``units`` (fam, rarity, aid, t, rn; rn
        numbers a family's posts in time)."""
        block, cond = self._blocks()
        pairs = f"""
            WITH b AS (SELECT fam, rarity, aid, t, rn, {block} AS blk FROM {units}),
            y2 AS (SELECT *, blk AS jk FROM b UNION ALL SELECT *, blk - 1 AS jk FROM b)
            SELECT x.fam, x.rarity, least(x.aid, y.aid) AS a, greatest(x.aid, y.aid) AS b,
                   CASE WHEN x.aid < y.aid THEN x.rn ELSE y.rn END AS rn_a,
                   CASE WHEN x.aid < y.aid THEN y.rn ELSE x.rn END AS rn_b,
                   y.t - x.t AS lag
            FROM b x JOIN y2 y ON x.fam = y.fam AND x.blk = y.jk
            WHERE y.rn > x.rn {cond} AND x.aid <> y.aid"""
        if self.max_gap is None:
            # One post per account and family (its first): each pair meets once per family.
            return pairs
        return f"""
            SELECT fam, rarity, a, b, rn_a, rn_b, lag FROM (
                SELECT *, row_number() OVER (
                    PARTITION BY a, b, fam ORDER BY lag, rn_a, rn_b) AS i
                FROM ({pairs}))
            WHERE i = 1"""

    def _edges_sql(self, units: str) -> str:
        """(a, b, cls, count, weight, n_hour, median_lag): the account pairs of ``units``
        that share a family, aggregated as the pairs are made: stored with their names, the
        100M world's pairs overflowed the 40 GB that its benchmark lets DuckDB spill."""
        return f"""
            SELECT w.*, {_PAIR_CLASS} AS cls
            FROM (SELECT a, b, count(*) AS count, {weight_sum("rarity")} AS weight,
                         count(*) FILTER (WHERE lag <= 3600) AS n_hour,
                         median(lag) AS median_lag
                  FROM ({self._pairs_sql(units)}) GROUP BY a, b) w
            JOIN _cc_aid da ON da.aid = w.a JOIN _cc_aid db ON db.aid = w.b"""

    def _null_units_sql(self, replicate: int) -> str:
        # The (account, family) memberships are dealt anew among the accounts: each account
        # keeps its number of families, each family its number of accounts and its posts,
        # their times and languages; which accounts share a family is left to chance.
        salt = f"{self.seed}:{replicate}"
        return f"""
            WITH inc AS (SELECT DISTINCT fam, aid FROM _cc_u),
            slots AS (SELECT fam, aid, row_number() OVER (ORDER BY fam, aid) AS i FROM inc),
            dealt AS (
                SELECT aid AS nk,
                       row_number() OVER (
                           ORDER BY md5(CAST(fam AS VARCHAR) || '|' || CAST(aid AS VARCHAR)
                                        || '|{salt}'),
                                    fam, aid) AS i
                FROM inc),
            deal AS (SELECT s.fam, s.aid, d.nk FROM slots s JOIN dealt d USING (i)),
            m AS (SELECT u.fam, u.rarity, d.nk AS aid, u.activity_id, u.t
                  FROM _cc_u u JOIN deal d USING (fam, aid))
            SELECT *, row_number() OVER (PARTITION BY fam ORDER BY t, aid, activity_id) AS rn
            FROM m"""

    def _null_edges_sql(self, units: str) -> str:
        """The shuffled copy's edges, (cls, weight, count): as :meth:`_edges_sql`, but an
        account dealt into a family twice keeps both places in its order and counts once
        per account pair and family."""
        return f"""
            SELECT {_PAIR_CLASS} AS cls, w.weight, w.count
            FROM (SELECT a, b, count(*) AS count, {weight_sum("rarity")} AS weight
                  FROM (SELECT DISTINCT fam, rarity, a, b FROM ({self._pairs_sql(units)}))
                  GROUP BY a, b) w
            JOIN _cc_aid da ON da.aid = w.a JOIN _cc_aid db ON db.aid = w.b"""

    def _first_posts(self, units: str, account: str, columns: str) -> str:
        """Without a time limit, an account's first post of a family stands for all its
        posts of it (a fan who chants one slogan 40 times is one member); with max_gap,
        every post counts, so that the two closest in time are found."""
        if self.max_gap is not None:
            return units
        return f"""(SELECT {columns} FROM (
                       SELECT *, row_number() OVER (
                           PARTITION BY fam, {account} ORDER BY t, activity_id) AS i
                       FROM {units})
                   WHERE i = 1)"""

    def _edges(self, engine: Engine, ev: Evidence) -> None:
        # Edges are judged against shuffled edges between accounts that are in as many
        # families (a stratified FDR): the class of a pair is the binary order of magnitude
        # of each account's number of families, the same in the data and in the shuffles.
        # Accounts by number (the pairs, in the data and in the shuffles, are made on
        # numbers; names are joined back for the kept edges only), with their class.
        engine.create_table(
            "_cc_aid",
            """SELECT actor, platform, account_id, cls, row_number() OVER (ORDER BY actor) AS aid
               FROM (SELECT actor, any_value(platform) AS platform,
                            any_value(account_id) AS account_id,
                            CAST(floor(log2(count(DISTINCT fam))) AS BIGINT) AS cls
                     FROM _cc_m GROUP BY actor)""",
        )
        # The units on numbers; rn orders a family's posts in time (aid follows the name).
        units = self._first_posts("_cc_m", "actor", "fam, rarity, actor, activity_id, time, t")
        engine.create_table(
            "_cc_u",
            f"""SELECT u.fam, u.rarity, a.aid, u.activity_id, u.time, u.t,
                       row_number() OVER (
                           PARTITION BY u.fam ORDER BY u.t, a.aid, u.activity_id) AS rn
                FROM {units} u JOIN _cc_aid a USING (actor)""",
        )
        engine.create_table("_cc_edges", self._edges_sql("_cc_u"))
        ev.stats["account_family_pairs"] = int(engine.scalar("SELECT sum(count) FROM _cc_edges"))
        ev.stats["candidate_edges"] = engine.count("_cc_edges")
        mr = int(self.min_repeat)
        replicates = int(self.null_replicates or 0)

        def replicate(r: int) -> str:
            engine.create_table(f"_cc_null_u_{r}", self._null_units_sql(r))
            engine.create_table(f"_cc_null_{r}", self._null_edges_sql(f"_cc_null_u_{r}"))
            engine.drop(f"_cc_null_u_{r}")
            return f"SELECT cls, weight FROM _cc_null_{r} WHERE count >= {mr}"

        significance = significance_sql(
            f"(SELECT cls, weight FROM _cc_edges WHERE count >= {mr})",
            pooled_null(engine, "_cc_null", replicates, replicate, ev.stats),
            replicates,
            stratum="cls",
        )
        keep = f"e.count >= {mr}"
        if replicates and self.fdr is not None:
            keep += f" AND s.q_value <= {float(self.fdr)}"
        engine.create_table(
            "_cc_kept",
            f"""SELECT e.*, s.p_value, s.q_value
                FROM _cc_edges e JOIN ({significance}) s USING (cls, weight) WHERE {keep}""",
        )
        # The kept edges' pairs of posts again, with names, families and times (the evidence).
        engine.create_table(
            "_cc_kept_pairs",
            f"""SELECT p.a, p.b, f.family_id AS target, p.lag,
                       xa.platform AS platform_a, xa.account_id AS account_a,
                       xb.platform AS platform_b, xb.account_id AS account_b,
                       ua.activity_id AS activity_a, ub.activity_id AS activity_b,
                       ua.time AS time_a, ub.time AS time_b
                FROM ({self._pairs_sql("_cc_u")}) p SEMI JOIN _cc_kept k USING (a, b)
                JOIN _cc_fam f USING (fam)
                JOIN _cc_u ua ON ua.fam = p.fam AND ua.rn = p.rn_a
                JOIN _cc_u ub ON ub.fam = p.fam AND ub.rn = p.rn_b
                JOIN _cc_aid xa ON xa.aid = p.a
                JOIN _cc_aid xb ON xb.aid = p.b""",
        )
        edges = engine.fetch(
            f"""SELECT '{self.name}' AS signal, x.platform_a, x.account_a, x.platform_b,
                       x.account_b, k.weight, k.count, k.p_value, k.q_value, x.first_time,
                       x.last_time,
                       CASE WHEN k.count = 1
                            THEN 'posted a near-copy of the same text once ('
                                 || CASE WHEN k.n_hour = 1 THEN 'within an hour'
                                         ELSE 'more than an hour apart' END
                                 || ', lag ' || {_lag_words("k.median_lag")} || ')'
                            ELSE 'posted near-copies of the same text ' || k.count
                                 || ' times, ' || k.n_hour
                                 || ' of them within an hour of each other (median lag '
                                 || {_lag_words("k.median_lag")} || ')' END AS reason
                FROM _cc_kept k
                JOIN (SELECT a, b, platform_a, account_a, platform_b, account_b,
                             min(least(time_a, time_b)) AS first_time,
                             max(greatest(time_a, time_b)) AS last_time
                      FROM _cc_kept_pairs
                      GROUP BY a, b, platform_a, account_a, platform_b, account_b) x
                  USING (a, b)
                ORDER BY k.weight DESC, x.platform_a, x.account_a, x.platform_b, x.account_b"""
        )
        ev.edges = edges.cast(EDGE_SCHEMA)
        ev.events = engine.fetch(
            f"""SELECT '{self.name}' AS signal, platform_a, account_a, platform_b, account_b,
                       target, activity_a, activity_b, time_a, time_b, lag AS lag_seconds
                FROM (SELECT p.*, row_number() OVER (
                          PARTITION BY p.platform_a, p.account_a, p.platform_b, p.account_b
                          ORDER BY p.time_a, p.target, p.activity_a, p.activity_b) AS j
                      FROM _cc_kept_pairs p)
                WHERE j <= {int(self.max_events_per_edge)}
                ORDER BY platform_a, account_a, platform_b, account_b, time_a, target"""
        ).cast(EVENT_SCHEMA)


# -- how later steps read the families ----------------------------------------------------


def narratives(ctx: Describing, content: Evidence | None) -> None:
    """Each reported cluster's ``narratives``: the families its accounts post, those with
    most of its accounts first (``ctx.top`` of them), and ``narrative_families``, how many."""
    for op in ctx.figures.values():
        op["narratives"] = []
    if content is None or "families" not in content.tables:
        return
    members = ctx.members
    cluster_of = {
        f"{p}/{a}": c
        for p, a, c in zip(
            members["platform"].to_pylist(),
            members["account_id"].to_pylist(),
            members["cluster_id"].to_pylist(),
            strict=True,
        )
    }
    per_op: dict[str, list] = defaultdict(list)
    for fam in content.tables["families"].to_pylist():
        inside: dict[str, int] = defaultdict(int)
        for actor in fam["accounts"] or []:
            if actor in cluster_of:
                inside[cluster_of[actor]] += 1
        for cid, n in inside.items():
            per_op[cid].append((n, fam))
    for cid, fams in per_op.items():
        fams.sort(key=lambda x: (-x[0], -(x[1]["n_posts"] or 0), x[1]["family_id"]))
        ctx.figures[cid]["narratives"] = [
            {
                "family_id": f["family_id"],
                "representative": f["representative"],
                "variants": f["n_texts"],
                "posts": f["n_posts"],
                "accounts_inside": n,
                "accounts_all": f["n_accounts"],
                "platforms": f["platforms"],
                "languages": f["languages"],
                "first": f["first_time"].isoformat() if f["first_time"] else None,
                "last": f["last_time"].isoformat() if f["last_time"] else None,
            }
            for n, f in fams[: ctx.top]
        ]
        ctx.figures[cid]["narrative_families"] = len(fams)


def copied_examples(ctx: Reporting, families_file: Path) -> dict[str, list[dict[str, Any]]]:
    """Per operation, its largest content families with some variants as posted (the words
    that differ from the representative marked), each with an example activity id. One
    pass over the store's texts serves every operation."""
    n, k, ops = ctx.examples, ctx.variants, ctx.operations
    wanted = {f["family_id"]: f for op in ops for f in op["narratives"][:n]}
    if ctx.store is None or not wanted or not families_file.exists():
        return {}
    con = ctx.store.connect()
    con.register("_wanted", pa.table({"family_id": sorted(wanted)}))
    rows = con.execute(
        f"""WITH hashes AS (
              SELECT f.family_id, unnest(f.text_hashes) AS h
              FROM read_parquet({literal(families_file)}) f SEMI JOIN _wanted USING (family_id)),
            t AS (
              SELECT platform, activity_id, time, text, md5({normalise_sql("text")}) AS h
              FROM activities WHERE text IS NOT NULL),
            variants AS (
              SELECT hashes.family_id, t.text, count(*) AS posts,
                     min(t.platform || '/' || t.activity_id) AS example, min(t.time) AS first
              FROM t JOIN hashes USING (h) GROUP BY 1, 2)
           SELECT * FROM (
             SELECT *, row_number() OVER (PARTITION BY family_id ORDER BY posts DESC, text) AS r
             FROM variants) WHERE r <= {int(k)} ORDER BY family_id, r"""
    ).fetchall()
    con.close()
    by_family: dict[str, list] = defaultdict(list)
    for family_id, text, posts, example, first, _ in rows:
        reference = wanted[family_id]["representative"] or ""
        by_family[family_id].append(
            {
                "text": text,
                "marked": mark_differences(reference, text),
                "posts": posts,
                "example": example,
                "first": first.isoformat(),
            }
        )
    return {
        op["cluster_id"]: [
            {
                "family_id": f["family_id"],
                "representative": f["representative"],
                "variants": by_family.get(f["family_id"], []),
            }
            for f in op["narratives"][:n]
        ]
        for op in ops
    }


def mark_differences(reference: str, text: str) -> str:
    """``text`` as HTML with the words that are not in ``reference`` marked (typos,
    inserted words, changed headlines stand out)."""
    a, b = reference.split(), text.split()
    out = []
    for tag, _, _, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        words = html.escape(" ".join(b[j1:j2]))
        if not words:
            continue
        out.append(words if tag == "equal" else f"<mark>{words}</mark>")
    return " ".join(out)


def family_assets(families_file: Path, members: pa.Table) -> list[tuple[str, dict[str, Any]]]:
    """A run's clusters' content families as known-operation assets (``unmask.lineage``):
    the representative's normalised text, weighted by the share of the family's accounts
    inside the cluster, and every variant's hash."""
    if not families_file.exists():
        return []
    con = connect()
    con.register("fam", pq.read_table(families_file))
    con.register("mem", members)
    rows = con.sql(
        f"""WITH inside AS (
                SELECT f.family_id, m.cluster_id, count(*) AS n
                FROM fam f, unnest(f.accounts) AS x(actor)
                JOIN mem m ON m.platform || '/' || m.account_id = x.actor
                GROUP BY 1, 2)
            SELECT i.cluster_id, f.family_id, f.representative,
                   {normalise_sql("f.representative")} AS norm, f.text_hashes,
                   i.n / f.n_accounts AS share, i.n AS inside, f.n_accounts
            FROM inside i JOIN fam f USING (family_id)
            ORDER BY 1, 2"""
    ).fetchall()
    out: list[tuple[str, dict[str, Any]]] = []
    for cid, fid, rep, norm, hashes, share, inside, n_all in rows:
        about = {
            "item": fid,
            "display": rep,
            "weight": float(share),
            "note": f"{inside} of its {n_all} account(s) in the operation",
        }
        out.append((cid, {"kind": "text", "value": norm, **about}))
        out += [(cid, {"kind": "text_hash", "value": h, **about}) for h in hashes or []]
    return out
