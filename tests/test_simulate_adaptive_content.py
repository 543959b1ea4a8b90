"""Adaptive content of the planted operations: machine-translated copies
(``[operations.translation]``), operations' texts in every language (none falls back to
English) and strong paraphrase (``evasion.paraphrase_strength``). Checked on the store of
small worlds (what a detector sees) and on the text builders themselves."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import numpy as np
import pytest

from unmask.simulate import content
from unmask.simulate.scenario import LANGUAGES, ScenarioError, load_scenario, parse_scenario
from unmask.simulate.world import simulate
from unmask.store import Store

ALL = dict.fromkeys(LANGUAGES, 1.0)
# Words that only English of the nine languages writes: a post labelled with another
# language that contains one of them is (partly) English.
ENGLISH_ONLY = {"the", "and", "is", "are", "of", "this", "with", "who", "what", "why", "they"}
SCRIPTS = {
    "zh": r"[\u4e00-\u9fff]",
    "ja": r"[\u3040-\u30ff\u4e00-\u9fff]",  # kana or kanji (拡散希望)
    "ko": r"[\uac00-\ud7af]",
    "ru": r"[\u0400-\u04ff]",
}


def _small(days: int = 7, users: int = 800):
    sc = load_scenario("small")
    sc.world.days = days
    sc.population.users = users
    return sc


def _connect(world: Path):
    c = Store(world / "store").connect()
    c.execute(f"CREATE VIEW truth AS SELECT * FROM read_parquet('{world}/truth/accounts.parquet')")
    c.execute(
        """CREATE VIEW acts AS SELECT a.*, t.operation_id, t.role
           FROM activities a JOIN truth t USING (platform, account_id)"""
    )
    return c


def _plain(text: str) -> str:
    """A post without its links, hashtags and mentions."""
    return re.sub(r"https?://\S+|[#＃@]\w+", " ", text).strip()


def shingles(text: str, lang: str) -> set:
    """Word 5-shingles; character 3-grams for languages written without spaces."""
    if lang in ("zh", "ja"):
        s = re.sub(r"\s+", "", text)
        return {s[i : i + 3] for i in range(max(len(s) - 2, 1))}
    w = re.findall(r"\w+", text.lower())
    return {tuple(w[i : i + 5]) for i in range(max(len(w) - 4, 1))}


def jaccard(a: str, b: str, lang: str) -> float:
    x, y = shingles(a, lang), shingles(b, lang)
    return len(x & y) / max(1, len(x | y))


# -- a world whose operations speak every language ------------------------------------


@pytest.fixture(scope="module")
def polyglot(tmp_path_factory) -> Path:
    sc = _small()
    for op in sc.operations:
        op.languages = dict(ALL)
        op.translation.share = 0.3
    out = tmp_path_factory.mktemp("polyglot")
    simulate(out, sc, seed=3)
    return out


def test_every_language_is_written_in_that_language(polyglot):
    con = _connect(polyglot)
    got = con.execute(
        """SELECT operation_id, language, text FROM acts
           WHERE operation_id IS NOT NULL AND kind IN ('post', 'comment', 'reply')
             AND text IS NOT NULL"""
    ).fetchall()
    con.close()
    english = {
        p.format(n="", place="", critic="").strip(" .!?")
        for claims in content.NARRATIVES.values()
        for c in claims
        for p in c["en"]
    }
    by = {}
    for op, lang, text in got:
        by.setdefault((op.split("-")[0], lang), []).append(_plain(text))
    for kind in ("spamouflage", "doppelganger", "careful"):
        for lang in LANGUAGES:
            texts = by.get((kind, lang), [])
            assert len(texts) >= 3, (kind, lang, len(texts))
            if lang == "en":
                continue
            for t in texts:
                assert t not in english
                words = set(re.findall(r"[a-z']+", t.lower()))
                assert not words & ENGLISH_ONLY, (kind, lang, t)
                if lang in SCRIPTS:
                    assert re.search(SCRIPTS[lang], t), (kind, lang, t)
                    # Nothing but names, numbers and links in Latin letters.
                    assert len(re.findall(r"[A-Za-z]{4,}", t)) <= 2, (kind, lang, t)


def test_translated_copies_keep_number_and_url(polyglot):
    con = _connect(polyglot)
    ops = {
        o["id"]: o
        for o in json.loads((polyglot / "truth" / "operations.json").read_text())["operations"]
    }
    assert all(o["translated_copies"] > 0 for o in ops.values())
    # Doppelganger: one article is teased in several languages, the URL stays the same.
    langs_per_url = con.execute(
        """SELECT count(DISTINCT language) FROM acts, unnest(urls) AS u(url)
           WHERE operation_id = 'doppelganger-1' GROUP BY url"""
    ).fetchall()
    assert np.mean([n for (n,) in langs_per_url]) > 1.5
    # Spamouflage: a task's copies in several languages carry the task's number.
    posts = con.execute(
        """SELECT date_trunc('hour', time), language, text FROM acts
           WHERE operation_id = 'spamouflage-1' AND kind = 'post'"""
    ).fetchall()
    con.close()
    nums: dict = {}
    for hour, lang, text in posts:
        for n in re.findall(r"(?<![\d.])\d{2,3}(?![\d.])", _plain(text)):
            nums.setdefault((hour, n), set()).add(lang)
    multi = [v for v in nums.values() if len(v) >= 3]
    assert len(multi) > 20


def test_translation_share_reaches_the_store(tmp_path):
    sc = _small(days=5, users=400)
    sc.operations = [sc.operations[0]]
    spam = sc.operations[0]
    spam.languages = {"en": 1.0}
    spam.translation.share = 0.4
    spam.translation.languages = {"de": 1.0, "fr": 1.0}
    simulate(tmp_path, sc, seed=2)
    con = _connect(tmp_path)
    counts = dict(
        con.execute(
            """SELECT language, count(*) FROM acts
               WHERE operation_id = 'spamouflage-1' AND kind = 'post' GROUP BY 1"""
        ).fetchall()
    )
    con.close()
    assert set(counts) == {"en", "de", "fr"}
    share = (counts["de"] + counts["fr"]) / sum(counts.values())
    assert 0.3 < share < 0.5
    op = json.loads((tmp_path / "truth" / "operations.json").read_text())["operations"][0]
    assert op["translated_copies"] == counts["de"] + counts["fr"]


# -- strong paraphrase ------------------------------------------------------------------


@pytest.fixture(scope="module")
def paraphrased(tmp_path_factory) -> Path:
    """Two Spamouflage operations in one world: one copies (paraphrase_rate 0), one
    paraphrases every copy at strength 1."""
    sc = _small()
    plain = sc.operations[0]
    strong = copy.deepcopy(plain)
    strong.id = "spamouflage-strong"
    strong.evasion.paraphrase_rate = 1.0
    strong.evasion.paraphrase_strength = 1.0
    sc.operations.insert(1, strong)
    dopp = sc.operations[2]
    dopp.evasion.paraphrase_rate = 1.0
    dopp.evasion.paraphrase_strength = 1.0
    out = tmp_path_factory.mktemp("paraphrased")
    simulate(out, sc, seed=4)
    return out


def _copies_jaccard(con, op: str) -> dict[str, float]:
    """Median Jaccard of pairs of one task's copies (same day, language and number)."""
    posts = con.execute(
        """SELECT CAST(time AS DATE), language, text FROM acts
           WHERE operation_id = ? AND kind = 'post'""",
        [op],
    ).fetchall()
    groups: dict = {}
    for day, lang, text in posts:
        t = _plain(text)
        n = re.findall(r"\d+", t)
        if n:
            groups.setdefault((day, lang, n[0]), []).append(t)
    out = {}
    for lang in ("en", "zh", "ja"):
        js = [
            jaccard(g[i], g[j], lang)
            for (_, gl, _), g in groups.items()
            if gl == lang
            for i in range(len(g))
            for j in range(i + 1, min(len(g), i + 6))
        ]
        out[lang] = float(np.median(js))
    return out


