"""CoAction(compat='toolkit') against coordination-network-toolkit itself.

Every comparison runs the real toolkit (``pip install coordination-network-toolkit``, in the
``dev`` extra) on the same CSV, into a temporary SQLite database, through its Python API
(``preprocess_csv_files``, ``compute_co_link_network``, ``compute_co_retweet_parallel``), and
reads its network table. unmask ingests the same CSV with the ``toolkit_csv`` adapter.

Two differences are expected and asserted explicitly:

* an empty ``urls`` field (and the empty strings that doubled or trailing spaces leave) is a
  link "" in the toolkit, which every message without links then shares; unmask has no such
  link. With those rows removed from the toolkit's ``message_url`` table, the two agree.
* loops (user_1 == user_2): the toolkit's released version (1.5.2 on PyPI) also counts a
  message as co-acting with itself, so every account that posts gets a loop; its main branch
  (PR #51, "Exclude comparison of a message with itself") and unmask do not.
"""

from __future__ import annotations

import csv
import inspect
import random
import sqlite3
from pathlib import Path

import pytest

from unmask.engine.duckdb import DuckDBEngine
from unmask.ingest import ingest_file
from unmask.signals.coaction import CoAction
from unmask.store import Store

toolkit = pytest.importorskip("coordination_network_toolkit")
from coordination_network_toolkit import compute_networks, preprocess  # noqa: E402

FIX = Path(__file__).parent / "fixtures" / "toolkit_csv"
# Whether the installed toolkit leaves a message's pair with itself out (main after 1.5.2).
SELF_PAIRS_EXCLUDED = "e_1.message_id != e_2.message_id" in inspect.getsource(
    compute_networks.compute_co_retweet_parallel
)
Edges = dict[tuple[str, str], int]


def run_toolkit(csv_path: Path, tmp: Path, network: str, window: float, *, patch_empty=False):
    """The toolkit's network (min_edge_weight 1: every edge), loops included."""
    db = str(tmp / f"toolkit-{network}-{window}-{patch_empty}.db")
    preprocess.preprocess_csv_files(db, [str(csv_path)])
    if patch_empty:
        con = sqlite3.connect(db)
        with con:
            con.execute("DELETE FROM message_url WHERE url = ''")
        con.close()
    if network == "co_link":
        compute_networks.compute_co_link_network(db, window, n_threads=1, min_edge_weight=1)
    else:
        compute_networks.compute_co_retweet_parallel(db, window, n_threads=1, min_edge_weight=1)
    con = sqlite3.connect(db)
    out = {(a, b): w for a, b, w in con.execute(f"SELECT * FROM {network}_network")}
    con.close()
    return out


def run_unmask(store: Store, on: str, window: float, min_weight: int = 1) -> Edges:
    with DuckDBEngine(store) as eng:
        ev = CoAction(
            on=on, window=window, compat="toolkit", min_repeat=min_weight, remove_loops=False
        ).run(eng)
    out = {}
    for r in ev.edges.to_pylist():
        assert r["platform_a"] == r["platform_b"] == "x"
        assert (r["account_a"], r["account_b"]) not in out
        out[(r["account_a"], r["account_b"])] = int(r["weight"])
    return out


def at_least(edges: Edges, k: int) -> Edges:
    return {e: w for e, w in edges.items() if w >= k}


def no_loops(edges: Edges) -> Edges:
    return {(a, b): w for (a, b), w in edges.items() if a != b}


def ingest(csv_path: Path, tmp: Path) -> Store:
    store = Store(tmp / "store", create=True)
    m = ingest_file(store, csv_path, options={"detect_language": False}).manifest
    assert m.reconciles and m.rows_quarantined == 0
    return store


@pytest.fixture(scope="module")
def messages(tmp_path_factory) -> tuple[Store, Path]:
    tmp = tmp_path_factory.mktemp("toolkit-messages")
    return ingest(FIX / "messages.csv", tmp), tmp


# -- co-link ----------------------------------------------------------------------------


