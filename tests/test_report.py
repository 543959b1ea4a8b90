"""The threat report: rendered in a real headless Chromium, its pictures drawn and its
figures equal to the run's JSON; the Markdown and JSON beside it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from unmask.export.report import write
from unmask.signals.content import mark_differences


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("UNMASK_REQUIRE_BROWSER"):
        pytest.fail("no Chromium on this machine, and UNMASK_REQUIRE_BROWSER is set")
    pytest.skip("no Chromium on this machine (`make test` installs Debian's chromium)")


class Page(HTMLParser):
    """What a test needs from the rendered DOM: the figures and the pictures."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.plots: list[dict[str, str]] = []
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-figure" in a:
            self._open = a["data-figure"]
            self.figures[self._open] = ""
        if tag == "figure" and "data-plot" in a:
            self.plots.append(a)

    def handle_data(self, data):
        if self._open is not None:
            self.figures[self._open] += data

    def handle_endtag(self, tag):
        self._open = None


def lookup(model: dict, key: str):
    head, _, path = key.partition(":")
    node = (
        model["run"]
        if head == "run"
        else next(o for o in model["operations"] if o["cluster_id"] == head)
    )
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def shown(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@pytest.fixture(scope="module")
def report(small_run, tmp_path_factory):
    result, _ = small_run
    out = tmp_path_factory.mktemp("report")
    paths = write(result.run_dir, out)
    return paths, json.loads(paths["json"].read_text())


@pytest.fixture(scope="module")
def rendered(report, tmp_path_factory):
    paths, _ = report
    browser = chromium()
    profile = tmp_path_factory.mktemp("chromium-profile")
    flags = [
        browser,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--window-size=1100,3000",
    ]
    url = paths["html"].resolve().as_uri()
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=180)
    assert dom.returncode == 0, dom.stderr[-2000:]
    shot = paths["html"].parent / "screenshot.png"
    done = subprocess.run(
        [*flags, f"--screenshot={shot}", url], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    page = Page()
    page.feed(dom.stdout)
    return page, shot


def test_the_pictures_drew_in_the_browser(rendered, report):
    page, shot = rendered
    _, model = report
    kinds = {p["data-plot"] for p in page.plots}
    assert {"timeline", "heatmap", "breakdown", "network", "narratives"} <= kinds
    undrawn = [p for p in page.plots if p.get("data-drawn") != "yes"]
    assert undrawn == []
    # one timeline per group that acted (a vendor's stock only follows: nothing to draw)
    acted = [op for op in model["operations"] if op["activity"]["timeline"]]
    assert len([p for p in page.plots if p["data-plot"] == "timeline"]) == len(acted) > 0
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)
    assert pixels.std() > 0.05  # not a blank page


def test_the_figures_on_the_page_equal_the_runs_json(rendered, report):
    page, _ = rendered
    _, model = report
    assert len(page.figures) > 20 * len(model["operations"]) / 2
    wrong = {k: v for k, v in page.figures.items() if v.strip() != shown(lookup(model, k))}
    assert wrong == {}
    run = json.loads((Path(model["run"]["directory"]) / "run.json").read_text())
    assert page.figures["run:counts.operations"] == shown(run["counts"]["operations"])


def test_the_report_opens_offline(report):
    paths, _ = report
    html = paths["html"].read_text()
    for remote in ("http://cdn", "https://cdn", "<script src", '<link rel="stylesheet" href="http'):
        assert remote not in html


def test_the_markdown_and_json_say_the_same(report):
    paths, model = report
    md = paths["md"].read_text()
    for op in model["operations"]:
        assert f"## {op['heading']}" in md
        assert f"**{op['assets']['accounts']:,}**" in md
    for picture in (paths["md"].parent / "report_files").glob("*.svg"):
        assert f"report_files/{picture.name}" in md
    assert model["not_concluded"] in md and model["not_concluded"] in paths["html"].read_text()
    assert md.startswith(f"# {model['headline']}")


def test_coordination_alone_is_reported_in_the_words_of_its_tier(coordination_run, tmp_path):
    """Coordination signals alone: the groups are reported in the words of their tier, the
    families not run are named, and what is called inauthentic is so on the evidence the
    store gives (no organic audience), with the families not run counted as finding nothing."""
    paths = write(coordination_run.run_dir, tmp_path / "report")
    model = json.loads(paths["json"].read_text())
    md = paths["md"].read_text()
    groups = [op for op in model["operations"] if not op["operation"]]
    assert groups and all(
        op["heading"].startswith("Coordinated group ")
        and op["heading"].endswith("coordinated behaviour (authenticity not assessed)")
        for op in groups
    )
    for op in model["operations"]:
        if op["operation"]:
            reason = op["confidence"]["reason"]
            assert "not run, as finding nothing" in reason and "little organic audience" in reason
    assert "no schedule signal ran" in model["missing"]
    assert "nothing is proposed for removal" in md


def test_copied_content_evidence_names_its_activities(report, small_run, small_world):
    _, model = report
    from unmask.store import Store

    con = Store(small_world / "store").connect()
    variants = [
        v for op in model["operations"] for c in op["evidence"]["copied"] for v in c["variants"]
    ]
    assert variants
    for v in variants[:20]:
        platform, activity_id = v["example"].split("/", 1)
        text = con.execute(
            "SELECT text FROM activities WHERE platform = ? AND activity_id = ?",
            [platform, activity_id],
        ).fetchone()[0]
        assert text == v["text"]


def test_differences_from_the_representative_are_marked():
    assert mark_differences(
        "China builds while others talk", "China bulids while others only talk"
    ) == ("China <mark>bulids</mark> while others <mark>only</mark> talk")
    assert mark_differences("a b", "a <b>") == "a <mark>&lt;b&gt;</mark>"
