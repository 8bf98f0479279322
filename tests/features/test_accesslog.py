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


SQUID = [
    "1286536309.450    103 192.168.0.68 TCP_MISS/200 1209 GET http://g.com/ - "
    "DIRECT/74.125.39.103 text/html",
    "1286536310.5      7 192.168.0.68 TCP_HIT/304 0 GET http://g.com/a.png bob "
    "NONE/- image/png",
    "1286536311 100 2001:db8::9 TCP_DENIED/403 3 CONNECT x.com:443 - HIER_NONE/- -",
    "",
    "garbage line here",
    "1286536x12.000 1 10.0.0.3 TCP_MISS/200 1 GET http://a/ - DIRECT/1.1.1.1 -",
    "1286536312.000 1 10.0.0.3 TCP_MISS/2x0 1 GET http://a/ - DIRECT/1.1.1.1 -",
    "1286536312.000\t1\t10.0.0.3 TCP_MISS/200 1 GET http://a/ - DIRECT/1.1.1.1 - x",
]


def test_squid_native_lines_by_hand(tmp_path):
    path = write(tmp_path / "access.log", SQUID)
    assert looks_like_access_log(path)
    logs = load_access_log(path, now_ms=NOW)
    ev = logs.events.assign(user=lambda f: logs.user_names[f["user_id"]])
    by_user = ev.groupby("user")["ts_ms"].apply(list).to_dict()
    assert by_user == {
        "192.168.0.68": [1_286_536_309_450],
        "bob": [1_286_536_310_500],  # the user field where it is not "-"
        "2001:db8::9": [1_286_536_311_000],  # no fraction: whole seconds
        "10.0.0.3": [1_286_536_312_000],  # tabs, and a field more, are fine
    }
    assert logs.user_info is None  # no user agent in this format
    f = logs.report.files["access_log"]
    assert (f.rows_read, f.rows_kept, f.bad_rows) == (8, 4, 4)
    assert f.bad_lines == {
        "blank line": [4],
        "not a Squid native access log line": [5, 7],
        "time is not epoch seconds (1286536309.450)": [6],
    }
    with pytest.raises(BadRowError, match="line 4: blank line"):
        load_access_log(path, now_ms=NOW, strict=True)


def squid_by_regex(line: bytes):
    """(ok, ms, user) of one Squid line, by a plain regular expression."""
    import re

    m = re.match(
        rb"^\s*([0-9]{1,12})(?:\.([0-9]+))?\s+\S+\s+(\S+)\s+\S*/[0-9]{3}\s+"
        rb"[0-9]+\s+\S+\s+\S+\s+(\S+)(?:\s+\S+){2,}\s*$",
        line,
    )
    if m is None:
        return False, 0, None
    ms = int(m.group(1)) * 1000 + int(((m.group(2) or b"") + b"000")[:3])
    return True, ms, (m.group(3) if m.group(4) == b"-" else m.group(4)).decode()


def test_squid_parser_matches_a_regular_expression():
    from features.accesslog import parse_squid_block

    rng = np.random.default_rng(5)
    lines = []
    for k in range(4000):
        t = int(rng.integers(1_000_000_000, 1_700_000_000))
        frac = ["", ".", f".{k % 10}", f".{k % 1000:03d}", f".{k:06d}"][k % 5]
        user = "-" if k % 3 else f"u{k % 7}"
        fields = [
            f"{t}{frac}",
            str(k % 900),
            f"10.0.{k % 5}.{k % 11}",
            ["TCP_MISS/200", "NONE/000", "TCP_MISS/20", "TCP_MISS200"][k % 4],
            ["1209", "12a", "0"][k % 3],
            "GET",
            f"http://h/{k}",
            user,
            "DIRECT/1.2.3.4",
            "text/html",
        ]
        if k % 17 == 0:
            fields[0] = fields[0].replace("1", "x", 1)
        if k % 13 == 0:
            fields = fields[: k % 10]  # too few fields
        sep = ["    ", " ", "\t"][k % 3]
        lines.append(sep.join(fields).encode())
    want = [squid_by_regex(x) for x in lines]
    got = parse_squid_block(b"\n".join(lines) + b"\n")
    ok = np.array([w[0] for w in want])
    assert 0 < ok.sum() < len(lines)  # both kinds are there
    np.testing.assert_array_equal(got["ok"], ok)
    np.testing.assert_array_equal(got["ts_ms"][ok], [w[1] for w in want if w[0]])
    assert got["user"].to_pylist() == [w[2] for w in want if w[0]]


