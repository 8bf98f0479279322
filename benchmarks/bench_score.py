"""score.py end to end against the hand rules it replaces, on the same files.

Usage: python benchmarks/bench_score.py [--users 26000] [--world default]
                                        [--runs 3] [--sorted]

Simulates a marketplace (``simulate.py --world W --shuffled``: rows in random
order, as exports come), trains once with ``train.py`` into a temporary sqlite
store (not timed), then alternates, ``--runs`` times, two fresh processes on the
same files and times each from start to exit:

- ``score.py`` with its defaults (the newest training run's model, scores file,
  reasons, drift), as a user runs it;
- ``benchmarks/pandas_rules.py``: the notebook's rules vectorised in plain
  pandas, reading the same four files.

Prints every run, the medians and their ratio (the goal: ≤ 1.0), and score.py's
own stage line of its last run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401
from _common import print_table

ROOT = Path(__file__).resolve().parents[1]


def run(cmd: list[str], cwd: Path) -> tuple[float, str]:
    """Wall seconds of one process, and its standard output."""
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, out.stdout


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=26_000)
    p.add_argument("--world", default="default")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--sorted", action="store_true", help="rows in time order")
    args = p.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        make = [py, str(ROOT / "simulate.py"), "data", "--world", args.world]
        make += ["--users", str(args.users)]
        run(make if args.sorted else [*make, "--shuffled"], work)
        store = ["--tracking-uri", "sqlite:///mlflow.db"]
        run([py, str(ROOT / "train.py"), "--data", "data", *store, "-q"], work)
        rows_in = sum(
            sum(1 for _ in open(work / "data" / f"{n}.tsv", "rb")) - 1
            for n in ("signup", "call", "message", "search")
        )
        score = [py, str(ROOT / "score.py"), "--data", "data", *store]
        score += ["--out", "scores.csv"]
        rules = [py, str(ROOT / "benchmarks" / "pandas_rules.py"), "data", "r.csv"]
        rows, stages = [], ""
        for k in range(args.runs):
            s, out = run(score, work)
            r, _ = run(rules, work)
            stages = next(x for x in out.splitlines() if x.startswith("stage"))
            rows.append({"run": k + 1, "score.py_s": s, "rules_s": r, "ratio": s / r})
    med_s = statistics.median(r["score.py_s"] for r in rows)
    med_r = statistics.median(r["rules_s"] for r in rows)
    rows.append(
        {"run": "median", "score.py_s": med_s, "rules_s": med_r, "ratio": med_s / med_r}
    )
    order = "time order" if args.sorted else "random order"
    print_table(
        rows,
        f"{args.world} world, {args.users:,} users, {rows_in:,} rows in {order}: "
        "seconds from process start to exit",
    )
    print(f"score.py, last run: {stages}")


if __name__ == "__main__":
    main()
