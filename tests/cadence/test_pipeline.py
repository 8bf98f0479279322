"""The shared steps: score table layout and atomic output."""

import numpy as np
import pandas as pd
import pytest

from cadence.pipeline import score_table, write_frame
from models.ensemble import CadenceDetector
from models.rules import RULES


@pytest.fixture(scope="module")
def table(small_features, small_sim):
    from models.rules import rule_flags

    model = CadenceDetector(n_estimators=50).fit(small_features)
    flags = rule_flags(small_sim.events, small_sim.signups, small_features)
    return model, score_table(model, small_features, flags)


def test_score_table_layout(table, small_features):
    model, t = table
    assert list(t.columns[:5]) == ["user_id", "score", "rank", "percentile", "suspect"]
    assert [c for c in t.columns if c.startswith("reason_")] == [
        "reason_1",
        "reason_1_feature",
        "reason_2",
        "reason_2_feature",
        "reason_3",
        "reason_3_feature",
    ]
    # every reason names a model column, and no text quotes a test statistic
    named = t.loc[t["reason_1"] != "", "reason_1_feature"]
    assert named.isin(model.columns_).all() and len(named) > 0
    text = " ".join(t[["reason_1", "reason_2", "reason_3"]].to_numpy().ravel())
    for word in ("log10", "p-value", "R²", "unbiased", "z-score"):
        assert word not in text
    assert set(RULES) | {"rule_any"} <= set(t.columns)
    assert len(t) == len(small_features)
    assert t["score"].is_monotonic_decreasing
    np.testing.assert_array_equal(t["rank"], np.arange(1, len(t) + 1))
    assert t["percentile"].iloc[0] == 100.0
    # suspects are exactly the users at or above the fitted threshold
    np.testing.assert_array_equal(t["suspect"], t["score"] >= model.threshold_)


def test_budget_override(table, small_features):
    model, _ = table
    t = score_table(model, small_features, budget=0.1)
    assert t["suspect"].sum() == round(0.1 * len(small_features))
    with pytest.raises(ValueError, match="budget"):
        score_table(model, small_features, budget=2)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_write_frame_round_trip(tmp_path, suffix):
    frame = pd.DataFrame({"user_id": [1, 2], "score": [0.5, 0.25], "why": ["a", ""]})
    path = write_frame(frame, tmp_path / f"out{suffix}")
    if suffix == ".parquet":
        back = pd.read_parquet(path)
    else:
        back = pd.read_csv(
            path, sep="," if suffix == ".csv" else "\t", keep_default_na=False
        )
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert [p.name for p in tmp_path.iterdir()] == [f"out{suffix}"]


def test_write_frame_failure_keeps_the_previous_file(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("previous\n")

    class Exploding(pd.DataFrame):
        def to_csv(self, *args, **kwargs):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_frame(Exploding({"a": [1]}), path)
    assert path.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_frame_bad_paths(tmp_path):
    with pytest.raises(ValueError, match="unknown extension"):
        write_frame(pd.DataFrame({"a": [1]}), tmp_path / "out.xlsx")
    with pytest.raises(ValueError, match="does not exist"):
        write_frame(pd.DataFrame({"a": [1]}), tmp_path / "nope" / "out.csv")


@pytest.mark.parametrize("folder", ["", "export/"])
def test_labels_are_found_inside_a_zip_archive_of_the_logs(tmp_path, folder):
    import zipfile

    from cadence.cli import local_file

    labels = "user_id\tis_bot\tkind\n7\t1\tperiodic\n8\t0\thuman\n"
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(folder + "labels.tsv", labels)
        z.writestr(folder + "signup.tsv", "user_id\tcountry_code\tsignup_ts\n")
    found = local_file(archive, "labels.tsv")
    assert found is not None and found.read_text() == labels
    assert local_file(archive, "reviewed.tsv") is None
    # labels are looked for where the reader looks for the logs, not in a
    # folder beside them
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(folder + "signup.tsv", "user_id\tcountry_code\tsignup_ts\n")
        z.writestr("other/labels.tsv", labels)
    assert local_file(archive, "labels.tsv") is None
    # a folder of logs as before
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "labels.tsv").write_text(labels)
    assert local_file(tmp_path / "d", "labels.tsv") == tmp_path / "d" / "labels.tsv"
