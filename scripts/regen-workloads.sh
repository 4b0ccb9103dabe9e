#!/usr/bin/env bash
# Regenerates the golden traces in workloads/ with the built `trnsim gen gemm` and `gen tp-gemm`, from the
# preset configs. Run it from anywhere after a deliberate change of a generator, review the
# diff, and commit it with the change; tests/gen/test_workloads.cpp fails until the files
# match the generator again. The command for each file is listed in workloads/README.md.
#
# Usage: scripts/regen-workloads.sh [path/to/trnsim]   (default: build/trnsim)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
trnsim="${1:-build/trnsim}"
if [[ ! -x "$trnsim" ]]; then
  echo "regen-workloads: no trnsim binary at '$trnsim'; build it first (cmake --build build)" >&2
  exit 2
fi

"$trnsim" gen gemm --m 1024 --n 1024 --k 1024 --dtype bf16 --config configs/trn2.yaml -o workloads/gemm-1024x1024x1024-bf16-trn2.trn
"$trnsim" gen gemm --m 256 --n 512 --k 384 --dtype bf16 --config configs/tiny.yaml -o workloads/gemm-256x512x384-bf16-tiny.trn
"$trnsim" gen gemm --m 2048 --n 2048 --k 2048 --dtype bf16 --cores 2 --config configs/trn2.yaml -o workloads/gemm-2048x2048x2048-bf16-trn2-2cores.trn
"$trnsim" gen tp-gemm --m 512 --n 128 --k 1024 --chips 4 --chunks 4 --config configs/trn2-16.yaml -o workloads/tp-gemm-512x128x1024-bf16-4chips-trn2-16.trn

echo "regen-workloads: regenerated workloads/*.trn; review with: git diff --stat workloads/"
