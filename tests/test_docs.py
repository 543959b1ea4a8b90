"""The documentation kept true to the code: README's links and list of pages, the commands
it names, the parameter defaults of docs/signals.md, and docs/example-report (issue #18)."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import pytest
import typer.main
from clirun import invoke
from markdown_doc import Page, Section
from typer.core import TyperGroup

from unmask.cli import app
from unmask.detect import available_signals
from unmask.export.plots import WANTED_FONTS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = Page(ROOT / "README.md")
PAGES = [README, *(Page(p) for p in sorted(DOCS.glob("*.md")))]


# 1. Links ---------------------------------------------------------------------------


def test_every_page_of_docs_is_in_the_readme_list_of_documentation():
    listed = {
        (ROOT / unquote(urlsplit(href).path)).resolve()
        for href in README.section("Documentation").links()
    }
    missing = [p.name for p in sorted(DOCS.glob("*.md")) if p.resolve() not in listed]
    assert not missing, f"docs pages not listed in README's '## Documentation': {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.path.name)
def test_every_relative_link_points_to_a_file_and_heading_that_exist(page: Page):
    broken = []
    for href in page.links():
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            continue  # the web: not checked here
        target = (page.path.parent / unquote(parts.path)).resolve() if parts.path else page.path
        if not target.exists():
            broken.append(f"{href}: no such file")
        elif (
            parts.fragment
            and target.suffix == ".md"
            and unquote(parts.fragment) not in Page(target).anchors()
        ):
            broken.append(f"{href}: no heading with that anchor in {target.name}")
    assert not broken, f"{page.path.name}: " + "; ".join(broken)


# 2. Commands ------------------------------------------------------------------------


def _command_tree() -> dict[str, set[str]]:
    """Every top-level command of the app, each with its sub-commands (none for a command)."""
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    return {
        name: set(cmd.commands) if isinstance(cmd, TyperGroup) else set()
        for name, cmd in group.commands.items()
        if not cmd.hidden
    }


def _codes(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def test_the_readme_list_of_commands_is_the_app_s():
    rows = README.section("Commands").tables()[0][1:]
    listed: dict[str, set[str]] = {}
    for command, subcommands, *_ in rows:
        (name,) = _codes(command)
        assert name.startswith("unmask "), command
        listed[name.removeprefix("unmask ")] = set(_codes(subcommands))
    assert listed == _command_tree()


# A line of a code block or a code span that runs `unmask WORD [WORD]` (after a prompt or a
# path such as .venv/bin/): a command, and a group's sub-command.
INVOCATION = re.compile(
    r"^\s*(?:\$\s*)?(?:[\w.-]*/)*unmask ([a-z][a-z-]*)(?: ([a-z][a-z-]*)\b(?![.\w]))?", re.M
)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.path.name)
def test_every_command_the_docs_run_exists(page: Page):
    tree = _command_tree()
    wrong = set()
    for code in page.code():
        for name, sub in INVOCATION.findall(code):
            if name not in tree:
                wrong.add(f"unmask {name}")
            elif tree[name] and sub and sub not in tree[name]:
                wrong.add(f"unmask {name} {sub}")
    assert not wrong, f"{page.path.name} runs commands the app does not have: {sorted(wrong)}"


# 3. Parameter defaults of docs/signals.md -----------------------------------------------

SIGNALS_PAGE = Page(DOCS / "signals.md")
UNITS = {"s": 1, "min": 60, "h": 3600, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
WORDS = {"none": None, "true": True, "false": False, "on": True, "off": False}
QUANTITY = re.compile(r"(-?[\d,]*\.?\d+)\s*(%|×|[a-z]+)?")


def _value(text: str) -> tuple[object, bool]:
    """A default as the page writes it: the value, and whether it was a duration (then in
    seconds). `60 s`, `3 days`, `1,000`, `10 %`, `5×`, `4 nats`, `None`, `true`, `on`,
    `"static"`, `url`."""
    text = text.strip().strip("`").strip('"')
    if text.lower() in WORDS:
        return WORDS[text.lower()], False
    m = QUANTITY.fullmatch(text)
    if not m or m.group(2) not in (None, "%", "×", "nats", *UNITS):
        return text, False
    number = float(m.group(1).replace(",", ""))
    unit = m.group(2)
    if unit in UNITS:
        return number * UNITS[unit], True
    return (number / 100 if unit == "%" else number), False


def _matches(name: str, documented: str, actual: object) -> bool:
    if isinstance(actual, tuple):
        parts = re.split(r",\s*", documented.strip().strip("()"))
        return len(parts) == len(actual) and all(
            _matches(name, p, a) for p, a in zip(parts, actual, strict=True)
        )
    value, duration = _value(documented)
    if duration and isinstance(actual, int | float):
        actual = actual * (86400 if name.endswith("days") else 1)
    if isinstance(value, float) and isinstance(actual, int | float):
        return not isinstance(actual, bool) and abs(value - actual) < 1e-9
    return value == actual


def _signal_sections() -> dict[str, Section]:
    """Each signal's section of docs/signals.md, by the name its heading starts with."""
    return {s.title.split(" — ")[0].strip(): s for s in SIGNALS_PAGE.sections()}


