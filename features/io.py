"""Read the four marketplace logs into one tidy events table.

The input is a directory holding ``signup``, ``call``, ``message`` and ``search``
logs, each as ``.tsv``, ``.csv`` or ``.txt`` (plain, gzip, bzip2 or zstd; UTF-8,
UTF-16 with its byte-order mark, or latin-1), ``.parquet``, or JSON Lines
(``.jsonl``, ``.ndjson``, ``.json``; one object per line):

========  =========================================
signup    ``user_id``, ``country_code``, ``signup_ts``
call      ``user_id``, ``call_ts``
message   ``user_id``, ``message_ts``
search    ``user_id``, ``search_ts``
========  =========================================

Timestamps are parsed value by value, so one column may mix forms: epoch seconds,
milliseconds or microseconds (told apart by magnitude), ISO 8601 with ``Z`` or an
offset, ``YYYY-MM-DD HH:MM:SS[.fff]``, date-only and the rarer forms
:func:`parse_timestamps_ms` lists. Naive values are UTC. Every
value ends as integer milliseconds since the epoch (UTC).

Nothing is dropped silently: :class:`LoadReport` accounts for every row read as
kept, duplicate or bad (with reasons and the first line numbers of each).
"""

from __future__ import annotations

import codecs
import dataclasses
import json
import logging
import re
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

EVENT_TYPES: tuple[str, ...] = ("search", "call", "message")
LOGS: tuple[str, ...] = ("signup", *EVENT_TYPES)
REQUIRED_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "signup": ("user_id", "country_code", "signup_ts"),
    "search": ("user_id", "search_ts"),
    "call": ("user_id", "call_ts"),
    "message": ("user_id", "message_ts"),
}
#: Text logs: tab- or comma-separated (``.txt``: what spreadsheets save as
#: tab-separated "text"), or JSON Lines, one object per line.
TEXT_KINDS: tuple[str, ...] = (".tsv", ".csv", ".txt", ".jsonl", ".ndjson", ".json")
#: How a text log may be compressed (Arrow and Spark read each).
COMPRESSIONS: tuple[str, ...] = ("", ".gz", ".bz2", ".zst")
SUFFIXES: tuple[str, ...] = (
    *(kind + c for kind in TEXT_KINDS for c in COMPRESSIONS),
    ".parquet",
)
#: :data:`SUFFIXES` as an error message lists them.
SUFFIXES_TEXT = (
    ".tsv, .csv, .txt, .jsonl, .ndjson, .json (each plain, .gz, .bz2 or .zst) "
    "or .parquet"
)
#: Name endings of the JSON Lines logs among :data:`SUFFIXES`.
JSON_SUFFIXES: tuple[str, ...] = tuple(
    s for s in SUFFIXES if ".json" in s or ".ndjson" in s
)
#: The reason of a JSON Lines line that is not one JSON object.
NOT_JSON = "not a JSON object"
#: Bytes of JSON Lines read at a time (then cut after the last whole line).
JSON_BLOCK_BYTES = 1 << 26
#: Each log's file may be named in the plural too (``calls.tsv``).
PLURALS: Mapping[str, str] = {
    "signup": "signups",
    "search": "searches",
    "call": "calls",
    "message": "messages",
}

#: Earliest timestamp accepted (2000-01-01T00:00:00Z), in ms since the epoch.
MIN_TS_MS = 946_684_800_000
#: How many line numbers each reason keeps in the report.
MAX_EXAMPLES = 5

_NUMERIC = r"^[+-]?[0-9]+(\.[0-9]*)?$"
_INTEGER = r"^[+-]?[0-9]+$"
_ZONED = r"(Z|z|[+-][0-9]{2}:?[0-9]{2})$"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
#: A naive ISO date or time, which Arrow's cast takes whole.
_ISO_PLAIN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?$"
)
_SCIENTIFIC = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+$"
#: Other spellings of an ISO time, rewritten to ISO 8601 in turn (RE2 pattern,
#: replacement) for the values no form above takes.
_TO_ISO: tuple[tuple[str, str], ...] = (
    # slashes for dashes: 2019/03/19 12:53:20
    (r"^([0-9]{4})/([0-9]{2})/([0-9]{2})", r"\1-\2-\3"),
    # the basic format: 20190319T125320Z
    (
        r"^([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})",
        r"\1-\2-\3T\4:\5:\6",
    ),
    # a day first, with dots, as much of Europe writes it: 19.03.2019 12:53:20
    (r"^([0-9]{2})\.([0-9]{2})\.([0-9]{4})", r"\3-\2-\1"),
    # a comma before the fraction, as Java's logging writes it:
    # 2019-03-19 12:53:20,123
    (r"^([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}),", r"\1."),
    # the zone as a word, as SQL engines export: 2019-03-19 12:53:20.123 UTC
    (r"^([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+)\s*(?i:UTC|GMT|Z)$", r"\1+00:00"),
    # an offset, then the zone's abbreviation, as Go prints a time:
    # 2019-03-19 13:53:20.123456789 +0100 CET (m=+0.001: its monotonic clock)
    (
        r"^([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+)\s*([+-][0-9]{2}:?[0-9]{2})"
        r"\s+[A-Za-z]{1,6}(\s+m=[+-][0-9.]+)?$",
        r"\1\2",
    ),
    # an offset, then the zone's name in brackets, as Java prints a zoned time:
    # 2019-03-19T13:53:20.123+01:00[Europe/Paris]
    (
        r"^([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2}))"
        r"\[[A-Za-z0-9_/+-]+\]$",
        r"\1",
    ),
    # JavaScript's Date: Tue Mar 19 2019 13:53:20 GMT+0100 (Central European
    # Standard Time)
    (
        r"^([A-Za-z]{3} [A-Za-z]{3} [0-9]{1,2} [0-9]{4} [0-9:]+) (?:GMT|UTC)"
        r"([+-][0-9]{4})(\s+\(.*\))?$",
        r"\1 \2",
    ),
)
#: Zone abbreviations after a time of day, as Unix ``date`` and Java's
#: ``Date.toString()`` print a local time (Tue Mar 19 13:53:20 PDT 2019) and
#: e-mail may (RFC 2822 names the US ones) → the offset read. Most name one
#: offset in the zone database; those that name more are read in their
#: North American meaning, so that a log keeps its winter and its summer
#: alike, and the load report says so (:data:`ABBREVIATIONS_ALSO`). IST
#: (India, Ireland, Israel) and AST (the Atlantic, Arabia) name no zone most
#: exports mean, and stay bad rows. UTC and GMT are read elsewhere.
ZONE_ABBREVIATIONS: dict[str, str] = {
    # North America
    "EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
    "MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
    "AKST": "-0900", "AKDT": "-0800", "HST": "-1000", "NST": "-0330",
    "NDT": "-0230",
    # Europe
    "WET": "+0000", "WEST": "+0100", "BST": "+0100", "CET": "+0100",
    "CEST": "+0200", "EET": "+0200", "EEST": "+0300", "MSK": "+0300",
    # elsewhere
    "SAST": "+0200", "PKT": "+0500", "WIB": "+0700", "HKT": "+0800",
    "AWST": "+0800", "JST": "+0900", "KST": "+0900", "ACST": "+0930",
    "ACDT": "+1030", "AEST": "+1000", "AEDT": "+1100", "NZST": "+1200",
    "NZDT": "+1300",
}  # fmt: skip
#: What the abbreviations read in one meaning mean elsewhere.
ABBREVIATIONS_ALSO: dict[str, str] = {
    "CST": "China's +0800 and Cuba's -0500",
    "CDT": "Cuba's -0400",
    "PST": "the Philippines' +0800",
}
#: A time of day, then a zone abbreviation, then perhaps the year (Unix date):
#: a search from the value's end, which is fast where ``^.*`` is not.
_TIME_OF_DAY = r"[0-9]:[0-9]{2}(?:[.,][0-9]+)?"
_ABBREVIATED = _TIME_OF_DAY + r"\s+(?P<zone>[A-Z]{3,4})(?:\s+[0-9]{4})?$"
_ABBREVIATION_KEYS = pa.array(list(ZONE_ABBREVIATIONS))


#: A day and a month both in numbers, then a year of four digits or two
#: (03/04/2019, 3-4-2019 13:53, 3/4/19 13:53 as spreadsheets export): 3 April
#: in one country and 4 March in another, so such a value is read only in an
#: order told for its log (:func:`date_orders`).
_AND_YEAR = r"[/-]([0-9]{4}|[0-9]{2})([^0-9]|$)"
NUMERIC_DATE = r"^\s*([0-9]{1,2})[/-]([0-9]{1,2})" + _AND_YEAR
#: :data:`NUMERIC_DATE` with a number above 12 first (so the day is first),
#: and second (the month is).
_DAY_FIRST = r"^\s*(1[3-9]|[2-9][0-9])[/-][0-9]{1,2}" + _AND_YEAR
_MONTH_FIRST = r"^\s*[0-9]{1,2}[/-](1[3-9]|[2-9][0-9])" + _AND_YEAR
#: The orders a numeric date may be read in: the day first, or the month.
DATE_ORDERS: tuple[str, ...] = ("dmy", "mdy")
#: A trimmed numeric date in its parts, with what follows the date (a time).
_NUMERIC_DATE_PARTS = (
    r"^(?P<first>[0-9]{1,2})[/-](?P<second>[0-9]{1,2})[/-]"
    r"(?P<year>[0-9]{4}|[0-9]{2})(?P<rest>|[^0-9].*)$"
)
#: What stands between a numeric date's numbers.
_DATE_SEPARATORS = pa.array([b"/", b"-"])
#: The zone words that end a value :data:`_TO_ISO` rewrites.
_ZONE_WORDS = pa.array([b"UTC", b"GMT", b"utc", b"gmt"])
#: Other forms, tried in turn on what is left once a zone word (UTC, GMT) is
#: made an offset. Dots put the day first wherever they are used; a day and a
#: month in numbers with slashes (:data:`NUMERIC_DATE`) are first rewritten
#: in their log's order.
_TWELVE_HOURS = ("%Y-%m-%d %I:%M:%S %p", "%Y-%m-%d %I:%M %p")  # 1:53:20 PM
_STRPTIME_FORMATS: tuple[str, ...] = (
    "%d/%b/%Y:%H:%M:%S %z",  # web server logs: 19/Mar/2019:12:53:20 +0000
    "%a, %d %b %Y %H:%M:%S %z",  # e-mail and HTTP: Tue, 19 Mar 2019 12:53:20 GMT
    "%d %b %Y %H:%M:%S %z",
    "%b %d, %Y %H:%M:%S",  # Mar 19, 2019 12:53:20
    "%b %d %Y %H:%M:%S",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y",
    "%b %d, %Y",
    "%a %b %d %H:%M:%S %z %Y",  # Unix date, Java: Tue Mar 19 12:53:20 UTC 2019
    "%a %b %d %H:%M:%S %Y",  # C's asctime: Tue Mar 19 12:53:20 2019
    "%a %b %d %Y %H:%M:%S %z",  # JavaScript's, once rewritten
    "%Y-%m-%d %H:%M:%S",  # numbers not padded: 2019-3-9 2:53:20
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    *_TWELVE_HOURS,
    "%d.%m.%Y %H:%M:%S",  # 9.3.2019 2:53:20
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d.%m.%y %H:%M:%S",  # and a year of two digits: 19.03.19 12:53
    "%d.%m.%y %H:%M",
    "%d.%m.%y",
    "%d-%b-%Y %H:%M:%S",  # spreadsheets, Oracle: 19-Mar-2019 12:53:20
    "%d-%b-%Y %H:%M",
    "%d-%b-%Y",
    "%d-%b-%y %H:%M:%S",  # Oracle's DD-MON-RR: 19-MAR-19
    "%d-%b-%y %I.%M.%S %p",  # its timestamps: 19-MAR-19 12.53.20.123000 PM
    "%d-%b-%y",
    "%b %d %Y %I:%M%p",  # SQL Server's default: Mar 19 2019 12:53PM
    "%b %d %Y %I:%M:%S%p",  # and its style 109: Mar 19 2019 12:53:20:123PM
    "%b %d, %Y %I:%M:%S %p",  # a month's name and a 12-hour clock
    "%b %d, %Y %I:%M %p",  # (%b takes the whole name too: March 19, 2019 …)
    "%A, %b %d, %Y %I:%M:%S %p",  # .NET: Tuesday, March 19, 2019 12:53:20 PM
    "%A, %b %d, %Y %I:%M %p",  # and without seconds: … 2019 12:53 PM
    "%d %b %Y %H:%M",  # 19 March 2019 12:53
    "%Y%m%d %H:%M:%S",  # the date's digits together: 20190319 12:53:20
    "%Y.%m.%d %H:%M:%S",  # the year first with dots: 2019.03.19 12:53:20
    "%Y.%m.%d",
)


class LoadError(ValueError):
    """A log cannot be read at all (missing file or column, empty directory)."""


class BadRowError(ValueError):
    """Raised in ``strict`` mode on the first row that cannot be used."""


