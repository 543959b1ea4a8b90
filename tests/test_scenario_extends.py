"""Scenario inheritance (``extends``): a variation is a small file that names its base and
says only what it changes (docs/simulator.md, "Your own scenario")."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from unmask.simulate.scenario import (
    ScenarioError,
    builtin_scenarios,
    dump_toml,
    load_scenario,
    parse_scenario,
)

ROBUSTNESS = Path(__file__).resolve().parents[1] / "benchmarks" / "robustness"
PROBES = ROBUSTNESS.parent / "probes"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_extending_without_changes_is_the_base_byte_for_byte():
    small = load_scenario("small")
    same = parse_scenario('extends = "small"\n')
    assert same.source_text == small.source_text
    assert same.operations == small.operations


def test_operations_merge_by_id_and_tables_key_by_key(tmp_path):
    sc = load_scenario(
        _write(
            tmp_path,
            "v.toml",
            """extends = "small"
[world]
infrastructure = false
[[operations]]
id = "doppelganger-1"
[operations.evasion]
aged_accounts = 0.7
[[operations]]
id = "spamouflage-2"
type = "spamouflage"
""",
        )
    )
    small = load_scenario("small")
    assert sc.world.infrastructure is False and sc.world.days == small.world.days
    assert [o.id for o in sc.operations] == [
        "spamouflage-1",
        "doppelganger-1",
        "careful-1",
        "spamouflage-2",
    ]
    dop, base_dop = sc.operations[1], small.operations[1]
    assert dop.evasion.aged_accounts == 0.7
    # The rest of the entry is the base's, and the type's defaults still apply.
    assert dop.evasion.timing_jitter_s == base_dop.evasion.timing_jitter_s == 1800.0
    assert dop.accounts_per_wave == base_dop.accounts_per_wave == 25
    assert sc.operations[0] == small.operations[0]


def test_removal_of_operations_and_negatives():
    sc = parse_scenario(
        """extends = "small"
