#!/usr/bin/env bash
# Benchmarks (commands that print measurements; they assert nothing).
#
#   scripts/bench.sh parse [ARGS...]   trace parser speed and memory per instruction
#   scripts/bench.sh model             timing-model speed and memory: the 4096^3 GEMM,
#                                      a DMA-heavy trace, 1 M-instruction mixed traces
#   scripts/bench.sh rtl [ARGS...]     verilated pe_array cycles/s at 8x8, 16x16 and 32x32,
#                                      next to the SystemC model on the same matmuls
#   scripts/bench.sh network [ARGS...] a 64-chip all-reduce of 256 MiB (trn2-64): wall
#                                      time, packet hops/s, peak RSS (ARGS: --config,
#                                      --bytes, --algo ring|2d|tree)
#   scripts/bench.sh speed [--reference REV] [--json FILE] [--max-drop F] [--repeat N]
#                                      the simulator's own speed on a fixed set of workloads
#                                      (instructions/s, cycles/s, peak RSS) against a build of
#                                      commit REV (default: bench/speed-reference) measured in
#                                      the same run; fails when this tree is more than F
#                                      (0.30) slower or bigger on any workload (CI runs it)
#   scripts/bench.sh sweep [SPEC...]   the local sweep runner's throughput (runs per minute)
#                                      with 1 and 2 jobs on each SPEC (default: every
#                                      sweeps/*.yaml), and that both give the same results
#
# Builds the benchmark in Release (-O2) into build-bench/, then runs it; ARGS go to the
# parse or rtl benchmark (e.g. --instructions 2000000 --repeat 5; --matmuls 5000). rtl also
# verilates a 32x32 array (TRNSIM_RTL_LARGE), which takes minutes to compile the first
# time. Each model workload runs in its own process, so its peak RSS is its own; the mixed
# trace runs at three sizes to show how memory grows with the trace. Needs the packages
# that scripts/quickstart.sh installs. Close other heavy work first: the figures are wall
# time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-bench"

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
usage() { sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

build_target() {
  local target="$1"
  shift
  log "Building $target (Release, -O2) in build-bench/"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DTRNSIM_BUILD_TESTS=OFF "$@" >/dev/null
  cmake --build "$BUILD" --target "$target"
}

# The reference commit: REV, or the first word of bench/speed-reference that is not a
# comment.
reference_revision() {
  if [[ -n "${1:-}" ]]; then
    printf '%s\n' "$1"
  else
    grep -v '^[[:space:]]*#' "$ROOT/bench/speed-reference" | awk 'NF { print $1; exit }'
  fi
}

speed() {
  local rev="" json="$BUILD/speed.json" extra=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --reference) rev="$2"; shift ;;
      --json) json="$2"; shift ;;
      --max-drop|--repeat) extra+=("$1" "$2"); shift ;;
      *) printf 'bench: error: speed: unknown option %s\n' "$1" >&2; exit 2 ;;
    esac
    shift
  done
  rev="$(reference_revision "$rev")"
  local commit
  if ! commit="$(git -C "$ROOT" rev-parse --verify --quiet "$rev^{commit}")"; then
    printf 'bench: error: speed: the reference %s is not a commit of this clone (a shallow clone? fetch it, or pass --reference REV)\n' "$rev" >&2
    exit 2
  fi
  # Sources inside the tree's root, built in a folder named like this tree's: with ccache's
  # base_dir at the root, unchanged files compile to cache hits.
  export CCACHE_BASEDIR="$ROOT"
  build_target trnsim -DTRNSIM_BUILD_RTL=OFF
  cmake --build "$BUILD" --target trnsim_bench_speed
  local ref_src="$ROOT/build-bench-reference/src"
  if [[ "$(cat "$ref_src/.commit" 2>/dev/null)" != "$commit" || ! -x "$ref_src/build-bench/trnsim" ]]; then
    log "Building the reference trnsim at ${commit:0:12} (Release, -O2) in build-bench-reference/"
    rm -rf "$ref_src"
    mkdir -p "$ref_src"
    git -C "$ROOT" archive "$commit" | tar -x -C "$ref_src"
    cmake -S "$ref_src" -B "$ref_src/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DTRNSIM_BUILD_TESTS=OFF \
      -DTRNSIM_BUILD_RTL=OFF >/dev/null
    cmake --build "$ref_src/build-bench" --target trnsim
    printf '%s\n' "$commit" > "$ref_src/.commit"
  fi
  log "Running trnsim_bench_speed: this tree against ${commit:0:12}"
  "$BUILD/bench/trnsim_bench_speed" --current "$BUILD/trnsim" \
    --reference "$ref_src/build-bench/trnsim" --work "$BUILD/speed" --json "$json" "${extra[@]}"
}

# Each spec with --jobs 1 and --jobs 2 into fresh directories: the runner prints its runs
# per minute; the results files must not depend on the job count.
sweep() {
  local specs=("$@") spec out
  if ((${#specs[@]} == 0)); then specs=("$ROOT"/sweeps/*.yaml); fi
  build_target trnsim
  out="$(mktemp -d "${TMPDIR:-/tmp}/trnsim-bench-sweep.XXXXXX")"
  for spec in "${specs[@]}"; do
    log "Sweep $(basename "$spec")"
    for jobs in 1 2; do
      "$BUILD/trnsim" sweep "$spec" --jobs "$jobs" --out "$out/$jobs" | grep -E '^(sweep|ran) '
    done
    cmp -s "$out/1/results.csv" "$out/2/results.csv" ||
      { printf 'bench: error: %s: results differ between 1 and 2 jobs\n' "$spec" >&2; exit 1; }
    rm -rf "${out:?}/1" "${out:?}/2"
  done
  rmdir "$out"
}

case "${1:-}" in
  parse)
    shift
    build_target trnsim_bench_parse
    log "Running trnsim_bench_parse $*"
    "$BUILD/bench/trnsim_bench_parse" "$@"
    ;;
  model)
    shift
    build_target trnsim_bench_model
    model="$BUILD/bench/trnsim_bench_model"
    log "Running trnsim_bench_model"
    "$model" --workload gemm --repeat 5
    "$model" --workload dma --instructions 200000
    for n in 250000 500000 1000000; do
      "$model" --workload mixed --instructions "$n" --repeat 3
    done
    ;;
  network)
    shift
    build_target trnsim_bench_network
    log "Running trnsim_bench_network $*"
    "$BUILD/bench/trnsim_bench_network" "$@"
    ;;
  rtl)
    shift
    build_target trnsim_bench_rtl -DTRNSIM_BUILD_RTL=ON -DTRNSIM_RTL_LARGE=ON
    log "Running trnsim_bench_rtl $*"
    "$BUILD/bench/trnsim_bench_rtl" --config "$ROOT/tests/cosim/tiny-8x8.yaml" \
      --config "$ROOT/configs/tiny.yaml" --config "$ROOT/tests/cosim/tiny-32x32.yaml" "$@"
    ;;
  speed)
    shift
    speed "$@"
    ;;
  sweep)
    shift
    sweep "$@"
    ;;
  -h|--help) usage ;;
  *)
    usage >&2
    printf 'bench: error: expected a benchmark name: parse, model, network, rtl, speed, sweep\n' >&2
    exit 2
    ;;
esac
