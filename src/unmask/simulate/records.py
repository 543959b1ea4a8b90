"""Rows of the world as columns, and their conversion to the store's Arrow tables.

Generators produce :class:`Acts` (activities) and :class:`Follows` with numeric codes and
account *indexes*; :func:`activities_table` and :func:`follows_table` turn them into the
common schema (string ids, platform and kind names, UTC timestamps).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from unmask import schema
from unmask.simulate import identity
from unmask.simulate.content import STRINGS, null_lists, null_strings, text_hashtags, url_columns
from unmask.simulate.scenario import KINDS, LANGUAGES, PLATFORMS

ACTIVITY_KINDS = ("post", "share", "reply", "comment", "quote", "reaction")
K_POST, K_SHARE, K_REPLY, K_COMMENT, K_QUOTE, K_REACTION = range(6)
P = {name: i for i, name in enumerate(PLATFORMS)}
_PLATFORM_A = pa.array(PLATFORMS, type=pa.string())
_KIND_A = pa.array(ACTIVITY_KINDS, type=pa.string())
_ACCOUNT_KIND_A = pa.array(KINDS, type=pa.string())
_LANG_A = pa.array(LANGUAGES, type=pa.string())


@dataclass
class Acts:
    """Activities as columns. ``parent`` is the parent's activity counter (-1: none)."""

    platform: np.ndarray
    author: np.ndarray
    time: np.ndarray
    kind: np.ndarray
    lang: np.ndarray
    text: pa.Array | None = None
    urls: pa.Array | None = None
    urls_original: pa.Array | None = None
    domains: pa.Array | None = None
    hashtags: pa.Array | None = None
    mentions: pa.Array | None = None
    media: pa.Array | None = None
    parent: np.ndarray | None = None
    parent_author: np.ndarray | None = None
    counter: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.author)


def acts(
    world,
    platform,
    author,
    time,
    kind,
    lang=None,
    *,
    text=None,
    urls_original=None,
    hashtags=None,
    mentions=None,
    media=None,
    parent=None,
    parent_author=None,
    urls=None,
    domains=None,
) -> Acts:
    """Activities from arrays or Python lists; ids are given here, in order."""
    author = np.asarray(author, dtype=np.int64)
    n = len(author)
    platform = np.broadcast_to(np.asarray(platform, dtype=np.int8), (n,)).copy()
    kind = np.broadcast_to(np.asarray(kind, dtype=np.int8), (n,)).copy()
    lang = (
        np.full(n, -1, dtype=np.int8)
        if lang is None
        else np.broadcast_to(np.asarray(lang, dtype=np.int8), (n,)).copy()
    )
    if isinstance(urls_original, list):
        urls, urls_original, domains = url_columns(urls_original)
    a = Acts(
        platform=platform,
        author=author,
        time=np.asarray(time, dtype=np.int64),
        kind=kind,
        lang=lang,
        text=_strings(text),
        urls=_lists(urls),
        urls_original=_lists(urls_original),
        domains=_lists(domains),
        hashtags=_lists(hashtags),
        mentions=_lists(mentions),
        media=_lists(media),
        parent=None if parent is None else np.asarray(parent, dtype=np.int64),
        parent_author=None if parent_author is None else np.asarray(parent_author, dtype=np.int64),
    )
    a.counter = world.next_activity_ids(n)
    return a


def text_posts(
    world, author, time, lang, texts: list[str], urls, *, hashtags=None, media=None
) -> Acts:
    """Posts of ``texts`` on each author's own platform, mentioning no one, with the links
    ``urls`` (one list a post); their hashtags are those the texts carry unless given."""
    author = np.asarray(author, dtype=np.int64)
    return acts(
        world,
        world.registry.platform[author],
        author,
        time,
        K_POST,
        lang,
        text=texts,
        urls_original=urls,
        hashtags=[text_hashtags(x) for x in texts] if hashtags is None else hashtags,
        mentions=[[] for _ in texts],
        media=media,
    )


def responses(world, posts: Acts, rows, who, time, kind, **columns) -> Acts:
    """Activities of ``kind`` (shares, reactions, replies) by ``who`` to the rows ``rows``
    of ``posts``: each on its post's platform, pointing at the post and its author."""
    return acts(
        world,
        posts.platform[rows],
        who,
        time,
        kind,
        parent=posts.counter[rows],
        parent_author=posts.author[rows],
        **columns,
    )


def _strings(v):
    if v is None or isinstance(v, pa.Array):
        return v
    return pa.array(v, type=pa.string())


def _lists(v):
    if v is None or isinstance(v, pa.Array):
        return v
    return pa.array(v, type=STRINGS)


