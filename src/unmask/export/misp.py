"""A detect run's operations as MISP events, built with PyMISP (the ``misp`` extra).

**One event per operation**, not one event for the run with an object per operation: in
MISP an event is the unit that is tagged, published, shared with a sharing group and
correlated with other events, and an analyst decides on each operation apart (one is taken
down, another left for review). The tier and the DISARM techniques are the operation's own,
so they are the event's tags; in a single event they would be mixed. MISP still correlates
the events of one run with each other through their shared values.

The events are written as a **MISP feed** (``misp/<event uuid>.json``, each an
``{"Event": ...}`` document, with ``manifest.json`` and ``hashes.csv``): MISP reads the
folder as a feed ("Feeds", a local or network feed), and each file on its own through
"Import from... MISP JSON" or PyMISP's ``add_event``.

Per event (operation):

* ``info``: the tier, the operation and its assets; ``date``: its first action;
  ``analysis`` initial (a human reviews it); ``distribution`` your organisation only
  (sharing further is the analyst's decision in MISP); ``threat_level_id`` undefined;
* tags: ``unmask:tier="cib_high"``, ``unmask:operation="c0.0"``, one
  ``unmask:disarm-technique="T0049.005"`` per DISARM technique of its behaviours (the
  STIX export's, ``unmask.export.stix.behaviours``) and, for the techniques that MISP's
  DISARM galaxy has, the galaxy's tag (``misp-galaxy:disarm-techniques="Conduct Swarming"``)
  so that MISP attaches the galaxy cluster;
* a ``text`` attribute with the operation's figures in words (``stix.describe``);
* each own domain as a ``domain`` attribute (``to_ids``: an indicator);
* each account as a ``user-account`` object (MISP's object template, as STIX's
  user-account): ``user-id``, ``username`` (the handle), ``account-type`` (the platform),
  ``link`` (the profile's address) and a ``description`` with its kind and the signals.

Identifiers and times are deterministic, as in the STIX bundle: every uuid is a UUIDv5 in
unmask's namespace (``stix.stable_uuid``) of the run's digest and what the object is, and
every timestamp is the run's time, so that a MISP instance importing the same run again
finds the same event with the same timestamp and changes nothing. The producer
(``Orgc``) has the uuid of the STIX bundle's producer identity.

Free text (``info``, comments, the description) goes through ``sheet.neutralise``, since
MISP users export events to CSV: no text starts as a spreadsheet formula. Indicator values
(domains, ids, handles, links) are kept exactly, as in the STIX bundle: MISP correlates and
matches them as values.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from unmask.errors import missing_extra
from unmask.export import stix
from unmask.export.findings import Privacy, read_run
from unmask.export.sheet import neutralise
from unmask.rundir import Asset, Operation

# MISP's DISARM galaxy (MISP/misp-galaxy, clusters/disarm-techniques.json, as of
# 2026-08-06): the cluster value of the techniques it has. The v1.6 asset techniques
# (T0145, T0146, T0149, T0150) are not in it and get the unmask tag only.
GALAXY = "disarm-techniques"
GALAXY_TECHNIQUES = {
    "T0049.005": "Conduct Swarming",
    "T0084.001": "Use Copypasta",
    "T0119.002": "Post across Platform",
    "T0122": "Direct Users to Alternative Platforms",
}
DISTRIBUTION_ORGANISATION_ONLY = 0
ANALYSIS_INITIAL = 0
THREAT_LEVEL_UNDEFINED = 4


def _uuid(*key: str) -> str:
    return str(stix.stable_uuid("misp", *key))


def _tags(op: Operation) -> list[str]:
    techniques = sorted({t for _, ids, _, _ in stix.behaviours(op) for t in ids})
    tags = [f'unmask:operation="{op.cluster_id}"']
    if op.figures.get("tier"):
        tags.insert(0, f'unmask:tier="{op.figures["tier"]}"')
    tags += [f'unmask:disarm-technique="{t}"' for t in techniques]
    tags += [
        f'misp-galaxy:{GALAXY}="{GALAXY_TECHNIQUES[t]}"'
        for t in techniques
        if t in GALAXY_TECHNIQUES
    ]
    return tags


def _account(event: Any, acc: Asset, op: Operation, when: datetime) -> None:
    from pymisp import MISPObject

    obj = MISPObject("user-account", standalone=False)
    obj.uuid = _uuid(event.uuid, "account", acc.platform, acc.account_id)
    obj.timestamp = when
    obj.comment = neutralise(f"{acc.platform} {acc.kind} of unmask operation {op.cluster_id}")
    values = {
        "user-id": acc.account_id,
        "username": acc.handle,
        "account-type": acc.platform,
        "link": acc.url,
        "description": neutralise(
            f"{acc.platform} {acc.kind}; vouched for by the signals {', '.join(acc.signals)}"
            if acc.signals
            else f"{acc.platform} {acc.kind}"
        ),
    }
    for relation, value in values.items():
        if value:
            obj.add_attribute(relation, value=value, uuid=_uuid(obj.uuid, relation), timestamp=when)
    event.add_object(obj)


def build(run_dir: Path, *, privacy: Privacy | None = None, producer: str = "unmask") -> list:
    """The run's operations as PyMISP ``MISPEvent`` objects (see the module docstring)."""
    with missing_extra("the MISP export", "misp"):
        from pymisp import MISPEvent, MISPOrganisation

    run, ops = read_run(run_dir, privacy)
    ids = stix.RunIds.for_run(run_dir, run, privacy)
    org = MISPOrganisation()
    org.name = producer
    org.uuid = stix.RunIds.of("identity", producer).split("--", 1)[1]
    store = Path(str(run.get("store") or run_dir)).name
    events = []
    for op in ops:
        a = op.figures["assets"]
        event = MISPEvent()
        event.uuid = _uuid(ids.run, "event", op.cluster_id)
        tier = op.figures.get("tier_words") or "coordinated inauthentic behaviour"
        event.info = neutralise(
            f"unmask operation {op.cluster_id} in {store}: {tier}, {a['accounts']} assets on "
            f"{', '.join(sorted(a['by_platform']))}"
        )
        event.date = (op.first_seen or ids.time.isoformat())[:10]
        event.timestamp = ids.time
        event.publish_timestamp = ids.time
        event.distribution = DISTRIBUTION_ORGANISATION_ONLY
        event.analysis = ANALYSIS_INITIAL
        event.threat_level_id = THREAT_LEVEL_UNDEFINED
        event.Orgc = org
        for tag in _tags(op):
            event.add_tag(tag)
        event.add_attribute(
            "text",
            neutralise(stix.describe(op)),
            category="Other",
            to_ids=False,
            comment="the operation's figures, by unmask",
            uuid=_uuid(event.uuid, "description"),
            timestamp=ids.time,
        )
        for domain in op.domains:
            event.add_attribute(
                "domain",
                domain,
                category="Network activity",
                to_ids=True,
                comment=neutralise(
                    f"Domain linked almost only by unmask operation {op.cluster_id}"
                ),
                uuid=_uuid(event.uuid, "domain", domain),
                timestamp=ids.time,
            )
        for acc in op.assets:
            _account(event, acc, op, ids.time)
        events.append(event)
    return events


def write(run_dir: Path, folder: Path, *, privacy: Privacy | None = None) -> list[Path]:
    """The run's events as a MISP feed in ``folder``: one ``<uuid>.json`` per operation,
    ``manifest.json`` and ``hashes.csv``. Returns the paths written."""
    events = build(run_dir, privacy=privacy)
    folder.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {}
    hashes: list[tuple[str, str]] = []
    paths = []
    for event in events:
        feed = event.to_feed(with_meta=True)
        manifest.update(feed["Event"].pop("_manifest"))
        hashes += [(h, event.uuid) for h in feed["Event"].pop("_hashes")]
        path = folder / f"{event.uuid}.json"
        path.write_text(_dump(feed), encoding="utf-8")
        paths.append(path)
    (folder / "manifest.json").write_text(_dump(manifest), encoding="utf-8")
    # MISP's feed format: "md5,event uuid" lines, no header; hex and uuids need no quoting
    # (and it is for MISP, not a sheet for people: unmask.export.sheet is not needed).
    (folder / "hashes.csv").write_text(
        "".join(f"{digest},{uuid}\n" for digest, uuid in hashes), encoding="utf-8"
    )
    return [*paths, folder / "manifest.json", folder / "hashes.csv"]


def _dump(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
