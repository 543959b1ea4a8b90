"""py3langid's classifier (Lui & Baldwin 2012, "langid.py: an off-the-shelf language
identification tool", ACL) over a batch of texts, with its byte walk compiled (numba).

py3langid walks each text's UTF-8 bytes through a finite automaton whose states emit byte
n-gram features, counts them, and scores the languages by naive Bayes:
``log1p(counts) @ P(feature | language) + P(language)``, then a softmax tempered by the
square root of the text's length. Its walk is a Python loop over bytes, about 40 µs for a
tweet; here the walk and the scores run compiled over a whole batch, with py3langid's own
model arrays, and the rest (tempering, softmax, script aliases) is py3langid's arithmetic
on the batch. The result is py3langid's up to float rounding (float32 sums in another
order): ``tests/test_language.py`` measures the agreement on real exports.
"""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache

import numpy as np
from numba import njit, prange

from unmask.compiled import use_threads


@lru_cache(maxsize=1)
def _model():
    import py3langid.langid as langid

    ident = langid.LanguageIdentifier.from_modelpath(
        langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True
    )
    return (
        np.asarray(ident.tk_nextmove),
        np.asarray(ident._rowbase, dtype=np.int64),
        np.asarray(ident.tk_output, dtype=np.int64),
        np.ascontiguousarray(ident.nb_ptc, dtype=np.float32),
        np.asarray(ident.nb_pc, dtype=np.float32),
        list(ident.nb_classes),
        list(ident._alias_pairs),
    )


@njit(cache=True, parallel=True)
def _raw_scores(data, offsets, nextmove, rowbase, output, ptc, pc):
    """Naive Bayes scores of each text; ``has`` is False for a text with no feature."""
    n_texts = offsets.shape[0] - 1
    n_features, n_classes = ptc.shape
    scores = np.zeros((n_texts, n_classes), dtype=np.float32)
    has = np.zeros(n_texts, dtype=np.bool_)
    chunk = 256
    for c in prange((n_texts + chunk - 1) // chunk):
        counts = np.zeros(n_features, dtype=np.int64)
        touched = np.empty(
            max(1, offsets[min(n_texts, (c + 1) * chunk)] - offsets[c * chunk]), np.int64
        )
        for t in range(c * chunk, min(n_texts, (c + 1) * chunk)):
            n_touched = 0
            state = 0
            for pos in range(offsets[t], offsets[t + 1]):
                state = nextmove[rowbase[state] + data[pos]]
                f = output[state]
                if f >= 0:
                    if counts[f] == 0:
                        touched[n_touched] = f
                        n_touched += 1
                    counts[f] += 1
            if n_touched == 0:
                continue
            has[t] = True
            row = scores[t]
            for k in range(n_classes):
                row[k] = pc[k]
            for j in range(n_touched):
                f = touched[j]
                w = np.float32(math.log1p(counts[f]))
                counts[f] = 0
                for k in range(n_classes):
                    row[k] += w * ptc[f, k]
    return scores, has


def _encode(text: str) -> bytes:
    # py3langid's own normalisation of a str before the walk.
    if text.isupper():
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")


def classify_batch(texts: list[str]) -> list[tuple[str, float]]:
    """``(language, confidence)`` of each text, as py3langid's ``classify`` with
    ``norm_probs=True`` gives them."""
    if not texts:
        return []
    nextmove, rowbase, output, ptc, pc, classes, aliases = _model()
    encoded = [_encode(t) for t in texts]
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = np.frombuffer(b"".join(encoded) or b"\0", dtype=np.uint8)
    use_threads()
    scores, has = _raw_scores(data, offsets, nextmove, rowbase, output, ptc, pc)
    # Tempered by sqrt(bytes), softmax; a text with no feature is uniform (py3langid's
    # zeros), which no threshold above 1/n accepts.
    scores[~has] = 0.0
    scores *= (1.0 / np.sqrt(np.maximum(lengths, 1))).astype(np.float32)[:, None]
    np.exp(scores - scores.max(axis=1, keepdims=True), out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    for i, j in aliases:
        scores[:, i] += scores[:, j]
        scores[:, j] = 0.0
    best = scores.argmax(axis=1)
    conf = scores[np.arange(len(texts)), best]
    return [(classes[b], float(p)) for b, p in zip(best.tolist(), conf.tolist(), strict=True)]
