"""What users rely on: a real tracking server, fuzzed input, pathological users,
determinism across processes, and output that is never left half-written."""

import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import score
import train
from features.build import build_features
from features.io import LoadError, load_logs
from models.ensemble import CadenceDetector

ROOT = Path(__file__).resolve().parents[1]
NOW = 1_700_000_000_000


# --- a real MLflow tracking server ---------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path):
    """``mlflow server`` on 127.0.0.1 with a sqlite store; stopped in every case."""
    port = free_port()
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            f"sqlite:///{tmp_path / 'server.db'}",
            "--artifacts-destination",
            str(tmp_path / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                log.flush()
                raise RuntimeError(
                    "mlflow server did not start:\n"
                    + (tmp_path / "server.log").read_text()[-3000:]
                )
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_train_and_score_through_a_real_server(mlflow_server, small_dir, tmp_path):
    from mlflow import MlflowClient

    assert (
        train.main(
            [
                "--data",
                str(small_dir),
                "--tracking-uri",
                mlflow_server,
                "--register",
                "cadence",
                "--n-estimators",
                "50",
                "-q",
            ]
        )
        == 0
    )
    out = tmp_path / "scores.csv"
    assert (
        score.main(
            [
                "--data",
                str(small_dir),
                "--tracking-uri",
                mlflow_server,
                "--model",
                "models:/cadence@champion",
                "--out",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    client = MlflowClient(mlflow_server)
    version = client.get_model_version_by_alias("cadence", "champion")
    run = client.get_run(version.run_id)
    assert run.info.status == "FINISHED"
    assert "label_average_precision" in run.data.metrics
    table = pd.read_csv(out)
    assert len(table) == 3000 and table["score"].is_monotonic_decreasing


# --- fuzzed input ---------------------------------------------------------------

FIELD = st.one_of(
    st.text(max_size=12),
    st.integers(-(10**18), 10**18).map(str),
    st.sampled_from(
        [
            "2019-03-05",
            "2019-03-05T10:00:00Z",
            "1551780000000",
            "1551780000",
            "2019-03-05 10:00:00.123",
            "",
            " ",
            "\\N",
        ]
    ),
)
ROW = st.lists(FIELD, min_size=1, max_size=4)


def encode_rows(rows, crlf, bom):
    text = "user_id\tsearch_ts\n" + "".join(
        "\t".join(
            f.replace("\t", " ").replace("\n", " ").replace("\r", " ") for f in row
        )
        + "\n"
        for row in rows
    )
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8", errors="surrogatepass")
    return (b"\xef\xbb\xbf" if bom else b"") + data


def base_logs(d: Path):
    (d / "signup.tsv").write_text(
        "user_id\tcountry_code\tsignup_ts\n1\tIT\t2019-03-02\n"
    )
    (d / "call.tsv").write_text("user_id\tcall_ts\n1\t1551780000000\n")


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(ROW, max_size=30),
    crlf=st.booleans(),
    bom=st.booleans(),
    junk=st.binary(max_size=8),
)
def test_fuzzed_search_log_is_counted_or_refused_clearly(
    tmp_path_factory, rows, crlf, bom, junk
):
    d = tmp_path_factory.mktemp("fuzz")
    base_logs(d)
    try:
        payload = encode_rows(rows, crlf, bom)
    except UnicodeEncodeError:
        return
    (d / "search.tsv").write_bytes(payload + junk)
    try:
        logs = load_logs(d, now_ms=NOW)
    except LoadError as exc:
        assert "search.tsv" in str(exc)
        return
    for f in logs.report.files.values():
        assert f.rows_read == f.rows_kept + f.duplicates + f.bad_rows
    kept = logs.events
    assert kept["ts_ms"].between(946_684_800_000, NOW).all()


def test_mixed_forms_shuffled_rows_extra_columns(tmp_path):
    base_logs(tmp_path)
    forms = [
        "1551780000",
        "1551780001000",
        "2019-03-05T10:00:02Z",
        "2019-03-05 10:00:03.000",
        "2019-03-05T11:00:04+01:00",
    ]
    rows = [f"1\t{f}\textra{i}" for i, f in enumerate(forms)]
    rng = np.random.default_rng(0)
    rng.shuffle(rows)
    (tmp_path / "search.tsv").write_text(
        "user_id\tsearch_ts\tnote\n" + "\n".join(rows) + "\n"
    )
    logs = load_logs(tmp_path, now_ms=NOW)
    s = logs.events[logs.events["event"] == "search"]["ts_ms"].to_numpy()
    np.testing.assert_array_equal(s - 1_551_780_000_000, [0, 1000, 2000, 3000, 4000])


# --- pathological users ---------------------------------------------------------


def test_pathological_users_get_finite_scores(small_sim, small_features):
    t0 = 1_552_000_000_000
    odd = pd.DataFrame(
        [(1, "search", t0)]  # one event
        + [(2, "call", t0 + 5)] * 1
        + [(2, "search", t0 + 5), (2, "message", t0 + 5)]
        + [(3, "message", t0 + i * 60_000) for i in range(200)]  # only messages
        + [(4, "search", t0 + (i * 7919 % 500) * 1000) for i in range(500)],  # shuffled
        columns=["user_id", "event", "ts_ms"],
    )
    odd["event"] = pd.Categorical(odd["event"], ["search", "call", "message"])
    sign = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4, 5],
            "country_code": ["IT", "", "XX", "GB", "SE"],
            "signup_ms": t0,
        }
    )
    F = build_features(odd, sign)
    model = CadenceDetector(n_estimators=50).fit(small_features)
    s = model.score_samples(F)
    assert np.isfinite(s).all() and len(s) == 5
    assert model.explain(F).shape == (5, 6)  # three reasons, each with its column
    # all events in the same millisecond: zero gaps, no crash, no fake period
    assert np.isnan(F.loc[2, "all_period_s"]) or F.loc[2, "all_period_s"] > 0


