"""``unmask export --misp``: the operations of a real detect run on the small world as MISP
events (one per operation, a MISP feed), valid under MISP's event schema (the one PyMISP
ships), with the indicators as attributes and objects, the tier and DISARM techniques as
tags, and the same uuids on every export (issue #18)."""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from unmask.cli import app
from unmask.export import misp, ttp
from unmask.export.findings import Privacy, read_run

pymisp = pytest.importorskip("pymisp")
jsonschema = pytest.importorskip("jsonschema")

DATA = Path(pymisp.__file__).parent / "data"
# MISP's event format (format/2.4 in MISP's repository), as PyMISP ships it: the lax one,
# since the strict one predates objects ("Object" is not in it).
SCHEMA = json.loads((DATA / "schema-lax.json").read_text())
KEY = b"team-key-for-tests"


@pytest.fixture(scope="module")
def run_dir(small_run) -> Path:
    return small_run[0].run_dir


@pytest.fixture(scope="module")
def feed(run_dir, tmp_path_factory) -> Path:
    from clirun import invoke

    out = tmp_path_factory.mktemp("misp")
    invoke("export", "--run", run_dir, "--out", out, "--misp")
    return out / "misp"


def _events(folder: Path) -> dict[str, dict]:
    return {
        p.stem: json.loads(p.read_text())["Event"]
        for p in folder.glob("*.json")
        if p.name != "manifest.json"
    }


def test_one_event_per_operation_valid_under_the_schema(feed, run_dir):
    events = _events(feed)
    _, ops = read_run(run_dir)
    assert len(events) == len(ops) > 0
    for uuid, event in events.items():
        jsonschema.validate({"Event": event}, SCHEMA)
        assert event["uuid"] == uuid
        for obj in event["Object"]:
            _follows_its_template(obj)
        # PyMISP reads it back as an event
        loaded = pymisp.MISPEvent()
        loaded.load(json.dumps({"Event": event}))  # load takes the dict apart
        assert loaded.uuid == uuid and loaded.info == event["info"]
    manifest = json.loads((feed / "manifest.json").read_text())
    assert set(manifest) == set(events)
    with open(feed / "hashes.csv", newline="") as fh:
        assert {row[1] for row in csv.reader(fh)} == set(events)


def _follows_its_template(obj: dict) -> None:
    """A MISP object against its template (misp-objects, as PyMISP ships them): known
    relations with their attribute types, one of the required ones there."""
    template = json.loads(
        (DATA / "misp-objects" / "objects" / obj["name"] / "definition.json").read_text()
    )
    assert obj["template_uuid"] == template["uuid"]
    assert obj["template_version"] == str(template["version"])
    relations = {a["object_relation"]: a for a in obj["Attribute"]}
    for relation, attr in relations.items():
        assert attr["type"] == template["attributes"][relation]["misp-attribute"], relation
    assert set(template.get("requiredOneOf", [])) & set(relations)
    assert set(template.get("required", [])) <= set(relations)


def test_indicators_and_tags_of_each_operation(feed, run_dir):
    by_info = {e["info"].split(" in ", 1)[0]: e for e in _events(feed).values()}
    _, ops = read_run(run_dir)
    for op in ops:
        event = by_info[f"unmask operation {op.cluster_id}"]
        domains = {a["value"] for a in event.get("Attribute", []) if a["type"] == "domain"}
        assert domains == set(op.domains)
        assert all(a["to_ids"] for a in event.get("Attribute", []) if a["type"] == "domain")
        accounts = {
            (attrs["account-type"], attrs["user-id"], attrs.get("username"))
            for o in event["Object"]
            if o["name"] == "user-account"
            for attrs in [{a["object_relation"]: a["value"] for a in o["Attribute"]}]
        }
        assert accounts == {(a.platform, a.account_id, a.handle) for a in op.assets}
        tags = {t["name"] for t in event["Tag"]}
        assert f'unmask:tier="{op.figures["tier"]}"' in tags
        techniques = {t.split('"')[1] for t in tags if t.startswith("unmask:disarm-technique=")}
        assert techniques and techniques <= set(ttp.DISARM_TECHNIQUES)
        galaxy = {t.split('"')[1] for t in tags if t.startswith("misp-galaxy:disarm-techniques=")}
        assert galaxy == {
            misp.GALAXY_TECHNIQUES[t] for t in techniques & set(misp.GALAXY_TECHNIQUES)
        }


def test_the_galaxy_names_are_disarms():
    # MISP attaches a galaxy cluster by its value: DISARM's name of the technique.
    for technique, name in misp.GALAXY_TECHNIQUES.items():
        assert ttp.DISARM_TECHNIQUES[technique][0] == name


def test_the_same_run_gives_the_same_files(feed, run_dir, tmp_path):
    again = misp.write(run_dir, tmp_path / "misp")
    assert sorted(p.name for p in again) == sorted(p.name for p in feed.iterdir())
    for path in again:
        assert path.read_bytes() == (feed / path.name).read_bytes(), path.name


def test_private_events_name_no_account(run_dir, tmp_path):
    events = misp.build(run_dir, privacy=Privacy(KEY))
    text = json.dumps([e.to_feed() for e in events])
    _, ops = read_run(run_dir)
    plain = [a for op in ops for a in op.assets if a.handle and len(a.account_id) > 4]
    assert plain and not any(f'"{a.account_id}"' in text or f'"{a.handle}"' in text for a in plain)
    plain_text = json.dumps([e.to_feed() for e in misp.build(run_dir)])
    assert all(f'"{a.account_id}"' in plain_text for a in plain)
    # another set of events: the key enters the uuids
    assert not {e.uuid for e in events} & {e["Event"]["uuid"] for e in json.loads(plain_text)}


def test_free_text_is_never_a_formula(run_dir, tmp_path):
    # A run whose tier words start like a formula: the description (which begins with
    # them) must not, once a MISP user exports the event to CSV.
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    figures = json.loads((run / "operations.json").read_text())
    for f in figures:
        f["tier_words"] = '=HYPERLINK("http://example.invalid","x")'
    (run / "operations.json").write_text(json.dumps(figures))
    for event in misp.build(run):
        texts = [event.info, *(a.value for a in event.attributes if a.type == "text")]
        texts += [a.comment for a in event.attributes]
        texts += [o.comment for o in event.objects]
        assert texts and not [t for t in texts if t and t[0] in "=+-@\t\r"], texts


def test_without_the_extra_it_says_which(run_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pymisp", None)
    argv = ["export", "--run", run_dir, "--out", tmp_path, "--without-store", "--misp"]
    result = CliRunner().invoke(app, [str(a) for a in argv])
    assert result.exit_code == 1, result.output
    said = result.stderr.strip().splitlines()[-1]
    assert said.startswith("error:") and "unmask[misp]" in said and "pymisp" in said
