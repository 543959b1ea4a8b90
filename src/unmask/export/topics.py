"""An operation's narratives: its posts grouped by what they say, across languages.

The report's "narratives" section. An operation that machine-translates its message into
eight languages and rewords every copy posts hundreds of copied-content families (one per
wording), and its largest families are not its narratives: the same claim in Chinese, in
Spanish and paraphrased in English is one narrative told three ways. Here an operation's
posts are put in a multilingual sentence-embedding space and grouped by meaning, and each
group (a *topic*) is named by the words that mark it and shown by its posts.

How, at report time, per reported group (its posts are few enough: thousands, not
millions):

1. **Posts.** The group's accounts' texts, reshares included (a retweet network's
   narratives are what it spread), normalised as :mod:`unmask.signals.content` does,
   hashtags removed too (they are in "what it pushed", and a topic should be what the
   words say); one document per distinct text, with its posts, accounts, and its first
   post (the example shown, and the text's language). A text with fewer than ``MIN_CONTENT_PIECES`` content pieces
   (``semantic.CONTENT_PRIOR``: not "the", "de", "的") says too little to be about
   anything: it is *chatter*, counted and not placed.
2. **Embedding** with the static multilingual Universal Sentence Encoder of
   :mod:`unmask.signals.semantic` (Yang et al. 2020; a text and its translation lie close).
3. **Copies, then topics.** Texts at cosine ``COPY_SIMILARITY`` or more are one *copy
   group* (the same wording with other figures, typos or a headline in front): connected
   components of each text's ``NEIGHBOURS`` nearest texts (exact, by blocked matrix
   products). The copy groups' centroids are then linked to their ``NEIGHBOURS`` nearest
   at ``MIN_SIMILARITY`` or more, and the communities of that graph are found by Leiden
   (Traag, Waltman & van Eck 2019, Sci. Rep.; modularity at resolution 1, seeded), each
   edge weighed by how far its cosine is above ``MIN_SIMILARITY``: the k-nearest-neighbour
   graph clustering of PhenoGraph (Levine et al. 2015, Cell), used on sentence embeddings
   as BERTopic (Grootendorst 2022) uses HDBSCAN. On probe sentences (the simulator's
   claims, every language and wording) two texts of one claim in two languages lie at a
   median cosine of 0.59 (10th percentile 0.42), two claims of one narrative at 0.30 (90th
   percentile 0.43): hence 0.45. A community with fewer than ``MIN_TOPIC_POSTS`` posts or
   one account is not a topic: its posts are *scattered*. Beyond ``MAX_TEXTS`` distinct
   texts (by posts), a text joins the topic whose centroid is nearest, at
   ``MIN_SIMILARITY`` or more.
4. **Names.** A topic is named by its top ``TERMS`` terms by class-based TF-IDF
   (Grootendorst 2022): the share of the topic's posts that use a term, against the
   term's document frequency in a sample of the store's texts (``BACKGROUND``), so
   that what the whole data talks about does not name a topic. Terms are words of three
   letters or more and, in Chinese and Japanese (no spaces), the encoder's tokenizer's
   pieces of two characters or more ("城市", "鉄道"). A term that the tokenizer's unigram
   model finds common ("the", "est", "wir", "一个") or that is in more than
   ``STOP_SHARE`` of the sample is a stop word of some language and names nothing.
5. **Examples**: per topic, its most posted text in each of its main languages, with the
   activity id of its first post, so a reader can check the topic against the posts.
   (Not the text nearest the topic's centre: copies that differ by a figure lie at the same
   distance to the last bits, and which of them was shown changed between machines.)

Without the encoder (``unmask[semantic]`` not installed), or without the run's store, the
narratives are the group's largest copied-content families, as found by detect, and the
report says which it shows and why.

**Measured** (``benchmarks/topics.py``; docs/evaluate.md, "Narratives in the report"):
the simulated Spamouflage's posts carry hashtags of their narrative, which the topics never
see. At the evaluation seeds, in five variations: all three narratives found in every
world; purity 0.99-1.00 in nine worlds of ten (0.86 in one, where two claims about China
from two narratives fell together); 69-100 % of the topics' posts in topics of several
languages; the report's eight rows hold 74-98 % of what the group said, against 10-26 %
as its eight largest copied-content families. 1.5-3.5 s per run of the small world, and
the encoder's first use in a process (its pieces' vectors) up to 5 s more.

**Tried and dropped.**

* One graph over the texts (each linked to its ten nearest at cosine 0.6): a text's ten
  nearest are its own copies (the same wording with other figures), so a claim fell
  apart by language and wording: Spamouflage at seed 1 in 36 topics, 25 % of their posts
  in topics of several languages. Copies joined first: 7 topics, 100 %.
* Each language's mean taken away from its embeddings (language-neutral vectors,
  Libovický, Rosa & Fraser 2020): 49 topics, 10 % in several languages; on the probe
  sentences one claim across languages fell from a median cosine of 0.59 to 0.43.
* The cosine itself as the edge weight: two narratives' claims about China fell together
  (purity 0.92 and 0.85 at the tuning seed 2 of two worlds; 1.00 and 0.91 now, for more
  topics). Leiden's resolution at 2 or 3 instead: more topics (11-23), the same mixing.
* Character bigrams for Chinese and Japanese terms: "座城", "正的", "个国" named topics.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import pyarrow as pa

from unmask.signals.base import Reporting
from unmask.signals.content import normalise_sql

MIN_CONTENT_PIECES = 3
NEIGHBOURS = 10
MIN_SIMILARITY = 0.45
COPY_SIMILARITY = 0.85
MIN_TOPIC_POSTS = 5
MAX_TEXTS = 20_000
BACKGROUND = 20_000
TERMS = 6
STOP_SHARE = 0.01
EXAMPLE_LANGUAGES = 3
RESOLUTION = 1.0
SEED = 0

SEMANTIC = "topics"
FAMILIES = "copied-content families"

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]+")
_WORD = re.compile(r"[^\W\d_]{3,}")


def _clean_sql(col: str = "text") -> str:
    """The normalised text without hashtags."""
    return (
        f"trim(regexp_replace(regexp_replace({normalise_sql(col)}, '#[^ \\t\\n\\r\\f#]+', ' ', 'g'),"
        " '\\s+', ' ', 'g'))"
    )


def posts(ctx: Reporting, clusters: list[str]) -> pa.Table:
    """Per reported group, its distinct cleaned texts with their posts and accounts, and the
    first post of each (its activity, raw text and language; ties broken by activity)."""
    wanted = set(clusters)
    members = [(p, a, c) for (p, a), c in ctx.cluster_of.items() if c in wanted]
    con = ctx.store.connect()
    con.register(
        "_members",
        pa.table(
            {
                "platform": [m[0] for m in members],
                "account_id": [m[1] for m in members],
                "cluster_id": [m[2] for m in members],
            }
        ),
    )
    out = con.sql(
        f"""WITH p AS (
              SELECT m.cluster_id, a.platform || '/' || a.account_id AS account,
                     a.platform || '/' || a.activity_id AS activity, a.time,
                     coalesce(a.language, 'und') AS language, a.text,
                     {_clean_sql("a.text")} AS clean
              FROM activities a JOIN _members m USING (platform, account_id)
              WHERE a.text IS NOT NULL)
            SELECT cluster_id, clean, count(*) AS posts, list(DISTINCT account) AS accounts,
                   arg_min(language, (time, activity)) AS language, min(time) AS first,
                   max(time) AS last, arg_min(text, (time, activity)) AS text,
                   arg_min(activity, (time, activity)) AS activity
            FROM p WHERE length(clean) > 0
            GROUP BY cluster_id, clean
            ORDER BY cluster_id, posts DESC, clean"""
    ).to_arrow_table()
    con.close()
    return out


class Terms:
    """A text's terms, with the encoder's tokenizer: words of three letters or more and, in
    Chinese and Japanese (written without spaces), its pieces of two characters or more;
    a term is *common* (a stop word in any of the model's languages: "the", "est", "wir",
    "一个") when the tokenizer's unigram model gives each of its pieces a probability of
    ``semantic.CONTENT_PRIOR`` or more."""

    def __init__(self, encoder) -> None:
        from unmask.signals.semantic import CONTENT_PRIOR

        self.tok, self.prior, self.floor = encoder.tok, encoder.prior, CONTENT_PRIOR
        self._common: dict[str, bool] = {}

    def __call__(self, text: str) -> list[str]:
        out = []
        for w in _WORD.findall(text):
            if _CJK.search(w) is None:
                out.append(w)
                continue
            for run in _CJK.findall(w):
                pieces = (q.lstrip("\u2581") for q in self.tok.encode(run, out_type=str))
                out.extend(p for p in pieces if len(p) >= 2 and _CJK.fullmatch(p))
            out.extend(x for x in _CJK.sub(" ", w).split() if len(x) >= 3)
        return out

    def common(self, term: str) -> bool:
        if term not in self._common:
            ids = self.tok.encode(term, out_type=int)
            pieces = self.tok.encode(term, out_type=str)
            probs = [self.prior[i] for i, p in zip(ids, pieces, strict=True) if p != "\u2581"]
            self._common[term] = min(probs, default=1.0) >= self.floor
        return self._common[term]


def background(ctx: Reporting, terms: Terms) -> tuple[Counter, int]:
    """Document frequencies of terms in a sample of the store's texts (``BACKGROUND`` of
    them, chosen by a hash of their ids)."""
    con = ctx.store.connect()
    rows = con.execute(
        # A sample by hash, not DuckDB's reservoir: the same rows on any number of threads.
        f"""SELECT {_clean_sql("text")} FROM activities WHERE text IS NOT NULL
            ORDER BY hash(platform || '/' || activity_id), platform, activity_id
            LIMIT {BACKGROUND}"""
    ).fetchall()
    con.close()
    df: Counter = Counter()
    for (t,) in rows:
        df.update(set(terms(t or "")))
    return df, len(rows)


def knn_graph(x: np.ndarray, k: int, floor: float, block: int = 1024):
    """Edges (i, j, cosine) from each row to its k nearest rows at ``floor`` or more."""
    n = len(x)
    src, dst, w = [], [], []
    k = min(k, n - 1)
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    for s in range(0, n, block):
        # Rounded: the last bits of a float product differ between BLAS builds, and a
        # tie broken by them would make another machine's report differ.
        sim = np.round(x[s : s + block] @ x.T, 3)
        rows = np.arange(s, min(s + block, n))
        sim[rows - s, rows] = -1
        idx = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        val = np.take_along_axis(sim, idx, axis=1)
        keep = val >= floor
        src.append(np.repeat(rows, k)[keep.ravel()])
        dst.append(idx[keep])
        w.append(val[keep])
    return np.concatenate(src), np.concatenate(dst), np.concatenate(w)


def _components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    import igraph as ig

    g = ig.Graph(n=n, edges=list(zip(src.tolist(), dst.tolist(), strict=True)))
    return np.asarray(g.connected_components().membership, dtype=np.int64)


def communities(x: np.ndarray) -> np.ndarray:
    """Topics of the texts: near copies (cosine ``COPY_SIMILARITY``) joined first, then
    Leiden communities of the copies' k-nearest-neighbour graph (a copy alone is one)."""
    import igraph as ig
    import leidenalg

    src, dst, _ = knn_graph(x, NEIGHBOURS, COPY_SIMILARITY)
    copy = _components(len(x), src, dst)
    n = int(copy.max()) + 1
    cent = np.zeros((n, x.shape[1]), dtype=np.float32)
    np.add.at(cent, copy, x)
    cent /= np.maximum(np.linalg.norm(cent, axis=1, keepdims=True), 1e-12)
    src, dst, w = knn_graph(cent, NEIGHBOURS, MIN_SIMILARITY)
    a, b = np.minimum(src, dst), np.maximum(src, dst)
    key = np.unique(a * n + b, return_index=True)[1]
    g = ig.Graph(n=n, edges=list(zip(a[key].tolist(), b[key].tolist(), strict=True)))
    part = leidenalg.find_partition(
        g,
        leidenalg.RBConfigurationVertexPartition,
        weights=((w[key] - MIN_SIMILARITY) / (1 - MIN_SIMILARITY)).astype(float).tolist(),
        resolution_parameter=RESOLUTION,
        seed=SEED,
    )
    return np.asarray(part.membership, dtype=np.int64)[copy]


