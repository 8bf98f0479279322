"""A marketplace simulator whose bots are known.

It writes logs in cadence's input format, for tests, evaluation and benchmarks.
It is a measuring tool, not a claim about any real marketplace: the people are
tuned to the marginals of one analysis (country shares, per-user counts, tenure),
and the bots are five simple kinds of automation with parameters drawn per bot.

People
    Act in sessions placed at their local time of day (quiet at night, peaks in
    the evening, fewer at weekends), and sleep: each has a window of 5–8 h,
    starting between 22:00 and 04:00 local, without any activity, that moves
    by 45 min (sd) from night to night. Inside a
    session gaps are seconds to minutes (log-normal, median 45 s); between
    sessions hours to days. About 2% of people
    are *power users*: 5–20x the calls and messages (and the fourth root of that
    in searches) with the same human timing.

Worlds (:data:`WORLDS`, ``simulate.py --world NAME``) vary the people (night
clocks, zones inside a country, heavy power users, shared accounts, app
retries, one-day visitors, page loads of a browser), the capture (one day,
whole seconds or minutes, other continents) and the automation (wider
parameter ranges, and the kinds of :data:`NEW_BOT_KINDS`), to measure cadence
on data it was not tuned on.

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

from cadence.atomic import atomic_output

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
BOT_KINDS: tuple[str, ...] = (
    "burst_scraper",
    "periodic",
    "low_and_slow",
    "harvester",
    "spam_messager",
)
#: Kinds of automation the default sample does not make (``SimConfig.kinds``):
#: memoryless traffic around the clock, jobs started by a scheduler at a fixed
#: second of the day or hour, a period that drifts, 30% jitter, and a
#: human-in-the-loop farm (human-like sessions worked in shifts around the clock).
NEW_BOT_KINDS: tuple[str, ...] = (
    "round_the_clock",
    "wall_clock",
    "drifting_period",
    "heavy_jitter",
    "farm",
)
ALL_BOT_KINDS: tuple[str, ...] = (*BOT_KINDS, *NEW_BOT_KINDS)

_RHYTHM = (
    "all_rhythm",
    "search_rhythm",
    "call_rhythm",
    "message_rhythm",
    "all_mode_share",
    "all_gap_log_iqr",
)
_REST = ("longest_awake_h", "awake_active_h", "active_run_h")
_VOLUME = ("max_minutes_hour", "max_events_hour", "max_events_day")
#: acting seconds apart, faster than a person in an app
_FAST = ("all_gap_q75_s",)
#: a pace no steadier than chance's (memoryless) or steadier (a job)
_PACE = ("pace_fano_ub",)
#: The feature columns whose reason describes what each kind of bot does: a
#: caught bot's first reason should rest on one of them.
KIND_BEHAVIOUR: dict[str, tuple[str, ...]] = {
    "burst_scraper": (
        *_VOLUME,
        "events_per_active_day",
        "all_gap_log_iqr",
        "all_mode_share",
        *_FAST,
    ),
    "periodic": (*_RHYTHM, *_REST, *_PACE, "single_event_share_lcb"),
    "low_and_slow": (*_RHYTHM, *_REST, *_PACE, "single_event_share_lcb"),
    # its searches are a Poisson stream around the clock, for hours to days:
    # it never rests, as round_the_clock traffic does
    "harvester": ("lag_mode_share_lcb", *_REST, *_PACE),
    "spam_messager": (*_RHYTHM, *_VOLUME, *_FAST),
    "round_the_clock": (*_REST, *_PACE, "night_hours_lcb"),
    "wall_clock": (
        "clock_day_share",
        "clock_hour_share",
        "single_event_share_lcb",
        *_FAST,
    ),
    "drifting_period": (*_RHYTHM, *_PACE),
    "heavy_jitter": (*_RHYTHM, *_REST, *_PACE),
    "farm": (*_REST, "night_hours_lcb", *_VOLUME, "events_per_active_day"),
}
HUMAN_KINDS: tuple[str, ...] = ("human", "power_user")
COUNTRY_SHARES: dict[str, float] = {
    "IT": 0.432,
    "GB": 0.209,
    "SE": 0.182,
    "ES": 0.112,
    "FR": 0.065,
}
#: Countries on other continents, none with daylight saving in March–April.
WORLD_COUNTRY_SHARES: dict[str, float] = {
    "JP": 0.2,
    "IN": 0.2,
    "AR": 0.15,
    "ZA": 0.15,
    "BR": 0.15,
    "KR": 0.15,
}
COUNTRY_SETS: dict[str, dict[str, float]] = {
    "europe": COUNTRY_SHARES,
    "world": WORLD_COUNTRY_SHARES,
}
#: Standard-time UTC offsets in hours (the sample ends before most DST changes).
COUNTRY_UTC_OFFSET_H: dict[str, float] = {
    "IT": 1,
    "GB": 0,
    "SE": 1,
    "ES": 1,
    "FR": 1,
    "JP": 9,
    "IN": 5.5,
    "AR": -3,
    "ZA": 2,
    "BR": -3,
    "KR": 9,
}
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


#: Laws of the gaps (ms) between a person's actions inside a session, each
#: with a median of 45 s: law → draw(rng, n).
HUMAN_GAP_LAWS = {
    "lognormal": lambda rng, n: rng.lognormal(np.log(45_000.0), 1.1, n),
    "exponential": lambda rng, n: rng.exponential(45_000.0 / np.log(2.0), n),
    "gamma": lambda rng, n: rng.gamma(2.0, 45_000.0 / 1.678347, n),
}


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
    #: most volume a power user has, as a multiple of a person's (from 5×)
    power_max: float = 20.0
    #: share of people on a shifted clock (night workers, night owls): 8–12 h
    night_people: float = 0.0
    #: each person's zone differs from the country's by up to this many hours
    zone_spread_h: float = 0.0
    #: share of accounts used by two people (their sessions interleaved, the
    #: second person's clock up to 3 h from the first's)
    shared_share: float = 0.0
    #: share of people whose app retries: 10% of their events repeated 1–3
    #: times, 1–5 s apart
    retry_share: float = 0.0
    #: people act in a browser: each action loads a page, this many further
    #: requests on average (geometric), a mean 10–300 ms apart (median 1 s in all),
    #: as a web server's or a proxy's log records a page's assets; 0 for app
    #: events
    page_requests: float = 0.0
    #: every event written as a request (``search``), as a web server's or a
    #: proxy's log has them: no call or message to tell apart
    requests_only: bool = False
    #: share of people seen on one day only
    one_day_share: float = 0.0
    #: "europe" (the original export's countries) or "world" (other continents)
    countries: str = "europe"
    #: "default" parameter ranges of the bot kinds, or "wide" ones
    bot_ranges: str = "default"
    #: the bot kinds made, in equal numbers (see :data:`ALL_BOT_KINDS`)
    kinds: tuple[str, ...] = ()
    #: timestamps floored to this many ms (1000: whole seconds)
    clock_ms: int = 1
    #: share of the events the logs keep, each drawn alone (a sampled
    #: capture: one request in ten, as busy sites log); 1 keeps all
    sample_share: float = 1.0
    #: every timestamp written at this minute of its hour and at a second drawn
    #: at random (whole seconds), as an export that anonymises its times
    #: writes them: the shared access log's are all at minute 05, their
    #: seconds in no order (a page's requests as often fall as rise). Only
    #: the hour is the event's. None writes them as they happened
    frozen_minute: int | None = None
    #: people sleep: each has a nightly window of 5–8 h, starting between
    #: 22:00 and 04:00 local, in which they never act
    people_sleep: bool = True
    #: how far (sd, hours) each night's sleep window moves from the person's
    #: usual one: a person wakes at a different minute every day, so a busy
    #: person's first action of the day does too (at 0 it came within seconds
    #: of the same second every day, as a scheduled job's)
    sleep_wander_h: float = 0.75
    #: timestamps written in each account's country's local time with no zone,
    #: as an export that drops the zone writes them: read as UTC, every clock
    #: is off by its country's offset (signups too)
    local_stamps: bool = False
    #: keep only the events of this many days from the middle of the window
    #: (a capture of a running marketplace); 0 keeps everything
    capture_days: int = 0
    #: law of the gaps inside a person's session, each with a median of 45 s:
    #: "lognormal" (σ 1.1, the default), "exponential" (memoryless) or
    #: "gamma" (shape 2: people who pace themselves, log-IQR 1.03)
    human_gaps: str = "lognormal"
    #: a person's actions per session, on average: drawn per person between
    #: these two
    session_actions: tuple[float, float] = (3.0, 10.0)

    def __post_init__(self) -> None:
        if self.users < 1:
            raise ValueError(f"users must be at least 1, got {self.users}")
        if not 0 <= self.bot_share <= 1:
            raise ValueError(f"bot_share must be in [0, 1], got {self.bot_share}")
        if not 0 <= self.power_share <= 1:
            raise ValueError(f"power_share must be in [0, 1], got {self.power_share}")
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        unknown = set(self.kinds) - set(ALL_BOT_KINDS)
        if unknown:
            raise ValueError(
                f"kinds: unknown bot kind(s) {sorted(unknown)}; "
                f"expected some of {ALL_BOT_KINDS}"
            )
        if self.countries not in COUNTRY_SETS:
            raise ValueError(
                f"countries must be one of {sorted(COUNTRY_SETS)}, "
                f"got {self.countries!r}"
            )
        if self.bot_ranges not in ("default", "wide"):
            raise ValueError(
                f"bot_ranges must be 'default' or 'wide', got {self.bot_ranges!r}"
            )
        if not 0 <= self.capture_days <= self.days:
            raise ValueError(
                f"capture_days must be in [0, days], got {self.capture_days}"
            )
        if self.clock_ms < 1:
            raise ValueError(f"clock_ms must be at least 1, got {self.clock_ms}")
        if not 0 < self.sample_share <= 1:
            raise ValueError(f"sample_share must be in (0, 1], got {self.sample_share}")
        if self.frozen_minute is not None and not 0 <= self.frozen_minute < 60:
            raise ValueError(
                f"frozen_minute must be in [0, 59] or None, got {self.frozen_minute}"
            )
        if not self.sleep_wander_h >= 0:
            raise ValueError(
                f"sleep_wander_h must be at least 0, got {self.sleep_wander_h}"
            )
        low, high = self.session_actions
        if not 1 <= low <= high:
            raise ValueError(
                "session_actions must be (low, high) with 1 <= low <= high, "
                f"got {self.session_actions!r}"
            )
        if self.human_gaps not in HUMAN_GAP_LAWS:
            raise ValueError(
                f"human_gaps must be one of {sorted(HUMAN_GAP_LAWS)}, "
                f"got {self.human_gaps!r}"
            )

    @property
    def bot_kinds(self) -> tuple[str, ...]:
        """The kinds made: ``kinds``, or the five default kinds."""
        return self.kinds or BOT_KINDS


@dataclasses.dataclass
class Simulation:
    """Simulated logs: signups, events (user_id, event, ts_ms) and labels
    (user_id, is_bot, kind, the drawn period_s, p_miss and jitter of the
    periodic kinds, and ``automated_events``: how many of the account's events
    its automation made, not its owner by hand, counted in the logs as kept —
    after a capture window and the clock; 0 for people)."""

    signups: pd.DataFrame
    events: pd.DataFrame
    labels: pd.DataFrame
    end_ms: int


#: People as varied as real ones: night workers and owls, several zones in a
#: country, heavy power users, shared accounts, app retries, one-day visitors.
VARIED_PEOPLE: dict = {
    "night_people": 0.10,
    "zone_spread_h": 3.0,
    "power_share": 0.05,
    "power_max": 50.0,
    "shared_share": 0.05,
    "retry_share": 0.10,
    "one_day_share": 0.20,
}

#: The hardest mix: varied people, other continents, whole seconds, every kind
#: of automation with wide ranges.
_HARD: dict = {
    **VARIED_PEOPLE,
    "countries": "world",
    "clock_ms": 1000,
    "bot_ranges": "wide",
    "kinds": ALL_BOT_KINDS,
}

#: Scenarios of the simulator (``simulate.py --world NAME``): name →
#: (what differs from the default sample, SimConfig overrides).
WORLDS: dict[str, tuple[str, dict]] = {
    "default": ("the default sample", {}),
    "varied_people": (
        "10% of people on night clocks, zones ±3 h inside a country, 5% power "
        "users up to 50x, 5% shared accounts, 10% with app retries, 20% seen on "
        "one day",
        VARIED_PEOPLE,
    ),
    "one_day": (
        "one day captured from the middle of the month",
        {"capture_days": 1},
    ),
    "whole_seconds": ("timestamps in whole seconds", {"clock_ms": 1000}),
    "whole_minutes": ("timestamps in whole minutes", {"clock_ms": 60_000}),
    "other_continents": (
        "users in Japan, India, Argentina, South Africa, Brazil, Korea",
        {"countries": "world"},
    ),
    "wide_bots": (
        "the five default kinds with parameters from wider ranges",
        {"bot_ranges": "wide"},
    ),
    "more_bots": (
        "5% of users automated (the default kinds; the default sample has 1.5%)",
        {"bot_share": 0.05},
    ),
    "new_automation": (
        "only kinds the default sample does not make",
        {"kinds": NEW_BOT_KINDS},
    ),
    "hard": (
        "varied people, other continents, whole seconds, every kind with wide ranges",
        _HARD,
    ),
    "hard_minutes": (
        "the hard world on a clock of whole minutes",
        {**_HARD, "clock_ms": 60_000},
    ),
    "hard_one_day": (
        "the hard world captured for one day",
        {**_HARD, "capture_days": 1},
    ),
    "hard_week": (
        "the hard world captured for a week (a weekly export): bots whose "
        "activity straddles its edges leave a handful of events",
        {**_HARD, "capture_days": 7},
    ),
    "page_loads": (
        "the hard world in a browser: each of a person's actions loads a page, "
        "10 further requests on average within a second or two (a web server's "
        "or a proxy's log)",
        {**_HARD, "page_requests": 10.0},
    ),
    "page_loads_one_day": (
        "one day of a browser's log: page loads as in page_loads, people and "
        "bots as in the default sample",
        {"page_requests": 10.0, "capture_days": 1},
    ),
    "proxy_one_day": (
        "page_loads_one_day as a proxy records it: every event one request, with "
        "no search, call or message to tell apart (no search→call lags)",
        {"page_requests": 10.0, "capture_days": 1, "requests_only": True},
    ),
    "steady_people": (
        "the hard world with people who pace themselves: gaps inside a session "
        "gamma-distributed (shape 2, log-IQR 1.03 against the default's 1.48), "
        "closer to a script's",
        {**_HARD, "human_gaps": "gamma"},
    ),
    "long_sessions": (
        "the hard world with people who browse long: 20–60 actions a session, "
        "memoryless gaps inside it (exponential, median 45 s), sessions of "
        "15–45 minutes at a steady random pace",
        {**_HARD, "human_gaps": "exponential", "session_actions": (20.0, 60.0)},
    ),
    "brief_visits": (
        "the hard world with people who drop by: sessions of 2.9 actions at "
        "the median, 13–48 % of them one action alone (10th–90th percentile), "
        "so their actions scatter over the day",
        {**_HARD, "session_actions": (1.0, 3.0)},
    ),
    "brief_visits_one_day": (
        "brief_visits captured for one day",
        {**_HARD, "session_actions": (1.0, 3.0), "capture_days": 1},
    ),
    "hard_quarter": (
        "the hard world over a quarter (92 days, against 33): people and power "
        "users have three times the events to be read by",
        {**_HARD, "days": 92},
    ),
    "infested": (
        "the hard world with 15 % of the accounts automated (ten times the "
        "default): the automation is no longer rare",
        {**_HARD, "bot_share": 0.15},
    ),
    "sampled": (
        "the default sample as a sampled capture keeps it: each event kept "
        "with probability 1/10, alone (busy sites log one request in ten): "
        "a steady job skips nine beats in ten, a person's session keeps one "
        "action or none",
        {"sample_share": 0.1},
    ),
    "frozen_minutes": (
        "the default sample as an export that anonymises its times writes it: "
        "every time at minute 05 of its hour and a random second (the shared "
        "access log's form): only the hour is the event's",
        {"frozen_minute": 5},
    ),
    "local_stamps": (
        "the hard world written in each country's local time with no zone, "
        "read as UTC: every clock off by its country's offset (−3 h to +9 h)",
        {**_HARD, "local_stamps": True},
    ),
}


def world_config(name: str, **overrides) -> SimConfig:
    """The :class:`SimConfig` of a named world, with further ``overrides``."""
    if name not in WORLDS:
        raise ValueError(f"world must be one of {sorted(WORLDS)}, got {name!r}")
    return SimConfig(**{**WORLDS[name][1], **overrides})


def month_ms(config: SimConfig) -> tuple[int, int]:
    """The first signup day's start and the end of the events (ms, UTC) of a
    marketplace simulated with ``config``."""
    start_ms = int(pd.Timestamp(config.start, tz="UTC").value // 1_000_000)
    return start_ms, start_ms + config.days * DAY_MS


def capture_start_ms(config: SimConfig) -> int:
    """Where a capture of ``config.capture_days`` days begins (ms, UTC): the
    middle day of the simulated month."""
    return month_ms(config)[0] + (config.days // 2) * DAY_MS


def simulate(config: SimConfig = SimConfig()) -> Simulation:
    """Generate a marketplace; the same config gives the same result."""
    rng = np.random.default_rng(config.seed)
    n = config.users
    start_ms, end_ms = month_ms(config)
    user_id = 10_000_000 + np.arange(n, dtype=np.int64)

    kinds_made = config.bot_kinds
    n_bots = int(round(n * config.bot_share))
    n_power = int(round((n - n_bots) * config.power_share))
    role = np.zeros(n, dtype=np.int64)  # 0 human, 1 power, 2.. bot kinds
    role[:n_power] = 1
    bot_codes = np.array([2 + ALL_BOT_KINDS.index(k) for k in kinds_made])
    role[n_power : n_power + n_bots] = bot_codes[np.arange(n_bots) % len(kinds_made)]
    role = rng.permutation(role)

    table = COUNTRY_SETS[config.countries]
    countries = np.array(list(table))
    shares = np.array(list(table.values()))
    country = countries[rng.choice(len(countries), size=n, p=shares / shares.sum())]
    country_offset_h = pd.Series(country).map(COUNTRY_UTC_OFFSET_H).to_numpy(float)
    offset_h = country_offset_h
    signup_ms = start_ms + rng.integers(0, config.days, n) * DAY_MS

    # --- human activity: counts per user -------------------------------------
    z = rng.standard_normal(n)
    n_search = np.maximum(1, np.round(28 + np.where(z < 0, 13.0, 10.0) * z)).astype(int)
    calls = np.round(rng.lognormal(np.log(31.0), 0.98, n)).astype(int)
    n_call = np.where(rng.random(n) < 0.06, 0, np.maximum(calls, 1))
    msgs = np.ceil(rng.lognormal(np.log(3.6), 1.45, n)).astype(int)
    n_msg = np.where(rng.random(n) < 0.325, msgs, 0)
    factor = np.where(role == 1, rng.uniform(5, max(config.power_max, 5.0), n), 1.0)
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
    people = ~is_bot
    # people's variety (all zero in the default sample, drawn from a generator
    # of its own so that the default sample stays as it was): zones inside a
    # country, shifted clocks, shared accounts, people seen on one day
    vrng = np.random.default_rng([config.seed, 1])
    offset_h = offset_h + np.where(
        people, vrng.uniform(-1, 1, n) * config.zone_spread_h, 0.0
    )
    shift_h = np.where(
        people & (vrng.random(n) < config.night_people), vrng.uniform(8, 12, n), 0.0
    )
    shared = people & (vrng.random(n) < config.shared_share)
    counts[shared] *= 2
    # the second person of a household or office keeps a clock within ±3 h
    second_shift_h = np.where(shared, vrng.uniform(-3, 3, n), 0.0)
    one_day = people & (vrng.random(n) < config.one_day_share)
    srng = np.random.default_rng([config.seed, 2])
    sleep = (np.mod(srng.uniform(22, 28, n), 24), srng.uniform(5, 8, n))
    sleep = sleep if config.people_sleep else None
    window_ms = np.where(one_day, HOUR_MS, window_ms)
    human = _human_events(
        rng,
        user_id,
        counts,
        signup_ms,
        window_ms,
        offset_h,
        end_ms,
        shift_h=shift_h,
        second_shift_h=second_shift_h if shared.any() else None,
        vrng=vrng,
        sleep_h=sleep,
        sleep_wander=(np.random.default_rng([config.seed, 4]), config.sleep_wander_h),
        gap_law=config.human_gaps,
        session_actions=config.session_actions,
    )
    retry = people & (vrng.random(n) < config.retry_share)
    human = _with_retries(vrng, human, user_id[retry])
    if config.page_requests > 0:
        prng = np.random.default_rng([config.seed, 3])
        human = _with_page_loads(prng, human, config.page_requests)

    # --- bots ----------------------------------------------------------------
    params = pd.DataFrame(
        {"period_s": np.nan, "p_miss": np.nan, "jitter": np.nan}, index=range(n)
    )
    bot_frames = [human]
    wide = config.bot_ranges == "wide"
    for k, kind in enumerate(ALL_BOT_KINDS):
        idx = np.flatnonzero(role == 2 + k)
        if idx.size == 0:
            continue
        begin = signup_ms[idx] + rng.integers(0, 2 * DAY_MS, idx.size)
        begin = np.maximum(np.minimum(begin, end_ms - 6 * HOUR_MS), start_ms)
        frame, p = _BOT_MAKERS[kind](rng, user_id[idx], begin, end_ms, wide)
        bot_frames.append(frame)
        if p is not None:
            params.loc[idx, list(p)] = np.column_stack([p[c] for c in p])

    # the automation's own events (not its owner's by hand), so that the labels
    # can say how much of it the logs keep
    sizes = [len(frame) for frame in bot_frames]
    made = np.repeat(np.arange(len(sizes)) > 0, sizes)
    events = pd.concat(bot_frames, ignore_index=True).assign(automated=made)
    events = events[(events["ts_ms"] >= signup_ms.min()) & (events["ts_ms"] < end_ms)]
    if config.capture_days:
        lo = capture_start_ms(config)
        ts = events["ts_ms"]
        events = events[(ts >= lo) & (ts < lo + config.capture_days * DAY_MS)]
    if config.sample_share < 1:  # a sampled capture keeps each event alone
        kept = np.random.default_rng([config.seed, 6]).random(len(events))
        events = events[kept < config.sample_share]
    if config.local_stamps:  # each account's country's offset, as written
        written = np.round(country_offset_h * HOUR_MS).astype(np.int64)
        row = np.searchsorted(user_id, events["user_id"].to_numpy())
        events["ts_ms"] = events["ts_ms"].to_numpy() + written[row]
        signup_ms = signup_ms + written
    if config.clock_ms > 1:
        events["ts_ms"] = events["ts_ms"] // config.clock_ms * config.clock_ms
    if config.frozen_minute is not None:
        second = np.random.default_rng([config.seed, 5]).integers(0, 60, len(events))
        hour = events["ts_ms"].to_numpy() // HOUR_MS * HOUR_MS
        events["ts_ms"] = hour + config.frozen_minute * MINUTE_MS + second * 1000
    events = events.sort_values(["user_id", "ts_ms"], kind="stable").reset_index(
        drop=True
    )
    automated = events.pop("automated").to_numpy()
    owner = np.searchsorted(user_id, events["user_id"].to_numpy()[automated])
    automated_events = np.bincount(owner, minlength=n)
    codes = events["event"].to_numpy()
    if config.requests_only:
        codes = np.zeros_like(codes)
    events["event"] = pd.Categorical.from_codes(
        codes, categories=["search", "call", "message"]
    )
    kinds = np.array([*HUMAN_KINDS, *ALL_BOT_KINDS])
    labels = pd.DataFrame(
        {
            "user_id": user_id,
            "is_bot": is_bot.astype(int),
            "kind": kinds[role],
            "period_s": params["period_s"].to_numpy(),
            "p_miss": params["p_miss"].to_numpy(),
            "jitter": params["jitter"].to_numpy(),
            "automated_events": automated_events,
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
    shift_h: np.ndarray | None = None,
    second_shift_h: np.ndarray | None = None,
    vrng: np.random.Generator | None = None,
    sleep_h: tuple[np.ndarray, np.ndarray] | None = None,
    sleep_wander: tuple[np.random.Generator, float] | None = None,
    gap_law: str = "lognormal",
    session_actions: tuple[float, float] = (3.0, 10.0),
) -> pd.DataFrame:
    """People's events: sessions at local times of day, short gaps inside.

    ``shift_h`` moves a person's whole clock (a night worker); where
    ``second_shift_h`` is non-zero the account is shared and half of its
    sessions follow a second person's clock, shifted by that much more.
    ``sleep_h`` (start local hour, length in hours, per user): sessions drawn
    inside that window happen just after it instead; ``sleep_wander`` (a
    generator of its own, sd in hours) moves each night's window, the same
    for every session of that user and day.
    """
    total = counts.sum(axis=1)
    per_session = rng.uniform(*session_actions, len(total))
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
    if sleep_h is not None:  # a session that would fall in the person's sleep
        begin_h, length_h = sleep_h[0][s_user], sleep_h[1][s_user]  # comes after it
        if sleep_wander is not None and sleep_wander[1] > 0 and len(day):
            wrng, sd_h = sleep_wander
            night = (
                s_user * (int(days_avail.max()) + 1)
                + (day_ms - signup_ms[s_user]) // DAY_MS
            )
            nights, which = np.unique(night, return_inverse=True)
            begin_h = begin_h + wrng.normal(0.0, sd_h, nights.size)[which]
        asleep = np.mod(local / HOUR_MS - begin_h, 24.0) < length_h
        local = np.where(asleep, np.mod(local + length_h * HOUR_MS, DAY_MS), local)
    shift = np.zeros(len(day)) if shift_h is None else shift_h[s_user]
    if second_shift_h is not None:
        other = (vrng or rng).random(len(day)) < 0.5
        shift = shift + np.where(other, second_shift_h[s_user], 0.0)
    local = np.mod(local + shift * HOUR_MS, DAY_MS)
    s_start = day_ms + local - np.round(offset_h[s_user] * HOUR_MS).astype(np.int64)
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
    gaps = HUMAN_GAP_LAWS[gap_law](rng, len(e_sess))
    gaps[_segment_starts(sizes)[sizes > 0]] = 0.0
    ts = s_start[e_sess] + _cumsum_within(gaps, sizes)
    return _frame(user_id[e_user], e_type, ts)


def _with_retries(
    rng: np.random.Generator, events: pd.DataFrame, users: np.ndarray
) -> pd.DataFrame:
    """Events of ``users`` with app retries: 10% of their events repeated 1–3
    times, 1–5 s apart (same stream)."""
    if users.size == 0:
        return events
    mine = np.flatnonzero(np.isin(events["user_id"].to_numpy(), users))
    picked = mine[rng.random(mine.size) < 0.1]
    copies = rng.integers(1, 4, picked.size)
    src = np.repeat(picked, copies)
    step = np.arange(src.size) - np.repeat(_segment_starts(copies), copies) + 1
    return _with_copies(events, src, step * rng.uniform(1000, 5000, src.size))


def _with_page_loads(
    rng: np.random.Generator, events: pd.DataFrame, mean_requests: float
) -> pd.DataFrame:
    """Each event followed by its page's further requests (geometric, mean
    ``mean_requests``), gaps between them exponential with a mean of 10–300 ms
    drawn per page, in the event's stream."""
    extra_n = rng.geometric(1.0 / (1.0 + mean_requests), len(events)) - 1
    src = np.repeat(np.arange(len(events)), extra_n)
    mean_ms = np.repeat(rng.uniform(10, 300, len(events)), extra_n)
    step = rng.exponential(mean_ms)
    return _with_copies(events, src, _cumsum_within(step, extra_n[extra_n > 0]))


