#!/usr/bin/env python3
"""Merges cargo-mutants shards into one per-file table (README "Mutation testing").

    scripts/mutants_merge.py [--expect LIST] [--reasons FILE] DIR...

Each DIR is a `mutants.out` directory written by `cargo mutants --shard K/N` (or the directory
holding one). `--expect LIST` is the output of `cargo mutants --list` with the same filters: the
merge then names every listed mutant that no shard tested. Prints a Markdown table per file
(caught / missed / unviable / timeout, kill rate over viable mutants), the totals, the wall time,
and the missed and timed-out mutants by name, each missed one with why it is missed from
`--reasons` (default: mutants-reasons.json beside this script's folder, when present). Exits 1
when a mutant appears in two shards or an expected mutant has no outcome.

The reasons file maps a mutant's name to a sentence. A name carries its line and column, which
move as the code around changes, so a reason also applies to a mutant with the same file,
change and function whose position moved (when only one such mutant is missed). Missed mutants
with no reason, and reasons whose mutant is no longer missed, are listed on stderr.

A mutant is viable when it builds. Kill rate = (caught + timeout) / (caught + missed + timeout):
a timed-out mutant did not let the sweep pass in its time, so it counts as detected, and the
table shows timeouts apart so they can be looked at.
"""

import argparse
import datetime
import json
import os
import re
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


def unplaced(name):
    """A mutant's name without its line and column: `src/f.rs: replace x with y in g`."""
    return re.sub(r"^([^:]+):\d+:\d+:", r"\1:", name)


def reasons_for(missed, path):
    """Why each missed mutant is missed, from the reasons file: by name, else by the name without
    its position when that matches one missed mutant and one reason. Also returns the reasons
    used by none."""
    if not path or not os.path.exists(path):
        return {}, []
    try:
        reasons = json.load(open(path))
    except (OSError, json.JSONDecodeError) as e:
        sys.exit(f"{path}: not a JSON object of mutant name to reason ({e})")
    if not isinstance(reasons, dict) or not all(isinstance(v, str) for v in reasons.values()):
        sys.exit(f"{path}: not a JSON object of mutant name to reason")
    found = {n: reasons[n] for n in missed if n in reasons}
    used = set(found)
    def by_key(names):
        keyed = defaultdict(list)
        for n in names:
            keyed[unplaced(n)].append(n)
        return keyed
    left = by_key(n for n in missed if n not in found)
    spare = by_key(n for n in reasons if n not in used)
    for key, names in left.items():
        if len(names) == 1 and len(spare.get(key, [])) == 1:
            found[names[0]] = reasons[spare[key][0]]
            used.add(spare[key][0])
    return found, sorted(n for n in reasons if n not in used)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--expect", help="output of `cargo mutants --list` with the same filters")
    default_reasons = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mutants-reasons.json")
    ap.add_argument("--reasons", default=default_reasons, help="JSON: mutant name -> why it is missed")
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
    why, unused = reasons_for(by_outcome["missed"], args.reasons)
    for outcome in ("missed", "timeout"):
        if by_outcome[outcome]:
            print(f"\n{outcome}:")
            for name in sorted(by_outcome[outcome]):
                print(f"- `{name}`" + (f": {why[name]}" if name in why else ""))
    unexplained = [n for n in by_outcome["missed"] if n not in why]
    if unexplained:
        print(f"\n{len(unexplained)} missed mutant(s) with no reason in {args.reasons}:", file=sys.stderr)
        for n in sorted(unexplained):
            print(f"  {n}", file=sys.stderr)
    if unused and by_outcome["missed"]:
        print(f"\n{len(unused)} reason(s) for mutants not missed here:", file=sys.stderr)
        for n in unused:
            print(f"  {n}", file=sys.stderr)
    if problems:
        print("\nproblems:", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
