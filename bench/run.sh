#!/usr/bin/env bash
# Γ step and evaluation speed, Semisup (TorchSharp) beside PyTorch (Debian's python3-torch), same machine, same run.
# Usage: bench/run.sh [threads=2] [steps=200]. Run it on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}; steps=${2:-200}
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "needs Debian's python3-torch: apt-get install python3-torch" >&2; exit 1; }
dotnet build bench/Semisup.Bench -c Release -v q -nologo >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
echo "where a Semisup step goes:" >&2
ours=$(dotnet bench/Semisup.Bench/bin/Release/net10.0/Semisup.Bench.dll "$threads" "$steps")
echo "where a PyTorch step goes:" >&2
theirs=$(/usr/bin/python3 bench/gamma_step.py "$threads" "$steps")
echo "$ours"; echo "$theirs"
get() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
awk -v a="$(get "$ours" steps_per_s)" -v b="$(get "$theirs" steps_per_s)" -v c="$(get "$ours" eval_images_per_s)" -v d="$(get "$theirs" eval_images_per_s)" \
  'BEGIN { printf "ratio semisup/pytorch: training steps/s %.2fx, evaluation images/s %.2fx\n", a / b, c / d }'