[negatives]
fandom = false
[[operations]]
id = "careful-1"
remove = true
"""
    )
    assert [o.id for o in sc.operations] == ["spamouflage-1", "doppelganger-1"]
    assert sc.negatives.fandom is None and sc.negatives.news_bots is not None
    with pytest.raises(ScenarioError, match="no operation 'nope' to remove"):
        parse_scenario('extends = "small"\n[[operations]]\nid = "nope"\nremove = true\n')
    with pytest.raises(ScenarioError, match=r"negatives\.fandm: false removes"):
        parse_scenario('extends = "small"\n[negatives]\nfandm = false\n')


def test_the_effective_scenario_stands_on_its_own(tmp_path):
    text = 'extends = "small"\n[[operations]]\nid = "spamouflage-1"\n[operations.evasion]\naged_accounts = 1.0\n'
    sc = parse_scenario(text)
    assert "extends" not in tomllib.loads(sc.source_text)
    again = parse_scenario(sc.source_text)
    assert again.operations == sc.operations and again.source_text == sc.source_text
    # The same merged scenario from another folder and file name: the same text (and so the
    # same world key).
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert load_scenario(_write(other, "renamed.toml", text)).source_text == sc.source_text


def test_chains_and_relative_paths(tmp_path):
    _write(tmp_path, "b.toml", 'extends = "small"\n[world]\ndays = 9\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    a = _write(sub, "a.toml", 'extends = "../b.toml"\n[population]\nusers = 1234\n')
    sc = load_scenario(a)
    assert (sc.world.days, sc.population.users) == (9, 1234)
    assert sc.world.name == "small"


def test_unknown_base_and_cycles_are_errors(tmp_path):
    with pytest.raises(ScenarioError, match="unknown scenario 'smal'"):
        parse_scenario('extends = "smal"\n')
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(_write(tmp_path, "x.toml", 'extends = "missing.toml"\n'))
    _write(tmp_path, "p.toml", 'extends = "q.toml"\n')
    _write(tmp_path, "q.toml", 'extends = "p.toml"\n')
    with pytest.raises(ScenarioError, match=r"cycle: .*p\.toml -> q\.toml -> p\.toml"):
        load_scenario(tmp_path / "p.toml")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(_write(tmp_path, "self.toml", 'extends = "self.toml"\n'))


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '[[operations]]\nid = "doppelganger-1"\n[operations.evasion]\naged_accounts = 2.0\n',
            r"operations\[1\]\.evasion\.aged_accounts: must be between 0 and 1",
        ),
        ("[world]\nnope = 1\n", r"world\.nope: unknown key"),
        ('[[operations]]\ntype = "careful"\n', r"operations\[0\]\.id: missing"),
        ("extends = 3\n", "extends: expected a scenario name or path"),
    ],
)
def test_errors_inside_an_extension_name_the_key(text, message):
    if not text.startswith("extends"):
        text = 'extends = "small"\n' + text
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(text)


def test_dump_toml_round_trips_every_builtin():
    for name in builtin_scenarios():
        data = tomllib.loads(load_scenario(name).source_text)
        assert tomllib.loads(dump_toml(data)) == data


def test_benchmark_variations_are_toml_that_extend_a_base():
    files = sorted(ROBUSTNESS.glob("*.toml"))
    assert len(files) >= 14
    for path in files:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data.get("extends"), str), path.name


@pytest.mark.parametrize("path", sorted(PROBES.glob("*.toml")), ids=lambda p: p.stem)
def test_every_probe_is_a_valid_scenario(path):
    """The probes (benchmarks/probes) are read by the same loader as the grid's variations:
    one that no longer loads is caught here, not in a benchmark run."""
    scenario = load_scenario(str(path))
    assert tomllib.loads(path.read_text(encoding="utf-8"))["extends"] == "small"
    assert scenario.source_text


def test_the_grid_runs_the_export_gaps_on_the_medium_world_too(tmp_path):
    """``robustness.BEYOND_SMALL``: the variations written against the small world are made to
    extend the medium one, keeping what they change (no profiles; posts alone)."""
    import sys

    sys.path.insert(0, str(ROBUSTNESS.parent))
    try:
        import robustness
    finally:
        sys.path.remove(str(ROBUSTNESS.parent))
    medium = load_scenario("medium")
    gaps = [v for v in robustness.BEYOND_SMALL["medium"] if v != "baseline"]
    assert gaps
    for name in gaps:
        made = robustness.on_world(ROBUSTNESS / f"{name}.toml", "medium", tmp_path)
        scenario = load_scenario(str(made))
        assert scenario.world.days == medium.world.days
        assert scenario.world.profiles is False
        assert [o.id for o in scenario.operations] == [o.id for o in medium.operations]
    with pytest.raises(SystemExit, match="does not extend the small world"):
        robustness.on_world(_write(tmp_path, "m.toml", 'extends = "medium"\n'), "medium", tmp_path)


def test_a_world_from_an_extension_is_the_world_of_its_merged_scenario(tmp_path):
    from unmask.simulate.world import simulate

    files = {}
    ext = load_scenario(
        _write(
            tmp_path,
            "v.toml",
            'extends = "small"\n[world]\ndays = 3\n[[operations]]\nid = "spamouflage-1"\n'
            "[operations.evasion]\naged_accounts = 0.5\n",
        )
    )
    simulate(tmp_path / "a", ext, seed=3, scale=0.3)
    merged = load_scenario(tmp_path / "a" / "truth" / "scenario.toml")
    simulate(tmp_path / "b", merged, seed=3, scale=0.3)
    for name in "ab":
        root = tmp_path / name / "store"
        files[name] = {
            str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*.parquet"))
            if "store.json" not in p.name
        }
    assert files["a"] and files["a"] == files["b"]


def test_a_world_without_profiles_is_the_same_world_without_them(tmp_path):
    """``[world] profiles = false`` (the ``no_profiles`` variation): the same activities,
    follows and accounts, but no creation time, bio, picture, location or profile link, so
    identity cannot assess and whether groups declare their sites is not measured."""
    import duckdb

    from unmask.engine.duckdb import DuckDBEngine
    from unmask.judgement import bios_measurable
    from unmask.simulate.truth import PROFILE_COLUMNS
    from unmask.simulate.world import simulate
    from unmask.store import Store

    base = parse_scenario('extends = "small"\n[world]\ndays = 3\n')
    bare = parse_scenario('extends = "small"\n[world]\ndays = 3\nprofiles = false\n')
    assert base.world.profiles is True and bare.world.profiles is False
    simulate(tmp_path / "with", base, seed=3, scale=0.3)
    simulate(tmp_path / "without", bare, seed=3, scale=0.3)
    con = duckdb.connect()

    def read(name: str, table: str):
        glob = tmp_path / name / "store" / "batches" / "*" / f"{table}-*.parquet"
        return con.sql(f"SELECT * EXCLUDE (source_file) FROM '{glob}' ORDER BY ALL").fetchall()

    for table in ("activities", "follows"):
        assert read("with", table) == read("without", table)
    kept = "platform, account_id, handle, display_name, followers, language"
    rows = {}
    for name in ("with", "without"):
        glob = tmp_path / name / "store" / "batches" / "*" / "accounts-*.parquet"
        rows[name] = con.sql(f"SELECT {kept} FROM '{glob}' ORDER BY ALL").fetchall()
        filled = con.sql(
            f"SELECT {', '.join(f'count({c})' for c in PROFILE_COLUMNS)} FROM '{glob}'"
        ).fetchall()[0]
        assert (sum(filled) == 0) == (name == "without")
    assert rows["with"] == rows["without"]
    assert bios_measurable(DuckDBEngine(Store(tmp_path / "with" / "store")))
    assert not bios_measurable(DuckDBEngine(Store(tmp_path / "without" / "store")))


def test_a_world_without_follows_keeps_its_follower_counts(tmp_path):
    """``[world] follows = false`` (the ``posts_only`` variation): no follows table, the
    same activities, and the accounts' follower counts as they were."""
    import duckdb

    from unmask.simulate.world import simulate

    base = parse_scenario('extends = "small"\n[world]\ndays = 3\n')
    bare = parse_scenario('extends = "small"\n[world]\ndays = 3\nfollows = false\n')
    simulate(tmp_path / "with", base, seed=4, scale=0.3)
    simulate(tmp_path / "without", bare, seed=4, scale=0.3)
    con = duckdb.connect()
    batches = {n: tmp_path / n / "store" / "batches" / "*" for n in ("with", "without")}
    assert list((tmp_path / "with" / "store").rglob("follows-*.parquet"))
    assert not list((tmp_path / "without" / "store").rglob("follows-*.parquet"))
    for table, cols in (
        ("activities", "* EXCLUDE (source_file, source_row)"),
        ("accounts", "platform, account_id, followers, following"),
    ):
        got = [
            con.sql(f"SELECT {cols} FROM '{batches[n]}/{table}-*.parquet' ORDER BY ALL").fetchall()
            for n in ("with", "without")
        ]
        assert got[0] and got[0] == got[1]
