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
usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

build_target() {
  local target="$1"
  shift
  log "Building $target (Release, -O2) in build-bench/"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DTRNSIM_BUILD_TESTS=OFF "$@" >/dev/null
  cmake --build "$BUILD" --target "$target"
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
  -h|--help) usage ;;
  *)
    usage >&2
    printf 'bench: error: expected a benchmark name: parse, model, rtl\n' >&2
    exit 2
    ;;
esac
