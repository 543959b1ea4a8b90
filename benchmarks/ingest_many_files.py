"""Per-file ingest cost as the store fills: N small files, one batch each (issue #19).

    .venv/bin/python benchmarks/ingest_many_files.py              # 5,000 files
    .venv/bin/python benchmarks/ingest_many_files.py --files 1000 # a quick run

Each file is a CooRTweet-shaped share table (``object_id, account_id, content_id,
timestamp_share``) of a few rows, the size of one author's file in a per-author archive.
The files are ingested one after another into one fresh store with ``ingest_file``, and the
wall seconds of each are recorded. It prints the mean seconds a file over the first and the
last hundred files and their ratio: a ratio near 1 means the cost of a file does not grow
with the batches already in the store.

Before the fix (issue #19), every file read all the manifests of the store and opened the
Parquet parts of every batch to look for duplicates; now it joins the store's key index
(docs/schema.md, "Flat cost per file").

Measured 2026-12-04 on the shared 2-core machine (other work running; the ratio is the
figure that travels), ``--files 1000``, 3 rows a file:

    code                 first 100     last 100    ratio   total
    before (main)        0.244 s       1.104 s     4.52    1,020 s  (1.232 s at 401-500)
    key index            0.480 s       0.325 s     0.68      409 s  (run beside the other)

Both runs shared the machine with tests and each other, so the absolute figures swing; an
earlier version of the index (attached in place rather than worked on as a copy) gave
0.309 s and 0.261 s (0.85) beside tests.

The default, 5,000 files (2026-12-05, same machine, less loaded): 880.7 s in all; the
first 100 files 0.493 s a file (the first files set the index up), then per 100 files at
500, 1,000, 2,000, 3,000, 4,000 and 5,000: 0.132, 0.147, 0.246, 0.157, 0.166 and 0.170 s a
file; ratio last/first 0.34. The cost of a file stays flat to the 5,000th.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from pathlib import Path

from unmask.ingest import ingest_file
from unmask.store import Store


def write_files(folder: Path, n: int, rows: int) -> list[Path]:
    """``n`` small share tables, distinct records in each."""
    paths = []
    for i in range(n):
        path = folder / f"author-{i:05d}.csv"
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["object_id", "account_id", "content_id", "timestamp_share"])
            for j in range(rows):
                w.writerow([f"o{(i * 7 + j) % 997}", f"a{i}", f"c{i}-{j}", 1623880000 + i * 60 + j])
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--rows", type=int, default=3, help="rows per file")
    parser.add_argument("--window", type=int, default=100, help="files at each end to compare")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="unmask-many-") as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        paths = write_files(root / "in", args.files, args.rows)
        store = Store(root / "store", create=True)
        seconds = []
        for i, path in enumerate(paths, 1):
            t0 = time.perf_counter()
            ingest_file(store, path, format="coortweet")
            seconds.append(time.perf_counter() - t0)
            if i % 500 == 0:
                print(f"{i:>6} files, last 100: {statistics.mean(seconds[-100:]):.3f} s a file")
        k = min(args.window, len(seconds) // 2)
        first, last = statistics.mean(seconds[:k]), statistics.mean(seconds[-k:])
        print(f"files {len(seconds)}, rows per file {args.rows}, total {sum(seconds):.1f} s")
        print(f"first {k}: {first:.3f} s a file; last {k}: {last:.3f} s a file")
        print(f"ratio last/first: {last / first:.2f}")


if __name__ == "__main__":
    main()
