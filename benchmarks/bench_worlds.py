"""Quality on worlds cadence was not tuned on: the table that chooses defaults.

Usage: python benchmarks/bench_worlds.py [--users 26000] [--seeds 0 1]
                                         [--worlds NAME ...] [--no-loko]
                                         [--no-access-log] [--no-ceiling]

Each world is a scenario of the simulator (``simulate.py --world NAME``, listed
in ``cadence.simulate.WORLDS``): people as varied as real ones, a one-day
capture, whole-second and whole-minute clocks, users on other continents, the
default bots with wider parameters, three times the default share of bots
(``more_bots``: the 2% budget cannot hold them all, so its recall@2% is at most
0.4 and AP is the measure), kinds of automation the default sample does not
make, all of it at once (``hard``), and that on a whole-minute clock
(``hard_minutes``), captured for one day (``hard_one_day``: a daily schedule
runs once in such a capture, so no timing can show it) or for a week
(``hard_week``), or with people unlike the default's (who pace themselves,
browse long, or drop by for an action or two: ``brief_visits``), and the
default written as real captures write it: one event in ten kept
(``sampled``), every time at minute 05 of its hour with a random second
(``frozen_minutes``, the shared access log's form; scored with its times as
the reader takes them, to the hour: :func:`as_read`). Two more
worlds are made wholly outside the simulator (``bench_unseen.py --foreign``):
``foreign``, a month of people of other makes (self-exciting, heavy-tailed,
households, shifts, broken nights, …) with 2 % automation of twelve kinds the
simulator never makes, and ``foreign_one_day``, one day of it. For each world and
seed the default detector is fitted on every user (unsupervised, as
``train.py``) and scored against the simulator's truth:

- AP: average precision of the score for bots against people;
- AP_20ev: the same among users with at least 20 events (bots and people): a
  bot the capture holds for a handful of events shows no timing to find (a
  burst at the capture's edge, a daily job in a one-day capture), and the
  gap between the two APs is how much of the shortfall is such bots;
- AP_shown: the AP with the bots whose logs hold fewer than 10 events of
  their automation left out (every person kept): a capture can cut a bot to a
  handful of events, or to its owner's own visits by hand, and such a bot shows
  no automation to find. The simulator counts each account's automated events
  (``automated_events`` of its labels). AP_shown − AP is what such bots
  cost, where a handful of timestamps leaves little to win back;
- AP_ceiling: the AP of a classifier *told the truth*, from the same feature
  table (5-fold cross-validation, ``models.evaluate.supervised_ceiling``): a
  yardstick, not a bound. Near it, what is missing is in the features (the
  capture holds too little of a bot); far above it, a model could do better
  from the same columns — or the classifier learned a kind's quirks, which a
  detector without labels must not;
- recall@2%: share of the bots inside the 2% budget (the top 2% of scores);
- weakest: the kind with the lowest share inside the budget, and that share;
- power_in_budget: share of the budget's places taken by power users;
- people_fpr: share of people (humans and power users) inside the budget;
- first_reason_ok: share of the caught bots whose first reason rests on a column
  that describes their kind's behaviour (``KIND_BEHAVIOUR``).

Leave-one-kind-out (on ``hard``): the detector is fitted without kind K's
users, then K's users are scored: the share above the fitted threshold is K's
recall as a kind the model never saw. The real access log of
``bench_access_log.py`` is two more rows (AP against weak user-agent labels,
clients with ≥ 10 requests: the user agent's words, and those or a contact).
Rows are sorted by AP, the worst last (a world whose capture holds no bot, as a
small one-day capture can, has no AP and comes first).
"""

from __future__ import annotations

import argparse
import time

import _common  # noqa: F401  (puts the project on sys.path)
import numpy as np
import pandas as pd
from _common import print_table
from bench_unseen import UNSEEN, foreign_world
from sklearn.metrics import average_precision_score

from cadence.simulate import (
    HUMAN_KINDS,
    KIND_BEHAVIOUR,
    WORLDS,
    simulate,
    world_config,
)
from features.build import build_features
from features.io import read_frozen
from models.ensemble import CadenceDetector
from models.evaluate import CEILING_FOLDS, supervised_ceiling

BUDGET = 0.02
#: Events a user needs to count in ``AP_20ev``.
SUPPORTED_EVENTS = 20
#: Events of its automation a bot's logs must hold to count in ``AP_shown``.
SHOWN_EVENTS = 10
#: Worlds none of whose accounts the simulator made (``bench_unseen.py
#: --foreign``: people and automation of other makes) → days captured (0: the
#: whole month).
FOREIGN_WORLDS = {"foreign": 0, "foreign_one_day": 1}


