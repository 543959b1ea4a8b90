"""Any table of activities, accounts, follows or infrastructure records, with a column mapping.

Reads CSV/TSV (optionally gzipped), JSON lines and Parquet. Columns whose names are the
schema's field names map by themselves, so a file written in unmask's own schema needs no
mapping; other columns are mapped with ``--map FIELD=COLUMN`` (for JSON lines, COLUMN may be a
dotted path such as ``user.screen_name``). Activity rows may also describe their author with
``account.FIELD`` mappings (``--map account.handle=screen_name``).

Options (``--option KEY=VALUE``):

``table``           activities (default), accounts, follows or infrastructure
``platform``        the platform of every row when there is no platform column
``kind``            the kind of every row when there is no kind column
``reader``          csv, jsonl or parquet (default: from the file name)
``delimiter``       CSV delimiter (default: detected)
``list_separator``  regular expression that splits list fields (default: ``,``/``;``/``|``/space;
                    URL lists split on space, ``;``, ``|`` and ``, ``); ``[a, b]`` lists work too
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa

from unmask import schema
from unmask.engine.sql import identifier, literal
from unmask.ingest.base import (
    Adapter,
    FormatMismatch,
    StageContext,
    csv_header,
    with_text_urls,
)
from unmask.ingest.formats._sqlhelp import bool_error_sql, first_error
from unmask.ingest.tabular import CsvStream, load_json_lines, load_parquet

LIST_SEPARATOR = r"\s*[,;|]\s*|\s+"
URL_LIST_SEPARATOR = r"[\s;|]+|,\s+"
DEFAULT_KIND = {"activities": "post", "accounts": "account"}
_PROVENANCE = ("source_file", "source_row")


class GenericAdapter(Adapter):
    name = "generic"
    description = "any CSV / JSON lines / Parquet table, with --map FIELD=COLUMN for its columns"
    reference = "docs/schema.md"
    detect_order = 90

    def sniff(self, path: Path, head: str) -> bool:
        cols = set(csv_header(head))
        return {"platform", "activity_id", "account_id", "time"} <= cols

    def stage(self, ctx: StageContext) -> None:
        table = ctx.option("table", "activities")
        if table not in schema.TABLES:
            raise ValueError(f"--option table={table}: expected one of {', '.join(schema.TABLES)}")
        reader = ctx.option("reader") or _reader_for(ctx.path)
        stream: CsvStream | None = None
        if reader == "csv":
            # Read as it is staged, never loaded whole (CsvStream).
            stream = CsvStream(ctx, delimiter=ctx.option("delimiter"))
            cols = stream.columns
            source = {c: identifier(c) for c in cols}
        elif reader == "jsonl":
            load_json_lines(ctx)
            cols = []
            source = None
        elif reader == "parquet":
            cols = load_parquet(ctx)
            source = {c: f"CAST({identifier(c)} AS VARCHAR)" for c in cols}
        else:
            raise ValueError(f"--option reader={reader}: expected csv, jsonl or parquet")

        mapping = _mapping(ctx, table, cols, json_lines=source is None)
        # Every platform is normalised as it is staged (_field_exprs), once.
        ctx.platforms_canonical = True

        def column(src: str) -> str:
            if source is None:
                return f"json_extract_string(_json, {literal(_json_pointer(src))})"
            if src not in source:
                raise FormatMismatch(
                    ctx.path,
                    f"a column {src!r} (mapped with --map)",
                    "columns " + ", ".join(cols),
                )
            return source[src]

        def insert(target: str, select: str, *, count: bool = False) -> None:
            if stream is not None:
                stream.insert(target, select, count=count)
            else:
                ctx.con.execute(f"INSERT INTO stage_{target} BY NAME {select}")

        sep = ctx.option("list_separator")
        own = {f: c for f, c in mapping.items() if not f.startswith("account.")}
        selects, errors = _field_exprs(ctx, table, {f: column(c) for f, c in own.items()}, sep)
        if source is None:
            errors = _json_shape_errors(table, own) + errors
        error, field = first_error(errors)
        select = f"SELECT {', '.join(selects)}, _row, {error} AS _error, {field} AS _field FROM raw"
        if table == "activities":
            # The links in the texts are found in this scan, once.
            select = with_text_urls(select, [e.rsplit(" AS ", 1)[1] for e in selects])
            ctx.text_urls_staged = True
        insert(table, select, count=True)
        if table == "activities":
            account_map = {
                f.removeprefix("account."): column(c)
                for f, c in mapping.items()
                if f.startswith("account.")
            }
            own_fields = bool(account_map)
            account_map["platform"] = column(mapping["platform"]) if "platform" in mapping else None
            account_map["account_id"] = column(mapping["account_id"])
            selects, errors = _field_exprs(ctx, "accounts", account_map, sep)
            if own_fields:
                insert(
                    "accounts",
                    f"""SELECT {", ".join(selects)}, _row, {first_error(errors)[0]} AS _error,
                               {first_error(errors)[1]} AS _field
                        FROM raw""",
                )
            else:
                # Only the key, and its expressions are the activity's own: a view of the
                # staged activities rather than the file read again.
                kind = [e.removesuffix(" AS kind") for e in selects if e.endswith(" AS kind")]
                ctx.stage_view(
                    "accounts",
                    {"platform": "platform", "account_id": "account_id", "_row": "_row"}
                    | ({"kind": kind[0]} if kind else {}),
                    "stage_activities",
                )
        if stream is not None:
            stream.finish()


def _json_shape_errors(table: str, mapping: dict[str, str]) -> list[tuple[str | None, str]]:
    """Errors for JSON objects and arrays where a single value is expected (an id, a time):
    read as text they would be stored as their JSON."""
    types = {f.name: f.type for f in schema.TABLES[table]}
    out: list[tuple[str | None, str]] = [
        (
            None,
            "CASE WHEN json_type(_json) <> 'OBJECT' THEN 'this line is JSON but not an object' END",
        )
    ]
    for field, src in mapping.items():
        if field in types and not pa.types.is_list(types[field]):
            kind = f"json_type(_json, {literal(_json_pointer(src))})"
            out.append(
                (
                    field,
                    f"CASE WHEN {kind} IN ('OBJECT', 'ARRAY') THEN 'field ''{field}'' "
                    f"({literal(src)[1:-1]}) is a JSON ' || lower({kind}) || ', not a value' END",
                )
            )
    return out


def _reader_for(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    return "csv"


def _pairs(text: str) -> list[str]:
    """``FIELD=COLUMN,FIELD=COLUMN`` split at the commas that start another ``FIELD=``: a
    column's name may hold a comma (``--map "text=Likes, total"``)."""
    return re.split(r",(?=\s*[\w.]+=)", text)


