"""Every registered signal passes the conformance checks (``unmask.signals.checks``), as
scikit-learn runs ``check_estimator`` on every estimator: declared metadata, parameters that
round-trip and validate, evidence of the declared schemas on a simulated world, and the
same evidence on Spark. The checks themselves catch a signal that breaks each rule."""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa
import pytest

from unmask.engine.base import Engine
from unmask.engine.duckdb import DuckDBEngine
from unmask.signals import checks, registry
from unmask.signals.base import EDGE_SCHEMA, Evidence, Signal
from unmask.store import Store

SIGNALS = registry.available_signals()
# Spark parity on the small world for two quick signals, one of scores and one of edges:
# Spark takes 10-90 s a signal here (all sixteen: over twenty minutes on this machine).
# Each signal's own test file has its parity test on a small store made for it.
SPARK = ("identity", "infra")


def _ids(signal: Signal) -> str:
    return signal.signal_name


@pytest.mark.parametrize("signal", SIGNALS, ids=_ids)
def test_metadata_and_parameters(signal):
    checks.check_metadata(type(signal))
    checks.check_params(signal)


@pytest.mark.parametrize("signal", SIGNALS, ids=_ids)
def test_an_absurd_value_is_rejected_before_the_run(signal):
    rejected = checks.check_rejects_out_of_range(signal)
    # Every built-in signal has a range check, so that detect refuses a bad setting
    # before any signal runs.
    assert rejected, f"{signal.name}: no range check"


# An operation's figures on which every built-in hook names its procedures: accounts
# vouched for by every signal on three platforms, an edited family on three platforms,
# a shift pattern.
PLATFORMS = {"facebook": 2, "instagram": 2, "x": 2}
OPERATION = {
    "assets": {
        "by_platform": {p: {"account": n} for p, n in PLATFORMS.items()},
        "by_signal": {s.signal_name: 6 for s in SIGNALS},
        "by_signal_platform": {s.signal_name: PLATFORMS for s in SIGNALS},
    },
    "narratives": [{"family_id": "f1", "variants": 3, "platforms": sorted(PLATFORMS), "posts": 9}],
    "schedule": {"shift_pattern": True, "description": "Mon–Fri 09:00–17:00"},
    "pushed": {},
}


@pytest.mark.parametrize("signal", SIGNALS, ids=_ids)
def test_the_kill_chain_hook_names_declared_procedures(signal):
    checks.check_kill_chain_entries(type(signal), OPERATION)
    if signal.kill_chain:
        assert list(type(signal).kill_chain_entries(OPERATION)), signal.name


@pytest.fixture(scope="module")
def world(small_world):
    with DuckDBEngine(Store(small_world / "store")) as eng:
        yield eng


@pytest.mark.parametrize("signal", SIGNALS, ids=_ids)
def test_evidence_has_the_declared_schemas(signal, world):
    checks.check_evidence(signal, world)


@pytest.fixture(scope="module")
def spark_pair(small_world):
    pytest.importorskip("pyspark")
    from unmask.engine.spark import SparkEngine

    store = Store(small_world / "store")
    spark = SparkEngine(store)
    with DuckDBEngine(store) as duck:
        yield duck, spark
    spark.close()


@pytest.mark.parametrize(
    "signal", [s for s in SIGNALS if s.spark and s.signal_name in SPARK], ids=_ids
)
def test_same_evidence_on_spark(signal, spark_pair):
    checks.check_same_on_spark(signal, *spark_pair)


# -- the checks catch what they are for --------------------------------------------------


class _Good(Signal):
    name = "good"
    label = "a test signal"
    reference = "none"

    def __init__(self, window: float = 60.0, names: tuple[str, ...] = ("a",)) -> None:
        self.window = window
        self.names = names

    def _check(self) -> None:
        if float(self.window) <= 0:
            raise ValueError("window must be positive")

    def _run(self, engine: Engine, ev: Evidence) -> None:
        ev.edges = EDGE_SCHEMA.empty_table()


def test_a_signal_that_follows_the_rules_passes():
    checks.check_metadata(_Good)
    checks.check_params(_Good())
    assert checks.check_rejects_out_of_range(_Good()) == ["window"]


@pytest.mark.parametrize(
    "attrs",
    [
        {"family": "astrology"},
        {"label": ""},
        {"disarm": ("T9999",)},
        {"kill_chain": ("6.2 Amplifying",)},
        {"kill_chain": ("4.9.1 Not a technique Meta names",)},
        {"empty_tables": {"edges": EDGE_SCHEMA}},
        {"name": "Bad Name"},
    ],
    ids=lambda a: next(iter(a)),
)
def test_metadata_that_is_wrong_is_caught(attrs):
    bad = type("_Bad", (_Good,), attrs)
    if "name" not in attrs:
        bad.name = "bad"
    with pytest.raises(AssertionError):
        checks.check_metadata(bad)


class _Converts(_Good):
    name = "converts"

    def __init__(self, window: float = 60.0, names: tuple[str, ...] = ("a",)) -> None:
        super().__init__(float(window) * 1000, tuple(names))


class _NoDefault(_Good):
    name = "no_default"

    def __init__(self, window: float) -> None:
        self.window = window


class _TypeErrorCheck(_Good):
    name = "type_error"

    def _check(self) -> None:
        raise TypeError("not a ValueError")


class _WrongTables(_Good):
    name = "wrong_tables"
    empty_tables: ClassVar[dict[str, pa.Schema]] = {"units": pa.schema([("n", pa.int64())])}

    def _run(self, engine: Engine, ev: Evidence) -> None:
        ev.tables["units"] = pa.table({"n": pa.array([1.5])})
        ev.tables["extra"] = pa.table({"n": pa.array([1])})


def test_parameters_that_do_not_round_trip_are_caught():
    with pytest.raises(AssertionError, match="__init__ changes"):
        checks.check_params(_Converts())
    with pytest.raises(AssertionError, match="without a default"):
        checks.check_params(_NoDefault(window=1.0))
    with pytest.raises(AssertionError, match="not ValueError"):
        checks.check_rejects_out_of_range(_TypeErrorCheck())


def test_evidence_off_its_schemas_is_caught(world):
    with pytest.raises(AssertionError, match="tables not in empty_tables"):
        checks.check_evidence(_WrongTables(), world)
    _WrongTables.empty_tables = {
        **_WrongTables.empty_tables,
        "extra": pa.schema([("n", pa.int64())]),
    }
    try:
        with pytest.raises(AssertionError, match="table units schema"):
            checks.check_evidence(_WrongTables(), world)
    finally:
        _WrongTables.empty_tables = {"units": pa.schema([("n", pa.int64())])}
