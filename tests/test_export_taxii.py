"""``unmask export --taxii URL --collection ID``: the STIX bundle of a real run pushed to a
real TAXII 2.1 server (the OASIS reference server, medallion, with its memory backend, run
as a subprocess), twice without duplicates; its errors are one line with the documented
exit code (issue #18)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from unmask.cli import app
from unmask.errors import InputError
from unmask.export.taxii import envelopes

pytest.importorskip("medallion")
taxii2client = pytest.importorskip("taxii2client.v21")

USER, PASSWORD = "analyst", "correct horse"
COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _medallion_config(tmp: Path, port: int) -> Path:
    root = f"http://127.0.0.1:{port}/api1/"
    data = {
        "/discovery": {"title": "test", "default": root, "api_roots": [root]},
        "api1": {
            "information": {
                "title": "unmask test API root",
                "versions": ["application/taxii+json;version=2.1"],
                # small, so that the small world's bundle (2 MB) goes in several envelopes
                "max_content_length": 500_000,
            },
            "status": [],
            "collections": [
                {
                    "id": COLLECTION,
                    "title": "operations",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    (tmp / "data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(tmp / "data.json"),
        },
        "users": {USER: PASSWORD},
        "taxii": {"max_page_size": 5_000},
    }
    (tmp / "config.json").write_text(json.dumps(config))
    return tmp / "config.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """A medallion TAXII 2.1 server on a free port: its API root's URL."""
    port = _free_port()
    config = _medallion_config(tmp_path_factory.mktemp("medallion"), port)
    cmd = [sys.executable, "-c", "from medallion.scripts.run import main; main()"]
    proc = subprocess.Popen(
        [*cmd, "--host", "127.0.0.1", "--port", str(port), str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, proc.stderr.read().decode()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "medallion did not start"
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/api1/"
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def run_dir(small_run) -> Path:
    return small_run[0].run_dir


def _export(run_dir: Path, out: Path, *args: object):
    argv = ["export", "--run", run_dir, "--out", out, "--without-store", *args]
    return runner.invoke(app, [str(a) for a in argv])


def _push(run_dir: Path, out: Path, url: str, *more: object):
    taxii = ("--taxii", url, "--collection", COLLECTION)
    return _export(run_dir, out, *taxii, "--taxii-user", USER, *more)


def _collection_manifest(url: str) -> list[dict]:
    """What the collection holds: one manifest entry per object version (TAXII 2.1, 5.3).
    Its manifest rather than its objects: medallion takes a minute a page for those."""
    collection = taxii2client.Collection(
        f"{url}collections/{COLLECTION}/", user=USER, password=PASSWORD
    )
    entries: list[dict] = []
    for page in taxii2client.as_pages(collection.get_manifest, per_request=5_000):
        entries += page.get("objects", [])
    return entries


def test_a_run_pushed_twice_is_in_the_collection_once(run_dir, server, tmp_path):
    first = _push(run_dir, tmp_path / "a", server, "--taxii-password", PASSWORD, "--json")
    assert first.exit_code == 0, first.output
    said = json.loads(first.stdout)["taxii"]
    bundle = json.loads((tmp_path / "a" / "bundle.json").read_text())["objects"]
    assert said["sent"] == len(bundle) == said["added"] and said["not_added"] == 0
    assert said["requests"] > 1  # several envelopes under the API root's size limit
    # again, from another folder: the same ids and versions, nothing added
    second = _push(run_dir, tmp_path / "b", server, "--taxii-password", PASSWORD)
    assert second.exit_code == 0, second.output
    assert f"{len(bundle):,} objects sent" in second.stdout and " 0 added" in second.stdout
    stored = _collection_manifest(server)
    assert len(stored) == len(bundle)
    assert sorted(o["id"] for o in stored) == sorted(o["id"] for o in bundle)


def test_the_password_from_the_environment(run_dir, server, tmp_path, monkeypatch):
    monkeypatch.setenv("UNMASK_TAXII_PASSWORD", PASSWORD)
    result = _push(run_dir, tmp_path, server)
    assert result.exit_code == 0, result.output


def _one_line_error(result, code: int) -> str:
    assert result.exit_code == code, result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    # the last line on stderr (after the note that the export goes on without the store)
    said = result.stderr.strip().splitlines()[-1]
    assert said.startswith("error:") and "Traceback" not in result.output
    return said


def test_a_wrong_password_is_an_input_error(run_dir, server, tmp_path):
    said = _one_line_error(_push(run_dir, tmp_path, server, "--taxii-password", "nope"), 2)
    assert "refused the user and password (401)" in said


def test_an_unknown_collection_is_an_input_error(run_dir, server, tmp_path):
    argv = ("--taxii", server, "--collection", "nope", "--taxii-user", USER)
    result = _export(run_dir, tmp_path, *argv, "--taxii-password", PASSWORD)
    assert f"has no collection nope (it has: {COLLECTION})" in _one_line_error(result, 2)


def test_a_server_that_is_not_there(run_dir, tmp_path):
    url = f"http://127.0.0.1:{_free_port()}/api1/"
    said = _one_line_error(_push(run_dir, tmp_path, url, "--taxii-password", PASSWORD), 1)
    assert f"the TAXII server at {url} cannot be reached" in said


def test_taxii_without_the_collection(run_dir, tmp_path):
    said = _one_line_error(_export(run_dir, tmp_path, "--taxii", "http://x/api1/"), 2)
    assert "--collection" in said
    assert not (tmp_path / "bundle.json").exists()


def test_without_the_extra_it_says_which(run_dir, server, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "taxii2client", None)
    monkeypatch.setitem(sys.modules, "taxii2client.v21", None)
    monkeypatch.setitem(sys.modules, "taxii2client.exceptions", None)
    said = _one_line_error(_push(run_dir, tmp_path, server, "--taxii-password", PASSWORD), 1)
    assert "unmask[taxii]" in said and "taxii2client" in said


def test_envelopes_stay_under_the_limit():
    objects = [{"id": f"x--{i}", "text": "y" * (i % 50)} for i in range(300)]
    groups = list(envelopes(objects, 1_000))
    assert [o for g in groups for o in g] == objects
    assert all(len(json.dumps({"objects": g}).encode()) <= 1_000 for g in groups)
    with pytest.raises(InputError, match="big is 5,025 bytes, more than the 1,000"):
        list(envelopes([{"id": "big", "text": "z" * 5_000}], 1_000))
