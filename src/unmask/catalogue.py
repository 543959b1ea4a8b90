"""The catalogue of known operations: what earlier takedowns left behind, kept as files.

A *known operation* is a name, where it came from (``meta``: a platform's published
indicators; ``unmask``: one of unmask's own past findings) and its **assets**, each typed:

=============  =====================================================================
kind           value (normalised so that it matches the store's own form)
=============  =====================================================================
``account``    an account id on a platform (``facebook`` ``100064…``, ``vk`` ``id464…``)
``handle``     a handle or vanity name on a platform, lower case (``x`` ``sarasil39636921``)
``community``  a place on a platform (a subreddit, a Facebook group by name)
``domain``     a web site's host, refanged, lower case, without ``www.`` (``bild.pics``)
``url``        a link in unmask's canonical form (``unmask.ingest.normalise.canonical_url``)
``hashtag``    lower case, without ``#``
``text``       a content family's representative text, normalised as the content signal
               normalises texts (its ``item`` is the family)
``text_hash``  md5 of a normalised text of that family (``item``: the family)
``schedule``   one hour of the week (0 = Monday 00–01 UTC) and the share of activity in it
``email``      an e-mail address; ``ip``: an IP address
``count``      a number the report gives ("7,704 Facebook accounts"), per platform
``procedure``  a kill-chain procedure observed (Meta's Online Operations Kill Chain)
``note``       any other indicator text, kept for the reader
=============  =====================================================================

Every asset keeps its ``source`` (file or run) and ``source_row``, its ``procedure`` (the
kill-chain tag of the row it came from) and a ``weight`` in [0, 1]: how much the asset is
the operation's own where it was seen (1 for published indicators; for unmask's findings,
the operation's share of everyone's uses of it: a ``youtube.com`` that everyone links gets
almost nothing, a look-alike domain only the operation links gets 1).

The catalogue is a directory::

    CAT/catalogue.json      marks the directory (format, version)
    CAT/operations.parquet  one row per known operation
    CAT/assets.parquet      one row per asset

Adding an operation of a name already there replaces it, so importing a file twice
changes nothing. Meta's indicator files are read by :func:`read_meta` (``unmask.indicators``
parses their cells); unmask's runs by :func:`unmask.lineage.operations_from_run`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from unmask import indicators
from unmask.errors import InputError

FORMAT = "unmask-catalogue"
VERSION = 1

ASSET_SCHEMA = pa.schema(
    [
        pa.field("operation", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("platform", pa.string()),
        pa.field("value", pa.string(), nullable=False),
        pa.field("item", pa.string(), nullable=False),  # what one match counts as
        pa.field("display", pa.string()),  # as the source wrote it
        pa.field("weight", pa.float64(), nullable=False),
        pa.field("procedure", pa.string()),
        pa.field("note", pa.string()),
        pa.field("source", pa.string()),
        pa.field("source_row", pa.int64()),
    ]
)

OPERATION_SCHEMA = pa.schema(
    [
        pa.field("name", pa.string(), nullable=False),
        pa.field("origin", pa.string(), nullable=False),  # "meta" or "unmask"
        pa.field("source", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("added_at", pa.string(), nullable=False),
        pa.field("first_seen", pa.string()),
        pa.field("last_seen", pa.string()),
        pa.field("assets", pa.int64(), nullable=False),
        pa.field("info", pa.string()),  # JSON: what the source says of it besides assets
    ]
)


class CatalogueError(InputError):
    """A catalogue directory or an input that cannot be used."""


@dataclass
class KnownOperation:
    """One operation to put in the catalogue."""

    name: str
    origin: str
    source: str
    title: str = ""
    assets: list[dict[str, Any]] = field(default_factory=list)
    first_seen: str | None = None
    last_seen: str | None = None
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """A row of an input that could not be read: where, which field, and why."""

    file: str
    row: int  # 1-based line of the CSV record (the header is row 1)
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}, field {self.field!r}: {self.reason}"


class Catalogue:
    """A catalogue directory. ``Catalogue(path, create=True)`` makes a new one."""

    def __init__(self, path: str | Path, *, create: bool = False) -> None:
        self.path = Path(path)
        marker = self.path / "catalogue.json"
        if not marker.exists():
            if not create:
                raise CatalogueError(
                    f"{self.path} is not an unmask catalogue (no catalogue.json); make one with "
                    f"`unmask catalogue import FILES --catalogue {self.path}`"
                )
            if self.path.exists() and any(self.path.iterdir()):
                raise CatalogueError(f"{self.path} exists, is not empty and is not a catalogue")
            self.path.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps({"format": FORMAT, "version": VERSION}) + "\n")
        meta = json.loads(marker.read_text())
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise CatalogueError(f"{marker}: unknown catalogue format {meta!r}")

    def operations(self) -> pa.Table:
        return self._read("operations", OPERATION_SCHEMA)

    def assets(self, names: Sequence[str] | None = None) -> pa.Table:
        table = self._read("assets", ASSET_SCHEMA)
        if names is not None:
            table = table.filter(pc.is_in(table["operation"], pa.array(list(names))))
        return table

    def names(self) -> list[str]:
        return self.operations()["name"].to_pylist()

    def add(self, operations: Iterable[KnownOperation]) -> list[str]:
        """Add operations, replacing those of the same names; returns the names added."""
        ops = list(operations)
        names = [o.name for o in ops]
        if len(set(names)) != len(names):
            raise CatalogueError(f"operation names given twice: {sorted(names)}")
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        new_ops = pa.Table.from_pylist(
            [
                {
                    "name": o.name,
                    "origin": o.origin,
                    "source": o.source,
                    "title": o.title,
                    "added_at": now,
                    "first_seen": o.first_seen,
                    "last_seen": o.last_seen,
                    "assets": len(o.assets),
                    "info": json.dumps(o.info, ensure_ascii=False, sort_keys=True, default=str),
                }
                for o in ops
            ],
            schema=OPERATION_SCHEMA,
        )
        rows = [
            {**{f.name: None for f in ASSET_SCHEMA}, "weight": 1.0, **a, "operation": o.name}
            for o in ops
            for a in o.assets
        ]
        for r in rows:
            r["item"] = r.get("item") or r["value"]
        new_assets = pa.Table.from_pylist(rows, schema=ASSET_SCHEMA)
        keep = self.operations()
        keep = keep.filter(pc.invert(pc.is_in(keep["name"], pa.array(names))))
        assets = self.assets()
        assets = assets.filter(pc.invert(pc.is_in(assets["operation"], pa.array(names))))
        self._write("assets", pa.concat_tables([assets, new_assets]))
        self._write("operations", pa.concat_tables([keep, new_ops]).sort_by("name"))
        return names

    def remove(self, names: Sequence[str]) -> None:
        ops, assets = self.operations(), self.assets()
        drop = pa.array(list(names))
        self._write("assets", assets.filter(pc.invert(pc.is_in(assets["operation"], drop))))
        self._write("operations", ops.filter(pc.invert(pc.is_in(ops["name"], drop))))

    def summary(self) -> list[dict[str, Any]]:
        """Per operation: origin, title, assets by kind (and accounts by platform)."""
        from unmask.engine.duckdb import connect

        con = connect()
        con.register("ops", self.operations())
        con.register("assets", self.assets())
        rows = con.sql(
            """SELECT o.name, o.origin, o.title, o.source, o.first_seen, o.last_seen,
                      a.kind, coalesce(a.platform, '') AS platform, count(a.kind) AS n
               FROM ops o LEFT JOIN assets a ON a.operation = o.name
               GROUP BY ALL ORDER BY o.name, a.kind, platform"""
        ).fetchall()
        out: dict[str, dict[str, Any]] = {}
        for name, origin, title, source, first, last, kind, platform, n in rows:
            op = out.setdefault(
                name,
                {
                    "name": name,
                    "origin": origin,
                    "title": title,
                    "source": source,
                    "first_seen": first,
                    "last_seen": last,
                    "assets": {},
                    "accounts_by_platform": {},
                },
            )
            if kind is None:
                continue
            op["assets"][kind] = op["assets"].get(kind, 0) + n
            if kind in ("account", "handle") and platform:
                by = op["accounts_by_platform"]
                by[platform] = by.get(platform, 0) + n
        return list(out.values())

    # -- files ---------------------------------------------------------------------------

    def _read(self, name: str, sch: pa.Schema) -> pa.Table:
        path = self.path / f"{name}.parquet"
        if not path.exists():
            return sch.empty_table()
        return pq.read_table(path).cast(sch)

    def _write(self, name: str, table: pa.Table) -> None:
        # Whole files replaced by a rename: a crash leaves the old catalogue, not half a new one.
        tmp = self.path / f".{name}.parquet.tmp"
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, self.path / f"{name}.parquet")


# -- Meta's published indicator files -----------------------------------------------------

# Meta's two layouts: the Online Operations Kill Chain table per row (2023 on), and the
# typed list of its first files (2022).
_TTP_COLUMNS = ("tactic", "technique", "procedure", "indicator")
_TYPED_COLUMNS = ("indicator_type", "indicator_value")
_NOTE_COLUMNS = ("comments", "comment", "note", "notes")


def meta_name(path: Path) -> str:
    """The catalogue name of a Meta file: ``meta/`` and its stem in lower case, without the
    repeated ``…GithubIOCs_-_`` prefix of the 2025–2026 files."""
    stem = re.sub(r"^Q[\d-]+_\d{4}_GithubIOCs_-_", "", path.stem, flags=re.IGNORECASE)
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return f"meta/{slug}"


def read_meta(path: Path) -> tuple[KnownOperation | None, list[Problem]]:
    """One Meta indicator file as one known operation, and the rows that could not be read.

    Returns ``(None, [problem])`` for a file that is not an indicator file (the kill-chain
    table itself, an unknown header)."""
    path = Path(path)
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(path.name, 0, "*", f"not UTF-8 text: {exc}")]
    except OSError as exc:
        return None, [Problem(path.name, 0, "*", f"cannot read: {exc}")]
    records = list(csv.reader(text.splitlines(keepends=True)))
    if not records:
        return None, [Problem(path.name, 1, "*", "empty file")]
    header = [h.strip().lower() for h in records[0]]
    if all(c in header for c in _TTP_COLUMNS):
        layout = "ttp"
    elif all(c in header for c in _TYPED_COLUMNS):
        layout = "typed"
    elif header[:3] == ["tactic", "technique", "procedure"]:
        return None, [
            Problem(path.name, 1, "*", "the kill-chain table itself, not an operation's indicators")
        ]
    else:
        return None, [Problem(path.name, 1, "*", f"unknown header {records[0]!r}")]
    col = {h: i for i, h in enumerate(header) if h}
    note_col = next((col[c] for c in _NOTE_COLUMNS if c in col), None)
    op = KnownOperation(
        name=meta_name(path),
        origin="meta",
        source=path.name,
        title=re.sub(r"[_]+", " ", path.stem).strip(),
    )
    procedures: dict[str, int] = {}
    counts: list[str] = []
    dates: set[str] = set()
    # csv.reader's records do not say their line; count the lines each record spans.
    line = _newlines(records[0])
    for rec in records[1:]:
        row = line + 1
        line += _newlines(rec)
        if not any(c.strip() for c in rec):
            continue
        if len(rec) > len(header) and any(c.strip() for c in rec[len(header) :]):
            problems.append(
                Problem(path.name, row, "*", f"{len(rec)} fields, the header has {len(header)}")
            )
            continue

        def get(name: str, rec: list[str] = rec) -> str:
            i = col.get(name)
            return rec[i].strip() if i is not None and i < len(rec) else ""

        note = rec[note_col].strip() if note_col is not None and note_col < len(rec) else ""
        if layout == "ttp":
            procedure = " ".join(get("procedure").split()) or None
            raw, kind_hint, field_name = get("indicator"), None, "Indicator"
            if procedure:
                procedures[procedure] = procedures.get(procedure, 0) + 1
        else:
            procedure = None
            raw, kind_hint, field_name = (
                get("indicator_value"),
                get("indicator_type"),
                "indicator_value",
            )
            if get("ds"):
                dates.add(get("ds"))
        if not raw:
            continue
        try:
            parsed = indicators.parse(raw, procedure=procedure, kind_hint=kind_hint)
        except indicators.IndicatorError as exc:
            problems.append(Problem(path.name, row, field_name, str(exc)))
            continue
        for a in parsed:
            if a["kind"] == "count":
                counts.append(raw)
            op.assets.append(
                {
                    **a,
                    "procedure": procedure,
                    "note": note or None,
                    "source": path.name,
                    "source_row": row,
                }
            )
    for p in sorted(procedures):
        op.assets.append(
            {"kind": "procedure", "value": p, "display": p, "source": path.name, "procedure": p}
        )
    op.info = {"procedures": len(procedures), "counts": counts}
    if dates:
        op.first_seen, op.last_seen = min(dates), max(dates)
    return op, problems


def _newlines(rec: list[str]) -> int:
    """Lines one CSV record spans (quoted fields may hold line breaks)."""
    return 1 + sum(c.count("\n") for c in rec)


def import_meta(catalogue: Catalogue, paths: Iterable[Path]) -> tuple[list[str], list[Problem]]:
    """Import Meta indicator files (a folder stands for its ``*.csv``): one known operation
    per file. Returns the names added and every row that could not be read."""
    files: list[Path] = []
    for p in map(Path, paths):
        files += sorted(p.glob("*.csv")) if p.is_dir() else [p]
    ops, problems = [], []
    for f in files:
        op, probs = read_meta(f)
        problems += probs
        if op is not None:
            ops.append(op)
    return catalogue.add(ops), problems
