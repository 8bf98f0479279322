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
        """Sum of ``x`` over each group (0 for an empty group)."""
        return np.bincount(self.codes, weights=x, minlength=self.n)

    def mean(self, x: np.ndarray) -> np.ndarray:
        """Mean of ``x`` over each group (NaN for an empty group)."""
        return divide(self.sum(x), self.count())

    def max(self, x: np.ndarray, empty: float = np.nan) -> np.ndarray:
        """Maximum of ``x`` over each group (``empty`` for an empty group)."""
        out = np.full(self.n, -np.inf)
        _reduce_max(out, self.codes, np.asarray(x, dtype=np.float64))
        out[self.count() == 0] = empty
        return out

    def starts(self) -> np.ndarray:
        """Index of each group's first element (``size`` for an empty group)."""
        return np.searchsorted(self.codes, np.arange(self.n), side="left")

    def first_mask(self) -> np.ndarray:
        """True at the first element of each non-empty group."""
        m = np.ones(self.size, dtype=bool)
        m[1:] = self.codes[1:] != self.codes[:-1]
        return m

    def subset(self, keep: np.ndarray) -> Groups:
        """The groups of the elements where ``keep`` is true."""
        return Groups(self.codes[keep], self.n)


def _reduce_max(out: np.ndarray, codes: np.ndarray, x: np.ndarray) -> None:
    # maximum.reduceat over the starts of the non-empty groups
    if codes.size == 0:
        return
    first = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    out[codes[first]] = np.maximum.reduceat(x, first)


def divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with NaN where ``den`` is 0 or NaN."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    ok = np.isfinite(den) & (den != 0)
    np.divide(num, den, out=out, where=ok)
    return out


def sorted_by(codes: np.ndarray, x: np.ndarray) -> bool:
    """Whether (code, x) pairs are already in ascending order (codes first)."""
    if codes.size < 2:
        return True
    dc = np.diff(codes)
    return bool(np.all((dc > 0) | ((dc == 0) & (np.diff(x) >= 0))))


def sort_within(x: np.ndarray, groups: Groups) -> np.ndarray:
    """Order that sorts ``x`` ascending within each group (groups stay in order)."""
    return np.lexsort((np.asarray(x, dtype=np.float64), groups.codes))


def grouped_quantile(
    x: np.ndarray, groups: Groups, q: float, order: np.ndarray | None = None
) -> np.ndarray:
    """Quantile ``q`` of ``x`` in each group (linear interpolation; NaN if empty).

    ``order`` may pass a precomputed :func:`sort_within` of ``x``.
    """
    if order is None:
        order = sort_within(x, groups)
    xs = np.asarray(x, dtype=np.float64)[order]
    count = groups.count().astype(np.int64)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    out = np.full(groups.n, np.nan)
    has = count > 0
    pos = (count[has] - 1) * q
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, count[has] - 1)
    frac = pos - lo
    base = start[has]
    out[has] = xs[base + lo] * (1 - frac) + xs[base + hi] * frac
    return out


def pairs_within(codes: np.ndarray) -> np.ndarray:
    """True at position i when element i+1 belongs to the same group as i."""
    return codes[1:] == codes[:-1]


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
