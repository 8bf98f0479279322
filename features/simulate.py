"""A marketplace simulator whose bots are known.

It writes logs in cadence's input format, for tests, evaluation and benchmarks.
It is a measuring tool, not a claim about any real marketplace: the people are
tuned to the marginals of one analysis (country shares, per-user counts, tenure),
and the bots are five simple kinds of automation with parameters drawn per bot.

People
    Act in sessions placed at their local time of day (quiet at night, peaks in
    the evening, fewer at weekends). Inside a session gaps are seconds to minutes
    (log-normal, median 45 s); between sessions hours to days. About 2% of people
    are *power users*: 5–20x the calls and messages (and the fourth root of that
    in searches) with the same human timing.

Bots (``bot_share`` of users, kinds in equal numbers)
    ``burst_scraper``   800–6000 searches back to back, gaps gamma-distributed with
                        mean 1–8 s (shape 1.5–6): a few hours of scraping.
    ``periodic``        one action every T (5 s – 1 h, log-uniform) with jitter
                        1–10% of T and missed beats: gap = m·T + u, m geometric with
                        P(m = 1) = 1 − p_miss, p_miss in [0, 0.5], u ~ N(0, (jT)²).
    ``low_and_slow``    the same with T in 15 min – 3 h, running around the clock.
    ``harvester``       Poisson searches (mean gap 1–20 min), 80% of them followed by
                        a call after a near-fixed lag (2–30 s, ±5%).
    ``spam_messager``   5–40 bursts of 10–60 messages at a fixed spacing (5–60 s,
                        2–5% jitter), bursts at random times of day.
    Half of the bots also have a little human activity (the account's owner).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from features.atomic import atomic_output

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
BOT_KINDS: tuple[str, ...] = (
    "burst_scraper",
    "periodic",
    "low_and_slow",
    "harvester",
    "spam_messager",
)
HUMAN_KINDS: tuple[str, ...] = ("human", "power_user")
COUNTRY_SHARES: dict[str, float] = {
    "IT": 0.432,
    "GB": 0.209,
    "SE": 0.182,
    "ES": 0.112,
    "FR": 0.065,
}
#: Standard-time UTC offsets in hours (the sample ends before most DST changes).
COUNTRY_UTC_OFFSET_H: dict[str, int] = {"IT": 1, "GB": 0, "SE": 1, "ES": 1, "FR": 1}
#: Relative activity by local hour of day: quiet at night, evening peak.
HOURLY_WEIGHT = np.array(
    [
        3,
        1.5,
        0.8,
        0.5,
        0.4,
        0.6,
        1.5,
        3,
        5,
        6,
        6.5,
        7,
        7,
        6.5,
        6.5,
        6.5,
        7,
        7.5,
        8.5,
        10,
        10.5,
        10,
        8,
        5.5,
    ]
)


@dataclasses.dataclass(frozen=True)
class SimConfig:
    """Parameters of one simulated marketplace.

    Attributes
    ----------
    users : total accounts (people, power users and bots).
    bot_share : share of accounts that are bots.
    power_share : share of people who are power users.
    days : length of the signup window in days; events end ``days`` after start.
    start : first signup day (UTC).
    seed : seed of every random draw.
    """

    users: int = 26_000
    bot_share: float = 0.015
    power_share: float = 0.02
    days: int = 33
    start: str = "2019-03-02"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.users < 1:
            raise ValueError(f"users must be at least 1, got {self.users}")
        if not 0 <= self.bot_share <= 1:
            raise ValueError(f"bot_share must be in [0, 1], got {self.bot_share}")
        if not 0 <= self.power_share <= 1:
            raise ValueError(f"power_share must be in [0, 1], got {self.power_share}")
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")


@dataclasses.dataclass
class Simulation:
    """Simulated logs: signups, events (user_id, event, ts_ms) and labels."""

    signups: pd.DataFrame
    events: pd.DataFrame
    labels: pd.DataFrame
    end_ms: int


def simulate(config: SimConfig = SimConfig()) -> Simulation:
    """Generate a marketplace; the same config gives the same result."""
    rng = np.random.default_rng(config.seed)
    n = config.users
    start_ms = int(pd.Timestamp(config.start, tz="UTC").value // 1_000_000)
    end_ms = start_ms + config.days * DAY_MS
    user_id = 10_000_000 + np.arange(n, dtype=np.int64)

    n_bots = int(round(n * config.bot_share))
    n_power = int(round((n - n_bots) * config.power_share))
    role = np.zeros(n, dtype=np.int64)  # 0 human, 1 power, 2.. bot kinds
    role[:n_power] = 1
    role[n_power : n_power + n_bots] = 2 + np.arange(n_bots) % len(BOT_KINDS)
    role = rng.permutation(role)

    countries = np.array(list(COUNTRY_SHARES))
    shares = np.array(list(COUNTRY_SHARES.values()))
    country = countries[rng.choice(len(countries), size=n, p=shares / shares.sum())]
    offset_h = pd.Series(country).map(COUNTRY_UTC_OFFSET_H).to_numpy(np.int64)
    signup_ms = start_ms + rng.integers(0, config.days, n) * DAY_MS

    # --- human activity: counts per user -------------------------------------
    z = rng.standard_normal(n)
    n_search = np.maximum(1, np.round(28 + np.where(z < 0, 13.0, 10.0) * z)).astype(int)
    calls = np.round(rng.lognormal(np.log(31.0), 0.98, n)).astype(int)
    n_call = np.where(rng.random(n) < 0.06, 0, np.maximum(calls, 1))
    msgs = np.ceil(rng.lognormal(np.log(3.6), 1.45, n)).astype(int)
    n_msg = np.where(rng.random(n) < 0.325, msgs, 0)
    factor = np.where(role == 1, rng.uniform(5, 20, n), 1.0)
    is_bot = role >= 2
    # the owners of half the bots act a little by hand; the rest not at all
    factor = np.where(is_bot, np.where(rng.random(n) < 0.5, 0.1, 0.0), factor)
    # power users are dealers: their searches grow less than their contacts
    scale = np.stack([np.where(role == 1, factor**0.25, factor), factor, factor], 1)
    counts = np.stack([n_search, n_call, n_msg], axis=1) * scale
    counts = np.round(counts).astype(np.int64)
    counts[~is_bot, 0] = np.maximum(counts[~is_bot, 0], 1)

    lifetime_ms = (rng.lognormal(np.log(17.0), 0.9, n) * DAY_MS).astype(np.int64)
    window_ms = np.clip(np.minimum(lifetime_ms, end_ms - signup_ms), HOUR_MS, None)
    human = _human_events(rng, user_id, counts, signup_ms, window_ms, offset_h, end_ms)

    # --- bots ----------------------------------------------------------------
    params = pd.DataFrame(
        {"period_s": np.nan, "p_miss": np.nan, "jitter": np.nan}, index=range(n)
    )
    bot_frames = [human]
    for k, kind in enumerate(BOT_KINDS):
        idx = np.flatnonzero(role == 2 + k)
        if idx.size == 0:
            continue
        begin = signup_ms[idx] + rng.integers(0, 2 * DAY_MS, idx.size)
        begin = np.minimum(begin, end_ms - 6 * HOUR_MS)
        frame, p = _BOT_MAKERS[kind](rng, user_id[idx], begin, end_ms)
        bot_frames.append(frame)
        if p is not None:
            params.loc[idx, list(p)] = np.column_stack([p[c] for c in p])

    events = pd.concat(bot_frames, ignore_index=True)
    events = events[(events["ts_ms"] >= signup_ms.min()) & (events["ts_ms"] < end_ms)]
    events = events.sort_values(["user_id", "ts_ms"], kind="stable").reset_index(
        drop=True
    )
    events["event"] = pd.Categorical.from_codes(
        events["event"].to_numpy(), categories=["search", "call", "message"]
    )
    kinds = np.array([*HUMAN_KINDS, *BOT_KINDS])
    labels = pd.DataFrame(
        {
            "user_id": user_id,
            "is_bot": is_bot.astype(int),
            "kind": kinds[role],
            "period_s": params["period_s"].to_numpy(),
            "p_miss": params["p_miss"].to_numpy(),
            "jitter": params["jitter"].to_numpy(),
        }
    )
    signups = pd.DataFrame(
        {"user_id": user_id, "country_code": country, "signup_ms": signup_ms}
    )
    return Simulation(signups=signups, events=events, labels=labels, end_ms=end_ms)


def _frame(user: np.ndarray, event: np.ndarray, ts_ms: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": user.astype(np.int64),
            "event": event.astype(np.int8),
            "ts_ms": np.round(ts_ms).astype(np.int64),
        }
    )


def _segment_starts(lengths: np.ndarray) -> np.ndarray:
    """Index of the first element of each segment of a concatenation."""
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


def _cumsum_within(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Cumulative sums restarted at every segment."""
    total = np.cumsum(values)
    starts = _segment_starts(lengths)
    before = np.where(starts > 0, total[starts - 1], 0.0)
    return total - np.repeat(before, lengths)


