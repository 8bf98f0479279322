"""A self-contained HTML report of a scored population (images embedded).

For analysts, who decide by looking: the score distribution with the budget
threshold, agreement with the rule flags (and with labels when there are any),
then for each top suspect — and a few typical users for contrast — an activity
raster, a gap histogram with the fitted period's multiples, and the gaps folded at
that period.
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from cadence.atomic import atomic_output  # noqa: E402
from features.gaps import call_lags, clock_tick_ms, page_starts  # noqa: E402
from features.grouped import Groups  # noqa: E402
from features.timeofday import local_time_ms  # noqa: E402
from models.evaluate import recall_by_kind, top_mask  # noqa: E402
from models.rules import RULES  # noqa: E402

DAY_MS = 86_400_000
STREAMS = ("all", "search", "call", "message")
COLOURS = {"search": "#4c72b0", "call": "#dd8452", "message": "#55a868"}


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(b64: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'


def score_figure(scores: np.ndarray, threshold: float, bots=None) -> str:
    """Histogram of the scores (log count axis), threshold marked; base64 PNG."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    bins = np.histogram_bin_edges(scores[np.isfinite(scores)], bins=80)
    if bots is None:
        ax.hist(scores, bins=bins, color="#4c72b0", label="users")
    else:
        ax.hist(scores[~bots], bins=bins, color="#4c72b0", label="people (labels)")
        ax.hist(
            scores[bots], bins=bins, color="#dd8452", alpha=0.85, label="bots (labels)"
        )
    ax.axvline(threshold, color="#c44e52", ls="--", label="suspect threshold")
    ax.set_yscale("log")
    ax.set_xlabel(
        "score (0 = typical user, 1 = training top 1%; higher = more automated)"
    )
    ax.set_ylabel("users (log scale)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return _png(fig)


def pr_figure(scores: np.ndarray, is_bot: np.ndarray, budget: float) -> str:
    """Precision–recall curve against labels, the budget point marked."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    prec, rec, _ = precision_recall_curve(is_bot, scores)
    ap = average_precision_score(is_bot, scores)
    top = top_mask(scores, budget)
    fig, ax = plt.subplots(figsize=(4.2, 3.4))
    ax.plot(rec, prec, color="#4c72b0")
    ax.plot(
        is_bot[top].sum() / is_bot.sum(),
        is_bot[top].mean(),
        "o",
        color="#c44e52",
        label=f"budget {budget:.0%}",
    )
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(f"precision–recall (AP {ap:.3f})", fontsize=10)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return _png(fig)


def _best_stream(row: pd.Series) -> str:
    """The stream whose gaps carry the strongest rhythm evidence."""
    logp = {s: row.get(f"{s}_rayleigh_logp", np.nan) for s in STREAMS}
    finite = {s: v for s, v in logp.items() if np.isfinite(v)}
    return max(finite, key=finite.get) if finite else "all"


#: Which picture shows the evidence of which feature columns.
RASTER_FEATURES = (
    "longest_awake_h",
    "awake_active_h",
    "active_run_h",
    "night_hours_lcb",
    "night_share_lcb",
    "diurnal_r2",
    "clock_day_share",
    "clock_hour_share",
    "max_minutes_hour",
    "max_events_hour",
    "max_events_day",
    "events_per_active_day",
    "single_event_share_lcb",
    "pace_fano_ub",
)
LAG_FEATURES = ("lag_mode_share_lcb",)


def _title_for(reasons: dict[str, str], columns, default: str) -> str:
    """The first of the user's reasons that rests on one of ``columns``, else
    ``default`` (long texts wrapped over two lines)."""
    for column, text in reasons.items():
        if column in columns or any(column.endswith(c) for c in columns):
            return textwrap.fill(text, 60)
    return default


def user_figure(
    events: pd.DataFrame,
    country: str,
    row: pd.Series,
    reasons: dict[str, str] | None = None,
) -> str:
    """Raster (day × local hour), gap histogram, gaps folded at the fitted
    period, and search → call lags of one user; each picture is titled with
    the user's reason it shows (``reasons``: feature column → reason text)."""
    reasons = reasons or {}
    ts = events["ts_ms"].to_numpy(np.int64)
    kind = events["event"].astype(str).to_numpy()
    local = local_time_ms(ts, np.full(ts.size, country, dtype=object))
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.0))
    ax = axes[0]
    if ts.size:
        day = (local - local.min() // DAY_MS * DAY_MS) // DAY_MS
        hour = (local % DAY_MS) / 3_600_000
        for name, colour in COLOURS.items():
            sel = kind == name
            ax.scatter(
                hour[sel],
                day[sel],
                s=4,
                color=colour,
                label=name,
                alpha=0.7,
                linewidths=0,
            )
        last = int(day.max())
        ax.set_ylim(last + 0.5, -0.5)  # day 0 on top
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlim(0, 24)
    ax.set_xticks([0, 6, 12, 18, 24])
    ax.set_xlabel(f"local hour ({country or 'UTC'})")
    ax.set_ylabel("day")
    ax.set_title(_title_for(reasons, RASTER_FEATURES, "activity"), fontsize=8)
    ax.legend(frameon=False, fontsize=6, markerscale=2, loc="lower right")

    # the stream a rhythm reason speaks of, else the best-fitting one
    said = [c[: -len("_rhythm")] for c in reasons if c.endswith("_rhythm")]
    stream = said[0] if said else _best_stream(row)
    t = ts if stream == "all" else ts[kind == stream]
    gaps = np.diff(np.sort(t)) / 1000.0
    gaps = gaps[gaps > 0]
    period = row.get(f"{stream}_period_s", np.nan)
    rhythm_title = _title_for(
        reasons, ("_rhythm", "all_mode_share", "all_gap_log_iqr"), ""
    )
    ax = axes[1]
    if gaps.size:
        bins = np.logspace(
            np.log10(max(gaps.min(), 1e-3)), np.log10(gaps.max()) + 1e-9, 60
        )
        ax.hist(gaps, bins=bins, color=COLOURS.get(stream, "#777777"))
        ax.set_xscale("log")
        if np.isfinite(period):
            for m in range(1, 6):
                ax.axvline(
                    m * period, color="#c44e52", lw=0.8, ls="-" if m == 1 else ":"
                )
    ax.set_xlabel(f"{stream} gap (s, log)")
    ax.set_title(rhythm_title or f"gaps; fitted period {_fmt_s(period)}", fontsize=8)

    ax = axes[2]
    p_miss = row.get(f"{stream}_p_miss", np.nan)
    if gaps.size and np.isfinite(period) and period > 0:
        in_run = gaps[gaps <= 20 * row.get(f"{stream}_mode_s", np.inf)]
        phase = (in_run % period) / period
        ax.hist(phase, bins=24, range=(0, 1), color=COLOURS.get(stream, "#777777"))
        ax.set_title(
            f"gaps folded at {_fmt_s(period)}: a schedule piles up at 0 and 1"
            f"\n({p_miss:.0%} of beats skipped)",
            fontsize=8,
        )
    else:
        ax.set_title("gaps folded at a period: none fitted", fontsize=8)
    ax.set_xlabel("phase of gap within the period")

    ax = axes[3]
    lags = _search_call_lags(ts, kind)
    if lags.size:
        ax.hist(lags, bins=40, color=COLOURS.get("call", "#777777"))
    ax.set_xlabel("latest search → call (s, within 1 h)")
    ax.set_title(
        _title_for(reasons, LAG_FEATURES, f"search → call lags ({lags.size})"),
        fontsize=8,
    )
    fig.tight_layout()
    return _png(fig)


def _search_call_lags(ts: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Seconds from the latest search page to each call page, within an hour
    (one user), as the coupling features count them
    (:func:`features.gaps.page_starts`, :func:`features.gaps.call_lags`)."""
    tick = clock_tick_ms(ts, _one_user(ts.size))
    searches, calls = (
        _pages_of(np.sort(ts[kind == k]), tick) for k in ("search", "call")
    )
    lag, ok = call_lags(
        searches, _one_user(searches.size), calls, _one_user(calls.size), 3_600_000
    )
    return lag[ok] / 1000.0


def _one_user(n: int) -> Groups:
    return Groups(np.zeros(n, dtype=np.int64), 1)


def _pages_of(ts: np.ndarray, tick_ms: np.ndarray) -> np.ndarray:
    """The times of one user's events that start a page."""
    return ts[page_starts(ts, _one_user(ts.size), tick_ms)]


def _fmt_s(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "n/a"
    if seconds >= 3600:
        return f"{seconds / 3600:.2f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.2f} s"


def rule_agreement(table: pd.DataFrame) -> pd.DataFrame:
    """Per rule flag: users flagged, how many the model marks as suspects."""
    rows = []
    for rule in [*RULES, "rule_any"]:
        if rule not in table.columns:
            continue
        flagged = table[rule].to_numpy(bool)
        both = flagged & table["suspect"].to_numpy(bool)
        rows.append(
            {
                "rule": rule,
                "flagged": int(flagged.sum()),
                "also suspects": int(both.sum()),
                "share": both.sum() / flagged.sum() if flagged.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


#: Users drawn by default: the top suspects, and typical users for contrast.
TOP_N = 20
TYPICAL_N = 3


def build_report(
    path: str | Path,
    table: pd.DataFrame,
    features: pd.DataFrame,
    events: pd.DataFrame,
    signups: pd.DataFrame,
    threshold: float,
    *,
    labels: pd.DataFrame | None = None,
    top_n: int = TOP_N,
    typical_n: int = TYPICAL_N,
    title: str = "cadence report",
    notes: list[str] | None = None,
) -> Path:
    """Write the HTML report atomically; return its path.

    Parameters
    ----------
    table : the score table of :func:`cadence.pipeline.score_table` (sorted).
    features : the feature table (index user_id).
    events, signups : the clean logs (for the per-user plots); those of the
        users of :func:`report_users` are enough.
    threshold : the score at which users become suspects.
    labels : optional ground truth (index user_id; ``is_bot``, ``kind``).
    notes : lines shown under the title (the analysts' verdicts, say).
    """
    scores = table["score"].to_numpy(np.float64)
    n, suspects = len(table), int(table["suspect"].sum())
    budget = suspects / max(n, 1)
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{n:,} users scored; <b>{suspects:,}</b> suspects "
        f"({budget:.1%}) at score ≥ {threshold:.3f}. Higher score = more likely "
        "automated.</p>",
        *(f"<p>{html.escape(line)}</p>" for line in notes or []),
        "<h2>Score distribution</h2>",
    ]
    bots = None
    if labels is not None:
        lab = labels.reindex(table["user_id"].to_numpy())
        known = lab["kind"].notna().to_numpy()
        bots = lab["is_bot"].fillna(0).astype(bool).to_numpy()
    parts.append(_img(score_figure(scores, threshold, bots), "score histogram"))
    if labels is not None and known.any():
        share = recall_by_kind(scores[known], lab["kind"].to_numpy()[known], budget)
        kinds = pd.DataFrame(
            {"kind": list(share), "share inside the budget": list(share.values())}
        )
        parts += [
            "<h2>Against labels</h2>",
            '<div class="row">',
            _img(pr_figure(scores[known], bots[known], budget), "precision-recall"),
            _table_html(
                kinds,
                "Share of each kind marked as suspect (recall for "
                "bot kinds; false positives for people)",
            ),
            "</div>",
        ]
    agree = rule_agreement(table)
    if not agree.empty:
        caught = table["rule_any"] if "rule_any" in table else False
        missed = table[table["suspect"] & ~caught]
        parts += [
            "<h2>Agreement with the analysis's rules</h2>",
            _table_html(agree, "Rule-flagged users the model also marks as suspects"),
            f"<p>{len(missed):,} suspects are caught by no rule; the highest:</p>",
            _table_html(missed.head(10)[["user_id", "score", "reason_1"]], None),
        ]
    mid = _typical_rows(table, typical_n)
    wanted = report_users(table, top_n, typical_n)
    country = signups.set_index("user_id")["country_code"]
    mine = events[events["user_id"].isin(wanted)]
    per_user = dict(tuple(mine.groupby("user_id", sort=False, observed=True)))
    parts.append(f"<h2>Top {min(top_n, n)} suspects</h2>")
    parts += _user_cards(table.head(top_n), features, per_user, country, "suspect")
    parts.append("<h2>Typical users, for contrast</h2>")
    parts += _user_cards(mid, features, per_user, country, "typical")
    document = _page(title, "\n".join(parts))
    return _write_atomic(Path(path), document)


def report_users(
    table: pd.DataFrame, top_n: int = TOP_N, typical_n: int = TYPICAL_N
) -> list:
    """The users :func:`build_report` draws: the top ``top_n`` of the (sorted)
    score table and ``typical_n`` from its middle. Only their events are needed."""
    top = table["user_id"].head(top_n)
    wanted = {*top, *_typical_rows(table, typical_n)["user_id"]}
    # plain Python ids: ints stay ints, string ids (client addresses) strings
    return sorted(u.item() if isinstance(u, np.generic) else u for u in wanted)


def _typical_rows(table: pd.DataFrame, typical_n: int) -> pd.DataFrame:
    n = len(table)
    if not n:
        return table.head(0)
    return table.iloc[[int(n * q) for q in np.linspace(0.4, 0.6, typical_n)]]


def _user_cards(rows, features, per_user, country, cls) -> list[str]:
    cards = []
    empty = pd.DataFrame({"ts_ms": [], "event": []})
    for row in rows.itertuples(index=False):
        uid = row.user_id
        reasons = [getattr(row, f"reason_{i}", "") for i in (1, 2, 3)]
        columns = [getattr(row, f"reason_{i}_feature", "") for i in (1, 2, 3)]
        shown = {
            c: r
            for c, r in zip(columns, reasons, strict=True)
            if isinstance(r, str) and r and isinstance(c, str)
        }
        reasons = [r for r in reasons if isinstance(r, str) and r]
        fig = user_figure(
            per_user.get(uid, empty),
            str(country.get(uid, "")),
            features.loc[uid],
            shown,
        )
        items = "".join(f"<li>{html.escape(r)}</li>" for r in reasons) or (
            "<li>nothing stands out</li>"
        )
        cards.append(
            f'<div class="card {cls}" data-user="{html.escape(str(uid))}"><h3>'
            f"user {html.escape(str(uid))} — score "
            f"{row.score:.3f} (rank {row.rank:,})</h3><ul>{items}</ul>"
            f"{_img(fig, f'user {uid}')}</div>"
        )
    return cards


def _table_html(frame: pd.DataFrame, caption: str | None) -> str:
    body = frame.to_html(
        index=False, float_format=lambda v: f"{v:.3f}", border=0, na_rep="—"
    )
    cap = f"<p class='cap'>{html.escape(caption)}</p>" if caption else ""
    return f"<div>{cap}{body}</div>"


def _page(title: str, body: str) -> str:
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;"
        "color:#222}h2{border-bottom:1px solid #ddd;padding-bottom:.2em}"
        "table{border-collapse:collapse;font-size:13px}td,th{padding:2px 8px;"
        "text-align:right}th{border-bottom:1px solid #aaa}.card{margin:1em 0;"
        "padding:.5em 1em;border:1px solid #e5e5e5;border-radius:6px}"
        ".card h3{margin:.2em 0;font-size:15px}.card ul{margin:.2em 0;"
        "font-size:13px}.row{display:flex;gap:2em;align-items:flex-start}"
        ".cap{font-size:13px;color:#555;margin:.2em 0}img{max-width:100%}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title><style>{style}</style></head><body>"
        f"{body}</body></html>"
    )


def _write_atomic(path: Path, text: str) -> Path:
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
