#!/usr/bin/python3
"""Pool the rounds of several benchmark runs into one verdict per proxy-cost goal.

  pool.py bench/results/2026-12-01-b.md bench/results/2026-12-01-c.md ...

One run's 7 rounds give an interval too wide to tell 0.93 from 0.97 (report.py says
"within the noise"). The rounds of several runs of the same appliance can be put
together: each results file lists every round's value per configuration ("Every run,
in order (a | b | c)"), and a round's (c)/(a) does not depend on the others. Only pool
runs of the same rendered configuration; the file names say which commit ran.
"""
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import PROXY_GOALS, PROXY_MIN, median_interval, verdict  # noqa: E402

RUN_LINE = re.compile(r"^- (\w+) \([^)]*\): (.*)$")


def rounds_of(path):
    """scenario -> [(a, c) per round] from one results file's list of every run."""
    found = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for line in lines:
        m = RUN_LINE.match(line)
        if not m:
            continue
        columns = [part.split() for part in m.group(2).split("\\|")]
        if len(columns) != 3:
            continue
        a, _b, c = ([None if v == "NA" else float(v) for v in col] for col in columns)
        found[m.group(1)] = list(zip(a, c))
    return found


def main(paths):
    pooled = {key: [] for key, _ in PROXY_GOALS}
    for path in paths:
        for key, pairs in rounds_of(path).items():
            if key in pooled:
                pooled[key] += [c / a for a, c in pairs if a and c is not None]
    print(f"Pooled over {len(paths)} runs: per-round (c)/(a), goal ≥ {PROXY_MIN}")
    print()
    print("| goal | rounds | median | 95 % interval of the median | |")
    print("|---|---|---|---|---|")
    for key, label in PROXY_GOALS:
        ratios = pooled[key]
        if not ratios:
            print(f"| {label} | 0 | – | – | not measured |")
            continue
        value = statistics.median(ratios)
        interval = median_interval(ratios, wanted=0.95)
        spread = "–" if interval is None else f"{interval[0]:.3f} to {interval[1]:.3f} ({interval[2]:.0%})"
        word = verdict(value, interval, lambda r: r >= PROXY_MIN)
        print(f"| {label} | {len(ratios)} | {value:.3f} | {spread} | {word} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: pool.py RESULTS.md [RESULTS.md ...]")
    main(sys.argv[1:])