def test_strong_paraphrase_copies_share_few_shingles(paraphrased):
    con = _connect(paraphrased)
    plain = _copies_jaccard(con, "spamouflage-1")
    strong = _copies_jaccard(con, "spamouflage-strong")
    con.close()
    for lang in ("en", "zh", "ja"):
        assert plain[lang] > 0.6, (lang, plain)
        assert strong[lang] < 0.2, (lang, strong)


def test_strong_paraphrase_rewrites_teasers(paraphrased):
    con = _connect(paraphrased)
    per_url = con.execute(
        """SELECT url, list(text) FROM acts, unnest(urls) AS u(url)
           WHERE operation_id = 'doppelganger-1' GROUP BY url"""
    ).fetchall()
    con.close()
    distinct = [len(set(texts)) / len(texts) for _, texts in per_url if len(texts) >= 4]
    # Without the knob an article has at most three teasers; with it nearly every share
    # says it differently.
    assert np.median(distinct) > 0.8


@pytest.mark.parametrize("lang", LANGUAGES)
def test_paraphrase_strength_in_every_language(lang):
    """Copies of one message at strength 1 share few shingles with each other and with the
    message; plain copies (typos and headlines only) share most."""
    rng = np.random.default_rng(11)
    plain, strong, vs_msg = [], [], []
    for k in range(300):
        msg = content.new_message(rng, list(content.NARRATIVES)[k % 3], lang)
        a, b = (content.copy_text(rng, msg, 0.35, 0.3, 0.0) for _ in range(2))
        plain.append(jaccard(a, b, lang))
        a, b = (content.copy_text(rng, msg, 0.35, 0.3, 1.0, 1.0) for _ in range(2))
        strong.append(jaccard(a, b, lang))
        vs_msg.append(jaccard(a, msg.text(), lang))
    # Measured over 300 messages (seeds 11 and 12): plain copies mean 0.55-0.85 (a typo or
    # a headline costs a ten-shingle text up to five shingles, so their median swings
    # between 0.5 and 0.87); strength 1: median 0.00-0.14, mean 0.02-0.17; against the
    # message: median 0.00-0.05.
    assert np.mean(plain) > 0.5
    assert np.median(strong) < 0.2
    assert np.mean(strong) < 0.2
    assert np.median(vs_msg) < 0.1


