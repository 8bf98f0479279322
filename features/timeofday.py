"""Time-of-day features: people live on a clock, scripts often don't.

Local time comes from the user's signup country (its IANA time zone from the
tz database, daylight saving included; the country as its alpha-2, alpha-3 or
numeric code or its English name); users of unknown country are read in UTC.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from features.grouped import Groups, divide, mean_resultant
from features.volume import WindowRuns, window_runs

DAY_MS = 86_400_000
HOUR_MS = 3_600_000

#: Active days a daily-clock feature needs (fewer: NaN, no evidence either way).
MIN_ACTIVE_DAYS = 3

#: Zone of countries that span several: the zone most of their people live in.
#: Every other country takes its zone from the IANA tz database's ``zone.tab``
#: (the first zone listed for it).
MAIN_ZONE: dict[str, str] = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "BR": "America/Sao_Paulo",
    "MX": "America/Mexico_City",
    "AR": "America/Argentina/Buenos_Aires",
    "CL": "America/Santiago",
    "EC": "America/Guayaquil",
    "AU": "Australia/Sydney",
    "NZ": "Pacific/Auckland",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "KZ": "Asia/Almaty",
    "CN": "Asia/Shanghai",
    "ID": "Asia/Jakarta",
    "MN": "Asia/Ulaanbaatar",
    "MY": "Asia/Kuala_Lumpur",
    "CD": "Africa/Kinshasa",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "DE": "Europe/Berlin",
    "GB": "Europe/London",
    "FR": "Europe/Paris",
    "IT": "Europe/Rome",
    "NL": "Europe/Amsterdam",
    "DK": "Europe/Copenhagen",
}


def _zone_tab() -> str:
    """The tz database's zone.tab: from the ``tzdata`` package, else the
    system's copy."""
    from importlib import resources

    try:
        return (resources.files("tzdata") / "zoneinfo" / "zone.tab").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        from pathlib import Path

        return Path("/usr/share/zoneinfo/zone.tab").read_text()


def country_zones() -> dict[str, str]:
    """ISO 3166 country code → IANA zone, for every country of the tz database."""
    zones: dict[str, str] = {}
    for line in _zone_tab().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        zones.setdefault(fields[0].strip().upper(), fields[2].strip())
    return {**zones, **MAIN_ZONE}


#: Time zone of each country code; unknown codes are read in UTC.
COUNTRY_TZ: dict[str, str] = country_zones()

#: Codes outside ISO 3166 that the European Union uses for two members.
COUNTRY_ALIASES: dict[str, str] = {"UK": "GB", "EL": "GR"}


@functools.cache
def _tz_country_names() -> dict[str, str]:
    """The tz database's English name of each country (``iso3166.tab``:
    "Russia", "Turkey", "Britain (UK)"), lower-cased → alpha-2 code."""
    from importlib import resources

    try:
        text = (resources.files("tzdata") / "zoneinfo" / "iso3166.tab").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        return {}
    rows = (line.split("\t") for line in text.splitlines() if line[:1].isalpha())
    return {name.strip().lower(): code for code, name in rows}


def country_alpha2(value: str) -> str | None:
    """The ISO 3166 alpha-2 code a country is written as: the code itself in
    any case, its alpha-3 or numeric code, or its English name (``"DEU"``,
    ``"276"``, ``"Germany"`` → ``"DE"``); None when it names no country."""
    import pycountry

    key = value.strip()
    if key.upper() in COUNTRY_TZ:
        return key.upper()
    if key.upper() in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[key.upper()]
    if not key:
        return None
    try:
        return pycountry.countries.lookup(key).alpha_2
    except LookupError:
        return _tz_country_names().get(key.lower())


def country_codes(values: np.ndarray) -> np.ndarray:
    """:func:`country_alpha2` of each value, worked once per distinct value;
    a value that names no country is kept as it is (it may name a zone, see
    :func:`resolve_zone`)."""
    codes, names = pd.factorize(np.asarray(values, dtype=object).astype(str))
    alpha2 = [country_alpha2(n) or n for n in names]
    return np.array([*alpha2, ""], dtype=object)[codes]


def resolve_zone(key: str):
    """The time zone a key names: a country code (:data:`COUNTRY_TZ`), an IANA
    zone name ("Asia/Tokyo"), or a UTC offset ("+05:30", "UTC-3", "-0800");
    None when it names none.

    Examples
    --------
    "JP" → "Asia/Tokyo"; "UTC+05:30" → a fixed offset of 5 h 30 min.
    """
    import datetime as dt
    import re
    import zoneinfo

    key = key.strip()
    if not key:
        return None
    if key.upper() in COUNTRY_TZ:
        return COUNTRY_TZ[key.upper()]
    m = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", key, re.I)
    if m:
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes > 59:
            return None
        sign = -1 if m.group(1) == "-" else 1
        return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    if key.upper() in ("UTC", "GMT", "Z"):
        return "UTC"
    try:
        zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    return key