def test_a_squid_log_reads_back_the_events_it_was_written_from(tmp_path, monkeypatch):
    # 20,000 requests of 300 clients, shuffled, gzipped, read in blocks cut
    # anywhere: the same (client, ms) pairs, sorted, and load_data finds it
    rng = np.random.default_rng(2)
    n = 20_000
    client = rng.integers(0, 300, n)
    ts = rng.integers(1_553_000_000_000, 1_553_086_400_000, n)
    names = np.array([f"172.16.{c // 256}.{c % 256}" for c in range(300)])
    lines = [
        f"{t // 1000}.{t % 1000:03d} {rng.integers(0, 999):6d} {names[c]} "
        f"TCP_MISS/200 512 GET http://api.example/poll - DIRECT/10.1.1.1 -"
        for c, t in zip(client, ts, strict=True)
    ]
    path = write(tmp_path / "squid.gz", lines, gz=True)
    import features.accesslog as al

    monkeypatch.setattr(al, "BLOCK_BYTES", 4099)  # many blocks, cut mid-line
    logs = load_data(path, now_ms=NOW)
    got = pd.DataFrame(
        {"name": logs.user_names[logs.events["user_id"]], "ts": logs.events["ts_ms"]}
    )
    want = (
        pd.DataFrame({"name": names[client], "ts": ts})
        .sort_values(["name", "ts"])
        .reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert logs.report.rows_read == n and logs.report.bad_rows == 0


def test_a_folder_of_rotated_logs_is_one_capture(tmp_path):
    # a rotation's files, one gzipped and one in Squid's form, beside a file
    # that is no log: every client's requests are put together, each file
    # keeps its own report, and the other file is named as not read
    folder = tmp_path / "logs"
    folder.mkdir()
    write(folder / "access.log", [COMBINED[0], COMBINED[1]])
    write(folder / "access.log.1", [COMBINED[2], COMBINED[3], "garbage"], gz=True)
    write(folder / "access.log.2", SQUID[:3])
    (folder / "README.txt").write_text("rotated daily\n")
    (folder / ".hidden").write_text("x\n")
    logs = load_data(folder, now_ms=NOW)
    ev = logs.events.assign(user=lambda f: logs.user_names[f["user_id"]])
    by_user = ev.groupby("user")["ts_ms"].apply(list).to_dict()
    assert by_user == {
        "10.0.0.1": [ms("2015-05-17T10:05:03")] * 2,  # one in each of two files
        "2001:db8::1": [ms("2015-05-17T10:05:03")],
        "alice": [ms("2015-05-17T10:06:03")],
        "192.168.0.68": [1_286_536_309_450],
        "bob": [1_286_536_310_500],
        "2001:db8::9": [1_286_536_311_000],
    }
    r = logs.report
    assert list(r.files) == ["access.log", "access.log.1", "access.log.2"]
    assert r.files["access.log.1"].bad_lines == {
        "not a combined or common access log line": [3]
    }
    assert (r.rows_read, r.rows_kept, r.bad_rows) == (8, 7, 1)
    assert r.not_read == ["README.txt"]
    assert "not read, no access log: README.txt" in r.summary_lines()
    agents = dict(zip(logs.user_names, logs.user_info["user_agent"], strict=True))
    assert agents["alice"] == "Wget/1.0" and agents["bob"] == ""


def test_an_access_log_whose_minutes_are_all_one_is_read_to_the_hour(tmp_path):
    """Every request at minute 05 of its hour (the shared log's form): the
    report names the minute and each request is read at the start of its
    hour; the same requests at their own minutes are read as written."""

    def line(day: int, hour: int, minute: int, second: int) -> str:
        when = f"{day:02d}/May/2015:{hour:02d}:{minute:02d}:{second:02d} +0000"
        return f'10.0.0.{hour % 7} - - [{when}] "GET /p HTTP/1.1" 200 9 "-" "x"'

    times = [(17 + k // 24, k % 24, (11 * k) % 60, (7 * k) % 60) for k in range(60)]
    frozen = write(tmp_path / "frozen.log", [line(d, h, 5, s) for d, h, _, s in times])
    logs = load_access_log(frozen, now_ms=NOW)
    assert logs.report.files["access_log"].frozen == ["minute", 5, 60]
    # each request read at the start of its hour
    hours = sorted(ms(f"2015-05-{d}T{h:02d}:00:00") for d, h, _, _ in times)
    assert sorted(logs.events["ts_ms"]) == hours
    text = "\n".join(logs.report.summary_lines())
    assert "every time is at minute 05 of its hour (UTC)" in text
    assert "spanning 60 hours" in text
    free = write(tmp_path / "free.log", [line(*t) for t in times])
    logs = load_access_log(free, now_ms=NOW)
    assert logs.report.files["access_log"].frozen is None
    written = sorted(ms(f"2015-05-{d}T{h:02d}:{m:02d}:{s:02d}") for d, h, m, s in times)
    assert sorted(logs.events["ts_ms"]) == written
    assert "every time is at" not in "\n".join(logs.report.summary_lines())
