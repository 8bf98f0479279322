"""Argument helpers shared by train.py and score.py (errors name the argument)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd


def fraction(text: str) -> float:
    """argparse type: a number in (0, 1)."""
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {text}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer ≥ 1."""
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def parse_now(text: str | None) -> int | None:
    """``--now`` as ms since the epoch (UTC), or None for the clock."""
    if text is None:
        return None
    try:
        return int(pd.Timestamp(text, tz="UTC").value // 1_000_000)
    except ValueError as exc:
        raise SystemExit(f"--now {text!r}: not a date/time: {exc}") from exc


def read_labels(path: Path, flag: str = "--labels") -> pd.DataFrame:
    """A labels file (user_id, is_bot, kind) indexed by user_id."""
    try:
        labels = pd.read_csv(path, sep=None, engine="python")
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{flag} {path}: cannot be read: {exc}") from exc
    missing = {"user_id", "is_bot", "kind"} - set(labels.columns)
    if missing:
        raise SystemExit(
            f"{flag} {path}: missing column(s) {', '.join(sorted(missing))}"
        )
    labels["user_id"] = labels["user_id"].astype(np.int64)
    labels["is_bot"] = labels["is_bot"].astype(str).str.lower().isin(["1", "true"])
    return labels.set_index("user_id")


def setup_logging(quiet: bool) -> None:
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )
