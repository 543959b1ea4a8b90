"""Finding adapters: the built-in formats, plus any that a plugin package declares under the
``unmask.formats`` entry point (a class derived from :class:`unmask.ingest.base.Adapter`)."""

from __future__ import annotations

import gzip
import importlib
import pkgutil
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path

from unmask.errors import InputError
from unmask.ingest import formats
from unmask.ingest.base import Adapter
from unmask.plugins import subclasses


class UnknownFormat(InputError):
    pass


@lru_cache(maxsize=1)
def adapters() -> dict[str, Adapter]:
    """All known adapters by name, built-in ones first in their detection order."""
    for mod in pkgutil.iter_modules(formats.__path__):
        importlib.import_module(f"{formats.__name__}.{mod.name}")
    for ep in entry_points(group="unmask.formats"):
        ep.load()
    found = [c for c in subclasses(Adapter) if "name" in c.__dict__]
    found.sort(key=lambda c: (getattr(c, "detect_order", 50), c.name))
    return {c.name: c() for c in found}


def get_adapter(name: str) -> Adapter:
    try:
        return adapters()[name]
    except KeyError:
        known = ", ".join(adapters())
        raise UnknownFormat(f"unknown format {name!r}; known formats: {known}") from None


def read_head(path: Path, size: int = 65536) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            data = fh.read(size)
    except (OSError, EOFError) as exc:
        raise UnknownFormat(f"{path}: cannot read the file: {exc}") from exc
    return data.decode("utf-8", errors="replace").lstrip("\ufeff")


def detect_adapter(path: Path) -> Adapter:
    head = read_head(path)
    for adapter in adapters().values():
        if adapter.sniff(path, head):
            return adapter
    first = head.splitlines()[0][:200] if head else "(empty file)"
    raise UnknownFormat(
        f"{path}: cannot tell the format from its start ({first!r}); "
        f"name it with --format (one of: {', '.join(adapters())})"
    )
