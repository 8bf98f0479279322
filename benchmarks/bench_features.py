"""Feature-table speed against the floor of any per-user work: one lexsort.

Usage: python benchmarks/bench_features.py [--users 26000 260000] [--repeat 3]

Prints, per size: events, seconds for one ``np.lexsort`` of (time, user) — the
sort every per-user computation needs — seconds for ``build_features`` in one
call (best of ``--repeat``) and its ratio to the sort, seconds for
``build_features_in_parts`` (ranges of ``RANGE_EVENTS`` events, as train.py and
score.py run it) and its ratio to the sort, ``scale`` (that time over the first
size's), events/s and peak RSS. Targets: within 5× the sort; 10× the users
within 11× the time.
"""

from __future__ import annotations

import argparse
import time

import _common  # noqa: F401  (puts the project on sys.path)
import numpy as np
from _common import peak_rss_mb, print_table

from cadence.simulate import SimConfig, simulate
from features.build import build_features, build_features_in_parts


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, nargs="+", default=[26_000, 260_000])
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    rows = []
    for n in args.users:
        sim = simulate(SimConfig(users=n, seed=0))
        ev = sim.events
        uid = ev["user_id"].to_numpy(np.int64)
        ts = ev["ts_ms"].to_numpy(np.int64)
        sort_s, feat_s, part_s = [], [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            np.lexsort((ts, uid))
            sort_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            build_features(ev, sim.signups)
            feat_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            build_features_in_parts(ev, sim.signups)  # as train.py and score.py do
            part_s.append(time.perf_counter() - t0)
        rows.append(
            {
                "users": n,
                "events": len(ev),
                "lexsort_s": min(sort_s),
                "features_s": min(feat_s),
                "ratio": min(feat_s) / min(sort_s),
                "in_parts_s": min(part_s),
                "parts_ratio": min(part_s) / min(sort_s),
                "scale": min(part_s) / (rows[0]["in_parts_s"] if rows else min(part_s)),
                "events_per_s": len(ev) / min(feat_s),
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    print_table(rows, "build_features vs one lexsort (best of repeats)")


if __name__ == "__main__":
    main()
