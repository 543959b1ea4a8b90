"""MinHash signatures of texts by one permutation hashing, compiled (numba), batch by batch.

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
repeats included in the count. The work is a function of one Arrow record batch at a time
(:func:`signatures`), so an engine can run it where the data is (``Engine.map_batches``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit, prange

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
    :func:`_kernel`: a probe or two per shingle instead of a search of a sorted list."""
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
    max_chars = cps.shape[0]
    n_bins = row.shape[0]
    # UTF-8 -> code points, the first max_chars characters.
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
    for i in range(n_bins):
        row[i] = EMPTY
    m = 0
    for i in range(n - k + 1):
        x = np.int64(0)
        for j in range(k):
            x += cps[i + j] * coef[j]
        # x mod (2^31 - 1) without a division: x < 2^54, so one fold and one subtraction.
        x = (x & P) + (x >> 31)
        if x >= P:
            x -= P
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
    texts = batch.column(batch.schema.get_field_index("norm"))
    texts = texts.cast(pa.large_string()) if texts.type != pa.large_string() else texts
    if texts.null_count:
        texts = pa.compute.fill_null(texts, "")
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)[
        texts.offset : texts.offset + len(texts) + 1
    ]
    buf = texts.buffers()[2]
    data = np.frombuffer(buf, dtype=np.uint8) if buf is not None else np.zeros(1, np.uint8)
    coef = np.array([pow(BASE, k - 1 - j, P) for j in range(k)], dtype=np.int64)
    counts, keys, words = _kernel(data, offsets, k, max_chars, rows, bands, a, b, seed, stop, coef)
    columns = [batch.column(batch.schema.get_field_index("d")), pa.array(counts)]
    columns += [pa.array(x) for x in keys] + [pa.array(x) for x in words]
    return pa.RecordBatch.from_arrays(columns, schema=signature_schema(bands, rows))