class Documented(NamedTuple):
    name: str
    default: str  # as written
    where: str
    in_table: bool


def _documented_defaults(section: Section) -> list[Documented]:
    """The defaults of every row of the section's parameter
    tables (`| parameter | default | ... |`; a row may name several parameters, their
    defaults then separated by commas) and every prose mention `name` (value) or `name`
    (default value)."""
    out = []
    for table in section.tables():
        header = [c.lower() for c in table[0]]
        if header[:2] != ["parameter", "default"]:
            continue
        for cells in table[1:]:
            names = _codes(cells[0])
            values = [cells[1]] if len(names) == 1 else re.split(r",\s+", cells[1])
            assert len(values) == len(names), f"table row {cells[:2]}: as many defaults as names"
            where = f"table row {cells[0]}"
            out += [Documented(n, v, where, True) for n, v in zip(names, values, strict=True)]
    for text in section.prose():
        for name, said in re.findall(r"`(\w+)`\s+\((?:default\s+)?([^()]+)\)", text):
            value = re.split(r"[;:]|,\s", said)[0]  # "0.5 nats, against ..." -> 0.5 nats
            out.append(Documented(name, value, f"prose `{name}` ({said})", False))
    return out


SIGNALS = {type(s).__name__: s for s in available_signals()}


@pytest.mark.parametrize("signal", SIGNALS.values(), ids=list(SIGNALS))
def test_the_defaults_docs_signals_gives_are_the_code_s(signal):
    sections = _signal_sections()
    assert signal.name in sections, f"docs/signals.md has no section '## {signal.name} — ...'"
    section = sections[signal.name]
    params = type(signal)().get_params()
    documented = _documented_defaults(section)
    assert any(d.in_table for d in documented), (
        f"## {signal.name}: no `| parameter | default | ... |` table"
    )
    wrong = []
    for name, value, where, in_table in documented:
        if in_table and name not in params:
            wrong.append(f"{where}: {name} is not a parameter")
        elif not in_table and (name not in params or isinstance(_value(value)[0], str)):
            continue  # prose that does not read as a default ("`on` (the shared post)")
        elif not _matches(name, value, params[name]):
            wrong.append(f"{where}: the code says {params[name]!r}")
    assert not wrong, f"## {signal.name}: " + "; ".join(wrong)


# 4. The example report ---------------------------------------------------------------

EXAMPLE = DOCS / "example-report"
# Matplotlib's ids for markers, clip paths and images are salted at random for each figure.
MPL_ID = re.compile(r"\b(?:image|m|p)[0-9a-f]{10}\b")
MPL_DATE = re.compile(r"<dc:date>[^<]*</dc:date>")


def _normalised(text: str, varying: dict[str, str]) -> str:
    """The text less what legitimately changes from one generation to the next: the time,
    the run's paths (given), Matplotlib's random ids, the SVGs' dates, and the fonts the
    pictures name (only those Matplotlib finds on the machine that made them)."""
    # The longest first: the store's path may hold the run's.
    for name, value in sorted(varying.items(), key=lambda kv: -len(kv[1] or "")):
        if value:
            text = text.replace(value, f"<{name}>")
    for font in WANTED_FONTS:
        text = text.replace(f"'{font}', ", "")
    return MPL_DATE.sub("<dc:date/>", MPL_ID.sub("<id>", text))


def _varying(report_dir: Path) -> dict[str, str]:
    model = json.loads((report_dir / "report.json").read_text())
    run = model["run"]
    return {"time": model["generated_at"], "run": run["directory"], "store": run["store"]}


def test_the_example_report_is_what_the_code_makes(small_run, tmp_path):
    """docs/example-report is `make example-report`: the small world (seed 1), every default
    signal (small_run: DetectConfig(), no case store), then `unmask report`."""
    result, _ = small_run
    fresh = tmp_path / "report"
    invoke("report", "--run", result.run_dir, "--out", fresh)
    files = sorted(p.relative_to(EXAMPLE) for p in EXAMPLE.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    differ = []
    for rel in files:
        old = _normalised((EXAMPLE / rel).read_text(encoding="utf-8"), _varying(EXAMPLE))
        new = _normalised((fresh / rel).read_text(encoding="utf-8"), _varying(fresh))
        if old != new:
            first = next(
                d for d in difflib.ndiff(old.splitlines(), new.splitlines()) if d[0] in "-+"
            )
            differ.append(f"{rel} (first: {first[:200]})")
    assert not differ, "docs/example-report differs from `make example-report` today: " + (
        "; ".join(differ)
    )
