"""Score a detection run against the ground truth of a synthetic world.

The run is a file of flagged accounts, ``RUN/flagged.csv`` or ``RUN/flagged.parquet``
(``docs/evaluate.md`` gives the format): ``platform, account_id`` and optionally
``cluster_id``, ``score`` and ``signals`` (the signals that supported the account, joined
with ``;``). The truth is the ``truth/`` folder that ``unmask simulate`` writes.

``evaluate(truth_dir, run_dir)`` returns an :class:`Evaluation` with every figure:

* account level: precision, recall and F1 overall and per operation (and per role), the
  false-positive rate among ordinary accounts and among each hard-negative group;
  accounts that are fake but no operation's (:data:`INAUTHENTIC_GROUPS`: a follower
  vendor's stock) are neither: flagging them is not a false accusation, and they are no
  operation's assets either, so they are counted apart (``strict`` counts them as false
  positives);
* operation level: each planted operation matched to the clusters that cover it, with
  purity, completeness, found / missed / merged / split, and the adjusted Rand index of
  the whole partition;
* per signal: precision and recall of the accounts each signal supported;
* a confusion table (truth class × flagged) and a table of the clusters.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from unmask import rundir
from unmask.engine.duckdb import connect
from unmask.engine.sql import identifier, literal
from unmask.errors import InputError
from unmask.schema import normalise_platform

AUTHENTIC = "authentic"
UNFLAGGED = "(not flagged)"
UNCLUSTERED = "(no cluster)"
# Groups of the truth whose accounts are fake but belong to no influence operation: a
# follower vendor's stock, sold to operations, fans and ordinary customers alike. Platforms
# remove them as fake engagement; they are not the open crowds (fans, volunteers, newsrooms)
# whose flagging would be a false accusation.
INAUTHENTIC_GROUPS = frozenset({"follower_vendor"})


class EvaluationError(InputError, ValueError):
    """The truth or the run cannot be read, with what is wrong."""


@dataclass
class Scores:
    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None

    @classmethod
    def of(cls, tp: int, fp: int, fn: int) -> Scores:
        p = tp / (tp + fp) if tp + fp else None
        r = tp / (tp + fn) if tp + fn else None
        return cls(tp, fp, fn, p, r, _f1(p, r))


@dataclass
class RoleScore:
    role: str
    accounts: int
    flagged: int
    recall: float


@dataclass
class OperationScore:
    id: str
    type: str | None
    accounts: int
    flagged: int
    recall: float
    precision: float | None  # share of the accounts in its clusters that belong to it (= purity)
    f1: float | None
    clusters: list[str]
    purity: float | None
    completeness: float
    status: str  # found | missed
    split: bool
    merged: bool
    merged_with: list[str]
    roles: list[RoleScore] = field(default_factory=list)
    # Its accounts in any reported cluster: the flagged ones, and those in groups reported
    # as coordinated whose authenticity the data could not show (None: the run has no
    # clusters to say, such as a bare flagged file).
    reported: int | None = None


@dataclass
class GroupRate:
    group: str
    accounts: int
    flagged: int
    rate: float | None
    # "authentic", or "inauthentic" for :data:`INAUTHENTIC_GROUPS`
    kind: str = "authentic"


@dataclass
class ClusterRow:
    cluster_id: str
    size: int
    majority: str
    purity: float
    labels: dict[str, int]


@dataclass
class SignalScore:
    signal: str
    flagged: int
    tp: int
    fp: int
    precision: float | None
    recall: float | None
    false_positives_by_group: dict[str, int]


@dataclass
class Evaluation:
    accounts: int  # accounts in the truth
    operation_accounts: int
    flagged: int  # flagged accounts found in the truth
    overall: Scores  # fake accounts of no operation (INAUTHENTIC_GROUPS) left out
    strict: Scores  # the same with them counted as false positives
    false_positive_rate: float | None  # among all authentic accounts
    ordinary: GroupRate
    groups: list[GroupRate]
    operations: list[OperationScore]
    found: int
    missed: int
    merged: int
    split: int
    purity: float | None
    completeness: float | None
    adjusted_rand_index: float
    average_precision: float | None
    signals: list[SignalScore]
    confusion: list[dict[str, Any]]
    clusters: list[ClusterRow]
    # Authentic accounts in groups reported as coordinated (authenticity not assessed): not
    # accused, but named (None: the run has no clusters to say).
    reported_authentic: int | None
    unknown_accounts: int  # flagged accounts that are not in the truth (ignored)
    duplicate_rows: int  # rows of an account flagged more than once (the best score kept)
    matching: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _comb2(n: int) -> int:
    return n * (n - 1) // 2


def adjusted_rand_index(contingency: dict[tuple[str, str], int]) -> float:
    """ARI of two partitions given as counts of (truth label, predicted label)."""
    n = sum(contingency.values())
    rows: Counter[str] = Counter()
    cols: Counter[str] = Counter()
    for (a, b), k in contingency.items():
        rows[a] += k
        cols[b] += k
    index = sum(_comb2(k) for k in contingency.values())
    sum_a = sum(_comb2(k) for k in rows.values())
    sum_b = sum(_comb2(k) for k in cols.values())
    total = _comb2(n)
    if total == 0:
        return 1.0
    expected = sum_a * sum_b / total
    maximum = (sum_a + sum_b) / 2
    if maximum == expected:
        return 1.0 if index == expected else 0.0
    return (index - expected) / (maximum - expected)


def find_run_file(run: str | Path) -> Path:
    run = Path(run)
    if run.is_file():
        return run
    found = rundir.flagged_file(run)
    if found is not None:
        return found
    raise EvaluationError(f"{run}: no flagged.csv or flagged.parquet (see docs/evaluate.md)")


def _read_run(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    if path.suffix == ".parquet":
        con.execute(f"CREATE TEMP VIEW raw_run AS SELECT * FROM read_parquet({literal(path)})")
    else:
        con.execute(
            "CREATE TEMP VIEW raw_run AS SELECT * FROM "
            f"read_csv({literal(path)}, header = true, all_varchar = true)"
        )
    cols = {r[0].lower(): identifier(r[0]) for r in con.execute("DESCRIBE raw_run").fetchall()}
    missing = [c for c in ("platform", "account_id") if c not in cols]
    if missing:
        raise EvaluationError(
            f"{path}: missing column(s) {', '.join(missing)}; a detection file has "
            "platform, account_id and optionally cluster_id, score, signals"
        )

    def col(name: str, cast: str) -> str:
        return f"TRY_CAST({cols[name]} AS {cast})" if name in cols else f"CAST(NULL AS {cast})"

    con.execute(
        f"""CREATE TEMP TABLE run AS
            SELECT CAST({cols["platform"]} AS VARCHAR) AS platform,
                   CAST({cols["account_id"]} AS VARCHAR) AS account_id,
                   nullif(trim({col("cluster_id", "VARCHAR")}), '') AS cluster_id,
                   {col("score", "DOUBLE")} AS score,
                   {col("signals", "VARCHAR")} AS signals,
                   row_number() OVER () AS _row
            FROM raw_run"""
    )
    bad_score = (
        con.execute(
            f"""SELECT count(*) FROM raw_run
                WHERE nullif(trim(CAST({cols["score"]} AS VARCHAR)), '') IS NOT NULL
                  AND TRY_CAST({cols["score"]} AS DOUBLE) IS NULL"""
        ).fetchone()[0]
        if "score" in cols
        else 0
    )
    if bad_score:
        raise EvaluationError(f"{path}: {bad_score} row(s) have a score that is not a number")


def evaluate(truth_dir: str | Path, run_dir: str | Path, *, min_share: float = 0.1) -> Evaluation:
    """Every figure of a detection run against a world's truth (see the module docs)."""
    truth_dir = Path(truth_dir)
    accounts_file = truth_dir / "accounts.parquet"
    if not accounts_file.is_file():
        raise EvaluationError(
            f"{truth_dir}: no accounts.parquet (is this the truth/ of `unmask simulate`?)"
        )
    op_types: dict[str, str] = {}
    if (truth_dir / "operations.json").is_file():
        for op in json.loads((truth_dir / "operations.json").read_text())["operations"]:
            op_types[op["id"]] = op.get("type")
    run_file = find_run_file(run_dir)
    con = connect()
    con.create_function("unmask_platform", normalise_platform, ["VARCHAR"], "VARCHAR")
    try:
        con.execute(
            f"CREATE TEMP VIEW truth AS SELECT * FROM read_parquet({literal(accounts_file)})"
        )
        _read_run(con, run_file)
        # One row per flagged account: the best-scored row when an account comes twice.
        n_rows = con.execute("SELECT count(*) FROM run").fetchone()[0]
        con.execute(
            """CREATE TEMP TABLE flagged AS
               SELECT unmask_platform(platform) AS platform, account_id,
                      arg_max(cluster_id, (coalesce(score, -1e308), -_row)) AS cluster_id,
                      max(score) AS score,
                      string_agg(signals, ';') AS signals
               FROM run WHERE platform IS NOT NULL AND account_id IS NOT NULL GROUP BY ALL"""
        )
        n_flagged_all = con.execute("SELECT count(*) FROM flagged").fetchone()[0]
        duplicates = n_rows - n_flagged_all
        joined = con.execute(
            """SELECT f.platform, f.account_id, f.cluster_id, f.score, f.signals,
                      t.operation_id, t.role, t."group"
               FROM flagged f JOIN truth t USING (platform, account_id)"""
        ).fetchall()
        classes = con.execute(
            """SELECT coalesce(operation_id, '') AS op, coalesce("group", '') AS grp, role, count(*)
               FROM truth GROUP BY ALL"""
        ).fetchall()
        reported = _reported(con, Path(run_dir))
    finally:
        con.close()
    return _score(joined, classes, op_types, n_flagged_all, duplicates, min_share, reported)


