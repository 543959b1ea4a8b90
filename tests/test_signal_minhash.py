"""The compiled MinHash kernel (one permutation hashing with optimal densification): the
same shingles as the SQL definition, a signature equal to a plain Python rendering of the
published algorithm, and agreement rates that estimate the Jaccard similarity."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unmask.signals.content import CopiedContent
from unmask.signals.minhash import (
    BASE,
    EMPTY,
    P,
    _splitmix,
    candidates,
    jaccard_schema,
    near_duplicates,
    packed_words,
    shingle_sets,
    signature_schema,
    signatures,
    stop_table,
)

K, BANDS, ROWS, A, B, SEED = 4, 12, 3, 1_234_567 | 1, 98_765_432_123, 0


def run(texts: list[str], stop: list[int] = (), **kw) -> pa.RecordBatch:
    batch = pa.RecordBatch.from_pydict(
        {"d": pa.array(range(1, len(texts) + 1), pa.int64()), "norm": pa.array(texts)}
    )
    params = dict(k=K, max_chars=1000, rows=ROWS, bands=BANDS, a=A, b=B, seed=SEED)
    params.update(kw)
    return signatures(batch, stop=stop_table(np.array(list(stop), dtype=np.int64)), **params)


def shingles(text: str, k: int = K, max_chars: int = 1000) -> list[int]:
    """The SQL definition (CopiedContent._shingles_sql), in Python."""
    c = [ord(ch) for ch in text[:max_chars]]
    return [
        sum(c[i + j] * pow(BASE, k - 1 - j, P) for j in range(k)) % P for i in range(len(c) - k + 1)
    ]


def reference(text: str, stop: set[int] = frozenset()) -> tuple[int, list[int], list[int]]:
    """One permutation hashing (Li, Owen & Zhang 2012) with optimal densification
    (Shrivastava 2017), written from the papers without any of the kernel's shortcuts."""
    n_bins = BANDS * ROWS
    xs = [x for x in shingles(text) if x not in stop]
    bins: list[int | None] = [None] * n_bins
    for x in xs:
        h = ((A * x + B) % (1 << 47)) // (1 << 16)
        i = h * n_bins // (1 << 31)
        bins[i] = h if bins[i] is None else min(bins[i], h)
    if not xs:
        return 0, [], []
    dense = list(bins)
    for i in range(n_bins):
        attempt = 1
        while dense[i] is None:
            j = _splitmix(SEED * 1000003 + i * 65537 + attempt) % n_bins
            dense[i] = bins[j]
            attempt += 1
    keys = []
    for band in range(BANDS):
        key = band
        for j in range(ROWS):
            # The kernel adds in int64, which wraps past 2^63.
            v = key + dense[band * ROWS + j]
            key = _splitmix(v - (1 << 64) if v >= 1 << 63 else v)
        keys.append(key)
    words = [
        sum((dense[i] & 255) << (8 * j) for j, i in enumerate(word))
        for word in packed_words(n_bins)
    ]
    return len(xs), keys, words


def columns(out: pa.RecordBatch, row: int) -> tuple[int, list[int], list[int]]:
    d = out.to_pylist()[row]
    return (
        d["n_shingles"],
        [d[f"b{i}"] for i in range(BANDS)],
        [d[f"p{i}"] for i in range(len(packed_words(BANDS * ROWS)))],
    )


TEXTS = [
    "the new dam on the river will flood three villages next spring",
    "中国高铁已连接三百座城市，这是西方无法比拟的奇迹。大家转发！",
    "中国の高速鉄道は三百都市を結び、西側には真似できない奇跡だ。",
    "ünïcödé àccénts ñ and a short one",
    "abc",  # fewer characters than k: no shingle
    "",
]


def test_equals_the_published_algorithm_on_mixed_scripts() -> None:
    out = run(TEXTS)
    assert out.schema == signature_schema(BANDS, ROWS)
    for row, text in enumerate(TEXTS):
        n, keys, words = reference(text)
        got = columns(out, row)
        assert got[0] == n == max(0, len(text) - K + 1)
        if n:
            assert got[1:] == (keys, words), text


def test_stop_shingles_are_left_out() -> None:
    text = TEXTS[0]
    stop = set(shingles("the river "))
    out = run([text], stop=stop)
    assert columns(out, 0) == reference(text, stop)
    assert columns(out, 0)[0] == len([x for x in shingles(text) if x not in stop])


def test_max_chars_cuts_by_characters_not_bytes() -> None:
    text = "中国高铁" * 50
    assert columns(run([text], max_chars=30), 0)[0] == 30 - K + 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=60
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_text_matches_the_reference(texts: list[str]) -> None:
    out = run(texts)
    for row, text in enumerate(texts):
        n, keys, words = reference(text)
        got = columns(out, row)
        assert got[0] == n
        if n:
            assert got[1:] == (keys, words)


