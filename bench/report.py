#!/usr/bin/python3
"""Turn bench.sh's raw results into the markdown table (stdout).

  report.py RESULTS.tsv META.tsv

RESULTS.tsv: scenario, configuration (a|b|c), run, value ("NA" = failed run).
META.tsv: key, value (date, machine, versions, HTTP codes of the big STOW...).
Cells are "median (min–max)" over the runs. Ratios are medians of the
per-round ratios (configurations of one round ran back to back, so a round's
ratio is little touched by the load drifting between rounds).
"""
import math
import statistics
import sys
from collections import defaultdict

# key, label, unit, True when higher is better
ROWS = [
    ("stow1", "STOW-RS, 1 client", "inst/s", True),
    ("stow4", "STOW-RS, 4 clients (4 studies)", "inst/s", True),
    ("cstore1", "C-STORE, 1 association", "inst/s", True),
    ("cstore4", "C-STORE, 4 associations", "inst/s", True),
    ("qido_p50", "QIDO-RS by study UID, p50", "ms", False),
    ("qido_p99", "QIDO-RS by study UID, p99", "ms", False),
    ("wado_cold", "WADO-RS series, cold (after Orthanc restart)", "MB/s", True),
    ("wado_warm", "WADO-RS series, warm", "MB/s", True),
    ("frames", "WADO-RS 100 frames one by one", "MB/s", True),
    ("ohif", "OHIF time to first image, fresh browser, loopback", "ms", False),
    ("ohif_link", "OHIF time to first image, fresh browser, emulated link ({link})", "ms", False),
    ("ohif_mb", "OHIF bytes received until the first image (loopback run)", "MB", False),
]

# The proxy-cost goals of issue 9: scenario key, label; each met when (c)/(a) >= PROXY_MIN.
PROXY_GOALS = [
    ("stow1", "STOW 1 client"),
    ("stow4", "STOW 4 clients"),
    ("wado_warm", "WADO series warm"),
    ("wado_cold", "WADO series cold"),
    ("frames", "WADO frame by frame"),
]
PROXY_MIN = 0.95

# The proxy's cost in CPU: key (cpu_orthanc_KEY, cpu_nginx_KEY in the results), label
CPU_ROWS = [
    ("stow1", "STOW-RS, 1 client"),
    ("stow4", "STOW-RS, 4 clients"),
    ("wado_cold", "WADO-RS series, cold"),
    ("wado_warm", "WADO-RS series, warm"),
    ("frames", "WADO-RS 100 frames one by one"),
]


def load(results, meta_file):
    data = defaultdict(lambda: defaultdict(list))
    rounds = defaultdict(lambda: defaultdict(dict))
    for line in open(results):
        scen, cfg, run, value = line.rstrip("\n").split("\t")
        v = None if value == "NA" else float(value)
        data[scen][cfg].append(v)
        rounds[scen][cfg][run] = v
    ROUNDS.update(rounds)
    meta = {}
    for line in open(meta_file):
        k, _, v = line.rstrip("\n").partition("\t")
        meta[k] = v
    return data, meta


def fmt(x):
    if x is None:
        return "–"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def median(values):
    ok = [v for v in values if v is not None]
    return statistics.median(ok) if ok else None


def cell(values):
    ok = [v for v in values if v is not None]
    if not values:
        return "n/a"
    if not ok:
        return "failed"
    failed = f", {len(values) - len(ok)} failed" if len(ok) < len(values) else ""
    return f"{fmt(statistics.median(ok))} ({fmt(min(ok))}–{fmt(max(ok))}{failed})"


def link_label(link):
    mbit, _, rtt = link.partition(",")
    return f"{mbit} Mbit/s, {rtt} ms RTT" if rtt else link


ROUNDS = {}  # scenario -> configuration -> run -> value


def round_values(scen, num, den, op):
    """op(num value, den value) for every round where both ran."""
    r = ROUNDS.get(scen, {})
    n, d = r.get(num, {}), r.get(den, {})
    return [op(n[k], d[k]) for k in n if k in d and n[k] is not None and d[k]]


def per_round(scen, num, den, op):
    """Median over the rounds where both ran of op(num value, den value)."""
    return median(round_values(scen, num, den, op))


