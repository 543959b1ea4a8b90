"""``unmask report``: one run's threat report as self-contained HTML, Markdown and JSON.

The JSON (``report.json``) is the model; the HTML and Markdown say the same in words and
pictures. Every figure on the HTML page carries ``data-figure="<operation>:<path>"`` so
that a test (and a sceptical reader's script) can check the page against the JSON.

Per operation: a summary in words, the pictures (activity timeline per platform,
hour-of-week heatmap, engagement and follower breakdown, the network coloured by platform,
the narratives), the evidence (synchronised actions and copied-content families with
their variants, each with the activity ids behind it), and what was not concluded.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, PackageLoader

from unmask import operations, rundir
from unmask.engine.duckdb import connect
from unmask.engine.sql import literal
from unmask.export import markdown, plots, topics
from unmask.judgement import FAMILIES
from unmask.signals.base import Reporting
from unmask.signals.registry import signal_classes
from unmask.store import Store, run_store

NOT_CONCLUDED = (
    "These findings show coordination and inauthentic behaviour in the data; they do not "
    "say who is behind it. Attribution is left to a human investigator, with evidence from "
    "outside this data."
)
NOT_CONCLUDED_UNASSESSED = (
    "These findings show coordination in the data, not that anyone is inauthentic: open "
    "groups (fans, activists, newsrooms) act together too, and the signals that could tell "
    "them apart could not judge this data. Nor do they say who is behind it: attribution is "
    "left to a human investigator, with evidence from outside this data."
)
_TEMPLATES = PackageLoader("unmask.export", "templates")


# What a report leaves out when it is written without the run's store.
WITHOUT_STORE = (
    "the copied-content examples and the narratives' topics by meaning (the posts' texts)"
)


def build(
    run_dir: Path,
    *,
    store: Store | Literal["run"] | None = "run",
    examples: int = 3,
    variants: int = 6,
) -> dict[str, Any]:
    """The report's model: the run, and each operation with its summary and evidence.
    ``store``: the run's store ("run": the one run.json names, a StoreError when it is
    missing or has changed since), or None to go on without it (the report says so)."""
    run = rundir.read_meta(run_dir)
    ops = rundir.read_figures(run_dir)
    if store == "run":
        store = run_store(run)
    nodes = rundir.read_table(run_dir, rundir.NODES).to_pylist()
    cluster_of = {(n["platform"], n["account_id"]): n["cluster_id"] for n in nodes}
    # Each signal with a report section gives its items per cluster (``Signal.report_evidence``).
    ctx = Reporting(run_dir, store, ops, cluster_of, examples, variants)
    sections = {
        cls.report_section: cls.report_evidence(ctx)
        for cls in signal_classes()
        if cls.report_section
    }
    # What each group said, grouped by meaning (or its copied-content families).
    told = topics.narratives(ctx)
    for op in ops:
        op["topics"] = told[op["cluster_id"]]
        op["heading"] = heading(op)
        op["summary"] = summary(op)
        op["evidence"] = {key: items.get(op["cluster_id"], []) for key, items in sections.items()}
    signals = run.get("signals", {})
    ran_families = {s.get("family") for s in signals.values()}
    missing = [f"no {f} signal ran" for f in FAMILIES if f not in ran_families]
    missing += run.get("notes", [])
    missing += _not_in_data(ops)
    if store is None:
        missing.append(f"written without the run's store: {WITHOUT_STORE} are left out")
    return {
        "headline": headline(ops),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run": {
            "directory": str(run_dir),
            "store": run.get("store"),
            "engine": run.get("engine"),
            "counts": run.get("counts", {}),
            "signals": {k: v.get("family") for k, v in signals.items()},
        },
        "not_concluded": NOT_CONCLUDED
        if any(_is_operation(op) for op in ops)
        else NOT_CONCLUDED_UNASSESSED,
        "missing": missing,
        "operations": ops,
    }


def _is_operation(op: dict[str, Any]) -> bool:
    # Runs written before tiers existed listed operations only.
    return op.get("operation", True)


def headline(ops: list[dict[str, Any]]) -> str:
    """The report's title: how many operations, and how many other coordinated groups."""
    n_ops = sum(_is_operation(op) for op in ops)
    others = len(ops) - n_ops
    text = f"Coordinated inauthentic behaviour: {n_ops} operation(s) found"
    fake = sum(_is_operation(op) and follows_only(op) for op in ops)
    if fake:
        text += f" ({fake} of them fake-engagement networks that only follow)"
    if others:
        text += f"; {others} coordinated group(s) whose authenticity was not assessed"
    return text


def heading(op: dict[str, Any]) -> str:
    """An operation's or coordinated group's section title, with its tier in words."""
    kind = "Operation" if _is_operation(op) else "Coordinated group"
    words = op.get("tier_words")
    text = f"{kind} {op['cluster_id']}" + (f": {words}" if words else "")
    return text + (" (fake engagement: follows only)" if follows_only(op) else "")


