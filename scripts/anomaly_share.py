#!/usr/bin/env python3
"""How often each read path shows clients an anomaly: swarm seeds 1 to 2,000 on each preset
(docs/src/properties.md, "The read path"). Run from the repository after a release build:

    python3 scripts/anomaly_share.py
"""
import json, os, subprocess, tempfile

ROOT = os.path.join(os.path.dirname(__file__), "..")
FTSIM = os.path.join(ROOT, "target", "release", "ftsim")
READ_PATHS = {
    "default": {},
    "Alluxio as shipped": {"master_read_visibility": "applied", "master_read_leadership": "unchecked"},
    "durable, unchecked (B17 alone)": {"master_read_leadership": "unchecked"},
    "applied, zookeeper-check (B16 alone)": {"master_read_visibility": "applied"},
}
SEEDS = 2000

with tempfile.TemporaryDirectory() as tmp:
    for preset in ("fast", "alluxio-defaults"):
        base = json.load(open(os.path.join(ROOT, "fixtures", "options", f"{preset}.json")))
        for name, extra in READ_PATHS.items():
            path = os.path.join(tmp, "options.json")
            json.dump(dict(base, **extra), open(path, "w"))
            out = subprocess.run([FTSIM, "explore", "--seeds", str(SEEDS), "--seed", "1", "--options", path, "--json"],
                                 capture_output=True, text=True).stdout
            sweep = json.loads(out)
            failed = len(sweep["failed_seeds"])
            print(f"{preset} | {name} | {failed} ({100 * failed / SEEDS:.2f}%) | "
                  f"{sweep['anomalies']['dirty-read']} | {sweep['anomalies']['stale-read']}")
