"""End-to-end scoring speed against the analysis's rules, in one run.

Usage: python benchmarks/bench_score.py [--users 26000]

Simulates a marketplace, writes it, trains a model once (not timed), then times
score.py's stages — load, features, rules, score (with reasons and drift), write
— and, on the same data, the vectorised rules (``models/rules.py``) and the
notebook's per-user loop (``notebook_rules.py``). Prints one table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401
from _common import peak_rss_mb, print_table, timed
from notebook_rules import notebook_rules

from cadence.pipeline import prepare, score_table, write_frame
from cadence.simulate import SimConfig, simulate, write_logs
from models.ensemble import CadenceDetector
from models.rules import rule_flags


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=26_000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        write_logs(simulate(SimConfig(users=args.users, seed=0)), data)
        prepared = prepare(data)
        model = CadenceDetector().fit(prepared.features)

        t: dict[str, float] = {}
        t0 = time.perf_counter()
        run = prepare(data)
        t.update(run.seconds)
        with timed(t, "score"):
            scores = model.score_samples(run.features)
            table = score_table(model, run.features, run.flags, scores=scores)
            model.drift(run.features, scores)
        with timed(t, "write"):
            write_frame(table, Path(tmp) / "scores.parquet")
        total = time.perf_counter() - t0

        with timed(t, "vectorised_rules"):
            rule_flags(run.logs.events, run.logs.signups, run.features)
        with timed(t, "notebook_rules"):
            notebook_rules(run.logs.events)
    rows = [{"stage": k, "seconds": v} for k, v in t.items()]
    rows.append({"stage": "score.py end to end", "seconds": total})
    rows.append(
        {"stage": "end to end / notebook rules", "seconds": total / t["notebook_rules"]}
    )
    rows.append(
        {
            "stage": "end to end / vectorised rules",
            "seconds": total / t["vectorised_rules"],
        }
    )
    print_table(
        rows,
        f"scoring {args.users:,} users, {len(run.logs.events):,} events "
        f"(peak RSS {peak_rss_mb():,.0f} MB)",
    )


if __name__ == "__main__":
    main()