def test_agreement_estimates_jaccard() -> None:
    """Two texts agree on each value with probability equal to their Jaccard similarity:
    averaged over many pairs, the share of agreeing low bytes is J + (1 - J) / 256."""
    rng = random.Random(7)
    words = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
        for _ in range(3000)
    ]
    pairs = []
    for _ in range(400):
        base = [rng.choice(words) for _ in range(25)]
        edited = list(base)
        for _ in range(rng.randint(0, 12)):
            edited[rng.randrange(len(edited))] = rng.choice(words)
        pairs.append((" ".join(base), " ".join(edited)))
    out = run([t for pair in pairs for t in pair])
    n_bins = BANDS * ROWS
    est, true = [], []
    for i, (s, t) in enumerate(pairs):
        a, b = set(shingles(s)), set(shingles(t))
        true.append(len(a & b) / len(a | b))
        wa, wb = columns(out, 2 * i)[2], columns(out, 2 * i + 1)[2]
        agree = sum(
            ((x ^ y) >> (8 * j)) & 255 == 0
            for x, y, word in zip(wa, wb, packed_words(n_bins), strict=True)
            for j in range(len(word))
        )
        est.append(agree / n_bins)
    true_mean = float(np.mean(true))
    expected = true_mean + (1 - true_mean) / 256
    # 400 pairs x 36 values: the standard error of the mean is below 0.01.
    assert abs(float(np.mean(est)) - expected) < 0.02, (np.mean(est), expected)
    assert np.corrcoef(est, true)[0, 1] > 0.9


def test_identical_texts_share_every_bucket_and_different_ones_almost_none() -> None:
    out = run([TEXTS[0], TEXTS[0], "a completely different sentence about something else"])
    assert columns(out, 0) == columns(out, 1)
    assert not set(columns(out, 0)[1]) & set(columns(out, 2)[1])


def test_bucket_keys_are_distinct_across_bands() -> None:
    # A text whose bins are all equal would give equal keys in every band without the band
    # number in the hash.
    keys = columns(run([TEXTS[0]]), 0)[1]
    assert len(set(keys)) == BANDS


def test_the_signal_uses_the_kernel_defaults() -> None:
    a, b = CopiedContent()._hash_coefficients()
    assert a % 2 == 1 and 0 <= b < 1 << 47
    assert EMPTY > P


@pytest.mark.parametrize("k", [1, 2, 5])
def test_other_shingle_lengths(k: int) -> None:
    text = TEXTS[1]
    assert columns(run([text], k=k), 0)[0] == len(text) - k + 1


# -- exact Jaccard of candidate pairs ----------------------------------------------------


def verify(pairs: list[tuple[str, str]], threshold: float, max_chars: int = 1000) -> dict:
    batch = pa.RecordBatch.from_pydict(
        {
            "d1": pa.array(range(len(pairs)), pa.int64()),
            "d2": pa.array(range(100, 100 + len(pairs)), pa.int64()),
            "norm1": pa.array([a for a, _ in pairs]),
            "norm2": pa.array([b for _, b in pairs]),
        }
    )
    out = near_duplicates(batch, k=K, max_chars=max_chars, threshold=threshold)
    assert out.schema == jaccard_schema()
    return {r["d1"]: r["jaccard"] for r in out.to_pylist()}


def jaccard(a: str, b: str, max_chars: int = 1000) -> float:
    sa, sb = set(shingles(a, max_chars=max_chars)), set(shingles(b, max_chars=max_chars))
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abcde 中国の", max_size=40),
            st.text(alphabet="abcde 中国の", max_size=40),
        ),
        min_size=1,
        max_size=10,
    ),
    st.sampled_from([0.01, 0.3, 0.6, 1.0]),
)
def test_exact_jaccard_equals_the_set_definition(pairs, threshold) -> None:
    got = verify(pairs, threshold)
    for i, (a, b) in enumerate(pairs):
        j = jaccard(a, b)
        sa, sb = set(shingles(a)), set(shingles(b))
        inter = len(sa & sb)
        # Kept exactly when the intersection is at least the threshold times the union.
        assert (i in got) == (inter > 0 and inter >= threshold * len(sa | sb)), (a, b)
        if i in got:
            assert got[i] == pytest.approx(j)


def test_exact_jaccard_on_copies_with_edits() -> None:
    edited = TEXTS[0].replace("river", "rvier").replace("three", "three small")
    got = verify([(TEXTS[0], edited), (TEXTS[0], TEXTS[3]), (TEXTS[1], TEXTS[1])], 0.5)
    assert got[0] == pytest.approx(jaccard(TEXTS[0], edited)) and got[0] > 0.6
    assert 1 not in got
    assert got[2] == 1.0


def test_exact_jaccard_cuts_at_max_chars() -> None:
    a, b = "x" * 5 + "common tail of words", "y" * 5 + "common tail of words"
    assert verify([(a, b)], 0.01, max_chars=5) == {}
    assert verify([(a, b)], 0.01)[0] == pytest.approx(jaccard(a, b))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet="ab c中国", max_size=30), min_size=1, max_size=6))
