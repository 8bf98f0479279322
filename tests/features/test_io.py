"""Ingestion: every timestamp form, the load report's accounting, clear errors."""

import bz2
import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from features.io import (
    HEAD_TIMES,
    BadRowError,
    DateEvidence,
    LoadError,
    archive_folder,
    date_evidence,
    date_only,
    date_orders,
    keeps_dates,
    load_logs,
    ms_clock,
    parse_timestamps_ms,
    parse_user_ids,
    sort_events,
)

NOW = 1_700_000_000_000  # 2023-11-14T22:13:20Z
T = 1_553_000_000_123  # 2019-03-19T12:53:20.123Z


def write(path: Path, text: str, encoding="utf-8") -> Path:
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def minimal_dir(tmp_path: Path, **logs: str) -> Path:
    base = {
        "signup": (
            "user_id\tcountry_code\tsignup_ts\n1\tIT\t2019-03-02\n2\tGB\t2019-03-03\n"
        ),
        "search": "user_id\tsearch_ts\n1\t2019-03-05 10:00:00.000\n",
        "call": "user_id\tcall_ts\n2\t1551780000000\n",
        "message": "user_id\tmessage_ts\n1\t2019-03-05T10:00:00Z\n",
    }
    base.update(logs)
    for name, text in base.items():
        if text is not None:
            write(tmp_path / f"{name}.tsv", text)
    return tmp_path


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1553000000", 1_553_000_000_000),  # epoch seconds
        ("1553000000.5", 1_553_000_000_500),  # fractional seconds
        ("1553000000123", T),  # epoch ms
        ("1553000000123456", T),  # epoch µs
        ("2019-03-19T12:53:20.123Z", T),
        ("2019-03-19T13:53:20.123+01:00", T),
        ("2019-03-19T07:53:20.123-0500", T),
        ("2019-03-19 12:53:20.123", T),
        ("2019-03-19 12:53:20", T - 123),
        ("2019-03-19", 1_552_953_600_000),
        ("1.553000000123E12", T),  # scientific notation, as some exports write
        ("1.553e9", 1_553_000_000_000),
        ("2019-03-19 12:53:20.123 UTC", T),  # the zone as a word (SQL exports)
        ("2019-03-19T12:53:20 gmt", T - 123),
        ("2019/03/19 12:53:20.123", T),  # slashes
        ("2019/03/19", 1_552_953_600_000),
        ("20190319T125320Z", T - 123),  # ISO basic format
        ("19/Mar/2019:13:53:20 +0100", T - 123),  # web server log
        ("Tue, 19 Mar 2019 12:53:20 GMT", T - 123),  # e-mail, HTTP
        ("19 Mar 2019 07:53:20 -0500", T - 123),
        ("Mar 19, 2019 12:53:20", T - 123),
        ("19 Mar 2019", 1_552_953_600_000),
        ("2019-03-19 12:53:20 Utc", T - 123),  # a zone word in any case
        ("2019-03-19 12:53:20,123", T),  # Java logging: a comma before the ms
        ("2019-03-19T13:53:20,123+01:00", T),
        ("19.03.2019 12:53:20.123", T),  # day first with dots
        ("19.03.2019", 1_552_953_600_000),
        ("9.3.2019 2:53", 1_552_099_980_000),  # numbers not padded
        ("19.03.19 12:53:20", T - 123),  # a year of two digits
        ("9.3.19 2:53", 1_552_099_980_000),
        ("2019-3-19 12:53:20", T - 123),
        ("Tue Mar 19 12:53:20 UTC 2019", T - 123),  # Unix date, Java
        ("Tue Mar 19 13:53:20 +0100 2019", T - 123),
        ("Tue Mar  9 02:53:20 2019", 1_552_100_000_000),  # C's asctime
        ("Feb 29, 2020", 1_582_934_400_000),  # a leap day
        ("2019-03-19 13:53:20.123 +0100 CET", T),  # Go
        ("2019-03-19 12:53:20.123 +0000 UTC m=+0.000123", T),
        ("2019-03-19T13:53:20.123+01:00[Europe/Paris]", T),  # Java, zoned
        ("2019-03-19T12:53:20.123Z[UTC]", T),
        ("Tue Mar 19 2019 13:53:20 GMT+0100 (Central European Time)", T - 123),  # JS
        ("2019-03-19 12:53:20 PM", T - 123),  # a 12-hour clock: noon is 12 PM
        ("19-Mar-2019 12:53:20", T - 123),  # spreadsheets, Oracle
        ("19-MAR-19", 1_552_953_600_000),  # Oracle's DD-MON-RR
        ("29-FEB-20", 1_582_934_400_000),
        ("Mar 19 2019 12:53PM", T - 20_123),  # SQL Server's default
        ("Mar  9 2019  2:53AM", 1_552_099_980_000),
        ("March 19, 2019 12:53:20 PM", T - 123),  # a month's whole name
        ("Tuesday, March 19, 2019 12:53:20 PM", T - 123),  # .NET's long form
        ("Tuesday, March 19, 2019 1:53 AM", T - 39_620_123),  # and without seconds
        ("19 March 2019 12:53", T - 20_123),
        ("20190319 12:53:20", T - 123),  # the date's digits together
        ("2019.03.19 12:53:20", T - 123),  # the year first, with dots
        ("20190319", 1_552_953_600_000),  # a warehouse's date key
        ("2019-03-19 12:53:20.123 PM", T),  # a fraction before AM/PM
        ("Mar 19 2019 12:53:20:123PM", T),  # SQL Server's style 109
        ("19-MAR-19 12.53.20.123000 PM", T),  # Oracle's timestamp
        ("19-Mar-2019 12:53:20.123", T),
        ("Mar 19, 2019 12:53:20.1", T - 23),
        # a zone abbreviation after the time, as Unix date and Java print it
        ("Tue Mar 19 05:53:20 PDT 2019", T - 123),
        ("Tue Mar 19 04:53:20 PST 2019", T - 123),  # PST in its US meaning
        ("2019-03-19 13:53:20.123 CET", T),
        ("2019-03-19 14:53:20.123 CEST", T),
        ("Tue, 19 Mar 2019 07:53:20 EST", T - 123),  # e-mail (RFC 2822)
        ("Tue, 19 Mar 2019 05:53:20 -0700 (PDT)", T - 123),  # and a comment
        ("19 Mar 2019 13:53:20 +0100 (CET)", T - 123),
        ("2019-03-19 05:53:20.123 -0700 (PDT)", T),
        ("2019-03-19T21:53:20,123 JST", T),
        ("2019-03-19 23:23:20 ACDT", T - 123),  # half an hour: +1030
        ("2019-03-19 10:23:20 NDT", T - 123),  # -0230
    ],
)
def test_every_timestamp_form(text, expected):
    assert parse_timestamps_ms(pa.array([text]))[0] == expected


