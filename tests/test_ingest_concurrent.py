"""The same file ingested by two processes at once: both stage it, one commits it, and the
other reports it as already in the store (it used to end with a traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from unmask.store import Store

pytestmark = pytest.mark.skipif(
    not Path("/proc/locks").exists(), reason="waits for the lock through /proc/locks (Linux)"
)


def _waiting(lock: Path) -> int:
    """How many processes wait for the store's writer lock (``/proc/locks``: "->" lines)."""
    inode = f":{lock.stat().st_ino} "
    lines = Path("/proc/locks").read_text().splitlines()
    return sum(1 for line in lines if "->" in line and inode in line)


def test_the_same_file_twice_at_once(tmp_path):
    path = tmp_path / "posts.csv"
    rows = [f"x,{i},u{i % 7},2021-01-01T00:{i % 60:02d}:00Z,post {i}" for i in range(500)]
    path.write_text("platform,activity_id,account_id,time,text\n" + "\n".join(rows) + "\n")
    store = Store(tmp_path / "store", create=True)
    command = [sys.executable, "-m", "unmask.cli", "ingest", str(path), "--store", str(store.path)]
    command.append("--no-detect-language")
    env = os.environ | {"COLUMNS": "200"}
    # Both processes stage the file while this one holds the writer lock, and queue for it.
    with store.lock():
        procs = [
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
            for _ in range(2)
        ]
        deadline = time.monotonic() + 120
        while _waiting(store.path / ".lock") < 2:
            assert time.monotonic() < deadline, "the two ingests never reached the lock"
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            time.sleep(0.1)
    outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert not any("Traceback" in out for out in outputs), outputs
    assert sum("(already in store)" in out for out in outputs) == 1, outputs
    assert len(store.manifests()) == 1 and store.manifests()[0].rows_stored == 500
