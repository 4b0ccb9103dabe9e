#!/usr/bin/env bash
# The Slurm backend of `trnsim sweep` against a real Slurm: starts a private single-node
# cluster on localhost (cluster.sh), submits tests/slurm/sweep.yaml as a job array and waits
# for it, then runs the same spec locally and requires byte-identical results files.
#
#   sweep_slurm_test.sh TRNSIM WORK_DIR
#
# Exits 77 (skipped) when the Slurm packages or root are missing (cluster.sh check).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TRNSIM="$1"
WORK_ROOT="$2"
SPEC="$HERE/sweep.yaml"
TASKS=6

fail() { printf 'sweep_slurm_test: FAIL: %s\n' "$*" >&2; exit 1; }

"$HERE/cluster.sh" check || exit $?

mkdir -p "$WORK_ROOT"
WORK="$(mktemp -d "$WORK_ROOT/slurm-sweep.XXXXXX")"
cleanup() {
  "$HERE/cluster.sh" stop "$WORK/cluster" || true
}
trap cleanup EXIT

start=$SECONDS
"$HERE/cluster.sh" start "$WORK/cluster"
# shellcheck disable=SC1091
source "$WORK/cluster/env.sh"
echo "cluster up in $((SECONDS - start)) s"

start=$SECONDS
timeout 900 "$TRNSIM" sweep "$SPEC" --backend slurm --tasks "$TASKS" --wait --out "$WORK/slurm" ||
  { tail -n 20 "$WORK"/slurm/slurm/task-*.log >&2 || true; fail "the sweep through Slurm did not succeed"; }
echo "through Slurm in $((SECONDS - start)) s"

# Each array task ran its share into its own rows file, and logged.
for ((k = 0; k < TASKS; ++k)); do
  [[ -s "$WORK/slurm/rows/task-$k.jsonl" ]] || fail "task $k wrote no rows"
  [[ -f "$WORK/slurm/slurm/task-$k.log" ]] || fail "task $k left no log"
done
"$TRNSIM" sweep collect "$WORK/slurm" >/dev/null || fail "collect: runs failed or missing"

start=$SECONDS
"$TRNSIM" sweep "$SPEC" --jobs 2 --out "$WORK/local" >/dev/null || fail "the local sweep did not succeed"
echo "locally in $((SECONDS - start)) s"

runs=$(($(wc -l <"$WORK/local/results.csv") - 1))
[[ $runs -eq 162 ]] || fail "expected 162 runs (54 points x 3 workloads), got $runs"
for file in results.csv results.jsonl; do
  cmp "$WORK/slurm/$file" "$WORK/local/$file" || fail "$file differs between Slurm and the local run"
done
echo "PASS: $runs runs, results identical through Slurm ($TASKS tasks) and locally"
rm -rf "$WORK/slurm" "$WORK/local"
