"""The catalogue of known operations and lineage: Meta's indicator files read into typed
assets, unmask's own findings added, and new clusters linked to known operations.

The world test plays the issue's case: an operation taken down after a week comes back
with new accounts but its old messages, links, hashtags and domains; detect on the week
before, add the run's operations to a catalogue, detect on the week after, and the
comeback is linked to its earlier self while nothing else is linked across actors.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from unmask import indicators, lineage
from unmask.catalogue import Catalogue, CatalogueError, import_meta, meta_name, read_meta
from unmask.detect import DetectConfig, detect
from unmask.engine.duckdb import DuckDBEngine
from unmask.ingest import ingest_file
from unmask.simulate.scenario import ScenarioError, load_scenario, parse_scenario
from unmask.store import Store

META = Path(__file__).resolve().parents[2] / "shared" / "data" / "meta-threat-research"
SPAMOUFLAGE = META / "Q2_2023_Spamouflage_China_based_CIB_updated.csv"


# -- reading indicators ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "procedure", "expected"),
    [
        # Cells as Meta's files write them.
        (
            "https://twitter[.]com/SaraSil39636921",
            "0.9.4 Acquiring X / Twitter accounts",
            [("handle", "x", "sarasil39636921")],
        ),
        ("x[.]com/popa_mariannn", None, [("handle", "x", "popa_mariannn")]),
        ("hxxps://x[.]com/Allo_Afrique,", None, [("handle", "x", "allo_afrique")]),
        ("https[:]//t[.]me/newstopafrique", None, [("handle", "telegram", "newstopafrique")]),
        (
            "https://t.me/news_munchen/42",
            None,
            [("handle", "telegram", "news_munchen"), ("url", None, "https://t.me/news_munchen/42")],
        ),
        ("https://www[.]youtube[.]com/@Do_Rzeczy", None, [("handle", "youtube", "do_rzeczy")]),
        ("http://tiktok[.]com/@juurnalistebi", None, [("handle", "tiktok", "juurnalistebi")]),
        ("https://medium.com/@katelynwilsonkwk", None, [("handle", "medium", "katelynwilsonkwk")]),
        ("https://gayleenwxmzw98[.]medium[.]com/", None, [("handle", "medium", "gayleenwxmzw98")]),
        (
            "https://www.reddit[.]com/user/New-Europe-1993",
            None,
            [("handle", "reddit", "new-europe-1993")],
        ),
        ("hxxp://vk[.]com/id464508604", None, [("handle", "vk", "id464508604")]),
        (
            "https://www.facebook.com/profile.php?id=100064",
            None,
            [("account", "facebook", "100064")],
        ),
        (
            "hxxps://gagauzia24[.]info/",
            "0.6.2 Acquiring domains",
            [("domain", None, "gagauzia24.info")],
        ),
        ("www.Tahlilroz[.]com", "0.6.2 Acquiring domains", [("domain", None, "tahlilroz.com")]),
        ("7sabah[.]com[.]tr", "0.6.2 Acquiring domains", [("domain", None, "7sabah.com.tr")]),
        (
            "45[.]141[.]152[.]19",
            "0.1.1 Acquiring proxy IP addresses",
            [("ip", None, "45.141.152.19")],
        ),
        (
            "info[at]amc239[.]com, hosted with Titan.email service",
            None,
            [("email", None, "info@amc239.com"), ("domain", None, "amc239.com")],
        ),
        ("63 accounts", "0.9.1 Acquiring Facebook assets", [("count", "facebook", "63")]),
        (
            "7,704 Facebook accounts",
            "0.9.1 Acquiring Facebook assets",
            [("count", "facebook", "7704")],
        ),
        (
            "#americathethief",
            "6.1.3 Posting original content on blogs",
            [("hashtag", None, "americathethief")],
        ),
        (
            "Wang Ruiqin’s romantic past",
            "6.1.3 Posting original content on blogs",
            [("text", None, "Wang Ruiqin’s romantic past")],
        ),
        (
            "London New Europe Media Ltd",
            "0.4.1 Registering company",
            [("note", None, "London New Europe Media Ltd")],
        ),
        (
            "http://se.pinterest.com/pin/1151232723493806358",
            None,
            [("url", None, "http://se.pinterest.com/pin/1151232723493806358")],
        ),
    ],
)
def test_indicator_cells_become_typed_assets(cell, procedure, expected):
    got = [
        (a["kind"], a.get("platform"), a["value"])
        for a in indicators.parse(cell, procedure=procedure)
    ]
    assert got == expected


def test_a_link_without_a_readable_host_is_an_error_not_a_guess():
    for cell in ("https:///nothing", "https://[.]/x"):
        with pytest.raises(indicators.IndicatorError, match="host"):
            indicators.parse(cell)


def test_refang_undoes_the_usual_defanging():
    assert indicators.refang("hxxps://a[.]b(.)c[:]8080[/]x info[at]d[.]e") == (
        "https://a.b.c:8080/x info@d.e"
    )


# -- Meta's files ------------------------------------------------------------------------


def _indicator_files() -> list[Path]:
    """The files with an indicator column, found by their header alone."""
    out = []
    for f in sorted(META.glob("*.csv")):
        with open(f, encoding="utf-8-sig", newline="") as fh:
            header = [h.strip().lower() for h in next(csv.reader(fh))]
        if "indicator" in header or "indicator_value" in header:
            out.append(f)
    return out


@pytest.fixture(scope="module")
def meta_catalogue(tmp_path_factory) -> tuple[Catalogue, list[str], list]:
    cat = Catalogue(tmp_path_factory.mktemp("cat") / "meta", create=True)
    names, problems = import_meta(cat, [META])
    return cat, names, problems


def test_every_meta_file_is_one_known_operation(meta_catalogue):
    cat, names, problems = meta_catalogue
    files = _indicator_files()
    assert len(names) == len(files) == cat.operations().num_rows
    assert sorted(names) == sorted(meta_name(f) for f in files)
    # The kill-chain table is named as what it is; no row of an indicator file is unreadable.
    assert [(p.file, p.row) for p in problems] == [("Online_Operations_Killchain-TTPs.csv", 1)]
    summary = {s["name"]: s for s in cat.summary()}
    spam = summary["meta/q2-2023-spamouflage-china-based-cib-updated"]
    assert spam["origin"] == "meta"
    assert spam["accounts_by_platform"]["x"] > 0 and spam["assets"]["text"] > 0


def test_every_x_profile_link_of_a_file_becomes_an_x_account(meta_catalogue):
    cat, _, _ = meta_catalogue
    assets = cat.assets()
    for f in _indicator_files():
        # Counted from the raw file with a plain pattern, independently of the parser.
        handles = set()
        for line in f.read_text(encoding="utf-8-sig").splitlines():
            m = re.search(r"(?:twitter|x)\[?\.\]?com/([A-Za-z0-9_]+)", line)
            if m and m.group(1).lower() not in ("i", "hashtag", "search", "intent", "home"):
                handles.add(m.group(1).lower())
        got = assets.filter(
            pa.compute.and_(
                pa.compute.equal(assets["operation"], meta_name(f)),
                pa.compute.equal(assets["platform"], "x"),
            )
        )
        assert set(got["value"].to_pylist()) == handles, f.name


def test_assets_are_refanged_and_keep_their_row(meta_catalogue):
    cat, _, _ = meta_catalogue
    a = cat.assets().to_pylist()
    for r in a:
        if r["kind"] in ("domain", "url", "handle", "account", "email", "ip"):
            assert "[" not in r["value"] and "hxxp" not in r["value"], r
        if r["kind"] in ("domain", "handle"):
            assert r["value"] == r["value"].lower()
        if r["kind"] != "procedure":
            assert r["source"] and r["source_row"] >= 2
    # A row's number is its line in the file: check one against the file itself.
    row = next(r for r in a if r["kind"] == "domain" and r["value"] == "gagauzia24.info")
    lines = (META / row["source"]).read_text(encoding="utf-8-sig").splitlines()
    assert "gagauzia24[.]info" in lines[row["source_row"] - 1]


def test_unreadable_rows_are_named_by_file_row_and_field(tmp_path):
    f = tmp_path / "Q9_2030_Test_CIB_network.csv"
    f.write_text(
        "Tactic,Technique,Procedure,Indicator\n"
        '0. A,0.6 Acquiring domains,0.6.2 Acquiring domains,"good[.]com\n"\n'  # spans 2 lines
        "0. A,0.9 X,0.9.4 Acquiring X / Twitter accounts,https:///nobody\n"
        "0. A,0.9 X,0.9.4 Acquiring X / Twitter accounts,https://x.com/ok,extra,more\n"
        ",,,\n"
        "0. A,0.9 X,0.9.4 Acquiring X / Twitter accounts,https://x[.]com/Fine\n",
        encoding="utf-8",
    )
    op, problems = read_meta(f)
    assert [(p.file, p.row, p.field) for p in problems] == [
        (f.name, 4, "Indicator"),
        (f.name, 5, "*"),
    ]
    assert "host" in problems[0].reason and "6 fields" in problems[1].reason
    got = {(a["kind"], a["value"], a["source_row"]) for a in op.assets if a["kind"] != "procedure"}
    assert got == {("domain", "good.com", 2), ("handle", "fine", 7)}


def test_the_catalogue_persists_and_reimporting_replaces(tmp_path):
    path = tmp_path / "cat"
    cat = Catalogue(path, create=True)
    import_meta(cat, [SPAMOUFLAGE])
    first = Catalogue(path).assets().num_rows
    import_meta(Catalogue(path), [SPAMOUFLAGE, META / "Q1_2023_Iran-based_CIB_network.csv"])
    again = Catalogue(path)
    assert again.operations().num_rows == 2
    spam = meta_name(SPAMOUFLAGE)
    assert again.assets([spam]).num_rows == first
    again.remove([spam])
    assert Catalogue(path).names() == [meta_name(META / "Q1_2023_Iran-based_CIB_network.csv")]
    with pytest.raises(CatalogueError, match="not an unmask catalogue"):
        Catalogue(tmp_path / "nothing")


# -- matching on hand-made stores --------------------------------------------------------


def _store(tmp_path: Path, rows: list[dict]) -> Store:
    path = tmp_path / "posts.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(
            fh, ["platform", "activity_id", "account_id", "handle", "time", "kind", "text"]
        )
        w.writeheader()
        for i, r in enumerate(rows):
            w.writerow(
                {"activity_id": f"a{i}", "time": 1_700_000_000 + 60 * i, "kind": "post", **r}
            )
    store = Store(tmp_path / "store", create=True)
    ingest_file(
        store,
        path,
        format="generic",
        options={"detect_language": False, "map": "account.handle=handle"},
    )
    return store


def _nodes(clusters: dict[str, list[tuple[str, str]]]) -> pa.Table:
    rows = [
        {"platform": p, "account_id": a, "cluster_id": c}
        for c, accs in clusters.items()
        for p, a in accs
    ]
    return pa.Table.from_pylist(rows)


def _post(account: str, text: str, platform: str = "x", handle: str | None = None) -> dict:
    return {"platform": platform, "account_id": account, "handle": handle or account, "text": text}


def _known(operation: str, assets: list[tuple[str, str | None, str]]) -> pa.Table:
    """A catalogue's assets table: (kind, platform, value) of one known operation."""
    return pa.Table.from_pylist(
        [
            {"operation": operation, "kind": k, "platform": p, "value": v, "item": v}
            | {"display": v, "weight": 1.0}
            for k, p, v in assets
        ]
    )


