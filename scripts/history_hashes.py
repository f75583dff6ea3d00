#!/usr/bin/env python3
"""Prints `seed history_hash passed` for seeds FIRST..LAST, one line a seed in seed order, from
`ftsim run --seed N --json` of the binary BIN (extra arguments go to each run). Two builds whose
outputs are equal ran every seed event for event alike: how a refactor shows it changed nothing.

    python3 scripts/history_hashes.py target/release/ftsim 1 2000 > after.txt
"""
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

if len(sys.argv) < 4:
    sys.exit(__doc__)
binary, first, last, extra = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]


def one(seed):
    out = subprocess.run([binary, "run", "--seed", str(seed), "--json", *extra],
                         capture_output=True, text=True)
    try:
        d = json.loads(out.stdout)
        return f"{seed} {d['history_hash']} {d['passed']}"
    except (json.JSONDecodeError, KeyError):
        return f"{seed} ERROR exit {out.returncode}"


with ThreadPoolExecutor(2) as pool:
    for line in pool.map(one, range(first, last + 1)):
        print(line, flush=True)