def _with_copies(
    events: pd.DataFrame, src: np.ndarray, delay_ms: np.ndarray
) -> pd.DataFrame:
    """``events`` and a copy of row ``src[i]`` ``delay_ms[i]`` later, each i."""
    extra = events.iloc[src].copy()
    extra["ts_ms"] = extra["ts_ms"].to_numpy() + np.round(delay_ms).astype(np.int64)
    return pd.concat([events, extra], ignore_index=True)


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
    wide: bool = False,
    low_s: float = 5.0,
    high_s: float = 3600.0,
    max_events: int = 2000,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    b = len(users)
    if wide:  # a second to six hours, up to 20% jitter, up to 70% misses
        low_s, high_s = min(low_s, 1.0), max(high_s, 6 * 3600.0)
    period_s = np.exp(rng.uniform(np.log(low_s), np.log(high_s), b))
    jitter = rng.uniform(0.01, 0.20 if wide else 0.10, b)
    p_miss = rng.uniform(0.0, 0.7 if wide else 0.5, b)
    room = (end_ms - begin) / (period_s * 1000 / (1 - p_miss))
    n_events = np.clip(np.minimum(rng.integers(200, max_events + 1, b), room), 30, None)
    n_events = n_events.astype(np.int64)
    owner, ts = _periodic_times(rng, begin, n_events, period_s * 1000, p_miss, jitter)
    stream = rng.choice(3, size=b, p=[0.6, 0.3, 0.1])
    params = {"period_s": period_s, "p_miss": p_miss, "jitter": jitter}
    return _frame(users[owner], stream[owner], ts), params