@dataclasses.dataclass
class FileReport:
    """What happened to the rows of one log file.

    ``rows_read == rows_kept + duplicates + bad_rows`` always holds.
    """

    path: str
    rows_read: int = 0
    rows_kept: int = 0
    duplicates: int = 0
    bad_rows: int = 0
    #: reason -> number of rows excluded for it
    bad_reasons: dict[str, int] = dataclasses.field(default_factory=dict)
    #: reason -> the first line numbers (1 = header line) with that reason
    #: (``part-00001.csv:17`` in a log written as a folder of parts)
    bad_lines: dict[str, list[int | str]] = dataclasses.field(default_factory=dict)
    #: reason -> the first value it excluded, as written (up to 40 characters),
    #: for the reasons about one value
    bad_values: dict[str, str] = dataclasses.field(default_factory=dict)
    #: how numeric dates (03/04/2019) were read: "dmy", "mdy"; or why they
    #: were not (:meth:`DateOrders.why_not`); "" if the log has none
    date_order: str = ""
    #: whether the log's clock tells events apart to the ms (:func:`ms_clock`),
    #: so that a row repeating a user's time is an export's duplicate; None
    #: before a time is read (and for the signup log)
    ms_clock: bool | None = None
    #: rows that repeat a time of their user in a log whose clock is whole
    #: seconds or coarser, kept as events (two can share one tick)
    repeated_times: int = 0
    #: whether the log is written in dates (:func:`keeps_dates`); if not, a
    #: date alone is a bad row; None before a time is read (and for signups)
    dates: bool | None = None
    #: the zone abbreviations (PDT) among the log's first times, each with
    #: the offset it was read as (:data:`ZONE_ABBREVIATIONS`); None before a
    #: time is read
    zone_abbreviations: dict[str, str] | None = None
    #: a field of every time that holds one value (:func:`frozen_clock`):
    #: [field, value, coarser units spanned], or None
    frozen: list | None = None

    def hint(self, value: str | None) -> str:
        """What the user can do about a bad ``value``, or "" (a numeric date
        whose order could not be told)."""
        if value is None or not re.match(NUMERIC_DATE, value):
            return ""
        why = {
            "mixed": "numbers above 12 stand first in some of this log's dates "
            "and second in others",
            "stray": "no log begins with dates so written, so these are taken "
            "for errors",
            "disagree": "no number above 12 in this log's dates tells whether "
            "the day or the month comes first, and the other logs' tell both",
            "unclear": "no number above 12 in any log's dates tells whether the "
            "day or the month comes first",
        }.get(self.date_order)
        if why is None:
            return ""
        return f"{why}: give the order with --date-order dmy or mdy"

    def reason_line(self, reason: str) -> str:
        """One reason's count, first lines and first value, in words."""
        first = ", ".join(str(n) for n in self.bad_lines.get(reason, []))
        line = f"{self.bad_reasons[reason]:,} x {reason} (first lines: {first}"
        value = self.bad_values.get(reason)
        if value is not None:
            line += f"; the first: {value!r}"
        line += f") in {self.path}"
        if hint := self.hint(value):
            line += f"; {hint}"
        return line


@dataclasses.dataclass
class LoadReport:
    """Accounting of a whole data directory, as logged by ``train.py``."""

    files: dict[str, FileReport] = dataclasses.field(default_factory=dict)
    missing_logs: list[str] = dataclasses.field(default_factory=list)
    users_without_signup: int = 0
    repeat_signups: int = 0
    #: "marketplace" (the four logs) or "access_log"
    source: str = "marketplace"
    #: signup country codes with no time zone (read in UTC) → users
    unknown_countries: dict[str, int] = dataclasses.field(default_factory=dict)
    #: values of the signup log's time_zone column that name no zone → users
    unknown_zones: dict[str, int] = dataclasses.field(default_factory=dict)
    #: files of a folder of access logs that are none (not read)
    not_read: list[str] = dataclasses.field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files.values())

    @property
    def rows_kept(self) -> int:
        return sum(f.rows_kept for f in self.files.values())

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files.values())

    @property
    def bad_rows(self) -> int:
        return sum(f.bad_rows for f in self.files.values())

    def to_dict(self) -> dict:
        """A JSON-ready dict with the totals and the per-file details."""
        return {
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "duplicates": self.duplicates,
            "bad_rows": self.bad_rows,
            "users_without_signup": self.users_without_signup,
            "repeat_signups": self.repeat_signups,
            "missing_logs": list(self.missing_logs),
            "source": self.source,
            "unknown_countries": dict(self.unknown_countries),
            "unknown_zones": dict(self.unknown_zones),
            "not_read": list(self.not_read),
            "files": {k: dataclasses.asdict(v) for k, v in self.files.items()},
        }

    def summary_lines(self) -> list[str]:
        """Human-readable lines, one per file plus the cross-file facts."""
        lines = []
        for name, f in self.files.items():
            line = (
                f"{name}: {f.rows_read:,} rows read, {f.rows_kept:,} kept, "
                f"{f.duplicates:,} duplicates, {f.bad_rows:,} bad"
            )
            for reason in f.bad_reasons:
                line += f"\n    {f.reason_line(reason)}"
            if f.repeated_times:
                line += (
                    f"\n    {f.repeated_times:,} rows repeat a time of their user, "
                    "kept as events: the log's times are whole seconds or coarser, "
                    "so two events can share one"
                )
            if f.zone_abbreviations:
                line += "\n    " + abbreviations_line(f.zone_abbreviations)
            if f.frozen:
                line += "\n    " + frozen_line(*f.frozen)
            if f.date_order in DATE_ORDERS:
                first, example = {
                    "dmy": ("day", "3 April"),
                    "mdy": ("month", "4 March"),
                }[f.date_order]
                line += (
                    f"\n    numeric dates read with the {first} first "
                    f"(03/04/2019 is {example})"
                )
            lines.append(line)
        for name in self.missing_logs:
            lines.append(f"{name}: no file, treated as an empty stream")
        if self.not_read:
            lines.append(f"not read, no access log: {', '.join(self.not_read)}")
        if self.users_without_signup:
            lines.append(
                f"{self.users_without_signup:,} users have events but no signup"
            )
        if self.repeat_signups:
            lines.append(f"{self.repeat_signups:,} users signed up more than once")
        if self.unknown_countries:
            codes = ", ".join(
                f"{code or '(empty)'}: {n:,}"
                for code, n in sorted(
                    self.unknown_countries.items(), key=lambda kv: -kv[1]
                )[:8]
            )
            lines.append(
                f"{sum(self.unknown_countries.values()):,} users have a country code "
                f"with no time zone, read in UTC ({codes})"
            )
        if self.unknown_zones:
            zones = ", ".join(sorted(self.unknown_zones)[:8])
            lines.append(
                f"{sum(self.unknown_zones.values()):,} users have a time_zone that "
                f"names no zone, read in UTC ({zones})"
            )
        late = sum(
            n
            for f in self.files.values()
            for reason, n in f.bad_reasons.items()
            if reason.endswith(" after now")
        )
        if late and late >= self.rows_read / 2:
            lines.append(
                f"{late:,} of {self.rows_read:,} rows are after now: if the logs' "
                "clock runs ahead of this machine's, give the present with --now"
            )
        return lines


@dataclasses.dataclass
class Logs:
    """The cleaned input.

    Attributes
    ----------
    events : DataFrame
        ``user_id`` (int64), ``event`` (category of search/call/message),
        ``ts_ms`` (int64, ms since epoch UTC), sorted by user then time.
    signups : DataFrame
        ``user_id`` (int64, unique), ``country_code`` (str), ``signup_ms`` (int64):
        the earliest signup of each user.
    report : LoadReport
    user_names : ndarray of object, optional
        When user ids are strings (an access log's clients, string ids in the
        logs): ``user_id`` holds 0, 1, … in the sorted order of the names and
        ``user_names[user_id]`` is the id as written. None for integer ids.
    user_info : DataFrame, optional
        Per-user columns shown beside the scores (row ``i`` = user ``i``), such
        as an access log client's most frequent user agent.
    """

    events: pd.DataFrame
    signups: pd.DataFrame
    report: LoadReport
    user_names: np.ndarray | None = None
    user_info: pd.DataFrame | None = None


def log_file_names(name: str) -> list[str]:
    """The file names log ``name`` may have: ``name`` or its plural
    (``search.tsv``, ``searches.csv.gz``, …) with each of :data:`SUFFIXES`."""
    return [f"{stem}{s}" for stem in (name, PLURALS[name]) for s in SUFFIXES]


def find_log(directory: Path, name: str) -> Path | None:
    """Return the file holding log ``name`` in ``directory``, the folder of
    its parts (``call/``, ``calls/`` or ``call.parquet/``, as Spark and data
    warehouses write a large table: see :func:`log_parts`), or a glob pattern
    of its numbered shards beside it (``call-*.csv.gz``); or None."""
    names = [*log_file_names(name), name, PLURALS[name]]
    hits = [
        directory / f
        for f in names
        if (directory / f).is_file() or log_parts(directory / f)
    ]
    if directory.is_dir():
        files = [f.name for f in directory.iterdir() if f.is_file()]
        hits += [directory / g for g in shard_patterns(files, name)]
    if len(hits) > 1:
        raise LoadError(
            f"{directory}: more than one file for the {name} log: "
            + ", ".join(p.name for p in hits)
        )
    return hits[0] if hits else None


def shard_patterns(file_names: list[str], name: str) -> list[str]:
    """Glob patterns (``call-*.csv.gz``) of log ``name`` exported in numbered
    shards beside the other logs, as BigQuery names them
    (``call-000000000000.csv.gz``) or Redshift (``call_0000_part_00``, with
    no ending but a compression's, separated by ``|``): among ``file_names``
    (a folder's files), those of the log's name, ``-`` or ``_``, a digit,
    anything but a dot, one of :data:`SUFFIXES` or a bare compression. One
    pattern per form."""
    forms = set()
    for f in file_names:
        m = re.match(rf"^({name}|{PLURALS[name]})([-_])[0-9]", f)
        if not m:
            continue
        if f.endswith(SUFFIXES):
            suffix = max((x for x in SUFFIXES if f.endswith(x)), key=len)
        elif bare := re.fullmatch(r"[0-9A-Za-z_-]+(\.gz|\.bz2|\.zst)?", f):
            suffix = bare.group(1) or ""  # Redshift's: no ending but compression
        else:
            continue
        forms.add(f"{m.group(1)}{m.group(2)}*{suffix}")
    return sorted(forms)


def log_parts(folder: Path) -> list[Path]:
    """The part files of a log written as a folder: every file below it whose
    name ends in one of :data:`SUFFIXES`, in path order (Hive-style
    ``day=2019-03-01/`` folders included); names starting with ``_`` or ``.``
    (``_SUCCESS``, checksums) are not parts. For a pattern of shards
    (``call-*.csv.gz``, see :func:`find_log`), the shards it names. Empty when
    ``folder`` is neither."""
    if "*" in folder.name:
        shard = shard_regex(folder.name)
        return sorted(
            f
            for f in folder.parent.iterdir()
            if f.is_file() and re.fullmatch(shard, f.name)
        )
    if not folder.is_dir():
        return []
    return sorted(
        f
        for f in folder.rglob("*")
        if f.is_file() and is_log_part(f.relative_to(folder).as_posix())
    )


def shard_regex(pattern: str) -> str:
    """The regular expression of the file names a shard pattern of
    :func:`shard_patterns` (``call-*.csv.gz``) takes: its ``*`` a digit, then
    anything but a dot."""
    return re.escape(pattern).replace(r"\*", "[0-9][^.]*")


def is_log_part(relative: str) -> bool:
    """Whether a file at ``relative`` (a ``/``-separated path below a log's
    folder) is one of its parts: its name ends in one of :data:`SUFFIXES`, and
    no folder or name on the way starts with ``_`` or ``.`` (``_SUCCESS``,
    checksums, ``_temporary/``)."""
    return relative.endswith(SUFFIXES) and not any(
        part.startswith(("_", ".")) for part in relative.split("/")
    )


def iter_batches(
    path: Path,
    columns: tuple[str, ...],
    positional: tuple[str, ...] = (),
    block_bytes: int = 1 << 26,
    encoding: str | None = None,
):
    """Stream one log file as record batches of its ``columns``, all strings
    (parquet keeps its types and is read column-wise).

    Yields ``(batch, skipped)`` where ``skipped`` is the growing, sorted list of
    the line numbers (1 = header) of rows with the wrong number of fields, which
    the reader skipped; every row read is either in a batch or in that list.
    Memory stays one batch (``block_bytes`` of text, 64 MB) however large the
    file.
    A text file without a header line (:func:`is_header_line`) has the
    ``positional`` columns, in that order (trailing ones may be absent).
    ``encoding`` spares a text file the pass over every byte that tells
    UTF-8 from latin-1.
    """
    skipped: list[int] = []
    if is_json_lines(path.name):
        yield from _json_batches(path, columns, skipped, block_bytes)
        return
    if path.name.endswith(".parquet"):
        pf = pq.ParquetFile(path)
        names = pf.schema_arrow.names
        wanted = [names[i] for i in column_index(path, names, columns)]
        for batch in pf.iter_batches(batch_size=1 << 20, columns=wanted):
            yield batch.rename_columns(list(columns)), skipped
        return
    told = encoding is not None
    encoding = encoding or _encoding(path)
    line = _first_line(path, encoding)
    delimiter = sniff_delimiter(path.name, line)
    if encoding == "latin-1" and not told:
        # Bytes that are not UTF-8: read each byte as one character; such values
        # then fail to parse and are reported as bad rows, never dropped unseen.
        log.warning("%s: not valid UTF-8; undecodable values become bad rows", path)

    def skip(row: pacsv.InvalidRow) -> str:
        skipped.append(row.number if row.number is not None else -1)
        return "skip"

    header = line.split(delimiter)
    names = None  # the header line's
    if not is_header_line(header):
        names = positional_names(path, len(header), positional, len(columns))
        header = names
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                use_threads=False,
                block_size=block_bytes,
                encoding=encoding,
                column_names=names,
            ),
            # blank lines are rows too, so the report's line numbers stay the
            # file's; every column as strings: inferred types would fail the whole
            # file on the first malformed value past the inference block
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, invalid_row_handler=skip, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            raise LoadError(
                f"{path}: the file is empty (expected a header line)"
            ) from exc
        raise LoadError(f"{path}: cannot be read as a table: {exc}") from exc
    index = column_index(path, reader.schema.names, columns)
    try:
        for batch in reader:
            cols = [pc.cast(batch.column(k), pa.string()) for k in index]
            yield pa.RecordBatch.from_arrays(cols, names=list(columns)), skipped
    except pa.ArrowInvalid as exc:
        raise LoadError(f"{path}: cannot be read as a table: {exc}") from exc