def test_a_shared_look_alike_domain_weighs_and_a_shared_youtube_does_not(tmp_path):
    # Twenty ordinary accounts link YouTube, fifty post other things; cluster "a" also
    # links a domain only it uses.
    rows = [_post(f"q{i}", "hello") for i in range(50)]
    rows += [_post(f"o{i}", f"watch https://youtube.com/watch?v={i}") for i in range(20)]
    for i in range(3):
        rows.append(_post(f"a{i}", "news https://spiegel.ltd/a.html"))
        rows.append(_post(f"a{i}", "https://youtube.com/watch?v=zz"))
        rows.append(_post(f"b{i}", "https://youtube.com/watch?v=yy"))
    store = _store(tmp_path, rows)
    known = _known("old-op", [("domain", None, "spiegel.ltd"), ("domain", None, "youtube.com")])
    nodes = _nodes(
        {"a": [("x", f"a{i}") for i in range(3)], "b": [("x", f"b{i}") for i in range(3)]}
    )
    with DuckDBEngine(store) as eng:
        links = lineage.link_operations(eng, nodes, known, report_score=0.0).to_pylist()
    by = {r["cluster_id"]: r for r in links}
    assert by["a"]["linked"] and not by["b"]["linked"]
    weights = {m["item"]: m["weight"] for m in by["a"]["matches"]}
    assert weights["spiegel.ltd"] == 1.0
    # youtube.com: 3 of the 26 accounts that link it are in "a", which is 3 of the 76
    # accounts: its share beyond what its size gives it.
    lift = (3 / 26 - 3 / 76) / (1 - 3 / 76)
    assert weights["youtube.com"] == pytest.approx(lift, abs=1e-4)
    assert by["b"]["score"] == pytest.approx(lift, abs=1e-4)
    assert (
        "likely the same actor as old-op" in by["a"]["reason"]
        and "spiegel.ltd" in by["a"]["reason"]
    )