def test_strength_zero_is_the_light_paraphrase():
    msg = content.new_message(np.random.default_rng(1), "attack_us", "en")
    a = content.paraphrase(np.random.default_rng(2), msg)
    b = content.paraphrase(np.random.default_rng(2), msg, 0.0)
    assert a == b
    # Careful posts: strength adds reordering (the coda first) and nothing at 0.
    x = content.careful_text(np.random.default_rng(3), "foreign_aid", 12)
    assert x == content.careful_text(np.random.default_rng(3), "foreign_aid", 12, "en", 0.0)


def test_translate_keeps_claim_number_and_names():
    msg = content.new_message(np.random.default_rng(5), "attack_critics", "en")
    for lang in LANGUAGES:
        t = content.translate(msg, lang)
        assert (t.claim, t.phrasing, t.slots["n"]) == (msg.claim, msg.phrasing, msg.slots["n"])
        assert t.slots["critic"] == content.CRITICS[lang][msg.critic]
        assert t.slots["place"] == content.PLACES[lang][msg.place]
        pool = content.NARRATIVES[msg.narrative][msg.claim][lang]
        if "{n}" in pool[msg.phrasing % len(pool)]:
            assert msg.slots["n"] in t.text()


@pytest.mark.parametrize(
    ("snippet", "error"),
    [
        ("[operations.translation]\nshare = 1.5\n", "operations[0].translation.share"),
        (
            "[operations.translation]\nlanguages = { xx = 1.0 }\n",
            "operations[0].translation.languages",
        ),
        (
            "[operations.evasion]\nparaphrase_strength = -0.1\n",
            "operations[0].evasion.paraphrase_strength",
        ),
    ],
)
def test_bad_values_name_the_key(snippet, error):
    base = load_scenario("small").source_text.split("[[operations]]")[0]
    text = base + "[[operations]]\nid = 's'\ntype = 'spamouflage'\n" + snippet
    with pytest.raises(ScenarioError, match=re.escape(error)):
        parse_scenario(text)


def test_translation_and_strength_parse_from_toml():
    base = load_scenario("small").source_text.split("[[operations]]")[0]
    sc = parse_scenario(
        base
        + "[[operations]]\nid = 'd'\ntype = 'doppelganger'\n"
        + "[operations.evasion]\nparaphrase_strength = 0.7\n"
        + "[operations.translation]\nshare = 0.25\nlanguages = { ru = 1.0, ko = 2.0 }\n"
    )
    op = sc.operations[0]
    assert op.evasion.paraphrase_strength == 0.7 and op.evasion.timing_jitter_s == 1800.0
    assert op.translation.share == 0.25 and op.translation.weights() == {"ru": 1.0, "ko": 2.0}
    assert load_scenario("small").operations[0].translation.weights() == ALL


def test_careful_strength_reorders():
    moved = 0
    for seed in range(200):
        for lang in ("en", "de", "zh"):
            rng = np.random.default_rng(seed)
            text = content.careful_text(rng, "media_distrust", 9, lang, 1.0)
            codas = (
                content.CAREFUL_THEMES["media_distrust"][3]
                if lang == "en"
                else (content.CAREFUL_MORE[lang]["media_distrust"][3])
            )
            heads = {c.strip("。")[:6].lower() for c in codas if c}
            moved += text[:6].lower() in heads
    assert moved > 200  # the coda opens most posts (5 of 6 codas are not empty)