def _low_and_slow(rng, users, begin, end_ms, wide=False):
    return _periodic(
        rng, users, begin, end_ms, wide, 900.0, 10_800.0, max_events=100_000
    )


def _burst_scraper(rng, users, begin, end_ms, wide=False):
    b = len(users)
    n_events = rng.integers(200 if wide else 800, 6001, b)
    mean_s = rng.uniform(1.0, 20.0 if wide else 8.0, b)
    shape = rng.uniform(1.0 if wide else 1.5, 6.0, b)
    owner = np.repeat(np.arange(b), n_events)
    gaps = rng.gamma(shape[owner], mean_s[owner] * 1000 / shape[owner])
    if wide:  # several bursts with breaks of 1–6 h between them
        pause = rng.random(owner.size) < 1 / 300
        gaps = np.where(pause, rng.uniform(1, 6, owner.size) * HOUR_MS, gaps)
    gaps[_segment_starts(n_events)] = 0.0
    ts = begin[owner] + _cumsum_within(gaps, n_events)
    return _frame(users[owner], np.zeros(len(owner)), ts), None


def _harvester(rng, users, begin, end_ms, wide=False):
    b = len(users)
    n_search = rng.integers(100, 801, b)
    mean_s = np.exp(rng.uniform(np.log(60), np.log(3600 if wide else 1200), b))
    lag_s = rng.uniform(1.0 if wide else 2.0, 120.0 if wide else 30.0, b)
    lag_sd = 0.15 if wide else 0.05
    owner = np.repeat(np.arange(b), n_search)
    gaps = rng.exponential(mean_s[owner] * 1000)
    gaps[_segment_starts(n_search)] = 0.0
    searches = begin[owner] + _cumsum_within(gaps, n_search)
    follow = rng.random(len(owner)) < (0.5 if wide else 0.8)
    noise = 1 + lag_sd * rng.standard_normal(follow.sum())
    calls = searches[follow] + lag_s[owner[follow]] * 1000 * noise
    user = np.concatenate([users[owner], users[owner[follow]]])
    event = np.concatenate([np.zeros(len(owner)), np.ones(follow.sum())])
    return _frame(user, event, np.concatenate([searches, calls])), None