def test_spamouflage_round_trip_against_the_whole_meta_catalogue(tmp_path, meta_catalogue):
    """A small store made from the Spamouflage file's own indicators (its accounts post
    its titles and links) is linked to it, and to no other known operation; ordinary
    accounts that post other things are linked to nothing."""
    cat, _, _ = meta_catalogue
    op, _ = read_meta(SPAMOUFLAGE)
    accounts = [
        a
        for a in op.assets
        if a["kind"] == "handle" and a["platform"] in ("x", "medium", "reddit", "tiktok")
    ]
    texts = [a["display"] for a in op.assets if a["kind"] == "text" and len(a["display"]) >= 30]
    urls = [a["value"] for a in op.assets if a["kind"] == "url"]
    rows = []
    for i, a in enumerate(accounts[:40]):
        rows.append(
            {
                "platform": a["platform"],
                "account_id": f"s{i}",
                "handle": a["value"],
                "text": texts[i % len(texts)],
            }
        )
        rows.append(
            {
                "platform": a["platform"],
                "account_id": f"s{i}",
                "handle": a["value"],
                "text": "see " + urls[i % len(urls)],
            }
        )
    for i in range(40):
        rows.append(
            {
                "platform": "x",
                "account_id": f"o{i}",
                "handle": f"plain_person_{i}",
                "text": f"lunch today was very good number {i} indeed, see https://youtube.com/watch?v={i}",
            }
        )
    store = _store(tmp_path, rows)
    nodes = _nodes(
        {
            "spam": [(a["platform"], f"s{i}") for i, a in enumerate(accounts[:40])],
            "ordinary": [("x", f"o{i}") for i in range(40)],
        }
    )
    with DuckDBEngine(store) as eng:
        links = lineage.link_operations(eng, nodes, cat)
    linked = links.filter(links["linked"]).to_pylist()
    assert [(r["cluster_id"], r["known_operation"]) for r in linked] == [
        ("spam", meta_name(SPAMOUFLAGE))
    ]
    kinds = {k["kind"]: k for k in linked[0]["by_kind"]}
    assert (
        kinds["account"]["items"] == 40 and kinds["text"]["items"] > 0 and kinds["url"]["items"] > 0
    )
    assert "ordinary" not in links["cluster_id"].to_pylist()


