"""`unmask detect` end to end on the small simulated world: the run directory, the
verdicts and their evidence, and the settings."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pyarrow.parquet as pq
import pytest
from worldscore import COORDINATION, group_rate

from unmask.detect import DetectConfig, detect
from unmask.evaluate import evaluate
from unmask.store import Store


def test_the_run_directory_holds_every_part(coordination_run):
    result, stages = coordination_run
    run = result.run_dir
    for name in ("run.json", "fused.parquet", "nodes.parquet", "clusters.parquet", "flagged.csv"):
        assert (run / name).exists(), name
    for signal in COORDINATION:
        assert (run / "evidence" / signal / "edges.parquet").exists()
    meta = json.loads((run / "run.json").read_text())
    assert set(meta["signals"]) == set(COORDINATION)
    assert meta["counts"]["flagged_accounts"] == result.flagged.num_rows
    assert stages[: len(COORDINATION)] == [f"signal {s}" for s in COORDINATION]


def test_every_flagged_account_is_backed_by_an_edge_inside_its_cluster(coordination_run):
    result, _ = coordination_run
    run = result.run_dir
    con = duckdb.connect()
    con.execute(f"CREATE VIEW nodes AS SELECT * FROM '{run / 'nodes.parquet'}'")
    con.execute(
        f"CREATE VIEW flagged AS SELECT * FROM read_csv('{run / 'flagged.csv'}', all_varchar=true)"
    )
    con.execute(
        f"CREATE VIEW ev AS SELECT * FROM read_parquet('{run / 'evidence'}/*/edges.parquet', union_by_name=true)"
    )
    unbacked = con.sql(
        """SELECT f.platform, f.account_id, f.signals FROM flagged f
           WHERE NOT EXISTS (
             SELECT 1 FROM ev
             JOIN nodes na ON na.platform = ev.platform_a AND na.account_id = ev.account_a
             JOIN nodes nb ON nb.platform = ev.platform_b AND nb.account_id = ev.account_b
             WHERE na.cluster_id = nb.cluster_id AND na.cluster_id = f.cluster_id
               AND ((ev.platform_a = f.platform AND ev.account_a = f.account_id)
                 OR (ev.platform_b = f.platform AND ev.account_b = f.account_id))
               AND contains(f.signals, ev.signal))"""
    ).fetchall()
    assert result.flagged.num_rows > 0
    assert unbacked == []


def test_clusters_say_why_and_flagged_is_what_evaluate_reads(coordination_run, small_world):
    result, _ = coordination_run
    clusters = pq.read_table(result.run_dir / "clusters.parquet").to_pylist()
    assert clusters and all(c["reason"] for c in clusters)
    ops = [c for c in clusters if c["operation"]]
    assert all(c["accounts"] >= 5 and "coordination" in c["families"] for c in ops)
    ev = evaluate(small_world / "truth", result.run_dir).to_dict()
    assert ev["unknown_accounts"] == 0
    # Coordination alone, one family enough: the copying operations are found, and so are
    # the fandom and the activists -- which is why the default needs two families.
    found = {o["id"]: o for o in ev["operations"]}
    assert found["spamouflage-1"]["status"] == "found"
    assert found["doppelganger-1"]["status"] == "found"
    assert group_rate(ev, "fandom") > 0.5
    assert ev["ordinary"]["flagged"] == 0


def test_coordination_alone_is_not_an_operation_where_the_data_allows_more(
    coordination_run, small_world, tmp_path
):
    """The small world has profiles and infrastructure: identity and infrastructure can
    speak, so coordination alone (the fandom, the activists) is no longer enough."""
    signals = [*COORDINATION, "identity", "infra"]
    result = detect(Store(small_world / "store"), tmp_path / "run", DetectConfig(signals=signals))
    ev = evaluate(small_world / "truth", tmp_path / "run").to_dict()
    for group in ("fandom", "activist_campaign", "breaking_news", "news_bots"):
        assert group_rate(ev, group) == 0, group
    assert ev["ordinary"]["flagged"] == 0
    assert result.operations.num_rows > 0
    lone = [c for c in result.clusters.to_pylist() if c["accounts"] >= 5 and not c["operation"]]
    assert lone and all("2 needed" in c["reason"] for c in lone)
    assert all("could be assessed" not in c["reason"] for c in result.clusters.to_pylist())


def test_without_profiles_or_infrastructure_one_family_suffices_and_says_so(coordination_run):
    """Coordination signals alone: the other families could not be assessed, so the verdict
    rests on coordination, and every reason says that it does."""
    result, _ = coordination_run
    assert result.operations.num_rows > 0
    assert all(
        "only coordination could be assessed" in c["reason"] for c in result.clusters.to_pylist()
    )


def test_settings_come_from_a_toml_file_and_mistakes_are_named(tmp_path):
    cfg_file = tmp_path / "detect.toml"
    cfg_file.write_text(
        "[fusion]\nresolution = 0.5\n[judge]\nmin_families = 3\n"
        '[signals]\nrun = ["coaction_url", "content"]\n[signals.content]\nthreshold = 0.7\n'
    )
    cfg = DetectConfig.load(cfg_file)
    assert (cfg.resolution, cfg.min_families) == (0.5, 3)
    sigs = cfg.build_signals()
    assert [s.signal_name for s in sigs] == ["coaction_url", "content"]
    assert sigs[1].threshold == 0.7
    cfg_file.write_text("[judge]\nmin_familes = 3\n")
    with pytest.raises(ValueError, match="min_familes"):
        DetectConfig.load(cfg_file)
    with pytest.raises(ValueError, match="unknown signal"):
        DetectConfig(signals=["coaction_nope"]).build_signals()
    cfg_file.write_text("[signals.content]\nthreshhold = 0.7\n")
    with pytest.raises(ValueError, match="threshhold"):
        DetectConfig.load(cfg_file).build_signals()


def test_the_command_line_runs_detect(small_world, tmp_path):
    run = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "unmask.cli",
        "detect",
        "--store",
        str(small_world / "store"),
        "--out",
        str(run),
        # the session's world is read-only: its case store goes here
        "--cases",
        str(tmp_path / "cases.sqlite"),
        "--signals",
        "coaction_url,content",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "accounts flagged" in done.stdout
    assert (run / "flagged.csv").exists()
    assert (tmp_path / "cases.sqlite").exists()
    assert not (small_world / "cases.sqlite").exists()
    bad = subprocess.run([*cmd[:-1], "nope"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "unknown signal(s) nope" in bad.stderr


# The hard negatives that show one kind of evidence (coordination): today's judgement
# leaves them alone. Those with a second kind (an office network, an event's sign-ups,
# bought followers) it does not yet: issue #17's judgement must.
ONE_KIND = ("office_workers_utc8", "breaking_news", "activist_campaign", "fandom")


@pytest.fixture(scope="module")
def default_run(small_world, tmp_path_factory) -> dict:
    run = tmp_path_factory.mktemp("default-detect") / "run"
    detect(Store(small_world / "store"), run)
    return evaluate(small_world / "truth", run).to_dict()


def test_the_default_detect_finds_the_operations_and_leaves_the_negatives(default_run):
    """Every signal with its defaults on the small world: the planted Spamouflage-like and
    Doppelganger-like operations are found, ordinary people and the hard negatives with one
    kind of evidence are not flagged (the medium world's figures are in docs/detect.md)."""
    ev = default_run
    ops = {o["id"]: o for o in ev["operations"]}
    assert ops["spamouflage-1"]["f1"] >= 0.95
    assert ops["doppelganger-1"]["f1"] >= 0.85
    assert ev["ordinary"]["flagged"] == 0
    groups = {g["group"]: g for g in ev["groups"]}
    for g in ONE_KIND:
        assert groups[g]["flagged"] == 0, g
    # The two feeds of the newsroom's own outlet post the headlines its journalists share,
    # and fall into the newsroom's cluster (measured 2 of 8); the other feeds are left alone.
    assert groups["news_bots"]["flagged"] <= 2


@pytest.mark.xfail(
    strict=True,
    reason="issue #17: the newsroom, the agency, the volunteers and the fan club show two "
    "kinds of evidence and are flagged (measured on seed 1: 38/40, 20/32, 79/80, 152/152)",
)
def test_the_default_detect_leaves_every_authentic_group_alone(default_run):
    assert default_run["overall"]["precision"] == 1.0
    for g in default_run["groups"]:
        assert g["flagged"] == 0, g["group"]
