"""Shared, seeded data for the tests: simulated marketplaces built in-process."""

import os

import pytest
from hypothesis import settings

# property tests draw the same examples on every run: CI is reproducible
settings.register_profile("cadence", derandomize=True, deadline=None)
settings.load_profile("cadence")

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


@pytest.fixture(scope="session")
def default_sim():
    """The simulator's default marketplace (26,000 users, seed 0)."""
    from cadence.simulate import SimConfig, simulate

    return simulate(SimConfig())


@pytest.fixture(scope="session")
def default_features(default_sim):
    from features.build import build_features

    return build_features(default_sim.events, default_sim.signups)


@pytest.fixture(scope="session")
def small_sim():
    """A small marketplace with more bots than usual (3,000 users, 5% bots)."""
    from cadence.simulate import SimConfig, simulate

    return simulate(SimConfig(users=3000, bot_share=0.05, seed=3))


@pytest.fixture(scope="session")
def small_features(small_sim):
    from features.build import build_features

    return build_features(small_sim.events, small_sim.signups)


@pytest.fixture(scope="session")
def small_dir(small_sim, tmp_path_factory):
    """The small marketplace written as a data directory (with labels.tsv)."""
    from cadence.simulate import write_logs

    out = tmp_path_factory.mktemp("small_data")
    write_logs(small_sim, out)
    return out


@pytest.fixture
def train_into(tmp_path):
    """Run train.py on a data directory into a fresh sqlite store; return its URI."""

    def run(data, *extra: str, db: str = "mlflow.db") -> str:
        import train

        store = f"sqlite:///{tmp_path / db}"
        args = ["--data", str(data), "--tracking-uri", store, "-q", *extra]
        assert train.main(args) == 0
        return store

    return run
