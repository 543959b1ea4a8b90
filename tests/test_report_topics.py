"""The report's narratives: an operation's posts grouped by meaning across languages
(``unmask.export.topics``), checked against the narrative each simulated post was written
for, and the fall-back to copied-content families when the encoder is not installed."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unmask import rundir
from unmask.export import report, topics
from unmask.signals import semantic
from unmask.signals.base import Reporting
from unmask.simulate import content
from unmask.store import Store

needs_encoder = pytest.mark.skipif(
    not semantic.encoder_available(), reason="install unmask[semantic]"
)

# Three claims, each in four languages, each copy with its own figure.
CLAIMS = [
    {
        "en": "An earthquake in {n} villages of the north left thousands without homes tonight.",
        "es": "Un terremoto en {n} pueblos del norte dejó a miles sin hogar esta noche.",
        "fr": "Un séisme dans {n} villages du nord a laissé des milliers de sans-abri ce soir.",
        "de": "Ein Erdbeben in {n} Dörfern im Norden hat heute Nacht Tausende obdachlos gemacht.",
    },
    {
        "en": "The new football stadium with {n} seats opened to the public on Saturday.",
        "es": "El nuevo estadio de fútbol con {n} asientos abrió al público el sábado.",
        "fr": "Le nouveau stade de football de {n} places a ouvert au public samedi.",
        "de": "Das neue Fußballstadion mit {n} Plätzen wurde am Samstag eröffnet.",
    },
    {
        "en": "Vaccines for {n} children arrived at the hospital after weeks of delays.",
        "es": "Las vacunas para {n} niños llegaron al hospital tras semanas de retraso.",
        "fr": "Les vaccins pour {n} enfants sont arrivés à l'hôpital après des semaines de retard.",
        "de": "Impfstoffe für {n} Kinder kamen nach wochenlangen Verzögerungen im Krankenhaus an.",
    },
]


@needs_encoder
def test_translations_of_one_claim_are_one_topic_and_other_claims_are_not():
    texts, claim = [], []
    for c, by_lang in enumerate(CLAIMS):
        for text in by_lang.values():
            for n in (12, 47, 309):
                texts.append(text.format(n=n).lower())
                claim.append(c)
    x, pieces = semantic.get_encoder("static").encode(texts)
    posts = np.ones(len(texts), dtype=np.int64)
    accounts = [[f"x/{i % 5}"] for i in range(len(texts))]
    label = topics.assign(x, pieces, posts, accounts)
    assert (label >= 0).all()
    # one topic per claim, whatever the language
    assert {c: set(label[np.array(claim) == c].tolist()) for c in range(3)} == {
        c: {v} for c, v in enumerate(label[[0, 12, 24]].tolist())
    }
    assert len(set(label.tolist())) == 3


@needs_encoder
def test_terms_leave_out_the_stop_words_of_every_language():
    terms = topics.Terms(semantic.get_encoder("static"))
    for word in ("the", "est", "wir", "一个"):
        assert terms.common(word), word
    for word in ("sanctions", "faillite", "earthquake", "帝国"):
        assert not terms.common(word), word
    found = terms("中国高铁已连接863座城市，这是西方无法比拟的奇迹")
    assert {"连接", "城市", "西方"} <= set(found)
    assert terms("Sanctions : 51 entreprises") == ["Sanctions", "entreprises"]


def _narrative(text: str) -> str | None:
    tags = {t.lower(): k for k, ts in content.NARRATIVE_TAGS.items() for t in ts}
    found = {tags[w.lower()] for w in text.split() if w.lower() in tags}
    return found.pop() if len(found) == 1 else None


@needs_encoder
def test_an_operations_topics_follow_its_narratives_across_languages(small_run, small_world):
    """The simulated Spamouflage posts three narratives in Chinese, English and Japanese;
    the narrative of a post is read from its hashtags, which the topics never see."""
    result, _ = small_run
    run_dir = result.run_dir
    ops = rundir.read_figures(run_dir)
    nodes = rundir.read_table(run_dir, rundir.NODES).to_pylist()
    cluster_of = {(n["platform"], n["account_id"]): n["cluster_id"] for n in nodes}
    truth = pq.read_table(small_world / "truth" / "accounts.parquet").to_pylist()
    spam = {(r["platform"], r["account_id"]) for r in truth if r["operation_id"] == "spamouflage-1"}
    posters = Counter(c for k, c in cluster_of.items() if k in spam)
    ctx = Reporting(run_dir, Store(small_world / "store"), ops, cluster_of, 3, 6)
    rows = topics.posts(ctx, [c for c, _ in posters.most_common()]).to_pylist()
    by_cluster = defaultdict(list)
    for r in rows:
        by_cluster[r["cluster_id"]].append(r)
    cid = max(by_cluster, key=lambda c: len(by_cluster[c]))
    rows = by_cluster[cid]
    x, pieces = semantic.get_encoder("static").encode([r["clean"] for r in rows])
    posts = np.array([r["posts"] for r in rows])
    label = topics.assign(x, pieces, posts, [r["accounts"] for r in rows])
    per_topic: dict[int, Counter] = defaultdict(Counter)
    languages: dict[int, set] = defaultdict(set)
    for r, t in zip(rows, label, strict=True):
        narrative = _narrative(r["text"])
        if t >= 0:
            languages[int(t)].add(r["language"])
            if narrative:
                per_topic[int(t)][narrative] += r["posts"]
    labelled = sum(sum(c.values()) for c in per_topic.values())
    pure = sum(c.most_common(1)[0][1] for c in per_topic.values())
    assert labelled > 500
    assert pure / labelled > 0.98
    # every narrative found, each in few topics, most of them in several languages
    majority = Counter(c.most_common(1)[0][0] for c in per_topic.values())
    assert set(majority) == set(content.NARRATIVE_TAGS)
    assert 3 <= len(per_topic) <= 15
    assert sum(len(v) >= 2 for v in languages.values()) >= 3


@pytest.fixture(scope="module")
def model(small_run):
    result, _ = small_run
    return report.build(result.run_dir)


@needs_encoder
def test_the_report_shows_topics_with_the_posts_behind_them(model, small_world):
    told = [op["topics"] for op in model["operations"] if op["topics"]["topics"]]
    assert told and all(t["method"] == topics.SEMANTIC for t in told)
    largest = max(told, key=lambda t: t["posts"])
    top = largest["topics"][0]
    assert top["terms"] and len(top["languages"]) >= 2
    assert top["posts"] >= top["texts"] >= 1 and top["accounts"] >= 2
    # each example is an activity in the store, with the text shown
    con = Store(small_world / "store").connect()
    for t in largest["topics"]:
        for e in t["examples"]:
            platform, activity = e["example"].split("/", 1)
            text = con.execute(
                "SELECT text FROM activities WHERE platform = ? AND activity_id = ?",
                [platform, activity],
            ).fetchone()
            assert text == (e["text"],)
    con.close()
    op = next(o for o in model["operations"] if o["topics"] is largest)
    assert "topic(s) by meaning" in op["summary"]


def test_without_the_encoder_the_narratives_are_copy_families_and_say_why(
    small_run, monkeypatch, tmp_path
):
    monkeypatch.setattr(semantic, "encoder_available", lambda: False)
    result, _ = small_run
    paths = report.write(result.run_dir, tmp_path)
    built = report.build(result.run_dir)
    told = [op["topics"] for op in built["operations"]]
    assert {t["method"] for t in told} == {topics.FAMILIES}
    assert all("not installed" in t["why"] for t in told)
    with_families = [op for op in built["operations"] if op["narratives"]]
    assert with_families and all(op["topics"]["topics"] == op["narratives"] for op in with_families)
    html = paths["html"].read_text()
    assert "not topics by meaning" in html and "unmask[semantic]" in html


@needs_encoder
@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=80), min_size=1, max_size=12))
def test_any_texts_get_terms_and_topics_without_error(texts):
    encoder = semantic.get_encoder("static")
    terms = topics.Terms(encoder)
    for t in texts:
        for term in terms(t):
            assert term and not term.isspace()
            terms.common(term)
    x, pieces = encoder.encode(texts)
    label = topics.assign(
        x, pieces, np.ones(len(texts), dtype=np.int64), [[f"x/{i}"] for i in range(len(texts))]
    )
    assert len(label) == len(texts)
    assert set(label.tolist()) <= {topics.CHATTER, topics.SCATTERED} | set(range(len(texts)))
    # a topic needs two accounts and five posts: one post per text, one account per text
    assert (label[label >= 0].size == 0) or len(texts) >= topics.MIN_TOPIC_POSTS


@needs_encoder
def test_one_message_posted_by_many_is_a_topic_of_its_own():
    encoder = semantic.get_encoder("static")
    x, pieces = encoder.encode(["an earthquake in the northern villages left thousands homeless"])
    label = topics.assign(x, pieces, np.array([20]), [["x/a", "x/b", "x/c"]])
    assert label.tolist() == [0]