def local_time_ms(
    ts_ms: np.ndarray, country: np.ndarray, groups: Groups | None = None
) -> np.ndarray:
    """Wall-clock time (as ms since the epoch) in each event's country.

    Parameters
    ----------
    ts_ms : event times, ms since the epoch, UTC.
    country : country code of each event, or a zone of its own (an IANA name
        or a UTC offset, see :func:`resolve_zone`); '' or unknown → UTC. With
        ``groups``, of each user instead (one entry per group), which spares a
        per-event array of strings.
    groups : the user of each event, when ``country`` is per user.

    Examples
    --------
    2019-03-02 12:00 UTC in IT (UTC+1 in March) → 13:00 local.
    """
    ts_ms = np.asarray(ts_ms, dtype=np.int64)
    out = ts_ms.copy()
    codes, names = pd.factorize(np.asarray(country, dtype=object))
    if groups is not None:
        codes = codes[groups.codes]
    for j, name in enumerate(names):
        tz = resolve_zone(str(name))
        if tz is None:
            continue
        mask = codes == j
        idx = pd.DatetimeIndex(ts_ms[mask].astype("datetime64[ms]"), tz="UTC")
        out[mask] = idx.tz_convert(tz).tz_localize(None).as_unit("ms").asi8
    return out


def hour_histogram(local_ms: np.ndarray, groups: Groups) -> np.ndarray:
    """Counts of each user's events per local hour of day, shape (users, 24)."""
    hour = np.floor_divide(np.mod(local_ms, DAY_MS), HOUR_MS)
    flat = np.bincount(groups.codes * 24 + hour, minlength=groups.n * 24)
    return flat.reshape(groups.n, 24).astype(np.float64)


def active_hours(
    ts_ms: np.ndarray,
    local_ms: np.ndarray,
    groups: Groups,
    hours: WindowRuns | None = None,
) -> tuple[np.ndarray, Groups]:
    """The local time of each user's first event in every clock hour (UTC) that
    holds one of its events, and the groups of those hours.

    A visit's dozen actions are one draw of a user's clock, not a dozen: read
    per event, one night's visit makes a night share as sure as a dozen nights
    would. Read per active hour, it counts once. ``ts_ms`` ascending within
    each group (as :func:`features.build.build_features` holds them);
    ``hours``: :func:`features.volume.window_runs` of the same events by
    hour, if at hand.

    Examples
    --------
    Events at 02:10, 02:50 and 14:00 UTC on one day → two active hours, at
    02:10 and 14:00.
    """
    first, _, hour_groups = hours or window_runs(ts_ms, groups, HOUR_MS)
    return np.asarray(local_ms)[first], hour_groups


def night_count(hist: np.ndarray, start_h: int = 0, end_h: int = 6) -> np.ndarray:
    """Number of a user's events in local hours [start_h, end_h)."""
    return hist[:, start_h:end_h].sum(axis=1)


def night_share(hist: np.ndarray, start_h: int = 0, end_h: int = 6) -> np.ndarray:
    """Share of a user's events in local hours [start_h, end_h) (NaN if none).

    Examples
    --------
    Events at 01:00, 03:00, 20:00, 21:00 → 0.5.
    """
    return divide(night_count(hist, start_h, end_h), hist.sum(axis=1))


def hour_entropy_bits(hist: np.ndarray) -> np.ndarray:
    """Entropy (bits) of the local hour-of-day distribution: 0 … log2 24 ≈ 4.585.

    A script running around the clock spreads evenly over the 24 hours; a person
    concentrates in a few. NaN for a user with no events.

    Examples
    --------
    Four events in four different hours → 2 bits.
    """
    total = hist.sum(axis=1, keepdims=True)
    p = divide(hist, total)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log2(p), 0.0)
    return np.where(total[:, 0] > 0, terms.sum(axis=1), np.nan)


def diurnal_r(local_ms: np.ndarray, groups: Groups) -> np.ndarray:
    """Rayleigh R of the local time of day (24 h period): 1 = always the same time.

    Examples
    --------
    Events at 06:00 and 18:00 → R = 0 (opposite phases).
    """
    return mean_resultant(np.mod(local_ms, DAY_MS) / DAY_MS, groups)


def unbiased_r2(r: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Unbiased estimate of the squared resultant length, (n·R² − 1)/(n − 1).

    R of n uniform phases is about 1/√n, so R itself grows as a user has fewer
    events; this estimate has expectation ρ² whatever n (0 for uniform phases)
    and may be negative. NaN for n < 2.

    Examples
    --------
    R = 0.5 from n = 5 events → (1.25 − 1)/4 = 0.0625.
    """
    r = np.asarray(r, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    return np.where(n >= 2, divide(n * r * r - 1.0, n - 1.0), np.nan)


def weekend_share(local_ms: np.ndarray, groups: Groups) -> np.ndarray:
    """Share of a user's events on a local Saturday or Sunday (NaN if none)."""
    weekday = (np.floor_divide(local_ms, DAY_MS) + 3) % 7  # 1970-01-01: Thursday
    return groups.mean((weekday >= 5).astype(np.float64))
