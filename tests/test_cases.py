"""The case store on real engines: SQLite, and a PostgreSQL server this session starts from
the machine's PostgreSQL binaries (Debian's ``postgresql`` package).

Runs are real ``detect`` runs on the small simulated world with the coordination signals
and ``likely=0.0`` (every cluster an operation: with coordination alone the calibrated
judgement calls nothing inauthentic). Besides the whole world, two windows of it are detected: its first days
(``early``) and the rest (``late``), so that a re-run sees the same operations with assets
added and removed, the way new data does.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner
from worldscore import COORDINATION

from unmask.cases import MATCH_THRESHOLD, CaseStore, CaseStoreError, resolve_url
from unmask.store import Manifest, Store

CUT = "2024-03-07"


# -- runs -----------------------------------------------------------------------------------


def _window(src: Store, dst: Path, start: str | None, end: str | None) -> Store:
    """A copy of ``src`` with only the activities in [start, end); accounts and follows all."""
    out = Store(dst, create=True)
    con = src.connect()
    cond = " AND ".join(
        c
        for c in (
            start and f"time >= TIMESTAMPTZ '{start}'",
            end and f"time < TIMESTAMPTZ '{end}'",
        )
        if c
    )
    with out.write_batch("window") as w:
        w.write("accounts", con.sql("SELECT * FROM account_observations").to_arrow_table())
        w.write("follows", con.sql("SELECT * FROM follows").to_arrow_table())
        w.write("infrastructure", con.sql("SELECT * FROM infrastructure").to_arrow_table())
        w.write("activities", con.sql(f"SELECT * FROM activities WHERE {cond}").to_arrow_table())
        w.manifest = Manifest(file_id="window", path=str(src.path), adapter="window")
    return out


def _detect(store: Store, run: Path) -> Path:
    from unmask.detect import DetectConfig, detect

    detect(store, run, DetectConfig(signals=COORDINATION, likely=0.0))
    return run


@pytest.fixture(scope="session")
def runs(small_world, tmp_path_factory) -> dict[str, Path]:
    """``full``: the whole world; ``again``: the whole world detected a second time;
    ``early`` and ``late``: its first days and the rest (coordination signals, one family
    enough: many cases, fast)."""
    base = tmp_path_factory.mktemp("case-runs")
    src = Store(small_world / "store")
    return {
        "full": _detect(src, base / "full"),
        "again": _detect(src, base / "again"),
        "early": _detect(_window(src, base / "early-store", None, CUT), base / "early"),
        "late": _detect(_window(src, base / "late-store", CUT, None), base / "late"),
    }


def operations(run: Path) -> dict[str, set[tuple[str, str]]]:
    """The run's operations and their assets, read plainly from its files."""
    ops = {
        r["cluster_id"]
        for r in pq.read_table(run / "clusters.parquet").to_pylist()
        if r["operation"]
    }
    out: dict[str, set[tuple[str, str]]] = {c: set() for c in ops}
    for r in pq.read_table(run / "nodes.parquet").to_pylist():
        if r["cluster_id"] in ops:
            out[r["cluster_id"]].add((r["platform"], r["account_id"]))
    return out


# -- engines --------------------------------------------------------------------------------


def _pg_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return versions[-1].parent if versions else None


