"""cadence at scale on one machine: 10⁵ and 10⁶ simulated users.

Usage: python benchmarks/bench_scale.py [--users 100000 1000000] [--chunk 100000]
                                        [--train-sample 100000] [--keep DIR]

For each size, in a fresh process (so peak memory is its own): tile the simulator
(chunks of ``--chunk`` users, each with its own seed and user ids) into TSV logs,
then time what train.py and score.py do — load, features, rules (both on ranges
of users), fit on a sample, score everyone with reasons, write parquet — and
print events, seconds per stage, events/s and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401
from _common import peak_rss_mb, print_table, timed

LOGS = ("signup", "call", "message", "search", "labels")


def generate(out: Path, users: int, chunk: int) -> int:
    """Write ``users`` simulated users as tiles of ``chunk``; return events."""
    from cadence.simulate import SimConfig, simulate, write_logs

    out.mkdir(parents=True, exist_ok=True)
    handles = {name: open(out / f"{name}.tsv", "wb") for name in LOGS}
    events = 0
    try:
        for c, start in enumerate(range(0, users, chunk)):
            n = min(chunk, users - start)
            sim = simulate(SimConfig(users=n, seed=1000 + c))
            for frame in (sim.signups, sim.events, sim.labels):
                frame["user_id"] += start
            events += len(sim.events)
            with tempfile.TemporaryDirectory(dir=out) as tmp:
                write_logs(sim, tmp)
                for name in LOGS:
                    data = (Path(tmp) / f"{name}.tsv").read_bytes()
                    if c > 0:
                        data = data[data.index(b"\n") + 1 :]
                    handles[name].write(data)
    finally:
        for h in handles.values():
            h.close()
    return events


def one(users: int, chunk: int, train_sample: int, keep: str | None) -> dict:
    from cadence.pipeline import prepare, score_table, write_frame
    from models.ensemble import CadenceDetector

    t: dict[str, float] = {}
    with tempfile.TemporaryDirectory(dir=keep) as tmp:
        data = Path(tmp) / "data"
        with timed(t, "generate"):
            events = generate(data, users, chunk)
        prepared = prepare(data, progress=False)
        t.update(prepared.seconds)
        with timed(t, "fit"):
            sample = prepared.features.sample(
                n=min(train_sample, len(prepared.features)), random_state=0
            )
            model = CadenceDetector().fit(sample.sort_index())
        with timed(t, "score"):  # as score.py: the detectors score once
            parts = model.detector_scores(prepared.features)
            table = score_table(
                model, prepared.features, prepared.flags, detector_scores=parts
            )
        with timed(t, "write"):
            write_frame(table, Path(tmp) / "scores.parquet")
    work = sum(v for k, v in t.items() if k != "generate")
    return {
        "users": users,
        "events": events,
        **{f"{k}_s": v for k, v in t.items()},
        "total_s": work,
        "events_per_s": events / work,
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--chunk", type=int, default=100_000)
    p.add_argument("--train-sample", type=int, default=100_000)
    p.add_argument("--keep", help="directory for the generated data (default /tmp)")
    p.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.chunk, args.train_sample, args.keep)))
        return
    rows = []
    for n in args.users:
        t0 = time.perf_counter()
        cmd = [
            sys.executable,
            __file__,
            "--one",
            str(n),
            "--chunk",
            str(args.chunk),
            "--train-sample",
            str(args.train_sample),
        ]
        if args.keep:
            cmd += ["--keep", args.keep]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"{n:,} users done in {time.perf_counter() - t0:.0f} s", flush=True)
    print_table(
        rows,
        "one machine: seconds per stage, events/s (excluding "
        "generation), peak RSS per size",
    )


if __name__ == "__main__":
    main()
