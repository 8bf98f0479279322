"""Vectorised per-group reductions over arrays sorted by group.

Every feature function works on *all users at once*: a flat array of values and,
beside it, the integer group (user) code of each value, sorted ascending. These
helpers are the only place that knows how to turn such pairs into one number per
group; none loops over groups in Python.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Groups:
    """Group codes of a flat array, sorted ascending, and the number of groups.

    Attributes
    ----------
    codes : ndarray of int64
        Group of each element; non-decreasing.
    n : int
        Number of groups (codes are in ``range(n)``; groups may be empty).
    """

    codes: np.ndarray
    n: int

    def __post_init__(self) -> None:
        codes = np.asarray(self.codes, dtype=np.int64)
        object.__setattr__(self, "codes", codes)
        if codes.size and (codes[0] < 0 or codes[-1] >= self.n):
            raise ValueError("group codes must lie in range(n)")

    @property
    def size(self) -> int:
        return int(self.codes.size)

    def count(self) -> np.ndarray:
        """Number of elements of each group (float64; computed once, then cached)."""
        cached = self.__dict__.get("_count")
        if cached is None:
            cached = np.bincount(self.codes, minlength=self.n).astype(np.float64)
            object.__setattr__(self, "_count", cached)
        return cached.copy()

    def sum(self, x: np.ndarray) -> np.ndarray:
        """Sum of ``x`` over each group, in float64 (0 for an empty group).

        One ``np.add.reduceat`` over the contiguous runs of each group: about
        ten times faster than a weighted ``np.bincount``.
        """
        out = np.zeros(self.n)
        first, who = self._runs()
        if first.size:
            out[who] = np.add.reduceat(np.asarray(x), first, dtype=np.float64)
        return out

    def mean(self, x: np.ndarray) -> np.ndarray:
        """Mean of ``x`` over each group (NaN for an empty group)."""
        return divide(self.sum(x), self.count())

    def max(self, x: np.ndarray, empty: float = np.nan) -> np.ndarray:
        """Maximum of ``x`` over each group (``empty`` for an empty group)."""
        out = np.full(self.n, empty)
        first, who = self._runs()
        if first.size:
            out[who] = np.maximum.reduceat(np.asarray(x, dtype=np.float64), first)
        return out

    def _runs(self) -> tuple[np.ndarray, np.ndarray]:
        """Index of the first element of each non-empty group, and its code (cached)."""
        cached = self.__dict__.get("_first")
        if cached is None:
            first = run_starts(self.codes)
            cached = (first, self.codes[first])
            object.__setattr__(self, "_first", cached)
        return cached

    def starts(self) -> np.ndarray:
        """Index of each group's first element (``size`` for an empty group)."""
        return np.searchsorted(self.codes, np.arange(self.n), side="left")

    def subset(self, keep: np.ndarray) -> Groups:
        """The groups of the elements where ``keep`` is true."""
        return Groups(self.codes[keep], self.n)


def mean_resultant(cycles: np.ndarray, groups: Groups) -> np.ndarray:
    """Mean resultant length R = |mean e^{2πi·c}| of each group's phases.

    ``cycles`` are phases in turns (any real; only the fractional part counts).
    They are reduced to [−½, ½] in float64 and cos and sin are taken in float32,
    which numpy vectorises (about 20× faster than float64 here); R is accurate to
    about 1e-7, far below what separates a schedule from a person.
    """
    c = np.asarray(cycles, dtype=np.float64)
    theta = (2 * np.pi * (c - np.rint(c))).astype(np.float32)
    return np.hypot(groups.mean(np.cos(theta)), groups.mean(np.sin(theta)))


def divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with NaN where ``den`` is 0 or NaN."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    ok = np.isfinite(den) & (den != 0)
    np.divide(num, den, out=out, where=ok)
    return out


def ascending(x: np.ndarray) -> bool:
    """Whether ``x`` is in ascending order (ties allowed)."""
    x = np.asarray(x)
    return bool(np.all(x[1:] >= x[:-1]))


def sorted_by(codes: np.ndarray, x: np.ndarray) -> bool:
    """Whether (code, x) pairs are already in ascending order (codes first)."""
    if codes.size < 2:
        return True
    dc = np.diff(codes)
    return bool(np.all((dc > 0) | ((dc == 0) & (np.diff(x) >= 0))))


def sort_within(x: np.ndarray, groups: Groups) -> np.ndarray:
    """Order that sorts ``x`` ascending within each group (groups stay in order)."""
    return np.lexsort((np.asarray(x, dtype=np.float64), groups.codes))


#: Bits of a packed (group, value) key left to the value in :func:`sorted_within`.
_VALUE_BITS = 40


def sorted_within(x: np.ndarray, groups: Groups) -> np.ndarray:
    """The values of ``x`` sorted ascending within each group (groups stay in order).

    Non-negative integers below 2⁴⁰ (gaps in ms: up to 34 years) with fewer than
    2²³ groups are packed into one int64 key, group·2⁴⁰ + value, and sorted as
    one array: several times faster than a two-key sort. Anything else falls
    back to :func:`sort_within`.
    """
    x = np.asarray(x)
    packable = (
        np.issubdtype(x.dtype, np.integer)
        and groups.n < 2 ** (63 - _VALUE_BITS)
        and (x.size == 0 or (x.min() >= 0 and x.max() < 2**_VALUE_BITS))
    )
    if not packable:
        return x[sort_within(x, groups)]
    key = (groups.codes << _VALUE_BITS) | x.astype(np.int64)
    key.sort()  # equal keys are equal values: no need for a stable sort
    return key & (2**_VALUE_BITS - 1)


