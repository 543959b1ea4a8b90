"""Finding signals: the built-in ones (the ``Signal`` classes of ``unmask.signals``), plus any
that a plugin package declares under the ``unmask.signals`` entry point (a class derived from
:class:`unmask.signals.base.Signal`, e.g. ``shared_bios = "mypkg.bios:SharedBios"``).

Each class says whether ``detect`` runs it by default (``default``), in what order
(``order``), and the configurations it runs as (``configurations``: co-action is one class
run on six kinds of target). Everything else that uses a signal, the operations' figures,
the kill chain, the report and lineage, reads the classes found here.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from importlib.metadata import entry_points

import unmask.signals
from unmask.errors import ConfigError
from unmask.plugins import subclasses
from unmask.signals.base import Signal

GROUP = "unmask.signals"


class BadPlugin(ConfigError):
    """A plugin's entry point does not name a signal class."""


@lru_cache(maxsize=1)
def signal_classes() -> tuple[type[Signal], ...]:
    """Every registered signal class, in the order ``detect`` runs them."""
    for mod in pkgutil.iter_modules(unmask.signals.__path__):
        importlib.import_module(f"{unmask.signals.__name__}.{mod.name}")
    # Only the package's own classes and the plugins' entry points: a Signal subclass that
    # some other module (a test, a notebook) defines is not registered by being imported.
    found = {
        c
        for c in subclasses(Signal)
        if "name" in c.__dict__ and c.__module__.startswith(f"{unmask.signals.__name__}.")
    }
    for ep in entry_points(group=GROUP):
        try:
            cls = ep.load()
        except (ImportError, AttributeError) as exc:
            raise BadPlugin(f"entry point {ep.name} = {ep.value!r} (group {GROUP}): {exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, Signal) and "name" in cls.__dict__):
            raise BadPlugin(
                f"entry point {ep.name} = {ep.value!r} (group {GROUP}): not a Signal class "
                "with a name"
            )
        found.add(cls)
    ordered = sorted(found, key=lambda c: (c.order, c.name))
    names = [c.name for c in ordered]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BadPlugin(f"signal name(s) registered twice: {', '.join(twice)}")
    return tuple(ordered)


def available_signals() -> list[Signal]:
    """Every configured signal ``detect`` knows, default ones first, each in its own new
    instance (callers set parameters on them)."""
    return [*default_signals(), *optional_signals()]


def default_signals() -> list[Signal]:
    return [s for c in signal_classes() if c.default for s in c.configurations()]


def optional_signals() -> list[Signal]:
    return [s for c in signal_classes() if not c.default for s in c.configurations()]


def signal_class(evidence: str) -> type[Signal] | None:
    """The class whose evidence is named ``evidence`` ("coaction_url" is co-action's): the
    class of that name, or the longest class name it starts with, followed by "_"."""
    classes = {c.name: c for c in signal_classes()}
    if evidence in classes:
        return classes[evidence]
    prefixes = [n for n in classes if evidence.startswith(f"{n}_")]
    return classes[max(prefixes, key=len)] if prefixes else None
