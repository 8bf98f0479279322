"""Simulator speed: generating and writing a marketplace.

Usage: python benchmarks/bench_simulate.py [--users 26000 260000]

Prints, per size: users, events, seconds to simulate in memory, seconds to write
the five TSV files, and events/s.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import _common  # noqa: F401
from _common import peak_rss_mb, print_table, timed

from cadence.simulate import SimConfig, simulate, write_logs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, nargs="+", default=[26_000, 260_000])
    args = p.parse_args()
    rows = []
    for n in args.users:
        t: dict[str, float] = {}
        with timed(t, "simulate"):
            sim = simulate(SimConfig(users=n, seed=0))
        with tempfile.TemporaryDirectory() as tmp, timed(t, "write"):
            write_logs(sim, Path(tmp))
        rows.append(
            {
                "users": n,
                "events": len(sim.events),
                "simulate_s": t["simulate"],
                "write_s": t["write"],
                "events_per_s": len(sim.events) / (t["simulate"] + t["write"]),
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    print_table(rows, "simulate.py: generation and writing")


if __name__ == "__main__":
    main()
