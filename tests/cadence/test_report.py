"""The HTML report: builds on a small simulated set, images decode, suspects match."""

import base64
import io
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from cadence.pipeline import score_table
from cadence.report import build_report, rule_agreement
from models.ensemble import CadenceDetector
from models.rules import rule_flags


@pytest.fixture(scope="module")
def report(small_sim, small_features, tmp_path_factory):
    model = CadenceDetector(n_estimators=50).fit(small_features)
    flags = rule_flags(small_sim.events, small_sim.signups, small_features)
    table = score_table(model, small_features, flags)
    path = tmp_path_factory.mktemp("report") / "report.html"
    labels = small_sim.labels.set_index("user_id")
    build_report(
        path,
        table,
        small_features,
        small_sim.events,
        small_sim.signups,
        model.threshold_,
        labels=labels,
        top_n=8,
        typical_n=2,
    )
    return path.read_text(), table


def test_every_image_decodes(report):
    text, _ = report
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    # histogram, precision-recall, 8 suspects, 2 typical users
    assert len(images) == 12
    for b64 in images:
        with Image.open(io.BytesIO(base64.b64decode(b64))) as im:
            im.verify()
    assert "http://" not in text and "https://" not in text  # opens offline


def test_top_suspects_match_the_scores(report):
    text, table = report
    shown = [
        int(u) for u in re.findall(r'class="card suspect" data-user="(\d+)"', text)
    ]
    assert shown == table["user_id"].head(8).tolist()
    typical = re.findall(r'class="card typical" data-user="(\d+)"', text)
    assert len(typical) == 2 and not set(map(int, typical)) & set(shown)
    assert "Against labels" in text and "Agreement with the analysis" in text


def test_rule_agreement_counts():
    table = pd.DataFrame(
        {
            "suspect": [True, True, False, False],
            "regular_search": [True, False, True, False],
            "rule_any": [True, False, True, True],
        }
    )
    agree = rule_agreement(table).set_index("rule")
    assert agree.loc["regular_search", "flagged"] == 2
    assert agree.loc["regular_search", "also suspects"] == 1
    assert agree.loc["rule_any", "share"] == pytest.approx(1 / 3)


def test_pictures_are_titled_with_the_reason_they_show():
    from cadence.report import LAG_FEATURES, RASTER_FEATURES, _title_for

    reasons = {
        "lag_mode_share_lcb": "calls 5.0 s after 96% of its 800 searches",
        "longest_awake_h": "active for 41 h without a 3-hour rest",
        "search_rhythm": "one search every 61 s (± 1.2 s)",
    }
    assert _title_for(reasons, LAG_FEATURES, "x") == reasons["lag_mode_share_lcb"]
    assert _title_for(reasons, RASTER_FEATURES, "x") == reasons["longest_awake_h"]
    assert _title_for(reasons, ("_rhythm",), "x") == reasons["search_rhythm"]
    assert _title_for({}, LAG_FEATURES, "search → call lags") == "search → call lags"


def test_search_call_lags_by_hand():
    from cadence.report import _search_call_lags

    ts = np.array([0, 10_000, 100_000, 105_000, 200_000, 5_000_000])
    kind = np.array(["search", "call", "search", "call", "search", "call"])
    # 0 → 10 s, 100 → 5 s; the search at 200 s has its next call 4,800 s on
    np.testing.assert_array_equal(_search_call_lags(ts, kind), [10.0, 5.0])
    # a page's further requests (search at 0.4 s, calls at 10.3 and 10.9 s)
    # add no lag, as in the features; the lag runs from the page's first search
    ts2 = np.concatenate([ts, [400, 10_300, 10_900]])
    kind2 = np.concatenate([kind, ["search", "call", "call"]])
    order = np.argsort(ts2, kind="stable")
    lags = _search_call_lags(ts2[order], kind2[order])
    np.testing.assert_array_equal(lags, [10.0, 5.0])
