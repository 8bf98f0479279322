"""The application layer: what train.py and score.py share.

``features/`` turns logs into one feature row per user and ``models/`` turns
the feature table into scores, rules and evaluations; this package puts them to
work: the CLIs' argument helpers (``cli``), the pipeline from a data directory
to a scores file (``pipeline``), the Spark engine (``spark``), the HTML report
and its plots (``report``, ``plots``), the simulator (``simulate``) and atomic
output files (``atomic``). It may import ``features`` and ``models``; they never
import it.
"""
