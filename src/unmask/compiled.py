"""What the compiled kernels (numba) share: they use as many threads as the engine."""

from __future__ import annotations

import os

import numba


def use_threads() -> None:
    """Run this thread's next kernels on ``UNMASK_THREADS`` threads when it is set (as
    DuckDB does), at most as many as numba started; otherwise on all of them."""
    n = int(os.environ.get("UNMASK_THREADS", "0") or 0)
    numba.set_num_threads(
        max(1, min(n, numba.config.NUMBA_NUM_THREADS)) if n else numba.config.NUMBA_NUM_THREADS
    )