@pytest.mark.parametrize(
    "form",
    [
        "epoch_s",
        "epoch_ms",
        "iso_z",
        "iso_offset",
        "iso_naive",
        "iso_space",
        "date",
        "iso_utc_word",
        "slashes",
        "web_log",
        "http_date",
        "scientific",
        "java_log",
        "dotted",
        "unix_date",
        "go",
        "java_zoned",
        "javascript",
        "unix_date_pacific",
        "abbreviated_sydney",
    ],
)
def test_one_form_columns_parse_as_value_by_value(form):
    # a column of one form takes a fast whole-column path; one bad value sends
    # the same column value by value: both must give the same times
    rng = np.random.default_rng(0)
    ms = T + rng.integers(-(10**10), 10**10, 500)
    ts = pd.to_datetime(ms, unit="ms", utc=True)
    text = {
        "epoch_s": (ms // 1000).astype(str),
        "epoch_ms": ms.astype(str),
        "iso_z": ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "iso_offset": ts.tz_convert("Asia/Kolkata").strftime("%Y-%m-%dT%H:%M:%S.%f%z"),
        "iso_naive": ts.strftime("%Y-%m-%dT%H:%M:%S"),
        "iso_space": ts.strftime("%Y-%m-%d %H:%M:%S.%f"),
        "date": ts.strftime("%Y-%m-%d"),
        "iso_utc_word": ts.strftime("%Y-%m-%d %H:%M:%S.%f UTC"),
        "slashes": ts.strftime("%Y/%m/%d %H:%M:%S"),
        "web_log": ts.tz_convert("America/New_York").strftime("%d/%b/%Y:%H:%M:%S %z"),
        "http_date": ts.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "scientific": np.char.mod("%.12E", ms.astype(np.float64)),
        "java_log": ts.strftime("%Y-%m-%d %H:%M:%S,%f").str.slice(0, 23),
        "dotted": ts.strftime("%d.%m.%Y %H:%M:%S.%f"),
        "unix_date": ts.strftime("%a %b %d %H:%M:%S UTC %Y"),
        "go": ts.tz_convert("Europe/Paris").strftime("%Y-%m-%d %H:%M:%S.%f %z %Z"),
        "java_zoned": ts.tz_convert("Asia/Tokyo").strftime("%Y-%m-%dT%H:%M:%S.%f%z")
        + "[Asia/Tokyo]",
        "javascript": ts.tz_convert("America/New_York").strftime(
            "%a %b %d %Y %H:%M:%S GMT%z (Eastern Time)"
        ),
        # the zone database's abbreviations (PST in winter, PDT in summer)
        "unix_date_pacific": ts.tz_convert("America/Los_Angeles").strftime(
            "%a %b %d %H:%M:%S %Z %Y"
        ),
        "abbreviated_sydney": ts.tz_convert("Australia/Sydney").strftime(
            "%Y-%m-%d %H:%M:%S.%f %Z"
        ),
    }[form]
    values = list(text)
    whole = parse_timestamps_ms(pa.array(values))
    each = parse_timestamps_ms(pa.array([*values, "x"]))
    assert np.isnan(each[-1])
    np.testing.assert_array_equal(whole, each[:-1])
    expected = {
        "epoch_s": ms // 1000 * 1000,
        "iso_naive": ms // 1000 * 1000,
        "date": ms // 86_400_000 * 86_400_000,
        "slashes": ms // 1000 * 1000,
        "web_log": ms // 1000 * 1000,
        "http_date": ms // 1000 * 1000,
        "unix_date": ms // 1000 * 1000,
        "javascript": ms // 1000 * 1000,
        "unix_date_pacific": ms // 1000 * 1000,
    }.get(form, ms)
    np.testing.assert_array_equal(whole, expected)


def test_forms_the_sample_misses_are_still_read():
    # 3,000 values: strptime's forms are ordered by a sample of 1,000 of them,
    # which holds Unix dates and HTTP dates; values of three more forms sit
    # between the sampled places, and each is read as if alone
    rng = np.random.default_rng(5)
    ms = (T + rng.integers(-(10**10), 10**10, 3000)) // 1000 * 1000
    ts = pd.to_datetime(ms, unit="ms", utc=True)
    values = np.where(
        np.arange(3000) % 2 == 0,
        ts.strftime("%a %b %d %H:%M:%S UTC %Y"),
        ts.strftime("%a, %d %b %Y %H:%M:%S GMT"),
    ).astype(object)
    sampled = set(np.linspace(0, 2999, 1000).astype(np.int64))
    odd = [k for k in range(3000) if k not in sampled][:3]
    values[odd] = ["19-Mar-2019 12:53:20", "Mar 19 2019 12:53PM", "19/03/19 12:53"]
    got = parse_timestamps_ms(pa.array(list(values)))
    alone = [parse_timestamps_ms(pa.array([v]))[0] for v in values[odd]]
    assert alone[:2] == [T - 123, T - 20_123] and np.isnan(
        alone[2]
    )  # 19/03/19: no order
    np.testing.assert_array_equal(got[odd], alone)
    rest = np.setdiff1d(np.arange(3000), odd)
    np.testing.assert_array_equal(got[rest], ms[rest])


def test_forms_mixed_in_one_column_keep_milliseconds():
    values = ["1553000000123", "2019-03-19T12:53:20.124Z", "2019-03-19 12:53:20.125"]
    out = parse_timestamps_ms(pa.array(values))
    np.testing.assert_array_equal(out, [T, T + 1, T + 2])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2019-13-45",
        "12:00",
        "1e5x",
        "NaN",
        "03/04/2019",  # 3 April or 4 March: the order cannot be told
        "2019-03-19 12:53:20 IST",  # India, Ireland or Israel: no one zone
        "2019-03-19 12:53:20 XYZ",  # no zone's abbreviation
        "2019-03-19 PDT",  # an abbreviation after a date: no time of day
        "Tue, 19 Foo 2019 12:53:20 GMT",
        "2019/13/45",
        "2019-02-30",  # days a month does not have are not carried over
        "31.04.2019 10:00:00",
        "Fri Feb 29 12:00:00 2019",
        "31/Apr/2019:12:53:20 +0000",
        "2019-03-19 25:00:00",
        "Tue Mar 19 12:53:20 AST 2019",  # the Atlantic or Arabia
        "2019-03-19T12:53:20[Europe/Paris]",
        "29-Feb-2019",
        "Mar 19 2019 13:53PM",
        "x1:00:00.5y",
        "19-Mar-2019 12:53:20.",
    ],
)
def test_unparseable_timestamps_are_nan(text):
    out = parse_timestamps_ms(pa.array([text, "2019-03-19"]))
    assert np.isnan(out[0]) and out[1] == 1_552_953_600_000


def ms(iso: str) -> float:
    """An ISO time (UTC) in ms since the epoch, by numpy."""
    return float(np.datetime64(iso, "ms").astype(np.int64))


@pytest.mark.parametrize(
    "text, order, iso",
    [
        ("19/03/2019 10:00", "dmy", "2019-03-19T10:00"),
        ("03/19/2019 10:00", "mdy", "2019-03-19T10:00"),
        ("03/04/2019", "dmy", "2019-04-03"),
        ("03/04/2019", "mdy", "2019-03-04"),
        ("3/4/2019 1:53:20 PM", "mdy", "2019-03-04T13:53:20"),
        ("12/31/2019 12:00:00 AM", "mdy", "2019-12-31T00:00:00"),
        ("12/31/2019 12:05 pm", "mdy", "2019-12-31T12:05"),
        ("19-03-2019 10:00:00.123", "dmy", "2019-03-19T10:00:00.123"),
        ("9/3/2019 9:05:01.250", "dmy", "2019-03-09T09:05:01.250"),
        (" 19/03/2019 10:00:00 UTC", "dmy", "2019-03-19T10:00"),
        ("19/03/2019T10:00:00+01:00", "dmy", "2019-03-19T09:00"),
        ("3/19/2019 1:53:20.123 PM", "mdy", "2019-03-19T13:53:20.123"),
        ("3/19/19 13:53", "mdy", "2019-03-19T13:53"),  # spreadsheets' export
        ("19/03/19 1:53 PM", "dmy", "2019-03-19T13:53"),
        ("03-04-19", "dmy", "2019-04-03"),
        ("03-04-19", "mdy", "2019-03-04"),
        ("1/2/68 10:00", "dmy", "2068-02-01T10:00"),  # strptime's %y: 00-68
        ("1/2/69 10:00", "dmy", "1969-02-01T10:00"),  # and 69-99
    ],
)
def test_numeric_dates_read_in_the_order_given(text, order, iso):
    assert parse_timestamps_ms(pa.array([text, "2019-03-19"]), order)[0] == ms(iso)
    assert np.isnan(parse_timestamps_ms(pa.array([text]))[0])  # no order: unread


@pytest.mark.parametrize(
    "text, order",
    [
        ("31/02/2019", "dmy"),  # no 31 February
        ("03/19/2019", "dmy"),  # no month 19
        ("19/03/2019", "mdy"),
        ("3/4/2019 13:00 PM", "mdy"),
        ("3/4/201 10:00", "mdy"),  # a year of three digits
        ("3/4/20190", "mdy"),
        ("3/4/19x", "mdy"),
    ],
)
def test_numeric_dates_that_name_no_day_are_nan(text, order):
    assert np.isnan(parse_timestamps_ms(pa.array([text]), order)[0])


@pytest.mark.parametrize("order", ["dmy", "mdy"])
def test_numeric_dates_of_every_spelling_against_numpy(order):
    # 3,000 random times (2000-2030), each written padded or not, with / or
    # -, a year of four digits or two, with or without ms, seconds or a
    # 12-hour clock, in an array sliced off a longer one with nulls (the
    # padded ones are read off the array's bytes)
    rng = np.random.default_rng(7)
    ms_ = rng.integers(946_684_800_000, 1_900_000_000_000, 3000)
    when = pd.to_datetime(ms_, unit="ms")
    first, second = (when.day, when.month) if order == "dmy" else (when.month, when.day)
    spelling = rng.integers(0, 6, ms_.size)
    texts, expected = [], []
    for k, t in enumerate(when):
        a, b = int(first[k]), int(second[k])
        sep = "/-"[k % 2]
        year = f"{t.year % 100:02d}" if k % 3 == 0 else str(t.year)
        date = (
            f"{a:02d}{sep}{b:02d}{sep}{year}"
            if spelling[k] < 3
            else f"{a}{sep}{b}{sep}{year}"
        )
        whole = t.floor("s")
        if spelling[k] in (0, 3):
            texts.append(f"{date} {t:%H:%M:%S}.{t.microsecond // 1000:03d}")
            expected.append(t.floor("ms"))
        elif spelling[k] in (1, 4):
            texts.append(f"{date} {whole.hour % 12 or 12}:{t:%M:%S} {t:%p}")
            expected.append(whole)
        else:
            texts.append(date)
            expected.append(t.floor("D"))
    values = pa.array([None, "x", *texts, None]).slice(2, len(texts))
    got = parse_timestamps_ms(values, order)
    want = pd.DatetimeIndex(expected).as_unit("ms").asi8.astype(float)
    np.testing.assert_array_equal(got, want)
    evidence = date_evidence(values)
    assert evidence.dates == len(texts)
    assert (evidence.day_first, evidence.month_first) == (
        order == "dmy",
        order == "mdy",
    )


def test_date_order_is_dmy_or_mdy(tmp_path):
    with pytest.raises(ValueError, match="date_order: 'ymd'"):
        parse_timestamps_ms(pa.array(["03/04/2019"]), "ymd")
    with pytest.raises(ValueError, match="date_order: 'dm'"):
        load_logs(minimal_dir(tmp_path), now_ms=NOW, date_order="dm")