def _unavailable(reason: str) -> None:
    # CI sets UNMASK_REQUIRE_POSTGRES=1 after installing the server: there, missing is a failure.
    if os.environ.get("UNMASK_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required here (UNMASK_REQUIRE_POSTGRES=1): {reason}")
    pytest.skip(f"{reason}; `apt-get install -y postgresql` and `pip install psycopg[binary]`")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throw-away PostgreSQL server for the session: initdb into a temporary folder and
    pg_ctl on a free port (as the ``postgres`` user when running as root, which PostgreSQL
    refuses); its URL without a database."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("the psycopg driver is not installed")
    bindir = _pg_bindir()
    if bindir is None:
        _unavailable("no PostgreSQL server binaries (pg_ctl) found")
    root = Path(tempfile.mkdtemp(prefix="unmask-pg-"))
    as_user: dict = {"cwd": root}
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("running as root and there is no postgres user to run the server")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        as_user |= {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data, log = root / "data", root / "server.log"
    pg_ctl = str(bindir / "pg_ctl")
    subprocess.run(
        [str(bindir / "initdb"), "-D", str(data), "-U", "unmask", "--auth=trust",
         "-E", "UTF8", "--no-sync"],
        check=True, capture_output=True, **as_user,
    )  # fmt: skip
    started = subprocess.run(
        [pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
         f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
        capture_output=True, text=True, **as_user,
    )  # fmt: skip
    if started.returncode:
        text = log.read_text() if log.exists() else ""
        pytest.fail(f"PostgreSQL did not start: {started.stderr}\n{text}")
    try:
        yield f"postgresql+psycopg://unmask@127.0.0.1:{port}"
    finally:
        subprocess.run([pg_ctl, "-D", str(data), "-m", "immediate", "stop"], check=False, **as_user)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:
    """A fresh database on the session's server."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{postgres_server}/{name}"
    finally:
        with admin.connect() as con:
            con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cases.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(url) -> Iterator[CaseStore]:
    cs = CaseStore(url)
    yield cs
    cs.close()


def live(cs: CaseStore) -> list[dict]:
    return [c for c in cs.list_cases() if c["status"] != "merged"]


def assets_of(cs: CaseStore, case_id: int) -> set[tuple[str, str]]:
    return {(a["platform"], a["account_id"]) for a in cs.case(case_id)["assets"]}


# -- tests ----------------------------------------------------------------------------------


def test_record_makes_one_case_per_operation_with_its_assets_and_evidence(store, runs):
    ops = operations(runs["full"])
    rec = store.record_run(runs["full"])
    assert not rec.already_recorded
    assert sorted(rec.clusters) == sorted(ops)
    assert len(rec.new_cases) == len(ops) == len(store.list_cases())
    for cluster, (case_id, how, _) in rec.clusters.items():
        assert how == "new"
        case = store.case(case_id)
        assert assets_of(store, case_id) == ops[cluster]
        assert case["asset_count"] == len(ops[cluster])
        assert [r["cluster_id"] for r in case["runs"]] == [cluster]
        assert case["runs"][0]["figures"]["cluster_id"] == cluster
        assert case["status"] == "open"
    # The evidence summary counts what a plain reading of the run's rows counts.
    case_id = rec.clusters[max(ops, key=lambda c: len(ops[c]))][0]
    cluster = next(c for c, v in rec.clusters.items() if v[0] == case_id)
    for ev in store.case(case_id)["evidence"]:
        edges = pq.read_table(
            runs["full"] / "evidence" / ev["signal"] / "edges.parquet"
        ).to_pylist()
        inside = [
            e for e in edges
            if (e["platform_a"], e["account_a"]) in ops[cluster]
            and (e["platform_b"], e["account_b"]) in ops[cluster]
        ]  # fmt: skip
        assert ev["edges"] == len(inside)
        events = pq.read_table(
            runs["full"] / "evidence" / ev["signal"] / "events.parquet"
        ).to_pylist()
        acts = {
            a
            for e in events
            if (e["platform_a"], e["account_a"]) in ops[cluster]
            and (e["platform_b"], e["account_b"]) in ops[cluster]
            for a in (e["activity_a"], e["activity_b"])
            if a is not None
        }
        assert ev["activities"] == len(acts)
        assert set(ev["example_activities"]) <= acts
        assert f"evidence/{ev['signal']}/events.parquet" in ev["files"]
    assert any(ev["edges"] for ev in store.case(case_id)["evidence"])
    # Recording the same run again changes nothing.
    again = store.record_run(runs["full"])
    assert again.already_recorded and again.clusters.keys() == rec.clusters.keys()
    assert len(store.list_cases()) == len(ops)


def test_rerun_updates_cases_and_keeps_decisions(store, runs):
    first = store.record_run(runs["full"])
    ids = sorted({c for c, _, _ in first.clusters.values()})
    confirmed, dismissed, down = ids[0], ids[1], ids[2]
    store.decide(confirmed, "confirmed", analyst="ana", note="shared domains, same shifts")
    store.decide(dismissed, "dismissed", analyst="ben", note="a fan club")
    store.decide(down, "taken_down", analyst="ana", note="removed 2024-03-20")
    again = store.record_run(runs["again"])
    # The same world detected again: every operation lands on its case, none is new.
    assert again.new_cases == [] and again.merged == []
    assert {c for c, _, _ in again.clusters.values()} == set(ids)
    cases = {c["id"]: c for c in store.list_cases()}
    assert len(cases) == len(ids)
    assert cases[confirmed]["status"] == "confirmed"
    assert cases[dismissed]["status"] == "dismissed"
    # No activity after the takedown in the same data: it did not come back.
    assert cases[down]["status"] == "taken_down" and again.returned_cases == []
    assert all(cases[i]["run_count"] == 2 for i in ids)
    log = store.case(confirmed)["decisions"]
    assert [(d["decision"], d["analyst"], d["note"]) for d in log] == [
        ("confirmed", "ana", "shared domains, same shifts")
    ]


def test_new_data_adds_and_removes_assets_without_duplicate_cases(store, runs):
    """Early days, then the whole world, then the late days: fragments found early are
    folded into the operation they belong to, the cases grow by the new assets, and the
    late run adds no case for an operation already known."""
    early = store.record_run(runs["early"])
    full_ops = operations(runs["full"])
    full = store.record_run(runs["full"])
    # Every operation of the whole world is one case, holding the early fragments' assets.
    by_case: dict[int, set[str]] = {}
    for cluster, (case_id, _, _) in full.clusters.items():
        by_case.setdefault(case_id, set()).add(cluster)
    assert all(len(v) == 1 for v in by_case.values())
    live_ids = {c["id"] for c in live(store)}
    assert live_ids == set(by_case) | {
        c for c, _, _ in early.clusters.values() if c not in {m for m, _ in full.merged}
    }
    for merged, into in full.merged:
        case = store.case(merged)
        assert case["status"] == "merged" and case["merged_into"] == into
        assert assets_of(store, merged) <= assets_of(store, into)
        assert case["decisions"][-1]["analyst"] == "unmask"
    assert full.merged, "the early run should find fragments of the whole world's operations"
    for cluster, (case_id, _, _) in full.clusters.items():
        assert full_ops[cluster] <= assets_of(store, case_id)
    # The late run: each operation goes to the case it shares the most assets with, when
    # they overlap enough (the definition, in plain Python over the cases as they were),
    # and only operations overlapping no case open new ones.
    before = {c["id"]: assets_of(store, c["id"]) for c in live(store)}
    late_ops = operations(runs["late"])
    late = store.record_run(runs["late"])
    for cluster, assets in late_ops.items():
        fits = [
            (len(assets & known), len(assets & known) / min(len(assets), len(known)), -case_id)
            for case_id, known in before.items()
            if len(assets & known) / min(len(assets), len(known)) >= MATCH_THRESHOLD
        ]
        case_id, how, _ = late.clusters[cluster]
        if not fits:
            assert how == "new" and case_id not in before
            continue
        assert how == "updated"
        assert case_id == -max(fits)[2]
        case = store.case(case_id)
        seen_late = {
            (a["platform"], a["account_id"]) for a in case["assets"] if a["last_run"] == late.run_id
        }
        assert assets <= seen_late
    assert any(v[1] == "updated" for v in late.clusters.values())
    # Assets not seen late stay in their case, with their older last run.
    kept = [
        a for c in {v[0] for v in late.clusters.values() if v[1] == "updated"}
        for a in store.case(c)["assets"] if a["last_run"] != late.run_id
    ]  # fmt: skip
    assert kept
    # A late operation that spans two known cases folds one into the other.
    for merged, into in late.merged:
        case = store.case(merged)
        assert case["status"] == "merged" and case["merged_into"] == into
        assert assets_of(store, merged) <= assets_of(store, into)
    live_after = {c["id"] for c in live(store)}
    assert len(live_after) == len(before) + len(late.new_cases) - len(late.merged)


def test_decided_fragment_is_not_merged_and_taken_down_case_returns(store, runs):
    early = store.record_run(runs["early"])
    ids = sorted({c for c, _, _ in early.clusters.values()})
    # An analyst has judged every early case: none may be folded into another.
    for i in ids:
        store.decide(i, "taken_down", analyst="ana", note="batch takedown")
    full = store.record_run(runs["full"])
    assert full.merged == []
    assert full.related, "clusters that also match a decided case say so"
    full_ops = operations(runs["full"])
    for cluster, case_id, shared, status in full.related:
        assert status == "taken_down"
        assert shared == len(assets_of(store, case_id) & full_ops[cluster])
        own = full.clusters[cluster][0]
        row = next(
            r for r in store.case(own)["runs"]
            if r["run_id"] == full.run_id and r["cluster_id"] == cluster
        )  # fmt: skip
        assert (case_id, shared) in {(a["case_id"], a["shared"]) for a in row["matched"]["also"]}
    # The whole world runs past the early days: the taken-down operations were active after
    # their takedown, so they are back.
    assert full.returned_cases
    for case_id in full.returned_cases:
        case = store.case(case_id)
        assert case["status"] == "returned"
        log = case["decisions"]
        assert [d["decision"] for d in log] == ["taken_down", "returned"]
        assert log[0]["analyst"] == "ana" and log[1]["analyst"] == "unmask"
        assert case["activity_last"] > case["takedown_activity_last"]
    # Taken down again, and the same data recorded again: no new return.
    back = full.returned_cases[0]
    store.decide(back, "taken_down", analyst="ana", note="second takedown")
    store.record_run(runs["again"])
    assert store.case(back)["status"] == "taken_down"


def test_asset_decision_is_kept_across_runs(store, runs):
    rec = store.record_run(runs["full"])
    case_id = next(iter(rec.clusters.values()))[0]
    asset = store.case(case_id)["assets"][0]
    store.decide(
        case_id, "dismissed", analyst="ana", note="a real journalist",
        asset=(asset["platform"], asset["account_id"]),
    )  # fmt: skip
    store.record_run(runs["again"])
    after = next(
        a for a in store.case(case_id)["assets"]
        if (a["platform"], a["account_id"]) == (asset["platform"], asset["account_id"])
    )  # fmt: skip
    assert after["decision"] == "dismissed" and after["decided_by"] == "ana"
    assert after["runs_seen"] == 2
    assert store.case(case_id)["status"] == "open"
    with pytest.raises(CaseStoreError, match="no asset"):
        store.decide(case_id, "dismissed", analyst="ana", asset=("x", "no-such-account"))


def test_concurrent_decisions_are_all_kept(url, runs):
    with CaseStore(url) as cs:
        case_id = next(iter(cs.record_run(runs["full"]).clusters.values()))[0]
    per_analyst = 15
    barrier = threading.Barrier(2, timeout=60)
    errors: list[BaseException] = []

    def analyst(name: str, decision: str) -> None:
        # Each analyst has their own engine: separate sessions, as two people would.
        with CaseStore(url) as mine:
            barrier.wait()
            try:
                for i in range(per_analyst):
                    mine.decide(case_id, decision, analyst=name, note=f"{name} {i}")
            except BaseException as exc:  # pragma: no cover - the assertion says it
                errors.append(exc)

    threads = [
        threading.Thread(target=analyst, args=("ana", "confirmed")),
        threading.Thread(target=analyst, args=("ben", "dismissed")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with CaseStore(url) as cs:
        case = cs.case(case_id)
        log = case["decisions"]
        assert len(log) == 2 * per_analyst
        assert {d["note"] for d in log} == {
            f"{n} {i}" for n in ("ana", "ben") for i in range(per_analyst)
        }
        # The case's status is the last decision in the log.
        assert case["status"] == log[-1]["decision"]


def test_concurrent_records_of_one_run_make_no_duplicates(url, runs):
    results = []
    barrier = threading.Barrier(2, timeout=60)

    def record() -> None:
        # Both open a store that does not exist yet: one makes the tables, the other waits.
        with CaseStore(url) as mine:
            barrier.wait()
            results.append(mine.record_run(runs["full"]))

    threads = [threading.Thread(target=record) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.already_recorded for r in results) == [False, True]
    with CaseStore(url) as cs:
        assert len(cs.list_cases()) == len(operations(runs["full"]))


def test_newer_schema_and_foreign_database_are_refused(url):
    CaseStore(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as con:
        con.execute(sa.text("UPDATE unmask_schema SET version = 99"))
    engine.dispose()
    with pytest.raises(CaseStoreError, match=r"schema version 99.*upgrade unmask"):
        CaseStore(url)


def test_a_store_of_schema_version_1_is_migrated_and_keeps_its_cases(url, runs):
    """Version 2 added the judgement's tier to cases and runs: a version 1 store gains the
    columns when opened (old cases have none until a run sees them again)."""
    # The tiers the run gave its operations (which tier depends on the shipped model).
    tiers = {
        r["tier"]
        for r in pq.read_table(runs["full"] / "clusters.parquet").to_pylist()
        if r["operation"]
    }
    assert tiers and None not in tiers
    with CaseStore(url) as cs:
        cs.record_run(runs["full"])
        before = {c["id"]: c["title"] for c in cs.list_cases()}
        assert {c["tier"] for c in cs.list_cases()} == tiers
    engine = sa.create_engine(url)
    with engine.begin() as con:  # what a version 1 store looked like
        con.execute(sa.text("ALTER TABLE cases DROP COLUMN tier"))
        con.execute(sa.text("ALTER TABLE case_runs DROP COLUMN tier"))
        con.execute(sa.text("UPDATE unmask_schema SET version = 1"))
    engine.dispose()
    with CaseStore(url) as cs:
        old = cs.list_cases()
        assert {c["id"]: c["title"] for c in old} == before
        assert {c["tier"] for c in old} == {None}
        cs.record_run(runs["again"])
        assert {c["tier"] for c in live(cs)} == tiers
    engine = sa.create_engine(url)
    with engine.connect() as con:
        assert con.execute(sa.text("SELECT max(version) FROM unmask_schema")).scalar() == 3
    engine.dispose()


def test_account_ids_of_any_length_are_kept(url, runs, tmp_path):
    """PostgreSQL enforced the old VARCHAR(256) on account ids (SQLite did not): a run whose
    takedown list names a 300-character id failed to record there."""
    run = tmp_path / "long-run"
    shutil.copytree(runs["full"], run)
    short = pq.read_table(run / "takedown.parquet")["account_id"][0].as_py()
    long_id = "x" * 300
    # The account renamed everywhere in the run (its nodes, takedown list and evidence).
    for path in run.rglob("*.parquet"):
        table = pq.read_table(path)
        for col in ("account_id", "account_a", "account_b"):
            if col in table.column_names:
                ids = pc.if_else(pc.equal(table[col], short), long_id, table[col])
                table = table.set_column(table.schema.get_field_index(col), col, ids)
        pq.write_table(table, path)
    with CaseStore(url) as cs:
        cs.record_run(run)
        assets = {a["account_id"] for c in cs.list_cases() for a in cs.case(c["id"])["assets"]}
    assert long_id in assets


def test_foreign_tables_are_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as con:
        con.execute(sa.text("CREATE TABLE cases (x INTEGER)"))
    engine.dispose()
    with pytest.raises(CaseStoreError, match="not an unmask case store"):
        CaseStore(url)


def test_bad_input_is_refused(tmp_path, runs):
    with CaseStore(f"sqlite:///{tmp_path / 'c.sqlite'}") as cs:
        with pytest.raises(CaseStoreError, match=r"no run\.json"):
            cs.record_run(tmp_path)
        with pytest.raises(CaseStoreError, match="no case-7"):
            cs.decide(7, "confirmed", analyst="ana")
        cs.record_run(runs["full"])
        with pytest.raises(CaseStoreError, match="unknown decision"):
            cs.decide(1, "deleted", analyst="ana")
        with pytest.raises(CaseStoreError, match="analyst"):
            cs.decide(1, "confirmed", analyst=" ")
        with pytest.raises(CaseStoreError, match="not a case id"):
            cs.case("op-1")


def test_url_resolution(tmp_path):
    assert resolve_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url(tmp_path / "x.sqlite") == f"sqlite:///{tmp_path / 'x.sqlite'}"
    # Inside the store: two stores in one folder keep their own cases.
    assert resolve_url(None, tmp_path / "world" / "store") == (
        f"sqlite:///{tmp_path / 'world' / 'store' / 'cases.sqlite'}"
    )
    assert resolve_url(None, tmp_path / "world" / "other") == (
        f"sqlite:///{tmp_path / 'world' / 'other' / 'cases.sqlite'}"
    )
    # A case store an older unmask made next to the store is still found.
    (tmp_path / "world").mkdir()
    (tmp_path / "world" / "cases.sqlite").write_bytes(b"")
    assert resolve_url(None, tmp_path / "world" / "store") == (
        f"sqlite:///{tmp_path / 'world' / 'cases.sqlite'}"
    )
    with pytest.raises(CaseStoreError, match="--cases"):
        resolve_url(None, None)


def test_cli_detect_records_and_cases_commands(small_world, tmp_path, monkeypatch):
    from unmask.cli import app

    # The world is read-only: copy its store so that the default case store, inside the
    # store, lands in this test's folder.
    world = tmp_path / "world"
    shutil.copytree(small_world / "store", world / "store")
    config = tmp_path / "detect.toml"
    config.write_text('[judge]\nlikely = 0.0\n[signals]\nrun = ["content"]\n')
    monkeypatch.delenv("UNMASK_CASES", raising=False)
    runner = CliRunner()
    res = runner.invoke(
        app, ["detect", "--store", str(world / "store"), "--out", str(tmp_path / "run"),
              "--config", str(config)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    db = world / "store" / "cases.sqlite"
    assert db.exists()
    with CaseStore(f"sqlite:///{db}") as cs:
        n = len(cs.list_cases())
        assert n == len(operations(tmp_path / "run")) > 0
    res = runner.invoke(app, ["cases", "list", "--store", str(world / "store")])
    assert res.exit_code == 0, res.output
    assert "case-1" in res.output
    res = runner.invoke(
        app, ["cases", "decide", "case-1", "--decision", "confirmed", "--note", "checked by hand",
              "--analyst", "ana", "--cases", str(db)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["cases", "show", "1", "--cases", str(db), "--json"])
    assert res.exit_code == 0, res.output
    shown = json.loads(res.output)
    assert shown["status"] == "confirmed"
    assert shown["decisions"][0]["note"] == "checked by hand"
    # Recording the run again by hand (into the default store of the activity store that
    # run.json names) finds it recorded; listing by status filters.
    res = runner.invoke(app, ["cases", "record", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    assert "already recorded" in " ".join(res.output.split())
    assert str(db) in "".join(res.output.split())
    monkeypatch.setenv("UNMASK_CASES", str(db))
    res = runner.invoke(app, ["cases", "list", "--status", "open", "--json"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.output)) == n - 1
    foreign = tmp_path / "foreign.sqlite"
    engine = sa.create_engine(f"sqlite:///{foreign}")
    with engine.begin() as con:
        con.execute(sa.text("CREATE TABLE decisions (x INTEGER)"))
    engine.dispose()
    res = runner.invoke(app, ["cases", "record", str(tmp_path / "run"), "--cases", str(foreign)])
    assert res.exit_code == 2 and "not an unmask case store" in " ".join(res.output.split())
    res = runner.invoke(app, ["cases", "show", "99"])
    assert res.exit_code == 2 and "no case-99" in " ".join(res.output.split())


def test_a_new_sqlite_case_store_opened_at_once_by_several(tmp_path):
    # Switching a new SQLite file to WAL does not wait for locks as transactions do: before
    # it was retried, about one round in ten failed here with "database is locked".
    for round_ in range(60):
        url = f"sqlite:///{tmp_path}/cases-{round_}.sqlite"
        errors: list[Exception] = []

        def open_store(url: str = url, errors: list[Exception] = errors) -> None:
            try:
                with CaseStore(url) as cs:
                    assert cs.list_cases() == []
            except Exception as exc:  # collected: the assertion below names it
                errors.append(exc)

        threads = [threading.Thread(target=open_store) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [], f"round {round_}: {errors[0]!r}"
