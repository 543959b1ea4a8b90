"""The copied-content signal's compiled kernels (numba), batch by batch: MinHash signatures
by one permutation hashing, and the exact Jaccard similarity of candidate pairs.

The copied-content signal needs, for every distinct text, ``K`` values such that two texts
agree on each with probability equal to the Jaccard similarity of their sets of character
``k``-gram shingles. Classic MinHash computes ``K`` hash functions over every shingle
(``K`` times the work); **one permutation hashing** (Li, Owen & Zhang 2012, "One
Permutation Hashing", NeurIPS) hashes each shingle once, puts it in one of ``K`` bins by
its hash and keeps the minimum of each bin. A bin left empty (a short text) borrows the
value of another bin chosen by a hash of its number and the attempt, the same for every
text, until it finds a full one: **optimal densification** (Shrivastava 2017, "Optimal
Densification for Fast and Accurate Minwise Hashing", ICML), which keeps the probability
of agreement equal to the Jaccard similarity.

Shingles are the integers of ``content._shingles_sql`` (the same on every engine):
``sum_j codepoint(c[i + j]) * BASE^(k-1-j) mod P`` over the first ``max_chars`` characters,
repeats included in the count. The exact similarity of a candidate pair
(:func:`near_duplicates`) is that of the two texts' distinct shingle sets, counted with one
small hash table per pair. Each kernel is a function of one Arrow record batch at a time,
so an engine can run it where the data is (``Engine.map_batches``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit, prange

from unmask.compiled import use_threads

P = 2147483647  # the Mersenne prime 2^31 - 1
BASE = 1000003
EMPTY = np.int64(1) << np.int64(62)  # larger than any value (values are < 2^31)


def signature_schema(bands: int, rows: int) -> pa.Schema:
    """``d``, ``n_shingles``, the bucket key of each band ``b0 ..`` (unique across bands)
    and the packed signature ``p0 ..``."""
    return pa.schema(
        [pa.field("d", pa.int64()), pa.field("n_shingles", pa.int64())]
        + [pa.field(f"b{i}", pa.int64()) for i in range(bands)]
        + [pa.field(f"p{i}", pa.int64()) for i in range(len(packed_words(bands * rows)))]
    )


def packed_words(n: int) -> list[list[int]]:
    """Which signature values go into which packed word: seven to a BIGINT."""
    return [list(range(i, min(i + 7, n))) for i in range(0, n, 7)]


def stop_table(stop: np.ndarray) -> np.ndarray:
    """An open-addressing set of the stop shingles (``-1`` is a free slot), for
    :func:`signatures`: a probe or two per shingle instead of a search of a sorted list."""
    size = 1 << max(4, int(2 * len(stop)).bit_length())
    table = np.full(size, -1, dtype=np.int64)
    _fill(table, np.asarray(stop, dtype=np.int64))
    return table


@njit(cache=True)
def _slot(x: int, mask: int) -> int:
    return ((x * 0x9E3779B1) >> 7) & mask


@njit(cache=True)
def _fill(table: np.ndarray, keys: np.ndarray) -> None:
    mask = table.shape[0] - 1
    for x in keys:
        s = _slot(x, mask)
        while table[s] != -1 and table[s] != x:
            s = (s + 1) & mask
        table[s] = x


@njit(cache=True)
def _is_stop(table: np.ndarray, x: int) -> bool:
    mask = table.shape[0] - 1
    s = _slot(x, mask)
    while table[s] != -1:
        if table[s] == x:
            return True
        s = (s + 1) & mask
    return False


@njit(cache=True)
def _splitmix(z: int) -> int:
    """splitmix64 (Steele, Lea & Flood 2014) in unsigned arithmetic; the top 63 bits, so
    that the result is a non-negative int64."""
    u = np.uint64(z) + np.uint64(0x9E3779B97F4A7C15)
    u = (u ^ (u >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    u = (u ^ (u >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    u = u ^ (u >> np.uint64(31))
    return np.int64(u >> np.uint64(1))


@njit(cache=True)
def _codepoints(data: np.ndarray, start: int, end: int, cps: np.ndarray) -> int:
    """Decode the UTF-8 bytes ``data[start:end]`` into ``cps``, at most its length in
    characters; returns how many."""
    max_chars = cps.shape[0]
    n = 0
    pos = start
    while pos < end and n < max_chars:
        c = np.int64(data[pos])
        if c < 0x80:
            pos += 1
        elif c < 0xE0:
            c = ((c & 0x1F) << 6) | (np.int64(data[pos + 1]) & 0x3F)
            pos += 2
        elif c < 0xF0:
            c = (
                ((c & 0x0F) << 12)
                | ((np.int64(data[pos + 1]) & 0x3F) << 6)
                | (np.int64(data[pos + 2]) & 0x3F)
            )
            pos += 3
        else:
            c = (
                ((c & 0x07) << 18)
                | ((np.int64(data[pos + 1]) & 0x3F) << 12)
                | ((np.int64(data[pos + 2]) & 0x3F) << 6)
                | (np.int64(data[pos + 3]) & 0x3F)
            )
            pos += 4
        cps[n] = c
        n += 1
    return n


@njit(cache=True)
def _shingle(cps: np.ndarray, i: int, coef: np.ndarray) -> int:
    """The shingle starting at character ``i``: its code points in a polynomial mod P."""
    x = np.int64(0)
    for j in range(coef.shape[0]):
        x += cps[i + j] * coef[j]
    # x mod (2^31 - 1) without a division: x < 2^54, so one fold and one subtraction.
    x = (x & P) + (x >> 31)
    if x >= P:
        x -= P
    return x


@njit(cache=True)
def _signature(
    data: np.ndarray,
    start: int,
    end: int,
    cps: np.ndarray,
    row: np.ndarray,
    full: np.ndarray,
    k: int,
    a: int,
    b: int,
    seed: int,
    stop: np.ndarray,
    coef: np.ndarray,
) -> int:
    """The densified OPH signature of one UTF-8 text into ``row``; returns its number of
    shingles (stop shingles left out, repeats counted)."""
    n_bins = row.shape[0]
    n = _codepoints(data, start, end, cps)
    for i in range(n_bins):
        row[i] = EMPTY
    m = 0
    for i in range(n - k + 1):
        x = _shingle(cps, i, coef)
        if _is_stop(stop, x):
            continue
        m += 1
        h = (((a * x + b) & 0x7FFFFFFFFFFF) >> 16) & P
        # The bin from the high bits (Lemire's multiply-shift range reduction); h itself is
        # the value: within a bin its low bits are as random as ever.
        bin_ = (h * n_bins) >> 31
        if h < row[bin_]:
            row[bin_] = h
    if m == 0:
        return 0
    # Optimal densification: an empty bin takes the value of the first full bin in its own
    # pseudo-random sequence of bins (the same sequence for every text).
    for i in range(n_bins):
        full[i] = row[i]
    for i in range(n_bins):
        if full[i] != EMPTY:
            continue
        attempt = 1
        while True:
            j = _splitmix(seed * 1000003 + i * 65537 + attempt) % n_bins
            if full[j] != EMPTY:
                row[i] = full[j]
                break
            attempt += 1
    return m


@njit(cache=True, parallel=True)
def _kernel(
    data: np.ndarray,
    offsets: np.ndarray,
    k: int,
    max_chars: int,
    rows: int,
    bands: int,
    a: int,
    b: int,
    seed: int,
    stop: np.ndarray,
    coef: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_docs = offsets.shape[0] - 1
    n_bins = bands * rows
    n_words = (n_bins + 6) // 7
    counts = np.zeros(n_docs, dtype=np.int64)
    keys = np.zeros((bands, n_docs), dtype=np.int64)
    words = np.zeros((n_words, n_docs), dtype=np.int64)
    chunk = 1024
    # Chunks of texts, so that each thread allocates its buffers once per chunk.
    for c in prange((n_docs + chunk - 1) // chunk):
        cps = np.empty(max_chars, dtype=np.int64)
        row = np.empty(n_bins, dtype=np.int64)
        full = np.empty(n_bins, dtype=np.int64)
        for d in range(c * chunk, min(n_docs, (c + 1) * chunk)):
            m = _signature(
                data, offsets[d], offsets[d + 1], cps, row, full, k, a, b, seed, stop, coef
            )
            counts[d] = m
            if m == 0:
                continue
            # One bucket key per band: the band's number and values hashed into 63 bits, so
            # that the keys of all bands are one column. Two keys collide by chance with
            # probability 2^-63; a collision would only add a candidate pair to verify.
            for band in range(bands):
                key = np.int64(band)
                for j in range(rows):
                    key = _splitmix(key + row[band * rows + j])
                keys[band, d] = key
            for i in range(n_bins):
                words[i // 7, d] += (row[i] & 255) << (8 * (i % 7))
    return counts, keys, words


def signatures(
    batch: pa.RecordBatch,
    *,
    k: int,
    max_chars: int,
    rows: int,
    bands: int,
    a: int,
    b: int,
    seed: int,
    stop: np.ndarray,
) -> pa.RecordBatch:
    """The signature of each text of ``batch`` (columns ``d``, ``norm``) as
    :func:`signature_schema` lays it out; ``n_shingles`` counts the shingles that are not
    stop shingles, repeats included."""
    data, offsets = _utf8(batch, "norm")
    coef = np.array([pow(BASE, k - 1 - j, P) for j in range(k)], dtype=np.int64)
    use_threads()
    counts, keys, words = _kernel(data, offsets, k, max_chars, rows, bands, a, b, seed, stop, coef)
    columns = [batch.column(batch.schema.get_field_index("d")), pa.array(counts)]
    columns += [pa.array(x) for x in keys] + [pa.array(x) for x in words]
    return pa.RecordBatch.from_arrays(columns, schema=signature_schema(bands, rows))


# -- candidate pairs from the band buckets ------------------------------------------------


def candidate_schema() -> pa.Schema:
    return pa.schema([pa.field("d1", pa.int64()), pa.field("d2", pa.int64())])


@njit(cache=True)
def _maybe_shared(bkey: np.ndarray) -> np.ndarray:
    """The rows whose bucket key may be another row's too: those whose hash lands on a bit
    that two rows or more set, in a bitmap small enough to stay in the processor's cache.
    A key alone in its bucket may come along (a collision of the hash); a shared key never
    stays behind."""
    n = bkey.shape[0]
    bits = 16
    while (1 << bits) < 16 * n and bits < 27:
        bits += 1
    seen = np.zeros((1 << bits) >> 6, dtype=np.uint64)
    twice = np.zeros((1 << bits) >> 6, dtype=np.uint64)
    h = np.empty(n, dtype=np.int64)
    one = np.uint64(1)
    for i in range(n):
        x = (np.uint64(bkey[i]) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - bits)
        h[i] = np.int64(x)
        w, b = x >> np.uint64(6), one << (x & np.uint64(63))
        if seen[w] & b:
            twice[w] |= b
        else:
            seen[w] |= b
    m = 0
    for i in range(n):
        x = np.uint64(h[i])
        if twice[x >> np.uint64(6)] & (one << (x & np.uint64(63))):
            h[m] = i
            m += 1
    return h[:m]


@njit(cache=True, nogil=True)
def _candidate_kernel(bkey, d, words, word_bytes, neighbours, min_agreements):
    idx = _maybe_shared(bkey)
    m = idx.shape[0]
    # The shared rows by bucket, each bucket in document order (two stable sorts), so that
    # the pairs do not depend on the order the rows came in.
    idx = idx[np.argsort(d[idx], kind="mergesort")]
    order = idx[np.argsort(bkey[idx], kind="mergesort")]
    starts = np.empty(m + 1, dtype=np.int64)
    n_runs = 0
    for i in range(m):
        if i == 0 or bkey[order[i]] != bkey[order[i - 1]]:
            starts[n_runs] = i
            n_runs += 1
    starts[n_runs] = m
    most = 0
    for r in range(n_runs):
        size = starts[r + 1] - starts[r]
        for i in range(size):
            most += min(neighbours, size - 1 - i)
    # The shared rows' documents and signatures gathered in bucket order once, so that the
    # pairs, each row with its next neighbours, read memory in order (at 10M activities,
    # reading the signatures where they lay made the step four times slower).
    n_words = words.shape[0]
    sd = np.empty(m, dtype=np.int64)
    sw = np.empty((m, n_words), dtype=np.int64)
    for i in range(m):
        sd[i] = d[order[i]]
        for w in range(n_words):
            sw[i, w] = words[w, order[i]]
    d1 = np.empty(most, dtype=np.int64)
    d2 = np.empty(most, dtype=np.int64)
    k = 0
    for r in range(n_runs):
        s, e = starts[r], starts[r + 1]
        for i in range(s, e):
            for j in range(i + 1, min(i + neighbours, e - 1) + 1):
                agree = 0
                for w in range(n_words):
                    x = sw[i, w] ^ sw[j, w]
                    for b in range(word_bytes[w]):
                        if ((x >> (8 * b)) & 255) == 0:
                            agree += 1
                if agree >= min_agreements:
                    d1[k] = sd[i]
                    d2[k] = sd[j]
                    k += 1
    return d1[:k], d2[:k]


def candidates(table: pa.Table, *, n_values: int, neighbours: int, min_agreements: int) -> pa.Table:
    """Candidate pairs (``d1`` < ``d2``) among the rows of ``table`` (columns ``bkey``,
    ``d`` and the packed signature ``p0 ..`` of :func:`signature_schema`): in each bucket
    (rows with the same ``bkey``), in document order, each document with the next
    ``neighbours`` documents, kept when their signatures agree on ``min_agreements`` of their
    ``n_values`` values or more. A pair found in several bands comes once per band.

    Nine in ten bucket keys are alone in their bucket: a bitmap of hashes picks out the
    rest, and only those are sorted."""
    # Each column made one array (a copy of its chunks); the table itself is not combined
    # first, which would copy every column twice.
    word_bytes = np.array([len(w) for w in packed_words(n_values)], dtype=np.int64)
    bkey = table.column("bkey").to_numpy()
    d = table.column("d").to_numpy()
    words = np.empty((len(word_bytes), table.num_rows), dtype=np.int64)
    for w in range(len(word_bytes)):
        words[w] = table.column(f"p{w}").to_numpy()
    # A document is once in a bucket (bucket keys differ between bands): in document
    # order, d1 < d2.
    d1, d2 = _candidate_kernel(bkey, d, words, word_bytes, int(neighbours), int(min_agreements))
    return pa.table({"d1": d1, "d2": d2}, schema=candidate_schema())


# -- exact Jaccard similarity of candidate pairs ------------------------------------------


def jaccard_schema() -> pa.Schema:
    return pa.schema(
        [pa.field("d1", pa.int64()), pa.field("d2", pa.int64()), pa.field("jaccard", pa.float64())]
    )


@njit(cache=True)
def _pair_jaccard(
    data1, start1, end1, data2, start2, end2, cps, slots, flags, used, coef
) -> tuple[int, int, int]:
    """(|A|, |B|, |A & B|) of the two texts' distinct shingle sets, through one small
    open-addressing table (flag 1: in A, 2: in B); only the slots used are reset."""
    mask = slots.shape[0] - 1
    n_used = 0
    n1 = n2 = inter = 0
    for side in range(2):
        if side == 0:
            n = _codepoints(data1, start1, end1, cps)
        else:
            n = _codepoints(data2, start2, end2, cps)
        for i in range(n - coef.shape[0] + 1):
            x = _shingle(cps, i, coef)
            s = _slot(x, mask)
            while flags[s] != 0 and slots[s] != x:
                s = (s + 1) & mask
            if flags[s] == 0:
                slots[s] = x
                used[n_used] = s
                n_used += 1
                if side == 0:
                    flags[s] = 1
                    n1 += 1
                else:
                    flags[s] = 2
                    n2 += 1
            elif side == 1 and flags[s] == 1:
                flags[s] = 3
                n2 += 1
                inter += 1
    for j in range(n_used):
        flags[used[j]] = 0
    return n1, n2, inter


@njit(cache=True, parallel=True)
def _jaccard_kernel(data1, offsets1, data2, offsets2, max_chars, coef, threshold):
    n_pairs = offsets1.shape[0] - 1
    out = np.full(n_pairs, -1.0)
    size = 1
    while size < 4 * max_chars:
        size *= 2
    chunk = 1024
    for c in prange((n_pairs + chunk - 1) // chunk):
        cps = np.empty(max_chars, dtype=np.int64)
        slots = np.empty(size, dtype=np.int64)
        flags = np.zeros(size, dtype=np.int8)
        used = np.empty(2 * max_chars, dtype=np.int64)
        for p in range(c * chunk, min(n_pairs, (c + 1) * chunk)):
            n1, n2, inter = _pair_jaccard(
                data1,
                offsets1[p],
                offsets1[p + 1],
                data2,
                offsets2[p],
                offsets2[p + 1],
                cps,
                slots,
                flags,
                used,
                coef,
            )
            union = n1 + n2 - inter
            # The same test as in SQL: intersection >= threshold * union.
            if inter > 0 and inter >= threshold * union:
                out[p] = inter / union
    return out


def _utf8(batch: pa.RecordBatch, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes and 64-bit offsets of a string column (nulls as empty texts)."""
    texts = batch.column(batch.schema.get_field_index(name))
    texts = texts.cast(pa.large_string()) if texts.type != pa.large_string() else texts
    if texts.null_count:
        texts = pa.compute.fill_null(texts, "")
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)[
        texts.offset : texts.offset + len(texts) + 1
    ]
    buf = texts.buffers()[2]
    data = np.frombuffer(buf, dtype=np.uint8) if buf is not None else np.zeros(1, np.uint8)
    return data, offsets