def searchsorted_sorted(a: np.ndarray, v: np.ndarray, side: str = "left") -> np.ndarray:
    """``np.searchsorted(a, v, side)`` for ascending ``v``, by one linear merge.

    A binary search per value misses the cache on large arrays; merging the two
    sorted arrays with a stable sort (timsort finds the two runs) is about twice
    as fast. ``a`` and ``v`` must both be ascending.
    """
    a, v = np.asarray(a), np.asarray(v)
    if side == "left":  # v before equal values of a: count a < v
        order = np.argsort(np.concatenate((v, a)), kind="stable")
        at = np.flatnonzero(order < v.size)
    elif side == "right":  # equal values of a before v: count a <= v
        order = np.argsort(np.concatenate((a, v)), kind="stable")
        at = np.flatnonzero(order >= a.size)
    else:
        raise ValueError(f"side must be 'left' or 'right', not {side!r}")
    return at - np.arange(v.size)


def grouped_quantile(
    x: np.ndarray,
    groups: Groups,
    q: float,
    presorted: bool = False,
    interpolate: bool = True,
) -> np.ndarray:
    """Quantile ``q`` of ``x`` in each group (linear interpolation; NaN if empty).

    ``presorted`` says ``x`` is already ascending within each group. Without
    ``interpolate``, the value at rank floor((n − 1)·q) itself, not a blend
    of two.
    """
    xs = np.asarray(x, dtype=np.float64)
    if not presorted:
        xs = xs[sort_within(x, groups)]
    count = groups.count().astype(np.int64)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    out = np.full(groups.n, np.nan)
    has = count > 0
    pos = (count[has] - 1) * q
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, count[has] - 1)
    frac = pos - lo if interpolate else np.zeros(lo.size)
    base = start[has]
    out[has] = xs[base + lo] * (1 - frac) + xs[base + hi] * frac
    return out


def user_codes(ids: np.ndarray, more_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every distinct id of ``ids`` and ``more_ids`` (sorted), and the code of each
    element of ``ids`` (its index among them).

    When ``ids`` is sorted (as logs from :func:`features.io.load_logs` are), only
    its runs are looked up, not every element.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.size and ascending(ids):
        first = run_starts(ids)
        users = np.union1d(more_ids, ids[first])
        run_code = np.searchsorted(users, ids[first])
        return users, np.repeat(run_code, np.diff(np.r_[first, ids.size]))
    users = np.union1d(more_ids, ids)
    return users, np.searchsorted(users, ids)


def run_starts(x: np.ndarray) -> np.ndarray:
    """Index of the first element of each run of equal values (of a sorted
    array: of each distinct value; of group codes: of each group)."""
    return np.flatnonzero(np.r_[True, x[1:] != x[:-1]]) if x.size else np.arange(0)


def distinct_sorted(x: np.ndarray) -> np.ndarray:
    """The distinct values of an ascending array (``np.unique`` without its sort)."""
    return x[run_starts(x)]


#: Events per range of users for the range-wise builders (features, rules): memory
#: stays bounded, and arrays of this size work in cache (measured: 260,000 users
#: build 1.2× faster in ranges of 1 M events than of 4 M).
RANGE_EVENTS = 1_000_000


def user_ranges(
    event_users: np.ndarray, users: np.ndarray, max_events: int
) -> list[tuple[int, int, int, int]]:
    """Split sorted users into contiguous ranges of at most ~``max_events`` events.

    Parameters
    ----------
    event_users : user id of each event, sorted ascending.
    users : every user id (sorted, unique), including users without events.
    max_events : target events per range (a single user with more gets a range
        of their own).

    Returns
    -------
    list of (user_lo, user_hi, event_lo, event_hi)
        Index ranges into ``users`` and ``event_users``; together they cover
        both arrays exactly once, and no user is split between ranges.
    """
    n_ev, n_us = event_users.size, users.size
    if n_ev <= max_events:
        return [(0, n_us, 0, n_ev)]
    cuts_ev = [0]
    pos = max_events
    while pos < n_ev:
        # cut at the first event of the user at ``pos`` (or the next user)
        start = int(np.searchsorted(event_users, event_users[pos], side="left"))
        if start <= cuts_ev[-1]:
            start = int(np.searchsorted(event_users, event_users[pos], side="right"))
        if start >= n_ev:
            break
        cuts_ev.append(start)
        pos = start + max_events
    cuts_ev.append(n_ev)
    cuts_us = [0]
    for c in cuts_ev[1:-1]:
        cuts_us.append(int(np.searchsorted(users, event_users[c], side="left")))
    cuts_us.append(n_us)
    return [
        (cuts_us[i], cuts_us[i + 1], cuts_ev[i], cuts_ev[i + 1])
        for i in range(len(cuts_ev) - 1)
    ]
