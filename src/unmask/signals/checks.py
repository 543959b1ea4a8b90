"""The conformance checks every signal passes, as scikit-learn's ``check_estimator`` does
for estimators: a plugin's author runs :func:`check_signal` on their signal, and the test
suite runs it on every registered one (``tests/test_signal_conformance.py``).

Each check raises ``AssertionError`` with what is wrong:

* :func:`check_metadata`: the class declares a name, a family the judgement knows, a label,
  a reference, DISARM techniques and Meta kill-chain procedures that exist, and the
  schemas of its evidence tables;
* :func:`check_params`: parameters are keyword arguments with defaults, stored as given,
  and round-trip through ``get_params``/``set_params`` and ``repr``;
* :func:`check_rejects_out_of_range`: a signal with a range check (``_check``) rejects an
  absurd value (a huge negative number) of some parameter with ValueError, and nothing
  else;
* :func:`check_kill_chain_entries`: the kill-chain procedures the signal's hook names for
  an operation are among those it declares;
* :func:`check_evidence`: a run returns :class:`Evidence` whose edges, events, scores and
  tables have their declared schemas and this signal's name;
* :func:`check_same_on_spark`: the same edges and scores on Spark as on DuckDB.
"""

from __future__ import annotations

import inspect
import math
import re
from typing import Any

import pyarrow as pa

from unmask.engine.base import Engine
from unmask.export import ttp
from unmask.judgement import FAMILIES
from unmask.signals.base import EDGE_SCHEMA, EVENT_SCHEMA, SCORE_SCHEMA, Evidence, Signal

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PROCEDURE = re.compile(r"^(\d+)\.(\d+)\.\d+ \S")
STANDARD = {"edges": EDGE_SCHEMA, "events": EVENT_SCHEMA, "scores": SCORE_SCHEMA}
# A value no parameter with a range can take: a count, a share, a time or a threshold.
ABSURD = -(10**9)


def check_signal(signal: Signal, engine: Engine | None = None) -> Evidence | None:
    """Every check on ``signal`` (and a run on ``engine``'s store when given): the
    evidence of that run, or None."""
    check_metadata(type(signal))
    check_params(signal)
    check_rejects_out_of_range(signal)
    return check_evidence(signal, engine) if engine is not None else None


def check_metadata(cls: type[Signal]) -> None:
    where = f"{cls.__module__}.{cls.__qualname__}"
    name = cls.__dict__.get("name")
    assert isinstance(name, str) and NAME.match(name), f"{where}: name {name!r}"
    assert cls.kind in ("edges", "scores"), f"{name}: kind {cls.kind!r}"
    assert cls.family in FAMILIES, f"{name}: family {cls.family!r} is not one of {FAMILIES}"
    for attr in ("label", "reference"):
        value = getattr(cls, attr)
        assert isinstance(value, str) and value.strip(), f"{name}: no {attr}"
    for attr in ("defines_groups", "default", "spark"):
        assert isinstance(getattr(cls, attr), bool), f"{name}: {attr} is not a bool"
    assert isinstance(cls.order, int), f"{name}: order {cls.order!r}"
    assert 0 <= cls.score_threshold <= 1, f"{name}: score_threshold {cls.score_threshold}"
    unknown = [t for t in cls.disarm if t not in ttp.DISARM_TECHNIQUES]
    assert isinstance(cls.disarm, tuple) and not unknown, f"{name}: DISARM ids {unknown}"
    assert isinstance(cls.kill_chain, tuple), f"{name}: kill_chain is not a tuple"
    for procedure in cls.kill_chain:
        m = PROCEDURE.match(procedure)
        assert m and m.group(1) in ttp.META_TACTICS, f"{name}: procedure {procedure!r}"
        technique = f"{m.group(1)}.{m.group(2)}"
        assert technique in ttp.META_TECHNIQUES, f"{name}: {procedure!r}: no technique name"
    assert isinstance(cls.empty_tables, dict), f"{name}: empty_tables is not a dict"
    for table, schema in cls.empty_tables.items():
        assert NAME.match(table) and table not in STANDARD, f"{name}: table name {table!r}"
        assert isinstance(schema, pa.Schema), f"{name}: table {table}: not a pyarrow schema"
    assert cls.report_section is None or NAME.match(cls.report_section), (
        f"{name}: report_section {cls.report_section!r}"
    )
    configured = cls.configurations()
    assert configured, f"{name}: no configurations"
    names = [s.signal_name for s in configured]
    assert len(set(names)) == len(names), f"{name}: configurations share a name: {names}"
    for sig in configured:
        assert type(sig) is cls, f"{name}: a configuration of another class: {sig!r}"
        n = sig.signal_name
        assert n == name or n.startswith(f"{name}_"), f"{name}: evidence named {n!r}"


