"""Read a web server's access log (Apache/Nginx *combined* or *common* format)
or a proxy's (Squid's native format).

Each client is a user: the authenticated user field where it is not ``-``, else
the client address (IPv4 or IPv6), kept exactly as written. Each request is one
``search`` event: like a search on a marketplace, a request is a client asking
for content, and cadence scores its timing only. The path, status and user agent
are not features; the most frequent user agent of each client is kept so that
the scores file can show it beside the score.

Fields a server appends after the user agent (quoted or not, after a space)
are ignored. Lines are parsed with numpy over the raw bytes, block by block (no
Python loop over lines): field boundaries are found from the positions of
spaces and quotes, and the fixed-width time ``[17/May/2015:10:05:03 +0000]`` is
decoded digit by digit, its offset applied, to UTC milliseconds. A line that
does not have the format is a bad row with its line number, like a malformed
row of a TSV log.

Nothing is a duplicate here: two requests of one client in the same whole second
are two events (a server writes one line per request).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.io import (
    EVENT_TYPES,
    MIN_TS_MS,
    BadRowError,
    FileReport,
    LoadReport,
    Logs,
    _days_from_civil,
    _days_in_month,
    _record_bad,
    encode_strings,
    read_frozen,
)

#: Bytes read per block (cut at the last end of line).
BLOCK_BYTES = 1 << 27
#: Longest client address or user field looked at (IPv6 is at most 45 bytes).
MAX_FIELD = 256
_MONTHS = [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun"]
_MONTHS += [b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"]
_MONTH_KEYS = np.array([m[0] * 65536 + m[1] * 256 + m[2] for m in _MONTHS])
_MONTH_ORDER = np.argsort(_MONTH_KEYS)
#: Byte offsets inside "dd/Mon/yyyy:HH:MM:SS +hhmm" (26 bytes).
_TIME_WIDTH = 26
_SEPARATORS = {2: b"/", 6: b"/", 11: b":", 14: b":", 17: b":", 20: b" "}

REASON_BLANK = "blank line"
REASON_FORMAT = "not a combined or common access log line"
REASON_TIME = "time is not [dd/Mon/yyyy:HH:MM:SS +hhmm]"
REASON_CUT = "last line cut short (no end of line)"
#: Reason of each code a line can get (0: a good line).
REASONS: dict[int, str] = {
    1: REASON_BLANK,
    2: REASON_FORMAT,
    3: REASON_TIME,
    4: "time before 2000-01-01",
    5: "time after now",
    6: REASON_CUT,
}


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def open_bytes(path: str | Path):
    """A binary stream of the file, gunzipped when its content is gzip."""
    path = Path(path)
    return gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")


def access_log_form(path: str | Path, lines: int = 20) -> str | None:
    """The form of :data:`FORMS` most of the first non-blank lines of
    ``path`` parse in ("combined": Apache/Nginx combined or common; "squid":
    Squid's native log), or None."""
    try:
        with open_bytes(path) as f:
            head = f.read(1 << 16)
    except (OSError, EOFError):
        return None
    cut = head.rfind(b"\n")
    body = head[: cut + 1] if cut >= 0 else head
    sample = [x for x in body.split(b"\n") if x.strip()][:lines]
    if not sample:
        return None
    for form, (parse, _) in FORMS.items():
        if parse(b"\n".join(sample) + b"\n")["ok"].sum() * 2 > len(sample):
            return form
    return None


def looks_like_access_log(path: str | Path, lines: int = 20) -> bool:
    """Whether most of the first non-blank lines parse as access log lines of
    one form (:func:`access_log_form`)."""
    return access_log_form(path, lines) is not None


def _first_byte(b: np.ndarray, start: np.ndarray, end: np.ndarray, byte: int):
    """Position of the first ``byte`` in each line [start, end) within
    :data:`MAX_FIELD` bytes of ``start``; -1 where there is none."""
    out = np.full(start.size, -1, dtype=np.int64)
    todo = np.flatnonzero(start < end)
    for k in range(MAX_FIELD):
        if todo.size == 0:
            break
        pos = start[todo] + k
        alive = pos < end[todo]
        todo, pos = todo[alive], pos[alive]
        hit = b[pos] == byte
        out[todo[hit]] = pos[hit]
        todo = todo[~hit]
    return out


def _slices(buf: bytes, start: np.ndarray, stop: np.ndarray) -> pa.Array:
    """Strings buf[start[i]:stop[i]] as an Arrow string array (slices in order,
    not overlapping): one interleaved array, every other element taken."""
    n = start.size
    if n == 0:
        return pa.array([], type=pa.string())
    offsets = np.empty(2 * n + 1, dtype=np.int64)
    offsets[0:-1:2] = start
    offsets[1:-1:2] = stop
    offsets[-1] = stop[-1]
    base = int(start[0])
    offsets -= base
    data = pa.py_buffer(buf)[base : int(stop[-1])]
    both = pa.LargeStringArray.from_buffers(2 * n, pa.py_buffer(offsets), data)
    return pc.cast(both.take(pa.array(np.arange(0, 2 * n, 2))), pa.string())


def _decode_time(b: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """UTC ms and validity of the 26-byte times starting at ``at``."""

    def col(k: int) -> np.ndarray:
        return b[at + k].astype(np.int32)

    def num(*ks: int) -> tuple[np.ndarray, np.ndarray]:
        value = np.zeros(at.size, np.int32)
        ok = np.ones(at.size, bool)
        for k in ks:
            d = col(k) - 48
            ok &= (d >= 0) & (d <= 9)
            value = value * 10 + d
        return value, ok

    day, ok = num(0, 1)
    year, ok_y = num(7, 8, 9, 10)
    hh, ok_h = num(12, 13)
    mm, ok_m = num(15, 16)
    ss, ok_s = num(18, 19)
    oh, ok_oh = num(22, 23)
    om, ok_om = num(24, 25)
    ok &= ok_y & ok_h & ok_m & ok_s & ok_oh & ok_om
    for off, ch in _SEPARATORS.items():
        ok &= b[at + off] == ch[0]
    sign = b[at + 21]
    ok &= (sign == 43) | (sign == 45)
    key = col(3) * 65536 + col(4) * 256 + col(5)
    j = np.minimum(np.searchsorted(_MONTH_KEYS[_MONTH_ORDER], key), 11)
    ok &= _MONTH_KEYS[_MONTH_ORDER][j] == key
    month = _MONTH_ORDER[j] + 1
    ok &= (day >= 1) & (day <= _days_in_month(year, month))
    ok &= (hh < 24) & (mm < 60) & (ss < 61) & (oh < 24) & (om < 60)
    offset_s = np.where(sign == 45, -1, 1) * (oh * 3600 + om * 60)
    days = _days_from_civil(year.astype(np.int64), month, day)
    secs = days * 86400 + hh * 3600 + mm * 60 + ss - offset_s
    return secs * 1000, ok


def _lines(buf: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bytes of ``buf`` (whole lines, each ending in ``\\n``) and each
    line's start and end (its ``\\r\\n`` or ``\\n`` left out)."""
    b = np.frombuffer(buf, dtype=np.uint8)
    nl = np.flatnonzero(b == 10)
    start = np.concatenate([[0], nl[:-1] + 1]).astype(np.int64)
    end = nl.astype(np.int64)
    end = np.where((end > start) & (b[np.maximum(end - 1, 0)] == 13), end - 1, end)
    return b, start, end


def parse_block(buf: bytes) -> dict[str, np.ndarray | pa.Array]:
    """Parse the whole lines of ``buf`` (each ending in ``\\n``).

    Returns
    -------
    dict
        Per line: ``ok`` (bool), ``reason`` (int: 0 fine, 1 blank, 2 format,
        3 time), ``ts_ms`` (int64), and for the ``ok`` lines only, in order,
        ``user`` and ``agent`` (Arrow strings).
    """
    b, start, end = _lines(buf)
    n = start.size

    def at(i: np.ndarray) -> np.ndarray:  # bytes at positions, clipped to the block
        return b[np.clip(i, 0, b.size - 1)]

    reason = np.zeros(n, dtype=np.int8)
    blank = end == start
    reason[blank] = 1
    # client, ident, user: three fields ended by spaces, then "[time]"
    s1 = _first_byte(b, start, end, 32)
    s2 = _first_byte(b, s1 + 1, end, 32)
    s3 = _first_byte(b, s2 + 1, end, 32)
    good = ~blank & (s1 > start) & (s2 > s1 + 1) & (s3 > s2 + 1)
    lb = np.where(good, s3 + 1, 0)
    good &= end - lb >= _TIME_WIDTH + 5
    safe = np.where(good, lb, 0)
    good &= at(safe) == 91  # [
    good &= at(safe + _TIME_WIDTH + 1) == 93  # ]
    good &= at(safe + _TIME_WIDTH + 2) == 32
    good &= at(safe + _TIME_WIDTH + 3) == 34  # opening quote of the request
    # unescaped quotes of the block; each line holds 2 (common) or 6 (combined),
    # or more where a server appends fields of its own after the user agent
    # (nginx's "$http_x_forwarded_for", a request time): pairs, after a space
    q = np.flatnonzero(b == 34)
    q = q[(q == 0) | (at(q - 1) != 92)]
    q_lo = np.searchsorted(q, start)
    nq = np.searchsorted(q, end) - q_lo
    good &= (nq == 2) | ((nq >= 6) & (nq % 2 == 0))
    qi = np.where(good, q_lo, 0)
    close = q[np.minimum(qi + 1, q.size - 1)] if q.size else np.zeros(n, np.int64)
    # after the request: " status size" (status 3 digits or "-")
    st = close + 2
    dig = (at(st[:, None] + np.arange(3)) - 48) <= 9
    good &= at(close + 1) == 32
    three = dig.all(axis=1) & (at(st + 3) == 32)
    dash = (at(st) == 45) & (at(st + 1) == 32)
    good &= three | dash
    size_at = np.where(three, st + 4, st + 2)
    common = nq == 2
    size_end = np.where(
        common, end, q[np.minimum(qi + 2, q.size - 1)] - 1 if q.size else end
    )
    good &= size_end > size_at
    combined = ~common
    if q.size:
        ref_open = q[np.minimum(qi + 2, q.size - 1)]
        ref_close = q[np.minimum(qi + 3, q.size - 1)]
        agent_open = q[np.minimum(qi + 4, q.size - 1)]
        agent_close = q[np.minimum(qi + 5, q.size - 1)]
    else:
        ref_open = ref_close = agent_open = agent_close = end
    good &= ~combined | (
        (at(ref_open - 1) == 32)
        & (agent_open == ref_close + 2)
        & (at(ref_close + 1) == 32)
        & ((agent_close == end - 1) | (at(agent_close + 1) == 32))
    )
    reason[~blank & ~good] = 2
    ts = np.zeros(n, dtype=np.int64)
    idx = np.flatnonzero(good)
    if idx.size:
        ms, time_ok = _decode_time(b, lb[idx] + 1)
        ts[idx] = ms
        reason[idx[~time_ok]] = 3
        good[idx[~time_ok]] = False
    keep = np.flatnonzero(good)
    authenticated = (s3[keep] - s2[keep] != 2) | (b[s2[keep] + 1] != 45)
    u_start = np.where(authenticated, s2[keep] + 1, start[keep])
    u_stop = np.where(authenticated, s3[keep], s1[keep])
    a_start = np.where(combined[keep], agent_open[keep] + 1, end[keep])
    a_stop = np.where(combined[keep], agent_close[keep], end[keep])
    return {
        "ok": good,
        "reason": reason,
        "ts_ms": ts,
        "user": _slices(buf, u_start, u_stop),
        "agent": _slices(buf, a_start, a_stop),
    }


def parse_squid_block(buf: bytes) -> dict[str, np.ndarray | pa.Array]:
    """Parse the whole lines of ``buf`` as Squid's native access log.

    A line is ten or more fields between runs of spaces: the time in epoch
    seconds with a fraction (``1286536309.450``), the elapsed ms, the client
    address, the result code and status (``TCP_MISS/200``), the bytes, the
    method, the URL, the user (``-`` when none), the hierarchy code and peer,
    the content type. The user is the client where it is not ``-``, else the
    address. Returns what :func:`parse_block` returns; ``agent`` is empty (the
    format has no user agent).
    """
    b, start, end = _lines(buf)
    n = start.size
    word = (b != 32) & (b != 9) & (b != 10) & (b != 13)
    starts = np.flatnonzero(word & ~np.r_[False, word[:-1]])
    stops = np.flatnonzero(word & ~np.r_[word[1:], False]) + 1
    first = np.searchsorted(starts, start)
    fields = np.searchsorted(starts, end) - first
    reason = np.where(end == start, 1, 0).astype(np.int8)
    good = fields >= 10

    def field(k: int) -> tuple[np.ndarray, np.ndarray]:
        if not starts.size:
            return np.zeros(n, np.int64), np.zeros(n, np.int64)
        at = np.where(good, first + k, 0).clip(0, starts.size - 1)
        return starts[at], stops[at]

    def digits(lo: np.ndarray, hi: np.ndarray, most: int = 15) -> np.ndarray:
        """Whether [lo, hi) is 1 to ``most`` digits, looked at place by place."""
        ok = (hi > lo) & (hi - lo <= most)
        for k in range(most):
            at = np.flatnonzero(ok & (lo + k < hi))
            if not at.size:
                break
            ok[at] = (b[lo[at] + k] - 48) <= 9  # uint8: below "0" wraps round
        return ok

    code_lo, code_hi = field(3)  # TCP_MISS/200
    good &= (code_hi - code_lo >= 5) & (b[np.maximum(code_hi - 4, 0)] == 47)
    good &= digits(code_hi - 3, code_hi)
    good &= digits(*field(4))  # bytes
    reason[(reason == 0) & ~good] = 2
    t_lo, t_hi = field(0)
    dot = _first_byte(b, t_lo, t_hi, 46)
    whole_hi = np.where(dot >= 0, dot, t_hi)
    frac_hi = np.where(dot >= 0, t_hi, t_hi + 1)
    time_ok = digits(t_lo, whole_hi, 12)
    time_ok &= (frac_hi == t_hi + 1) | digits(whole_hi + 1, frac_hi, 9)
    ts = np.zeros(n, np.int64)
    for k in range(12):  # the whole seconds, digit by digit
        more = time_ok & (t_lo + k < whole_hi)
        ts[more] = ts[more] * 10 + (b[t_lo[more] + k] - 48)
    ts *= 1000
    for k, scale in ((1, 100), (2, 10), (3, 1)):  # ms: the fraction's first three
        more = time_ok & (whole_hi + k < frac_hi)
        ts[more] += (b[whole_hi[more] + k] - 48).astype(np.int64) * scale
    bad_time = good & ~time_ok
    reason[bad_time] = 3
    good &= time_ok
    keep = np.flatnonzero(good)
    a_lo, a_hi = field(2)
    u_lo, u_hi = field(7)
    named = (u_hi - u_lo != 1) | (b[u_lo] != 45)
    u_start = np.where(named, u_lo, a_lo)[keep]
    u_stop = np.where(named, u_hi, a_hi)[keep]
    return {
        "ok": good,
        "reason": reason,
        "ts_ms": ts,
        "user": _slices(buf, u_start, u_stop),
        "agent": pc.fill_null(pa.nulls(keep.size, pa.string()), ""),
    }


#: How each form of access log is parsed, and what its malformed lines are
#: reported as (:data:`REASONS` otherwise).
FORMS: dict[str, tuple] = {
    "combined": (parse_block, {}),
    "squid": (
        parse_squid_block,
        {
            2: "not a Squid native access log line",
            3: "time is not epoch seconds (1286536309.450)",
        },
    ),
}


def iter_blocks(path: str | Path, block_bytes: int = BLOCK_BYTES):
    """Yield ``(buf, cut)`` blocks of whole lines; the last block of a file that
    does not end with an end of line is completed with one and ``cut`` is True."""
    with open_bytes(path) as f:
        rest = b""
        while True:
            chunk = f.read(block_bytes)
            if not chunk:
                break
            data = rest + chunk
            last = data.rfind(b"\n")
            if last < 0:
                rest = data
                continue
            yield memoryview(data)[: last + 1], False
            rest = data[last + 1 :]
        if rest:
            yield rest + b"\n", True


def load_access_log(
    path: str | Path | list[Path], *, now_ms: int, strict: bool = False
):
    """Read an access log, or several read as one capture (the files a log
    rotation leaves: ``access.log``, ``access.log.1``, ``access.log.2.gz``),
    each in either form of :data:`FORMS` told from its first lines, into
    :class:`features.io.Logs`.

    Users are numbered 0, 1, … in the sorted order of their names (the client
    address or authenticated user); ``Logs.user_names`` maps a number back to
    its name and ``Logs.user_info`` holds each user's most frequent user agent
    (None when every file is Squid's log, which has none).
    Every line is either an event or a bad row (blank, not the format, a bad
    time, before 2000 or after ``now_ms``), counted with its first line numbers
    in the report of its file (``access_log`` for one file; by name for
    several).
    """
    paths = [Path(p) for p in path] if isinstance(path, list) else [Path(path)]
    users: list[pa.Array] = []
    agents: list[pa.Array] = []
    stamps: list[np.ndarray] = []
    files, forms = {}, set()
    for one in paths:
        form = access_log_form(one) or "combined"
        forms.add(form)
        before = len(stamps)
        report = _read_access_file(one, form, now_ms, strict, users, agents, stamps)
        read, frozen = read_frozen(np.concatenate(stamps[before:] or [[]]))
        if frozen[0]:  # known to the hour: read so
            report.frozen = list(frozen)
            stamps[before:] = [read]
        files["access_log" if len(paths) == 1 else one.name] = report
    ts = np.concatenate(stamps) if stamps else np.zeros(0, np.int64)
    code, names = encode_strings(users)  # numbers follow the names' order
    info = _top_agent(code, agents, names.size)
    code, ts = _sorted_pairs(code, ts)
    events = pd.DataFrame(
        {
            "user_id": code,
            "event": pd.Categorical.from_codes(
                np.zeros(code.size, np.int8), categories=list(EVENT_TYPES)
            ),
            "ts_ms": ts,
        }
    )
    signups = pd.DataFrame(
        {
            "user_id": np.zeros(0, np.int64),
            "country_code": np.zeros(0, dtype=object),
            "signup_ms": np.zeros(0, np.int64),
        }
    )
    load = LoadReport(files=files, source="access_log")
    return Logs(
        events=events,
        signups=signups,
        report=load,
        user_names=names,
        user_info=pd.DataFrame({"user_agent": info}) if "combined" in forms else None,
    )


def _read_access_file(
    path: Path,
    form: str,
    now_ms: int,
    strict: bool,
    users: list[pa.Array],
    agents: list[pa.Array],
    stamps: list[np.ndarray],
) -> FileReport:
    """Parse one access log file in ``form``, appending its good lines'
    users, agents and times; its report."""
    parse, own_reasons = FORMS[form]
    reasons = {**REASONS, **own_reasons}
    report = FileReport(path=str(path))
    seen = kept = 0
    for cut, p in _parsed_blocks(path, parse):
        reason = p["reason"].astype(np.int16)
        ts = p["ts_ms"]
        ok = p["ok"]
        early = ok & (ts < MIN_TS_MS)
        late = ok & (ts > now_ms)
        reason[early], reason[late] = 4, 5
        if cut and reason[-1] in (2, 3):
            reason[-1] = 6
        if strict and reason.any():  # the first bad line, whatever its reason
            first = int(np.argmax(reason != 0))
            text = reasons[int(reason[first])]
            raise BadRowError(f"{path}: line {seen + first + 1}: {text}")
        for code, text in reasons.items():
            _record_bad(
                report, reason == code, text, False, lambda i, s=seen: s + i + 1
            )
        keep_in_ok = ~(early | late)[ok]
        mask = pa.array(keep_in_ok)
        users.append(p["user"].filter(mask))
        agents.append(p["agent"].filter(mask))
        stamps.append(ts[ok][keep_in_ok])
        seen += reason.size
        kept += int(keep_in_ok.sum())
    report.rows_read, report.rows_kept = seen, kept
    return report


def _top_agent(code: np.ndarray, agents: list[pa.Array], n_users: int) -> np.ndarray:
    """Each user's most frequent user agent (ties: the first in sorted order)."""
    a, dictionary = encode_strings(agents)  # codes in the agents' sorted order
    if a.size == 0 or n_users == 0:
        return np.full(n_users, "", dtype=object)
    key = code * dictionary.size + a
    pairs, counts = np.unique(key, return_counts=True)
    u = pairs // dictionary.size
    best = np.lexsort((pairs % dictionary.size, -counts, u))
    first = best[np.r_[True, u[best][1:] != u[best][:-1]]]
    out = np.full(n_users, "", dtype=object)
    out[u[first]] = dictionary[pairs[first] % dictionary.size]
    return out


def _parsed_blocks(path: Path, parse=parse_block, workers: int = 2):
    """``(cut, parse(buf))`` for the blocks of :func:`iter_blocks`, in file
    order, two parsed at a time (numpy and Arrow release the GIL for most of
    the work)."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque()
        for buf, cut in iter_blocks(path):
            pending.append((cut, pool.submit(parse, buf)))
            if len(pending) > workers:
                cut, fut = pending.popleft()
                yield cut, fut.result()
        while pending:
            cut, fut = pending.popleft()
            yield cut, fut.result()


def _sorted_pairs(code: np.ndarray, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(user, time) pairs sorted by user then time: one sort of packed keys when
    the time span fits in the low bits, else a lexsort."""
    if ts.size == 0:
        return code.astype(np.int64), ts.astype(np.int64)
    lo = int(ts.min())
    span_bits = max(int(ts.max() - lo).bit_length(), 1)
    if span_bits + max(int(code.max()).bit_length(), 1) <= 62:
        key = np.sort((code << span_bits) | (ts - lo))
        return key >> span_bits, (key & ((1 << span_bits) - 1)) + lo
    order = np.lexsort((ts, code))
    return code[order], ts[order]
