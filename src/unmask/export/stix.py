"""A detect run as a STIX 2.1 bundle (OASIS, "STIX Version 2.1", 2021), built with ``stix2``.

Per operation:

* a ``campaign``: a group of behaviours over a period against some targets. Not an
  ``intrusion-set``: that asserts one actor behind many campaigns, an attribution unmask
  leaves to a human (``docs/detect.md``). ``first_seen``/``last_seen`` are the operation's
  first and last action; the description is its figures in words; ``confidence`` is
  :func:`confidence`;
* its accounts as ``user-account`` observables (``account_type`` from STIX's
  account-type vocabulary where one fits: ``twitter``, ``facebook``; otherwise the
  platform's name, an open-vocabulary value), its own domains as ``domain-name``
  observables, and one ``indicator`` with a STIX pattern for each; the campaign is
  ``related-to`` each observable and each indicator ``indicates`` the campaign;
* its behaviours as ``attack-pattern`` objects, one per Meta kill-chain procedure (the
  procedure as name and external reference; ``kill_chain_phases`` in Meta's kill chain with
  the tactic as phase, and in DISARM's) and one per supporting signal whose DISARM
  techniques no procedure carried; the DISARM technique ids are external references
  (``unmask.export.ttp``); the campaign ``uses`` each, the relationship's description
  giving the evidence.

An ``identity`` names the producer, a ``report`` ties every object together and says what
was not concluded. Patterns and observable values are not defanged (STIX tooling reads them
as values, not links). Each attack-pattern appears once per bundle whichever operations
use it.

Identifiers are deterministic, so that exporting the same run again gives the same bundle
and a platform (OpenCTI, MISP) that imports it twice updates its objects instead of
duplicating them. Observables get STIX's own UUIDv5 of their values; every other object a
UUIDv5 in unmask's namespace (:data:`NAMESPACE`) of its type and what identifies it: the
run (a digest of its ``operations.json``) and the cluster for a campaign and the report;
the campaign and the pattern for an indicator; source, type and target for a relationship;
the name for an attack-pattern and the producer's identity. ``created`` and ``modified`` are
the run's time (``finished_at`` in ``run.json``; the modification time of operations.json
for older runs), and a fixed date for the attack-patterns and the identity, whose content
depends on unmask's code only.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import stix2

from unmask import rundir
from unmask.export import ttp
from unmask.export.findings import Privacy, read_run
from unmask.rundir import Asset, Operation

# STIX 2.1 account-type-ov for the platforms that have a value there.
ACCOUNT_TYPES = {"x": "twitter", "twitter": "twitter", "facebook": "facebook"}
NOT_CONCLUDED = (
    "Coordination is shown by the evidence; who is behind it (attribution) is not concluded "
    "and is left to a human analyst."
)


# unmask's namespace for the UUIDv5 identifiers of the objects it makes (never change it:
# every id of every bundle ever exported derives from it).
NAMESPACE = uuid.UUID("c452b5ba-c253-4c1a-9e28-615eef04da46")
# created/modified of the objects that depend on unmask's definitions only, not on a run.
DEFINED = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _Ids:
    """Deterministic ids and times for the objects of one run (see the module doc)."""

    run: str  # a digest of the run's operations.json
    time: datetime  # when the run was made

    @staticmethod
    def of(kind: str, *key: str) -> str:
        # JSON keeps the parts apart: ("a|b", "c") and ("a", "b|c") never share an id.
        return f"{kind}--{uuid.uuid5(NAMESPACE, json.dumps([kind, *key]))}"

    def props(self, kind: str, *key: str) -> dict[str, Any]:
        """id (in this run's scope), created and modified for a ``kind`` object."""
        return {"id": self.of(kind, self.run, *key), "created": self.time, "modified": self.time}

    @staticmethod
    def defined(kind: str, *key: str) -> dict[str, Any]:
        """id, created and modified of an object that is the same for every run."""
        return {"id": _Ids.of(kind, *key), "created": DEFINED, "modified": DEFINED}

    @classmethod
    def for_run(cls, run_dir: Path, run: dict[str, Any], privacy: Privacy | None) -> _Ids:
        ops = rundir.table_path(run_dir, rundir.OPERATIONS_JSON)
        digest = hashlib.sha256(ops.read_bytes()).hexdigest()
        if privacy is not None:
            # A pseudonymised bundle is another set of objects, one per team key.
            digest += ":private:" + privacy.hash("unmask", "bundle scope")
        when = run.get("finished_at")
        time = (
            datetime.fromisoformat(when)
            if when
            else datetime.fromtimestamp(int(ops.stat().st_mtime), UTC)
        )
        return cls(digest, time)


def confidence(probability: float) -> int:
    """STIX confidence (0-100) from the judgement's calibrated probability that the cluster
    is an inauthentic operation (``unmask.judgement``): ``round(100 * probability)``. The
    takedown tiers start at 70 (likely: "Med" to "High" on STIX's None/Low/Med/High scale,
    Appendix A) and 90 (high confidence)."""
    return round(100 * min(max(probability, 0.0), 1.0))


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _time(iso: str | None, default: datetime) -> datetime:
    return datetime.fromisoformat(iso) if iso else default


def describe(op: Operation) -> str:
    """The operation's figures in words (no handles and no posted text)."""
    f = op.figures
    a, act = f["assets"], f["activity"]
    per_platform = "; ".join(
        f"{p}: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        for p, kinds in sorted(a["by_platform"].items())
    )
    reach = f.get("reach", {})
    tier = f.get("tier_words") or "coordinated inauthentic behaviour"
    parts = [
        f"{tier[0].upper()}{tier[1:]}: {a['accounts']} assets on {len(a['by_platform'])} "
        f"platform(s) ({per_platform}) acted {act['actions']} times between {act['first']} "
        f"and {act['last']}.",
        "Signals vouching for its accounts: "
        + ", ".join(f"{s} ({n})" for s, n in sorted(a["by_signal"].items()))
        + ".",
    ]
    if op.domains:
        parts.append(f"Domains linked almost only by it: {', '.join(op.domains)}.")
    if f.get("narratives"):
        parts.append(
            f"Copied-content families: {f.get('narrative_families', len(f['narratives']))}."
        )
    if reach and reach.get("engagement_outside") is None:
        parts.append("Engagement from outside the operation: not in this data.")
    elif reach:
        parts.append(
            f"Engagement from outside the operation: {reach['engagement_outside']} "
            f"by {reach.get('outside_accounts', 0)} account(s)."
        )
    if "breakout" in f:
        parts.append(f"Breakout Scale category {f['breakout']['category']}.")
    parts.append(f"Judgement: {f['confidence']['reason']}.")
    parts.append(NOT_CONCLUDED)
    return " ".join(parts)


def _account(acc: Asset) -> stix2.UserAccount:
    props: dict[str, Any] = {
        "account_type": ACCOUNT_TYPES.get(acc.platform, acc.platform),
        "user_id": acc.account_id,
    }
    if acc.handle:
        props["account_login"] = acc.handle
    return stix2.UserAccount(**props)


def _account_pattern(sco: stix2.UserAccount) -> str:
    return (
        f"[user-account:account_type = {_quote(sco.account_type)} AND "
        f"user-account:user_id = {_quote(sco.user_id)}]"
    )


def _attack_pattern(
    name: str, techniques: tuple[str, ...], procedure: str | None, by: str
) -> stix2.AttackPattern:
    refs = [
        {
            "source_name": "DISARM",
            "external_id": t,
            "url": f"{ttp.DISARM_URL}{t}.md",
            "hashes": {"SHA-256": ttp.DISARM_TECHNIQUES[t][2]},
            "description": f"{ttp.DISARM_TECHNIQUES[t][0]} (DISARM Red Framework "
            f"v{ttp.DISARM_VERSION})",
        }
        for t in techniques
    ]
    phases = [
        {"kill_chain_name": ttp.DISARM_KILL_CHAIN, "phase_name": ttp.DISARM_TECHNIQUES[t][1]}
        for t in techniques
    ]
    if procedure:
        refs.insert(
            0,
            {
                "source_name": ttp.META_SOURCE,
                "external_id": ttp.procedure_number(procedure),
                "description": f"{ttp.meta_tactic(procedure)} / {ttp.meta_technique(procedure)} "
                f"/ {procedure}",
            },
        )
        phases.insert(
            0,
            {
                "kill_chain_name": ttp.META_KILL_CHAIN,
                "phase_name": ttp.phase(ttp.meta_tactic(procedure).split(". ", 1)[1]),
            },
        )
    unique_phases = list({(p["kill_chain_name"], p["phase_name"]): p for p in phases}.values())
    return stix2.AttackPattern(
        **_Ids.defined("attack-pattern", name),
        created_by_ref=by,
        name=name,
        external_references=refs,
        kill_chain_phases=unique_phases,
    )


def _behaviours(op: Operation) -> list[tuple[str, tuple[str, ...], str | None, str]]:
    """(name, DISARM ids, Meta procedure or None, evidence) for each behaviour: the
    kill-chain procedures first, then signals whose techniques no procedure carried."""
    out = []
    carried: set[str] = set()
    for k in op.figures.get("killchain", []):
        techniques = ttp.disarm_for(k["procedure"])
        carried.update(techniques)
        out.append((k["procedure"], techniques, k["procedure"], k["evidence"]))
    for signal, n in sorted(op.figures["assets"]["by_signal"].items()):
        techniques = tuple(t for t in ttp.disarm_for(f"signal:{signal}") if t not in carried)
        if techniques:
            carried.update(techniques)
            name = " / ".join(f"{t} {ttp.DISARM_TECHNIQUES[t][0]}" for t in techniques)
            out.append(
                (name, techniques, None, f"{n} account(s) vouched for by the {signal} signal")
            )
    return out


def build(
    run_dir: Path, *, privacy: Privacy | None = None, producer: str = "unmask"
) -> stix2.Bundle:
    """The run's bundle (see the module docstring)."""
    run, ops = read_run(run_dir, privacy)
    ids = _Ids.for_run(run_dir, run, privacy)
    identity = stix2.Identity(
        **_Ids.defined("identity", producer),
        name=producer,
        identity_class="organization",
        description="Producer of this bundle: unmask, detection of coordinated influence operations.",
    )
    objects: dict[str, Any] = {identity.id: identity}
    patterns: dict[str, stix2.AttackPattern] = {}
    store = str(run.get("store") or Path(run_dir).name)
    for op in ops:
        campaign = stix2.Campaign(
            **ids.props("campaign", op.cluster_id),
            created_by_ref=identity.id,
            name=f"unmask operation {op.cluster_id}",
            description=describe(op),
            # a group that posted nothing in the data (a vendor's stock) was never "seen"
            **(
                {
                    "first_seen": _time(op.first_seen, ids.time),
                    "last_seen": _time(op.last_seen, ids.time),
                }
                if op.first_seen
                else {}
            ),
            confidence=confidence(op.probability),
            labels=sorted(op.figures["confidence"]["families"])
            + ([op.figures["tier"]] if op.figures.get("tier") else []),
        )
        objects[campaign.id] = campaign
        valid_from = _time(op.first_seen, ids.time)
        observables = [
            # The asset's kind (account, page, group, channel) stays in the name: STIX's
            # user-account has no place for it.
            (_account(acc), _account_pattern, f"{acc.platform} {acc.kind} of {op.cluster_id}")
            for acc in op.assets
        ] + [
            (
                stix2.DomainName(value=d),
                lambda sco: f"[domain-name:value = {_quote(sco.value)}]",
                f"Domain linked almost only by {op.cluster_id}",
            )
            for d in op.domains
        ]
        for sco, pattern, name in observables:
            objects[sco.id] = sco
            indicator = stix2.Indicator(
                **ids.props("indicator", campaign.id, pattern(sco)),
                created_by_ref=identity.id,
                name=name,
                description=f"An asset of {campaign.name}; {NOT_CONCLUDED}",
                indicator_types=["malicious-activity"],
                pattern=pattern(sco),
                pattern_type="stix",
                valid_from=valid_from,
                confidence=campaign.confidence,
            )
            objects[indicator.id] = indicator
            for rel in (
                (indicator.id, "indicates", campaign.id),
                (campaign.id, "related-to", sco.id),
            ):
                r = stix2.Relationship(
                    **ids.props("relationship", *rel),
                    created_by_ref=identity.id,
                    source_ref=rel[0],
                    relationship_type=rel[1],
                    target_ref=rel[2],
                )
                objects[r.id] = r
        for name, techniques, procedure, evidence in _behaviours(op):
            if name not in patterns:
                patterns[name] = _attack_pattern(name, techniques, procedure, identity.id)
                objects[patterns[name].id] = patterns[name]
            ap = patterns[name]
            r = stix2.Relationship(
                **ids.props("relationship", campaign.id, "uses", ap.id),
                created_by_ref=identity.id,
                source_ref=campaign.id,
                relationship_type="uses",
                target_ref=ap.id,
                description=evidence,
            )
            objects[r.id] = r
    report = stix2.Report(
        **ids.props("report"),
        created_by_ref=identity.id,
        name=f"unmask: {len(ops)} operation(s) found in {Path(store).name}",
        description=(
            f"Coordinated inauthentic behaviour detected by unmask in {store}. "
            f"{NOT_CONCLUDED}"
            + (
                " Account handles and ids are HMAC-SHA256 pseudonyms; texts are left out."
                if privacy
                else ""
            )
        ),
        report_types=["campaign"],
        published=ids.time,
        object_refs=[k for k in objects if k != identity.id] or [identity.id],
    )
    objects[report.id] = report
    return stix2.Bundle(
        id=_Ids.of("bundle", ids.run),
        objects=list(objects.values()),
    )


def write(run_dir: Path, path: Path, *, privacy: Privacy | None = None) -> Path:
    """Write the run's bundle as JSON to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not serialize(pretty=True): its spec-order sort is quadratic in the bundle (over 15
    # minutes for the small simulated world); stix2 already keeps properties in that order.
    path.write_text(build(run_dir, privacy=privacy).serialize(indent=2) + "\n", encoding="utf-8")
    return path
