#!/usr/bin/env bash
# Benchmarks (commands that print measurements; they assert nothing).
#
#   scripts/bench.sh parse [ARGS...]   trace parser speed and memory per instruction
#
# Builds the benchmark in Release (-O2) into build-bench/, then runs it; ARGS go to the
# benchmark (e.g. --instructions 2000000 --repeat 5). Needs the packages that
# scripts/quickstart.sh installs. Close other heavy work first: the figures are wall time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-bench"

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
usage() { sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

build_target() {
  log "Building $1 (Release, -O2) in build-bench/"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DTRNSIM_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" --target "$1"
}

case "${1:-}" in
  parse)
    shift
    build_target trnsim_bench_parse
    log "Running trnsim_bench_parse $*"
    "$BUILD/bench/trnsim_bench_parse" "$@"
    ;;
  -h|--help) usage ;;
  *)
    usage >&2
    printf 'bench: error: expected a benchmark name: parse\n' >&2
    exit 2
    ;;
esac
