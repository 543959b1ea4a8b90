"""The build requirements can build what pyproject.toml declares (issue #18)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_setuptools_reads_the_license_expression():
    # `license = "MIT"` (an SPDX expression, PEP 639) is read from setuptools 77 on; an
    # older one refuses the project table when building.
    meta = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert isinstance(meta["project"]["license"], str)
    (setuptools,) = [
        Requirement(r) for r in meta["build-system"]["requires"] if r.startswith("setuptools")
    ]
    assert not any(setuptools.specifier.contains(v) for v in ("68", "76.1", "76.9.9"))
    assert setuptools.specifier.contains("77.0")
