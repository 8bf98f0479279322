"""Helpers for the benchmark scripts: timing, peak memory, a plain table."""

from __future__ import annotations

import resource
import sys
import time
from contextlib import contextmanager
from pathlib import Path

# benchmarks run from a checkout: make the project importable without installing
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@contextmanager
def timed(results: dict, name: str):
    """Record the wall-clock seconds of the block in ``results[name]``."""
    t0 = time.perf_counter()
    yield
    results[name] = time.perf_counter() - t0


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux: KB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_table(rows: list[dict], title: str) -> None:
    """Print rows (dicts with the same keys) as an aligned text table."""
    print(f"\n{title}")
    if not rows:
        return
    cols = list(rows[0])
    cells = [[_fmt(r[c]) for c in cols] for r in rows]
    width = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    print("  ".join(c.rjust(w) for c, w in zip(cols, width, strict=True)))
    for row in cells:
        print("  ".join(v.rjust(w) for v, w in zip(row, width, strict=True)))


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 1e5 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)