def _human_events(
    rng: np.random.Generator,
    user_id: np.ndarray,
    counts: np.ndarray,
    signup_ms: np.ndarray,
    window_ms: np.ndarray,
    offset_h: np.ndarray,
    end_ms: int,
) -> pd.DataFrame:
    """People's events: sessions at local times of day, short gaps inside."""
    total = counts.sum(axis=1)
    per_session = rng.uniform(3, 10, len(total))
    n_sess = np.where(total > 0, np.maximum(1, np.round(total / per_session)), 0)
    n_sess = n_sess.astype(np.int64)
    s_user = np.repeat(np.arange(len(total)), n_sess)
    # session day: uniform over the user's window, weekends thinned
    days_avail = np.maximum(1, window_ms // DAY_MS + 1)[s_user]
    day = rng.integers(0, days_avail)
    day_ms = signup_ms[s_user] + day * DAY_MS
    weekday = ((day_ms // DAY_MS) + 3) % 7  # 1970-01-01 was a Thursday
    redo = (weekday >= 5) & (rng.random(len(day)) < 0.35)
    day2 = rng.integers(0, days_avail)
    day_ms = np.where(redo, signup_ms[s_user] + day2 * DAY_MS, day_ms)
    cdf = np.cumsum(HOURLY_WEIGHT) / HOURLY_WEIGHT.sum()
    hour = np.searchsorted(cdf, rng.random(len(day)), side="right")
    local = hour * HOUR_MS + rng.integers(0, HOUR_MS, len(day))
    s_start = day_ms + local - offset_h[s_user] * HOUR_MS
    # keep sessions inside [signup, end - 2 h] by whole days, preserving the clock
    late = np.maximum(s_start - (end_ms - 2 * HOUR_MS), 0)
    s_start = s_start - -(-late // DAY_MS) * DAY_MS
    early = np.maximum(signup_ms[s_user] - s_start, 0)
    s_start = s_start + -(-early // DAY_MS) * DAY_MS

    # events: every event of a user goes to one of that user's sessions
    e_user = np.repeat(np.repeat(np.arange(len(total)), 3), counts.ravel())
    e_type = np.repeat(np.tile(np.arange(3), len(total)), counts.ravel())
    first_sess = _segment_starts(n_sess)
    e_sess = first_sess[e_user] + (rng.random(len(e_user)) * n_sess[e_user]).astype(
        np.int64
    )
    order = np.lexsort((rng.random(len(e_sess)), e_sess))
    e_sess, e_type, e_user = e_sess[order], e_type[order], e_user[order]
    sizes = np.bincount(e_sess, minlength=len(s_start))
    gaps = rng.lognormal(np.log(45_000.0), 1.1, len(e_sess))
    gaps[_segment_starts(sizes)[sizes > 0]] = 0.0
    ts = s_start[e_sess] + _cumsum_within(gaps, sizes)
    return _frame(user_id[e_user], e_type, ts)


def _periodic_times(
    rng: np.random.Generator,
    begin: np.ndarray,
    n_events: np.ndarray,
    period_ms: np.ndarray,
    p_miss: np.ndarray,
    jitter: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Times of periodic bots: gap = m·T + u, m geometric, u ~ N(0, (jT)²)."""
    owner = np.repeat(np.arange(len(begin)), n_events)
    m = rng.geometric(1.0 - p_miss[owner])
    gaps = (
        m * period_ms[owner]
        + rng.normal(0, 1, len(owner)) * jitter[owner] * period_ms[owner]
    )
    gaps[_segment_starts(n_events)] = 0.0
    return owner, begin[owner] + _cumsum_within(gaps, n_events)


def _periodic(
    rng: np.random.Generator,
    users: np.ndarray,
    begin: np.ndarray,
    end_ms: int,
    low_s: float = 5.0,
    high_s: float = 3600.0,
    max_events: int = 2000,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    b = len(users)
    period_s = np.exp(rng.uniform(np.log(low_s), np.log(high_s), b))
    jitter = rng.uniform(0.01, 0.10, b)
    p_miss = rng.uniform(0.0, 0.5, b)
    room = (end_ms - begin) / (period_s * 1000 / (1 - p_miss))
    n_events = np.clip(np.minimum(rng.integers(200, max_events + 1, b), room), 30, None)
    n_events = n_events.astype(np.int64)
    owner, ts = _periodic_times(rng, begin, n_events, period_s * 1000, p_miss, jitter)
    stream = rng.choice(3, size=b, p=[0.6, 0.3, 0.1])
    params = {"period_s": period_s, "p_miss": p_miss, "jitter": jitter}
    return _frame(users[owner], stream[owner], ts), params


def _low_and_slow(rng, users, begin, end_ms):
    return _periodic(rng, users, begin, end_ms, 900.0, 10_800.0, max_events=100_000)


def _burst_scraper(rng, users, begin, end_ms):
    b = len(users)
    n_events = rng.integers(800, 6001, b)
    mean_s = rng.uniform(1.0, 8.0, b)
    shape = rng.uniform(1.5, 6.0, b)
    owner = np.repeat(np.arange(b), n_events)
    gaps = rng.gamma(shape[owner], mean_s[owner] * 1000 / shape[owner])
    gaps[_segment_starts(n_events)] = 0.0
    ts = begin[owner] + _cumsum_within(gaps, n_events)
    return _frame(users[owner], np.zeros(len(owner)), ts), None


def _harvester(rng, users, begin, end_ms):
    b = len(users)
    n_search = rng.integers(100, 801, b)
    mean_s = np.exp(rng.uniform(np.log(60), np.log(1200), b))
    lag_s = rng.uniform(2.0, 30.0, b)
    owner = np.repeat(np.arange(b), n_search)
    gaps = rng.exponential(mean_s[owner] * 1000)
    gaps[_segment_starts(n_search)] = 0.0
    searches = begin[owner] + _cumsum_within(gaps, n_search)
    follow = rng.random(len(owner)) < 0.8
    lag = lag_s[owner[follow]] * 1000 * (1 + 0.05 * rng.standard_normal(follow.sum()))
    calls = searches[follow] + lag
    user = np.concatenate([users[owner], users[owner[follow]]])
    event = np.concatenate([np.zeros(len(owner)), np.ones(follow.sum())])
    return _frame(user, event, np.concatenate([searches, calls])), None


def _spam_messager(rng, users, begin, end_ms):
    b = len(users)
    n_bursts = rng.integers(5, 41, b)
    spacing_s = rng.uniform(5.0, 60.0, b)
    jitter = rng.uniform(0.02, 0.05, b)
    burst_owner = np.repeat(np.arange(b), n_bursts)
    span = np.maximum(end_ms - begin[burst_owner] - HOUR_MS, HOUR_MS)
    burst_start = begin[burst_owner] + rng.random(len(burst_owner)) * span
    sizes = rng.integers(10, 61, len(burst_owner))
    owner = np.repeat(burst_owner, sizes)
    step = (
        spacing_s[owner] * 1000 * (1 + jitter[owner] * rng.standard_normal(len(owner)))
    )
    step[_segment_starts(sizes)] = 0.0
    ts = np.repeat(burst_start, sizes) + _cumsum_within(step, sizes)
    params = {"period_s": spacing_s, "p_miss": np.zeros(b), "jitter": jitter}
    return _frame(users[owner], np.full(len(owner), 2), ts), params


_BOT_MAKERS = {
    "burst_scraper": _burst_scraper,
    "periodic": _periodic,
    "low_and_slow": _low_and_slow,
    "harvester": _harvester,
    "spam_messager": _spam_messager,
}


# --- writing -------------------------------------------------------------------


def format_timestamps(ts_ms: np.ndarray, form: str) -> np.ndarray:
    """Format ms timestamps (UTC) as strings of one export form.

    ``form`` is ``date`` (``2019-03-02``), ``epoch_ms`` (``1551484800000``),
    ``space_ms`` (``2019-03-02 10:00:00.123``) or ``iso_z``
    (``2019-03-02T10:00:00.123Z``).
    """
    dt = np.asarray(ts_ms, dtype=np.int64).astype("datetime64[ms]")
    if form == "date":
        return np.datetime_as_string(dt, unit="D")
    if form == "epoch_ms":
        return np.asarray(ts_ms, dtype=np.int64).astype(str)
    if form == "space_ms":
        return np.char.replace(np.datetime_as_string(dt, unit="ms"), "T", " ")
    if form == "iso_z":
        return np.datetime_as_string(dt, unit="ms", timezone="UTC")
    raise ValueError(f"form must be date, epoch_ms, space_ms or iso_z, got {form!r}")


#: The timestamp form of each log, as the original export mixed them.
FILE_FORMS: dict[str, str] = {
    "signup": "date",
    "call": "epoch_ms",
    "search": "space_ms",
    "message": "iso_z",
}


def write_logs(
    sim: Simulation, out_dir: str | Path, *, dirty: bool = False, seed: int = 0
) -> dict[str, Path]:
    """Write the simulation as tab-separated logs plus ``labels.tsv``.

    Rows of each event log are in time order. With ``dirty``, a few exact
    duplicate rows (0.05%) and rows with malformed timestamps (0.01%) are added
    as extra rows, so the truth in ``labels.tsv`` is unchanged.

    Returns
    -------
    dict
        Log name -> path written. Each file is written atomically.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written = {}
    sign = sim.signups
    tables = {
        "signup": pd.DataFrame(
            {
                "user_id": sign["user_id"].to_numpy(),
                "country_code": sign["country_code"].to_numpy(dtype=object),
                "signup_ts": format_timestamps(sign["signup_ms"].to_numpy(), "date"),
            }
        )
    }
    ev = sim.events
    for name in ("call", "message", "search"):
        part = ev[ev["event"] == name]
        order = np.lexsort((part["user_id"].to_numpy(), part["ts_ms"].to_numpy()))
        part = part.iloc[order]
        tables[name] = pd.DataFrame(
            {
                "user_id": part["user_id"].to_numpy(),
                f"{name}_ts": format_timestamps(
                    part["ts_ms"].to_numpy(), FILE_FORMS[name]
                ),
            }
        )
    if dirty:
        tables = {k: _dirty(rng, v) for k, v in tables.items()}
    for name, frame in tables.items():
        written[name] = write_table(frame, out / f"{name}.tsv")
    written["labels"] = write_table(sim.labels, out / "labels.tsv")
    return written


def _dirty(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    n = len(frame)
    dup = rng.choice(n, size=max(1, n // 2000), replace=False)
    bad = frame.iloc[rng.choice(n, size=max(1, n // 10_000), replace=False)].copy()
    ts_col = frame.columns[-1]
    junk = np.array(["2019-02-30 25:61:00", "N/A", "", "yesterday", "12/03/2019"])
    bad[ts_col] = junk[rng.integers(0, len(junk), len(bad))]
    out = pd.concat([frame, frame.iloc[dup], bad], ignore_index=True)
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a frame as a tab-separated file, atomically (temp file + rename)."""
    path = Path(path)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with atomic_output(path) as tmp, pa.OSFile(str(tmp), "wb") as sink:
        sink.write(("\t".join(table.column_names) + "\n").encode())
        pacsv.write_csv(
            table,
            sink,
            write_options=pacsv.WriteOptions(
                include_header=False, delimiter="\t", quoting_style="none"
            ),
        )
    return path
