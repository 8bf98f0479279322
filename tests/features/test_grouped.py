"""The grouped reductions and the fast paths behind them, against plain numpy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.grouped import (
    Groups,
    mean_resultant,
    searchsorted_sorted,
    sort_within,
    sorted_within,
    user_codes,
)

# sorted group codes with room for empty groups, and integer values with ties
codes_strategy = st.lists(st.integers(0, 9), min_size=0, max_size=60).map(sorted)


def groups_and_values(codes, values):
    return Groups(np.asarray(codes, dtype=np.int64), 10), np.asarray(values)


@settings(max_examples=80, deadline=None)
@given(codes_strategy, st.data())
def test_sum_max_and_count_equal_bincount(codes, data):
    values = data.draw(
        st.lists(
            st.floats(-1e6, 1e6, allow_nan=False),
            min_size=len(codes),
            max_size=len(codes),
        )
    )
    grp, x = groups_and_values(codes, values)
    want = np.bincount(grp.codes, weights=x, minlength=10)
    np.testing.assert_allclose(grp.sum(x), want, rtol=1e-12, atol=1e-6)
    np.testing.assert_array_equal(grp.count(), np.bincount(grp.codes, minlength=10))
    for g in range(10):
        mine = x[grp.codes == g]
        got = grp.max(x)[g]
        assert (np.isnan(got) and mine.size == 0) or got == mine.max()


@settings(max_examples=80, deadline=None)
@given(codes_strategy, st.data())
def test_sorted_within_equals_a_two_key_sort(codes, data):
    values = data.draw(
        st.lists(st.integers(0, 50), min_size=len(codes), max_size=len(codes))
    )
    grp, x = groups_and_values(codes, values)
    want = x[np.lexsort((x, grp.codes))]
    np.testing.assert_array_equal(sorted_within(x, grp), want)  # packed keys
    # floats and values beyond the packed key's 40 bits take the general path
    np.testing.assert_array_equal(sorted_within(x * 0.5, grp), want * 0.5)
    big = x + 2**41
    np.testing.assert_array_equal(sorted_within(big, grp), want + 2**41)
    np.testing.assert_array_equal(x[sort_within(x, grp)], want)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(-20, 20), max_size=50).map(sorted),
    st.lists(st.integers(-25, 25), max_size=50).map(sorted),
    st.sampled_from(["left", "right"]),
)
def test_searchsorted_sorted_equals_searchsorted(a, v, side):
    # integers as floats: plenty of ties between a and v, and within each
    a, v = np.asarray(a, dtype=float), np.asarray(v, dtype=float)
    np.testing.assert_array_equal(
        searchsorted_sorted(a, v, side=side), np.searchsorted(a, v, side=side)
    )


def test_searchsorted_sorted_names_a_bad_side():
    with pytest.raises(ValueError, match="side"):
        searchsorted_sorted(np.arange(3.0), np.arange(2.0), side="middle")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 30), max_size=40),
    st.lists(st.integers(0, 30), max_size=10),
    st.booleans(),
)
def test_user_codes_equal_union_and_search(ids, more, presort):
    ids = np.asarray(sorted(ids) if presort else ids, dtype=np.int64)
    more = np.asarray(more, dtype=np.int64)
    users, code = user_codes(ids, more)
    np.testing.assert_array_equal(users, np.union1d(more, ids))
    np.testing.assert_array_equal(users[code], ids)


def test_mean_resultant_matches_complex_mean_in_float64():
    rng = np.random.default_rng(5)
    codes = np.sort(rng.integers(0, 50, 20_000))
    grp = Groups(codes, 50)
    # concentrated, uniform and in-between phases, many turns away from zero
    spread = np.repeat([0.01, 0.2, 10.0, 0.05, 1.0], 10)[codes]
    cycles = rng.integers(-1000, 1000, codes.size) + spread * rng.normal(
        size=codes.size
    )
    z = np.exp(2j * np.pi * cycles)
    want = np.abs(
        np.bincount(codes, weights=z.real, minlength=50)
        + 1j * np.bincount(codes, weights=z.imag, minlength=50)
    ) / np.bincount(codes, minlength=50)
    got = mean_resultant(cycles, grp)
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert want.min() < 0.1 and want.max() > 0.99  # the cases span the range
