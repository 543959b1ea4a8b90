"""A detect run's operations as the indicator exports read them, optionally pseudonymised.

:func:`read_run` reads the run's operations (``unmask.rundir``: each one's figures, and
its accounts with their handles and the signals that vouch for each) in the order the
exports list them. With a :class:`Privacy` key, handles and account ids are replaced by
keyed hashes (HMAC-SHA256, RFC 2104) and no posted text is kept: what is shared outside the
team names accounts only in a form that a partner holding the same key can match against
its own data, and that nobody without the key can reverse by trying handles.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unmask import rundir
from unmask.rundir import Asset, Operation


@dataclass(frozen=True)
class Privacy:
    """Pseudonymise with a team key: the same key gives the same hash for the same account
    on every export, so partners holding it can match; no key, no reversal."""

    key: bytes

    def hash(self, platform: str, value: str) -> str:
        digest = hmac.new(self.key, f"{platform}\x1f{value}".encode(), hashlib.sha256)
        return digest.hexdigest()


def read_run(run_dir: Path, privacy: Privacy | None = None) -> tuple[dict, list[Operation]]:
    """``run.json`` and the run's operations (best first, as in ``operations.json``; each
    one's assets in the order of the takedown list), pseudonymised with ``privacy``.

    Only clusters judged inauthentic are operations to share (``assess.TAKEDOWN_TIERS``);
    coordinated groups whose authenticity was not assessed stay in the report."""
    run_dir = Path(run_dir)
    run = rundir.read_meta(run_dir)
    rank = {f["cluster_id"]: i for i, f in enumerate(rundir.read_figures(run_dir))}
    ops = sorted(
        (op for op in rundir.read_operations(run_dir) if op.cluster_id in rank),
        key=lambda op: rank[op.cluster_id],
    )
    for op in ops:
        # The takedown list's order within an operation (``unmask.operations.takedown``).
        op.assets = [
            _shared(a, privacy)
            for a in sorted(op.assets, key=lambda a: (a.platform, a.kind, a.account_id))
        ]
        if privacy is not None:
            op.private = True
            op.figures = _redacted(op.figures)
    return run, ops


def _shared(asset: Asset, privacy: Privacy | None) -> Asset:
    """The asset as an export names it: no empty handle or URL; with ``privacy``, keyed
    hashes instead of the handle and id, and no URL."""
    handle, account_id, url = asset.handle or None, asset.account_id, asset.url or None
    if privacy is not None:
        account_id = privacy.hash(asset.platform, account_id)
        handle = privacy.hash(asset.platform, "@" + handle.lower()) if handle else None
        url = None
    return Asset(asset.platform, account_id, asset.kind, handle, url, asset.signals or [])


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