def test_shingle_sets_are_each_texts_distinct_shingles(texts) -> None:
    batch = pa.RecordBatch.from_pydict({"norm": pa.array(texts)})
    got = shingle_sets(batch, k=K, max_chars=1000).column(0).to_pylist()
    expected = [x for t in texts for x in sorted(set(shingles(t)))]
    assert got == expected


def test_kernels_use_the_engines_threads(monkeypatch) -> None:
    import numba

    from unmask.compiled import use_threads

    monkeypatch.setenv("UNMASK_THREADS", "1")
    use_threads()
    assert numba.get_num_threads() == 1
    monkeypatch.setenv("UNMASK_THREADS", "999")
    use_threads()
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    monkeypatch.delenv("UNMASK_THREADS")
    use_threads()
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS


# -- candidate pairs from the band buckets -------------------------------------------------


def candidates_reference(rows, n_values, neighbours, min_agreements) -> set[tuple[int, int]]:
    """The definition: in each bucket, in document order, each document with the next
    ``neighbours``; kept when the packed signatures agree on ``min_agreements`` bytes."""
    word_bytes = [len(w) for w in packed_words(n_values)]
    buckets: dict[int, list[tuple[int, list[int]]]] = {}
    for bkey, d, words in rows:
        buckets.setdefault(bkey, []).append((d, words))
    out = set()
    for members in buckets.values():
        members.sort()
        for i, (d1, w1) in enumerate(members):
            for d2, w2 in members[i + 1 : i + 1 + neighbours]:
                agree = sum(
                    ((w1[w] ^ w2[w]) >> (8 * b)) & 255 == 0
                    for w in range(len(word_bytes))
                    for b in range(word_bytes[w])
                )
                if agree >= min_agreements:
                    out.add((d1, d2))
    return out


def candidate_table(rows, n_values) -> pa.Table:
    n_words = len(packed_words(n_values))
    cols = {"bkey": [r[0] for r in rows], "d": [r[1] for r in rows]}
    cols |= {f"p{w}": [r[2][w] for r in rows] for w in range(n_words)}
    return pa.table({k: pa.array(v, pa.int64()) for k, v in cols.items()})


@st.composite
def bucketed(draw):
    n_values = draw(st.integers(1, 15))
    n_words = len(packed_words(n_values))
    n = draw(st.integers(0, 60))
    docs = draw(st.lists(st.integers(1, 10**12), min_size=n, max_size=n, unique=True))
    # Few bucket keys and few byte values, so that buckets are shared and bytes agree often;
    # keys at both ends of the 64-bit range as well as small ones.
    keys = st.sampled_from([0, 1, -1, 7, 2**62 + 3, -(2**63), 2**63 - 1])
    word = st.integers(0, 2**56 - 1).map(lambda x: x & 0x01_0101_0101_0101)
    rows = [(draw(keys), d, [draw(word) for _ in range(n_words)]) for d in docs]
    return rows, n_values, draw(st.integers(1, 6)), draw(st.integers(0, n_values))


@given(bucketed())
@settings(max_examples=200, deadline=None)
def test_candidates_equal_the_definition(case) -> None:
    rows, n_values, neighbours, min_agreements = case
    got = candidates(
        candidate_table(rows, n_values),
        n_values=n_values,
        neighbours=neighbours,
        min_agreements=min_agreements,
    )
    pairs = list(zip(got["d1"].to_pylist(), got["d2"].to_pylist(), strict=True))
    assert len(pairs) == len(set(pairs))  # one band: each pair once
    assert set(pairs) == candidates_reference(rows, n_values, neighbours, min_agreements)


@given(bucketed(), st.randoms(use_true_random=False))
@settings(max_examples=100, deadline=None)
def test_candidates_do_not_depend_on_row_order_or_on_other_groups(case, rnd) -> None:
    """Map_groups may hand a worker several groups (bands) at once, in any order."""
    rows, n_values, neighbours, min_agreements = case
    other = [(k ^ (1 << 40), d + 10**13, w) for k, d, w in rows]  # keys of another band
    both = rows + other
    rnd.shuffle(both)
    kw = dict(n_values=n_values, neighbours=neighbours, min_agreements=min_agreements)

    def pairs(r):
        t = candidates(candidate_table(r, n_values), **kw)
        return set(zip(t["d1"].to_pylist(), t["d2"].to_pylist(), strict=True))

    assert pairs(both) == pairs(rows) | pairs(other)


def test_candidates_in_large_buckets_stay_linear() -> None:
    """One bucket of 100,000 copies, in reverse document order, gives each document its
    next neighbours only (and is not sorted by insertion: that would take minutes)."""
    n = 100_000
    rows = candidate_table([(42, d, [0]) for d in reversed(range(n))], 7)
    got = candidates(rows, n_values=7, neighbours=5, min_agreements=7)
    assert got.num_rows == sum(min(5, n - 1 - i) for i in range(n))
