"""``unmask simulate`` and ``evaluate``: a synthetic world with its truth, and the score of
a run against it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from unmask.cli.common import JsonOpt
from unmask.cli.output import consoles, emit_json, fail, stages
from unmask.store import StoreError

app = typer.Typer()
console, out = consoles()


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for store/ and truth/.")],
    scenario: Annotated[
        str,
        typer.Option(
            "--scenario", help="A built-in scenario (small, medium, large) or a TOML file."
        ),
    ] = "small",
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same world (byte for byte).")] = 1,
    scale: Annotated[
        float, typer.Option("--scale", help="Multiply the population, groups and operations.")
    ] = 1.0,
) -> None:
    """Generate a synthetic world with planted operations and its ground truth."""
    from unmask.simulate.scenario import ScenarioError, load_scenario
    from unmask.simulate.world import simulate as run_simulation

    try:
        sc = load_scenario(scenario)
    except ScenarioError as exc:
        fail(str(exc))
    with stages(console, "simulate") as report:
        try:
            result = run_simulation(out_dir, sc, seed, scale=scale, progress=report)
        except (FileExistsError, StoreError, ScenarioError) as exc:
            fail(str(exc))
    m = result.manifest
    e = m.entities
    out.print(
        f"[bold]{out_dir}[/]: {e.get('accounts', 0):,} accounts, {e.get('activities', 0):,} activities, "
        f"{e.get('follows', 0):,} follows, {e.get('infrastructure', 0):,} infrastructure records "
        f"in {result.seconds:.1f} s ({e.get('activities', 0) / max(result.seconds, 1e-9):,.0f} activities/s); "
        f"store: {result.store}, truth: {result.truth}",
        highlight=False,
    )


@app.command()
def evaluate(
    truth: Annotated[Path, typer.Option("--truth", help="The truth/ folder of `unmask simulate`.")],
    run: Annotated[
        Path,
        typer.Option("--run", help="A folder with flagged.csv or flagged.parquet (or the file)."),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Score a detection run against a synthetic world's ground truth."""
    from unmask.evaluate import EvaluationError
    from unmask.evaluate import evaluate as run_evaluation

    try:
        ev = run_evaluation(truth, run)
    except EvaluationError as exc:
        fail(str(exc))
    if as_json:
        emit_json(ev.to_dict())
        return

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f}%"

    o = ev.overall
    out.print(
        f"[bold]accounts[/]: precision {pct(o.precision)}, recall {pct(o.recall)}, F1 {pct(o.f1)} "
        f"(TP {o.tp:,}, FP {o.fp:,}, FN {o.fn:,}); false-positive rate {pct(ev.false_positive_rate)} "
        f"of authentic accounts, {pct(ev.ordinary.rate)} of ordinary ones",
        highlight=False,
    )
    out.print(
        f"[bold]operations[/]: {ev.found} found, {ev.missed} missed, {ev.merged} merged, {ev.split} split; "
        f"purity {pct(ev.purity)}, completeness {pct(ev.completeness)}, "
        f"adjusted Rand index {ev.adjusted_rand_index:.3f}"
        + (
            f", average precision {ev.average_precision:.3f}"
            if ev.average_precision is not None
            else ""
        ),
        highlight=False,
    )
    fake = [g for g in ev.groups if g.kind == "inauthentic" and g.flagged]
    if fake:
        out.print(
            "[bold]fake accounts of no operation[/] (a follower vendor's stock): "
            + ", ".join(f"{g.group} {g.flagged:,} of {g.accounts:,}" for g in fake)
            + " flagged, not counted as false positives; counting them, precision "
            + pct(ev.strict.precision),
            highlight=False,
        )
    if ev.reported_authentic:
        out.print(
            f"[bold]reported, not accused[/]: {ev.reported_authentic:,} authentic account(s) in "
            "groups reported as coordinated behaviour whose authenticity the data could not show",
            highlight=False,
        )
    if ev.unknown_accounts or ev.duplicate_rows:
        console.print(
            f"[yellow]note:[/] {ev.unknown_accounts:,} flagged account(s) are not in the truth (ignored); "
            f"{ev.duplicate_rows:,} duplicate row(s) merged",
            highlight=False,
        )
    ot = Table(title="per operation")
    for col in (
        "operation",
        "type",
        "accounts",
        "flagged",
        "recall",
        "reported",
        "precision",
        "F1",
        "completeness",
        "status",
        "clusters",
    ):
        ot.add_column(col)
    for op in ev.operations:
        status = (
            op.status
            + (" split" if op.split else "")
            + (f" merged with {', '.join(op.merged_with)}" if op.merged else "")
        )
        ot.add_row(
            op.id,
            op.type or "",
            f"{op.accounts:,}",
            f"{op.flagged:,}",
            pct(op.recall),
            "-" if op.reported is None else f"{op.reported:,}",
            pct(op.precision),
            pct(op.f1),
            pct(op.completeness),
            status,
            ", ".join(op.clusters[:5]) + (" …" if len(op.clusters) > 5 else ""),
        )
    out.print(ot)
    ct = Table(title="confusion (truth class × flagged)")
    for col in ("class", "kind", "accounts", "flagged", "not flagged", "rate"):
        ct.add_column(col)
    for r in ev.confusion:
        ct.add_row(
            r["class"],
            r["kind"],
            f"{r['accounts']:,}",
            f"{r['flagged']:,}",
            f"{r['not_flagged']:,}",
            pct(r["flagged"] / r["accounts"] if r["accounts"] else None),
        )
    out.print(ct)
    if ev.signals:
        st = Table(title="per signal")
        for col in ("signal", "flagged", "precision", "recall", "false positives by group"):
            st.add_column(col)
        for s in ev.signals:
            st.add_row(
                s.signal,
                f"{s.flagged:,}",
                pct(s.precision),
                pct(s.recall),
                ", ".join(f"{g} {n:,}" for g, n in s.false_positives_by_group.items()),
            )
        out.print(st)
    kt = Table(title="largest clusters")
    for col in ("cluster", "size", "majority", "purity"):
        kt.add_column(col)
    for c in ev.clusters[:15]:
        kt.add_row(c.cluster_id, f"{c.size:,}", c.majority, pct(c.purity))
    out.print(kt)
