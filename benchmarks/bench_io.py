"""Ingestion speed: rows/s of load_logs by timestamp form and row order.

Usage: python benchmarks/bench_io.py [--users 26000] [--repeat 3]

Simulates the default marketplace once, then writes its call, message and search
logs in one timestamp form each time — epoch ms, ``2019-03-02 10:00:00.123``,
``2019-03-02T10:00:00.123Z`` — or with the forms mixed row by row, in time order
and shuffled; then the simulator's own files with a few duplicates and
malformed rows (shuffled), its event logs as JSON Lines, and its event logs
with the day and the month both in numbers (``02/03/2019 10:00:00.123``,
whose order the reader tells from the values; and as spreadsheets export them,
``3/2/19 10:00:00``, the month first, numbers not padded, a year of two
digits), and as Unix ``date`` prints a US server's local time
(``Sat Mar 02 02:00:00 PST 2019``, a month's name and a zone's abbreviation).
Prints rows read,
seconds (best of ``--repeat``) and rows/s of ``load_logs`` (read, parse, check,
sort by user and time, remove duplicates). Goals (issue 19): ≥ 5 M rows/s for
one form, ≥ 2 M for mixed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401
import numpy as np
import pandas as pd
from _common import peak_rss_mb, print_table

from cadence.simulate import (
    SimConfig,
    format_timestamps,
    simulate,
    write_logs,
    write_table,
)
from features.io import load_logs

NOW_MS = 2_000_000_000_000
FORMS = ("epoch_ms", "space_ms", "iso_z")


def write_form(sim, out: Path, form: str, shuffled: bool) -> None:
    """The simulation's logs with every event time in ``form`` (or mixed,
    ``day_first``: ``02/03/2019 10:00:00.123``, ``spreadsheet``:
    ``3/2/19 10:00:00``, or ``unix_date``: ``Sat Mar 02 02:00:00 PST 2019``)."""
    rng = np.random.default_rng(0)
    out.mkdir(parents=True)
    write_logs(sim, out)  # signup (and labels) as the simulator writes them
    for name in ("call", "message", "search"):
        part = sim.events[sim.events["event"] == name]
        ts = part["ts_ms"].to_numpy()
        if form == "mixed":
            which = rng.integers(0, len(FORMS), ts.size)
            text = np.empty(ts.size, dtype=object)
            for k, f in enumerate(FORMS):
                text[which == k] = format_timestamps(ts[which == k], f)
        elif form == "day_first":
            iso = pd.Series(format_timestamps(ts, "space_ms"))
            text = iso.str[8:10] + "/" + iso.str[5:7] + "/" + iso.str[:4] + iso.str[10:]
        elif form == "spreadsheet":
            when = pd.Series(pd.to_datetime(ts, unit="ms"))
            text = when.dt.strftime("%-m/%-d/%y %H:%M:%S").to_numpy()
        elif form == "unix_date":  # a US server's local time, PST or PDT
            when = pd.Series(pd.to_datetime(ts, unit="ms", utc=True))
            local = when.dt.tz_convert("America/Los_Angeles")
            text = local.dt.strftime("%a %b %d %H:%M:%S %Z %Y").to_numpy()
        else:
            text = format_timestamps(ts, form)
        frame = pd.DataFrame(
            {"user_id": part["user_id"].to_numpy(), f"{name}_ts": text}
        )
        if shuffled:
            frame = frame.iloc[rng.permutation(len(frame))]
        write_table(frame, out / f"{name}.tsv")


def write_json_lines(sim, out: Path) -> None:
    """The simulator's logs with the event logs as JSON Lines (``.jsonl``)."""
    write_logs(sim, out)
    for name in ("call", "message", "search"):
        tsv = out / f"{name}.tsv"
        frame = pd.read_csv(tsv, sep="\t", dtype=str)
        frame.to_json(out / f"{name}.jsonl", orient="records", lines=True)
        tsv.unlink()


def timed_load(directory: Path, repeat: int, timestamps: str, rows: str) -> dict:
    """One row of the table: the best of ``repeat`` loads of ``directory``."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        logs = load_logs(directory, now_ms=NOW_MS)
        best = min(best, time.perf_counter() - t0)
    report = logs.report
    return {
        "timestamps": timestamps,
        "rows": rows,
        "rows_read": report.rows_read,
        "bad_rows": report.bad_rows,
        "seconds": best,
        "rows_per_s": report.rows_read / best,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=26_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    sim = simulate(SimConfig(users=args.users, seed=0))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(f, s) for f in (*FORMS, "mixed") for s in (False, True)]
        more = [("day_first", False), ("spreadsheet", False), ("unix_date", False)]
        for form, shuffled in [*cases, *more]:
            d = Path(tmp) / f"{form}_{shuffled}"
            write_form(sim, d, form, shuffled)
            order = "shuffled" if shuffled else "time order"
            rows.append(timed_load(d, args.repeat, form, order))
        d = Path(tmp) / "dirty"
        write_logs(sim, d, dirty=True, shuffled=True, seed=1)
        rows.append(timed_load(d, args.repeat, "one per log, 0.01% bad", "shuffled"))
        d = Path(tmp) / "json"
        write_json_lines(sim, d)
        rows.append(timed_load(d, args.repeat, "one per log, JSON Lines", "time order"))
    print_table(
        rows,
        f"load_logs on {args.users:,} simulated users (peak RSS "
        f"{peak_rss_mb():,.0f} MB)",
    )


if __name__ == "__main__":
    main()
