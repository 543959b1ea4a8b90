from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings
from worldscore import COORDINATION

from unmask.store import Store

# Property tests draw the same examples on every run ("ci", the default), so that a run is
# red only for a change; search for new failing inputs with --hypothesis-profile=explore
# (random examples, many of them) and add what it finds as an @example.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=500)
settings.load_profile("ci")

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.fail(f"the shared real data is missing at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store", create=True)


def _ingested(tmp_path_factory, name: str, path: Path) -> Store:
    from unmask.ingest import ingest_file

    store = Store(tmp_path_factory.mktemp(name) / "store", create=True)
    ingest_file(store, path, options={"detect_language": False})
    return store


@pytest.fixture(scope="session")
def russian_store(tmp_path_factory) -> Store:
    """CooRTweet's Russian retweet set, ingested once for the session (read-only)."""
    return _ingested(
        tmp_path_factory, "russian", SHARED_DATA / "coortweet" / "russian_coord_tweets.csv.gz"
    )


@pytest.fixture(scope="session")
def german_store(tmp_path_factory) -> Store:
    """CooRTweet's German election set (Facebook and X), ingested once (read-only)."""
    return _ingested(
        tmp_path_factory, "german", SHARED_DATA / "coortweet" / "german_elections.csv.gz"
    )


@pytest.fixture(scope="session")
def small_world(tmp_path_factory) -> Path:
    """The small simulated scenario (seed 1): ``store/`` and ``truth/`` (read-only)."""
    from unmask.simulate.scenario import load_scenario
    from unmask.simulate.world import simulate

    out = tmp_path_factory.mktemp("small-world")
    simulate(out, load_scenario("small"), seed=1)
    return out


@pytest.fixture(scope="session")
def small_run(small_world, tmp_path_factory):
    """``detect`` with every default signal on the small world: the result and the progress
    stages it reported (read-only)."""
    from unmask.detect import DetectConfig, detect

    run = tmp_path_factory.mktemp("detect") / "run"
    stages: list[str] = []
    result = detect(
        Store(small_world / "store"),
        run,
        DetectConfig(),
        progress=lambda s, i, n: stages.append(s),
    )
    return result, stages


@pytest.fixture(scope="session")
def coordination_run(small_world, tmp_path_factory):
    """``detect`` on the small world with the coordination signals alone: the other
    families were not assessed, so nothing may be called inauthentic (read-only)."""
    from unmask.detect import DetectConfig, detect

    run = tmp_path_factory.mktemp("detect-coordination") / "run"
    return detect(Store(small_world / "store"), run, DetectConfig(signals=COORDINATION))


@dataclass
class CliRun:
    run: Path
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def cli_detected(small_world, tmp_path_factory) -> CliRun:
    """``unmask detect --json`` through the CLI runner (two signals, for speed) on the small
    world: the run folder, and what the command wrote on stdout and stderr (read-only)."""
    from typer.testing import CliRunner

    from unmask.cli import app

    run = tmp_path_factory.mktemp("cli-detect") / "run"
    args = ["detect", "--store", small_world / "store", "--out", run]
    args += ["--signals", "coaction_url,content", "--no-record", "--json"]
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return CliRun(run, result.stdout, result.stderr)
