"""A signal in a plugin package, declared under the ``unmask.signals`` entry point, is found
by the registry, listed by ``unmask signals``, passes the conformance checks and runs in
detect like a built-in one. The package is a real installed distribution: a module and its
``.dist-info`` (with ``entry_points.txt``) in a folder on ``sys.path``."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from unmask.cli import app
from unmask.detect import DetectConfig, available_signals, default_signals, detect
from unmask.engine.duckdb import DuckDBEngine
from unmask.export import report
from unmask.signals import checks, registry
from unmask.store import Store

EXAMPLE_REPORT = Path(__file__).resolve().parents[1] / "docs" / "example-report"

PLUGIN = '''
from unmask.signals.base import EDGE_SCHEMA, Signal


class SameFirstMinute(Signal):
    """Accounts whose first activity falls in the same minute."""

    name = "same_first_minute"
    label = "same first minute: accounts that started in the same minute"
    reference = "a test plugin"
    family = "identity"
    order = 500

    def __init__(self, max_pairs: int = 500) -> None:
        self.max_pairs = max_pairs

    @classmethod
    def summary_sentences(cls, op):
        n = op["assets"]["by_signal"].get(cls.name)
        return [f"{n} of them started in the same minute."] if n else []

    def _check(self) -> None:
        if int(self.max_pairs) < 1:
            raise ValueError("max_pairs must be at least 1")

    def _run(self, engine, ev) -> None:
        ev.edges = engine.fetch(f"""
            WITH first AS (
                SELECT platform, account_id, min(time) AS t FROM activities GROUP BY 1, 2)
            SELECT '{self.name}' AS signal, a.platform AS platform_a, a.account_id AS account_a,
                   b.platform AS platform_b, b.account_id AS account_b, 1.0 AS weight,
                   CAST(1 AS BIGINT) AS count, CAST(NULL AS DOUBLE) AS p_value,
                   CAST(NULL AS DOUBLE) AS q_value, a.t AS first_time, b.t AS last_time,
                   'first activity in the same minute' AS reason
            FROM first a JOIN first b
              ON date_trunc('minute', a.t) = date_trunc('minute', b.t)
             AND (a.platform, a.account_id) < (b.platform, b.account_id)
            ORDER BY 3, 5 LIMIT {int(self.max_pairs)}""").cast(EDGE_SCHEMA)
'''


def _install(folder: Path, value: str) -> None:
    """A distribution ``unmask-test-plugin`` in ``folder``: its module and its metadata."""
    (folder / "unmask_test_plugin.py").write_text(PLUGIN, encoding="utf-8")
    meta = folder / "unmask_test_plugin-0.1.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: unmask-test-plugin\nVersion: 0.1\n", encoding="utf-8"
    )
    (meta / "entry_points.txt").write_text(
        f"[unmask.signals]\nsame_first_minute = {value}\n", encoding="utf-8"
    )


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """The plugin installed on sys.path for one test; the registry forgets it after."""
    _install(tmp_path, "unmask_test_plugin:SameFirstMinute")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.signal_classes.cache_clear()
    yield
    monkeypatch.undo()
    registry.signal_classes.cache_clear()


def test_a_plugin_signal_is_found_and_listed(plugin):
    names = [s.signal_name for s in default_signals()]
    assert names[-1] == "same_first_minute"  # order 500: after the built-in ones
    assert "same_first_minute" in [s.signal_name for s in available_signals()]
    result = CliRunner().invoke(app, ["signals", "--json"])
    assert result.exit_code == 0, result.output
    listed = {s["signal"]: s for s in json.loads(result.stdout)}
    assert listed["same_first_minute"]["family"] == "identity"
    assert listed["same_first_minute"]["label"].startswith("same first minute")


def test_a_plugin_signal_passes_the_checks_and_runs_in_detect(plugin, small_world, tmp_path):
    (sig,) = [s for s in available_signals() if s.name == "same_first_minute"]
    store = Store(small_world / "store")
    with DuckDBEngine(store) as eng:
        ev = checks.check_signal(sig, eng)
    assert ev is not None and ev.edges.num_rows > 0
    run = tmp_path / "run"
    detect(store, run, DetectConfig(signals=["coaction_url", "same_first_minute"]))
    meta = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert meta["signals"]["same_first_minute"]["family"] == "identity"
    assert meta["signals"]["same_first_minute"]["edges"] == ev.edges.num_rows
    assert pq.read_table(run / "evidence" / "same_first_minute" / "edges.parquet").num_rows
    fused = pq.read_table(run / "fused.parquet").column("signals").to_pylist()
    assert any("same_first_minute" in s.split(";") for s in fused)


def test_a_plugin_signal_adds_its_sentence_to_the_summary(plugin):
    """The report's summary asks each registered signal for its sentences: a plugin's come
    in its place (after the built-in ones), from the operation's figures."""
    example = json.loads((EXAMPLE_REPORT / "report.json").read_text(encoding="utf-8"))
    op = next(o for o in example["operations"] if o["narratives"])
    before = report.summary(op)
    assert "copied-content famil(ies)" in before  # the content signal's own sentence
    op["assets"]["by_signal"]["same_first_minute"] = 4
    after = report.summary(op)
    assert after.count("4 of them started in the same minute.") == 1
    assert after.index("copied-content famil(ies)") < after.index("started in the same minute")
    assert after.replace(" 4 of them started in the same minute.", "") == before


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("unmask_test_plugin:EDGE_SCHEMA", "not a Signal class"),
        ("unmask_test_plugin:NoSuchClass", "NoSuchClass"),
    ],
)
def test_an_entry_point_that_is_not_a_signal_is_refused(tmp_path, monkeypatch, value, says):
    _install(tmp_path, value)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.signal_classes.cache_clear()
    try:
        with pytest.raises(registry.BadPlugin, match=says):
            registry.signal_classes()
    finally:
        monkeypatch.undo()
        registry.signal_classes.cache_clear()