def near_duplicates(
    batch: pa.RecordBatch, *, k: int, max_chars: int, threshold: float
) -> pa.RecordBatch:
    """Of the candidate pairs of ``batch`` (columns ``d1``, ``d2``, ``norm1``, ``norm2``),
    those whose distinct shingle sets have a Jaccard similarity of ``threshold`` or more,
    with it (columns ``d1``, ``d2``, ``jaccard``)."""
    data1, offsets1 = _utf8(batch, "norm1")
    data2, offsets2 = _utf8(batch, "norm2")
    coef = np.array([pow(BASE, k - 1 - j, P) for j in range(k)], dtype=np.int64)
    use_threads()
    sim = _jaccard_kernel(data1, offsets1, data2, offsets2, max_chars, coef, float(threshold))
    keep = np.flatnonzero(sim >= 0)
    return pa.RecordBatch.from_arrays(
        [
            batch.column(batch.schema.get_field_index("d1")).take(keep),
            batch.column(batch.schema.get_field_index("d2")).take(keep),
            pa.array(sim[keep]),
        ],
        schema=jaccard_schema(),
    )


# -- distinct shingles (for counting stop shingles) ----------------------------------------


def shingle_set_schema() -> pa.Schema:
    return pa.schema([pa.field("x", pa.int64())])