def _json_pointer(dotted: str) -> str:
    """``user.screen_name`` as a JSON Pointer (RFC 6901), which can name any key: ``~`` and
    ``/`` in a key are escaped, and quotes are nothing special."""
    return "".join("/" + key.replace("~", "~0").replace("/", "~1") for key in dotted.split("."))


def _mapping(ctx: StageContext, table: str, cols: list[str], *, json_lines: bool) -> dict[str, str]:
    fields = [f.name for f in schema.TABLES[table] if f.name not in _PROVENANCE]
    account_fields = [
        f.name for f in schema.ACCOUNTS if f.name not in (*_PROVENANCE, "platform", "account_id")
    ]
    mapping: dict[str, str] = {}
    if not json_lines:
        mapping.update({c: c for c in cols if c in fields})
    else:
        mapping.update({f: f for f in fields})
    given = ctx.option("map") or []
    pairs = [p for item in ([given] if isinstance(given, str) else given) for p in _pairs(item)]
    for pair in filter(None, pairs):
        target, sep, src = pair.partition("=")
        target, src = target.strip(), src.strip()
        valid = target in fields or (
            table == "activities"
            and target.startswith("account.")
            and target.removeprefix("account.") in account_fields
        )
        if not sep or not valid:
            raise ValueError(
                f"--map {pair!r}: expected FIELD=COLUMN with FIELD one of {', '.join(fields)}"
                + (", or account.FIELD" if table == "activities" else "")
            )
        mapping[target] = src
    if json_lines:
        # Unmapped schema names are only looked for in JSON; they may well be absent.
        return mapping
    missing = [
        f
        for f in schema.REQUIRED[table]
        if f not in mapping and not (f == "platform" and ctx.option("platform"))
    ]
    if missing:
        raise FormatMismatch(
            ctx.path,
            f"{table} with the fields {', '.join(missing)} (map them with --map FIELD=COLUMN"
            + (", or give --option platform=NAME" if "platform" in missing else "")
            + ")",
            "columns " + ", ".join(cols),
        )
    return mapping


def _field_exprs(
    ctx: StageContext, table: str, sources: dict[str, str | None], sep: str | None
) -> tuple[list[str], list[tuple[str, str]]]:
    """SELECT expressions for the target fields and (field, error expression) pairs."""
    selects: list[str] = []
    errors: list[tuple[str, str]] = []
    for f in schema.TABLES[table]:
        if f.name in _PROVENANCE:
            continue
        src = sources.get(f.name)
        if src is None:
            if f.name == "platform" and ctx.option("platform"):
                selects.append(f"unmask_platform({literal(ctx.option('platform'))}) AS platform")
            elif f.name == "kind":
                kind = ctx.option("kind", DEFAULT_KIND.get(table))
                if kind:
                    selects.append(f"{literal(kind)} AS kind")
            continue
        t = f.type
        if pa.types.is_timestamp(t):
            selects.append(f"unmask_time({src}) AS {f.name}")
            errors.append((f.name, f"unmask_time_error({src}, '{f.name}')"))
        elif pa.types.is_integer(t):
            selects.append(f"unmask_int({src}) AS {f.name}")
            errors.append((f.name, f"unmask_int_error({src}, '{f.name}')"))
        elif pa.types.is_boolean(t):
            selects.append(f"unmask_bool({src}) AS {f.name}")
            errors.append((f.name, bool_error_sql(src, f.name)))
        elif pa.types.is_list(t):
            default = URL_LIST_SEPARATOR if f.name in ("urls", "urls_original") else LIST_SEPARATOR
            selects.append(f"unmask_split({src}, {literal(sep or default)}) AS {f.name}")
        elif f.name == "platform":
            selects.append(
                f"unmask_platform(coalesce(lower(unmask_str({src})), "
                f"{literal(ctx.option('platform'))})) AS platform"
            )
        elif f.name == "kind":
            default = ctx.option("kind", DEFAULT_KIND.get(table))
            selects.append(f"coalesce(lower(unmask_str({src})), {literal(default)}) AS kind")
        else:
            selects.append(f"unmask_str({src}) AS {f.name}")
    return selects, errors
