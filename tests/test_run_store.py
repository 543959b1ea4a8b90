"""A run finds its store from any folder, and says so when it cannot (issue #18, "Honest,
portable runs"): run.json keeps the store's absolute path and a fingerprint of its batches;
report and export fail, naming the path, when the store is missing or has changed since the
run, and go on without it only when asked (saying what is left out)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from unmask.cli import app
from unmask.store import Store

FIXTURES = Path(__file__).resolve().parent / "fixtures"
runner = CliRunner()


def unmask(*args: object):
    result = runner.invoke(app, [str(a) for a in args])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), f"traceback: {result.exception!r}\n{result.output}"
    return result


@pytest.fixture(scope="module")
def made(small_world, tmp_path_factory) -> tuple[Path, Path]:
    """A run made with a relative --store, from the folder that holds the store."""
    work = tmp_path_factory.mktemp("portable")
    shutil.copytree(small_world / "store", work / "store")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)
        args = ["detect", "--store", "store", "--out", "run", "--signals", "content"]
        result = unmask(*args, "--no-record")
    assert result.exit_code == 0, result.output
    return work / "run", work / "store"


def copied_examples(report_dir: Path) -> int:
    model = json.loads((report_dir / "report.json").read_text())
    return sum(len(op["evidence"]["copied"]) for op in model["operations"])


def test_run_json_has_the_absolute_path_and_a_fingerprint(made):
    run, store = made
    info = json.loads((run / "run.json").read_text())
    assert info["store"] == str(store.resolve())
    assert info["store_fingerprint"] == Store(store).fingerprint()


def test_report_and_export_from_elsewhere(made, tmp_path, monkeypatch):
    run, store = made
    monkeypatch.chdir(tmp_path)
    ok = unmask("report", "--run", run, "--out", "report")
    assert ok.exit_code == 0, ok.output
    found = copied_examples(tmp_path / "report")
    assert found > 0

    moved = tmp_path / "moved-store"
    shutil.move(store, moved)
    for command in ("report", "export"):
        out = tmp_path / f"{command}-missing"
        failed = unmask(command, "--run", run, "--out", out)
        said = " ".join(failed.output.split())
        assert failed.exit_code == 2, failed.output
        assert str(store.resolve()) in said and "--without-store" in said
        assert not out.exists()  # nothing half-written

    # Told where it is now: the same report.
    ok = unmask("report", "--run", run, "--out", "report-moved", "--store", moved)
    assert ok.exit_code == 0, ok.output
    assert copied_examples(tmp_path / "report-moved") == found

    # Asked to go on without it: said on stderr and in the report.
    ok = unmask("report", "--run", run, "--out", "report-without", "--without-store")
    assert ok.exit_code == 0, ok.output
    assert "copied-content examples" in " ".join(ok.stderr.split())
    model = json.loads((tmp_path / "report-without" / "report.json").read_text())
    assert any("without the run's store" in m for m in model["missing"])
    assert copied_examples(tmp_path / "report-without") == 0
    told = {op["topics"]["method"] for op in model["operations"]}
    assert told == {"copied-content families"}
    assert all("without the run's store" in op["topics"]["why"] for op in model["operations"])
    ok = unmask("export", "--run", run, "--out", "export-without", "--without-store")
    assert ok.exit_code == 0 and "asset kinds" in " ".join(ok.stderr.split())

    # A store that changed since the run is not the data the run read.
    from unmask.ingest import ingest_file

    ingest_file(Store(moved), FIXTURES / "reddit_pushshift.ndjson")
    failed = unmask("export", "--run", run, "--out", "export-changed", "--store", moved)
    assert failed.exit_code == 2 and "has changed since the run" in failed.output
    # and the catalogue, which links a run's clusters through its store, says the same
    cat = tmp_path / "catalogue"
    for command, *more in (("add-run", "--name", "found"), ("link",)):
        linked = unmask("catalogue", command, run, *more, "--catalogue", cat, "--store", moved)
        assert linked.exit_code == 2 and "has changed since the run" in linked.output, command
