"""Where the command line writes, and how: for a person at a terminal or for a log file.

At a terminal, tables fit its width and a long stage shows a live progress bar. When the
output is a file or a pipe (a scheduled job, ``| less``, CI), a table is never wrapped to
80 columns (a row stays one line, for grep and for the eye) and each stage writes one line
on stderr as it starts, since a progress bar there would print nothing until the end.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

# Wide enough for any row we print; a table takes its natural width, not this.
NOT_A_TERMINAL_WIDTH = 10_000

Stage = Callable[[str, int, int], None]


class _Console(Console):
    """A Rich console that, when it does not write to a terminal and COLUMNS is not set,
    is as wide as needed instead of 80 columns."""

    @property
    def size(self) -> ConsoleDimensions:
        dims = Console.size.fget(self)
        if self._width is None and not self.is_terminal and "COLUMNS" not in self._environ:
            return ConsoleDimensions(NOT_A_TERMINAL_WIDTH, dims.height)
        return dims

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)


_STDERR, _STDOUT = _Console(stderr=True), _Console()


def consoles() -> tuple[Console, Console]:
    """(stderr, stdout), shared by every command group: messages and progress on the first,
    results on the second."""
    return _STDERR, _STDOUT


def fail(message: str, code: int = 2) -> NoReturn:
    """End the command: ``message`` as one line on stderr (never read as markup, so that
    ``unmask[spark]`` stays as written), and exit ``code``."""
    _STDERR.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def stages(console: Console, what: str) -> Iterator[Stage]:
    """A ``progress(stage, done, total)`` callback: a live bar at a terminal, otherwise
    one line per stage on ``console`` with the seconds since the start."""
    if console.is_terminal:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task(what, total=None)
            yield lambda stage, done, total: bar.update(
                task, description=stage, completed=done, total=total
            )
        return
    start = time.perf_counter()
    last: list[str] = []

    def log(stage: str, done: int, total: int) -> None:
        if last == [stage]:
            return  # the same stage again (a count moving on): one line per stage
        last[:] = [stage]
        console.print(
            f"{what}: {stage} ({done}/{total}) at {time.perf_counter() - start:.1f} s",
            highlight=False,
            markup=False,
        )

    yield log


def emit_json(value: object) -> None:
    """``value`` as JSON on stdout: the one thing a command prints there with --json."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")
