"""The Meta-style indicator CSV of a real detect run on the small world: read back by the
catalogue's importer of Meta's files without a problem, linked back to the operations it
came from (export, import as a known operation, match), and without handles, ids or texts
in privacy mode."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from unmask import lineage
from unmask.catalogue import Catalogue, meta_name, read_meta
from unmask.engine.duckdb import DuckDBEngine
from unmask.export import indicators
from unmask.export.findings import Privacy, read_run
from unmask.indicators import refang
from unmask.store import Store

META = Path(__file__).resolve().parents[2] / "shared" / "data" / "meta-threat-research"


@pytest.fixture(scope="module")
def run_dir(small_run) -> Path:
    return small_run[0].run_dir


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_header_and_tags_are_meta_s(run_dir, tmp_path):
    path = indicators.write(run_dir, tmp_path / "indicators.csv")
    assert path.read_text().splitlines()[0] == "Tactic,Technique,Procedure,Indicator,Note"
    spamouflage = _rows(META / "Q2_2023_Spamouflage_China_based_CIB_updated.csv")
    theirs = {(r["Tactic"], r["Technique"], r["Procedure"]) for r in spamouflage}
    ours = _rows(path)
    # The acquiring rows are tagged exactly as Meta tags them.
    acquiring = {
        (r["Tactic"], r["Technique"], r["Procedure"])
        for r in ours
        if r["Procedure"].startswith("0.9.1 ")
    }
    assert acquiring and acquiring <= theirs
    # Links and domains are defanged as in Meta's files; refanged they are plain links.
    links = [r["Indicator"] for r in ours if r["Indicator"].startswith("https://")]
    assert links and all("[.]" in x and "." not in x.split("[.]")[-1].split("/")[0] for x in links)
    assert "https://twitter[.]com/" in "\n".join(links)
    assert all("[" not in refang(x) for x in links)


def test_round_trip_export_import_match(run_dir, small_world, tmp_path):
    """Each operation's CSV, imported as a known operation, is linked to that operation and
    to no other."""
    _, ops = read_run(run_dir)
    assert ops
    known = []
    for op in ops:
        op_file = indicators.write_csv([op], tmp_path / f"{op.cluster_id}.csv")
        k, problems = read_meta(op_file)
        assert k is not None and problems == []
        accounts = {
            (a["platform"], a["value"]) for a in k.assets if a["kind"] in ("handle", "account")
        }
        assert len(accounts) >= 0.9 * len(op.assets)
        known.append(k)
    cat = Catalogue(tmp_path / "catalogue", create=True)
    cat.add(known)
    with DuckDBEngine(Store(small_world / "store")) as eng:
        links = lineage.link_operations(eng, run_dir, cat, operations_only=True)
    linked = links.filter(links["linked"]).to_pylist()
    pairs = {(r["cluster_id"], r["known_operation"]) for r in linked}
    expected = {(op.cluster_id, meta_name(Path(f"{op.cluster_id}.csv"))) for op in ops}
    assert pairs == expected
    own = [r for r in linked if any(k["kind"] == "domain" for k in r["by_kind"])]
    assert own  # the look-alike domains of the small world come back too


def test_privacy_mode_leaves_no_handle_id_or_text(run_dir, tmp_path):
    plain = indicators.write(run_dir, tmp_path / "plain.csv").read_text()
    private = indicators.write(run_dir, tmp_path / "private.csv", privacy=Privacy(b"k")).read_text()
    hidden = set()
    # An operation's own domains are indicators and stay; a brand account's handle that is
    # its own site's name ("harborlightcoffee" of harborlightcoffee.com) is no secret then.
    domains = [d for op in read_run(run_dir)[1] for d in op.domains]
    with open(run_dir / "takedown.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            hidden.update(
                v
                for v in (r["handle"], r["account_id"])
                if v and len(v) >= 6 and not any(v in d for d in domains)
            )
    assert hidden and any(h in plain for h in hidden)
    assert not [h for h in hidden if h in private]
    with open(run_dir / "takedown.csv", newline="") as fh:
        assert private.count("hmac-sha256:") == sum(1 for _ in csv.DictReader(fh))
    k, problems = read_meta(tmp_path / "private.csv")
    assert k is not None and problems == []
    assert not [a for a in k.assets if a["kind"] in ("handle", "account")]


def test_defang():
    assert indicators.defang("see https://www.youtube.com/@x and bild-de.cfd") == (
        "see https://www.youtube[.]com/@x and bild-de[.]cfd"
    )
    assert indicators.defang("5.2.2 Editing, 7 famil(ies)") == "5.2.2 Editing, 7 famil(ies)"


def test_the_command_line_writes_the_files(run_dir, tmp_path):
    from typer.testing import CliRunner

    from unmask.cli import app

    runner = CliRunner()
    plain = runner.invoke(app, ["export", "--run", str(run_dir), "--out", str(tmp_path / "p")])
    assert plain.exit_code == 0, plain.output
    assert (tmp_path / "p" / "bundle.json").exists() and (
        tmp_path / "p" / "indicators.csv"
    ).exists()
    assert (tmp_path / "p" / "graphs" / "fused.gexf").exists()
    no_key = runner.invoke(
        app, ["export", "--run", str(run_dir), "--out", str(tmp_path / "n"), "--private"]
    )
    assert no_key.exit_code == 2 and not (tmp_path / "n").exists()
    private = runner.invoke(
        app,
        ["export", "--run", str(run_dir), "--out", str(tmp_path / "s"), "--private", "--key", "k"],
    )
    assert private.exit_code == 0, private.output
    assert "hmac-sha256:" in (tmp_path / "s" / "indicators.csv").read_text()
    assert not (tmp_path / "s" / "graphs").exists()


def test_a_profile_link_is_on_the_platform():
    """An account's ``url`` off its platform (an X profile's website, a brand's shop) is
    not its profile: the link is made from the handle instead."""
    from unmask.rundir import Asset

    shop = Asset("x", "42", "account", "harborlightcoffee", "https://harborlightcoffee.com/", [])
    assert indicators.profile_link(shop) == "https://twitter.com/harborlightcoffee"
    page = Asset("facebook", "7", "page", "hl", "https://www.facebook.com/hl", [])
    assert indicators.profile_link(page) == "https://www.facebook.com/hl"
    blog = Asset("blog", "9", "blog", None, "https://heartland-daily-report.com/", [])
    assert indicators.profile_link(blog) == "https://heartland-daily-report.com/"
