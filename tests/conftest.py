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


@pytest.fixture(scope="session")
def numeric_dates_dirs(small_sim, tmp_path_factory):
    """The small marketplace twice: times as epoch ms, and as exports write a
    day and a month both in numbers, each log in its own way:

    - signup: the day first, with slashes (19/03/2019 00:00:00);
    - call: the day first, with dashes and ms (19-03-2019 12:53:20.123);
    - search: numbers not padded, a year of two digits, a 12-hour clock,
      whole seconds (19/3/19 1:53:20 PM, as spreadsheets export);
    - message: the day first, only days 1–12 of each month (as a capture
      of a few days would be): its own values cannot tell the order.

    Returns (epoch_dir, numeric_dir); the twins hold the same instants.
    """
    import pandas as pd

    events = small_sim.events
    when = pd.to_datetime(events["ts_ms"], unit="ms")
    search = (events["event"] == "search").to_numpy()
    message = (events["event"] == "message").to_numpy()
    keep = ~message | (when.dt.day <= 12).to_numpy()
    ts_ms = events["ts_ms"].to_numpy().copy()
    ts_ms[search] = ts_ms[search] // 1000 * 1000  # whole seconds on a 12-hour clock
    when = pd.to_datetime(pd.Series(ts_ms), unit="ms")
    forms = {
        "call": lambda t: t.dt.strftime("%d-%m-%Y %H:%M:%S.%f").str[:-3],
        "search": lambda t: t.dt.strftime("%-d/%-m/%y %-I:%M:%S %p"),
        "message": lambda t: t.dt.strftime("%d/%m/%Y %H:%M:%S.%f").str[:-3],
    }
    dirs = []
    for name in ("epoch", "numeric"):
        out = tmp_path_factory.mktemp(f"{name}_dates")
        sign = small_sim.signups
        sign_ts = pd.to_datetime(sign["signup_ms"], unit="ms")
        pd.DataFrame(
            {
                "user_id": sign["user_id"],
                "country_code": sign["country_code"],
                "signup_ts": sign["signup_ms"]
                if name == "epoch"
                else sign_ts.dt.strftime("%d/%m/%Y %H:%M:%S"),
            }
        ).to_csv(out / "signup.tsv", sep="\t", index=False)
        for log, form in forms.items():
            rows = keep & (events["event"] == log).to_numpy()
            pd.DataFrame(
                {
                    "user_id": events["user_id"].to_numpy()[rows],
                    f"{log}_ts": ts_ms[rows]
                    if name == "epoch"
                    else form(when[rows].reset_index(drop=True)).to_numpy(),
                }
            ).to_csv(out / f"{log}.tsv", sep="\t", index=False)
        dirs.append(out)
    return tuple(dirs)
