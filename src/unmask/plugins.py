"""What the two registries (formats, ``unmask.ingest.registry``; signals,
``unmask.signals.registry``) share: finding every class that follows a contract."""

from __future__ import annotations


def subclasses(cls: type) -> list[type]:
    """Every subclass of ``cls``, depth first, in the order they were defined."""
    out = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(subclasses(sub))
    return out