def test_one_user_with_two_million_events():
    rng = np.random.default_rng(0)
    n = 2_000_000
    ts = 1_552_000_000_000 + np.cumsum(rng.integers(1, 3000, n))
    ev = pd.DataFrame(
        {
            "user_id": 7,
            "event": pd.Categorical(
                rng.choice(["search", "call", "message"], n),
                ["search", "call", "message"],
            ),
            "ts_ms": ts,
        }
    )
    sign = pd.DataFrame(
        {
            "user_id": [7, 8],
            "country_code": ["IT", "IT"],
            "signup_ms": [1_552_000_000_000] * 2,
        }
    )
    F = build_features(ev, sign)
    assert F.loc[7, "n_events"] == n
    assert np.isfinite(F.loc[7, "all_gap_cv"])


# --- determinism ----------------------------------------------------------------

SCORE_SNIPPET = """
import hashlib, sys
from cadence.simulate import SimConfig, simulate
from features.build import build_features
from models.ensemble import CadenceDetector
sim = simulate(SimConfig(users=1500, bot_share=0.05, seed=9))
F = build_features(sim.events, sim.signups)
s = CadenceDetector(n_estimators=60, random_state=4).fit(F).score_samples(F)
print(hashlib.sha256(s.tobytes()).hexdigest())
"""


def test_bit_identical_scores_across_processes():
    digests = {
        subprocess.run(
            [sys.executable, "-c", SCORE_SNIPPET],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(digests) == 1
    # and in this process too
    ns: dict = {}
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(SCORE_SNIPPET, ns)
    assert buf.getvalue().strip() in digests


# --- no partial output ----------------------------------------------------------


def test_killed_scoring_never_leaves_a_partial_file(small_dir, tmp_path, train_into):
    """score.py killed at several moments: the output is the previous file or the
    complete new one, never a truncated one."""
    store = train_into(small_dir, "--n-estimators", "30", db="k.db")
    out = tmp_path / "scores.csv"
    out.write_text("previous\n")
    cmd = [
        sys.executable,
        str(ROOT / "score.py"),
        "--data",
        str(small_dir),
        "--tracking-uri",
        store,
        "--out",
        str(out),
        "-q",
    ]
    complete = None
    # a killed run cannot remove its temporary folders: keep them out of /tmp
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    for delay in (0.5, 2.0, 4.0, 6.0, 8.0, None):
        proc = subprocess.Popen(
            cmd,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        if delay is None:
            assert proc.wait(timeout=300) == 0
        else:
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        text = out.read_text()
        if text != "previous\n":
            table = pd.read_csv(out)
            assert len(table) == 3000 and table["user_id"].is_unique
            complete = hashlib.sha256(text.encode()).hexdigest()
        leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".scores.csv")]
        assert len(leftovers) <= 1  # a killed run may leave its temp file, never out
    assert complete is not None


def _wait_for(found, proc, what: str, timeout: float = 120):
    """Poll ``found()`` until it is true while ``proc`` runs."""
    deadline = time.time() + timeout
    while not found():
        assert proc.poll() is None, f"the command ended before {what}"
        assert time.time() < deadline, f"no {what} in {timeout} s"
        time.sleep(0.05)


def test_sigterm_while_scoring_cleans_up(small_dir, tmp_path, train_into):
    """score.py stopped by SIGTERM while its child copies the model: exit 143,
    the previous output kept, no temporary file or folder left, the child gone."""
    store = train_into(small_dir, "--n-estimators", "30", db="t.db")
    out = tmp_path / "scores.csv"
    out.write_text("previous\n")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "score.py"), "--data", str(small_dir)]
        + ["--tracking-uri", store, "--out", str(out), "-q"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp)},
    )
    _wait_for(lambda: any(tmp.glob("cadence-model-*")), proc, "model folder")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    assert out.read_text() == "previous\n"
    assert list(tmp.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.csv", "t.db", "tmp"]
    # the lookup child was stopped, not left to run on: no process has our TMPDIR
    children = subprocess.run(
        ["pgrep", "-f", f"cadence.locate --dst {tmp}"], capture_output=True
    )
    assert children.returncode == 1  # pgrep: no process matched


def test_sigterm_while_training_fails_the_run(small_dir, tmp_path):
    """train.py stopped by SIGTERM inside its MLflow run: the run ends FAILED,
    not RUNNING for ever, and the process exits 143."""
    from mlflow import MlflowClient

    store = f"sqlite:///{tmp_path / 'r.db'}"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "train.py"), "--data", str(small_dir)]
        + ["--tracking-uri", store, "--experiment", "sigterm", "-q"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def started() -> bool:
        """The run has logged its suspects (it is now writing the reasons,
        not the store), read without MLflow: its client would create the
        tables beside the child and lock the store."""
        if not (tmp_path / "r.db").exists():
            return False
        db = sqlite3.connect(f"file:{tmp_path / 'r.db'}?mode=ro", uri=True)
        try:
            query = "SELECT count(*) FROM metrics WHERE key = 'suspects'"
            return bool(db.execute(query).fetchone()[0])
        except sqlite3.OperationalError:  # no tables yet
            return False
        finally:
            db.close()

    _wait_for(started, proc, "logged suspects", timeout=180)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
    assert "stopped by SIGTERM" in err
    client = MlflowClient(store)
    (got,) = client.search_runs(
        [client.get_experiment_by_name("sigterm").experiment_id]
    )
    assert got.info.status == "FAILED"
