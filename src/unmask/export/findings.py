"""A detect run's operations as the indicator exports read them, optionally pseudonymised.

:func:`read_run` joins ``operations.json`` (each operation's figures) with the takedown
list (``takedown.parquet``: its accounts, handles and the signals that vouch for each) and
picks the domains that are the operation's own. With a :class:`Privacy` key, handles and account ids are replaced by
keyed hashes (HMAC-SHA256, RFC 2104) and no posted text is kept: what is shared outside the
team names accounts only in a form that a partner holding the same key can match against
its own data, and that nobody without the key can reverse by trying handles.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unmask import operations


@dataclass(frozen=True)
class Privacy:
    """Pseudonymise with a team key: the same key gives the same hash for the same account
    on every export, so partners holding it can match; no key, no reversal."""

    key: bytes

    def hash(self, platform: str, value: str) -> str:
        digest = hmac.new(self.key, f"{platform}\x1f{value}".encode(), hashlib.sha256)
        return digest.hexdigest()


@dataclass
class Account:
    platform: str
    account_id: str
    kind: str
    handle: str | None
    url: str | None
    signals: list[str]


@dataclass
class Operation:
    cluster_id: str
    figures: dict[str, Any]
    accounts: list[Account] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    private: bool = False

    @property
    def first_seen(self) -> str | None:
        return self.figures["activity"]["first"]

    @property
    def last_seen(self) -> str | None:
        return self.figures["activity"]["last"]

    @property
    def score(self) -> float:
        return float(self.figures["confidence"]["score"])

    @property
    def probability(self) -> float:
        """The calibrated probability that it is an operation (``unmask.judgement``)."""
        return float(self.figures["confidence"]["probability"])


def own_domains(figures: dict[str, Any]) -> list[str]:
    """The operation's own domains (``unmask.operations.own_domains``: one rule for the
    kill chain and the exports)."""
    return [d["value"] for d in operations.own_domains(figures)]


def read_run(run_dir: Path, privacy: Privacy | None = None) -> tuple[dict, list[Operation]]:
    """``run.json`` and the run's operations (best first), pseudonymised with ``privacy``.

    Only clusters judged inauthentic are operations to share (``assess.TAKEDOWN_TIERS``);
    coordinated groups whose authenticity was not assessed stay in the report."""
    run_dir = Path(run_dir)
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    figures = json.loads((run_dir / "operations.json").read_text(encoding="utf-8"))
    ops = {
        f["cluster_id"]: Operation(f["cluster_id"], f, private=privacy is not None)
        for f in figures
        if f.get("operation", True)  # runs made before tiers listed operations only
    }
    for r in operations.read_takedown(run_dir):
        op = ops.get(r["operation"])
        if op is None:
            continue
        handle, account_id, url = r["handle"] or None, r["account_id"], r["url"] or None
        if privacy is not None:
            account_id = privacy.hash(r["platform"], account_id)
            handle = privacy.hash(r["platform"], "@" + handle.lower()) if handle else None
            url = None
        op.accounts.append(
            Account(
                r["platform"],
                account_id,
                r["kind"],
                handle,
                url,
                [s for s in (r["signals"] or "").split(";") if s],
            )
        )
    for op in ops.values():
        op.domains = own_domains(op.figures)
        if privacy is not None:
            op.figures = _redacted(op.figures)
    return run, list(ops.values())


def _redacted(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures without posted text and without the handles of outside accounts (those
    who engaged, named in the reach and the Breakout Scale's basis)."""
    out = json.loads(json.dumps(figures))
    for n in out.get("narratives", []):
        n["representative"] = None
    out.get("reach", {})["top_outside"] = []
    if "breakout" in out:
        out["breakout"]["basis"] = [
            b for b in out["breakout"]["basis"] if not b.startswith("engaged by")
        ]
    return out