def follows_only(op: dict[str, Any]) -> bool:
    """Whether the group posted nothing and bought-follower evidence links it: a vendor's
    stock of accounts that act only by following, not an operation's voice."""
    return not op["activity"]["actions"] and bool(
        op["assets"].get("by_signal", {}).get("followers")
    )


def _silent(op: dict[str, Any]) -> str:
    """A group that posted nothing: what links it, and what such a group usually is."""
    by = op["assets"].get("by_signal", {})
    what = ", ".join(f"{s} ({n:,})" for s, n in sorted(by.items(), key=lambda kv: -kv[1]))
    text = f"They posted nothing in this data; what links them: {what or 'no signal'}."
    if follows_only(op):
        # A vendor's stock: made in batches, acting only by following customers in bursts.
        text += (
            " Accounts whose only acts are follows in bursts are the profile of a "
            "fake-engagement network (followers for hire, its customers the accounts it "
            "followed), not the voice of an influence operation."
        )
    return text


def summary(op: dict[str, Any]) -> str:
    """The operation (or coordinated group) in a few sentences, from its figures alone."""
    a, act, reach = op["assets"], op["activity"], op["reach"]
    per_platform = "; ".join(
        f"{p}: " + ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in sorted(kinds.items()))
        for p, kinds in sorted(a["by_platform"].items())
    )
    langs = _languages(op["audience"])
    where = f"{len(a['by_platform'])} platform(s) ({per_platform})"
    if _is_operation(op):
        first = f"{a['accounts']:,} assets on {where} are proposed for removal."
        if a.get("attached"):
            first += (
                f" {a['attached']:,} of them are followers that look bought and that no signal"
                " links to the others: most of the accounts they were bought to follow are"
                " this operation's."
            )
    else:
        unassessed = op["confidence"].get("unassessed") or []
        first = (
            f"{a['accounts']:,} accounts on {where} acted in coordination. Whether they are "
            f"inauthentic was not assessed ({', '.join(unassessed) or 'other families'} could "
            f"not be judged on this data), so nothing is proposed for removal."
        )
    text = [
        first,
        f"Between {(act['first'] or '')[:10]} and {(act['last'] or '')[:10]} they acted "
        f"{act['actions']:,} times, {langs}."
        if act["actions"]
        else _silent(op),
    ]
    domains = [d["value"] for d in operations.sites(op)[:3]]
    if domains:
        text.append(f"They pushed links to {', '.join(domains)}.")
    hidden = operations.shorteners(op)
    if hidden:
        text.append(
            f"{'Other' if domains else 'Their'} links went through link shorteners "
            f"({', '.join(hidden[:3])}), and this data does not say where those lead."
        )
    said = _topics_sentence(op.get("topics") or {})
    if said:
        text.append(said)
    # What each signal's figures say (``Signal.summary_sentences``), in the registry's order.
    text.extend(s for cls in signal_classes() for s in cls.summary_sentences(op))
    text.append(_engagement(reach))
    b = op["breakout"]
    text.append(f"Breakout Scale: category {b['category']} ({b['basis'][0]}; {b['basis'][1]}).")
    for link in op.get("lineage", []) or []:
        text.append(
            f"Likely the same actor as {link.get('known_operation')} ({link.get('reason', '')})."
        )
    return " ".join(text)


def _topics_sentence(told: dict[str, Any]) -> str | None:
    """What the group said, in a sentence: how many topics, and the largest."""
    found = told.get("topics") if told.get("method") == topics.SEMANTIC else None
    if not found:
        return None
    top = found[0]
    langs = [k for k in top["languages"] if k.lower() not in operations.NO_LANGUAGE][:3]
    terms = ", ".join(top["terms"][:4])
    return (
        f"What they wrote falls into {len(found)} topic(s) by meaning; the largest "
        f"({top['posts']:,} posts{' in ' + ', '.join(langs) if langs else ''}) is marked by "
        f"{terms or 'no distinctive word'}."
    )


ENGAGEMENT_RECORDS = "replies, comments, shares or reactions whose engaged account is known"


def _engagement(reach: dict[str, Any]) -> str:
    """The engagement sentence: the figures where the data can show them, and where it
    cannot, that they are not in it (never a zero)."""
    unmeasured = ", ".join(reach.get("not_in_data_on") or [])
    if reach["engagement_outside"] is None:
        return f"Engagement with their posts is not in this data (no {ENGAGEMENT_RECORDS} on {unmeasured})."
    text = (
        f"Their posts drew {reach['engagement_outside']:,} engagements from "
        f"{reach['outside_accounts']:,} accounts outside the operation and "
        f"{reach['engagement_inside']:,} from inside it"
    )
    return text + (f"; engagement on {unmeasured} is not in this data." if unmeasured else ".")