def _spam_messager(rng, users, begin, end_ms, wide=False):
    b = len(users)
    n_bursts = rng.integers(3 if wide else 5, 41, b)
    spacing_s = rng.uniform(2.0 if wide else 5.0, 300.0 if wide else 60.0, b)
    jitter = rng.uniform(0.02, 0.15 if wide else 0.05, b)
    burst_owner = np.repeat(np.arange(b), n_bursts)
    span = np.maximum(end_ms - begin[burst_owner] - HOUR_MS, HOUR_MS)
    burst_start = begin[burst_owner] + rng.random(len(burst_owner)) * span
    sizes = rng.integers(5 if wide else 10, 61, len(burst_owner))
    owner = np.repeat(burst_owner, sizes)
    step = (
        spacing_s[owner] * 1000 * (1 + jitter[owner] * rng.standard_normal(len(owner)))
    )
    step[_segment_starts(sizes)] = 0.0
    ts = np.repeat(burst_start, sizes) + _cumsum_within(step, sizes)
    params = {"period_s": spacing_s, "p_miss": np.zeros(b), "jitter": jitter}
    return _frame(users[owner], np.full(len(owner), 2), ts), params


def _round_the_clock(rng, users, begin, end_ms, wide=False):
    """Memoryless searches and calls, mean gap 2–15 min, day and night for
    3–20 days: no period at all, only no sleep."""
    b = len(users)
    mean_s = rng.uniform(120, 900, b)
    span = np.minimum(rng.uniform(3, 20, b) * DAY_MS, end_ms - begin)
    n = np.maximum((span / (mean_s * 1000)).astype(np.int64), 5)
    owner = np.repeat(np.arange(b), n)
    gaps = rng.exponential(mean_s[owner] * 1000)
    gaps[_segment_starts(n)] = 0.0
    ts = begin[owner] + _cumsum_within(gaps, n)
    return _frame(users[owner], (rng.random(owner.size) < 0.3).astype(int), ts), None