def test_co_link_equals_the_toolkits_except_the_empty_link(messages):
    store, tmp = messages
    theirs = run_toolkit(FIX / "messages.csv", tmp, "co_link", 60)
    ours = run_unmask(store, "url", 60)
    # Hand-checked: u1, u2, u3 on links a, b, c; u8 and u9 on x.example/1 and /2. Directed:
    # u2 -> u3 counts m02 and m06, u3 -> u2 counts m03 and m07; m03 is exactly 60 s after
    # m01 (inclusive); m07 is 59.5 s after m06; the tracked and the untracked link of m23 and
    # m24 differ as written; m09's link is a repost's and does not count.
    assert no_loops(ours) == {
        ("u1", "u2"): 3,
        ("u2", "u1"): 3,
        ("u1", "u3"): 1,
        ("u3", "u1"): 1,
        ("u2", "u3"): 2,
        ("u3", "u2"): 2,
        ("u8", "u9"): 2,
        ("u9", "u8"): 2,
    }
    # The toolkit's empty link: the replies m16 (u2) and m17 (u3) have no links, 5 s apart,
    # so they "share" the link "" - one more message each way; the link-less posts of u6 and
    # u7 are linked by it alone; m21/m22 also share "" but their edge already counts both.
    assert {e: (w, ours.get(e)) for e, w in no_loops(theirs).items() if ours.get(e) != w} == {
        ("u2", "u3"): (3, 2),
        ("u3", "u2"): (3, 2),
        ("u6", "u7"): (1, None),
        ("u7", "u6"): (2, None),
    }
    # Without the empty link the toolkit gives unmask's network, loops included on its main
    # branch (a message never pairs with itself).
    patched = run_toolkit(FIX / "messages.csv", tmp, "co_link", 60, patch_empty=True)
    assert no_loops(patched) == no_loops(ours)
    assert {e: w for e, w in ours.items() if e[0] == e[1]} == {("u1", "u1"): 2}  # m04 ~ m08
    if SELF_PAIRS_EXCLUDED:
        assert patched == ours
    else:
        # 1.5.2: every message with a link co-links with itself: a loop per posting account.
        assert {e: w for e, w in patched.items() if e[0] == e[1]} == {
            ("u1", "u1"): 3,
            ("u2", "u2"): 3,
            ("u3", "u3"): 2,
            ("u8", "u8"): 3,
            ("u9", "u9"): 3,
        }


@pytest.mark.parametrize("min_weight", [1, 2, 3])
def test_min_edge_weight(messages, min_weight):
    store, tmp = messages
    patched = run_toolkit(FIX / "messages.csv", tmp, "co_link", 60, patch_empty=True)
    assert no_loops(run_unmask(store, "url", 60, min_weight)) == at_least(
        no_loops(patched), min_weight
    )


# -- co-retweet -------------------------------------------------------------------------


def test_co_retweet_equals_the_toolkits(messages):
    store, tmp = messages
    theirs = run_toolkit(FIX / "messages.csv", tmp, "co_retweet", 60)
    ours = run_unmask(store, "parent", 60)
    assert (
        no_loops(ours)
        == no_loops(theirs)
        == {
            ("u4", "u5"): 2,
            ("u5", "u4"): 2,
            ("u5", "u6"): 1,
            ("u6", "u5"): 1,
        }
    )
    # u5 reposts m02 twice, 2 s apart: a loop of two messages. Replies are not reposts.
    assert {e: w for e, w in ours.items() if e[0] == e[1]} == {("u5", "u5"): 2}
    if SELF_PAIRS_EXCLUDED:
        assert ours == theirs


# The toolkit's own test (tests/test_graph_construction.py on its main branch): for
# (time window, min edge weight, loops in the output), the number of nodes in the network.
TOOLKIT_OWN_CASES = [
    ((1, 1, False), 2),
    ((1, 1, True), 3),
    ((1, 2, False), 0),
    ((1, 2, True), 1),
    ((60, 1, False), 6),
    ((60, 1, True), 7),
]


@pytest.mark.parametrize(("settings", "nodes"), TOOLKIT_OWN_CASES)
def test_the_toolkits_own_co_retweet_test(tmp_path, settings, nodes):
    window, min_weight, loops = settings
    store = ingest(FIX / "coretweet_test_input.csv", tmp_path)
    with DuckDBEngine(store) as eng:
        ev = CoAction(
            on="parent",
            window=window,
            compat="toolkit",
            min_repeat=min_weight,
            remove_loops=not loops,
        ).run(eng)
    got = set(ev.edges["account_a"].to_pylist()) | set(ev.edges["account_b"].to_pylist())
    assert len(got) == nodes
    theirs = run_toolkit(FIX / "coretweet_test_input.csv", tmp_path, "co_retweet", window)
    ours = {(r["account_a"], r["account_b"]): r["weight"] for r in ev.edges.to_pylist()}
    assert no_loops(ours) == at_least(no_loops(theirs), min_weight)