def column_index(
    path: Path | str, names: list[str], columns: tuple[str, ...]
) -> list[int]:
    """Where each of ``columns`` is among a file's column ``names``: the name
    as written, else the one name equal to it in any case and with or without
    the separators between its words (exports write ``USER_ID``, ``userId``
    or ``User ID``), spaces around it and a byte-order mark ignored. A
    :class:`LoadError` naming the file when one is missing, or written in two
    ways and neither as asked."""
    clean = _clean_names(names)
    folded = [_fold(n) for n in clean]
    index, missing = [], []
    for c in columns:
        hits = [i for i, n in enumerate(folded) if n == _fold(c)]
        if c in clean:
            index.append(clean.index(c))
        elif len(hits) == 1:
            index.append(hits[0])
        elif hits:
            raise LoadError(
                f"{path}: column {c} is there {len(hits)} times, written "
                f"differently ({', '.join(clean[i] for i in hits)}): keep one"
            )
        else:
            missing.append(c)
    if missing:
        raise LoadError(
            f"{path}: missing column(s) {', '.join(missing)}; this log needs "
            f"{', '.join(columns)} (found: {', '.join(clean)})"
        )
    return index


def has_column(names: list[str], column: str) -> bool:
    """Whether an optional ``column`` is among ``names`` (written as
    :func:`column_index` finds it)."""
    return _fold(column) in {_fold(n) for n in _clean_names(names)}


def _clean_names(names: list[str]) -> list[str]:
    """Column names without the spaces around them or a byte-order mark."""
    return [n.strip().lstrip("\ufeff") for n in names]


def _fold(name: str) -> str:
    """A column name in lower case without quotes or the separators between
    its words: ``User ID``, ``user-id`` and ``userId`` are all ``userid``."""
    return re.sub(r"[\s_.\-\"]", "", name.lower())


def is_json_lines(name: str) -> bool:
    """Whether a log file of this name holds JSON Lines."""
    return name.endswith(JSON_SUFFIXES)


def row_layout(path: Path) -> tuple[int, str]:
    """The line of a log file's first row (2 below a header line; 1 in JSON
    Lines and in a text file without a header) and the reason of a line its
    reader skips."""
    if is_json_lines(path.name):
        return 1, NOT_JSON
    if not path.name.endswith(".parquet") and not is_header_line(_head_fields(path)):
        return 1, "wrong number of fields"
    return 2, "wrong number of fields"


def _line_numbers(rows: np.ndarray, skipped: list[int], first: int = 2) -> np.ndarray:
    """File line numbers of reader rows ``rows`` (0-based among the rows the
    reader kept), given the sorted line numbers it ``skipped`` and the line
    of the first row (``first``: 2 below a header)."""
    rows = np.asarray(rows, dtype=np.int64)
    lines = rows + first
    if not skipped:
        return lines
    s = np.asarray(skipped, dtype=np.int64)
    while True:  # a line moves down by the skipped lines at or before it
        moved = rows + first + np.searchsorted(s, lines, side="right")
        if np.array_equal(moved, lines):
            return lines
        lines = moved


def _json_keys(path: Path) -> list[str]:
    """A JSON Lines log's column names: the keys of its objects in the first
    MB (an exporter leaves out a key whose value is null), in order of first
    appearance."""
    with pa.input_stream(str(path), compression="detect") as stream:
        head = stream.read(1 << 20)
    text = head.decode("utf8", errors="replace").lstrip("\ufeff")
    lines = [x for x in text.splitlines() if x.strip()]
    if len(head) == 1 << 20 and len(lines) > 1:
        lines.pop()  # cut short by the read
    keys: dict[str, None] = {}
    for k, line in enumerate(lines):
        try:
            obj = json.loads(line)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            keys |= dict.fromkeys(obj)
        elif k == 0:
            kind = "a JSON array" if line.lstrip().startswith("[") else "no JSON object"
            raise LoadError(
                f"{path}: the first line is {kind}; a .json log holds one object "
                "per line (JSON Lines), as data warehouses export it"
            )
    if not keys and text.strip():
        raise LoadError(f"{path}: no JSON object in its first MB")
    return list(keys)  # none in an empty file: an empty log


def _json_batches(
    path: Path,
    columns: tuple[str, ...],
    skipped: list[int],
    block_bytes: int = JSON_BLOCK_BYTES,
):
    """:func:`iter_batches` for JSON Lines: the values of ``columns`` (found
    among the first object's keys) as strings, a batch per block of about
    ``block_bytes`` of whole lines. Blank lines are rows of empty values; a
    line that is not one JSON object joins ``skipped``."""
    keys = _json_keys(path)
    if not keys:
        return
    wanted = [keys[i] for i in column_index(path, keys, columns)]
    line = 1  # of the block's first line
    rest = b""
    with pa.input_stream(str(path), compression="detect") as stream:
        while True:
            block = stream.read(block_bytes)
            data = rest + block
            cut = data.rfind(b"\n") + 1 if block else len(data)
            data, rest = data[:cut], data[cut:]
            if data:
                values, bad = _json_block(data, wanted, first=line == 1)
                skipped.extend((line + bad).tolist())
                line += data.count(b"\n") + (not data.endswith(b"\n"))
                batch = pa.RecordBatch.from_arrays(values, names=list(columns))
                yield batch, skipped
            if not block:
                return


def _json_block(
    data: bytes, keys: list[str], first: bool
) -> tuple[list[pa.Array], np.ndarray]:
    """Whole JSON Lines ``data`` → the values of ``keys`` as strings ("" where
    missing or null) and the 0-based lines that are no JSON object. Arrow
    parses a block of clean lines; a block with a bad or blank line, or with
    a key whose type changes, is read line by line."""
    if first:
        data = data.removeprefix(codecs.BOM_UTF8)
    n_lines = data.count(b"\n") + (not data.endswith(b"\n"))
    blank = b"\n\n" in data or b"\n\r\n" in data or data.startswith((b"\n", b"\r\n"))

    # (a line of spaces Arrow skips: the count below tells); a key whose
    # values are numbers on some lines and strings on others fails Arrow's
    # types: then its numbers are quoted, as written, and Arrow tries again
    # (quoted only then: the rewrite is a pass over the whole block)
    def attempts():
        if not blank:
            yield data
            yield _quote_numbers(data, keys)

    for attempt in attempts():
        try:
            table = pajson.read_json(pa.BufferReader(attempt))
            if table.num_rows == n_lines:
                return [_json_text(table, k) for k in keys], np.zeros(0, np.int64)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            continue
        break
    lines = data.split(b"\n")[:n_lines]
    rows, bad = [], []
    for i, raw in enumerate(lines):  # the slow path, for the rare bad block
        if not raw.strip():
            rows.append([""] * len(keys))
            continue
        try:
            obj = json.loads(raw)
        except ValueError:
            obj = None
        if not isinstance(obj, dict):
            bad.append(i)
            continue
        rows.append([_json_value(obj.get(k)) for k in keys])
    values = [pa.array([r[j] for r in rows], pa.string()) for j in range(len(keys))]
    return values, np.asarray(bad, dtype=np.int64)


def _quote_numbers(data: bytes, keys: list[str]) -> bytes:
    """JSON Lines ``data`` with every number that is the value of one of
    ``keys`` written as a string of the same characters (``7`` → ``"7"``)."""
    names = b"|".join(re.escape(json.dumps(key).encode()) for key in keys)
    value = rb"((?:" + names + rb")\s*:\s*)(-?[0-9][0-9.eE+-]*)"
    return re.sub(value, rb'\1"\2"', data)


def _json_text(table: pa.Table, key: str) -> pa.Array:
    """A column Arrow read from JSON, as strings ("" where null or missing)."""
    if key not in table.column_names:
        return pa.array([""] * table.num_rows, pa.string())
    column = table.column(key).combine_chunks()
    if pa.types.is_nested(column.type):
        raise pa.ArrowInvalid(f"{key} holds objects or lists")
    # numbers in their shortest form: 3.0 → "3", 1553000000123.0 → "1.553000000123e+12"
    return pc.fill_null(pc.cast(column, pa.string()), "")


def _json_value(value) -> str:
    """One JSON value as the text a log's column holds ("" for null)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _encoding(path: Path) -> str:
    """How a text log is encoded: UTF-16 when it starts with that byte-order
    mark (what Windows tools write as "Unicode"), else UTF-8 when every byte
    decodes so, else latin-1."""
    return _bom_encoding(path) or ("utf8" if _is_utf8(path) else "latin-1")


def _bom_encoding(path: Path) -> str | None:
    """ "utf-16" for a text log that starts with that byte-order mark, else None."""
    with pa.input_stream(str(path), compression="detect") as stream:
        head = stream.read(2)
    return "utf-16" if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else None


def _head_fields(path: Path) -> list[str]:
    """A text log's first line, split into its fields. Only a byte-order mark
    is looked for: column names and times are ASCII, and the whole-file UTF-8
    check (a pass over every byte) is left to the reader, which needs it."""
    line = _first_line(path, _bom_encoding(path) or "utf8")
    return line.split(sniff_delimiter(path.name, line))


def _is_utf8(path: Path, chunk: int = 1 << 24) -> bool:
    """Whether the (possibly compressed) file decodes as UTF-8, read in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with pa.input_stream(str(path), compression="detect") as stream:
        while True:
            block = stream.read(chunk)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError:
                return False
            if not block:
                return True


def _first_line(path: Path, encoding: str) -> str:
    """The first line of a (possibly compressed) text file, without a UTF-8
    byte-order mark (Arrow drops it from the first name: so must we, or the
    first column's type would not be forced to string)."""
    with pa.input_stream(str(path), compression="detect") as stream:
        head = stream.read(1 << 16)
    text = head.decode(encoding, errors="replace")
    return text.split("\n", 1)[0].rstrip("\r").lstrip("\ufeff")


#: Field separators a text log may use, after the one its name suggests (a tab
#: for ``.tsv`` and ``.txt``, a comma for ``.csv``): spreadsheets in much of
#: Europe write ``;``, some exports ``|``.
DELIMITERS: tuple[str, ...] = ("\t", ",", ";", "|")


def sniff_delimiter(name: str, header: str) -> str:
    """The separator of a text log whose file is called ``name`` and whose
    first line is ``header``: the one its name suggests, unless another splits
    the header into names with ``user_id`` among them (in any case) and that
    one does not. A first line that is a row (no header line) is split by the
    first separator that gives fields with a time among them. A line none of
    them splits so is left to the column check, which names what it found.

    Examples
    --------
    ``calls.csv`` with ``user_id;call_ts`` → ``;``; ``calls.csv`` with
    ``user_id,call_ts`` → ``,``; ``calls.csv`` with ``7;1553000000`` → ``;``.
    """
    usual = "\t" if ".tsv" in name or ".txt" in name else ","
    order = (usual, *DELIMITERS)

    def has_id(sep: str) -> bool:
        return any(_fold(f) == "userid" for f in header.split(sep))

    def is_row(sep: str) -> bool:
        fields = header.split(sep)
        return len(fields) > 1 and not is_header_line(fields)

    for found in (has_id, is_row):
        for sep in order:
            if found(sep):
                return sep
    return usual


def parse_timestamps_ms(
    values: pa.Array | pa.ChunkedArray | np.ndarray, date_order: str | None = None
) -> np.ndarray:
    """Parse mixed timestamp strings (or numbers) to ms since the epoch, UTC.

    Parameters
    ----------
    values
        One column of raw values. Strings may mix every supported form.
    date_order
        How a day and a month both written in numbers (03/04/2019) are read:
        ``"dmy"`` (the day first), ``"mdy"`` (the month first), or None (not
        at all: NaN). :func:`date_orders` tells it for a log.

    Returns
    -------
    ndarray of float64
        Milliseconds since 1970-01-01T00:00:00Z, floored to whole ms; NaN where a
        value cannot be parsed.

    Notes
    -----
    A bare number is an epoch time whose unit is told by magnitude: below 1e11 it
    is seconds (until year 5138), below 1e14 milliseconds, below 1e17
    microseconds; larger is nanoseconds (scientific notation too: 1.5e12). ISO
    strings with ``Z``, an offset or a zone word (``UTC``, ``GMT``) are converted
    to UTC; naive ISO strings and dates are taken as UTC. Slashes for dashes
    (2019/03/19), the basic format (20190319T125320Z), a comma before the
    fraction (2019-03-19 12:53:20,123), numbers not padded (2019-3-9 2:53:20),
    the day first with dots (19.03.2019), month names (web server logs'
    19/Mar/2019:12:53:20 +0000, e-mail's Tue, 19 Mar 2019 12:53:20 GMT (or
    -0700 (PDT)), Mar 19, 2019 12:53:20, Unix date's Tue Mar 19 12:53:20 UTC
    2019 (or PDT, CET and the other abbreviations of
    :data:`ZONE_ABBREVIATIONS`), Oracle's
    19-MAR-19, SQL Server's Mar 19 2019 12:53PM), the date's digits together
    (20190319 12:53:20; 20190319 alone, a date key) and times as Go,
    Java and JavaScript print them (an offset with the zone's name beside it)
    are read too, and a 12-hour clock (1:53:20 PM); a day and month both in
    numbers (03/04/2019, 3-4-2019) only in ``date_order``. A day its month
    does not have (2019-02-30) is NaN.
    """
    _check_date_order(date_order)
    return _parse_times(values, lambda: date_order)[0]