def select(a: Acts, keep: np.ndarray) -> Acts:
    """The rows of ``a`` where ``keep`` is true (ids are kept)."""
    idx = np.flatnonzero(keep)
    ia = pa.array(idx)

    def arr(x):
        return None if x is None else x[idx]

    def col(x):
        return None if x is None else x.take(ia)

    return Acts(
        platform=a.platform[idx],
        author=a.author[idx],
        time=a.time[idx],
        kind=a.kind[idx],
        lang=a.lang[idx],
        text=col(a.text),
        urls=col(a.urls),
        urls_original=col(a.urls_original),
        domains=col(a.domains),
        hashtags=col(a.hashtags),
        mentions=col(a.mentions),
        media=col(a.media),
        parent=arr(a.parent),
        parent_author=arr(a.parent_author),
        counter=a.counter[idx],
    )


def activities_table(world, a: Acts, first_row: int) -> pa.Table:
    n = len(a)
    parent = a.parent if a.parent is not None else np.full(n, -1, dtype=np.int64)
    pauthor = a.parent_author if a.parent_author is not None else np.full(n, -1, dtype=np.int64)
    cols = {
        "platform": _PLATFORM_A.take(pa.array(a.platform)),
        "activity_id": identity.activity_ids(world.seed, a.counter),
        "account_id": identity.account_ids(world.seed, a.author),
        "time": pa.array(a.time * 1_000_000, type=schema.TIME),
        "kind": _KIND_A.take(pa.array(a.kind)),
        "text": a.text if a.text is not None else null_strings(n),
        "language": _LANG_A.take(pa.array(a.lang.astype(np.int64), mask=a.lang < 0)),
        "urls": a.urls if a.urls is not None else null_lists(n),
        "urls_original": a.urls_original if a.urls_original is not None else null_lists(n),
        "domains": a.domains if a.domains is not None else null_lists(n),
        "hashtags": a.hashtags if a.hashtags is not None else null_lists(n),
        "mentions": a.mentions if a.mentions is not None else null_lists(n),
        "media_hashes": a.media if a.media is not None else null_lists(n),
        "parent_activity_id": identity.activity_ids(world.seed, parent, mask=parent < 0),
        "parent_account_id": _masked_account_ids(world.seed, pauthor),
        "source_file": pa.array([world.file_id]).take(pa.array(np.zeros(n, dtype=np.int32))),
        "source_row": pa.array(np.arange(first_row, first_row + n, dtype=np.int64)),
    }
    for f in schema.ACTIVITIES:  # fields the world does not fill (e.g. community)
        if f.name not in cols:
            cols[f.name] = pa.nulls(n, type=f.type)
    return pa.table({f.name: cols[f.name] for f in schema.ACTIVITIES}, schema=schema.ACTIVITIES)


def _masked_account_ids(seed: int, idx: np.ndarray) -> pa.Array:
    ids = identity.account_ids(seed, np.maximum(idx, 0))
    if (idx < 0).any():
        ids = pc.if_else(pa.array(idx < 0), pa.scalar(None, pa.string()), ids)
    return ids


@dataclass
class Follows:
    platform: np.ndarray
    follower: np.ndarray
    followee: np.ndarray
    time: np.ndarray

    def __len__(self) -> int:
        return len(self.follower)


def unique_follows(f: Follows) -> Follows:
    """Drop repeated (follower, followee) pairs and self-follows, keeping the earliest."""
    keep = f.follower != f.followee
    f = Follows(f.platform[keep], f.follower[keep], f.followee[keep], f.time[keep])
    order = np.lexsort((f.time, f.followee, f.follower))
    fo, fe = f.follower[order], f.followee[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (fo[1:] != fo[:-1]) | (fe[1:] != fe[:-1])
    sel = order[first]
    sel.sort()
    return Follows(f.platform[sel], f.follower[sel], f.followee[sel], f.time[sel])


def follows_table(world, f: Follows, first_row: int) -> pa.Table:
    n = len(f)
    return pa.table(
        {
            "platform": _PLATFORM_A.take(pa.array(f.platform)),
            "follower_id": identity.account_ids(world.seed, f.follower),
            "followee_id": identity.account_ids(world.seed, f.followee),
            "time": pa.array(f.time * 1_000_000, type=schema.TIME),
            "source_file": pa.array([world.file_id]).take(pa.array(np.zeros(n, dtype=np.int32))),
            "source_row": pa.array(np.arange(first_row, first_row + n, dtype=np.int64)),
        },
        schema=schema.FOLLOWS,
    )


def platform_names(codes: np.ndarray) -> pa.Array:
    return _PLATFORM_A.take(pa.array(codes))


def kind_names(codes: np.ndarray) -> pa.Array:
    return _ACCOUNT_KIND_A.take(pa.array(codes))


def language_names(codes: np.ndarray) -> pa.Array:
    return _LANG_A.take(pa.array(codes.astype(np.int64), mask=codes < 0))