# -- the simulated comeback --------------------------------------------------------------

TAKEDOWN = "2024-03-11 00:00:00+00"  # day 7 of the recidivism scenario


def _period(src: Store, dst: Path, before: bool) -> Store:
    """The store as a platform's export of one period (before or after the takedown): its
    activities, the accounts active in it and the follow edges that touch them (with
    their followers' records), and those accounts' sign-up records; before the takedown,
    only what existed by then."""
    st = Store(dst, create=True)
    cut = f"TIMESTAMPTZ '{TAKEDOWN}'"
    in_time = f"time < {cut}" if before else f"time >= {cut}"
    for b in src.batch_ids():
        out = st.batches_dir / b
        out.mkdir(parents=True)
        shutil.copy(src.batches_dir / b / "manifest.json", out)
        con = duckdb.connect()
        for table in ("activities", "accounts", "follows", "infrastructure"):
            files = sorted((src.batches_dir / b).glob(f"{table}-*.parquet"))
            con.execute(
                f"CREATE VIEW {table} AS SELECT * FROM read_parquet({[str(f) for f in files]})"
            )
        con.execute(f"CREATE TABLE act AS SELECT * FROM activities WHERE {in_time}")
        con.execute("CREATE TABLE active AS SELECT DISTINCT platform, account_id FROM act")
        existed = f"(time IS NULL OR time < {cut})" if before else "true"
        con.execute(
            f"""CREATE TABLE fol AS SELECT f.* FROM follows f
                WHERE {existed} AND (
                  (platform, followee_id) IN (SELECT (platform, account_id) FROM active)
                  OR (platform, follower_id) IN (SELECT (platform, account_id) FROM active))"""
        )
        created = f"created_at < {cut}" if before else "true"
        con.execute(
            f"""CREATE TABLE acc AS SELECT * FROM accounts
                WHERE {created} AND (platform, account_id) IN (
                    SELECT (platform, account_id) FROM active
                    UNION SELECT (platform, follower_id) FROM fol
                    UNION SELECT (platform, followee_id) FROM fol)"""
        )
        con.execute(
            f"""CREATE TABLE inf AS SELECT * FROM infrastructure
                WHERE {existed} AND (platform, account_id) IN (SELECT (platform, account_id) FROM acc)"""
        )
        for table, made in (
            ("activities", "act"),
            ("accounts", "acc"),
            ("follows", "fol"),
            ("infrastructure", "inf"),
        ):
            con.execute(f"COPY {made} TO '{out / f'{table}-00000.parquet'}' (FORMAT parquet)")
    return Store(dst)