def narratives(ctx: Reporting) -> dict[str, dict[str, Any]]:
    """Per reported group, its narratives: ``{"method", "why", "topics", "posts",
    "chatter", "scattered"}``, topics when the encoder and the store are at hand, else its
    copied-content families."""
    from unmask.signals import semantic

    clusters = [op["cluster_id"] for op in ctx.operations]
    why = None
    if ctx.store is None:
        why = "the report was written without the run's store (the posts' texts)"
    elif not semantic.encoder_available():
        why = "the multilingual encoder is not installed (pip install 'unmask[semantic]')"
    if why is not None:
        return {
            op["cluster_id"]: {"method": FAMILIES, "why": why, "topics": op.get("narratives") or []}
            for op in ctx.operations
        }
    table = posts(ctx, clusters)
    encoder = semantic.get_encoder("static")
    words = Terms(encoder)
    df, n_bg = background(ctx, words)
    by_cluster: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(table["cluster_id"].to_pylist()):
        by_cluster[c].append(i)
    rows = table.to_pylist()
    return {
        c: _topics([rows[i] for i in by_cluster.get(c, [])], encoder, words, df, n_bg)
        for c in clusters
    }


CHATTER = -2
SCATTERED = -1


def assign(x: np.ndarray, pieces: np.ndarray, posts: np.ndarray, accounts: list) -> np.ndarray:
    """Each text's topic (0, 1, ...), or CHATTER, or SCATTERED; texts in ``posts`` order."""
    label = np.full(len(x), SCATTERED, dtype=np.int64)
    label[pieces < MIN_CONTENT_PIECES] = CHATTER
    idx = np.flatnonzero(label != CHATTER)
    head, tail = idx[:MAX_TEXTS], idx[MAX_TEXTS:]
    groups: dict[int, list[int]] = defaultdict(list)
    if len(head):
        for i, g in zip(head.tolist(), communities(x[head]).tolist(), strict=True):
            groups[g].append(i)
    keep = [
        m
        for m in groups.values()
        if posts[m].sum() >= MIN_TOPIC_POSTS and len({a for i in m for a in accounts[i]}) >= 2
    ]
    for t, m in enumerate(keep):
        label[m] = t
    if keep and len(tail):
        cent = np.stack([x[m].mean(axis=0) for m in keep])
        cent /= np.linalg.norm(cent, axis=1, keepdims=True)
        sim = np.round(x[tail] @ cent.T, 3)
        best = sim.argmax(axis=1)
        near = sim[np.arange(len(tail)), best] >= MIN_SIMILARITY
        label[tail[near]] = best[near]
    return label


