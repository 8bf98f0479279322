"""The analysis's rules: vectorised (models/rules.py) against the notebook's loop.

Usage: python benchmarks/bench_rules.py [--users 26000] [--repeat 3]

Prints seconds for ``rule_flags`` (all rules, best of ``--repeat``) and for the
per-user loop of ``notebook_rules.py`` (its per-user rules only), and how many
users each flags.
"""

from __future__ import annotations

import argparse
import time

import _common  # noqa: F401
from _common import print_table
from notebook_rules import notebook_rules

from cadence.simulate import SimConfig, simulate
from features.build import build_features
from models.rules import rule_flags


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=26_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    sim = simulate(SimConfig(users=args.users, seed=0))
    features = build_features(sim.events, sim.signups)
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        flags = rule_flags(sim.events, sim.signups, features)
        best = min(best, time.perf_counter() - t0)
    t0 = time.perf_counter()
    loop = notebook_rules(sim.events)
    loop_s = time.perf_counter() - t0
    rows = [
        {
            "implementation": "models/rules.py (all rules)",
            "seconds": best,
            "users_flagged": int(flags["rule_any"].sum()),
        },
        {
            "implementation": "per-user loop (per-user rules only)",
            "seconds": loop_s,
            "users_flagged": int(loop.any(axis=1).sum()),
        },
    ]
    print_table(rows, f"rules on {args.users:,} users, {len(sim.events):,} events")


if __name__ == "__main__":
    main()