def _reported(con: duckdb.DuckDBPyConnection, run_dir: Path) -> dict[str, int] | None:
    """Per operation id ('' for authentic accounts, vendor stock left out), its accounts in
    a cluster with a tier or flagged; None when ``run_dir`` is not a run with clusters."""
    if not all((run_dir / name).is_file() for name in (rundir.NODES, rundir.CLUSTERS)):
        return None
    nodes = literal(rundir.table_path(run_dir, rundir.NODES))
    clusters = literal(rundir.table_path(run_dir, rundir.CLUSTERS))
    rows = con.execute(
        f"""WITH r AS (
                SELECT n.platform, n.account_id FROM read_parquet({nodes}) n
                JOIN read_parquet({clusters}) c USING (cluster_id) WHERE c.tier IS NOT NULL
                UNION SELECT platform, account_id FROM flagged)
            SELECT coalesce(t.operation_id, '') AS op, count(*) FROM r
            JOIN truth t USING (platform, account_id)
            WHERE t.operation_id IS NOT NULL
               OR coalesce(t."group", '') NOT IN ({", ".join(literal(g) for g in INAUTHENTIC_GROUPS)})
            GROUP BY ALL"""
    ).fetchall()
    return dict(rows)


def _score(
    joined, classes, op_types, n_flagged_all, duplicates, min_share, reported=None
) -> Evaluation:
    op_size: Counter[str] = Counter()
    role_size: dict[str, Counter[str]] = defaultdict(Counter)
    group_size: Counter[str] = Counter()
    for op, grp, role, n in classes:
        if op:
            op_size[op] += n
            role_size[op][role] += n
        else:
            group_size[grp or "ordinary"] += n
    n_accounts = sum(op_size.values()) + sum(group_size.values())
    n_ops = sum(op_size.values())
    n_auth = sum(group_size.values())

    flagged_op: Counter[str] = Counter()
    flagged_role: dict[str, Counter[str]] = defaultdict(Counter)
    flagged_group: Counter[str] = Counter()
    cell: Counter[tuple[str, str]] = Counter()  # (cluster, label)
    # The cluster table's labels: a vendor's stock is named for it, neither an operation nor
    # authentic (the partition figures keep it with the authentic accounts).
    shown: Counter[tuple[str, str]] = Counter()
    scored: list[tuple[float, bool]] = []
    signal_rows: dict[str, list[tuple[str | None, str | None]]] = defaultdict(list)
    for _platform, _account, cluster, score, signals, op, role, grp in joined:
        label = op or AUTHENTIC
        cluster = cluster if cluster is not None else UNCLUSTERED
        cell[(cluster, label)] += 1
        shown[(cluster, op or (grp if grp in INAUTHENTIC_GROUPS else AUTHENTIC))] += 1
        if op:
            flagged_op[op] += 1
            flagged_role[op][role] += 1
        else:
            flagged_group[grp or "ordinary"] += 1
        vendor_stock = not op and grp in INAUTHENTIC_GROUPS
        if score is not None and not math.isnan(score) and not vendor_stock:
            scored.append((score, bool(op)))
        for s in {x.strip() for x in (signals or "").split(";") if x.strip()}:
            signal_rows[s].append((op, None if op else (grp or "ordinary")))
    tp = sum(flagged_op.values())
    fp = sum(flagged_group.values())
    fake = sum(k for g, k in flagged_group.items() if g in INAUTHENTIC_GROUPS)
    n_fake = sum(k for g, k in group_size.items() if g in INAUTHENTIC_GROUPS)
    overall = Scores.of(tp, fp - fake, n_ops - tp)
    strict = Scores.of(tp, fp, n_ops - tp)

    # Clusters and their labels.
    clusters: dict[str, Counter[str]] = defaultdict(Counter)
    for (c, label), k in shown.items():
        clusters[c][label] = k
    cluster_rows = []
    for c, labels in clusters.items():
        size = sum(labels.values())
        majority, top = max(labels.items(), key=lambda kv: (kv[1], kv[0] != AUTHENTIC, kv[0]))
        cluster_rows.append(ClusterRow(c, size, majority, top / size, dict(labels.most_common())))
    cluster_rows.sort(key=lambda r: (-r.size, r.cluster_id))

    operations = []
    covers: dict[str, list[str]] = {}
    for op in sorted(op_size):
        need = max(math.ceil(min_share * op_size[op]), min(2, op_size[op]))
        covers[op] = sorted(c for c, labels in clusters.items() if labels.get(op, 0) >= need)
    for op in sorted(op_size):
        mine = covers[op]
        inside = sum(clusters[c][op] for c in mine)
        total = sum(sum(clusters[c].values()) for c in mine)
        purity = inside / total if total else None
        recall = flagged_op[op] / op_size[op]
        merged_with = sorted({o for c in mine for o in op_size if o != op and c in covers[o]})
        operations.append(
            OperationScore(
                id=op,
                type=op_types.get(op),
                accounts=op_size[op],
                flagged=flagged_op[op],
                recall=recall,
                precision=purity,
                f1=_f1(purity, recall),
                clusters=mine,
                purity=purity,
                completeness=inside / op_size[op],
                status="found" if mine else "missed",
                split=len(mine) >= 2,
                merged=bool(merged_with),
                merged_with=merged_with,
                roles=[
                    RoleScore(r, n, flagged_role[op][r], flagged_role[op][r] / n)
                    for r, n in sorted(role_size[op].items())
                ],
                reported=None if reported is None else reported.get(op, 0),
            )
        )

    # Partition-level figures over all accounts of the truth.
    contingency: Counter[tuple[str, str]] = Counter()
    for (c, label), k in cell.items():
        contingency[(label, c)] += k
    for op, n in op_size.items():
        contingency[(op, UNFLAGGED)] += n - flagged_op[op]
    contingency[(AUTHENTIC, UNFLAGGED)] += n_auth - fp
    flagged_in_truth = tp + fp
    purity_all = (
        sum(max(labels.values()) for labels in clusters.values()) / flagged_in_truth
        if flagged_in_truth
        else None
    )
    completeness_all = (
        sum(max((clusters[c].get(op, 0) for c in clusters), default=0) for op in op_size) / n_ops
        if n_ops
        else None
    )

    groups = [
        GroupRate(
            g,
            n,
            flagged_group[g],
            flagged_group[g] / n if n else None,
            "inauthentic" if g in INAUTHENTIC_GROUPS else "authentic",
        )
        for g, n in sorted(group_size.items())
        if g != "ordinary"
    ]
    n_ord = group_size.get("ordinary", 0)
    ordinary = GroupRate(
        "ordinary",
        n_ord,
        flagged_group["ordinary"],
        flagged_group["ordinary"] / n_ord if n_ord else None,
    )

    signals = []
    for s, hits in sorted(signal_rows.items()):
        s_tp = sum(1 for op, _ in hits if op)
        s_fp = len(hits) - s_tp
        by_group = Counter(g for op, g in hits if not op)
        signals.append(
            SignalScore(
                s,
                len(hits),
                s_tp,
                s_fp,
                s_tp / len(hits) if hits else None,
                s_tp / n_ops if n_ops else None,
                dict(sorted(by_group.items())),
            )
        )

    confusion = [
        {
            "class": op,
            "kind": "operation",
            "accounts": n,
            "flagged": flagged_op[op],
            "not_flagged": n - flagged_op[op],
        }
        for op, n in sorted(op_size.items())
    ] + [
        {
            "class": g,
            "kind": "inauthentic" if g in INAUTHENTIC_GROUPS else "authentic",
            "accounts": n,
            "flagged": flagged_group[g],
            "not_flagged": n - flagged_group[g],
        }
        for g, n in sorted(group_size.items(), key=lambda kv: (kv[0] != "ordinary", kv[0]))
    ]

    return Evaluation(
        accounts=n_accounts,
        operation_accounts=n_ops,
        flagged=flagged_in_truth,
        overall=overall,
        strict=strict,
        false_positive_rate=(fp - fake) / (n_auth - n_fake) if n_auth - n_fake else None,
        ordinary=ordinary,
        groups=groups,
        operations=operations,
        found=sum(o.status == "found" for o in operations),
        missed=sum(o.status == "missed" for o in operations),
        merged=sum(o.merged for o in operations),
        split=sum(o.split for o in operations),
        purity=purity_all,
        completeness=completeness_all,
        adjusted_rand_index=adjusted_rand_index(contingency),
        average_precision=_average_precision(scored, n_ops),
        signals=signals,
        confusion=confusion,
        clusters=cluster_rows,
        reported_authentic=None if reported is None else reported.get("", 0),
        unknown_accounts=n_flagged_all - flagged_in_truth,
        duplicate_rows=duplicates,
        matching={"min_share": min_share},
    )


def _average_precision(scored: list[tuple[float, bool]], positives: int) -> float | None:
    """Average precision of the ranking by score (unranked positives count as missed)."""
    if not scored or not positives:
        return None
    scored = sorted(scored, key=lambda x: -x[0])
    hits, total = 0, 0.0
    for k, (_, pos) in enumerate(scored, 1):
        if pos:
            hits += 1
            total += hits / k
    return total / positives
