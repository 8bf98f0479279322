"""Generate a simulated marketplace with known bots.

Usage: ``python simulate.py OUT [--world NAME] [--users N] [--bot-share F] [--seed S]
[--days D]
[--dirty] [--shuffled]``

Writes ``signup.tsv``, ``call.tsv``, ``message.tsv``, ``search.tsv`` (cadence's input
format, each with its own timestamp form) and ``labels.tsv`` (user_id, is_bot, kind
and, for periodic kinds, the drawn period_s, p_miss and jitter). The same arguments
give byte-identical files.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from cadence.simulate import WORLDS, SimConfig, simulate, world_config, write_logs

log = logging.getLogger("cadence.simulate")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cadence-simulate", description=__doc__.split("\n")[0]
    )
    p.add_argument("out", help="output directory (created if absent)")
    p.add_argument(
        "--world",
        choices=sorted(WORLDS),
        default="default",
        help="scenario: "
        # argparse formats help with %: a share like "5%" must be written "5%%"
        + "; ".join(f"{name}: {text}" for name, (text, _) in WORLDS.items()).replace(
            "%", "%%"
        ),
    )
    p.add_argument("--users", type=int, help=f"accounts ({SimConfig.users})")
    p.add_argument(
        "--bot-share", type=float, help=f"share of bots ({SimConfig.bot_share})"
    )
    p.add_argument(
        "--power-share",
        type=float,
        help=f"share of people who are power users ({SimConfig.power_share})",
    )
    p.add_argument("--seed", type=int, default=SimConfig.seed, help="random seed (0)")
    p.add_argument("--days", type=int, help=f"signup window ({SimConfig.days})")
    p.add_argument("--start", help=f"first day ({SimConfig.start})")
    p.add_argument(
        "--dirty",
        action="store_true",
        help="add a few duplicate rows and malformed timestamps",
    )
    p.add_argument(
        "--shuffled",
        action="store_true",
        help="write each log's rows in random order (default: time order)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        given = {
            "users": args.users,
            "bot_share": args.bot_share,
            "power_share": args.power_share,
            "days": args.days,
            "start": args.start,
        }
        config = world_config(
            args.world,
            seed=args.seed,
            **{k: v for k, v in given.items() if v is not None},
        )
    except ValueError as exc:
        parser.error(f"--{str(exc).split()[0].replace('_', '-')}: {exc}")
    t0 = time.perf_counter()
    sim = simulate(config)
    paths = write_logs(
        sim, args.out, dirty=args.dirty, shuffled=args.shuffled, seed=args.seed
    )
    bots = int(sim.labels["is_bot"].sum())
    log.info(
        "wrote %d users (%d bots), %d events to %s in %.1f s",
        config.users,
        bots,
        len(sim.events),
        args.out,
        time.perf_counter() - t0,
    )
    for _name, path in paths.items():
        log.info("  %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