def _topics(rows: list[dict], encoder, words, df: Counter, n_bg: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "method": SEMANTIC,
        "why": None,
        "topics": [],
        "posts": sum(r["posts"] for r in rows),
        "chatter": 0,
        "scattered": 0,
    }
    if not rows:
        out["why"] = "its accounts posted no text in this data"
        return out
    x, pieces = encoder.encode([r["clean"] for r in rows])
    posts_ = np.array([r["posts"] for r in rows], dtype=np.int64)
    label = assign(x, pieces, posts_, [r["accounts"] for r in rows])
    out["chatter"] = int(posts_[label == CHATTER].sum())
    out["scattered"] = int(posts_[label == SCATTERED].sum())
    topics = [
        _describe(np.flatnonzero(label == t).tolist(), rows, words, df, n_bg)
        for t in range(int(label.max()) + 1)
    ]
    topics.sort(key=lambda t: (-t["posts"], -t["accounts"], t["terms"]))
    for n, t in enumerate(topics, 1):
        t["topic_id"] = f"T{n}"
    out["topics"] = topics
    if not topics:
        out["why"] = (
            f"no topic of {MIN_TOPIC_POSTS} posts or more by two accounts or more was found "
            f"among its {out['posts']:,} posts with text"
        )
    return out


def _describe(m: list[int], rows: list[dict], words: Terms, df: Counter, n_bg: int):
    # Terms weigh by posts (what the group said most names it), against the store's texts;
    # a term in more than STOP_SHARE of those is a stop word and names nothing.
    tf: Counter = Counter()
    for i in m:
        for t in set(words(rows[i]["clean"])):
            tf[t] += rows[i]["posts"]
    total = sum(rows[i]["posts"] for i in m)
    score = {
        t: round(float((n / total) * np.log(1 + n_bg / (df.get(t, 0) + 1))), 9)
        for t, n in tf.items()
        if n >= min(2, total) and df.get(t, 0) <= STOP_SHARE * n_bg and not words.common(t)
    }
    top = sorted(score, key=lambda t: (-score[t], t))[:TERMS]
    langs: Counter = Counter()
    for i in m:
        langs[rows[i]["language"]] += rows[i]["posts"]
    examples = []
    for lang, _ in langs.most_common(EXAMPLE_LANGUAGES):
        # rows are in order of posts: its most posted text in that language
        i = next(i for i in m if rows[i]["language"] == lang)
        r = rows[i]
        examples.append(
            {"text": r["text"], "language": lang, "posts": r["posts"], "example": r["activity"]}
        )
    return {
        "terms": top,
        "posts": total,
        "texts": len(m),
        "accounts": len({a for i in m for a in rows[i]["accounts"]}),
        "languages": dict(langs.most_common()),
        "first": min(rows[i]["first"] for i in m).isoformat(),
        "last": max(rows[i]["last"] for i in m).isoformat(),
        "examples": examples,
    }
