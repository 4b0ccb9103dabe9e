#!/usr/bin/env bash
# Quick start on Debian 12: install what is missing, build, then run the default workload
# or the whole test suite.
#
#   scripts/quickstart.sh run  [--sanitize]   build, then simulate the default GEMM workload
#   scripts/quickstart.sh test [--sanitize] [--nightly]
#                                             build, then run the test suite (ctest)
#
# --sanitize builds with AddressSanitizer + UndefinedBehaviorSanitizer into build-asan/
# instead of build/. The long co-simulation runs (label nightly, 100 times the random
# transactions) and the whole regression suite (label regression-full) run only with
# --nightly. Works from any directory; uses sudo for apt-get
# when not root.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEFAULT_CONFIG="configs/trn2.yaml"
DEFAULT_WORKLOAD="workloads/gemm-1024x1024x1024-bf16-trn2.trn"

# The Debian packages the build needs; docs/building.md says why each is there.
PACKAGES=(
  g++ cmake ninja-build pkg-config ccache
  libsystemc-dev verilator
  libfmt-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev doctest-dev libpugixml-dev
)

# Only `test` needs these: the browser tests (label browser) render the HTML report with
# headless Chromium; the slurm tests run a sweep through a private single-node Slurm
# (docs/slurm.md); scripts/fuzz, which CI runs after the tests, builds with clang's
# libFuzzer and writes its seed corpora with python3 (docs/fuzzing.md). The `run` quick
# start installs none of them.
TEST_PACKAGES=(chromium slurmctld slurmd slurm-client munge clang libclang-rt-14-dev python3)

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'quickstart: error: %s\n' "$*" >&2; exit 2; }

usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# install_missing_packages PACKAGE...
install_missing_packages() {
  command -v dpkg-query >/dev/null ||
    die "dpkg-query not found: this script targets Debian 12; install the packages in docs/building.md by hand"
  local missing=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then
    log "All $# dependencies are installed"
    return
  fi
  local sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null || die "not root and no sudo: install as root: ${missing[*]}"
    sudo=(sudo)
  fi
  log "Installing ${#missing[@]} missing package(s): ${missing[*]}"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
}

configure_and_build() {
  local build_dir="$1" sanitize="$2"
  local cache="$ROOT/$build_dir/CMakeCache.txt"
  if [[ -f "$cache" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$cache"; then
    die "$build_dir/ was configured with another generator; remove it and run again"
  fi
  log "Configuring $build_dir/ (TRNSIM_SANITIZE=$sanitize)"
  cmake -S "$ROOT" -B "$ROOT/$build_dir" -G Ninja -DTRNSIM_SANITIZE="$sanitize"
  log "Building $build_dir/ with $(nproc) jobs"
  cmake --build "$ROOT/$build_dir"
}

main() {
  local command="${1:-}"
  [[ $# -gt 0 ]] && shift
  local sanitize=OFF build_dir=build labels=(-LE '^(nightly|regression-full)$')
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --sanitize) sanitize=ON; build_dir=build-asan ;;
      --nightly) labels=() ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; die "unknown option '$1'" ;;
    esac
    shift
  done
  case "$command" in
    run|test) ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "expected 'run' or 'test'${command:+, got '$command'}" ;;
  esac

  cd "$ROOT"
  if [[ "$command" == test ]]; then
    install_missing_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
  else
    install_missing_packages "${PACKAGES[@]}"
  fi
  configure_and_build "$build_dir" "$sanitize"

  if [[ "$command" == run ]]; then
    [[ -f "$DEFAULT_WORKLOAD" ]] || die "default workload $DEFAULT_WORKLOAD not found"
    log "Simulating the default workload: $build_dir/trnsim run --config $DEFAULT_CONFIG $DEFAULT_WORKLOAD"
    "$build_dir/trnsim" run --config "$DEFAULT_CONFIG" "$DEFAULT_WORKLOAD"
    log "Done. The binary is $build_dir/trnsim; try '$build_dir/trnsim --help'"
  else
    log "Running the test suite: ctest --test-dir $build_dir --output-on-failure -j2 ${labels[*]}"
    if ! ctest --test-dir "$build_dir" --output-on-failure -j2 "${labels[@]}"; then
      printf 'quickstart: some tests failed (see above)\n' >&2
      exit 1
    fi
    log "All tests passed ($build_dir/)"
  fi
}

main "$@"
