#!/usr/bin/env bash
# Mutation testing in shards (docs/src/mutation.md; set-up in .cargo/mutants.toml, the test
# each mutant faces in sims/mutants.rs).
#
#   scripts/mutants.sh shard K N [OUT] [-- ARGS...]   one shard, K in 0..N-1, into OUT/shard-K-of-N
#   scripts/mutants.sh merge [OUT] [-- ARGS...]       the shards in OUT as one per-file table
#   scripts/mutants.sh all N [OUT] [-- ARGS...]       every shard here, one after another, then merge
#
# OUT defaults to mutants-shards/. ARGS go to cargo mutants and must be the same for every shard
# and for the merge (e.g. `-- --re '^src/worker\.rs:'` to test one file: `-f` only adds files to
# the config's examine_globs, it does not narrow them). Mutants are dealt round-robin, so shards
# take about equally long. FTSIM_MUTANTS_SEEDS changes the sweep's seed count (sims/mutants.rs).
# cargo-mutants builds a copy of the tree; MUTANTS_TARGET_DIR names a target dir for it that
# survives between runs, so dependencies are built once (without it each run builds them in a
# temporary dir: a few minutes). Never point it at the target dir of a tree you build yourself:
# cargo names artifacts the same wherever the tree is, so a build there and a mutant's build
# would run each other's test binaries. CARGO_TARGET_DIR is ignored for that reason.
#
# On N machines or CI jobs: run `shard K N` on each, copy every OUT/shard-K-of-N/ to one place,
# then `merge`. On one machine run one shard at a time (`all` does): each build already uses
# every core, and two shards at once on 2 cores made each mutant's build 3 to 7 times slower.
# cargo-mutants' progress goes to stderr; stdout is only the merged table.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n ${MUTANTS_TARGET_DIR:-} ]]; then
    export CARGO_TARGET_DIR=$MUTANTS_TARGET_DIR
else
    unset CARGO_TARGET_DIR
fi

usage() {
    sed -n '5,7p' "$0" >&2
    exit 2
}

split_args() {
    # Sets POS (positional words before --) and EXTRA (words after).
    POS=()
    EXTRA=()
    while (($#)); do
        if [[ $1 == -- ]]; then
            shift
            EXTRA=("$@")
            return
        fi
        POS+=("$1")
        shift
    done
}

run_shard() {
    local k=$1 n=$2 out=$3
    shift 3
    [[ $k =~ ^[0-9]+$ && $n =~ ^[0-9]+$ && $k -lt $n ]] || usage
    mkdir -p "$out"
    local start
    start=$(date +%s)
    # Exit codes: 0 all caught, 2 some missed, 3 some timed out; all are results to merge.
    local rc=0
    cargo mutants --shard "$k/$n" --sharding round-robin --output "$out/shard-$k-of-$n" \
        --no-shuffle "$@" >&2 || rc=$?
    echo "shard $k/$n: exit $rc, wall $(($(date +%s) - start)) s" >&2
    case $rc in 0 | 2 | 3) ;; *) exit "$rc" ;; esac
}

merge() {
    local out=$1
    shift
    local list="$out/expected.txt"
    cargo mutants --list "$@" >"$list"
    python3 scripts/mutants_merge.py --expect "$list" "$out"/shard-*-of-*/mutants.out
}

cmd=${1:-}
[[ -n $cmd ]] || usage
shift
split_args "$@"
case $cmd in
shard)
    ((${#POS[@]} >= 2)) || usage
    run_shard "${POS[0]}" "${POS[1]}" "${POS[2]:-mutants-shards}" "${EXTRA[@]}"
    ;;
merge)
    merge "${POS[0]:-mutants-shards}" "${EXTRA[@]}"
    ;;
all)
    ((${#POS[@]} >= 1)) || usage
    out=${POS[1]:-mutants-shards}
    for ((k = 0; k < POS[0]; k++)); do
        run_shard "$k" "${POS[0]}" "$out" "${EXTRA[@]}"
    done
    merge "$out" "${EXTRA[@]}"
    ;;
*) usage ;;
esac