def _parse_times(
    values: pa.Array | pa.ChunkedArray | np.ndarray,
    order_of: Callable[[], str | None],
) -> tuple[np.ndarray, bool]:
    """:func:`parse_timestamps_ms`, asking ``order_of()`` for the order of
    numeric dates only when a value is one; and whether one was."""
    arr = (
        values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values)
    )
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    out = np.full(n, np.nan)
    if pa.types.is_timestamp(arr.type):
        ms = pc.cast(arr, pa.timestamp("ms", tz=arr.type.tz), safe=False)
        vals = (
            ms.to_numpy(zero_copy_only=False).astype("datetime64[ms]").astype(np.int64)
        )
        out[:] = np.where(pc.is_valid(arr).to_numpy(zero_copy_only=False), vals, np.nan)
        return out, False
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        nums = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        return _epoch_to_ms(nums), False
    text = pc.fill_null(pc.cast(arr, pa.string()), "")
    fast = _uniform_column(text)  # untrimmed: a clean export needs no trimming
    if fast is not None:
        return fast, False
    text = pc.utf8_trim_whitespace(text)
    numeric = pc.match_substring_regex(text, _NUMERIC).to_numpy(zero_copy_only=False)
    spelled = _spelled_otherwise(text)
    isoish = (
        pc.match_substring_regex(text, _ISO_DATE).to_numpy(zero_copy_only=False)
        & ~spelled
    )
    if numeric.any():
        idx = np.flatnonzero(numeric)
        nums = pc.cast(text.take(pa.array(idx)), pa.float64()).to_numpy(
            zero_copy_only=False
        )
        out[idx] = _epoch_to_ms(nums)
    _fill_iso(out, text, isoish)
    empty = pc.equal(text, "").to_numpy(zero_copy_only=False)
    # ISO-looking values the cast refused get the other forms' chance too
    # (2019-03-19 12:53:20 Utc, 2019-3-9 2:53:20)
    left = np.flatnonzero(np.isnan(out) & ~numeric & ~empty)
    if not left.size:
        return out, False
    rest = text.take(pa.array(left))
    dated = _is_numeric_date(rest)
    if dated.any():  # read in their order, or left NaN: no other form takes them
        date_order = order_of()
        if date_order is not None:
            out[left[dated]] = _numeric_dates_to_ms(rest.filter(dated), date_order)
        left, rest = left[~dated], rest.filter(pa.array(~dated))
    if left.size:
        out[left] = _other_forms_to_ms(rest)
    return out, bool(dated.any())


class _PaddedDates:
    """The values of a string array that begin with a padded numeric date
    (``19/03/2019``, ``19-03-2019``: two digits, a separator, two, a separator,
    four, then no digit), read off the array's bytes at fixed places, as most
    exports write them; regular expressions over every value cost several
    times as much."""

    def __init__(self, text: pa.Array):
        if text.null_count:
            text = pc.fill_null(text, "")
        self.text = text
        _, offsets, data = text.buffers()
        ends = np.frombuffer(offsets, np.int32)
        ends = ends[text.offset : text.offset + len(text) + 1]
        self.data = (
            np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
        )
        starts, lengths = ends[:-1].astype(np.int64), np.diff(ends)
        self.rows = np.flatnonzero(lengths >= 10)
        self.starts = starts[self.rows]
        ok = np.ones(self.rows.size, dtype=bool)
        for k in (0, 1, 3, 4, 6, 7, 8, 9):
            ok &= self.byte(k) - 48 <= 9  # uint8: a byte below "0" wraps round
        for k in (2, 5):
            ok &= np.isin(self.byte(k), (ord("/"), ord("-")))
        longer = lengths[self.rows] > 10
        ok[longer] &= self.byte(10, longer) - 48 > 9
        self.rows, self.starts = self.rows[ok], self.starts[ok]
        self.mask = np.zeros(len(text), dtype=bool)
        self.mask[self.rows] = True

    def byte(self, k: int, among: np.ndarray | None = None) -> np.ndarray:
        starts = self.starts if among is None else self.starts[among]
        return self.data[starts + k]

    def number(self, k: int) -> np.ndarray:
        """The two-digit number at byte ``k`` of each date."""
        return (self.byte(k) - 48).astype(np.int64) * 10 + (self.byte(k + 1) - 48)

    def as_iso(self, date_order: str) -> pa.Array:
        """The array with each date's ten bytes made ISO (2019-03-19), in
        place: the same length, so every other byte stays where it was."""
        data = self.data.copy()
        day, month = (0, 3) if date_order == "dmy" else (3, 0)
        for to, source in enumerate((6, 7, 8, 9, None, month, month + 1, None)):
            if source is not None:
                data[self.starts + to] = self.byte(source)
        data[self.starts + 4] = data[self.starts + 7] = ord("-")
        data[self.starts + 8] = self.byte(day)
        data[self.starts + 9] = self.byte(day + 1)
        _, offsets, _ = self.text.buffers()
        return pa.Array.from_buffers(
            pa.string(),
            len(self.text),
            [None, offsets, pa.py_buffer(data)],
            offset=self.text.offset,
        )


def _is_numeric_date(text: pa.Array) -> np.ndarray:
    """Whether each value (trimmed) is a numeric date (:data:`NUMERIC_DATE`)."""
    dated = _PaddedDates(text).mask
    # the expression only where a "/" or "-" stands second or third (3/4/2019)
    b = text.cast(pa.binary())
    near = pc.or_(
        pc.is_in(pc.binary_slice(b, 1, 2), value_set=_DATE_SEPARATORS),
        pc.is_in(pc.binary_slice(b, 2, 3), value_set=_DATE_SEPARATORS),
    ).to_numpy(zero_copy_only=False)
    rest = np.flatnonzero(~dated & near)
    if rest.size:
        others = text.take(pa.array(rest))
        dated[rest] = pc.match_substring_regex(others, NUMERIC_DATE).to_numpy(
            zero_copy_only=False
        )
    return dated


def _numeric_dates_to_ms(text: pa.Array, date_order: str) -> np.ndarray:
    """Numeric dates (:data:`NUMERIC_DATE`, trimmed) read in ``date_order``.

    Padded ones (19/03/2019) are made ISO in place and cast; the others
    (3/4/19 1:53 PM) are taken apart by one expression: the date is counted
    in numbers, the time after it read as any time of 1 January 1970 is."""
    padded = _PaddedDates(text)
    out = np.full(len(text), np.nan)
    if padded.rows.size:
        out[padded.rows] = _iso_dates_to_ms(
            padded.as_iso(date_order).take(pa.array(padded.rows))
        )
    rest = np.flatnonzero(~padded.mask)
    if not rest.size:
        return out
    parts = pc.extract_regex(text.take(pa.array(rest)), _NUMERIC_DATE_PARTS)
    ok = pc.is_valid(parts).to_numpy(zero_copy_only=False)

    def number(field: str) -> np.ndarray:
        return pc.cast(_field(parts, field, "0"), pa.int64()).to_numpy()

    first, second, year = number("first"), number("second"), number("year")
    year = np.where(year < 100, year + np.where(year < 69, 2000, 1900), year)
    day, month = (first, second) if date_order == "dmy" else (second, first)
    days = _days_since_epoch(year, month, day)
    clock = pc.binary_join_element_wise("1970-01-01", _field(parts, "rest", ""), "")
    out[rest] = np.where(ok, days * DAY_MS + parse_timestamps_ms(clock), np.nan)
    return out