@njit(cache=True)
def _shingle_sets(data, offsets, max_chars, coef):
    n_docs = offsets.shape[0] - 1
    # Characters are at most bytes: an upper bound of the shingles.
    out = np.empty(max(1, offsets[n_docs] - offsets[0]), dtype=np.int64)
    cps = np.empty(max_chars, dtype=np.int64)
    xs = np.empty(max_chars, dtype=np.int64)
    m = 0
    for d in range(n_docs):
        n = _codepoints(data, offsets[d], offsets[d + 1], cps)
        k = 0
        for i in range(n - coef.shape[0] + 1):
            xs[k] = _shingle(cps, i, coef)
            k += 1
        own = np.sort(xs[:k])
        for i in range(k):
            if i == 0 or own[i] != own[i - 1]:
                out[m] = own[i]
                m += 1
    return out[:m]


def shingle_sets(batch: pa.RecordBatch, *, k: int, max_chars: int) -> pa.RecordBatch:
    """The distinct shingles of each text of ``batch`` (column ``norm``), one row each
    (column ``x``): a shingle's rows count the texts that have it."""
    data, offsets = _utf8(batch, "norm")
    coef = np.array([pow(BASE, k - 1 - j, P) for j in range(k)], dtype=np.int64)
    xs = _shingle_sets(data, offsets, max_chars, coef)
    return pa.RecordBatch.from_arrays([pa.array(xs)], schema=shingle_set_schema())
