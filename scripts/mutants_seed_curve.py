#!/usr/bin/env python3
"""How many swarm seeds the mutation test needs (README "Mutation testing").

    FTSIM_MUTANTS_SEEDS=2000 cargo mutants ... --output DIR      # a long sweep per mutant
    scripts/mutants_seed_curve.py DIR...

Reads each mutant's log in DIR/mutants.out/log/: which seeds of the sweep failed (the panic
message of `swarm_sweep_passes` lists them) and whether `pinned_schedules_pass` failed on a
schedule recorded against the correct model. Since the sweep runs seeds 1..N, a mutant is caught
by a sweep of n seeds exactly when its smallest failing seed is at most n. Prints, for several n, how many of the viable mutants a
sweep of n seeds catches, alone and together with the pinned schedules, from one run per mutant.
"""

import json
import os
import re
import sys

COUNTS = [10, 25, 50, 100, 200, 300, 500, 1000, 2000]

# A schedule recorded against the correct model failed: `should pass, broke` (sims/mutants.rs), or
# from logs of its first version, which also replayed the planted-bug schedules,
# `recorded None, broke`, or a fixture or default-seed schedule that did not finish.
CORRECT_MODEL_FAILED = re.compile(
    r"(should pass, broke|recorded None, broke"
    r"|(fixtures/schedules/[^:]*|regressions/default-seed-\d+)\.json: did not finish)"
)


def out_dir(path):
    return path if os.path.exists(os.path.join(path, "outcomes.json")) else os.path.join(path, "mutants.out")


def main():
    rows = []
    swept = None
    for d in sys.argv[1:]:
        d = out_dir(d)
        data = json.load(open(os.path.join(d, "outcomes.json")))
        for o in data["outcomes"]:
            s = o["scenario"]
            if s == "Baseline" or "Mutant" not in s:
                continue
            if o["summary"] not in ("CaughtMutant", "MissedMutant", "Timeout"):
                continue
            text = open(os.path.join(d, o["log_path"]), errors="replace").read()
            m = re.search(r"^(\d+) of (\d+) seeds failed:", text, re.M)
            if m:
                swept = int(m.group(2)) if swept is None else min(swept, int(m.group(2)))
            seeds = [int(x) for x in re.findall(r"^seed (\d+): ", text, re.M)]
            first = min(seeds) if seeds else None
            pinned = bool(CORRECT_MODEL_FAILED.search(text))
            rows.append((s["Mutant"]["name"], o["summary"], first, pinned))
    if not rows:
        sys.exit("no tested mutants")
    total = len(rows)
    print(f"{total} viable mutants; longest common sweep {swept or '?'} seeds\n")
    print("| seeds | caught by the sweep | with the pinned schedules |")
    print("|---|---|---|")
    for n in COUNTS:
        if swept and n > swept:
            break
        sweep = sum(1 for _, _, f, _ in rows if f is not None and f <= n)
        both = sum(1 for _, _, f, p in rows if (f is not None and f <= n) or p)
        print(f"| {n} | {sweep} ({100 * sweep / total:.0f}%) | {both} ({100 * both / total:.0f}%) |")
    only_pinned = [r for r in rows if r[2] is None and r[3]]
    late = sorted((r for r in rows if r[2] is not None and r[2] > 100), key=lambda r: -r[2])
    timeouts = [r for r in rows if r[1] == "Timeout"]
    if late:
        print("\nfirst failing seed above 100:")
        for name, _, f, p in late:
            print(f"- seed {f}{' (pinned schedules fail too)' if p else ''}: `{name}`")
    if only_pinned:
        print("\ncaught only by the pinned schedules:")
        for name, *_ in only_pinned:
            print(f"- `{name}`")
    if timeouts:
        print("\ntimed out (no seed list in the log):")
        for name, *_ in timeouts:
            print(f"- `{name}`")


if __name__ == "__main__":
    main()
