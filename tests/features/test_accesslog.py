"""Web server access logs: formats, clients, bad lines, gzip, and the scripts."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.accesslog import load_access_log, looks_like_access_log, parse_block
from features.io import BadRowError, LoadError, load_data

NOW = 1_700_000_000_000
AGENT = 'Mozilla/5.0 (X11; Linux x86_64; "quoted" no) Firefox/99.0'
COMBINED = [
    '10.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 12 "-" "'
    + AGENT.replace('"', '\\"')
    + '"',
    '2001:db8::1 - - [17/May/2015:12:05:03 +0200] "GET /b HTTP/1.1" 304 - '
    '"http://x/" "curl/7.0"',
    '10.0.0.1 - alice [17/May/2015:10:06:03 +0000] "POST /c HTTP/1.1" 201 5 '
    '"-" "Wget/1.0"',
    '10.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 12 "-" "'
    + AGENT.replace('"', '\\"')
    + '"',
]
COMMON = '192.168.1.9 - - [18/May/2015:23:59:59 -0130] "GET / HTTP/1.0" 200 512'


def ms(text: str) -> int:
    return (
        int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp())
        * 1000
    )


def write(path: Path, lines: list[str], end: str = "\n", gz: bool = False) -> Path:
    data = (end.join(lines) + end).encode()
    if gz:
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def test_formats_clients_and_times_by_hand(tmp_path):
    path = write(tmp_path / "access.log", [*COMBINED, COMMON])
    logs = load_access_log(path, now_ms=NOW)
    names = list(logs.user_names)
    assert names == sorted(["10.0.0.1", "2001:db8::1", "alice", "192.168.1.9"])
    ev = logs.events.assign(user=lambda f: logs.user_names[f["user_id"]])
    by_user = ev.groupby("user")["ts_ms"].apply(list).to_dict()
    # two identical requests in one second are two events, not a duplicate
    assert by_user["10.0.0.1"] == [ms("2015-05-17T10:05:03")] * 2
    assert by_user["2001:db8::1"] == [ms("2015-05-17T10:05:03")]  # +0200
    assert by_user["alice"] == [ms("2015-05-17T10:06:03")]  # the user field
    assert by_user["192.168.1.9"] == [ms("2015-05-19T01:29:59")]  # −0130
    assert set(ev["event"]) == {"search"}
    agent = dict(zip(names, logs.user_info["user_agent"], strict=True))
    assert agent["10.0.0.1"] == AGENT.replace('"', '\\"')
    assert agent["2001:db8::1"] == "curl/7.0" and agent["192.168.1.9"] == ""
    r = logs.report
    assert (r.rows_read, r.rows_kept, r.duplicates, r.bad_rows) == (5, 5, 0, 0)


def test_bad_lines_are_counted_with_line_numbers(tmp_path):
    lines = [
        COMBINED[0],
        "garbage line",
        '10.0.0.2 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 "-" "x"',
        "",
        '10.0.0.3 - - [17/Moy/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "-" "x"',
        '10.0.0.4 - - [17/May/1999:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "-" "x"',
        COMBINED[1],
        '10.0.0.5 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "-" "Moz',
    ]
    path = tmp_path / "a.log"
    path.write_bytes(("\n".join(lines)).encode())  # the last line is cut short
    logs = load_access_log(path, now_ms=NOW)
    f = logs.report.files["access_log"]
    assert f.rows_read == 8 and f.rows_kept == 2 and f.bad_rows == 6
    assert f.bad_lines == {
        "not a combined or common access log line": [2, 3],
        "blank line": [4],
        "time is not [dd/Mon/yyyy:HH:MM:SS +hhmm]": [5],
        "time before 2000-01-01": [6],
        "last line cut short (no end of line)": [8],
    }
    assert f.rows_read == f.rows_kept + f.duplicates + f.bad_rows
    with pytest.raises(BadRowError, match="line 2"):
        load_access_log(path, now_ms=NOW, strict=True)


def test_fields_a_server_appends_after_the_user_agent_are_ignored(tmp_path):
    # nginx setups append "$http_x_forwarded_for", request and upstream times
    base = (
        '10.0.0.7 - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 12 "-" '
        '"Mozilla/5.0 (\\"x\\")"'
    )
    extra = [
        base + ' "1.2.3.4"',  # a quoted field
        base + " 0.012 0.010",  # unquoted times
        base + ' "1.2.3.4, 5.6.7.8" 0.012 "-"',  # both
    ]
    wrong = [
        base + '"1.2.3.4"',  # no space after the user agent
        base + ' "unclosed',  # an odd number of quotes
    ]
    path = write(tmp_path / "nginx.log", [*extra, *wrong, base])
    logs = load_access_log(path, now_ms=NOW)
    f = logs.report.files["access_log"]
    assert f.rows_kept == 4 and f.bad_lines == {
        "not a combined or common access log line": [4, 5]
    }
    assert list(logs.user_names) == ["10.0.0.7"]
    assert list(logs.events["ts_ms"]) == [ms("2015-05-17T10:05:03")] * 4
    assert list(logs.user_info["user_agent"]) == ['Mozilla/5.0 (\\"x\\")']


def test_gzip_and_crlf_read_the_same(tmp_path):
    plain = load_access_log(write(tmp_path / "p.log", COMBINED), now_ms=NOW)
    packed = load_access_log(
        write(tmp_path / "p.gz", COMBINED, end="\r\n", gz=True), now_ms=NOW
    )
    pd.testing.assert_frame_equal(plain.events, packed.events)
    assert list(plain.user_names) == list(packed.user_names)


def test_blocks_cut_anywhere_give_the_same_events(tmp_path):
    rng = np.random.default_rng(0)
    lines = [COMBINED[i % 3] for i in range(3000)]
    rng.shuffle(lines)
    path = write(tmp_path / "big.log", lines)
    whole = load_access_log(path, now_ms=NOW)
    import features.accesslog as al

    old = al.BLOCK_BYTES
    try:
        al.BLOCK_BYTES = 777  # many blocks, cut mid-line
        parts = load_access_log(path, now_ms=NOW)
    finally:
        al.BLOCK_BYTES = old
    pd.testing.assert_frame_equal(whole.events, parts.events)
    assert parts.report.rows_read == 3000


def test_parse_block_matches_a_regular_expression(tmp_path):
    """The byte parser agrees with a plain regex on the real shared log."""
    import re

    shared = Path(__file__).resolve().parents[3] / "shared/data/access-log"
    path = shared / "apache_logs.gz"
    if not path.exists():
        pytest.skip("the shared access log is not beside the project")
    raw = gzip.open(path).read()
    pattern = re.compile(
        rb'^(\S+) \S+ (\S+) \[([^\]]{26})\] "(?:[^"\\]|\\.)*" (?:\d{3}|-) (?:\d+|-)'
        rb'(?: "(?:[^"\\]|\\.)*" "((?:[^"\\]|\\.)*)")?$'
    )
    lines = raw.rstrip(b"\n").split(b"\n")
    want = np.array([pattern.match(x) is not None for x in lines])
    got = parse_block(raw if raw.endswith(b"\n") else raw + b"\n")["ok"]
    np.testing.assert_array_equal(got, want)
    assert (~want).sum() == 1  # one real line of the log is cut short


def test_load_data_recognises_content_and_names_what_it_expected(tmp_path):
    log_file = write(tmp_path / "served.txt", COMBINED, gz=True)  # no telling suffix
    assert looks_like_access_log(log_file)
    assert len(load_data(log_file, now_ms=NOW).events) == 4
    assert len(load_data(tmp_path, now_ms=NOW).events) == 4  # the only log there
    other = tmp_path / "notes.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(LoadError, match="combined or common"):
        load_data(other, now_ms=NOW)
    with pytest.raises(LoadError, match="no such file"):
        load_data(tmp_path / "missing.log", now_ms=NOW)
