"""The command line as a package, and every command tested through it (issue #18, "The CLI
as a package"): a new command without a test that runs it fails here."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import typer

from unmask.cli import app

TESTS = Path(__file__).resolve().parent
PYPROJECT = TESTS.parent / "pyproject.toml"
# How a test names the program before the command: `python -m unmask.cli detect ...`.
PROGRAM = {"unmask", "unmask.cli", "-m"}


def commands() -> dict[tuple[str, ...], object]:
    """Every command a user can run, by its words (``("cases", "list")``): the leaves, not
    the groups that only hold them."""
    found: dict[tuple[str, ...], object] = {}

    def walk(cmd: object, path: tuple[str, ...]) -> None:
        # A group has commands (Typer's own click, not necessarily the installed one).
        subs = getattr(cmd, "commands", None)
        if subs is None:
            found[path] = cmd
        for name, sub in (subs or {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


def _words(items: list[ast.expr]) -> tuple[str, ...]:
    """The command words that a call's arguments (or a list of them) start with: the first
    run of string literals, after the program's own name when it is there."""
    texts: list[str] = []
    for item in items:
        if isinstance(item, ast.Constant) and isinstance(item.value, str):
            texts.append(item.value)
        elif texts:
            break
    while texts and texts[0] in PROGRAM:
        texts.pop(0)
    return tuple(texts)


def invocations(source: str) -> Iterator[tuple[str, ...]]:
    """The word sequences that calls in ``source`` pass as a command line:
    ``invoke("info", ...)``, ``runner.invoke(app, ["cases", "list"])``,
    ``subprocess.run([sys.executable, "-m", "unmask.cli", "detect", ...])``."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        yield _words(node.args)
        for arg in node.args:
            if isinstance(arg, ast.List | ast.Tuple):
                yield _words(arg.elts)
    for node in ast.walk(ast.parse(source)):
        # A command line built first and run later: `cmd = [..., "detect", ...]`.
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List | ast.Tuple):
            yield _words(node.value.elts)


def commands_run(paths: tuple[tuple[str, ...], ...], sources: list[str]) -> set[tuple[str, ...]]:
    """Which of ``paths`` some source invokes."""
    seen = {words for src in sources for words in invocations(src)}
    return {p for p in paths if any(w[: len(p)] == p for w in seen)}


def test_the_scan_sees_every_way_the_tests_run_a_command():
    source = """
invoke("info", "--store", store)
fails(2, "detect", "--store", s)
runner.invoke(app, ["cases", "list", "--json"])
subprocess.run([sys.executable, "-m", "unmask.cli", "ingest", str(p)])
cmd = [sys.executable, "-m", "unmask.cli", "network", "--store"]
log.info("catalogue related is not a call of the command line")
"""
    paths = (("info",), ("detect",), ("cases", "list"), ("ingest",), ("network",))
    paths += (("cases", "show"), ("catalogue", "related"), ("export",))
    assert commands_run(paths, [source]) == set(paths[:5])


def test_every_command_is_run_by_a_test():
    sources = [p.read_text(encoding="utf-8") for p in sorted(TESTS.glob("*.py"))]
    found = commands()
    missing = sorted(set(found) - commands_run(tuple(found), sources))
    assert not missing, "commands no test runs: " + ", ".join(" ".join(p) for p in missing)


def test_each_command_lives_in_the_module_of_its_group():
    package = Path(importlib.util.find_spec("unmask.cli").origin).parent
    assert package.name == "cli" and (package / "__init__.py").exists()
    for path, cmd in commands().items():
        module = cmd.callback.__module__
        assert module.startswith("unmask.cli."), (path, module)
        assert (package / f"{module.rsplit('.', 1)[1]}.py").exists(), (path, module)
    # the old flat modules are gone, not kept beside the package
    for old in ("unmask.cases_cli", "unmask.cli_catalogue", "unmask.cli_output"):
        assert importlib.util.find_spec(old) is None, old


def test_the_console_script_and_python_m_run_the_app():
    from pkgutil import resolve_name

    scripts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["scripts"]
    assert resolve_name(scripts["unmask"]) is app
    done = subprocess.run(
        [sys.executable, "-m", "unmask.cli", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.startswith("unmask "), done.stderr