def _members_truth(world: Path, nodes: pa.Table) -> dict[str, Counter]:
    """Each cluster's accounts by truth: an operation id, a hard-negative group or ordinary."""
    con = duckdb.connect()
    con.register("nodes", nodes)
    out: dict[str, Counter] = {}
    for cid, lab, n in con.sql(
        f"""SELECT n.cluster_id, coalesce(t.operation_id, t."group", 'ordinary'), count(*)
            FROM nodes n LEFT JOIN '{world / "truth" / "accounts.parquet"}' t
              USING (platform, account_id) GROUP BY 1, 2"""
    ).fetchall():
        out.setdefault(cid, Counter())[lab] = n
    return out


def _majority(counts: Counter) -> str:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


@pytest.fixture(scope="module")
def comeback(tmp_path_factory):
    from unmask.simulate.world import simulate

    root = tmp_path_factory.mktemp("recidivism")
    world = root / "world"
    simulate(world, load_scenario("recidivism"), seed=1)
    full = Store(world / "store")
    before = _period(full, root / "before", before=True)
    after = _period(full, root / "after", before=False)
    # One family suffices until the schedule/identity/audience signals are in detect's
    # defaults: the judgement with two families finds no operation yet.
    detect(before, root / "run1", DetectConfig(likely=0.0))
    cat = Catalogue(root / "cat", create=True)
    with DuckDBEngine(before) as eng:
        cat.add(lineage.operations_from_run(eng, root / "run1", "week1"))
    result = detect(after, root / "run2", DetectConfig(likely=0.0, catalogue=str(root / "cat")))
    truth = json.loads((world / "truth" / "operations.json").read_text())
    ops = truth if isinstance(truth, list) else truth["operations"]
    lineage_of = {o["id"]: o.get("lineage_of") for o in ops}
    return {
        "root": root,
        "world": world,
        "result": result,
        "catalogue": cat,
        "known_members": (
            km := _members_truth(world, pq.read_table(root / "run1" / "nodes.parquet"))
        ),
        "new_members": (
            nm := _members_truth(world, pq.read_table(root / "run2" / "nodes.parquet"))
        ),
        "known": {c: _majority(v) for c, v in km.items()},
        "new": {c: _majority(v) for c, v in nm.items()},
        "links": pq.read_table(root / "run2" / "lineage.parquet"),
        "lineage_of": lineage_of,
    }


