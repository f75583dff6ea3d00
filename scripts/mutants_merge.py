#!/usr/bin/env python3
"""Merges cargo-mutants shards into one per-file table (README "Mutation testing").

    scripts/mutants_merge.py [--expect LIST] DIR...

Each DIR is a `mutants.out` directory written by `cargo mutants --shard K/N` (or the directory
holding one). `--expect LIST` is the output of `cargo mutants --list` with the same filters: the
merge then names every listed mutant that no shard tested. Prints a Markdown table per file
(caught / missed / unviable / timeout, kill rate over viable mutants), the totals, the wall time,
and the missed and timed-out mutants by name. Exits 1 when a mutant appears in two shards or an
expected mutant has no outcome.

A mutant is viable when it builds. Kill rate = (caught + timeout) / (caught + missed + timeout):
a timed-out mutant did not let the sweep pass in its time, so it counts as detected, and the
table shows timeouts apart so they can be looked at.
"""

import argparse
import datetime
import json
import os
import sys
from collections import defaultdict

COLUMNS = ["caught", "missed", "unviable", "timeout"]
SUMMARY = {
    "CaughtMutant": "caught",
    "MissedMutant": "missed",
    "Unviable": "unviable",
    "Timeout": "timeout",
}


def outcomes_file(path):
    for candidate in (path, os.path.join(path, "mutants.out")):
        f = os.path.join(candidate, "outcomes.json")
        if os.path.exists(f):
            return f
    sys.exit(f"{path}: no outcomes.json (is it a cargo-mutants output directory?)")


def parse_time(s):
    if not s:
        return None
    # 2026-12-01T11:48:36.411187663Z: Python wants at most microseconds.
    s = s.rstrip("Z")
    if "." in s:
        head, frac = s.split(".")
        s = f"{head}.{frac[:6]}"
    return datetime.datetime.fromisoformat(s)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--expect", help="output of `cargo mutants --list` with the same filters")
    args = ap.parse_args()

    per_file = defaultdict(lambda: defaultdict(int))
    seen = {}
    by_outcome = defaultdict(list)
    problems = []
    mutant_seconds = []
    shard_wall = []
    for d in args.dirs:
        path = outcomes_file(d)
        data = json.load(open(path))
        start, end = parse_time(data.get("start_time")), parse_time(data.get("end_time"))
        if start and end:
            shard_wall.append((end - start).total_seconds())
        else:
            problems.append(f"{path}: the run did not finish (no end_time); counts are partial")
        for o in data["outcomes"]:
            scenario = o["scenario"]
            if scenario == "Baseline" or "Mutant" not in scenario:
                continue
            m = scenario["Mutant"]
            name = m["name"]
            if name in seen:
                problems.append(f"{name}: in {seen[name]} and {path}")
                continue
            seen[name] = path
            outcome = SUMMARY.get(o["summary"])
            if outcome is None:
                problems.append(f"{name}: outcome {o['summary']}")
                continue
            per_file[m["file"]][outcome] += 1
            by_outcome[outcome].append(name)
            mutant_seconds.append(sum(p["duration"] for p in o["phase_results"]))

    if args.expect:
        expected = [line.strip() for line in open(args.expect) if line.strip()]
        for name in expected:
            if name not in seen:
                problems.append(f"{name}: listed but not tested by any shard")
        for name in seen:
            if name not in expected:
                problems.append(f"{name}: tested but not in {args.expect}")

    def row(label, c):
        viable = c["caught"] + c["missed"] + c["timeout"]
        rate = f"{100 * (c['caught'] + c['timeout']) / viable:.1f}%" if viable else "-"
        total = sum(c[k] for k in COLUMNS)
        return f"| {label} | {total} | " + " | ".join(str(c[k]) for k in COLUMNS) + f" | {rate} |"

    print("| file | tested | caught | missed | unviable | timeout | kill rate (viable) |")
    print("|---|---|---|---|---|---|---|")
    totals = defaultdict(int)
    for f in sorted(per_file):
        print(row(f"`{f}`", per_file[f]))
        for k in COLUMNS:
            totals[k] += per_file[f][k]
    print(row("**all**", totals))
    print()
    if mutant_seconds:
        mean = sum(mutant_seconds) / len(mutant_seconds)
        print(
            f"{len(mutant_seconds)} mutants, build + test {mean:.1f} s each on average "
            f"(max {max(mutant_seconds):.1f} s); "
            f"{len(shard_wall)} finished shard(s), wall {sum(shard_wall):.0f} s in all"
        )
    for outcome in ("missed", "timeout"):
        if by_outcome[outcome]:
            print(f"\n{outcome}:")
            for name in sorted(by_outcome[outcome]):
                print(f"- `{name}`")
    if problems:
        print("\nproblems:", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