def _iso_dates_to_ms(text: pa.Array) -> np.ndarray:
    """Values that begin with an ISO date, read as ISO values are, or by the
    other forms (a 12-hour clock, a zone word)."""
    try:  # one cast when every value is a plain ISO time, as most are
        us = pc.cast(text, pa.timestamp("us")).to_numpy(zero_copy_only=False)
        return np.floor_divide(us.astype(np.int64), 1000).astype(np.float64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    out = np.full(len(text), np.nan)
    plain = pc.match_substring_regex(text, _ISO_PLAIN).to_numpy(zero_copy_only=False)
    _fill_iso(out, text, plain)
    if not plain.all():  # a 12-hour clock, as the US writes its numeric dates
        _strptime_into(out, text, _TWELVE_HOURS)
    left = np.flatnonzero(np.isnan(out))
    if left.size:
        out[left] = _other_forms_to_ms(text.take(pa.array(left)))
    return out


def _days_since_epoch(
    year: np.ndarray, month: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """The days from 1970-01-01 to each date; NaN where the month has no
    such day (31 April, month 13)."""
    real = (month >= 1) & (month <= 12) & (day >= 1)
    real &= day <= _days_in_month(year, month)
    return np.where(real, _days_from_civil(year, np.clip(month, 1, 12), day), np.nan)


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    """The days of each month (proleptic Gregorian; month clipped to 1–12)."""
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    base = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    return base[np.clip(month, 1, 12) - 1] + (leap & (month == 2))


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (vectorised)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


class DateEvidence(NamedTuple):
    """What a log's numeric dates (:data:`NUMERIC_DATE`) tell of their order."""

    #: values written so
    dates: int = 0
    #: whether one of them has a first number above 12 (so the day is first)
    day_first: bool = False
    #: whether one of them has a second number above 12 (the month is first)
    month_first: bool = False

    def __or__(self, other: DateEvidence) -> DateEvidence:  # type: ignore[override]
        return DateEvidence(
            self.dates + other.dates,
            self.day_first or other.day_first,
            self.month_first or other.month_first,
        )

    @property
    def order(self) -> str | None:
        """ "dmy" or "mdy" when the values tell one order; else None."""
        if self.day_first == self.month_first:
            return None
        return "dmy" if self.day_first else "mdy"


def date_evidence(values: pa.Array | pa.ChunkedArray) -> DateEvidence:
    """The :class:`DateEvidence` of one batch of a log's raw times."""
    text = pc.fill_null(pc.cast(values, pa.string()), "")
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    padded = _PaddedDates(text)
    first, second = padded.number(0), padded.number(3)
    padded_evidence = DateEvidence(
        first.size, bool((first > 12).any()), bool((second > 12).any())
    )
    rest = np.flatnonzero(~padded.mask)
    if not rest.size:
        return padded_evidence
    others = text.take(pa.array(rest))  # unpadded (3/4/19) or after spaces

    def hits(pattern: str) -> int:
        return pc.sum(pc.match_substring_regex(others, pattern)).as_py() or 0

    return padded_evidence | DateEvidence(
        hits(NUMERIC_DATE), hits(_DAY_FIRST) > 0, hits(_MONTH_FIRST) > 0
    )


def date_orders(
    evidence: Mapping[str, DateEvidence], forced: str | None = None
) -> dict[str, str | None]:
    """Each log's order of day and month (``"dmy"``, ``"mdy"`` or None: its
    numeric dates stay unread) from each log's :class:`DateEvidence`.

    ``forced`` (the user's ``--date-order``) decides for every log. Otherwise a
    log whose values put a number above 12 in one place only is read in that
    order; one whose numbers are all 12 or less (a capture of 1–12 March)
    takes the order the other logs of the export tell together, since one
    system wrote them; a log with numbers above 12 in both places mixes the
    orders, and its numeric dates stay bad rows.
    """
    _check_date_order(forced)
    together = _told_together(evidence)
    orders: dict[str, str | None] = {}
    for name, one in evidence.items():
        if forced is not None:
            orders[name] = forced
        elif one.day_first or one.month_first:
            orders[name] = one.order
        else:
            orders[name] = together.order
    return orders


def _spelled_otherwise(text: pa.Array) -> np.ndarray:
    """The values one of :data:`_TO_ISO` may rewrite: a slash after the year,
    a ``T`` after eight digits, a comma after the seconds, a bracket or a zone
    word at the end. Read off byte slices: a regular expression over every
    value costs three times as much, and this runs on every value of a column
    that mixes forms."""
    b = text.cast(pa.binary())
    hit = pc.or_(
        pc.equal(pc.binary_slice(b, 4, 5), b"/"),
        pc.equal(pc.binary_slice(b, 8, 9), b"T"),
    )
    hit = pc.or_(hit, pc.equal(pc.binary_slice(b, 19, 20), b","))
    hit = pc.or_(hit, pc.ends_with(text, "]"))
    hit = pc.or_(hit, pc.is_in(pc.binary_slice(b, -3), value_set=_ZONE_WORDS))
    return hit.to_numpy(zero_copy_only=False) | _ends_in_letters(b)


#: The letters a value may end in that no ISO time does (``Z`` says UTC).
_NOT_ISO_LAST = pa.array(
    [bytes([c]) for c in b"ABCDEFGHIJKLMNOPQRSTUVWXY"]
    + [bytes([c]) for c in b"abcdefghijklmnopqrstuvwxy"]
)


def _ends_in_letters(b: pa.Array) -> np.ndarray:
    """Which values (as binary) end in a letter other than ``Z``: a 12-hour
    clock's AM or PM, a zone's abbreviation. No ISO time does (its zone is
    ``Z`` or an offset), so Arrow's ISO cast is not tried on them: a failed
    cast costs as much as a parse."""
    last = pc.binary_slice(b, -1)
    return pc.is_in(last, value_set=_NOT_ISO_LAST).to_numpy(zero_copy_only=False)


def _fill_iso(out: np.ndarray, text: pa.Array, iso: np.ndarray) -> None:
    """Set ``out`` where ``iso`` to the ms of those ISO values: with ``Z`` or an
    offset converted to UTC, naive ones taken as UTC (Arrow casts each kind
    only to its own type)."""
    if not iso.any():
        return
    zoned = pc.match_substring_regex(text, _ZONED).to_numpy(zero_copy_only=False)
    for mask, typ in (
        (iso & zoned, pa.timestamp("us", tz="UTC")),
        (iso & ~zoned, pa.timestamp("us")),
    ):
        if mask.any():
            idx = np.flatnonzero(mask)
            out[idx] = _iso_to_ms(text.take(pa.array(idx)), typ)


def _check_date_order(date_order: str | None) -> None:
    """A ValueError naming ``date_order`` unless it is None or one of
    :data:`DATE_ORDERS`."""
    if date_order not in (None, *DATE_ORDERS):
        raise ValueError(f"date_order: {date_order!r} is not one of {DATE_ORDERS}")


def _told_together(evidence: Mapping[str, DateEvidence]) -> DateEvidence:
    """The evidence of the logs that each tell one order, put together (a log
    that mixes the orders tells nothing)."""
    together = DateEvidence()
    for one in evidence.values():
        if one.order is not None:
            together |= one
    return together


def _other_forms_to_ms(text: pa.Array) -> np.ndarray:
    """Epoch numbers in scientific notation, ISO times spelled otherwise
    (:data:`_TO_ISO`) and the forms of :data:`_STRPTIME_FORMATS` (month names,
    day first with dots, numbers not padded, a 12-hour clock); NaN for
    anything else."""
    out = np.full(len(text), np.nan)
    sci = pc.match_substring_regex(text, _SCIENTIFIC).to_numpy(zero_copy_only=False)
    if sci.any():
        idx = np.flatnonzero(sci)
        nums = pc.cast(text.take(pa.array(idx)), pa.float64())
        out[idx] = _epoch_to_ms(nums.to_numpy(zero_copy_only=False))
    text = _abbreviations_to_offsets(text)
    # e-mail's offset with the zone's name as a comment: -0700 (PDT)
    text = _rewrite(text, r"([+-][0-9]{4})\s+\([A-Za-z .]+\)$", r"\1")
    for pattern, replacement in _TO_ISO:
        text = _rewrite(text, pattern, replacement)
    iso = pc.match_substring_regex(text, _ISO_DATE).to_numpy(zero_copy_only=False)
    _fill_iso(out, text, iso & ~_ends_in_letters(text.cast(pa.binary())))
    text = _rewrite(text, r"\s+(?i:UTC|GMT)(\s+[0-9]{4})?$", r" +0000\1")
    # every form has a space, a colon, a dash, a slash or a dot: what has none
    # (a word, a stray number) is spared trying them all
    some = np.flatnonzero(np.isnan(out))
    if some.size:
        text = text.take(pa.array(some))
        sep = pc.match_substring_regex(text, r"[ :/.-]").to_numpy(zero_copy_only=False)
        some, text = some[sep], text.filter(sep)
        text, fraction_ms = _without_fraction(text)
        tried = np.full(some.size, np.nan)
        _strptime_into(tried, text, _STRPTIME_FORMATS)
        out[some] = tried + fraction_ms
    return out


def head_abbreviations(text: pa.Array | pa.ChunkedArray) -> dict[str, str]:
    """The zone abbreviations of :data:`ZONE_ABBREVIATIONS` among a log's
    first :data:`HEAD_TIMES` values (``text``, as written), each with the
    offset it is read as, in the order met."""
    head = _trimmed(text.drop_null().slice(0, HEAD_TIMES))
    return {z: ZONE_ABBREVIATIONS[z] for z in _abbreviations_in(head)}


def _abbreviations_in(text: pa.Array) -> list[str]:
    """The abbreviations of :data:`ZONE_ABBREVIATIONS` after a time of day in
    ``text``, in the order met."""
    zone = pc.struct_field(pc.extract_regex(text, _ABBREVIATED), "zone")
    return pc.unique(
        zone.filter(pc.is_in(zone, value_set=_ABBREVIATION_KEYS))
    ).to_pylist()


def abbreviations_line(read: dict[str, str]) -> str:
    """The load report's line for a log's zone abbreviations (``read``:
    :attr:`FileReport.zone_abbreviations`)."""
    line = "zone abbreviations read as offsets: " + ", ".join(
        f"{z} {o}" for z, o in read.items()
    )
    also = [
        f"{z} is also {ABBREVIATIONS_ALSO[z]}" for z in read if z in ABBREVIATIONS_ALSO
    ]
    if also:
        line += f" ({'; '.join(also)}: write offsets if that is meant)"
    return line


def _rewrite(text: pa.Array, pattern: str, replacement: str) -> pa.Array:
    """``text`` with ``pattern`` replaced in the values it matches. A match
    costs a fraction of a replacement, which copies every value, so only
    the values that match are rewritten."""
    hit = pc.match_substring_regex(text, pattern)
    found = pc.sum(hit).as_py() or 0
    if found == 0:
        return text
    if found == len(text):
        return pc.replace_substring_regex(text, pattern, replacement)
    some = pc.replace_substring_regex(text.filter(hit), pattern, replacement)
    return pc.replace_with_mask(text, hit, some)


def _abbreviations_to_offsets(text: pa.Array) -> pa.Array:
    """``text`` with a zone abbreviation of :data:`ZONE_ABBREVIATIONS` after
    a time of day written as its offset: ``2019-03-19 13:53:20 PDT`` →
    ``2019-03-19 13:53:20 -0700``, ``Tue Mar 19 13:53:20 PDT 2019`` →
    ``Tue Mar 19 13:53:20 -0700 2019``. Other values are unchanged."""
    for name in _abbreviations_in(text):  # a log writes a zone or two
        pattern = rf"({_TIME_OF_DAY})\s+{name}(\s+[0-9]{{4}})?$"
        text = _rewrite(text, pattern, rf"\1 {ZONE_ABBREVIATIONS[name]}\2")
    return text


#: The seconds' fraction of a time strptime cannot read (its ``%S`` takes
#: whole seconds): 1:53:20.123 PM, SQL Server's 12:53:20:123PM, Oracle's
#: 12.53.20.123000 PM. It is cut out and added back.
_FRACTION = (
    r"^(?P<head>(?:.*?[^0-9])?[0-9]{1,2}[:.][0-9]{2}[:.][0-9]{2})"
    r"[.,:](?P<digits>[0-9]{1,9})"
    r"(?P<tail>[^0-9].*)?$"
)


#: What :data:`_FRACTION` needs, searched for anywhere (a quick first pass).
_HAS_FRACTION = r"(?:^|[^0-9])[0-9]{1,2}[:.][0-9]{2}[:.][0-9]{2}[.,:][0-9]"


def _without_fraction(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """``text`` with each time's fraction of a second (:data:`_FRACTION`) cut
    out, and those fractions in ms (0 where there is none)."""
    fraction_ms = np.zeros(len(text))
    # a quick search picks the values to take apart: the anchored pattern's
    # lazy head is slow
    maybe = pc.match_substring_regex(text, _HAS_FRACTION)
    rows = np.flatnonzero(maybe.to_numpy(zero_copy_only=False))
    if not rows.size:
        return text, fraction_ms
    some = text.take(pa.array(rows))
    parts = pc.extract_regex(some, _FRACTION)
    found = pc.is_valid(parts)
    digits = pc.utf8_slice_codeunits(
        pc.binary_join_element_wise(_field(parts, "digits", "0"), "00", ""), 0, 3
    )
    ms = pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)
    where = found.to_numpy(zero_copy_only=False)
    fraction_ms[rows[where]] = ms[where]
    cut = pc.binary_join_element_wise(
        _field(parts, "head", ""), _field(parts, "tail", ""), ""
    )
    return pc.replace_with_mask(text, maybe, pc.if_else(found, cut, some)), fraction_ms


#: Values on which every form is tried first, to choose the order the forms
#: are tried in over the rest (:func:`_strptime_into`).
_FORM_SAMPLE = 1000


def _strptime_into(
    out: np.ndarray, text: pa.Array, forms: tuple[str, ...], sample: bool = True
) -> tuple[str, ...]:
    """Set ``out`` where it is NaN to the ms of the values of ``text`` the
    first of ``forms`` that fits reads as a real date (:func:`_real_dates`);
    return the forms that read some value, in order.

    With ``sample``, the forms that read some of an evenly spaced sample of
    the values are tried first over all of them (in their order), the others
    after on what is left: a log written in the tenth form does not pay for
    nine failed parses of every value. A value two forms both fit is read
    by the first of them in that order.
    """
    todo = np.flatnonzero(np.isnan(out))
    if sample and todo.size > _FORM_SAMPLE:
        pick = todo[np.linspace(0, todo.size - 1, _FORM_SAMPLE).astype(np.int64)]
        probe = np.full(pick.size, np.nan)
        used = _strptime_into(probe, text.take(pa.array(pick)), forms, sample=False)
        forms = (*used, *(f for f in forms if f not in used))
    used = []
    for form in forms:
        todo = np.flatnonzero(np.isnan(out))
        if not todo.size:
            break
        values = text.take(pa.array(todo))
        parsed = pc.strptime(values, format=form, unit="ms", error_is_null=True)
        ok = np.flatnonzero(pc.is_valid(parsed).to_numpy(zero_copy_only=False))
        if not ok.size:
            continue
        ms = pc.cast(parsed.take(pa.array(ok)), pa.int64()).to_numpy()
        real = _real_dates(values.take(pa.array(ok)), form)
        out[todo[ok[real]]] = ms[real]
        if real.any():
            used.append(form)
    return tuple(used)


#: How each directive of :data:`_STRPTIME_FORMATS` is matched to read back
#: the day, month and year it parsed.
_FIELDS = {
    "%d": r"(?P<d>[0-9]{1,2})",
    "%m": r"(?P<m>[0-9]{1,2})",
    "%b": r"(?P<b>[A-Za-z]{3})[A-Za-z]*",
    "%Y": r"(?P<Y>[0-9]{4})",
    "%a": r"[A-Za-z]+",
    "%y": r"(?P<Y>[0-9]{2})",
    "%A": r"[A-Za-z]+",
    "%H": r"[0-9]{1,2}",
    "%I": r"[0-9]{1,2}",
    "%p": r"[AaPp][Mm]",
    "%M": r"[0-9]{1,2}",
    "%S": r"[0-9]{1,2}",
    "%z": r"\S+",
    " ": r"\s+",
}
_MONTH_ABBR = pa.array(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
)


def _real_dates(values: pa.Array, form: str) -> np.ndarray:
    """Whether the day each of ``values`` (which ``form`` parsed) names exists
    in its month: strptime carries 30 February over to 2 March, where it should
    be a bad value."""
    tokens = re.findall(r"%[a-zA-Z]|.", form)
    pattern = "".join(_FIELDS.get(t, re.escape(t)) for t in tokens)
    parts = pc.extract_regex(values, "^" + pattern)
    ok = pc.is_valid(parts).to_numpy(zero_copy_only=False)

    def number(name: str, missing: str) -> np.ndarray:
        return pc.cast(_field(parts, name, missing), pa.int64()).to_numpy()

    day, year = number("d", "99"), number("Y", "2000")
    if "%y" in form:  # two digits: this century (strptime's 69–99 are bad rows)
        year = year + 2000
    if "%b" in form:
        names = pc.utf8_lower(_field(parts, "b", "jan"))
        month = pc.index_in(names, value_set=_MONTH_ABBR).to_numpy(zero_copy_only=False)
        ok &= ~np.isnan(month)
        month = np.nan_to_num(month).astype(np.int64) + 1
    else:
        month = number("m", "1")
    return ok & (day <= _days_in_month(year, month))


def _field(parts: pa.Array, name: str, missing: str) -> pa.Array:
    """One field of :func:`pyarrow.compute.extract_regex`'s parts, ``missing``
    where the value did not match (filled field by field: the struct's own
    fill_null costs a tenth of a second per 100,000 values)."""
    return pc.fill_null(pc.struct_field(parts, name), missing)


def _uniform_column(text: pa.Array) -> np.ndarray | None:
    """Fast path for a column written in one form (most exports): epoch integers,
    or ISO strings that Arrow's own parser takes whole. None when the column mixes
    forms or has a bad value; the value-by-value path then decides.

    A failed whole-column cast costs as much as a parse, so the form is first
    read off an evenly spaced sample of the values: a column whose sample
    already mixes forms goes straight to the value-by-value path.
    """
    if len(text) == 0:
        return None
    sample = text.take(pa.array(np.linspace(0, len(text) - 1, 1000).astype(np.int64)))
    if pc.all(pc.match_substring_regex(sample, _INTEGER)).as_py():
        try:
            ints = pc.cast(text, pa.int64()).to_numpy(zero_copy_only=False)
            return _epoch_to_ms(ints.astype(np.float64))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
    if not pc.all(pc.match_substring_regex(sample, _ISO_DATE)).as_py():
        return None
    if _spelled_otherwise(sample).any():
        return None  # a cast that fails costs as much as one that works
    zoned = pc.match_substring_regex(sample, _ZONED)
    all_zoned = pc.all(zoned).as_py()
    if pc.any(zoned).as_py() != all_zoned:
        return None  # naive and zoned strings: value by value
    typ = pa.timestamp("us", tz="UTC") if all_zoned else pa.timestamp("us")
    try:
        us = pc.cast(pc.cast(text, typ), pa.int64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return np.floor_divide(us, 1000).astype(np.float64)


def _epoch_to_ms(nums: np.ndarray) -> np.ndarray:
    """Epoch numbers to ms, the unit told by magnitude; eight digits that make
    a real day of 2000–2099 (20190319, a warehouse's date key) are that day,
    for as seconds they would be 1970, long before any log this reads."""
    mag = np.abs(nums)
    scale = np.select(
        [mag < 1e11, mag < 1e14, mag < 1e17], [1e3, 1.0, 1e-3], default=1e-6
    )
    with np.errstate(invalid="ignore"):
        out = np.floor(nums * scale)
        keys = np.flatnonzero((nums >= 20_000_101) & (nums <= 20_991_231))
    if keys.size:
        key = nums[keys].astype(np.int64)
        year, month, day = key // 10_000, key // 100 % 100, key % 100
        whole = nums[keys] == key
        ok = whole & (month >= 1) & (month <= 12) & (day >= 1)
        start = (year - 1970) * 12 + np.clip(month, 1, 12) - 1
        days = start.astype("datetime64[M]").astype("datetime64[D]")
        ends = (start + 1).astype("datetime64[M]").astype("datetime64[D]")
        ok &= day <= (ends - days).astype(np.int64)
        date = days + (day - 1).astype("timedelta64[D]")
        out[keys[ok]] = date[ok].astype("datetime64[ms]").astype(np.int64)
    return out


def _iso_to_ms(text: pa.Array, typ: pa.DataType) -> np.ndarray:
    try:
        us = pc.cast(text, typ)
        ints = pc.cast(us, pa.int64()).to_numpy(zero_copy_only=False)
        return np.floor_divide(ints, 1000).astype(np.float64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # One bad value fails the fast path for the whole batch: fall back to
        # pandas, value by value, which yields NaT for what it cannot parse.
        parsed = pd.to_datetime(
            pd.Series(text.to_pylist(), dtype=object),
            format="ISO8601",
            utc=True,
            errors="coerce",
        )
        ms = parsed.astype("datetime64[ms, UTC]").astype("int64").to_numpy()
        return np.where(parsed.isna().to_numpy(), np.nan, ms.astype(np.float64))


def parse_user_ids(
    values: pa.Array | pa.ChunkedArray,
) -> tuple[np.ndarray, np.ndarray]:
    """Parse user ids as 64-bit integers.

    Returns
    -------
    ids, ok
        int64 ids (0 where not parsed) and whether each value is a whole number
        that fits in int64 (with optional sign and surrounding spaces, and
        zeros after a decimal point: ``1234.0``). Ids stay
        exact integers throughout: 64-bit ids such as 1234567890123456789 would
        not survive a trip through float64.
    """
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    n = len(arr)
    if pa.types.is_integer(arr.type):
        ok = pc.is_valid(arr).to_numpy(zero_copy_only=False)
        ids = pc.fill_null(pc.cast(arr, pa.int64()), 0).to_numpy(zero_copy_only=False)
        return ids.astype(np.int64), ok
    if pa.types.is_floating(arr.type):
        f = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        ok = np.isfinite(f) & (f == np.round(f)) & (np.abs(f) < 2.0**53)
        return np.where(ok, f, 0).astype(np.int64), ok
    if arr.null_count == 0:
        try:  # a clean column of integers casts whole
            ids = pc.cast(arr, pa.int64()).to_numpy(zero_copy_only=False)
            return ids.astype(np.int64), np.ones(n, dtype=bool)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    text = pc.fill_null(pc.utf8_trim_whitespace(pc.cast(arr, pa.string())), "")
    text = pc.replace_substring_regex(text, r"^\+", "")
    # a whole number written as a float, as pandas writes an id column that has
    # a missing value: 1234.0
    text = pc.replace_substring_regex(text, r"^(-?[0-9]+)\.0*$", r"\1")
    ok = pc.match_substring_regex(text, r"^-?[0-9]{1,19}$").to_numpy(
        zero_copy_only=False
    )
    ids = np.zeros(n, dtype=np.int64)
    idx = np.flatnonzero(ok)
    if idx.size:
        part = text.take(pa.array(idx))
        try:
            ids[idx] = pc.cast(part, pa.int64()).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:  # 19 digits beyond int64: value by value
            for i, v in zip(idx, part.to_pylist(), strict=True):
                x = int(v)
                if -(2**63) <= x < 2**63:
                    ids[i] = x
                else:
                    ok[i] = False
    return ids, ok


#: The reason a row that repeats the header line is excluded.
REPEATED_HEADER = "a repeated header line"


def repeated_header(user: pa.Array, ts: pa.Array, ts_name) -> np.ndarray:
    """Rows whose user id and time are the header's names (``user_id`` and
    ``ts_name``, such as ``call_ts``, or one such name per row; in any case):
    a header line again, as files joined end to end have them."""
    names = ts_name if isinstance(ts_name, str) else pa.array(ts_name, pa.string())
    same = pc.and_(
        pc.equal(pc.utf8_lower(_trimmed(user)), "user_id"),
        pc.equal(pc.utf8_lower(_trimmed(ts)), names),
    )
    return same.to_numpy(zero_copy_only=False)


def _record_bad(
    report: FileReport,
    mask: np.ndarray,
    reason: str,
    strict: bool,
    lines,
    values: pa.Array | None = None,
) -> None:
    """Count the rows of ``mask`` under ``reason``; keep the first line numbers
    and, given the batch's ``values`` the reason is about, the first value.

    ``lines`` maps row positions of the current batch to file line numbers.
    """
    count = int(mask.sum())
    if count == 0:
        return
    have = report.bad_lines.get(reason, [])
    if values is not None and reason not in report.bad_values:
        value = values[int(np.flatnonzero(mask)[0])].as_py()
        report.bad_values[reason] = "" if value is None else str(value)[:40]
    if strict or len(have) < MAX_EXAMPLES:
        first = lines(np.flatnonzero(mask)[: MAX_EXAMPLES - len(have)]).tolist()
        if strict:
            value = report.bad_values.get(reason)
            said = f": {value!r}" if value is not None else ""
            if hint := report.hint(value):
                said += f"; {hint}"
            raise BadRowError(f"{report.path}: line {first[0]}: {reason}{said}")
        report.bad_lines[reason] = have + first
    report.bad_reasons[reason] = report.bad_reasons.get(reason, 0) + count
    report.bad_rows += count


def _record_skipped(
    report: FileReport, skipped: list[int], seen: int, reason: str
) -> None:
    """Count the rows the reader skipped (for their number of fields, or as no
    JSON object) under ``reason``, and set ``rows_read`` (rows in batches,
    ``seen``, plus those)."""
    if skipped:
        report.bad_reasons[reason] = len(skipped)
        report.bad_lines[reason] = skipped[:MAX_EXAMPLES]
        report.bad_rows += len(skipped)
    report.rows_read = seen + len(skipped)


def _read_log(
    path: Path,
    name: str,
    now_ms: int,
    strict: bool,
    string_ids: bool = False,
    orders: DateOrders | None = None,
) -> tuple[pd.DataFrame, FileReport, list[pa.Array]]:
    """:func:`_read_one` of a log's file, or of each part of a log written as a
    folder (:func:`log_parts`), the parts' rows and reports put together: the
    report's path is the folder, its line numbers ``part-00001.csv:17``."""
    parts = log_parts(path)
    if not parts:
        return _read_one(path, name, now_ms, strict, string_ids, orders)
    report = FileReport(path=str(path))
    frames, names = [], []
    for part in parts:
        frame, one, part_names = _read_one(
            part, name, now_ms, strict, string_ids, orders
        )
        frames.append(frame)
        names += part_names
        report.rows_read += one.rows_read
        report.rows_kept += one.rows_kept
        report.bad_rows += one.bad_rows
        where = part.relative_to(path if path.is_dir() else path.parent).as_posix()
        for reason, count in one.bad_reasons.items():
            report.bad_reasons[reason] = report.bad_reasons.get(reason, 0) + count
            have = report.bad_lines.setdefault(reason, [])
            more = [f"{where}:{n}" for n in one.bad_lines.get(reason, [])]
            have += more[: MAX_EXAMPLES - len(have)]
        for reason, value in one.bad_values.items():
            report.bad_values.setdefault(reason, value)
        report.date_order = report.date_order or one.date_order
        if report.ms_clock is None:
            report.ms_clock, report.dates = one.ms_clock, one.dates
    frame = pd.concat(frames, ignore_index=True)
    if "time_zone" in frame.columns:  # a part without the column: no own zones
        frame["time_zone"] = frame["time_zone"].fillna("")
    return frame, report, names


def _read_one(
    path: Path,
    name: str,
    now_ms: int,
    strict: bool,
    string_ids: bool = False,
    orders: DateOrders | None = None,
) -> tuple[pd.DataFrame, FileReport, list[pa.Array]]:
    """Read, parse and clean one log file, batch by batch; return its clean rows
    (user_id, ts_ms and, for signups, country_code), its report and, with
    ``string_ids``, the kept rows' ids as strings (``user_id`` is then 0, to be
    filled with codes by the caller). Numeric dates (03/04/2019) are read in
    the order ``orders`` tells for the log."""
    report = FileReport(path=str(path))
    ts_col = f"{name}_ts"
    users, stamps, countries, zones = [], [], [], []
    names: list[pa.Array] = []
    seen = 0
    skipped: list[int] = []
    columns = REQUIRED_COLUMNS[name]
    positional = positional_columns(name)
    found = _column_names(path, positional)
    own_zone = name == "signup" and has_column(found, "time_zone")
    if own_zone:
        columns = (*columns, "time_zone")
    first, skip_reason = row_layout(path)
    for batch, skipped in iter_batches(path, columns, positional):
        if strict and skipped:
            raise BadRowError(f"{path}: line {skipped[0]}: {skip_reason}")

        def lines(idx: np.ndarray, offset: int = seen, skipped=skipped) -> np.ndarray:
            return _line_numbers(offset + idx, skipped, first)

        if string_ids:
            id_text = _trimmed(batch.column("user_id"))
            user_ok = pc.not_equal(id_text, "").to_numpy(zero_copy_only=False)
            user = np.zeros(batch.num_rows, dtype=np.int64)
            id_problem = "user_id is empty"
        else:
            user, user_ok = parse_user_ids(batch.column("user_id"))
            id_problem = "user_id is not an integer"
        ts, dated = _parse_times(
            batch.column(ts_col), lambda: orders.order(name) if orders else None
        )
        if dated and orders is not None:
            report.date_order = orders.order(name) or orders.why_not(name)
        when = batch.column(ts_col)
        if report.ms_clock is None and name != "signup" and np.isfinite(ts).any():
            report.ms_clock, report.dates = ms_clock(ts), keeps_dates(ts, when)
        if report.zone_abbreviations is None and np.isfinite(ts).any():
            report.zone_abbreviations = head_abbreviations(when)
        blank = _blank_rows(batch)
        _record_bad(report, blank, "blank line", strict, lines)
        # files joined end to end repeat the header: neither an id nor a time
        no_time = np.isnan(ts)
        again = ~blank & no_time  # a header's time is no time
        if again.any():
            idx = pa.array(np.flatnonzero(again))
            again[again] = repeated_header(
                batch.column("user_id").take(idx),
                batch.column(ts_col).take(idx),
                ts_col,
            )
        _record_bad(report, again, REPEATED_HEADER, strict, lines)
        gone = blank | again
        bad_user = ~gone & ~user_ok
        user_text = batch.column("user_id")
        _record_bad(report, bad_user, id_problem, strict, lines, user_text)
        bad_ts = ~gone & ~bad_user & no_time
        _record_bad(report, bad_ts, f"{ts_col} is not a timestamp", strict, lines, when)
        ok = ~gone & ~bad_user & ~bad_ts
        early = ok & (ts < MIN_TS_MS)
        _record_bad(report, early, f"{ts_col} before 2000-01-01", strict, lines, when)
        late = ok & (ts > now_ms)
        _record_bad(report, late, f"{ts_col} after now", strict, lines, when)
        keep = ok & ~early & ~late
        if report.dates is False:  # a log of times of day: a date alone is no time
            day = keep & date_only(ts, when)
            _record_bad(
                report,
                day,
                f"{ts_col} is a date without a time of day",
                strict,
                lines,
                when,
            )
            keep &= ~day
        users.append(user[keep].astype(np.int64))
        if string_ids:
            names.append(id_text.filter(pa.array(keep)))
        stamps.append(ts[keep].astype(np.int64))
        if name == "signup":
            country = pc.utf8_upper(_trimmed(batch.column("country_code")))
            countries.append(np.asarray(country.to_numpy(zero_copy_only=False))[keep])
            if own_zone:
                zone = _trimmed(batch.column("time_zone"))
                zones.append(np.asarray(zone.to_numpy(zero_copy_only=False))[keep])
        seen += batch.num_rows
    if strict and skipped:
        raise BadRowError(f"{path}: line {skipped[0]}: {skip_reason}")
    _record_skipped(report, skipped, seen, skip_reason)

    frame = pd.DataFrame(
        {
            "user_id": np.concatenate(users) if users else np.zeros(0, np.int64),
            "ts_ms": np.concatenate(stamps) if stamps else np.zeros(0, np.int64),
        }
    )
    del users, stamps
    if name == "signup":
        frame["country_code"] = (
            np.concatenate(countries) if countries else np.zeros(0, dtype=object)
        )
        if own_zone:
            frame["time_zone"] = (
                np.concatenate(zones) if zones else np.zeros(0, dtype=object)
            )
    # duplicates are removed (and counted) by load_logs, once ids are final
    report.rows_kept = len(frame)
    return frame, report, names


def positional_columns(name: str) -> tuple[str, ...]:
    """A log's columns in their documented order, for a text file without a
    header line (the signup log's ``time_zone`` last, optional)."""
    columns = REQUIRED_COLUMNS[name]
    return (*columns, "time_zone") if name == "signup" else columns


class DateOrders:
    """The order of day and month in each log of one export, told from the
    values of every log (:func:`date_orders`) the first time a log meets a
    numeric date, so that an export without one costs nothing.

    The logs are read a second time for it only when the first thousand
    times of one of them hold a numeric date (:data:`HEAD_TIMES`): an export
    writes its form from the start, and a stray ``12/03/2019`` among other
    forms is taken for an error (a bad row) without reading every log again.
    """

    def __init__(self, paths: Mapping[str, Path | None], forced: str | None = None):
        _check_date_order(forced)
        self.paths = {name: path for name, path in paths.items() if path}
        self.forced = forced
        self.evidence: dict[str, DateEvidence] | None = None

    def order(self, name: str) -> str | None:
        """ "dmy", "mdy", or None when it cannot be told."""
        if self.forced is not None:
            return self.forced
        if self.evidence is None:
            heads = (head_date_evidence(p, n) for n, p in self.paths.items())
            self.evidence = (
                {n: log_date_evidence(p, n) for n, p in self.paths.items()}
                if any(head.dates for head in heads)
                else {}
            )
        return date_orders(self.evidence).get(name)

    def why_not(self, name: str) -> str:
        """Why a log's numeric dates have no order: "stray" (no log begins
        with them), "mixed" (its numbers above 12 stand in both places),
        "disagree" (in neither; the other logs tell different orders) or
        "unclear" (in neither, in any log)."""
        evidence = self.evidence or {}
        if not evidence:
            return "stray"
        one = evidence.get(name, DateEvidence())
        if one.day_first and one.month_first:
            return "mixed"
        together = _told_together(evidence)
        return "disagree" if together.day_first and together.month_first else "unclear"


#: How many of each log's first times tell whether it is written in numeric
#: dates (:class:`DateOrders`) and whether its clock counts ms
#: (:func:`ms_clock`); the Spark path looks as far.
HEAD_TIMES = 1000


DAY_MS = 86_400_000


def date_only(ts_ms: np.ndarray, text: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Which times are a date without a time of day: exactly midnight UTC,
    written without a clock (``2019-03-19``, ``19/03/2019``, ``Mar 19, 2019``,
    a date key ``20190319``: no ``:``, and no epoch number, which may be a
    time of a coarse clock that fell on midnight). Read as midnight, such a
    time would be an event at 00:00 and gaps of whole days."""
    with np.errstate(invalid="ignore"):
        out = np.fmod(ts_ms, DAY_MS) == 0
    idx = np.flatnonzero(out)
    if idx.size:
        values = pc.utf8_trim_whitespace(pc.cast(text, pa.string()).take(pa.array(idx)))
        values = pc.fill_null(values, "")
        clocked = pc.match_substring_regex(values, r":|[0-9]T[0-9]")  # or 20190319T00…
        epoch = pc.or_(
            pc.match_substring_regex(values, _NUMERIC),
            pc.match_substring_regex(values, _SCIENTIFIC),
        )
        key = pc.match_substring_regex(values, r"^[0-9]{8}$")  # 20190319
        dated = pc.and_(pc.invert(clocked), pc.or_(pc.invert(epoch), key))
        out[idx] = dated.to_numpy(zero_copy_only=False)
    return out


def keeps_dates(ts_ms: np.ndarray, text: pa.Array | pa.ChunkedArray) -> bool:
    """Whether a log is written in dates (:func:`date_only`), from its first
    times (NaN where unread; the first :data:`HEAD_TIMES` read count): at
    least half of them are. In a log of times of day, a date alone is an
    event whose time was lost, kept out of the events (a bad row) rather than
    put at midnight; a log of dates keeps them, the only times it has."""
    read = np.flatnonzero(np.isfinite(ts_ms))[:HEAD_TIMES]
    if not read.size:
        return True
    chunk = text if isinstance(text, pa.Array) else text.combine_chunks()
    return bool(np.mean(date_only(ts_ms[read], chunk.take(pa.array(read)))) >= 0.5)


class LogClock(NamedTuple):
    """What a log's times tell of its clock: whether it counts ms
    (:func:`ms_clock`) and whether it is written in dates (:func:`keeps_dates`),
    from its first times; and the unit its times are known to where one of
    their fields never changes (:func:`frozen_clock`, from every time; 1:
    none), a clock that counts no ms."""

    ms: bool = True
    dates: bool = True
    known_to_ms: int = 1


def log_clock(ts_ms: np.ndarray, text: pa.Array | pa.ChunkedArray) -> LogClock:
    """The :class:`LogClock` of a log from its first times (``ts_ms`` as read
    from ``text``); ``known_to_ms`` is 1 (a frozen field is told from every
    time, :func:`frozen_clock`)."""
    return LogClock(ms_clock(ts_ms), keeps_dates(ts_ms, text))


def ms_clock(ts_ms: np.ndarray) -> bool:
    """Whether a log's clock tells events apart to the ms, from its first
    times (``ts_ms``, NaN where unread; the first :data:`HEAD_TIMES` read
    count): more than half of them have a part of a second. On such a clock
    a row repeating a user's time is an export's duplicate; on a clock of
    whole seconds or coarser (minutes, days) two events of one user can share
    a time, and both are kept."""
    head = ts_ms[np.isfinite(ts_ms)][:HEAD_TIMES]
    return head.size == 0 or bool(np.mean(head % 1000 != 0) > 0.5)


#: Times a log needs before one field of them that never changes is told
#: (by chance, n times of people share one minute of the hour once in 60^(n−1)).
FROZEN_MIN_TIMES = 50
#: Times :func:`frozen_clock` looks at first: only where they share the field
#: is every time read.
FROZEN_SAMPLE = 10_000
#: Fields of a time that an export can write as one value for every row →
#: (its length, the next coarser unit's), in ms.
FROZEN_FIELDS: dict[str, tuple[int, int]] = {
    "minute": (60_000, 3_600_000),
    "second": (1000, 60_000),
}


def frozen_clock(ts_ms: np.ndarray) -> tuple[str, int, int]:
    """A field of a log's times that holds one value in every time while the
    time goes on past its unit: (field, value, coarser units spanned), or
    ("", 0, 0) if none.

    An export that anonymises or rounds its times can write every one at one
    minute of its hour (``10:05:41``, ``11:05:03``, …: the shared access
    log). Its times are then known to the hour, not the second: two events an
    hour apart may read a second apart. The minute counts where its times
    span two hours or more; the second (``…:07.412``) where its times span
    two minutes or more and their parts of a second vary (on a clock of whole
    minutes the second is always 00, as it should be). Needs
    :data:`FROZEN_MIN_TIMES` times; a field frozen only by chance in fewer
    is not told. Told from :func:`clock_stats` (:func:`frozen_of`), first of
    an evenly spaced sample: a log whose sample has no frozen field has none.

    Examples
    --------
    Times at 10:05:41, 11:05:03, 13:05:59 (and 47 more at minute 5 of other
    hours) → ("minute", 5, hours spanned); times at :00 seconds of varying
    minutes → ("", 0, 0) (a clock of whole minutes).
    """
    ts = np.asarray(ts_ms, dtype=np.int64)
    if ts.size < FROZEN_MIN_TIMES:
        return "", 0, 0
    pick = np.linspace(0, ts.size - 1, min(ts.size, FROZEN_SAMPLE)).astype(np.int64)
    if not frozen_of(clock_stats(ts[pick]), sample=True)[0]:
        return "", 0, 0
    return frozen_of(clock_stats(ts))


#: The statistics of a log's times :func:`frozen_of` tells a frozen field
#: from; those of parts of a log merge by sum (``n``) and least (``_lo``) or
#: greatest (``_hi``).
CLOCK_STATS: tuple[str, ...] = (
    "n",
    "ts_lo",
    "ts_hi",
    "minute_lo",
    "minute_hi",
    "second_lo",
    "second_hi",
    "ms_lo",
    "ms_hi",
)


def clock_stats(ts_ms: np.ndarray) -> dict[str, int]:
    """:data:`CLOCK_STATS` of some times (ms): how many, the first and last,
    and the least and greatest minute of the hour, second of the minute and
    ms of the second among them (0 for all where there are none)."""
    ts = np.asarray(ts_ms, dtype=np.int64)
    if ts.size == 0:
        return dict.fromkeys(CLOCK_STATS, 0)
    out = {"n": int(ts.size), "ts_lo": int(ts.min()), "ts_hi": int(ts.max())}
    for name, part in (
        ("minute", ts // 60_000 % 60),
        ("second", ts // 1000 % 60),
        ("ms", ts % 1000),
    ):
        out[f"{name}_lo"], out[f"{name}_hi"] = int(part.min()), int(part.max())
    return out


def frozen_of(stats: Mapping[str, int], sample: bool = False) -> tuple[str, int, int]:
    """:func:`frozen_clock`'s answer from :func:`clock_stats` of every time
    of a log (merged over its parts: see :data:`CLOCK_STATS`). With
    ``sample`` (the stats of a sample of the times) neither the least number
    of times nor the span is asked: a frozen field there is a candidate."""
    if not sample and stats["n"] < FROZEN_MIN_TIMES:
        return "", 0, 0
    for field, (_, coarser) in FROZEN_FIELDS.items():
        if stats[f"{field}_lo"] != stats[f"{field}_hi"]:
            continue
        if field == "second" and stats["ms_lo"] == stats["ms_hi"]:
            continue  # whole seconds of whole minutes: a clock of minutes
        spanned = stats["ts_hi"] // coarser - stats["ts_lo"] // coarser + 1
        if spanned >= 2 or sample:
            return field, int(stats[f"{field}_lo"]), int(spanned)
    return "", 0, 0


def known_to_ms(field: str) -> int:
    """The unit (ms) times are known to when ``field`` of them is frozen
    (:func:`frozen_clock`): the next coarser one; 1 for no field."""
    return FROZEN_FIELDS[field][1] if field else 1


def read_to(ts_ms: np.ndarray, unit_ms: int) -> np.ndarray:
    """Times floored to ``unit_ms``: each at the start of the hour (or
    minute) it is known to lie in."""
    ts = np.asarray(ts_ms, dtype=np.int64)
    return ts if unit_ms <= 1 else ts // unit_ms * unit_ms


def read_frozen(ts_ms: np.ndarray) -> tuple[np.ndarray, tuple[str, int, int]]:
    """One log's times as the readers take them: floored to the unit a
    frozen field of theirs leaves (:func:`frozen_clock`, :func:`read_to`),
    as written if none; and the field."""
    frozen = frozen_clock(ts_ms)
    return read_to(ts_ms, known_to_ms(frozen[0])), frozen


def frozen_line(field: str, value: int, spanned: int) -> str:
    """The load report's words for a field of :func:`frozen_clock`."""
    coarser = {"minute": "hour", "second": "minute"}[field]
    return (
        f"every time is at {field} {value:02d} of its {coarser} (UTC), in times "
        f"spanning {spanned:,} {coarser}s: the log's {field}s were not written as they "
        f"happened (rounded or anonymised), so its times are known to the "
        f"{coarser} and read so, each at the start of its {coarser}: no gap, "
        f"burst or schedule inside an {coarser} is read"
    )


def head_date_evidence(path: Path, name: str) -> DateEvidence:
    """The :class:`DateEvidence` of a log's first :data:`HEAD_TIMES` times
    that are not empty (read from its first 64 KB)."""
    part = (log_parts(path) or [path])[0]
    # latin-1 reads any byte, and leaves digits and separators as they are
    encoding = _bom_encoding(part) or "latin-1"
    for batch, _ in iter_batches(
        part, (f"{name}_ts",), positional_columns(name), 1 << 16, encoding
    ):
        times = _trimmed(batch.column(0))
        times = times.filter(pc.not_equal(times, ""))
        return date_evidence(times.slice(0, HEAD_TIMES))
    return DateEvidence()


def log_date_evidence(path: Path, name: str) -> DateEvidence:
    """The :class:`DateEvidence` of every time in one log (each of its parts)."""
    evidence = DateEvidence()
    for part in log_parts(path) or [path]:
        batches = iter_batches(part, (f"{name}_ts",), positional_columns(name))
        for batch, _ in batches:
            evidence |= date_evidence(batch.column(0))
    return evidence


def _trimmed(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A column as strings without surrounding spaces, missing values as ""."""
    return pc.fill_null(pc.utf8_trim_whitespace(pc.cast(column, pa.string())), "")


def _column_names(path: Path, positional: tuple[str, ...] = ()) -> list[str]:
    """The column names of a log file (header line, parquet schema, the first
    JSON object's keys; ``positional`` where a text file has no header)."""
    if path.name.endswith(".parquet"):
        names = pq.ParquetFile(path).schema_arrow.names
    elif is_json_lines(path.name):
        names = _json_keys(path)
    else:
        names = _head_fields(path)
        if not is_header_line(names):
            names = positional_names(path, len(names), positional)
    return _clean_names(names)


#: Every column name a log or a verdict file has (as :func:`_fold` writes
#: them), to tell a header line from a first row of data.
KNOWN_COLUMNS = frozenset(
    _fold(c)
    for c in (*(c for cols in REQUIRED_COLUMNS.values() for c in cols), "time_zone")
) | {"verdict", "note"}


def is_header_line(fields: list[str]) -> bool:
    """Whether a text log's first line (split into ``fields``) names its
    columns: one field is a column name cadence knows, or no field is a
    time. Spark and Redshift write no header unless asked; such a file's
    first line is a row, with a time in it and no name."""
    clean = [f.strip().strip('"') for f in _clean_names(fields)]
    if any(_fold(f) in KNOWN_COLUMNS for f in clean):
        return True
    text = pa.array(clean, pa.string())
    return bool((np.isnan(parse_timestamps_ms(text)) & ~_is_numeric_date(text)).all())


def positional_names(
    path: Path, count: int, positional: tuple[str, ...], least: int = 0
) -> list[str]:
    """The columns of a text log without a header line: the first ``count``
    of ``positional`` (the log's columns in their documented order; trailing
    ones optional, at least ``least`` of them), or a :class:`LoadError` saying
    what was expected."""
    if not positional or not least <= count <= len(positional):
        raise LoadError(
            f"{path}: the first line is a row, not a header, and it has {count} "
            f"fields; without a header line the columns must be "
            f"{', '.join(positional) or 'named'} in that order: add a header line"
        )
    return list(positional[:count])


def _blank_rows(table: pa.Table | pa.RecordBatch) -> np.ndarray:
    """Rows whose every field is empty (blank lines of a text file)."""
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        if not pa.types.is_string(column.type):
            return np.zeros(table.num_rows, dtype=bool)
        text = pc.fill_null(pc.utf8_trim_whitespace(column), "")
        blank &= pc.equal(text, "").to_numpy(zero_copy_only=False)
    return blank


def load_logs(
    directory: str | Path,
    *,
    now_ms: int,
    strict: bool = False,
    date_order: str | None = None,
) -> Logs:
    """Read and clean the four logs of a data directory.

    Parameters
    ----------
    directory
        Folder with ``signup``, ``call``, ``message`` and ``search`` logs.
    now_ms
        The present, in ms since the epoch (UTC): later timestamps are bad rows.
    strict
        Raise :class:`BadRowError` on the first bad row instead of counting it.
    date_order
        How a day and a month both in numbers (03/04/2019) are read: "dmy" or
        "mdy" in every log; None tells each log's order from its values
        (:func:`date_orders`).

    Returns
    -------
    Logs
        Events sorted by user then time, signups (earliest per user), report.

    Raises
    ------
    LoadError
        The directory is missing or empty, the signup log is missing, or a log
        lacks a required column.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise LoadError(f"{directory}: no such data directory")
    report = LoadReport()
    paths = {name: find_log(directory, name) for name in LOGS}
    if not any(paths.values()):
        raise LoadError(
            f"{directory}: no logs found; expected signup, call, message and search "
            f"files (or signups, calls, …) ending in {SUFFIXES_TEXT}"
        )
    if paths["signup"] is None:
        raise LoadError(
            f"{directory}: no signup log (signup.tsv, .csv, .parquet …) with columns "
            + ", ".join(REQUIRED_COLUMNS["signup"])
        )
    # the signup log decides the kind of ids: whole numbers (exact int64), or,
    # if any of its ids is not one, strings in every log, kept as written
    orders = DateOrders(paths, date_order)
    sign, sign_report, id_parts = _read_log(
        paths["signup"], "signup", now_ms, False, False, orders
    )
    string_ids = "user_id is not an integer" in sign_report.bad_reasons
    if string_ids or (strict and sign_report.bad_rows):
        sign, sign_report, id_parts = _read_log(
            paths["signup"], "signup", now_ms, strict, string_ids, orders
        )
    frames = []
    others = []  # named in a missing log's warning, in case one was meant
    if None in paths.values():
        read = {f for p in paths.values() if p for f in log_parts(p) or [p]}
        others = sorted(
            f.name
            for f in directory.iterdir()
            if f.is_file() and f not in read and not f.name.startswith(".")
        )
    for name in EVENT_TYPES:
        if paths[name] is None:
            log.warning(
                "%s: no %s log (%s.tsv, %s.tsv, …); treated as an empty stream%s",
                directory,
                name,
                name,
                PLURALS[name],
                f" (files not read: {', '.join(others)})" if others else "",
            )
            report.missing_logs.append(name)
            continue
        frame, report.files[name], parts = _read_log(
            paths[name], name, now_ms, strict, string_ids, orders
        )
        frames.append((EVENT_TYPES.index(name), frame))
        read, frozen = read_frozen(frame["ts_ms"].to_numpy(np.int64))
        if frozen[0]:  # known to the hour: read so, and two events share one
            report.files[name].frozen = list(frozen)
            report.files[name].ms_clock = False
            frame["ts_ms"] = read
        id_parts += parts
    report.files["signup"] = sign_report
    user_names = None
    if string_ids:
        codes, user_names = encode_strings(id_parts)
        sizes = [len(sign)] + [len(f) for _, f in frames]
        pieces = np.split(codes, np.cumsum(sizes)[:-1])
        sign["user_id"] = pieces[0]
        for (_, frame), piece in zip(frames, pieces[1:], strict=True):
            frame["user_id"] = piece
    dup = sign.duplicated().to_numpy()
    sign_report.duplicates = int(dup.sum())
    sign_report.rows_kept -= sign_report.duplicates
    sign = sign.loc[~dup]

    # one events table sorted by user then time, built column by column (no
    # DataFrame concatenation): memory peaks at about two copies of the events
    user = np.concatenate(
        [f["user_id"].to_numpy(np.int64) for _, f in frames] or [np.zeros(0, np.int64)]
    )
    ts = np.concatenate(
        [f["ts_ms"].to_numpy(np.int64) for _, f in frames] or [np.zeros(0, np.int64)]
    )
    code = np.concatenate(
        [np.full(len(f), k, np.int8) for k, f in frames] or [np.zeros(0, np.int8)]
    )
    del frames
    user, ts, code = sort_events(user, ts, code)
    # rows repeating a user's time in one log are now adjacent: in a log
    # whose clock tells events apart to the ms they are an export's
    # duplicates (the first is kept); on a coarser clock, events
    dup = np.zeros(user.size, dtype=bool)
    if user.size > 1:
        dup[1:] = (np.diff(user) == 0) & (np.diff(ts) == 0) & (np.diff(code) == 0)
    fine = np.array(
        [
            n not in report.files or report.files[n].ms_clock is not False
            for n in EVENT_TYPES
        ]
    )
    repeated = dup & ~fine[code]
    dup &= fine[code]
    dups = np.bincount(code[dup], minlength=len(EVENT_TYPES))
    repeats = np.bincount(code[repeated], minlength=len(EVENT_TYPES))
    for k, name in enumerate(EVENT_TYPES):
        if name in report.files:
            f = report.files[name]
            f.duplicates, f.repeated_times = int(dups[k]), int(repeats[k])
            f.rows_kept -= f.duplicates
    if dup.any():
        user, ts, code = user[~dup], ts[~dup], code[~dup]
    del dup, repeated
    events = pd.DataFrame(
        {
            "user_id": user,
            "event": pd.Categorical.from_codes(code, categories=list(EVENT_TYPES)),
            "ts_ms": ts,
        },
        copy=False,
    )

    sign = sign.sort_values(["user_id", "ts_ms"], kind="stable")
    first = ~sign["user_id"].duplicated()
    report.repeat_signups = int(sign.loc[first.eq(False), "user_id"].nunique())
    signups = pd.DataFrame(
        {
            "user_id": sign.loc[first, "user_id"].to_numpy(np.int64),
            "country_code": sign.loc[first, "country_code"].to_numpy(dtype=object),
            "signup_ms": sign.loc[first, "ts_ms"].to_numpy(np.int64),
        }
    )
    if "time_zone" in sign.columns:
        signups["time_zone"] = sign.loc[first, "time_zone"].to_numpy(dtype=object)
    from features.timeofday import country_codes, resolve_zone

    own = (
        signups["time_zone"].to_numpy(dtype=object).astype(str)
        if "time_zone" in signups.columns
        else np.full(len(signups), "", dtype=object)
    )
    codes, users_per = np.unique(
        signups["country_code"].to_numpy(dtype=object).astype(str)[own == ""],
        return_counts=True,
    )
    report.unknown_countries = {
        str(c): int(k)
        for c, k, code in zip(codes, users_per, country_codes(codes), strict=True)
        if resolve_zone(str(code)) is None
    }
    zones, users_per = np.unique(own[own != ""], return_counts=True)
    report.unknown_zones = {
        str(z): int(k)
        for z, k in zip(zones, users_per, strict=True)
        if resolve_zone(str(z)) is None
    }
    with_events = np.unique(events["user_id"].to_numpy())
    report.users_without_signup = int(
        np.setdiff1d(with_events, signups["user_id"].to_numpy()).size
    )
    if report.users_without_signup:
        log.warning(
            "%d users have events but no signup row", report.users_without_signup
        )
    return Logs(events=events, signups=signups, report=report, user_names=user_names)


def sort_events(
    user: np.ndarray, ts: np.ndarray, code: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Events in (user, time, log) order, each column int64/int64/int8.

    When the ranges of users and times fit, the three columns are packed into
    one int64 key per event — user in the high bits, then time, then log — and
    the keys are sorted as plain integers (several times faster than a
    three-key lexsort on rows in random order), then unpacked. Equal keys are
    identical events, so the sort need not be stable. Otherwise: a lexsort.
    """
    if user.size == 0:
        return user, ts, code
    u0, t0 = int(user.min()), int(ts.min())
    u_span, t_span = int(user.max()) - u0, int(ts.max()) - t0
    t_bits = max(t_span.bit_length(), 1)
    if u_span.bit_length() + t_bits + 2 > 63:
        order = np.lexsort((code, ts, user))
        return user[order], ts[order], code[order]
    key = user - u0
    key <<= t_bits
    key += ts
    key -= t0
    key <<= 2
    key += code
    key.sort()
    code = (key & 3).astype(np.int8)
    key >>= 2
    ts = key & ((1 << t_bits) - 1)
    ts += t0
    key >>= t_bits
    key += u0
    return key, ts, code


def encode_strings(parts: list[pa.Array]) -> tuple[np.ndarray, np.ndarray]:
    """Codes of string values numbered in the sorted order of the values.

    Returns ``(codes, names)``: int64 codes, one per value of the concatenated
    ``parts``, and the distinct values (object array, sorted) so that
    ``names[codes]`` gives the values back. Each part is dictionary-encoded on
    its own, then the parts' dictionaries together: no copy of the whole column.
    """
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, dtype=object)
    encoded = [pc.dictionary_encode(x) for x in parts]
    dicts = pa.chunked_array([e.dictionary for e in encoded], type=pa.string())
    merged = pc.dictionary_encode(dicts.combine_chunks())
    to_global = merged.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    names = np.asarray(merged.dictionary.to_pylist(), dtype=object)
    order = np.argsort(names, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    starts = np.cumsum([0, *(len(e.dictionary) for e in encoded)])
    codes = np.concatenate(
        [
            rank[to_global[start + e.indices.to_numpy(zero_copy_only=False)]]
            for start, e in zip(starts, encoded, strict=False)
        ]
    )
    return codes, names[order]


def load_data(
    path: str | Path,
    *,
    now_ms: int,
    strict: bool = False,
    date_order: str | None = None,
) -> Logs:
    """Read whatever ``path`` holds: a directory of the four marketplace logs, or
    an access log, a web server's or a Squid proxy's, recognised from its
    content (plain or gzip): a file, or a directory of such files read as one
    capture (a rotation's ``access.log``, ``access.log.1``, …; its other files
    are listed in the report as not read); or a ``.zip`` archive of either.
    ``date_order`` is :func:`load_logs`'.

    Raises
    ------
    LoadError
        ``path`` is missing or holds neither kind of log; the message says what
        was expected.
    """
    from features.accesslog import load_access_log, looks_like_access_log

    path = Path(path)
    expected = (
        "expected a directory of signup, call, message and search logs "
        f"({SUFFIXES_TEXT}) or an access log: a web server's in the combined "
        "or common format, or a proxy's in Squid's native format (plain or .gz)"
    )
    if path.is_file() and zipfile.is_zipfile(path):
        return _load_archive(path, now_ms=now_ms, strict=strict, date_order=date_order)
    if path.is_file():
        if looks_like_access_log(path):
            return load_access_log(path, now_ms=now_ms, strict=strict)
        raise LoadError(f"{path}: not an access log; {expected}")
    if not path.is_dir():
        raise LoadError(f"{path}: no such file or directory")
    if any(find_log(path, name) for name in LOGS):
        return load_logs(path, now_ms=now_ms, strict=strict, date_order=date_order)
    files = sorted(
        f for f in path.iterdir() if f.is_file() and not f.name.startswith(".")
    )
    access = [f for f in files if looks_like_access_log(f)]
    if not access:
        raise LoadError(f"{path}: no logs found; {expected}")
    # one capture, however a rotation split it (access.log, access.log.1, …)
    logs = load_access_log(access, now_ms=now_ms, strict=strict)
    logs.report.not_read = [f.name for f in files if f not in access]
    return logs


def archive_folder(names: list[str]) -> str:
    """Where a ``.zip`` archive of an export (its member ``names``) keeps its
    files: at its top (""), or in its one folder (``"export/"``) when that
    folder is all its top holds besides what macOS adds (``__MACOSX/``) and
    hidden files. The logs and ``labels.tsv`` are looked for there alone."""
    tops = {name.split("/", 1)[0] + ("/" if "/" in name else "") for name in names}
    tops = {top for top in tops if not top.startswith(("__", "."))}
    if len(tops) == 1 and (top := tops.pop()).endswith("/"):
        return top
    return ""


def _load_archive(
    path: Path, *, now_ms: int, strict: bool, date_order: str | None
) -> Logs:
    """:func:`load_data` of what a ``.zip`` archive holds (the logs, or one
    folder of them), unpacked into a temporary folder that is removed after
    reading; the report and errors name the files inside the archive as
    ``export.zip/call.tsv``."""
    with tempfile.TemporaryDirectory(prefix="cadence-zip-") as tmp:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(tmp)
            root = Path(tmp) / archive_folder(archive.namelist())
        try:
            logs = load_data(root, now_ms=now_ms, strict=strict, date_order=date_order)
        except (LoadError, BadRowError) as exc:
            raise type(exc)(str(exc).replace(tmp, str(path))) from exc
    for report in logs.report.files.values():
        report.path = report.path.replace(tmp, str(path))
    return logs


#: Verdicts an analyst gives a reviewed user.
VERDICTS: tuple[str, ...] = ("human", "automated")


def load_reviewed(
    path: str | Path, *, integer_ids: bool
) -> tuple[pd.DataFrame, FileReport]:
    """Read an analyst's verdicts: ``user_id``, ``verdict`` (human or automated,
    any case) and an optional ``note``, tab- or comma-separated by extension.

    A row with an empty id, an id that is not an integer (with ``integer_ids``)
    or another verdict is a bad row, counted with its line numbers. A user
    reviewed twice keeps the later verdict (the file grows over time); the
    earlier rows count as duplicates.

    Returns
    -------
    DataFrame indexed by ``user_id`` with ``verdict`` (and ``note``), and the
    file's report.
    """
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{path}: no such verdict file")
    report = FileReport(path=str(path))
    ids, verdicts, notes = [], [], []
    seen = 0
    skipped: list[int] = []
    has_note = has_column(_column_names(path), "note")
    columns = ("user_id", "verdict", "note") if has_note else ("user_id", "verdict")
    first, skip_reason = row_layout(path)
    for batch, skipped in iter_batches(path, columns):

        def lines(idx: np.ndarray, offset: int = seen, skipped=skipped) -> np.ndarray:
            return _line_numbers(offset + idx, skipped, first)

        text = _trimmed(batch.column("user_id"))
        verdict = pc.utf8_lower(_trimmed(batch.column("verdict")))
        blank = _blank_rows(batch)
        _record_bad(report, blank, "blank line", False, lines)
        if integer_ids:
            user, ok = parse_user_ids(batch.column("user_id"))
            problem = "user_id is not an integer"
        else:
            user = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
            ok = user != ""
            problem = "user_id is empty"
        bad_id = ~blank & ~ok
        _record_bad(report, bad_id, problem, False, lines)
        known = np.isin(
            np.asarray(verdict.to_numpy(zero_copy_only=False), dtype=object),
            VERDICTS,
        )
        bad_verdict = ~blank & ~bad_id & ~known
        _record_bad(
            report, bad_verdict, "verdict is not human or automated", False, lines
        )
        keep = ~blank & ~bad_id & ~bad_verdict
        ids.append(user[keep])
        verdicts.append(np.asarray(verdict.to_numpy(zero_copy_only=False))[keep])
        if has_note:
            note = pc.fill_null(pc.cast(batch.column("note"), pa.string()), "")
            notes.append(np.asarray(note.to_numpy(zero_copy_only=False))[keep])
        seen += batch.num_rows
    _record_skipped(report, skipped, seen, skip_reason)
    frame = pd.DataFrame(
        {
            "user_id": np.concatenate(ids) if ids else np.zeros(0, np.int64),
            "verdict": np.concatenate(verdicts) if verdicts else np.zeros(0, object),
        }
    )
    if has_note:
        frame["note"] = np.concatenate(notes) if notes else np.zeros(0, object)
    later = frame["user_id"].duplicated(keep="last").to_numpy()
    report.duplicates = int(later.sum())
    frame = frame.loc[~later]
    report.rows_kept = len(frame)
    return frame.set_index("user_id"), report
