"""Reasons a person reads: what a user does, in units and counts.

:meth:`models.ensemble.CadenceDetector.explain` picks, for each user, the columns
that drove the score; this module writes each as a sentence from the user's row of
the feature table, for example "one search every 61 s (± 1.2 s); 31% of beats
skipped (412 searches)" or "active for 41 h without a 3-hour rest". No p-values,
R² or z-scores: those stay in the feature catalogue.

A column without a template, or a row that lacks a column a template needs, gets
the plain form "<label> <value> (a typical user: <value>)".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from features.gaps import LAG_HALFWIDTH_S

#: Readable names of columns, for the plain form.
LABELS: dict[str, str] = {
    "all_rhythm": "rhythm strength of all gaps",
    "search_rhythm": "rhythm strength of search gaps",
    "call_rhythm": "rhythm strength of call gaps",
    "message_rhythm": "rhythm strength of message gaps",
    "all_mode_share": "share of gaps at the modal gap",
    "all_gap_log_iqr": "gap spread ln(q75/q25)",
    "all_gap_q75_s": "upper quartile of the gaps",
    "max_events_hour": "most events in one hour",
    "max_events_day": "most events in one day",
    "max_minutes_hour": "most active minutes in one hour",
    "events_per_active_day": "events per active day",
    "night_hours_lcb": "share of active hours at night (00–06 local)",
    "night_share_lcb": "share of events at night (00–06 local)",
    "diurnal_r2": "daily rhythm",
    "longest_awake_h": "hours active without a 3-hour rest",
    "awake_active_h": "active hours without a 3-hour rest",
    "active_run_h": "consecutive hours with activity",
    "pace_fano_ub": "spread of actions per 10 minutes against chance",
    "clock_day_share": "sessions starting at the same time of day",
    "clock_hour_share": "sessions starting at the same second of the hour",
    "lag_mode_share_lcb": "search→call lags at the same length",
    "single_event_share_lcb": "sessions of one event alone",
}


def duration(seconds: np.ndarray) -> np.ndarray:
    """Durations as short text: "0.8 s", "61 s", "4.2 min", "3.1 h", "2.5 d".

    Examples
    --------
    61 → "61 s"; 252 → "4.2 min"; 11,160 → "3.1 h".
    """
    out = []
    for s in np.asarray(seconds, dtype=np.float64):
        if not np.isfinite(s):
            out.append("?")
        elif s < 10:
            out.append(f"{s:.1f} s")
        elif s < 120:
            out.append(f"{s:.0f} s")
        elif s < 7200:
            out.append(f"{s / 60:.1f} min")
        elif s < 172_800:
            out.append(f"{s / 3600:.1f} h")
        else:
            out.append(f"{s / 86400:.1f} d")
    return np.asarray(out, dtype=object)


def count(values: np.ndarray) -> np.ndarray:
    """Whole counts with thousands separators: 1234.0 → "1,234"."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64))
    return np.asarray([f"{x:,.0f}" for x in v], dtype=object)


