"""report.md writes what the store says as text, never as links or HTML (issue #18).

Sixty-one accounts of a small world's planted operation post a text made of Markdown and
HTML that would be live in report.md: a javascript: link, a script tag, an image fetched
from elsewhere, a table pipe, bare addresses that GitHub links by itself. The run and the
store sit in folders whose names do the same. The report, rendered as CommonMark (with
tables), must show all of it as text: no link, no script, no image but its own plots.
"""

from __future__ import annotations

import csv
import html
import re

import pyarrow.parquet as pq
import pytest
from clirun import invoke
from markdown_it import MarkdownIt

from unmask.export.markdown import code, escape

TEXT = (
    "Read this [x](javascript:alert(1)) <script>alert(1)</script> "
    "![](http://evil.example/img.png) | # not a heading *bold* `code` "
    "www.evil.example http://evil.example/ @someone"
)
FOLDER = "[run](javascript:alert(2)) <b>x</b> `tick`"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[str, str]:
    """report.md of the small world with the hostile post, and its HTML as CommonMark."""
    root = tmp_path_factory.mktemp("report-md") / FOLDER
    world = root / "world"
    invoke("simulate", "--out", world, "--scenario", "small", "--seed", 1, "--scale", 0.3)
    truth = pq.read_table(world / "truth" / "accounts.parquet").to_pylist()
    members = sorted(
        (a["platform"], a["account_id"])
        for a in truth
        if a["operation_id"] == "spamouflage-1" and a["role"] in ("poster", "amplifier")
    )
    posts = root / "posts.csv"
    with open(posts, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["platform", "activity_id", "account_id", "time", "text"])
        for i, (platform, account_id) in enumerate(members):
            w.writerow(
                [platform, f"md-{i}", account_id, f"2024-03-1{i % 5}T12:00:{i % 60:02d}Z", TEXT]
            )
    invoke("ingest", posts, "--store", world / "store", "--format", "generic")
    invoke("detect", "--store", world / "store", "--out", root / "run", "--no-record")
    invoke("report", "--run", root / "run", "--out", root / "report")
    text = (root / "report" / "report.md").read_text(encoding="utf-8")
    return text, MarkdownIt("commonmark").enable("table").render(text)


def test_the_hostile_post_is_in_the_report_as_text(report):
    text, rendered = report
    assert "javascript" in text, "the post is one of the operation's narratives"
    shown = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert TEXT in shown
    assert FOLDER in shown


def test_the_report_makes_no_link_script_or_foreign_image(report):
    _, rendered = report
    assert "<a " not in rendered
    assert "<script" not in rendered and "<b>" not in rendered
    images = re.findall(r'<img src="([^"]*)"', rendered)
    assert images and all(src.startswith("report_files/") for src in images)


def test_github_finds_no_address_to_link(report):
    """GitHub links bare www. and http:// addresses and @names by itself: none is left."""
    text, _ = report
    for bare in ("www.evil.example", "http://evil.example", " @someone"):
        assert bare not in text


def test_the_narratives_table_keeps_its_columns(report):
    _, rendered = report
    for table in re.findall(r"<table>.*?</table>", rendered, flags=re.S):
        head = len(re.findall(r"<th[ >]", table.split("</thead>")[0]))
        rows = re.findall(r"<tr>(.*?)</tr>", table.split("</thead>")[1], flags=re.S)
        assert rows and all(len(re.findall(r"<td[ >]", r)) == head for r in rows)


@pytest.mark.parametrize(
    "value",
    [TEXT, FOLDER, "1. a list", "# a heading", "- an item", "a\nb", "\\[x](y)", "a & b &amp;"],
)
def test_an_escaped_value_renders_as_itself(value):
    md = MarkdownIt("commonmark")
    for written in (escape(value), str(code(value))):
        rendered = md.render(written)
        assert re.fullmatch(r"<p>.*</p>\n", rendered, flags=re.S), rendered
        assert "<a " not in rendered and "<img" not in rendered
        shown = html.unescape(re.sub(r"</?(p|code)>", "", rendered)).strip()
        assert shown == value.replace("\n", " ")