def test_the_scenario_records_the_comebacks(comeback):
    ops = json.loads((comeback["world"] / "truth" / "operations.json").read_text())
    ops = ops if isinstance(ops, list) else ops["operations"]
    by = {o["id"]: o for o in ops}
    assert by["spamouflage-2"]["lineage_of"] == "spamouflage-1"
    assert by["spamouflage-2"]["reused"]["tasks_reposted"] > 0
    reused = set(by["doppelganger-2"]["reused"]["domains"])
    assert reused and reused <= set(by["doppelganger-1"]["domains"])
    assert "lineage_of" not in by["careful-1"]


def test_the_comeback_is_linked_to_its_earlier_self(comeback):
    links, known, new = comeback["links"], comeback["known"], comeback["new"]
    entry_truth = {f"week1/{c}": lab for c, lab in known.items()}
    linked = links.filter(links["linked"]).to_pylist()
    nodes = pq.read_table(comeback["root"] / "run2" / "nodes.parquet")
    size = Counter(nodes["cluster_id"].to_pylist())
    spam2 = [c for c, lab in new.items() if lab == "spamouflage-2"]
    spam2_linked = [
        r
        for r in linked
        if new[r["cluster_id"]] == "spamouflage-2"
        and entry_truth[r["known_operation"]] == "spamouflage-1"
    ]
    covered = sum(size[c] for c in {r["cluster_id"] for r in spam2_linked})
    print(
        f"spamouflage-2: {covered} of {sum(size[c] for c in spam2)} clustered accounts in linked clusters"
    )
    # The comeback's main cluster is linked; a few small clusters (2 to 5 accounts, with a
    # handful of posts) share too little to be (89 % of its clustered accounts at seed 1).
    assert max(spam2, key=lambda c: size[c]) in {r["cluster_id"] for r in spam2_linked}
    assert covered >= 0.85 * sum(size[c] for c in spam2)
    best = max(spam2_linked, key=lambda r: r["score"])
    kinds = {k["kind"] for k in best["by_kind"] if k["evidence"] > 0.5}
    # New accounts: linked by what it posts, not by who posts it.
    assert {"text", "url"} <= kinds and "account" not in kinds
    dop2 = [r for r in linked if new[r["cluster_id"]] == "doppelganger-2"]
    print(
        "doppelganger-2 links:",
        [(r["cluster_id"], size[r["cluster_id"]], r["score"]) for r in dop2],
    )
    assert dop2 and all(entry_truth[r["known_operation"]] == "doppelganger-1" for r in dop2)


