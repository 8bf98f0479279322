"""The guarded champion: comparison numbers by hand, and the alias in a real store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.champion import champion_comparison, close_enough
from models.ensemble import CadenceDetector


class Fixed(CadenceDetector):
    """A detector whose scores are given (to work the comparison by hand)."""

    def __init__(self, scores=None, threshold=0.0):
        self.scores = scores
        self.threshold = threshold

    def score_samples(self, X):
        return np.asarray(self.scores, dtype=float)

    @property
    def threshold_(self):
        return self.threshold


def test_comparison_by_hand():
    X = pd.DataFrame({"x": range(6)})
    old = Fixed([0, 1, 2, 3, 4, 5], threshold=3.5)  # suspects: 4, 5
    new = Fixed([0, 1, 2, 5, 3, 4], threshold=3.5)  # suspects: 3, 5
    got = champion_comparison(old, new, X)
    assert got["suspect_overlap"] == pytest.approx(1 / 3)  # {5} of {3, 4, 5}
    d = np.array([0, 0, 0, 2, -1, -1])  # rank differences
    assert got["rank_corr"] == pytest.approx(1 - 6 * (d**2).sum() / (6 * 35))
    assert got["old_share"] == pytest.approx(2 / 6)
    assert got["threshold_share"] == pytest.approx(2 / 6)
    ok, why = close_enough(got)
    assert not ok and "overlap" in why[0]
    same = champion_comparison(old, old, X)
    assert close_enough(same) == (True, [])


def test_alias_moves_for_a_retrain_not_for_other_data(tmp_path, small_dir, capsys):
    import mlflow
    from mlflow import MlflowClient

    import train
    from cadence.simulate import simulate, world_config, write_logs

    other = tmp_path / "other"
    # other data: a one-day capture of other people, other kinds and shares of
    # automation (the champion's threshold flags 0.3% of it, a model fitted on
    # it 2%). A model fitted on a whole-minute clock's data now agrees with the
    # champion there (suspect overlap 0.72, rank correlation 0.80): robust
    # features make the two closer, which the guard allows
    write_logs(
        simulate(world_config("hard_one_day", users=3000, bot_share=0.05, seed=8)),
        other,
    )
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"

    def fit(data, *extra):
        args = ["--data", str(data), "--tracking-uri", store, "--register", "cd"]
        assert train.main([*args, "--report-top", "0", "-q", *extra]) == 0
        return capsys.readouterr().out

    def champion():
        return MlflowClient(store).get_model_version_by_alias("cd", "champion").version

    assert "version 1 as @champion" in fit(small_dir)
    assert "version 2 as @champion" in fit(small_dir, "--seed", "1")  # a retrain
    said = fit(other)
    assert "@champion stays on version 2" in said and str(champion()) == "2"
    assert "(forced)" in fit(other, "--force-alias") and str(champion()) == "4"
    mlflow.set_tracking_uri(store)
    runs = mlflow.search_runs(experiment_names=["cadence"], order_by=["start_time"])
    assert runs["tags.champion_moved"].tolist() == ["true", "true", "false", "true"]
    # the refused run logged a comparison that fails the guard
    logged = {
        k: runs[f"metrics.vs_champion_{k}"].iloc[2]
        for k in ("suspect_overlap", "rank_corr", "old_share", "threshold_share")
    }
    assert close_enough(logged)[0] is False