# -- random inputs ----------------------------------------------------------------------


def random_csv(path: Path, seed: int) -> None:
    """Dense random traffic: few accounts, links and reposted messages, times that collide."""
    rng = random.Random(seed)
    links = [f"https://site{i % 3}.example/{i}" for i in range(10)]
    rows = []
    for i in range(400):
        user = f"u{rng.randrange(15)}"
        t = rng.randrange(1500) + (rng.choice([0, 0, 0.25, 0.5]))
        repost = f"p{rng.randrange(8)}" if rng.random() < 0.4 else ""
        reply = f"p{rng.randrange(8)}" if not repost and rng.random() < 0.2 else ""
        k = rng.choice([0, 0, 1, 1, 1, 2])
        sep = rng.choice([" ", " ", "  "])
        urls = sep.join(rng.sample(links, k)) + rng.choice(["", "", " "])
        rows.append([f"m{i}", user, f"name{user}", repost, reply, f"text {i}", t, urls])
    # A few exact repeats of records, as exports have.
    rows += [rows[rng.randrange(len(rows))] for _ in range(5)]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "message_id",
                "user_id",
                "username",
                "repost_id",
                "reply_id",
                "message",
                "timestamp",
                "urls",
            ]
        )
        w.writerows(rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_inputs(tmp_path, seed):
    path = tmp_path / "random.csv"
    random_csv(path, seed)
    store = ingest(path, tmp_path)
    for on, network in (("url", "co_link"), ("parent", "co_retweet")):
        for window in (10, 60):
            theirs = run_toolkit(path, tmp_path, network, window, patch_empty=True)
            ours = run_unmask(store, on, window)
            assert len(no_loops(ours)) > 10, (on, window)
            assert no_loops(ours) == no_loops(theirs), (on, window)
            if SELF_PAIRS_EXCLUDED:
                assert ours == theirs


# -- the interface ----------------------------------------------------------------------


def test_evidence_and_validation(messages):
    store, _ = messages
    with DuckDBEngine(store) as eng:
        ev = CoAction(on="url", window=60, compat="toolkit", min_repeat=2).run(eng)
        with pytest.raises(ValueError, match="co_link"):
            CoAction(on="hashtag", compat="toolkit").run(eng)
    assert any("directed" in n for n in ev.notes)
    # Loops are left out by default, as in the toolkit's output files.
    assert all(r["account_a"] != r["account_b"] for r in ev.edges.to_pylist())
    edge = next(r for r in ev.edges.to_pylist() if (r["account_a"], r["account_b"]) == ("u2", "u3"))
    assert edge["weight"] == 2 and edge["count"] == 2
    assert edge["reason"].startswith("2 of this account's posts shared a link")
    # The events name the message pairs behind the edge: m02~m03 on a, m06~m07 on c.
    pairs = sorted(
        (e["activity_a"], e["activity_b"], e["lag_seconds"])
        for e in ev.events.to_pylist()
        if (e["account_a"], e["account_b"]) == ("u2", "u3")
    )
    assert pairs == [("m02", "m03", 50.0), ("m06", "m07", 59.5)]


@pytest.mark.slow
def test_same_on_spark(messages):
    pytest.importorskip("pyspark")
    from unmask.engine.spark import SparkEngine

    store, _ = messages
    eng = SparkEngine(store)
    try:
        for on in ("url", "parent"):
            params = {"on": on, "window": 60, "compat": "toolkit", "min_repeat": 1}
            got = CoAction(**params, remove_loops=False).run(eng)
            with DuckDBEngine(store) as duck:
                want = CoAction(**params, remove_loops=False).run(duck)
            key = lambda t: sorted(  # noqa: E731
                tuple(r.values()) for r in t.select(t.column_names).to_pylist()
            )
            assert key(got.edges) == key(want.edges)
            assert key(got.events) == key(want.events)
    finally:
        eng.close()