def test_nothing_is_linked_across_actors(comeback):
    """Every link joins a cluster to an entry of an actor among the cluster's own accounts
    (the same operation, its earlier self, or the same authentic group seen in both weeks).
    Figures: links by (the cluster's majority truth, the entry's majority truth)."""
    links, known, new, members, lin = (
        comeback["links"],
        comeback["known"],
        comeback["new"],
        comeback["new_members"],
        comeback["lineage_of"],
    )
    linked = links.filter(links["linked"]).to_pylist()
    wrong = []
    for r in linked:
        b = known[r["known_operation"].split("/", 1)[1]]
        inside = set(members[r["cluster_id"]])
        if b not in inside and not any(lin.get(a) == b for a in inside):
            wrong.append((r["cluster_id"], dict(members[r["cluster_id"]]), r["known_operation"], b))
    tally = Counter(
        (new[r["cluster_id"]], known[r["known_operation"].split("/", 1)[1]]) for r in linked
    )
    print("links by (cluster truth, known truth):", dict(tally))
    print(
        "clusters not linked:",
        Counter(new[c] for c in new if c not in {r["cluster_id"] for r in linked}),
    )
    assert wrong == []
    # The operations are never linked to an authentic group's entry, nor the reverse.
    ops = {"spamouflage-1", "spamouflage-2", "doppelganger-1", "doppelganger-2", "careful-1"}
    for a, b in tally:
        assert (a in ops) == (b in ops), (a, b)


def test_detect_writes_the_links_and_puts_them_in_operations_json(comeback):
    run = comeback["root"] / "run2"
    assert (run / "lineage.parquet").exists() and (run / "lineage.json").exists()
    ops = json.loads((run / "operations.json").read_text())
    spam = [o for o in ops if comeback["new"][o["cluster_id"]] == "spamouflage-2"]
    assert any(
        lk["reason"].startswith("likely the same actor as week1/")
        for o in spam
        for lk in o["lineage"]
    )
    run_json = json.loads((run / "run.json").read_text())
    assert "lineage" in run_json["seconds"]


def test_a_comeback_must_name_an_earlier_operation_taken_down():
    base = """
[world]
days = 14
[population]
users = 100
[[population.regions]]
name = "r"
utc_offset = "+00:00"
weight = 1.0
languages = { en = 1.0 }
[[operations]]
id = "a"
type = "doppelganger"
%s
[[operations]]
id = "b"
type = "doppelganger"
start_day = 7
[operations.lineage]
of = "%s"
"""
    parse_scenario(base % ("end_day = 7", "a"))
    with pytest.raises(
        ScenarioError, match=r"operations\[1\]\.lineage\.of: 'zz' is not an operation"
    ):
        parse_scenario(base % ("end_day = 7", "zz"))
    with pytest.raises(ScenarioError, match="must be taken down"):
        parse_scenario(base % ("", "a"))


def test_known_operations_that_share_assets_are_related(meta_catalogue):
    """Meta's Doppelganger file repeats domains of its September 2022 China/Russia file:
    the same actor under two names, found by the catalogue alone."""
    cat, _, _ = meta_catalogue
    related = lineage.related_known(cat).to_pylist()
    a = meta_name(
        META / "2022_09_removing_coordinated_inauthentic_behavior_from_china_and_russia.csv"
    )
    b = meta_name(META / "Q2_2023_Doppelganger_Russia_based_CIB_network_updated.csv")
    pair = next(r for r in related if {r["a"], r["b"]} == {a, b})
    # The shared domains, counted from the catalogue's own rows.
    assets = cat.assets([a, b]).to_pylist()
    doms = [
        {r["value"] for r in assets if r["kind"] == "domain" and r["operation"] == x}
        for x in (a, b)
    ]
    assert {"kind": "domain", "items": len(doms[0] & doms[1])} in pair["by_kind"]
    assert len(doms[0] & doms[1]) > 100 and pair["score"] >= 1.0


def test_the_command_line_names_related_known_operations(meta_catalogue):
    from clirun import invoke

    cat, _, _ = meta_catalogue
    said = invoke("catalogue", "related", "--catalogue", cat.path)
    pairs = lineage.related_known(cat).to_pylist()
    assert f"{len(pairs)} related pair(s)" in said and len(pairs) > 0
    a, b = pairs[0]["a"], pairs[0]["b"]
    assert f"{a} ~ {b}:" in " ".join(said.split())


