"""Language detection at ingest: the compiled batch scorer gives py3langid's answers on real
tweets in many languages (the 30 IRA accounts), and the rules around it (noise removed,
too few letters, low confidence, repeats) hold."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from unmask.ingest.langid_kernel import classify_batch
from unmask.ingest.language import (
    _NOISE,
    MIN_CONFIDENCE,
    MIN_LETTERS,
    detect_language,
    detect_languages,
)

IRA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ira-sample" / "tweets"


@pytest.fixture(scope="module")
def py3langid():
    import py3langid.langid as langid

    return langid.LanguageIdentifier.from_modelpath(
        langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True
    )


def reference(ident, text: str | None) -> str | None:
    """The rule as it was, one text at a time through py3langid's own classify."""
    if not text:
        return None
    clean = _NOISE.sub(" ", text)
    if sum(ch.isalpha() for ch in clean) < MIN_LETTERS:
        return None
    lang, prob = ident.classify(clean)
    return lang if prob >= MIN_CONFIDENCE else None


@pytest.mark.skipif(not IRA.is_dir(), reason="../shared/data/ira-sample is not there")
def test_same_languages_as_py3langid_on_real_tweets(py3langid) -> None:
    texts = [
        r[0]
        for r in duckdb.sql(
            f"SELECT content FROM read_csv('{IRA}/*.csv', all_varchar = true) ORDER BY ALL"
        ).fetchall()
    ]
    assert len(texts) > 13_000
    got = detect_languages(texts)
    expected = [reference(py3langid, t) for t in texts]
    same = sum(a == b for a, b in zip(got, expected, strict=True))
    # Float32 sums in another order may flip a near tie; on these tweets none does.
    assert same / len(texts) >= 0.999, same
    assert {"en", "ru", "uk"} <= set(got)


def test_confidences_equal_py3langid(py3langid) -> None:
    texts = [
        "The new dam on the river will flood three villages next spring",
        "Der neue Damm am Fluss wird im nächsten Frühjahr drei Dörfer überfluten",
        "Новая плотина на реке затопит три деревни следующей весной",
        "中国高铁已连接三百座城市，这是西方无法比拟的奇迹",
        "SHOUTING IN CAPITALS IS LOWERED FIRST",
        "ok",
    ]
    for text, (lang, prob) in zip(texts, classify_batch(texts), strict=True):
        ref_lang, ref_prob = py3langid.classify(text)
        assert lang == ref_lang
        assert prob == pytest.approx(ref_prob, rel=1e-4, abs=1e-6)


def test_rules_around_the_model() -> None:
    texts = [
        None,
        "",
        "https://example.com/a @user #tag RT",  # only noise
        "ab 12",  # two letters
        "Die Regierung hat heute neue Maßnahmen beschlossen",
        "Die Regierung hat heute neue Maßnahmen beschlossen",  # a repeat
    ]
    assert detect_languages(texts) == [None, None, None, None, "de", "de"]
    assert detect_language(texts[4]) == "de"
    assert detect_languages([]) == []
