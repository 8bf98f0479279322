"""Each simulated world written as files and read back, as train.py reads it.

Usage: python benchmarks/bench_roundtrip.py [--users 2000] [--seed 0]

``bench_worlds.py`` scores the simulator's events as the simulator made them,
their times as the reader takes them (``as_read``: to the hour where a field
of them never changes, ``frozen_minutes``). A user's export reaches the
detector through the reader, which parses, checks and removes duplicates.
This script writes every world of ``simulate.py --world`` with
``write_logs`` and reads it back with ``load_logs``, and prints per world:
the events made and the events read, the rows removed as duplicates or bad,
the rows kept that repeat a time of their user (a clock of whole seconds or
minutes), and whether the features of what was read equal the features of
what was made. Where they do, the world table of ``bench_worlds.py`` is what
a user of that export gets.

Differences that are meant: ``local_stamps`` writes each user's local time
without its offset (as some exports do), so its times move; a world on a
clock of ms may hold two events of one user in the same ms, which the reader
takes for an export's duplicate.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import _common  # noqa: F401  (puts the project on sys.path)
import numpy as np
from _common import print_table
from bench_worlds import as_read

from cadence.simulate import WORLDS, simulate, world_config, write_logs
from features.build import build_features
from features.io import load_logs

NOW_MS = 2_000_000_000_000


def roundtrip(name: str, users: int, seed: int) -> dict:
    """One row of the table for one world."""
    sim = simulate(world_config(name, users=users, seed=seed))
    with tempfile.TemporaryDirectory() as tmp:
        write_logs(sim, Path(tmp))
        logs = load_logs(Path(tmp), now_ms=NOW_MS)
    made = build_features(as_read(sim.events), sim.signups)
    read = build_features(logs.events, logs.signups)
    same = made.shape == read.shape and np.allclose(
        made.to_numpy(float), read.to_numpy(float), rtol=1e-9, atol=1e-9, equal_nan=True
    )
    report = logs.report
    return {
        "world": name,
        "events_made": len(sim.events),
        "events_read": len(logs.events),
        "duplicates": report.duplicates,
        "bad_rows": report.bad_rows,
        "repeated_times_kept": sum(f.repeated_times for f in report.files.values()),
        "features_equal": bool(same),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    rows = [roundtrip(name, args.users, args.seed) for name in WORLDS]
    print_table(
        rows, f"worlds written and read back ({args.users:,} users, seed {args.seed})"
    )


if __name__ == "__main__":
    main()
