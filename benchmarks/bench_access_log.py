"""cadence on a real web server's access log, against weak user-agent labels.

Usage: python benchmarks/bench_access_log.py [--log FILE] [--seed 0]
       python benchmarks/bench_access_log.py --speed [--lines 10000000]

The shared log (``../shared/data/access-log/apache_logs.gz``) is read as
``train.py --data FILE`` reads it: each client a user, each request an event.
The detector is fitted on every client (unsupervised), then scored against weak
labels made from the user agent, which is never a feature: a client whose most
frequent user agent names itself automated (bot, spider, crawler, slurp, feed or
RSS reader, curl, wget, python, Java, or an empty ``-``) counts as automated.
A second set of labels also counts a user agent that carries a contact (a web
address or an e-mail: how crawlers, fetchers and scripts identify themselves —
Ezooms, Chef Client, LiveJournal's feed fetcher, PHP's HTTP_Request2, Embedly —
which no browser's does); the first set stays the measure, the gap between the
two is how much of the shortfall is automation the words miss.
AP and ROC AUC are printed for clients with at least 10 requests and for all,
beside the AP a classifier told the labels reaches from the same features
(``AP_ceiling``: 5-fold cross-validation, ``models.evaluate.supervised_ceiling``),
a yardstick of what the features hold, not a bound.

Every time in the shared log is at minute 05 of its hour, its seconds in no
order (of a client's consecutive requests in one hour, 3,452 fall and 3,474
rise): the reader tells it and reads each request at the start of its hour
(``features.io.frozen_clock``), so only the hour and the count of requests
in it are the client's.

``--speed`` tiles the log to ``--lines`` lines (plain text, in a temporary
directory) and times the reader: lines per second; the same for the log
rewritten as a proxy's, in Squid's native format (one line per request, the
time in epoch seconds with ms).
"""

from __future__ import annotations

import argparse
import gzip
import re
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (puts the project on sys.path)
import pandas as pd
from _common import print_table
from sklearn.metrics import average_precision_score, roc_auc_score

from features.accesslog import load_access_log
from features.build import build_features
from models.ensemble import CadenceDetector
from models.evaluate import supervised_ceiling

SHARED_LOG = (
    Path(__file__).resolve().parents[2] / "shared/data/access-log/apache_logs.gz"
)
#: User agents that name themselves automated (weak labels, evaluation only).
AUTOMATED_AGENT = re.compile(
    r"bot|spider|crawl|slurp|feed|rss|curl|wget|python|java|^-?$", re.IGNORECASE
)
#: A contact in a user agent: a web address or an e-mail address.
CONTACT_AGENT = re.compile(r"https?://|www\.|@|\w\.(?:com|org|net)\b", re.IGNORECASE)
#: The label sets: name → whether a contact counts as automated too.
LABEL_SETS: dict[str, bool] = {"UA words": False, "UA words or contact": True}
NOW_MS = 2_000_000_000_000


def weak_labels(agents: pd.Series, contact: bool = False) -> pd.Series:
    """True where the user agent names itself automated (with ``contact``,
    also where it carries a web or e-mail address)."""

    def automated(agent: str) -> bool:
        agent = agent.strip()
        if AUTOMATED_AGENT.search(agent):
            return True
        return contact and bool(CONTACT_AGENT.search(agent))

    return agents.fillna("").map(automated)


def evaluate(
    path: Path = SHARED_LOG, seed: int = 0, ceiling: bool = True, **detector
) -> list[dict]:
    """Rows of AP and ROC AUC for each label set (:data:`LABEL_SETS`) and
    clients with ≥ 10 requests and all (and with ``ceiling`` the supervised
    yardstick's AP)."""
    logs = load_access_log(path, now_ms=NOW_MS)
    features = build_features(logs.events, logs.signups)
    model = CadenceDetector(random_state=seed, **detector).fit(features)
    scores = model.score_samples(features)
    requests = features["n_events"].to_numpy()
    rows = []
    for labels, contact in LABEL_SETS.items():
        label = weak_labels(logs.user_info["user_agent"], contact).to_numpy()
        for name, keep in (("≥ 10 requests", requests >= 10), ("all", requests >= 1)):
            y, s = label[keep], scores[keep]
            rows.append(
                {
                    "labels": labels,
                    "clients": name,
                    "users": int(keep.sum()),
                    "automated": int(y.sum()),
                    "AP": float(average_precision_score(y, s)),
                    "ROC_AUC": float(roc_auc_score(y, s)),
                    "AP_chance": float(y.mean()),
                }
            )
            if ceiling:
                rows[-1]["AP_ceiling"] = supervised_ceiling(features[keep], y, seed)
    return rows


def as_squid(raw: bytes) -> bytes:
    """The lines of a combined access log written as Squid's native log."""
    from datetime import datetime

    pattern = re.compile(
        rb'^(\S+) \S+ (\S+) \[([^\]]{26})\] "(\S+) (\S+)[^"]*" (\d{3}|-) (\d+|-)'
    )
    out = []
    for k, line in enumerate(raw.split(b"\n")):
        m = pattern.match(line)
        if m is None:
            continue
        when = datetime.strptime(m.group(3).decode(), "%d/%b/%Y:%H:%M:%S %z")
        ms = int(when.timestamp()) * 1000 + k % 1000
        status = m.group(6).replace(b"-", b"000")
        size = m.group(7).replace(b"-", b"0")
        out.append(
            b"%d.%03d %6d %s TCP_MISS/%s %s %s %s %s DIRECT/192.0.2.1 text/html"
            % (
                ms // 1000,
                ms % 1000,
                k % 900,
                m.group(1),
                status,
                size,
                m.group(4),
                m.group(5),
                m.group(2),
            )
        )
    return b"\n".join(out) + b"\n"


def speed(path: Path, lines: int, squid: bool = False) -> dict:
    """Lines per second reading ``path`` tiled to about ``lines`` lines
    (rewritten in Squid's native format if ``squid``)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if not raw.endswith(b"\n"):
        raw += b"\n"
    if squid:
        raw = as_squid(raw)
    copies = max(1, lines // raw.count(b"\n"))
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "access.log"
        with open(big, "wb") as out:
            for _ in range(copies):
                out.write(raw)
        t0 = time.perf_counter()
        logs = load_access_log(big, now_ms=NOW_MS)
        seconds = time.perf_counter() - t0
    read = logs.report.rows_read
    return {
        "format": "squid" if squid else "combined",
        "lines": read,
        "MB": len(raw) * copies / 1e6,
        "seconds": seconds,
        "M_lines_per_s": read / seconds / 1e6,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--log", type=Path, default=SHARED_LOG)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--speed", action="store_true")
    p.add_argument("--lines", type=int, default=10_000_000)
    args = p.parse_args()
    if args.speed:
        rows = [speed(args.log, args.lines, squid) for squid in (False, True)]
        print_table(rows, "access log reader")
        return
    print_table(evaluate(args.log, args.seed), f"{args.log.name}: weak UA labels")


if __name__ == "__main__":
    main()
