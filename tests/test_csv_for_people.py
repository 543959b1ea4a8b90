"""CSV files for people hold no formula (issue #18, "Security").

Handles and profile links are chosen by the accounts' owners. A handle such as
``=HYPERLINK(...)`` reached takedown.csv verbatim and became a live formula in a
spreadsheet. Here six operation accounts of a small world call themselves by formulas;
after detect, export and network, no cell of any CSV starts a formula, the Parquet files
keep the values as they are, and numbers stay numbers.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from clirun import invoke
from hypothesis import given, settings
from hypothesis import strategies as st

from unmask.export.sheet import neutralise, write_table

HOSTILE = [
    '=HYPERLINK("http://evil.example/x","click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
PLAIN_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")


def live_formulas(path: Path) -> list[str]:
    """The cells of a CSV file that a spreadsheet would read as a formula."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [
            cell
            for row in csv.reader(fh)
            for cell in row
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not PLAIN_NUMBER.match(cell)
        ]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> Path:
    """A small world in which six operation accounts renamed themselves to formulas (an
    account observation newer than the world's), then detect, export and network."""
    root = tmp_path_factory.mktemp("csv-for-people")
    world = root / "world"
    invoke("simulate", "--out", world, "--scenario", "small", "--seed", 1, "--scale", 0.3)
    truth = pq.read_table(world / "truth" / "accounts.parquet").to_pylist()
    members = sorted(
        (a["platform"], a["account_id"])
        for a in truth
        if a["operation_id"] == "spamouflage-1"
        and a["platform"] == "x"
        and a["role"] in ("poster", "amplifier")
    )[:6]
    renamed = root / "renamed.csv"
    with open(renamed, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["platform", "account_id", "kind", "handle", "url", "observed_at"])
        for (platform, account_id), handle in zip(members, HOSTILE, strict=True):
            w.writerow([platform, account_id, "account", handle, handle, "2026-06-01T00:00:00Z"])
    invoke(
        "ingest", renamed, "--store", world / "store", "--format", "generic",
        "--option", "table=accounts",
    )  # fmt: skip
    run = root / "run"
    invoke("detect", "--store", world / "store", "--out", run, "--no-record")
    invoke("export", "--run", run, "--out", root / "export")
    invoke("network", "--store", world / "store", "--on", "parent", "--out", root / "edges.csv")
    return root


def test_the_takedown_list_keeps_the_values_in_parquet_and_neutralises_the_csv(hostile_run):
    run = hostile_run / "run"
    handles = pq.read_table(run / "takedown.parquet")["handle"].to_pylist()
    assert HOSTILE[0] in handles, "the renamed accounts are in an operation"
    with open(run / "takedown.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert "'" + HOSTILE[0] in {r["handle"] for r in rows}
    assert {r["url"] for r in rows} >= {"'" + HOSTILE[0]}
    # Numbers are numbers: the scores are written unquoted and read back as floats.
    assert all(0 < float(r["operation_probability"]) <= 1 for r in rows)
    flagged = pq.read_table(run / "flagged.parquet")
    assert flagged.num_rows == len(rows)


@pytest.mark.parametrize(
    "name",
    ["run/takedown.csv", "run/flagged.csv", "export/indicators.csv", "export/graphs", "edges.csv"],
)
def test_no_csv_for_people_holds_a_formula(hostile_run, name):
    path = hostile_run / name
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    assert files and all(f.stat().st_size > 0 for f in files)
    for f in files:
        assert live_formulas(f) == [], f


def test_the_exports_read_the_untouched_values(hostile_run):
    """STIX (from takedown.parquet) names the account by its handle as it is."""
    bundle = json.loads((hostile_run / "export" / "bundle.json").read_text(encoding="utf-8"))
    logins = {o.get("account_login") for o in bundle["objects"] if o["type"] == "user-account"}
    assert HOSTILE[0] in logins


@settings(deadline=None)
@given(
    texts=st.lists(st.one_of(st.none(), st.text()), min_size=1, max_size=20),
    numbers=st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=20),
)
def test_a_table_for_people_neutralises_text_and_keeps_numbers(tmp_path_factory, texts, numbers):
    n = min(len(texts), len(numbers))
    table = pa.table(
        {
            "text": pa.array(texts[:n], pa.string()),
            "n": pa.array(numbers[:n], pa.int64()),
            "x": pc.negate(pa.array([float(v) / 7 for v in numbers[:n]])),
        }
    )
    path = write_table(table, tmp_path_factory.mktemp("sheet") / "t.csv")
    assert live_formulas(path) == []
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row, text, number in zip(rows, texts, numbers, strict=False):
        if text is not None:
            assert row["text"] == neutralise(text)
            assert row["text"].removeprefix("'") == text or row["text"] == text
        assert int(row["n"]) == number
        assert float(row["x"]) == pytest.approx(-number / 7)


def test_plain_numbers_and_ordinary_text_are_left_alone():
    for value in ("-1001234567890", "+12", "-0.5", "1e-3", "hello", "", "a=b", "#tag"):
        assert neutralise(value) == value
    for value in [*HOSTILE, "-", "+", "@", "=", "-x", "+1+1", "+33 1 23"]:
        assert neutralise(value) == "'" + value


def test_every_csv_for_people_is_written_by_the_one_helper():
    """No module writes a CSV by itself: unmask.export.sheet neutralises every one."""
    src = Path(__file__).resolve().parents[1] / "src" / "unmask"
    writers = ("pacsv.write_csv(", "csv.writer(", "csv.DictWriter(", "CSVWriter(")
    found = [
        str(p.relative_to(src))
        for p in sorted(src.rglob("*.py"))
        if p != src / "export" / "sheet.py" and any(w in p.read_text() for w in writers)
    ]
    assert found == []
