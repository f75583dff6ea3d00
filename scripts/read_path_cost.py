#!/usr/bin/env python3
"""The read path's cost, without faults: messages per client call and call latencies for each
read-path option (README, "The read path"). Run from the repository after a release build:

    python3 scripts/read_path_cost.py
"""
import json, os, statistics, subprocess, tempfile

FTSIM = os.path.join(os.path.dirname(__file__), "..", "target", "release", "ftsim")
FAST = os.path.join(os.path.dirname(__file__), "..", "fixtures", "options", "fast.json")
VARIANTS = {
    "durable + zookeeper-check (default)": {},
    "durable + journal-barrier": {"master_read_leadership": "journal-barrier"},
    "durable + unchecked": {"master_read_leadership": "unchecked"},
    "applied + unchecked (Alluxio)": {
        "master_read_visibility": "applied",
        "master_read_leadership": "unchecked",
    },
}


def ftsim(*args):
    """The command's output; `--trace` lines go to standard error."""
    done = subprocess.run([FTSIM, *args], capture_output=True, text=True)
    return done.stdout + done.stderr


def latencies(seed, options):
    """Read and mutation latencies (ms) of one seed's calls, from its trace."""
    invoked, reads, mutations = {}, [], []
    for line in ftsim("run", "--seed", str(seed), "--no-swarm", "--options", options, "--trace").splitlines():
        words = line.split()
        if len(words) < 4 or not words[0].replace(".", "").isdigit():
            continue
        op_id = next((w for w in words if w.startswith("op_id=")), None)
        if words[3] == "invoke":
            invoked[op_id] = (float(words[0]), "get_status" in line or "list_status" in line)
        elif words[3] in ("ok", "fail") and op_id in invoked:
            start, is_read = invoked.pop(op_id)
            (reads if is_read else mutations).append(float(words[0]) - start)
    return reads, mutations


with tempfile.TemporaryDirectory() as tmp:
    for name, extra in VARIANTS.items():
        options = dict(json.load(open(FAST)), workload_read_percent=60, **extra)
        path = os.path.join(tmp, "options.json")
        json.dump(options, open(path, "w"))
        sweep = json.loads(subprocess.run(
            [FTSIM, "explore", "--seeds", "100", "--seed", "1", "--no-swarm", "--options", path, "--json"],
            capture_output=True, text=True).stdout)
        reads, mutations = [], []
        for seed in range(1, 21):
            r, m = latencies(seed, path)
            reads += r
            mutations += m
        calls = sweep["ops_ok"] + sweep["ops_definite_error"] + sweep["ops_unavailable"]
        print(f"{name}: {sweep['messages'] / calls:.1f} messages per call; read latency mean "
              f"{statistics.mean(reads):.1f} ms (median {statistics.median(reads):.1f} ms); mutation "
              f"latency mean {statistics.mean(mutations):.1f} ms; {len(sweep['failed_seeds'])} failed seeds")
