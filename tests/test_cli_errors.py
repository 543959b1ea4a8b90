"""User mistakes end in one line and a documented exit code, never a traceback (issue #18,
"A quiet, scriptable CLI"): 2 for wrong input, 1 for the rest (docs: README, "Exit codes")."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from unmask.cli import app
from unmask.errors import ConfigError, InputError, UnmaskError

runner = CliRunner()


def fails(code: int, *args: object) -> str:
    """Run ``unmask ARGS``: it must exit with ``code`` through typer, not an exception."""
    result = runner.invoke(app, [str(a) for a in args])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), f"traceback: {result.exception!r}\n{result.output}"
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory) -> Path:
    from unmask.store import Store

    path = tmp_path_factory.mktemp("tiny") / "store"
    Store(path, create=True)
    return path


def test_unknown_engine_is_a_usage_error(tiny_store, tmp_path):
    said = fails(2, "detect", "--store", tiny_store, "--out", tmp_path / "r", "--engine", "sparky")
    assert "sparky" in said
    assert not (tmp_path / "r").exists()


def test_spark_not_installed_names_the_extra(tiny_store, tmp_path, monkeypatch):
    # None in sys.modules makes `import pyspark` fail as if it were not installed.
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    said = fails(
        1, "network", "--store", tiny_store, "--out", tmp_path / "e.csv", "--engine", "spark"
    )
    assert "unmask[spark]" in said and "pyspark" in said


def test_psycopg_not_installed_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    said = fails(1, "cases", "list", "--cases", "postgresql+psycopg://someone@localhost/cases")
    assert "unmask[postgres]" in said


def test_missing_store_is_an_input_error(tmp_path):
    said = fails(2, "detect", "--store", tmp_path / "nowhere", "--out", tmp_path / "r")
    assert "nowhere" in said and "not an unmask store" in said
    fails(2, "info", "--store", tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ("[fusion]\ncap = 'high'\n", "[fusion] cap = 'high': expected a float"),
        ("[judge]\nmin_size = true\n", "min_size"),
        ("[signals.content]\nthreshold = 5\n", "[signals.content]: threshold=5"),
        ("[signals.content]\nk = 'four'\n", "[signals.content]"),
        ("[fusion\n", "cannot read the configuration"),
    ],
)
def test_bad_config_file_is_one_line(tiny_store, tmp_path, toml, says):
    config = tmp_path / "detect.toml"
    config.write_text(toml, encoding="utf-8")
    said = fails(2, "detect", "--store", tiny_store, "--out", tmp_path / "r", "--config", config)
    assert says in " ".join(said.split())


def test_errors_share_one_base():
    from unmask.cases import CaseStoreError
    from unmask.catalogue import CatalogueError
    from unmask.evaluate import EvaluationError
    from unmask.ingest.base import FormatMismatch
    from unmask.ingest.registry import UnknownFormat
    from unmask.simulate.scenario import ScenarioError
    from unmask.store import StoreError

    for error in (StoreError, FormatMismatch, UnknownFormat, CatalogueError, ScenarioError):
        assert issubclass(error, InputError)
    assert issubclass(EvaluationError, InputError) and issubclass(CaseStoreError, UnmaskError)
    # Callers that caught the configuration's ValueError still do.
    assert issubclass(ConfigError, ValueError) and ConfigError("x").exit_code == 2