def check_params(signal: Signal) -> None:
    cls, name = type(signal), signal.name
    params = signal.get_params()
    assert list(params) == cls.param_names(), f"{name}: get_params {list(params)}"
    init = inspect.signature(cls.__init__).parameters
    missing = [p for p in params if init[p].default is inspect.Parameter.empty]
    assert not missing, f"{name}: parameters without a default: {missing}"
    # Stored as given (no conversion in __init__), so that set_params means the same.
    again = cls(**params)
    assert _same(again.get_params(), params), f"{name}: __init__ changes {params}"
    reset = cls().set_params(**params)
    assert _same(reset.get_params(), params), f"{name}: set_params does not round-trip"
    rebuilt = eval(repr(signal), {cls.__name__: cls})
    assert _same(rebuilt.get_params(), params), f"{name}: repr does not round-trip: {signal!r}"
    try:
        cls().set_params(no_such_parameter=1)
    except ValueError:
        pass
    else:
        raise AssertionError(f"{name}: set_params takes an unknown parameter")
    cls(**params)._check()


def check_rejects_out_of_range(signal: Signal) -> list[str]:
    """The parameters whose absurd value ``_check`` rejects (none for a signal with no
    range check)."""
    cls, name = type(signal), signal.name
    if cls._check is Signal._check:
        return []
    rejected = []
    for p, value in signal.get_params().items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        bad = cls(**signal.get_params()).set_params(**{p: ABSURD})
        try:
            bad._check()
        except ValueError:
            rejected.append(p)
        except Exception as exc:
            raise AssertionError(f"{name}: {p}={ABSURD} raised {exc!r}, not ValueError") from exc
    assert rejected, f"{name}: _check accepts {ABSURD} for every numeric parameter"
    return rejected


def check_kill_chain_entries(cls: type[Signal], op: dict[str, Any]) -> None:
    """The hook's procedures for an operation's figures ``op`` are among ``kill_chain``."""
    for procedure, evidence in cls.kill_chain_entries(op):
        assert procedure in cls.kill_chain, f"{cls.name}: undeclared procedure {procedure!r}"
        assert isinstance(evidence, str) and evidence, f"{cls.name}: {procedure}: no evidence"


def check_evidence(signal: Signal, engine: Engine) -> Evidence:
    """Run ``signal`` on ``engine`` and check what comes back; the evidence."""
    name = signal.signal_name
    ev = signal.run(engine)
    assert isinstance(ev, Evidence), f"{name}: run returned {type(ev).__name__}"
    assert ev.signal == name, f"{name}: evidence named {ev.signal!r}"
    assert _same(ev.params, signal.get_params()), f"{name}: evidence params differ"
    for part, schema in STANDARD.items():
        table = getattr(ev, part)
        assert table.schema.equals(schema), f"{name}: {part} schema\n{table.schema}"
        labels = set(table.column("signal").to_pylist())
        assert labels <= {name}, f"{name}: {part} labelled {sorted(labels)}"
    if signal.kind == "scores" and ev.scores.num_rows:
        scores = ev.scores.column("score").to_pylist()
        assert all(0 <= s <= 1 for s in scores), f"{name}: a score outside [0, 1]"
    undeclared = sorted(set(ev.tables) - set(signal.empty_tables))
    assert not undeclared, f"{name}: tables not in empty_tables: {undeclared}"
    for table, schema in signal.empty_tables.items():
        if table in ev.tables:
            got = ev.tables[table].schema
            assert got.equals(schema), f"{name}: table {table} schema\n{got}\nnot\n{schema}"
    return ev


def check_same_on_spark(signal: Signal, duckdb: Engine, spark: Engine) -> None:
    """The same edges (pairs, counts, weights) and scores on Spark as on DuckDB."""
    name = signal.signal_name
    expected, got = signal.run(duckdb), signal.run(spark)
    pair = ["platform_a", "account_a", "platform_b", "account_b"]
    for part, key, values in (
        ("edges", pair, ["count", "weight"]),
        ("scores", ["platform", "account_id"], ["score"]),
    ):
        a = _rows(getattr(expected, part), key, values)
        b = _rows(getattr(got, part), key, values)
        assert a.keys() == b.keys(), f"{name}: {part} differ on Spark: {len(a)} vs {len(b)}"
        for k, row in a.items():
            assert all(_close(x, y) for x, y in zip(row, b[k], strict=True)), (
                f"{name}: {part} {k}: {row} on DuckDB, {b[k]} on Spark"
            )


def _rows(table: pa.Table, key: list[str], values: list[str]) -> dict[tuple, tuple]:
    return {tuple(r[k] for k in key): tuple(r[v] for v in values) for r in table.to_pylist()}


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Parameters equal, NaN equal to NaN."""
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k]))
        for k in a
    )
