"""The simulator's two ways of making activities that every group shares: posts of given
texts (``text_posts``) and answers to earlier posts (``responses``), on a real small world."""

from __future__ import annotations

import numpy as np
import pytest

from unmask.simulate.records import K_POST, K_REACTION, K_SHARE, responses, text_posts
from unmask.simulate.scenario import load_scenario
from unmask.simulate.world import World


@pytest.fixture(scope="module")
def world() -> World:
    sc = load_scenario("small")
    sc.operations = []  # not needed here; keeps the world fast
    return World(sc, 1)


def _on_two_platforms(world: World) -> np.ndarray:
    """Two ordinary accounts on one platform and one on another."""
    plat = world.registry.platform[: world.layout.end]
    first = np.flatnonzero(plat == plat[0])[:2]
    other = np.flatnonzero(plat != plat[0])[:1]
    return np.concatenate([first, other]).astype(np.int64)


def test_text_posts_are_on_each_authors_platform_with_the_texts_hashtags(world: World) -> None:
    author = _on_two_platforms(world)
    texts = ["Vote #Yes today", "see https://example.org/a #yes #Later", "no tags here"]
    urls = [[], ["https://example.org/a"], []]
    posts = text_posts(world, author, [10, 20, 30], 0, texts, urls)

    assert (posts.platform == world.registry.platform[author]).all()
    assert (posts.kind == K_POST).all()
    assert posts.text.to_pylist() == texts
    assert posts.hashtags.to_pylist() == [["yes"], ["later", "yes"], []]
    assert posts.mentions.to_pylist() == [[], [], []]
    assert posts.urls_original.to_pylist() == urls
    assert posts.media is None
    assert (np.diff(posts.counter) == 1).all()  # ids given in order


def test_text_posts_keep_given_hashtags_and_media(world: World) -> None:
    author = _on_two_platforms(world)[:1]
    posts = text_posts(
        world, author, [5], 0, ["#ignored"], [[]], hashtags=[["chosen"]], media=[["h1"]]
    )
    assert posts.hashtags.to_pylist() == [["chosen"]]
    assert posts.media.to_pylist() == [["h1"]]


def test_responses_point_at_their_posts_on_the_posts_platform(world: World) -> None:
    author = _on_two_platforms(world)
    posts = text_posts(world, author, [10, 20, 30], 0, ["a", "b", "c"], [[], [], []])
    rows = np.array([2, 0])
    who = author[[0, 1]]
    shares = responses(world, posts, rows, who, [40, 50], K_SHARE)

    assert shares.platform.tolist() == posts.platform[rows].tolist()
    assert shares.parent.tolist() == posts.counter[rows].tolist()
    assert shares.parent_author.tolist() == posts.author[rows].tolist()
    assert shares.author.tolist() == who.tolist()
    assert (shares.kind == K_SHARE).all()
    assert shares.text is None  # a share says nothing of its own

    likes = responses(world, posts, rows, who, [41, 51], K_REACTION, lang=posts.lang[rows])
    assert likes.lang.tolist() == posts.lang[rows].tolist()
    assert likes.counter.min() > shares.counter.max()  # ids go on in order