def _not_in_data(ops: list[dict[str, Any]]) -> list[str]:
    """The figures the data cannot give, for "what is not concluded"."""
    lines = []
    unmeasured = sorted({p for op in ops for p in op["reach"].get("not_in_data_on") or []})
    if unmeasured:
        lines.append(
            f"engagement: not in this data on {', '.join(unmeasured)} (no {ENGAGEMENT_RECORDS}):"
            " the reach of the groups there, and category 5 of the Breakout Scale, are not"
            " measured"
        )
    unknown = [op["cluster_id"] for op in ops if op["assets"].get("followers", 0) is None]
    if unknown:
        named = ", ".join(unknown[:5]) + (", …" if len(unknown) > 5 else "")
        lines.append(
            f"follower counts: not in this data for the accounts of {len(unknown)} of "
            f"{len(ops)} group(s) ({named})"
        )
    return lines


def _languages(audience: dict[str, Any]) -> str:
    """The operation's main languages in words ("mostly in en (84%) and ru (13%)"); "und"
    and the like are never named."""
    main = [
        f"{x['language']} ({100 * x['share']:.0f}%)" for x in operations.main_languages(audience)
    ]
    if main:
        return "mostly in " + " and ".join([", ".join(main[:-1]), main[-1]] if main[1:] else main)
    if any(k.lower() not in operations.NO_LANGUAGE for k in audience["languages"]):
        share = 100 * operations.MAIN_LANGUAGE_SHARE
        return f"in many languages, none in {share:.0f}% of its posts"
    return "in languages this data does not give"


def _network_edges(run_dir: Path, cluster: str) -> tuple[list, dict]:
    con = connect()
    nodes = f"read_parquet({literal(rundir.table_path(run_dir, rundir.NODES))})"
    edges = con.execute(
        f"""SELECT f.platform_a || '/' || f.account_a, f.platform_b || '/' || f.account_b, f.weight
            FROM read_parquet({literal(rundir.table_path(run_dir, rundir.FUSED))}) f
            JOIN {nodes} a ON a.platform = f.platform_a AND a.account_id = f.account_a
            JOIN {nodes} b ON b.platform = f.platform_b AND b.account_id = f.account_b
            WHERE a.cluster_id = ? AND b.cluster_id = ?""",
        [cluster, cluster],
    ).fetchall()
    con.close()
    platforms = {}
    for a, b, _ in edges:
        platforms[a] = a.split("/", 1)[0]
        platforms[b] = b.split("/", 1)[0]
    return edges, platforms


def pictures(run_dir: Path, op: dict) -> dict[str, str | None]:
    edges, platforms = _network_edges(run_dir, op["cluster_id"])
    return {
        "timeline": plots.timeline(op),
        "heatmap": plots.heatmap(op),
        "breakdown": plots.breakdown(op),
        "network": plots.network(op, edges, platforms),
        "narratives": plots.narratives(op),
    }


def write(
    run_dir: Path, out_dir: Path, *, store: Store | Literal["run"] | None = "run"
) -> dict[str, Path]:
    """Write ``report.html``, ``report.md`` (with its pictures as SVG files beside it) and
    ``report.json`` into ``out_dir`` (``store`` as for :func:`build`)."""
    model = build(run_dir, store=store)
    out_dir.mkdir(parents=True, exist_ok=True)
    pics = {op["cluster_id"]: pictures(run_dir, op) for op in model["operations"]}
    paths = {
        "json": out_dir / "report.json",
        "html": out_dir / "report.html",
        "md": out_dir / "report.md",
    }
    paths["json"].write_text(
        json.dumps(model, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    paths["html"].write_text(
        _environment("html").get_template("report.html.j2").render(r=model, pictures=pics),
        encoding="utf-8",
    )
    files = out_dir / "report_files"
    names: dict[str, dict[str, str]] = defaultdict(dict)
    for cid, kinds in pics.items():
        for kind, svg in kinds.items():
            if svg:
                files.mkdir(exist_ok=True)
                name = f"{cid}-{kind}.svg"
                (files / name).write_text(svg, encoding="utf-8")
                names[cid][kind] = f"report_files/{name}"
    paths["md"].write_text(
        _environment("md").get_template("report.md.j2").render(r=model, pictures=names),
        encoding="utf-8",
    )
    return paths


def _environment(kind: str) -> Environment:
    """The templates' environment: HTML-escaped for the page; for Markdown, every value
    written as plain Markdown text (``unmask.export.markdown``), so that a post's
    ``[x](javascript:...)`` or ``<script>`` stays text."""
    md = kind == "md"
    env = Environment(
        loader=_TEMPLATES,
        autoescape=not md,
        finalize=markdown.escape if md else None,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["code"] = markdown.code
    env.filters["num"] = lambda x: f"{x:,}" if isinstance(x, int) else x
    return env