def test_date_orders_from_each_logs_evidence():
    values = pa.array(["13/01/2019", "2019-01-13", "1/2/2019 10:00", "x", None])
    assert date_evidence(values) == DateEvidence(2, True, False)
    assert date_evidence(pa.array(["01/13/2019"])) == DateEvidence(1, False, True)
    E = DateEvidence
    # each log by its own numbers above 12; mixed ones stay unread; one with
    # none borrows what the others tell together, unless they disagree
    got = date_orders(
        {
            "signup": E(5, True, False),
            "call": E(9),
            "search": E(3, False, True),
            "message": E(2, True, True),
        }
    )
    assert got == {"signup": "dmy", "call": None, "search": "mdy", "message": None}
    got = date_orders({"signup": E(5, True, False), "call": E(9), "search": E()})
    assert got == {"signup": "dmy", "call": "dmy", "search": "dmy"}
    assert date_orders({"call": E(9)}) == {"call": None}
    # the user's order decides every log
    forced = date_orders({"signup": E(5, True, False), "call": E(9)}, "mdy")
    assert forced == {"signup": "mdy", "call": "mdy"}


def test_numeric_dates_read_in_the_order_their_logs_tell(numeric_dates_dirs):
    epoch, numeric = numeric_dates_dirs
    want = load_logs(epoch, now_ms=NOW)
    got = load_logs(numeric, now_ms=NOW)
    # the same instants, the message log (days 1–12 only) by the others' order
    assert got.report.bad_rows == 0
    pd.testing.assert_frame_equal(got.events, want.events)
    pd.testing.assert_frame_equal(got.signups, want.signups)
    assert {f.date_order for f in got.report.files.values()} == {"dmy"}
    text = "\n".join(got.report.summary_lines())
    assert text.count("numeric dates read with the day first (03/04/2019 is 3") == 4
    # told the wrong order, the calls on a day above 12 are bad rows; the
    # rest are read as the month first
    wrong = load_logs(numeric, now_ms=NOW, date_order="mdy")
    calls = want.events.loc[want.events["event"] == "call", "ts_ms"]
    day = pd.to_datetime(calls, unit="ms").dt.day
    call = wrong.report.files["call"]
    assert call.bad_rows == int((day > 12).sum()) > 0
    assert call.rows_kept == int((day <= 12).sum()) and call.date_order == "mdy"


def test_numeric_dates_no_log_can_order(tmp_path):
    search = "user_id\tsearch_ts\n1\t03/04/2019 10:00\n1\t05/04/2019 10:00:30\n"
    data = minimal_dir(tmp_path, search=search)
    logs = load_logs(data, now_ms=NOW)
    f = logs.report.files["search"]
    assert f.bad_rows == 2 and f.date_order == "unclear"
    text = "\n".join(logs.report.summary_lines())
    assert "no number above 12 in any log's dates tells whether the day" in text
    assert "give the order with --date-order dmy or mdy" in text
    with pytest.raises(BadRowError, match=r"line 2: .*'03/04/2019 10:00'; no num"):
        load_logs(data, now_ms=NOW, strict=True)
    for order, isos in (
        ("dmy", ["2019-04-03T10:00", "2019-04-05T10:00:30"]),
        ("mdy", ["2019-03-04T10:00", "2019-05-04T10:00:30"]),
    ):
        logs = load_logs(data, now_ms=NOW, date_order=order)
        events = logs.events[logs.events["event"] == "search"]
        assert events["ts_ms"].tolist() == [ms(iso) for iso in isos]
        assert logs.report.files["search"].date_order == order


def test_numeric_dates_a_log_mixes_or_borrows(tmp_path):
    # the signup log tells the month first; search's 03/04 borrows it; the
    # call log puts numbers above 12 first and second: its dates stay unread
    signup = "user_id\tcountry_code\tsignup_ts\n1\tIT\t03/19/2019\n2\tGB\t03/02/2019\n"
    search = "user_id\tsearch_ts\n1\t03/04/2019 10:00\n"
    call = (
        "user_id\tcall_ts\n2\t13/03/2019 10:00\n2\t03/13/2019 10:00\n2\t1551780000000\n"
    )
    data = minimal_dir(tmp_path, signup=signup, search=search, call=call)
    logs = load_logs(data, now_ms=NOW)
    files = logs.report.files
    assert [files[n].date_order for n in ("signup", "search", "call")] == [
        "mdy",
        "mdy",
        "mixed",
    ]
    assert files["call"].bad_rows == 2 and files["call"].rows_kept == 1
    assert logs.signups["signup_ms"].tolist() == [ms("2019-03-19"), ms("2019-03-02")]
    events = logs.events.set_index("event")["ts_ms"]
    assert events["search"] == ms("2019-03-04T10:00")
    text = "\n".join(logs.report.summary_lines())
    assert "numbers above 12 stand first in some of this log's dates" in text
    # the other logs disagree: a log with nothing of its own to tell stays unread
    call = "user_id\tcall_ts\n2\t13/03/2019 10:00\n"
    data = minimal_dir(tmp_path, signup=signup, search=search, call=call)
    logs = load_logs(data, now_ms=NOW)
    assert logs.report.files["search"].date_order == "disagree"
    assert "the other logs' tell both" in "\n".join(logs.report.summary_lines())


def test_zone_abbreviations_read_as_their_offsets(tmp_path):
    # a year of times written by the zone database in two zones, winter and
    # summer: Unix date in Los Angeles (PST, PDT), ISO with the abbreviation
    # in Paris (CET, CEST); every row is read back as the instant it was
    rng = np.random.default_rng(3)
    at = np.sort(rng.integers(ms("2019-01-01"), ms("2020-01-01"), 2000)) // 1000 * 1000
    stamps = pd.to_datetime(at, unit="ms", utc=True)
    pacific = stamps.tz_convert("America/Los_Angeles").strftime(
        "%a %b %d %H:%M:%S %Z %Y"
    )
    paris = stamps.tz_convert("Europe/Paris").strftime("%Y-%m-%d %H:%M:%S %Z")
    search = "user_id\tsearch_ts\n" + "".join(f"1\t{t}\n" for t in pacific)
    call = "user_id\tcall_ts\n" + "".join(f"2\t{t}\n" for t in paris)
    logs = load_logs(minimal_dir(tmp_path, search=search, call=call), now_ms=NOW)
    assert logs.report.bad_rows == 0
    for log in ("search", "call"):
        got = logs.events.loc[logs.events["event"] == log, "ts_ms"]
        np.testing.assert_array_equal(np.sort(got.to_numpy()), at)
    files = logs.report.files
    assert files["search"].zone_abbreviations == {"PST": "-0800", "PDT": "-0700"}
    assert files["call"].zone_abbreviations == {"CET": "+0100", "CEST": "+0200"}
    assert files["message"].zone_abbreviations == {}
    text = "\n".join(logs.report.summary_lines())
    assert (
        "zone abbreviations read as offsets: PST -0800, PDT -0700 (PST is also" in text
    )
    assert "read as offsets: CET +0100, CEST +0200\n" in text
    # an abbreviation several zones share and none is read as: a bad row
    search = "user_id\tsearch_ts\n1\t2019-03-05 10:00:00 IST\n"
    f = load_logs(minimal_dir(tmp_path, search=search), now_ms=NOW).report.files
    assert f["search"].bad_reasons == {"search_ts is not a timestamp": 1}
    assert not f["search"].zone_abbreviations  # no time read: none told


def test_a_stray_numeric_date_is_an_error_unless_an_order_is_given(tmp_path):
    # 1,200 ISO times, then a day and a month in numbers: no log begins with
    # such dates, so it is taken for an error (the logs are not read again)
    rows = "".join(
        f"1\t2019-03-05 10:{k // 60:02d}:{k % 60:02d}\n" for k in range(1200)
    )
    search = "user_id\tsearch_ts\n" + rows + "1\t25/03/2019 10:00\n"
    data = minimal_dir(tmp_path, search=search)
    f = load_logs(data, now_ms=NOW).report.files["search"]
    assert f.bad_rows == 1 and f.bad_lines == {"search_ts is not a timestamp": [1202]}
    assert f.date_order == "stray"
    assert "no log begins with dates so written" in f.reason_line(
        "search_ts is not a timestamp"
    )
    logs = load_logs(data, now_ms=NOW, date_order="dmy")
    assert logs.report.bad_rows == 0
    assert ms("2019-03-25T10:00") in logs.events["ts_ms"].tolist()
    # a log that begins with them has the logs read for their order, and the
    # other log's late one is read in it
    call = "user_id\tcall_ts\n2\t13/03/2019 10:00\n"
    logs = load_logs(minimal_dir(tmp_path, search=search, call=call), now_ms=NOW)
    assert logs.report.bad_rows == 0
    assert logs.report.files["search"].date_order == "dmy"


def test_a_headerless_log_of_numeric_dates(tmp_path):
    # its first line has a time, though no order is known yet: a row
    call = "2\t13/03/2019 10:00\n2\t14/03/2019 11:30\n"
    logs = load_logs(minimal_dir(tmp_path, call=call), now_ms=NOW)
    calls = logs.events.loc[logs.events["event"] == "call", "ts_ms"].tolist()
    assert calls == [ms("2019-03-13T10:00"), ms("2019-03-14T11:30")]
    assert logs.report.files["call"].rows_read == 2


