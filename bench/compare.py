#!/usr/bin/env python3
"""Runs codec_bench and reports, per BM_<Op>_Generated / BM_<Op>_Baseline pair, the ratio
generated/baseline of the median real time.

The benchmark runs in several processes (--processes, default 5), each with --repetitions
repetitions (default 10, 0.1 s each) in random order; the ratio is taken per process and
the median over processes is reported with its range. Why: the small decoders take a few
nanoseconds, and on a shared virtual machine the speed of the whole machine changes by up to
half within seconds; run one benchmark after the other and a pair's two halves see different
machines. Random interleaving of repetitions gives both halves of a pair the same mix of
machine states, and several processes give them the same mix of memory layouts.

Goal: ratio <= 1.10 (the generated codec, with its full validation, within 10% of the
hand-written baseline). This script reports; it exits 0 whatever the ratios are (it fails
only when the benchmark cannot be run or its output cannot be read).

  bench/compare.py [--bench build-rel/bench/codec_bench] [--processes 5] [--repetitions 10]
                   [--json-out FILE] [--from-json FILE] [-- extra benchmark flags]
"""
import argparse
import json
import os
import subprocess
import sys

GOAL = 1.10
SUFFIXES = ("_Generated", "_Baseline")


def run_bench(path, repetitions, extra):
    cmd = [path, "--benchmark_format=json", f"--benchmark_repetitions={repetitions}",
           "--benchmark_min_time=0.1", "--benchmark_enable_random_interleaving=true",
           "--benchmark_report_aggregates_only=true"] + extra
    print("$ " + " ".join(cmd), file=sys.stderr)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit(f"compare.py: {path} exited with {proc.returncode}")
    return proc.stdout


def medians(report):
    """run_name -> (median real_time, time_unit) from the aggregate rows."""
    out = {}
    for b in report.get("benchmarks", []):
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median":
            if b.get("error_occurred"):
                continue
            out[b["run_name"]] = (float(b["real_time"]), b.get("time_unit", "ns"))
    return out


def to_ns(value, unit):
    return value * {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}.get(unit, 1.0)


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def pair_ratios(med):
    """op -> (generated ns, baseline ns, ratio) for every pair in one process's medians."""
    out = {}
    for name in med:
        if not (name.startswith("BM_") and name.endswith("_Generated")):
            continue
        op = name[3:-len("_Generated")]
        b = med.get(f"BM_{op}_Baseline")
        if b is None:
            continue
        gns, bns = to_ns(*med[name]), to_ns(*b)
        out[op] = (gns, bns, gns / bns if bns > 0 else float("inf"))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_bench = os.path.join(here, "..", "build-rel", "bench", "codec_bench")
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=default_bench, help="codec_bench binary (Release build)")
    ap.add_argument("--processes", type=int, default=5)
    ap.add_argument("--repetitions", type=int, default=10)
    ap.add_argument("--json-out", help="also save the raw benchmark JSON (a list, one per process)")
    ap.add_argument("--from-json", help="read saved benchmark JSON instead of running")
    ap.add_argument("extra", nargs="*", help="extra flags for the benchmark (after --)")
    args = ap.parse_args()

    if args.from_json:
        with open(args.from_json) as f:
            text = f.read()
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as e:
            sys.exit(f"compare.py: cannot parse {args.from_json}: {e}")
        reports = loaded if isinstance(loaded, list) else [loaded]
    else:
        reports = []
        for _ in range(max(1, args.processes)):
            text = run_bench(args.bench, args.repetitions, args.extra)
            try:
                reports.append(json.loads(text))
            except json.JSONDecodeError as e:
                sys.exit(f"compare.py: cannot parse the benchmark output: {e}")
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump(reports, f)

    ctx = reports[0].get("context", {})
    if ctx.get("library_build_type") == "debug":
        print("note: Google Benchmark library reports a debug build (harmless: it is the "
              "distribution package; the codecs and baseline are what matter)")
    print(f"host: {ctx.get('num_cpus', '?')} CPUs, load average "
          f"{ctx.get('load_avg', '?')}; {len(reports)} processes x medians of repetitions, "
          f"real time; ratio = median over processes of generated/baseline")

    per_process = [pair_ratios(medians(r)) for r in reports]
    ops = []
    for pr in per_process:
        for op in pr:
            if op not in ops:
                ops.append(op)
    rows = []
    for op in ops:
        got = [pr[op] for pr in per_process if op in pr]
        ratios = [g[2] for g in got]
        rows.append((op, median([g[0] for g in got]), median([g[1] for g in got]),
                     median(ratios), min(ratios), max(ratios)))
    if not rows:
        sys.exit("compare.py: no Generated/Baseline pairs in the benchmark output")

    width = max(len(r[0]) for r in rows)
    print(f"{'pair':<{width}}  {'generated':>12}  {'baseline':>12}  {'ratio':>6}  "
          f"{'range':>11}  goal <= {GOAL:.2f}")
    for op, gns, bns, ratio, lo, hi in rows:
        mark = "PASS" if ratio <= GOAL else "ABOVE-GOAL"
        print(f"{op:<{width}}  {gns:>10.1f}ns  {bns:>10.1f}ns  {ratio:>6.2f}  "
              f"{lo:>5.2f}-{hi:<5.2f}  {mark}")
    above = sum(1 for r in rows if r[3] > GOAL)
    print(f"{len(rows) - above} of {len(rows)} pairs within the goal (report only; not a CI gate)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