def percent(values: np.ndarray) -> np.ndarray:
    """Shares as whole percents: 0.314 → "31%"."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64))
    return np.asarray([f"{100 * x:.0f}%" for x in v], dtype=object)


def number(values: np.ndarray) -> np.ndarray:
    """Three significant digits, thousands separated above 1,000."""
    out = []
    for v in np.asarray(values, dtype=np.float64):
        if not np.isfinite(v):
            out.append("n/a")
        elif abs(v) >= 1000:
            out.append(f"{v:,.0f}")
        else:
            out.append(f"{v:.3g}")
    return np.asarray(out, dtype=object)


def _rhythm(stream: str) -> tuple[tuple[str, ...], Callable]:
    noun = "event" if stream == "all" else stream
    plural = {"search": "searches", "event": "events"}.get(noun, noun + "s")
    n_col = "n_events" if stream == "all" else f"n_{stream}"
    needs = (f"{stream}_period_s", f"{stream}_jitter", f"{stream}_p_miss", n_col)

    def text(r: pd.DataFrame, typical: float) -> np.ndarray:
        period = r[f"{stream}_period_s"].to_numpy()
        spread = period * r[f"{stream}_jitter"].to_numpy()
        return (
            f"one {noun} every "
            + duration(period)
            + " (± "
            + duration(spread)
            + "); "
            + percent(r[f"{stream}_p_miss"].to_numpy())
            + " of beats skipped ("
            + count(r[n_col].to_numpy())
            + f" {plural})"
        )

    return needs, text


#: A modal gap under this (s) is no length to quote: the gaps are zero (the
#: feature table floors them at 1 ms), events in the same clock tick.
SAME_TICK_MODE_S = 0.05


def _mode_text(r: pd.DataFrame, typical: float) -> np.ndarray:
    """Gaps at one length; a modal gap of (about) 0 means events in the same
    clock tick (whole seconds or minutes) as the one before."""
    share = percent(r["all_mode_share"].to_numpy())
    mode = r["all_mode_s"].to_numpy()
    n = count(r["n_events"].to_numpy())
    same = share + " of its events in the same second or minute as the one before ("
    equal = share + " of its gaps are the same " + duration(mode) + " (±10%; "
    return np.where(mode >= SAME_TICK_MODE_S, equal, same) + n + " events)"


def _of_its_sessions(column: str, what: str) -> tuple[tuple[str, ...], Callable]:
    """A template "<k> of its <n> sessions <what>", k from ``column``."""

    def text(r: pd.DataFrame, typical: float) -> np.ndarray:
        return (
            count(r[column].to_numpy())
            + " of its "
            + count(r["n_sessions"].to_numpy())
            + " sessions "
            + what
        )

    return (column, "n_sessions"), text


def _typical(typical: float, unit: str = "") -> str:
    return f" (a typical user: {number(np.array([typical]))[0]}{unit})"


#: column → (columns the text needs, text maker(rows, typical value)).
TEMPLATES: dict[str, tuple[tuple[str, ...], Callable]] = {
    **{f"{s}_rhythm": _rhythm(s) for s in ("all", "search", "call", "message")},
    "all_mode_share": (("all_mode_share", "all_mode_s", "n_events"), _mode_text),
    "all_gap_log_iqr": (
        ("all_gap_log_iqr", "all_gap_median_s", "n_events"),
        lambda r, t: (
            "evenly spaced: half its gaps within ×"
            + number(np.exp(r["all_gap_log_iqr"].to_numpy()))
            + " of each other around "
            + duration(r["all_gap_median_s"].to_numpy())
            + " ("
            + count(r["n_events"].to_numpy())
            + " events)"
        ),
    ),
    "all_gap_q75_s": (
        ("all_gap_q75_s", "n_events"),
        lambda r, t: (
            "three in four of its gaps under "
            + duration(r["all_gap_q75_s"].to_numpy())
            + " ("
            + count(r["n_events"].to_numpy())
            + " events)"
            + _typical(t, " s")
        ),
    ),
    "max_minutes_hour": (
        ("max_minutes_hour", "max_events_hour"),
        lambda r, t: (
            "busy "
            + count(r["max_minutes_hour"].to_numpy())
            + " minutes of one hour, "
            + count(r["max_events_hour"].to_numpy())
            + " events in it"
            + _typical(t, " minutes")
        ),
    ),
    "max_events_hour": (
        ("max_events_hour",),
        lambda r, t: (
            count(r["max_events_hour"].to_numpy()) + " events in one hour" + _typical(t)
        ),
    ),
    "max_events_day": (
        ("max_events_day",),
        lambda r, t: (
            count(r["max_events_day"].to_numpy()) + " events in one day" + _typical(t)
        ),
    ),
    "events_per_active_day": (
        ("events_per_active_day", "active_days"),
        lambda r, t: (
            number(r["events_per_active_day"].to_numpy())
            + " events a day over "
            + count(r["active_days"].to_numpy())
            + " active days"
            + _typical(t)
        ),
    ),
    "night_hours_lcb": (
        ("night_hours_lcb", "active_hours", "active_days"),
        lambda r, t: (
            "at least "
            + percent(r["night_hours_lcb"].to_numpy())
            + " of its "
            + count(r["active_hours"].to_numpy())
            + " active hours at night (00–06 local), over "
            + count(r["active_days"].to_numpy())
            + " days"
        ),
    ),
    "night_share_lcb": (
        ("night_share", "active_days"),
        lambda r, t: (
            percent(r["night_share"].to_numpy())
            + " of its activity at night (00–06 local) over "
            + count(r["active_days"].to_numpy())
            + " days"
        ),
    ),
    "diurnal_r2": (
        ("active_days", "hour_entropy_bits"),
        lambda r, t: (
            "no daily rhythm: active around the clock over "
            + count(r["active_days"].to_numpy())
            + " days"
        ),
    ),
    "longest_awake_h": (
        ("longest_awake_h",),
        lambda r, t: (
            "active for "
            + count(r["longest_awake_h"].to_numpy())
            + " h without a 3-hour rest"
        ),
    ),
    "awake_active_h": (
        ("awake_active_h", "longest_awake_h"),
        lambda r, t: (
            "events in "
            + count(r["awake_active_h"].to_numpy())
            + " separate hours of a "
            + count(r["longest_awake_h"].to_numpy())
            + " h stretch without a 3-hour rest"
        ),
    ),
    "active_run_h": (
        ("active_run_h",),
        lambda r, t: (
            "active in " + count(r["active_run_h"].to_numpy()) + " consecutive hours"
        ),
    ),
    "pace_fano_ub": (
        ("pace_fano_ub",),
        lambda r, t: (
            "a steady pace while active: its actions per 10 minutes vary at most "
            + number(r["pace_fano_ub"].to_numpy())
            + "× as much as at random, where people's sessions bunch them"
            + _typical(t, "×")
        ),
    ),
    "clock_day_share": _of_its_sessions(
        "clock_day_starts", "start at the same time of day (± 30 s)"
    ),
    "clock_hour_share": _of_its_sessions(
        "clock_hour_starts", "start at the same minute and second of the hour (± 30 s)"
    ),
    "single_event_share_lcb": _of_its_sessions(
        "single_event_sessions", "are one event alone (30 min idle before and after)"
    ),
    "lag_mode_share_lcb": (
        ("lag_median_s", "lag_mode_share", "n_call", "followed_share", "n_search"),
        lambda r, t: (
            "calls "
            + duration(r["lag_median_s"].to_numpy())
            + " after a search: "
            + percent(r["lag_mode_share"].to_numpy())
            + " of its "
            + count(r["n_call"].to_numpy())
            + " calls at the same lag ("
            # the window is ±10% of the lag, at most ±LAG_HALFWIDTH_S
            + np.where(
                r["lag_median_s"].to_numpy() <= 10 * LAG_HALFWIDTH_S,
                "±10%",
                f"±{LAG_HALFWIDTH_S:.0f} s",
            )
            + "); "
            + percent(r["followed_share"].to_numpy())
            + " of its "
            + count(r["n_search"].to_numpy())
            + " searches lead to a call"
        ),
    ),
}


def reason_texts(column: str, rows: pd.DataFrame, typical: float) -> np.ndarray:
    """One sentence per row of ``rows`` (feature-table rows) about ``column``.

    ``typical`` is the training median of the column, quoted where a count is
    only telling beside what a typical user does.
    """
    needs, make = TEMPLATES.get(column, ((), None))
    if make is not None and all(c in rows.columns for c in needs):
        return np.asarray(make(rows, typical), dtype=object)
    label = LABELS.get(column, column)
    values = (
        number(rows[column].to_numpy())
        if column in rows
        else np.full(len(rows), "n/a", dtype=object)
    )
    return np.asarray(label + " " + values + _typical(typical), dtype=object)
