"""The errors that unmask reports to its user as one line, never as a traceback.

Every error meant for a person derives from ``UnmaskError``; the command line catches it
in one place (``unmask.cli``) and exits with its ``exit_code``: 2 when the user's input is
wrong (a path, an option, a file, a configuration), 1 for everything else (a missing
optional package, a case store that cannot be reached).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class UnmaskError(Exception):
    """An error to show as one line; ``exit_code`` is what the command line exits with."""

    exit_code = 1


class InputError(UnmaskError):
    """The user's input is wrong: a path, an option value, a file or a configuration."""

    exit_code = 2


class ConfigError(InputError, ValueError):
    """A configuration file or setting that cannot be used (a ValueError, as it was)."""


class MissingExtra(UnmaskError):
    """An optional package is not installed; the message names the extra that brings it."""

    def __init__(self, what: str, extra: str, exc: ImportError) -> None:
        super().__init__(
            f"{what} needs the optional package {exc.name}, which is not "
            f"installed: pip install 'unmask[{extra}]'"
        )


@contextmanager
def missing_extra(what: str, extra: str) -> Iterator[None]:
    """Turn an ImportError inside the block into ``MissingExtra`` naming ``extra``."""
    try:
        yield
    except ImportError as exc:
        raise MissingExtra(what, extra, exc) from exc