def test_the_command_line_imports_adds_lists_and_links(comeback, tmp_path):
    from typer.testing import CliRunner

    from unmask.cli import app

    runner = CliRunner()
    cat = tmp_path / "cat"
    r = runner.invoke(app, ["catalogue", "import", str(SPAMOUFLAGE), "--catalogue", str(cat)])
    assert r.exit_code == 0, r.output
    run1, run2 = comeback["root"] / "run1", comeback["root"] / "run2"
    r = runner.invoke(
        app, ["catalogue", "add-run", str(run1), "--name", "w1", "--catalogue", str(cat)]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["catalogue", "list", "--catalogue", str(cat), "--json"])
    listed = json.loads(r.stdout)
    assert {x["name"] for x in listed} == set(Catalogue(cat).names())
    judged = pq.read_table(run1 / "clusters.parquet")
    assert sum(x["origin"] == "unmask" for x in listed) == sum(judged["operation"].to_pylist())
    out = tmp_path / "run2"
    shutil.copytree(run2, out)
    (out / "lineage.parquet").unlink()
    r = runner.invoke(app, ["catalogue", "link", str(out), "--catalogue", str(cat)])
    assert r.exit_code == 0, r.output
    links = pq.read_table(out / "lineage.parquet")
    assert links.filter(links["linked"]).num_rows > 0
    r = runner.invoke(app, ["catalogue", "list", "--catalogue", str(tmp_path / "none")])
    assert r.exit_code == 2 and "not an unmask catalogue" in " ".join(r.output.split())


def test_same_links_on_spark(tmp_path):
    pytest.importorskip("pyspark")
    from unmask.engine.spark import SparkEngine

    rows = [_post(f"q{i}", "hello") for i in range(30)]
    for i in range(4):
        rows.append(_post(f"a{i}", "news https://spiegel.ltd/a.html #Wahrheit", handle=f"ha{i}"))
        rows.append(
            _post(
                f"a{i}",
                "Sanctions backfire: 45 European factories close their doors!!",
                handle=f"ha{i}",
            )
        )
        rows.append(_post(f"q{i}", "https://youtube.com/watch?v=1 #wahrheit"))
    store = _store(tmp_path, rows)
    known = _known(
        "old",
        [
            ("domain", None, "spiegel.ltd"),
            ("url", None, "https://spiegel.ltd/a.html"),
            ("hashtag", None, "wahrheit"),
            ("handle", "x", "ha0"),
            ("text", None, "Sanctions backfire: 45 European factories close their doors"),
        ],
    )
    nodes = _nodes(
        {"a": [("x", f"a{i}") for i in range(4)], "q": [("x", f"q{i}") for i in range(4)]}
    )

    def run(engine) -> list:
        links = lineage.link_operations(engine, nodes, known, report_score=0.0).to_pylist()
        return sorted(
            (
                r["cluster_id"],
                r["known_operation"],
                round(r["score"], 6),
                r["linked"],
                sorted((k["kind"], k["items"], round(k["evidence"], 6)) for k in r["by_kind"]),
            )
            for r in links
        )

    with DuckDBEngine(store) as duck:
        expected = run(duck)
    spark = SparkEngine(store)
    try:
        got = run(spark)
    finally:
        spark.close()
    assert got == expected
    kinds = {k for k, _, _ in expected[0][4]}
    assert (
        expected[0][:2] == ("a", "old") and {"account", "domain", "url", "hashtag", "text"} <= kinds
    )


def test_detect_settings_name_the_catalogue_and_a_missing_one_fails_first(tmp_path):
    conf = tmp_path / "detect.toml"
    conf.write_text('[lineage]\ncatalogue = "known"\n')
    assert DetectConfig.load(conf).catalogue == "known"
    conf.write_text('[lineage]\ncatalog = "known"\n')
    with pytest.raises(ValueError, match=r"\[lineage\] has no setting 'catalog'"):
        DetectConfig.load(conf)
    store = _store(tmp_path, [{"platform": "x", "account_id": "a", "handle": "a", "text": "hi"}])
    with pytest.raises(CatalogueError, match="not an unmask catalogue"):
        detect(store, tmp_path / "run", DetectConfig(catalogue=str(tmp_path / "nothing")))
    assert not (tmp_path / "run").exists()