def median_interval(values, wanted=0.9):
    """A distribution-free confidence interval for the median of what the rounds sample.

    Between the k-th smallest and the k-th largest of n values lies the true median with
    probability 1 - 2 P(Binomial(n, 1/2) < k), whatever the distribution: no normality
    assumed, which these skewed, load-driven rounds would not grant. Takes the narrowest
    such interval whose coverage is at least `wanted`; with too few rounds for that, the
    whole range, with the coverage it really has. Returns (low, high, coverage) or None.
    """
    xs = sorted(values)
    n = len(xs)
    if n < 2:
        return None
    best = (xs[0], xs[-1], 1 - 2 / 2 ** n)
    for k in range(2, n // 2 + 1):
        coverage = 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2 ** n
        if coverage < wanted:
            break
        best = (xs[k - 1], xs[n - k], coverage)
    return best


def verdict(value, interval, met):
    """met / not met by the median; says so when the interval reaches across the target,
    that is when this run's rounds cannot tell which side the configuration is on."""
    word = "met" if met(value) else "**not met**"
    if interval and met(interval[0]) != met(interval[1]):
        word += ", within the noise"
    return word


def ratio(_data, scen, num, den):
    return per_round(scen, num, den, lambda x, y: x / y)


def main():
    data, meta = load(sys.argv[1], sys.argv[2])
    out = []
    p = out.append
    p(f"# Radflare benchmark — {meta.get('date', '?')}")
    p("")
    p(f"Machine: {meta.get('machine', '?')}. {meta.get('versions', '')}. "
      f"Load average (1/5/15 min): {meta.get('load', '?')}.")
    p("Each cell: median over the runs (n = runs per configuration, last column), min–max in brackets; "
      "runs alternate a, b, c; ratios are medians of the per-round ratios. "
      "Shared cores: trust the ratios more than the absolutes. "
      f"Whole benchmark: {int(meta.get('duration_s', 0)) // 60} min {int(meta.get('duration_s', 0)) % 60} s.")
    p("")
    p("- **(a) direct**: Orthanc as the appliance renders it, on its own HTTP port, internal credential, no proxy.")
    p("- **(b) seed**: the seed's orthanc.json + nginx site verbatim (ports/paths substituted), "
      "index **and** files in PostgreSQL over SSL, admin in RegisteredUsers, nginx defaults.")
    p("- **(c) radflare**: `radflare render` of rootfs/etc/radflare.toml, nginx with edge authentication on.")
    if meta.get("tune"):
        p(f"- **Hand-tuned run** — the rendered files of (a) and (c) edited by {meta['tune']}")
    p("")
    b413 = meta.get("stow_http_b")
    stow_note = (f"HTTP {b413} at its nginx; its Orthanc directly: " if b413 and b413 != "200" else "")
    p("| scenario | unit | (a) direct | (b) seed | (c) radflare | (c)/(a) | (c)/(b) | n |")
    p("|---|---|---|---|---|---|---|---|")
    for key, label, unit, _high in ROWS:
        if key not in data:
            continue
        d = data[key]
        b = cell(d.get("b", []))
        if key.startswith("stow") and stow_note:
            b = stow_note + b
        label = label.format(link=link_label(meta.get("ohif_link", "")))
        p(f"| {label} | {unit} | {cell(d.get('a', []))} | {b} | {cell(d.get('c', []))} "
          f"| {fmt(ratio(data, key, 'c', 'a'))} | {fmt(ratio(data, key, 'c', 'b'))} "
          f"| {max(len(v) for v in d.values())} |")
    p("")
    if b413:
        p(f"STOW body: {meta.get('stow_mb', '?')} MB (100 × 512×512 16-bit CT). Through the seed's nginx: "
          f"HTTP {b413}{' (nginx default client_max_body_size 1m)' if b413 == '413' else ''}; "
          f"through the appliance's nginx: HTTP {meta.get('stow_http_c', '?')}. "
          "The (b) STOW column is therefore the seed's Orthanc behind its own configuration, without its nginx.")
        p("")
    cpu_rows = [(key, label) for key, label in CPU_ROWS if f"cpu_orthanc_{key}" in data]
    if cpu_rows:
        ncpu = meta.get("ncpu", "?")
        p("| CPU per MB moved, ms (utime + stime) | Orthanc (a) | Orthanc (c) | nginx (c) "
          f"| nginx (c) / Orthanc (a) | cores busy (a), of {ncpu} | cores busy (c), of {ncpu} | n |")
        p("|---|---|---|---|---|---|---|---|")
        for key, label in cpu_rows:
            orthanc, nginx = data[f"cpu_orthanc_{key}"], data.get(f"cpu_nginx_{key}", {})
            n_by_run = ROUNDS.get(f"cpu_nginx_{key}", {}).get("c", {})
            o_by_run = ROUNDS[f"cpu_orthanc_{key}"].get("a", {})
            share = median([n_by_run[r] / o_by_run[r] for r in n_by_run
                            if n_by_run[r] is not None and o_by_run.get(r)])
            busy = data.get(f"cpu_busy_{key}", {})
            p(f"| {label} | {cell(orthanc.get('a', []))} | {cell(orthanc.get('c', []))} "
              f"| {cell(nginx.get('c', []))} | {fmt(share)} | {cell(busy.get('a', []))} "
              f"| {cell(busy.get('c', []))} | {len(orthanc.get('c', []))} |")
        p("")
        p("The proxy's cost in CPU rather than in time: what nginx spends per MB it passes on, beside "
          "what Orthanc spends on the same MB. Unlike the throughput ratios it hardly moves with the "
          "load of the machine. Cores busy: the whole machine (every process, the client's too) during the "
          "same runs. Only where they are all busy does nginx's CPU come out of Orthanc's, and "
          "(c)/(a) tend to Orthanc / (Orthanc + nginx); below that, nginx works beside Orthanc.")
        p("")
    for k, v in meta.items():
        if k.startswith("ohif_error_"):
            p(f"OHIF failure ({k[-1]}): `{v}`")
            p("")

    # Goals
    def goal(name, target, values, met, show=lambda v: f"{v:.3f}"):
        # values: the per-round values (ratios, or differences) whose median is judged.
        value = median(values) if values else None
        if value is None:
            p(f"| {name} | {target} | not measured | – | – |")
            return
        interval = median_interval(values)
        spread = ("–" if interval is None else
                  f"{show(interval[0])} to {show(interval[1])} ({interval[2]:.0%}, n = {len(values)})")
        # Three decimals: a ratio of 0.948 is not met, and "0.95" would not say why.
        p(f"| {name} | {target} | {show(value)} | {spread} | {verdict(value, interval, met)} |")

    def ratios(scen, num, den):
        return round_values(scen, num, den, lambda x, y: x / y)

    p("| goal | target | measured (median) | interval of the median | |")
    p("|---|---|---|---|---|")
    for key, label in PROXY_GOALS:
        goal(f"proxy cost: {label} (c)/(a)", f"≥ {PROXY_MIN}", ratios(key, "c", "a"), lambda r: r >= PROXY_MIN)
    goal("proxy cost: QIDO p50 added (c)−(a)", "≤ 1 ms",
         round_values("qido_p50", "c", "a", lambda x, y: x - y), lambda x: x <= 1.0,
         lambda x: f"{x:+.2f} ms")
    goal("vs seed: STOW 4 clients (c)/(b)", "≥ 2", ratios("stow4", "c", "b"), lambda r: r >= 2)
    goal("vs seed: WADO series cold (c)/(b)", "≥ 1.3", ratios("wado_cold", "c", "b"), lambda r: r >= 1.3)
    sc = meta.get("stow_http_c")
    if sc is None:
        p("| STOW body > 1 MB: (c) accepts it, (b) refuses | (c) 200 | not measured | – | – |")
    else:
        p(f"| STOW body > 1 MB: (c) accepts it, (b) refuses | (c) 200 | (c) HTTP {sc}, (b) HTTP {b413} "
          f"| – | {'met' if sc == '200' else '**not met**'} |")
    goal("OHIF first image (c)/(b), loopback", "≤ 0.7", ratios("ohif", "c", "b"), lambda r: r <= 0.7)
    goal(f"OHIF first image (c)/(b), {link_label(meta.get('ohif_link', ''))} link", "≤ 0.7",
         ratios("ohif_link", "c", "b"), lambda r: r <= 0.7)
    p("")
    p("Interval of the median: the range that holds the median of the per-round ratios with the "
      "probability in brackets (order statistics of the n rounds; no distribution assumed). "
      "\"Within the noise\": the interval reaches across the target, so this run cannot tell "
      "on which side of it the configuration is; more rounds (`BENCH_READ_RUNS`) narrow it.")
    p("")
    p("<details><summary>Every run, in order (a | b | c)</summary>")
    p("")
    for key, _label, unit, _high in ROWS:
        if key in data:
            runs = " \\| ".join(" ".join(fmt(v) if v is not None else "NA" for v in data[key].get(c, []))
                                 for c in "abc")
            p(f"- {key} ({unit}): {runs}")
    p("")
    p("</details>")
    print("\n".join(out))


if __name__ == "__main__":
    main()
