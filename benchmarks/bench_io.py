"""Ingestion speed: rows/s of load_logs on simulated logs, clean and dirty.

Usage: python benchmarks/bench_io.py [--users 26000] [--repeat 3]

Writes the simulator's default marketplace (each log in its own timestamp form)
to a temporary directory, once clean and once with duplicates and malformed rows,
and prints rows read, MB on disk, seconds (best of ``--repeat``) and rows/s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401
from _common import peak_rss_mb, print_table

from cadence.simulate import SimConfig, simulate, write_logs
from features.io import load_logs

NOW_MS = 2_000_000_000_000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=26_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    sim = simulate(SimConfig(users=args.users, seed=0))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for dirty in (False, True):
            d = Path(tmp) / ("dirty" if dirty else "clean")
            write_logs(sim, d, dirty=dirty, seed=1)
            mb = sum(f.stat().st_size for f in d.glob("*.tsv")) / 1e6
            best = float("inf")
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                logs = load_logs(d, now_ms=NOW_MS)
                best = min(best, time.perf_counter() - t0)
            r = logs.report
            rows.append(
                {
                    "input": d.name,
                    "rows_read": r.rows_read,
                    "duplicates": r.duplicates,
                    "bad_rows": r.bad_rows,
                    "mb": mb,
                    "seconds": best,
                    "rows_per_s": r.rows_read / best,
                    "peak_rss_mb": peak_rss_mb(),
                }
            )
    print_table(rows, f"load_logs on {args.users:,} simulated users")


if __name__ == "__main__":
    main()