@pytest.mark.parametrize("user_high", [10_030_000, 2**62])
def test_sort_events_matches_a_three_key_lexsort(user_high):
    # small id ranges take the packed-key sort, huge ones the lexsort
    rng = np.random.default_rng(1)
    n = 20_000
    user = rng.integers(10_000_000, user_high, n)
    user[: n // 2] = user[n // 2 :]  # repeated users
    ts = rng.integers(T, T + 10**9, n)
    ts[:100] = ts[100:200]
    user[:100] = user[100:200]  # and exact duplicates
    code = rng.integers(0, 3, n).astype(np.int8)
    order = np.lexsort((code, ts, user))
    got = sort_events(user.copy(), ts.copy(), code.copy())
    for a, b in zip(got, (user[order], ts[order], code[order]), strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype


def test_user_ids():
    ids, ok = parse_user_ids(pa.array(["12", " 7 ", "x", "1.5", "", "-3", "+4"]))
    np.testing.assert_array_equal(ok, [1, 1, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(ids[ok], [12, 7, -3, 4])
    # whole numbers written as floats (pandas, for a column with a gap)
    ids, ok = parse_user_ids(pa.array(["12.0", "7.00", "-3.", "1.50", "1e3", ".0"]))
    np.testing.assert_array_equal(ok, [1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(ids[ok], [12, 7, -3])


def test_ids_written_as_floats_meet_the_same_users(tmp_path):
    d = minimal_dir(
        tmp_path,
        signup="user_id\tcountry_code\tsignup_ts\n1.0\tIT\t2019-03-02\n"
        "2.0\tGB\t2019-03-03\n",
        call="user_id\tcall_ts\n2\t1551780000000\n2.0\t1551780000001\n",
    )
    logs = load_logs(d, now_ms=NOW)
    assert logs.user_names is None and logs.report.bad_rows == 0
    assert list(logs.signups["user_id"]) == [1, 2]
    assert logs.report.users_without_signup == 0
    assert list(logs.events.loc[logs.events["event"] == "call", "user_id"]) == [2, 2]


def test_64_bit_user_ids_stay_exact():
    big = ["1234567890123456789", "1234567890123456788", "9223372036854775807"]
    ids, ok = parse_user_ids(pa.array(big))
    assert ok.all() and ids.tolist() == [int(v) for v in big]
    # mixed with a bad value (the value-by-value path), and one beyond int64
    ids, ok = parse_user_ids(pa.array([*big, "x", "9223372036854775808"]))
    assert ok.tolist() == [True, True, True, False, False]
    assert ids[:3].tolist() == [int(v) for v in big]


def test_clean_directory_loads_everything(tmp_path):
    logs = load_logs(minimal_dir(tmp_path), now_ms=NOW)
    assert len(logs.events) == 3
    assert list(logs.signups["country_code"]) == ["IT", "GB"]
    r = logs.report
    assert (r.rows_read, r.rows_kept, r.duplicates, r.bad_rows) == (5, 5, 0, 0)
    ev = logs.events
    msg = ev[ev["event"] == "message"]["ts_ms"].iloc[0]
    assert msg == 1_551_780_000_000  # 2019-03-05T10:00:00Z


def test_a_repeated_time_is_a_duplicate_only_on_a_clock_of_ms(tmp_path):
    # search: whole minutes, user 1 twice at 10:00 and user 2 three times at
    # 10:01 (four rows repeat a time), one row read ms-exact: kept as events;
    # call: ms, one row written twice (another form): a duplicate
    search = (
        "user_id\tsearch_ts\n1\t2019-03-05 10:00\n1\t2019-03-05 10:00\n"
        "2\t2019-03-05 10:01\n2\t2019-03-05 10:01\n2\t2019-03-05 10:01\n"
        "1\t2019-03-05 10:02:00.500\n"
    )
    call = "user_id\tcall_ts\n2\t1551780000250\n2\t2019-03-05T10:00:00.250Z\n"
    call += "2\t1551780000750\n"
    logs = load_logs(minimal_dir(tmp_path, search=search, call=call), now_ms=NOW)
    files = logs.report.files
    assert not files["search"].ms_clock and files["call"].ms_clock
    assert (files["search"].rows_kept, files["search"].duplicates) == (6, 0)
    assert files["search"].repeated_times == 3  # the rows after each first
    assert (files["call"].rows_kept, files["call"].duplicates) == (2, 1)
    ev = logs.events
    assert (ev["event"] == "search").sum() == 6 and (ev["event"] == "call").sum() == 2
    text = "\n".join(logs.report.summary_lines())
    assert "3 rows repeat a time of their user, kept as events" in text
    for f in files.values():
        assert f.rows_read == f.rows_kept + f.duplicates + f.bad_rows


def test_a_date_alone_in_a_log_of_times_is_a_bad_row(tmp_path):
    # search: times of day, two rows written as dates (a bad row each, not an
    # event at midnight); midnight written with a clock, or as epoch ms, is a
    # time; message: a log of dates keeps its dates
    search = (
        "user_id\tsearch_ts\n1\t2019-03-05 10:00:00.250\n1\t2019-03-06\n"
        "1\t2019-03-06T00:00:00Z\n2\t1551830400000\n2\t2019-03-07 09:00:00.5\n"
        "2\t07/03/2019\n"
    )
    message = "user_id\tmessage_ts\n1\t2019-03-05\n1\t2019-03-06\n2\t2019-03-05\n"
    d = minimal_dir(tmp_path, search=search, message=message)
    logs = load_logs(d, now_ms=NOW, date_order="dmy")
    files = logs.report.files
    reason = "search_ts is a date without a time of day"
    assert files["search"].bad_lines == {reason: [3, 7]}
    assert files["search"].bad_values[reason] == "2019-03-06"
    assert files["search"].rows_kept == 4 and files["search"].dates is False
    assert files["message"].rows_kept == 3 and files["message"].dates is True
    searches = logs.events.loc[logs.events["event"] == "search", "ts_ms"]
    assert sorted(searches) == [
        1_551_780_000_250,
        1_551_830_400_000,  # 2019-03-06T00:00:00Z
        1_551_830_400_000,  # the same instant as epoch ms (user 2)
        1_551_949_200_500,
    ]
    with pytest.raises(BadRowError, match=f"line 3: {reason}: '2019-03-06'"):
        load_logs(d, now_ms=NOW, date_order="dmy", strict=True)


def test_date_only_by_hand():
    midnight = 1_552_953_600_000.0  # 2019-03-19T00:00:00Z
    text = pa.array(
        [
            "2019-03-19",
            " 19/03/2019 ",
            "Mar 19, 2019",
            "20190319",  # a date key
            "2019-03-19T00:00:00Z",  # a clock
            "20190319T000000Z",
            "1552953600000",  # epoch numbers may be a coarse clock's midnight
            "1.5529536E12",
            "2019-03-19 00:00:00.001",
        ]
    )
    ts = np.full(len(text), midnight)
    ts[-1] += 1
    got = date_only(ts, text)
    assert got.tolist() == [True] * 4 + [False] * 5
    # a log is written in dates when at least half of its first times are
    assert keeps_dates(ts[:8], text.slice(0, 8))  # 4 of 8: a tie keeps them
    more = pa.concat_arrays([text, text.slice(4)])  # 4 of 14
    assert not keeps_dates(np.r_[ts, ts[4:]], more)
    assert keeps_dates(np.full(3, np.nan), text.slice(0, 3))  # nothing read


def test_ms_clock_by_hand():
    nan = float("nan")
    assert ms_clock(np.array([1_000.0, 2_500.0, 3_250.0, nan]))  # 2 of 3 with ms
    assert not ms_clock(np.array([1_000.0, 2_000.0, 3_500.0]))  # 1 of 3
    assert not ms_clock(np.array([60_000.0, 120_000.0]))  # whole minutes
    assert ms_clock(np.array([nan]))  # nothing read: duplicates as before
    # only the first HEAD_TIMES times read count
    head = np.r_[np.full(HEAD_TIMES, 7_000.0), np.full(5 * HEAD_TIMES, 7_001.0)]
    assert not ms_clock(head)


def test_a_whole_minute_export_keeps_every_event(tmp_path):
    """The hard world on a clock of whole minutes, written and read back:
    every event the simulator made is there (many share a user's minute) and
    the features are those of the simulator's own events."""
    from cadence.simulate import simulate, world_config, write_logs
    from features.build import build_features

    sim = simulate(world_config("hard_minutes", users=3000, seed=4))
    write_logs(sim, tmp_path)
    logs = load_logs(tmp_path, now_ms=NOW)
    assert logs.report.duplicates == 0 and logs.report.bad_rows == 0
    assert len(logs.events) == len(sim.events)
    repeats = sum(f.repeated_times for f in logs.report.files.values())
    assert repeats > 0.1 * len(sim.events)  # what the old rule dropped
    pd.testing.assert_frame_equal(
        build_features(logs.events, logs.signups),
        build_features(sim.events, sim.signups),
        check_dtype=False,
    )


def test_duplicates_and_bad_rows_are_counted_with_lines(tmp_path):
    search = (
        "user_id\tsearch_ts\n"
        "1\t2019-03-05 10:00:00.250\n"  # line 2 (a clock of ms: see ms_clock)
        "1\t2019-03-05 10:00:00.250\n"  # 3: exact duplicate
        "1\t1551780000250\n"  # 4: same instant, another form: duplicate after parsing
        "x\t2019-03-05 10:00:01.5\n"  # 5: bad user id
        "1\t03/05/2019 10:00\n"  # 6: bad timestamp (day and month in either order)
        "1\t1999-12-31\n"  # 7: before 2000
        "1\t2030-01-01\n"  # 8: after now
        "1\t2019-03-05 10:00:02\textra\n"  # 9: wrong number of fields
        "\n"  # 10: blank line
        "2\t2019-03-05 10:00:03.125\n"  # 11: fine
    )
    logs = load_logs(minimal_dir(tmp_path, search=search), now_ms=NOW)
    f = logs.report.files["search"]
    assert f.rows_read == 10
    assert f.rows_kept == 2 and f.duplicates == 2 and f.bad_rows == 6
    assert f.ms_clock and f.repeated_times == 0
    assert f.rows_read == f.rows_kept + f.duplicates + f.bad_rows
    assert f.bad_lines["user_id is not an integer"] == [5]
    assert f.bad_lines["search_ts is not a timestamp"] == [6]
    assert f.bad_lines["search_ts before 2000-01-01"] == [7]
    assert f.bad_lines["search_ts after now"] == [8]
    assert f.bad_lines["wrong number of fields"] == [9]
    assert f.bad_lines["blank line"] == [10]
    # each reason about a value shows the first value it excluded
    assert f.bad_values == {
        "user_id is not an integer": "x",
        "search_ts is not a timestamp": "03/05/2019 10:00",
        "search_ts before 2000-01-01": "1999-12-31",
        "search_ts after now": "2030-01-01",
    }
    text = "\n".join(logs.report.summary_lines())
    assert "search_ts after now (first lines: 8; the first: '2030-01-01')" in text
    assert str(tmp_path / "search.tsv") in text
    # a day and a month in numbers, neither above 12: a word on what to do
    assert "'03/05/2019 10:00') in" in text
    assert "give the order with --date-order dmy or mdy" in text
    strict = "user_id\tsearch_ts\n1\t2019-03-05\nx\t2019-03-05 10:00:01\n"
    with pytest.raises(BadRowError, match=r"line 3: user_id is not an integer: 'x'"):
        load_logs(minimal_dir(tmp_path, search=strict), now_ms=NOW, strict=True)
    assert "--now" not in text  # one late row: no word about the clock


def test_logs_mostly_after_now_suggest_setting_the_present(tmp_path):
    # data from a clock ahead of this one: every row after now, and the
    # report says what to do rather than only counting
    logs = load_logs(minimal_dir(tmp_path), now_ms=1_500_000_000_000)  # 2017
    r = logs.report
    assert r.rows_kept == 0 and r.bad_rows == r.rows_read == 5
    assert r.summary_lines()[-1] == (
        "5 of 5 rows are after now: if the logs' clock runs ahead of this "
        "machine's, give the present with --now"
    )


def test_a_repeated_header_line_is_counted_and_keeps_whole_number_ids(tmp_path):
    # two exports joined end to end: the second's header is a row of the first
    d = minimal_dir(
        tmp_path,
        signup=(
            "user_id\tcountry_code\tsignup_ts\n1\tIT\t2019-03-02\n"
            "USER_ID\tCOUNTRY_CODE\tSIGNUP_TS\n2\tGB\t2019-03-03\n"
        ),
        call="user_id\tcall_ts\n2\t1551780000000\nuser_id\tcall_ts\n2\t1551780009000\n",
    )
    logs = load_logs(d, now_ms=NOW)
    assert logs.user_names is None  # the ids are whole numbers still
    assert list(logs.signups["user_id"]) == [1, 2]
    for name, line in (("signup", 3), ("call", 3)):
        f = logs.report.files[name]
        assert f.bad_lines == {"a repeated header line": [line]}
        assert f.rows_read == f.rows_kept + f.bad_rows == 3
    calls = logs.events[logs.events["event"] == "call"]
    assert list(calls["ts_ms"]) == [1_551_780_000_000, 1_551_780_009_000]


def test_strict_raises_on_first_bad_row_naming_file_and_line(tmp_path):
    search = "user_id\tsearch_ts\n1\t2019-03-05\n1\tbroken\n"
    with pytest.raises(BadRowError, match=r"search\.tsv: line 3: search_ts"):
        load_logs(minimal_dir(tmp_path, search=search), now_ms=NOW, strict=True)


def test_formats_gz_bz2_zst_csv_parquet_give_the_same_events(tmp_path):
    src, other = tmp_path / "a", tmp_path / "b"
    src.mkdir()
    other.mkdir()
    ref = load_logs(minimal_dir(src), now_ms=NOW)
    # search as gzip tsv, call as bzip2 csv, message as parquet, signup as zstd csv
    with gzip.open(other / "search.tsv.gz", "wt") as fh:
        fh.write((src / "search.tsv").read_text())
    with bz2.open(other / "call.csv.bz2", "wt") as fh:
        fh.write((src / "call.tsv").read_text().replace("\t", ","))
    pd.read_csv(src / "message.tsv", sep="\t", dtype=str).to_parquet(
        other / "message.parquet"
    )
    with pa.output_stream(str(other / "signup.csv.zst"), compression="zstd") as fh:
        fh.write((src / "signup.tsv").read_text().replace("\t", ",").encode())
    got = load_logs(other, now_ms=NOW)
    pd.testing.assert_frame_equal(got.events, ref.events)
    pd.testing.assert_frame_equal(got.signups, ref.signups)


def _as_json_lines(tsv: str, rename=None) -> str:
    """A TSV log as JSON Lines: numbers as numbers, other values as strings."""
    head, *rows = tsv.strip("\n").split("\n")
    keys = [(rename or {}).get(k, k) for k in head.split("\t")]
    out = []
    for row in rows:
        obj = {}
        for k, v in zip(keys, row.split("\t"), strict=True):
            obj[k] = int(v) if v.isdigit() else v
        out.append(json.dumps(obj))
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("block", [1 << 26, 64])
def test_json_lines_logs_give_the_same_events(tmp_path, monkeypatch, block):
    # as data warehouses export: one object per line, numbers or strings, keys
    # in any spelling, other keys (nested too) ignored; small blocks cut the
    # file between lines many times
    import features.io as fio

    monkeypatch.setattr(fio, "JSON_BLOCK_BYTES", block)
    src, other = tmp_path / "a", tmp_path / "b"
    src.mkdir()
    other.mkdir()
    ref = load_logs(minimal_dir(src), now_ms=NOW)
    signup = _as_json_lines((src / "signup.tsv").read_text(), {"user_id": "userId"})
    signup = signup.replace("}\n", ', "device": {"os": "ios"}}\n')
    write(other / "signups.jsonl", signup)
    write(other / "call.ndjson", _as_json_lines((src / "call.tsv").read_text()))
    with gzip.open(other / "search.json.gz", "wt") as fh:
        fh.write(_as_json_lines((src / "search.tsv").read_text()))
    message = _as_json_lines((src / "message.tsv").read_text())
    write(other / "message.json", '{"user_id": "1", "message_ts": 1551790000000}\n')
    (other / "message.json").write_text((other / "message.json").read_text() + message)
    got = load_logs(other, now_ms=NOW)

    def rows(events: pd.DataFrame) -> list[tuple]:
        return sorted(events.astype({"event": str}).itertuples(index=False))

    extra = pd.DataFrame({"user_id": [1], "event": "message", "ts_ms": 1551790000000})
    assert rows(got.events) == rows(pd.concat([ref.events, extra]))
    pd.testing.assert_frame_equal(got.signups, ref.signups)
    assert got.report.bad_rows == 0


def test_json_lines_bad_lines_are_counted_with_their_line_numbers(tmp_path):
    call = (
        '{"user_id": 2, "call_ts": 1551780000000}\n'  # line 1
        '{"user_id": 2, "call_ts": \n'  # 2: cut short
        "\n"  # 3: blank
        "[2, 1551780000001]\n"  # 4: an array, not an object
        '{"user_id": 2}\n'  # 5: no time
        '{"user_id": "x", "call_ts": "2019-03-05"}\n'  # 6: no integer id
        '{"user_id": 2, "call_ts": "2019-03-05T11:00:00Z"}'  # 7: no newline at the end
    )
    d = minimal_dir(tmp_path, call=None)
    write(d / "call.jsonl", call)
    report = load_logs(d, now_ms=NOW).report.files["call"]
    assert report.rows_read == 7 and report.rows_kept == 2
    assert report.bad_lines == {
        "not a JSON object": [2, 4],
        "blank line": [3],
        "call_ts is not a timestamp": [5],
        "user_id is not an integer": [6],
    }
    with pytest.raises(BadRowError, match=r"call\.jsonl: line 2: not a JSON object"):
        load_logs(d, now_ms=NOW, strict=True)


def test_json_lines_keys_come_from_every_object_and_empty_is_empty(tmp_path):
    # an exporter leaves a null key out: the second user's own zone still counts
    signup = (
        '{"user_id": 1, "country_code": "IT", "signup_ts": "2019-03-02"}\n'
        '{"user_id": 2, "country_code": "GB", "signup_ts": "2019-03-03", '
        '"time_zone": "Asia/Tokyo"}\n'
    )
    d = minimal_dir(tmp_path, signup=None, message=None)
    write(d / "signup.jsonl", signup)
    write(d / "message.jsonl", "")
    logs = load_logs(d, now_ms=NOW)
    assert list(logs.signups["time_zone"]) == ["", "Asia/Tokyo"]
    message = logs.report.files["message"]
    assert message.rows_read == 0 and message.bad_rows == 0


def test_a_json_array_is_named_as_such(tmp_path):
    d = minimal_dir(tmp_path, call=None)
    write(d / "call.json", '[{"user_id": 2, "call_ts": 1551780000000}]\n')
    with pytest.raises(LoadError, match=r"call\.json: .*JSON array.*JSON Lines"):
        load_logs(d, now_ms=NOW)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_and_txt_logs_give_the_same_events(tmp_path, encoding):
    # what Windows tools save as "Unicode" text: UTF-16 with a byte-order mark,
    # tab-separated, CRLF; a bad row keeps its line number
    src, other = tmp_path / "a", tmp_path / "b"
    src.mkdir()
    other.mkdir()
    ref = load_logs(minimal_dir(src), now_ms=NOW)
    bom = "\ufeff" if encoding == "utf-16-be" else ""  # utf-16 writes its own
    for name in ("signup", "call", "message"):
        text = (src / f"{name}.tsv").read_text().replace("\n", "\r\n")
        write(other / f"{name}s.txt", bom + text, encoding)
    search = (src / "search.tsv").read_text() + "1\tnot a time\n"
    with gzip.open(other / "search.txt.gz", "wb") as fh:
        fh.write((bom + search).encode(encoding))
    got = load_logs(other, now_ms=NOW)
    pd.testing.assert_frame_equal(got.events, ref.events)
    pd.testing.assert_frame_equal(got.signups, ref.signups)
    assert got.report.files["search"].bad_lines == {"search_ts is not a timestamp": [3]}


def test_bom_crlf_and_latin1_bytes(tmp_path):
    search = "\ufeffuser_id\tsearch_ts\r\n1\t2019-03-05 10:00:00\r\n2\t2019-03-05\r\n"
    d = minimal_dir(tmp_path, search=search)
    write(
        d / "call.tsv", b"user_id\tcall_ts\n2\t1551780000000\n\xff\xfe\t1551780000001\n"
    )
    logs = load_logs(d, now_ms=NOW)
    assert logs.report.files["search"].rows_kept == 2
    call = logs.report.files["call"]
    assert call.rows_kept == 1 and call.bad_rows == 1


def test_missing_event_log_is_an_empty_stream(tmp_path, caplog):
    write(tmp_path / "msgs.tsv", "user_id\tmessage_ts\n1\t2019-03-05\n")
    logs = load_logs(minimal_dir(tmp_path, message=None), now_ms=NOW)
    assert logs.report.missing_logs == ["message"]
    assert (logs.events["event"] == "message").sum() == 0
    # the warning names the file left unread, in case it was meant
    assert "no message log" in caplog.text and "files not read: msgs.tsv" in caplog.text


def test_logs_named_in_the_plural_are_the_same_logs(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "many").mkdir()
    singular, plural = minimal_dir(tmp_path / "one"), tmp_path / "many"
    for f in singular.iterdir():
        name = {"search": "searches"}.get(f.stem, f.stem + "s")
        (plural / f"{name}{f.suffix}").write_bytes(f.read_bytes())
    assert sorted(p.name for p in plural.iterdir()) == [
        "calls.tsv",
        "messages.tsv",
        "searches.tsv",
        "signups.tsv",
    ]
    a, b = load_logs(singular, now_ms=NOW), load_logs(plural, now_ms=NOW)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.signups, b.signups)
    # one log in two files is an error, not a choice
    write(plural / "call.tsv", "user_id\tcall_ts\n")
    with pytest.raises(LoadError, match="more than one file for the call log"):
        load_logs(plural, now_ms=NOW)


def _ten_calls_then_a_bad_one(tmp_path: Path) -> tuple[Path, str, list[str]]:
    """A data folder whose call log holds ten calls, then a row with no time;
    that log's header line and rows."""
    (tmp_path / "one").mkdir()
    one = minimal_dir(
        tmp_path / "one",
        call="user_id\tcall_ts\n"
        + "".join(f"2\t155178{k:04d}000\n" for k in range(10))
        + "2\tnot a time\n",
    )
    head, *rows = (one / "call.tsv").read_text().splitlines(keepends=True)
    return one, head, rows


def _write_csv_gz(path: Path, head: str, rows: list[str]) -> None:
    with gzip.open(path, "wt") as fh:
        fh.write((head + "".join(rows)).replace("\t", ","))


def test_logs_without_a_header_line_take_the_documented_order(tmp_path):
    (tmp_path / "one").mkdir()
    one = minimal_dir(tmp_path / "one")
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("signup", "search", "message"):
        lines = (one / f"{name}.tsv").read_text().splitlines(keepends=True)
        write(bare / f"{name}.tsv", "".join(lines[1:]))
    # a spreadsheet's ';' without a header, a bad time on line 2
    write(bare / "call.csv", "2;1551780000000\n2;soon\n")
    a, b = load_logs(one, now_ms=NOW), load_logs(bare, now_ms=NOW)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.signups, b.signups)
    assert b.report.files["call"].bad_lines == {"call_ts is not a timestamp": [2]}
    # a first row with more fields than the log has columns: name them
    write(bare / "call.csv", "2;1551780000000;ios;x\n")
    with pytest.raises(LoadError, match=r"call\.csv: the first line is a row.*4"):
        load_logs(bare, now_ms=NOW)


def test_a_log_written_as_a_folder_of_parts_reads_as_one_file(tmp_path):
    # as Spark and data warehouses write a large table: call.csv/part-*.csv.gz
    # beside _SUCCESS and checksums; Hive-style day=… folders of parquet; a
    # folder named in the plural
    one, head, rows = _ten_calls_then_a_bad_one(tmp_path)
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "signup.tsv").write_bytes((one / "signup.tsv").read_bytes())
    call = parts / "call.csv"
    call.mkdir()
    for k, chunk in enumerate((rows[:4], rows[4:])):
        _write_csv_gz(call / f"part-0000{k}-a1b2-c000.csv.gz", head, chunk)
    write(call / "_SUCCESS", "")
    write(call / ".part-00000-a1b2-c000.csv.gz.crc", "not a log")
    search = pd.read_csv(one / "search.tsv", sep="\t", dtype=str)
    (parts / "search" / "day=2019-03-05").mkdir(parents=True)
    search.to_parquet(parts / "search" / "day=2019-03-05" / "part-0.parquet")
    (parts / "messages").mkdir()
    (parts / "messages" / "0.tsv").write_bytes((one / "message.tsv").read_bytes())
    a, b = load_logs(one, now_ms=NOW), load_logs(parts, now_ms=NOW)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.signups, b.signups)
    report = b.report.files["call"]
    assert report.path == str(call) and report.rows_read == 11
    # the bad line is named by its part: header, six rows, then the bad one
    assert report.bad_lines == {
        "call_ts is not a timestamp": ["part-00001-a1b2-c000.csv.gz:8"]
    }


def test_a_log_exported_in_numbered_shards_reads_as_one_file(tmp_path):
    # BigQuery names a large export's shards call-000000000000.csv.gz, …
    one, head, rows = _ten_calls_then_a_bad_one(tmp_path)
    shards = tmp_path / "shards"
    shards.mkdir()
    for name in ("signup", "search", "message"):
        (shards / f"{name}.tsv").write_bytes((one / f"{name}.tsv").read_bytes())
    for k, chunk in enumerate((rows[:6], rows[6:])):
        _write_csv_gz(shards / f"call-00000000000{k}.csv.gz", head, chunk)
    a, b = load_logs(one, now_ms=NOW), load_logs(shards, now_ms=NOW)
    pd.testing.assert_frame_equal(a.events, b.events)
    report = b.report.files["call"]
    assert report.path == str(shards / "call-*.csv.gz") and report.rows_read == 11
    assert report.bad_lines == {
        "call_ts is not a timestamp": ["call-000000000001.csv.gz:6"]
    }
    # Redshift's: no ending but a compression's, '|' between fields, no header
    for f in shards.glob("call-*"):
        f.unlink()
    for k, chunk in enumerate((rows[:6], rows[6:])):
        text = "".join(chunk).replace("\t", "|").encode()
        write(shards / f"call_000{k}_part_00", text)
    c = load_logs(shards, now_ms=NOW)
    pd.testing.assert_frame_equal(a.events, c.events)
    assert c.report.files["call"].bad_lines == {
        "call_ts is not a timestamp": ["call_0001_part_00:5"]
    }
    # shards beside a whole file of the same log: an error, not a choice
    write(shards / "call.tsv", "user_id\tcall_ts\n")
    with pytest.raises(LoadError, match="more than one file for the call log"):
        load_logs(shards, now_ms=NOW)


@pytest.mark.parametrize("folder", ["", "export/"])
def test_a_zip_archive_of_the_logs_reads_as_the_logs(tmp_path, folder):
    import zipfile

    from features.io import load_data

    (tmp_path / "src").mkdir()
    src = minimal_dir(tmp_path / "src")
    write(src / "call.tsv", "user_id\tcall_ts\n2\t1551780000000\n2\tlater\n")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(src.iterdir()):
            z.write(f, folder + f.name)
        if folder:  # what macOS adds to an archive it makes
            z.writestr("__MACOSX/._call.tsv", b"")
    want = load_logs(src, now_ms=NOW)
    got = load_data(archive, now_ms=NOW)
    pd.testing.assert_frame_equal(got.events, want.events)
    pd.testing.assert_frame_equal(got.signups, want.signups)
    # the report names the file inside the archive, and the line
    call = got.report.files["call"]
    assert call.path == f"{archive}/{folder}call.tsv"
    assert call.bad_lines == {"call_ts is not a timestamp": [3]}
    with pytest.raises(BadRowError, match=rf"export\.zip/{folder}call\.tsv: line 3"):
        load_data(archive, now_ms=NOW, strict=True)


def test_where_an_archive_keeps_its_files():
    assert archive_folder(["signup.tsv", "call.tsv"]) == ""
    assert archive_folder(["export/", "export/signup.tsv"]) == "export/"
    assert archive_folder(["export/signup.tsv", "__MACOSX/._x", ".DS_Store"]) == (
        "export/"
    )
    assert archive_folder(["a/signup.tsv", "b/call.tsv"]) == ""  # two folders
    assert archive_folder(["a/signup.tsv", "labels.tsv"]) == ""


@pytest.mark.parametrize(
    "setup, match",
    [
        (lambda d: None, "no such data directory"),
        (lambda d: d.mkdir(), "no logs found"),
    ],
)
def test_directory_errors(tmp_path, setup, match):
    d = tmp_path / "data"
    setup(d)
    with pytest.raises(LoadError, match=match):
        load_logs(d, now_ms=NOW)


def test_missing_signup_missing_column_empty_file(tmp_path):
    d1 = tmp_path / "1"
    d1.mkdir()
    with pytest.raises(LoadError, match="no signup log"):
        load_logs(minimal_dir(d1, signup=None), now_ms=NOW)
    d2 = tmp_path / "2"
    d2.mkdir()
    with pytest.raises(LoadError, match=r"call\.tsv: missing column\(s\) call_ts"):
        load_logs(minimal_dir(d2, call="user_id\twhen\n1\t2019-03-05\n"), now_ms=NOW)
    d3 = tmp_path / "3"
    d3.mkdir()
    with pytest.raises(LoadError, match=r"search\.tsv: the file is empty"):
        load_logs(minimal_dir(d3, search=""), now_ms=NOW)


def test_columns_are_found_in_any_case_and_order(tmp_path):
    # exports write USER_ID (some engines upper-case every name) or add columns
    for name in ("lower", "other"):
        (tmp_path / name).mkdir()
    lower = minimal_dir(tmp_path / "lower")
    other = minimal_dir(
        tmp_path / "other",
        signup=(
            "COUNTRY_CODE\t User_Id \tSignup_TS\tTime_Zone\n"
            "IT\t1\t2019-03-02\t\nGB\t2\t2019-03-03\tAsia/Tokyo\n"
        ),
        call="device\tCALL_TS\tUSER_ID\nios\t1551780000000\t2\n",
    )
    # or write the words of a name together, or apart (userId, User ID)
    (tmp_path / "camel").mkdir()
    camel = minimal_dir(
        tmp_path / "camel",
        signup=(
            "countryCode\tuserId\tsignup-ts\tTimeZone\n"
            "IT\t1\t2019-03-02\t\nGB\t2\t2019-03-03\tAsia/Tokyo\n"
        ),
        call="device\tCall TS\tUser ID\nios\t1551780000000\t2\n",
    )
    a = load_logs(lower, now_ms=NOW)
    for d in (other, camel):
        b = load_logs(d, now_ms=NOW)
        pd.testing.assert_frame_equal(a.events, b.events)
        pd.testing.assert_frame_equal(
            a.signups[["user_id", "country_code", "signup_ms"]],
            b.signups[["user_id", "country_code", "signup_ms"]],
        )
        # the optional time_zone column was found too: user 2 keeps Tokyo's zone
        zone = b.signups.loc[b.signups["user_id"] == 2, "time_zone"].iloc[0]
        assert zone == "Asia/Tokyo"
        assert b.report.bad_rows == 0


def test_a_column_in_two_cases_is_an_error_unless_one_is_exact(tmp_path):
    for name in ("exact", "two"):
        (tmp_path / name).mkdir()
    both = "user_id\tUSER_ID\tcall_ts\n2\t9\t1551780000000\n"
    logs = load_logs(minimal_dir(tmp_path / "exact", call=both), now_ms=NOW)
    calls = logs.events[logs.events["event"] == "call"]
    assert list(calls["user_id"]) == [2]  # the name as asked wins
    for two in ("User_Id\tUSER_ID\tcall_ts\n", "userId\tuser id\tcall_ts\n"):
        shutil.rmtree(tmp_path / "two", ignore_errors=True)
        (tmp_path / "two").mkdir()
        d = minimal_dir(tmp_path / "two", call=two + "2\t9\t1551780000000\n")
        with pytest.raises(LoadError, match=r"call\.tsv: column user_id .* keep one"):
            load_logs(d, now_ms=NOW)


def test_header_only_file_is_an_empty_stream(tmp_path):
    logs = load_logs(minimal_dir(tmp_path, search="user_id\tsearch_ts\n"), now_ms=NOW)
    assert logs.report.files["search"].rows_read == 0
    assert (logs.events["event"] == "search").sum() == 0


def test_events_sorted_and_users_without_signup_counted(tmp_path):
    call = "user_id\tcall_ts\n9\t1551780000002\n2\t1551780000001\n2\t1551780000000\n"
    logs = load_logs(minimal_dir(tmp_path, call=call), now_ms=NOW)
    ev = logs.events
    assert ev.equals(ev.sort_values(["user_id", "ts_ms"], kind="stable"))
    assert logs.report.users_without_signup == 1


def test_simulated_dirty_logs_balance(tmp_path):
    from cadence.simulate import SimConfig, simulate, write_logs

    sim = simulate(SimConfig(users=1500, seed=4))
    write_logs(sim, tmp_path, dirty=True, seed=4)
    logs = load_logs(tmp_path, now_ms=NOW)
    r = logs.report
    assert r.duplicates > 0 and r.bad_rows > 0
    assert r.rows_read == r.rows_kept + r.duplicates + r.bad_rows
    # the clean events come back exactly
    want = sim.events.sort_values(["user_id", "ts_ms"]).reset_index(drop=True)
    got = logs.events.reset_index(drop=True)
    assert len(got) == len(want.drop_duplicates())
    np.testing.assert_array_equal(
        np.sort(got["ts_ms"].to_numpy()), np.sort(want.drop_duplicates()["ts_ms"])
    )


def test_bad_value_after_the_first_read_block_is_a_bad_row(tmp_path):
    # ~20 MB of clean numeric rows, then one malformed row: a reader that
    # inferred column types from the first block would fail the whole file
    n = 1_000_000
    body = "".join(f"{i % 5000}\t{1551780000000 + i}\n" for i in range(n))
    call = "user_id\tcall_ts\n" + body + "x\t1551780000000\n" + "7\tlater\n"
    logs = load_logs(minimal_dir(tmp_path, call=call), now_ms=NOW)
    f = logs.report.files["call"]
    assert f.rows_kept == n and f.bad_rows == 2
    assert f.bad_lines["user_id is not an integer"] == [n + 2]
    assert f.bad_lines["call_ts is not a timestamp"] == [n + 3]


def test_header_names_match_the_reader_with_a_bom(tmp_path):
    # the names that force every column to a string must be the reader's own
    import pyarrow.csv as pacsv

    from features.io import _first_line

    path = write(tmp_path / "s.tsv", "\ufeffuser_id\tsearch_ts\n1\t2019-03-05\n")
    reader = pacsv.open_csv(path, parse_options=pacsv.ParseOptions(delimiter="\t"))
    assert _first_line(path, "utf8").split("\t") == reader.schema.names


@pytest.mark.parametrize(
    "name, sep",
    [("call.csv", ";"), ("call.csv", "|"), ("call.tsv", ","), ("call.csv", "\t")],
)
def test_a_log_separated_otherwise_than_its_name_says_is_read(tmp_path, name, sep):
    # a spreadsheet in much of Europe writes ';' in a .csv; the separator is
    # told from the header, which must name user_id
    text = f"user_id{sep}call_ts\n2{sep}1551780000000\n2{sep}2019-03-05T10:00:07.5Z\n"
    d = minimal_dir(tmp_path, call=None)
    write(d / name, text)
    logs = load_logs(d, now_ms=NOW)
    calls = logs.events[logs.events["event"] == "call"]
    assert list(calls["ts_ms"]) == [1_551_780_000_000, 1_551_780_007_500]
    assert logs.report.files["call"].rows_kept == 2


def test_unknown_country_codes_are_counted(tmp_path):
    d = minimal_dir(
        tmp_path,
        signup="user_id\tcountry_code\tsignup_ts\n1\tJP\t2019-03-02\n"
        "2\tXX\t2019-03-03\n3\t\t2019-03-03\n4\txx\t2019-03-04\n",
    )
    report = load_logs(d, now_ms=NOW).report
    assert report.unknown_countries == {"XX": 2, "": 1}  # JP has a zone
    assert any("3 users have a country code" in x for x in report.summary_lines())


def test_countries_written_as_alpha3_numbers_or_names_are_their_zones(tmp_path):
    from features.build import build_features

    names = ["JP", "JPN", "Japan", "392", "jpn", "Atlantis"]
    d = minimal_dir(
        tmp_path,
        signup="user_id\tcountry_code\tsignup_ts\n"
        + "".join(f"{u}\t{c}\t2019-03-02\n" for u, c in enumerate(names, 1)),
        search="user_id\tsearch_ts\n"
        + "".join(
            f"{u}\t2019-03-{d:02d}T02:00:00Z\n"
            for u in range(1, len(names) + 1)
            for d in (5, 6, 7)
        ),
        call=None,
        message=None,
    )
    logs = load_logs(d, now_ms=NOW)
    assert logs.report.unknown_countries == {"ATLANTIS": 1}
    f = build_features(logs.events, logs.signups)
    # 02:00 UTC is 11:00 in Japan (not night); the unknown country is read in
    # UTC (night)
    assert list(f["night_share"]) == [0, 0, 0, 0, 0, 1]


@pytest.mark.parametrize(
    "value, code",
    [
        ("DE", "DE"),
        ("deu", "DE"),
        ("276", "DE"),
        ("Germany", "DE"),
        ("united states", "US"),
        ("UK", "GB"),  # the European Union's codes outside ISO 3166
        ("EL", "GR"),
        ("EST", "EE"),  # Estonia, not a zone abbreviation
        ("Russia", "RU"),  # the tz database's name, where ISO's differs
        ("Britain (UK)", "GB"),
        ("", None),
        ("XX", None),
        ("Europe/Berlin", None),
    ],
)
def test_country_alpha2(value, code):
    from features.timeofday import country_alpha2

    assert country_alpha2(value) == code


def test_a_users_own_time_zone_overrides_the_country(tmp_path):
    from features.build import build_features

    d = minimal_dir(
        tmp_path,
        signup="user_id\tcountry_code\tsignup_ts\ttime_zone\n"
        "1\tUS\t2019-03-02\tAmerica/Los_Angeles\n"
        "2\tIN\t2019-03-03\t\n"
        "3\tGB\t2019-03-03\tUTC+05:30\n"
        "4\tGB\t2019-03-03\tMars/Olympus\n",
        search="user_id\tsearch_ts\n"
        + "".join(
            f"{u}\t2019-03-{d:02d}T02:00:00Z\n" for u in (1, 2, 3, 4) for d in (5, 6, 7)
        ),
        call=None,
        message=None,
    )
    logs = load_logs(d, now_ms=NOW)
    assert list(logs.signups["time_zone"]) == [
        "America/Los_Angeles",
        "",
        "UTC+05:30",
        "Mars/Olympus",
    ]
    assert logs.report.unknown_zones == {"Mars/Olympus": 1}
    f = build_features(logs.events, logs.signups)
    # 02:00 UTC: 18:00 in Los Angeles (not night), 07:30 in India and at +05:30
    # (not night), 02:00 for the unknown zone read in UTC (night)
    assert f.loc[1, "night_share"] == 0 and f.loc[2, "night_share"] == 0
    assert f.loc[3, "night_share"] == 0 and f.loc[4, "night_share"] == 1


def test_resolve_zone_by_hand():
    import datetime as dt

    from features.timeofday import resolve_zone

    assert resolve_zone("jp") == "Asia/Tokyo"
    assert resolve_zone("Asia/Kolkata") == "Asia/Kolkata"
    assert resolve_zone("UTC-03:00") == dt.timezone(-dt.timedelta(hours=3))
    assert resolve_zone("+0530") == dt.timezone(dt.timedelta(hours=5, minutes=30))
    assert resolve_zone("UTC") == "UTC"
    assert resolve_zone("nowhere") is None and resolve_zone("") is None


def _at(*clock: str) -> np.ndarray:
    """ms of ``2019-03-05 HH:MM:SS.fff`` times, UTC."""
    return np.array(
        [pd.Timestamp(f"2019-03-05 {c}", tz="UTC").value // 1_000_000 for c in clock],
        dtype=np.int64,
    )


def test_frozen_clock_tells_a_field_every_time_holds_by_hand():
    from features.io import FROZEN_MIN_TIMES, frozen_clock, read_frozen

    # minute 05 of hours 10, 11 and 13, seconds running: the shared log's form
    hours = [f"{10 + k % 4 if k % 4 != 2 else 13}:05:{k % 60:02d}" for k in range(50)]
    assert frozen_clock(_at(*hours)) == ("minute", 5, 4)  # hours 10–13 spanned
    assert frozen_clock(_at(*hours[: FROZEN_MIN_TIMES - 1])) == ("", 0, 0)
    # fifty times in one minute: no hour goes by, nothing is frozen
    assert frozen_clock(_at(*[f"10:05:{k:02d}" for k in range(50)])) == ("", 0, 0)
    # a clock of whole minutes: the second is always 00, as it should be
    minutes = [f"{10 + k // 60}:{k % 60:02d}:00" for k in range(0, 150, 3)]
    assert frozen_clock(_at(*minutes)) == ("", 0, 0)
    # a clock of whole hours: every time at minute 00, known to the hour
    assert frozen_clock(_at(*[f"{k % 24:02d}:00:00" for k in range(50)])) == (
        "minute",
        0,
        24,
    )
    # the second frozen at 07 while the ms run, over 50 minutes
    seconds = [f"10:{k:02d}:07.{(37 * k) % 1000:03d}" for k in range(50)]
    assert frozen_clock(_at(*seconds)) == ("second", 7, 50)
    # ordinary times
    free = [f"{10 + k % 5}:{(7 * k) % 60:02d}:{(13 * k) % 60:02d}" for k in range(60)]
    assert frozen_clock(_at(*free)) == ("", 0, 0)
    # read as the readers take them: to the hour, to the minute, as written
    read, _ = read_frozen(_at(*hours))
    np.testing.assert_array_equal(read, _at(*[f"{h[:2]}:00:00" for h in hours]))
    read, _ = read_frozen(_at(*seconds))
    np.testing.assert_array_equal(read, _at(*[f"{c[:5]}:00" for c in seconds]))
    np.testing.assert_array_equal(read_frozen(_at(*free))[0], _at(*free))


def test_frozen_clock_checks_every_time_not_only_its_sample():
    from features.io import FROZEN_SAMPLE, frozen_clock

    n = 2 * FROZEN_SAMPLE + 2
    ts = _at("10:05:00")[0] + np.arange(n, dtype=np.int64) * 3_600_000
    assert frozen_clock(ts) == ("minute", 5, n)
    # index 1 lies between the sampled places (every second one): it is read
    ts[1] += 60_000
    pick = np.linspace(0, n - 1, FROZEN_SAMPLE).astype(np.int64)
    assert 1 not in pick
    assert frozen_clock(ts) == ("", 0, 0)


def test_an_export_with_anonymised_minutes_is_read_to_the_hour(tmp_path):
    """The default world written at minute 05 of every hour and a random
    second (the shared access log's form): each event log's report names the
    frozen minute, and every event is read at the start of the simulator's
    hour, none lost (two events of a user in one hour are two events). The
    same world written as it happened is read as written."""
    from cadence.simulate import simulate, world_config, write_logs

    frozen = simulate(world_config("frozen_minutes", users=2000, seed=3))
    write_logs(frozen, tmp_path / "frozen")
    logs = load_logs(tmp_path / "frozen", now_ms=NOW)
    hour = 3_600_000
    true = simulate(world_config("default", users=2000, seed=3)).events
    keys = ["user_id", "event", "ts_ms"]

    def rows(events):
        out = events.astype({"event": str})[keys]
        return out.sort_values(keys).reset_index(drop=True)

    want = true.assign(ts_ms=true["ts_ms"] // hour * hour)
    pd.testing.assert_frame_equal(rows(logs.events), rows(want), check_dtype=False)
    assert logs.report.duplicates == 0 and logs.report.bad_rows == 0
    for name in ("call", "message", "search"):
        f = logs.report.files[name]
        field, minute, hours = f.frozen
        assert (field, minute) == ("minute", 5) and hours > 24 * 20
        assert f.ms_clock is False and f.repeated_times > 0
    assert logs.report.files["signup"].frozen is None
    text = "\n".join(logs.report.summary_lines())
    assert text.count("every time is at minute 05 of its hour (UTC)") == 3
    assert "read so, each at the start of its hour" in text
    plain = simulate(world_config("default", users=2000, seed=3))
    write_logs(plain, tmp_path / "plain")
    read = load_logs(tmp_path / "plain", now_ms=NOW)
    assert all(f.frozen is None for f in read.report.files.values())
    assert "every time is at" not in "\n".join(read.report.summary_lines())
    pd.testing.assert_frame_equal(rows(read.events), rows(true), check_dtype=False)


def test_clock_stats_of_parts_merge_to_those_of_the_whole():
    """The Spark path tells a frozen field from per-partition clock_stats:
    merged (sum, least, greatest) they equal the whole log's, and frozen_of
    gives frozen_clock's answer, frozen or not."""
    from features.io import CLOCK_STATS, clock_stats, frozen_clock, frozen_of

    rng = np.random.default_rng(5)
    start = _at("10:05:00")[0]
    hours, seconds = rng.integers(0, 80, 400), rng.integers(0, 60, 400)
    frozen = start + hours * 3_600_000 + seconds * 1000
    free = start + rng.integers(0, 80 * 3_600_000, 400)
    for ts in (frozen, free):
        cuts = np.sort(rng.choice(np.arange(1, ts.size), 5, replace=False))
        parts = [clock_stats(p) for p in np.split(ts, cuts)] + [clock_stats(ts[:0])]
        parts = [p for p in parts if p["n"]]
        merged = {"n": sum(p["n"] for p in parts)}
        for c in CLOCK_STATS[1:]:
            pick = min if c.endswith("_lo") else max
            merged[c] = pick(p[c] for p in parts)
        assert merged == clock_stats(ts)
        assert frozen_of(merged) == frozen_clock(ts)
    assert frozen_clock(frozen)[:2] == ("minute", 5)
    assert frozen_clock(free) == ("", 0, 0)