def world_data(
    name: str, users: int, seed: int
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Feature table, each user's kind and each user's automated events in the
    logs (0 for people) for one world and seed (users with at least one event:
    in a capture, the others left no trace to score). A foreign world's
    people are all ``human`` here (``bench_unseen.py --foreign`` tells their
    kinds apart), its automation's kinds are marked ``(unseen)`` (a drifting
    period is made there by other code than the simulator's), and every event
    of it is automated."""
    if name in FOREIGN_WORLDS:
        signups, events, kinds = foreign_world(users, seed, FOREIGN_WORLDS[name])
        features = build_features(events, signups)
        features = features[features["n_events"] > 0]
        kinds = kinds.reindex(features.index)
        bot = kinds.isin(list(UNSEEN))
        kinds = (kinds + " (unseen)").where(bot, "human")
        return features, kinds, features["n_events"].where(bot, 0).astype(int)
    sim = simulate(world_config(name, users=users, seed=seed))
    features = build_features(as_read(sim.events), sim.signups)
    features = features[features["n_events"] > 0]
    truth = sim.labels.set_index("user_id").reindex(features.index)
    return features, truth["kind"], truth["automated_events"]


def as_read(events: pd.DataFrame) -> pd.DataFrame:
    """The simulator's events as the reader takes each log's times
    (:func:`features.io.read_frozen`: to the hour where one field of them never
    changes, ``frozen_minutes``), in its order (user, time, log); the events
    themselves where no log's times change."""
    ts = events["ts_ms"].to_numpy(np.int64).copy()
    code = events["event"].cat.codes.to_numpy()
    for k in np.unique(code):
        mine = code == k
        ts[mine] = read_frozen(ts[mine])[0]
    if np.array_equal(ts, events["ts_ms"].to_numpy()):
        return events
    user = events["user_id"].to_numpy()
    order = np.lexsort((code, ts, user))
    return events.assign(ts_ms=ts).iloc[order].reset_index(drop=True)


def _ap_among(is_bot: np.ndarray, scores: np.ndarray, keep: np.ndarray) -> float:
    """AP of the kept users' scores; NaN unless both bots and people are kept."""
    if not 0 < is_bot[keep].sum() < keep.sum():
        return float("nan")
    return float(average_precision_score(is_bot[keep], scores[keep]))


def score_world(
    features: pd.DataFrame,
    kinds: pd.Series,
    seed: int,
    automated: pd.Series | None = None,
    **detector,
) -> tuple[dict, dict]:
    """The summary row and each kind's recall inside the budget; with
    ``automated`` (each user's automated events in the logs) the row has
    ``AP_shown`` too."""
    model = CadenceDetector(random_state=seed, budget=BUDGET, **detector)
    scores = model.fit(features).score_samples(features)
    n = scores.size
    top = np.zeros(n, dtype=bool)
    top[np.argsort(-scores, kind="stable")[: int(round(BUDGET * n))]] = True
    is_bot = ~kinds.isin(HUMAN_KINDS).to_numpy()
    people = ~is_bot
    per_kind = {
        k: float(top[(kinds == k).to_numpy()].mean())
        for k in sorted(set(kinds[is_bot]))
    }
    weakest = min(per_kind, key=per_kind.get) if per_kind else None
    caught = np.flatnonzero(top & is_bot)
    first = (
        model.explain(features.iloc[caught], k=1)["reason_1_feature"].to_numpy()
        if caught.size
        else np.array([], dtype=object)
    )
    caught_kinds = kinds.iloc[caught].to_numpy()
    named = [  # kinds the simulator makes: foreign ones have no behaviour listed
        f in KIND_BEHAVIOUR[k]
        for k, f in zip(caught_kinds, first, strict=True)
        if k in KIND_BEHAVIOUR
    ]
    busy = features["n_events"].to_numpy() >= SUPPORTED_EVENTS
    row = {
        "AP": _ap_among(is_bot, scores, np.ones(n, dtype=bool)),
        "AP_20ev": _ap_among(is_bot, scores, busy),
    }
    if automated is not None:
        shown = people | (automated.to_numpy() >= SHOWN_EVENTS)
        row["AP_shown"] = _ap_among(is_bot, scores, shown)
    row |= {
        "recall@2%": float(top[is_bot].mean()) if is_bot.any() else float("nan"),
        "weakest": f"{weakest} {per_kind[weakest]:.2f}" if weakest else "–",
        "power_in_budget": float((top & (kinds == "power_user").to_numpy()).sum())
        / max(int(top.sum()), 1),
        "people_fpr": float(top[people].mean()),
        "first_reason_ok": float(np.mean(named)) if named else float("nan"),
    }
    return row, per_kind


def leave_one_kind_out(
    features: pd.DataFrame, kinds: pd.Series, seed: int, **detector
) -> dict:
    """Each bot kind's recall when the detector is fitted without it."""
    out = {}
    for kind in sorted(set(kinds) - set(HUMAN_KINDS)):
        mine = (kinds == kind).to_numpy()
        model = CadenceDetector(random_state=seed, budget=BUDGET, **detector)
        model.fit(features[~mine])
        scores = model.score_samples(features[mine])
        out[kind] = float((scores >= model.threshold_).mean())
    return out


def run(
    worlds: list[str],
    seeds: list[int],
    users: int,
    loko: bool = True,
    access_log: bool = True,
    ceiling: bool = True,
    **detector,
) -> tuple[list[dict], list[dict], list[dict]]:
    """The world table, the per-kind table and the leave-one-kind-out table."""
    rows, kind_rows, loko_rows = [], [], []
    for name in worlds:
        for seed in seeds:
            t0 = time.perf_counter()
            features, kinds, automated = world_data(name, users, seed)
            row, per_kind = score_world(features, kinds, seed, automated, **detector)
            if ceiling:  # beside the APs it is read against
                is_bot = ~kinds.isin(HUMAN_KINDS).to_numpy()
                aps = [k for k in ("AP", "AP_20ev", "AP_shown") if k in row]
                first = {k: row.pop(k) for k in aps}
                least = min(is_bot.sum(), (~is_bot).sum())
                yardstick = (
                    supervised_ceiling(features, is_bot, seed)
                    if least >= CEILING_FOLDS
                    else float("nan")  # too few bots for its folds
                )
                row = {**first, "AP_ceiling": yardstick, **row}
            rows.append({"world": name, "seed": seed, "users": len(features), **row})
            kind_rows += [
                {"world": name, "seed": seed, "kind": k, "recall@2%": v}
                for k, v in per_kind.items()
            ]
            if loko and name == "hard":
                held = leave_one_kind_out(features, kinds, seed, **detector)
                loko_rows += [
                    {"seed": seed, "held_out_kind": k, "recall": v}
                    for k, v in held.items()
                ]
            print(f"  {name} seed {seed}: {time.perf_counter() - t0:.1f} s", flush=True)
    if access_log:
        from bench_access_log import SHARED_LOG, evaluate

        if SHARED_LOG.exists():
            real_rows = evaluate(SHARED_LOG, seeds[0], ceiling=ceiling, **detector)
        else:
            real_rows = []
        for real in real_rows:
            if real["clients"] != "≥ 10 requests":
                continue
            rows.append(
                {
                    "world": f"real access log ({real['labels']}, ≥ 10 requests)",
                    "seed": seeds[0],
                    "users": real["users"],
                    "AP": real["AP"],
                    "AP_20ev": float("nan"),
                    "AP_shown": float("nan"),
                    **({"AP_ceiling": real["AP_ceiling"]} if ceiling else {}),
                    "recall@2%": float("nan"),
                    "weakest": "–",
                    "power_in_budget": float("nan"),
                    "people_fpr": float("nan"),
                    "first_reason_ok": float("nan"),
                }
            )
    rows.sort(key=lambda r: (not np.isnan(r["AP"]), -r["AP"]))  # no AP: first
    return rows, kind_rows, loko_rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=26_000)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    every = [*WORLDS, *FOREIGN_WORLDS]
    p.add_argument("--worlds", nargs="+", choices=sorted(every), default=every)
    p.add_argument("--no-loko", action="store_true")
    p.add_argument("--no-access-log", action="store_true")
    p.add_argument("--no-ceiling", action="store_true")
    args = p.parse_args()
    rows, kind_rows, loko_rows = run(
        args.worlds,
        args.seeds,
        args.users,
        loko=not args.no_loko,
        access_log=not args.no_access_log,
        ceiling=not args.no_ceiling,
    )
    wide = pd.DataFrame(kind_rows)
    if len(wide):
        table = wide.pivot_table(
            index="kind", columns=["world", "seed"], values="recall@2%"
        )
        print("\nEach kind's share inside the 2% budget (world, seed):")
        print(table.round(2).to_string())
    if loko_rows:
        print_table(loko_rows, "Leave one kind out (hard world): held-out recall")
    print_table(rows, f"Worlds ({args.users:,} users each), worst AP last")


if __name__ == "__main__":
    main()
