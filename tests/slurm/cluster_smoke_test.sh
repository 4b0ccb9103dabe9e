#!/usr/bin/env bash
# Smoke test of the private Slurm cluster (cluster.sh; docs/slurm.md): start it in a fresh
# directory under TEMP_PARENT, run a 4-task job array through sbatch --wait, check each task
# wrote its index, and stop the cluster whatever happened. Exit 77 (skipped) when
# `cluster.sh check` says this machine cannot run the cluster.
#
#   cluster_smoke_test.sh TEMP_PARENT
set -euo pipefail

# Every step is bounded, and together they stay under CTest's TIMEOUT (300 s), which would
# kill this script before its EXIT trap could stop the daemons.
readonly START_TIMEOUT_S=90    # cluster.sh itself gives up after 60 s
readonly SUBMIT_TIMEOUT_S=100  # sbatch --wait polls the controller every few seconds
readonly STOP_TIMEOUT_S=90     # cluster.sh: at most 10 s per daemon plus the jobs' cancelling
readonly TASKS=4

(($# == 1)) || { echo "usage: cluster_smoke_test.sh TEMP_PARENT" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cluster=$here/cluster.sh

rc=0
bash "$cluster" check || rc=$?
((rc == 0)) || exit "$rc"

elapsed() { awk -v t0="$1" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1fs", t1 - t0 }'; }

mkdir -p "$1"
parent=$(cd "$1" && pwd)
dir=$(mktemp -d "$parent/slurm-smoke.XXXXXX")
stop_cluster() {
  local status=$? t
  t=$(date +%s.%N)
  timeout "$STOP_TIMEOUT_S" bash "$cluster" stop "$dir" || status=1
  echo "smoke test: cluster stopped in $(elapsed "$t")"
  # On failure show what CI logs can keep, and keep the directory for a closer look.
  if ((status == 0)); then
    rm -rf "$dir"
  else
    for f in "$dir"/log/slurmctld.log "$dir"/log/slurmd.log "$dir"/job/slurm-*.out; do
      [[ -s $f ]] || continue
      echo "---- last lines of $f" >&2
      tail -n 20 "$f" >&2
    done
    echo "smoke test: kept $dir" >&2
  fi
  exit "$status"
}
trap stop_cluster EXIT

t0=$(date +%s.%N)
timeout "$START_TIMEOUT_S" bash "$cluster" start "$dir"
echo "smoke test: cluster started in $(elapsed "$t0")"
# shellcheck source=/dev/null # written by cluster.sh start
source "$dir/env.sh"

mkdir "$dir/job"
cat >"$dir/job/task.sh" <<'EOF'
#!/bin/bash
echo "$SLURM_ARRAY_TASK_ID" >"out.$SLURM_ARRAY_TASK_ID"
EOF

t1=$(date +%s.%N)
# --wait returns when every task has ended, with the highest exit code among them; any
# failure is reported as 1 (a task's own code could be 77, which CTest reads as "skipped").
if ! timeout "$SUBMIT_TIMEOUT_S" sbatch --wait --array=0-$((TASKS - 1)) --job-name=smoke \
  --chdir="$dir/job" --output="$dir/job/slurm-%A_%a.out" "$dir/job/task.sh"; then
  echo "smoke test: sbatch --wait failed or timed out (${SUBMIT_TIMEOUT_S}s)" >&2
  exit 1
fi
echo "smoke test: job array of $TASKS tasks done in $(elapsed "$t1")"

failed=0
for ((i = 0; i < TASKS; i++)); do
  if [[ $(cat "$dir/job/out.$i" 2>/dev/null) != "$i" ]]; then
    echo "smoke test: task $i did not write $dir/job/out.$i containing '$i'" >&2
    failed=1
  fi
done
((failed == 0)) || exit 1
echo "smoke test: all $TASKS outputs present; total $(elapsed "$t0") before stopping"