def _wall_clock(rng, users, begin, end_ms, wide=False):
    """A scheduler starts a job at a fixed second of every day (half the bots)
    or of every hour, ±0–10 s, skipping 0–30% of runs; each run makes 1–20
    events a few seconds apart."""
    b = len(users)
    daily = rng.random(b) < 0.5
    cycle = np.where(daily, DAY_MS, HOUR_MS)
    phase = (rng.random(b) * cycle).astype(np.int64)
    runs = np.where(daily, rng.integers(10, 31, b), rng.integers(24, 24 * 10, b))
    skip = rng.uniform(0.0, 0.3, b)
    jitter_ms = rng.uniform(0, 10_000, b)
    per_run = rng.integers(1, 21, b)
    r_owner = np.repeat(np.arange(b), runs)
    r_index = np.arange(r_owner.size) - np.repeat(_segment_starts(runs), runs)
    first = (begin // cycle + 1) * cycle + phase
    r_start = first[r_owner] + r_index * cycle[r_owner]
    r_start = r_start + rng.normal(0, 1, r_owner.size) * jitter_ms[r_owner]
    kept = rng.random(r_owner.size) >= skip[r_owner]
    r_owner, r_start = r_owner[kept], r_start[kept]
    sizes = per_run[r_owner]
    owner = np.repeat(r_owner, sizes)
    step = rng.uniform(1000, 5000, owner.size)
    step[_segment_starts(sizes)] = 0.0
    ts = np.repeat(r_start, sizes) + _cumsum_within(step, sizes)
    stream = rng.choice(3, size=b, p=[0.6, 0.2, 0.2])
    return _frame(users[owner], stream[owner], ts), None


def _drifting_period(rng, users, begin, end_ms, wide=False):
    """A job whose period drifts by +30% over its run (T 30–300 s, 3% jitter)."""
    b = len(users)
    t0 = np.exp(rng.uniform(np.log(30), np.log(300), b))
    n = rng.integers(300, 2001, b)
    owner = np.repeat(np.arange(b), n)
    frac = (np.arange(owner.size) - np.repeat(_segment_starts(n), n)) / n[owner]
    period = t0[owner] * (1.0 + 0.3 * frac) * 1000
    gaps = period * (1 + 0.03 * rng.standard_normal(owner.size))
    gaps[_segment_starts(n)] = 0.0
    ts = begin[owner] + _cumsum_within(gaps, n)
    return _frame(users[owner], np.ones(owner.size), ts), None


def _heavy_jitter(rng, users, begin, end_ms, wide=False):
    """T 1–10 min with 30% jitter and 20% missed beats."""
    b = len(users)
    period_s = np.exp(rng.uniform(np.log(60), np.log(600), b))
    n = rng.integers(200, 1501, b)
    owner, ts = _periodic_times(
        rng, begin, n, period_s * 1000, np.full(b, 0.2), np.full(b, 0.3)
    )
    params = {
        "period_s": period_s,
        "p_miss": np.full(b, 0.2),
        "jitter": np.full(b, 0.3),
    }
    return _frame(users[owner], np.zeros(owner.size), ts), params


def _farm(rng, users, begin, end_ms, wide=False):
    """Human-in-the-loop: people work the account in shifts around the clock,
    with human gaps (log-normal, median 20–60 s) and short breaks, 1,500–5,000
    events, searches and messages."""
    b = len(users)
    n = rng.integers(1500, 5001, b)
    median_s = rng.uniform(20, 60, b)
    owner = np.repeat(np.arange(b), n)
    gaps = rng.lognormal(np.log(median_s[owner] * 1000), 1.1)
    pause = rng.random(owner.size) < 1 / 40
    gaps = np.where(pause, rng.exponential(20 * 60_000, owner.size), gaps)
    gaps[_segment_starts(n)] = 0.0
    ts = begin[owner] + _cumsum_within(gaps, n)
    stream = np.where(rng.random(owner.size) < 0.7, 0, 2)
    return _frame(users[owner], stream, ts), None


_BOT_MAKERS = {
    "burst_scraper": _burst_scraper,
    "periodic": _periodic,
    "low_and_slow": _low_and_slow,
    "harvester": _harvester,
    "spam_messager": _spam_messager,
    "round_the_clock": _round_the_clock,
    "wall_clock": _wall_clock,
    "drifting_period": _drifting_period,
    "heavy_jitter": _heavy_jitter,
    "farm": _farm,
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
    sim: Simulation,
    out_dir: str | Path,
    *,
    dirty: bool = False,
    shuffled: bool = False,
    seed: int = 0,
) -> dict[str, Path]:
    """Write the simulation as tab-separated logs plus ``labels.tsv``.

    Rows of each event log are in time order, or, with ``shuffled``, in a random
    order (seeded by ``seed``), as some exports come. With ``dirty``, a few exact
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
    if shuffled:
        tables = {k: _shuffled(rng, v) for k, v in tables.items()}
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
    return _shuffled(rng, out)


def _shuffled(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


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
