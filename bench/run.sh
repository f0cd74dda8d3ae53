#!/usr/bin/env bash
# Semisup (TorchSharp) beside PyTorch (Debian's python3-torch), same machine, same run: the Γ step and evaluation,
# the noise of a noisy pass, FixMatch's step of fixmatch-fast (the lab's network) and of images-fast (airbench's), the
# ladder step, the augmentation (bilinear and bicubic), and the hand-derived activations against libtorch's built-ins.
# Usage: bench/run.sh [threads=2] [steps=200] [parts=all], parts a comma-separated list of gamma, fixmatch, airbench,
# ladder, augment, activations. Run it on an idle machine. The decode benchmark is bench/decode.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}; steps=${2:-200}; parts=${3:-all}
runs() { [ "$parts" = all ] || [[ ",$parts," == *",$1,"* ]]; }
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "needs Debian's python3-torch: apt-get install python3-torch" >&2; exit 1; }
# Debian's torch does its matrix products through the system BLAS; the reference (netlib) one is ~10x slower than
# libtorch's, which would make any comparison meaningless. OpenBLAS (apt-get install libopenblas0-pthread) is fair.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)
case "$blas" in *openblas*|*blis*|*mkl*) ;; *) echo "PyTorch would use the reference BLAS ($blas); apt-get install libopenblas0-pthread" >&2; exit 1;; esac
# OpenBLAS threads on top of torch's own would oversubscribe the cores: PyTorch gets each step in its faster
# configuration, torch's threads with a single-threaded BLAS, or one torch thread over a multi-threaded BLAS.
# Semisup keeps freed blocks in glibc's heap (src/Semisup/NativeAllocator.cs); PyTorch gets the same settings through
# glibc's environment variables, so both pay the same for memory and the ratios compare the work.
py="env MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=2147483647 /usr/bin/python3"
dotnet build bench/Semisup.Bench -c Release -v q -nologo >/dev/null
bench="dotnet bench/Semisup.Bench/bin/Release/net10.0/Semisup.Bench.dll"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d); code: $(git describe --always --dirty); PyTorch's BLAS: $blas"
get() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

if runs gamma; then
# Where a Γ step's time goes (stderr), the warm-up's speed and the noise of a noisy pass: one run each. Their
# steps/s and images/s are single runs, one after the other; the ratios below come from bench/paired.py.
echo "where a Semisup Γ step goes:" >&2
ours=$($bench gamma "$threads" "$steps")
echo "where a PyTorch Γ step goes:" >&2
theirs=$(OPENBLAS_NUM_THREADS=1 $py bench/gamma_step.py "$threads" "$steps")
echo "single runs, one after the other (not for ratios):"; echo "$ours"; echo "$theirs"
echo "evaluation's arithmetic (convolutions' and linear layers' multiply-adds, single runs): Semisup (batch norm folded) $(get "$ours" eval_gflops), PyTorch (the lab's code, unfolded) $(get "$theirs" eval_gflops) GFLOP/s; the roof, a 2048² matrix product in libtorch: $(get "$ours" matmul_gflops) GFLOP/s"
echo "ratio semisup/pytorch, Γ, the 100 warm-up steps: $(ratio "$(get "$ours" warmup_steps_per_s)" "$(get "$theirs" warmup_steps_per_s)")"
echo "the noise of one noisy pass, ms: Semisup's sampler $(get "$ours" noise_ms), libtorch's randn $(get "$ours" randn_ms), PyTorch's randn $(get "$theirs" randn_ms); time ratio Semisup/PyTorch $(ratio "$(get "$ours" noise_ms)" "$(get "$theirs" randn_ms)")"
# The VM's speed drifts over minutes (docs/performance.md), so the ratios of the steady step and of evaluation come
# from both processes alive, taking turns in short blocks (bench/paired.py says how). Evaluation is timed against the
# lab's PyTorch code and against PyTorch with batch norm folded as Semisup folds it, at batches of 1,000 and 200.
/usr/bin/python3 bench/paired.py --ours "$bench gamma-serve $threads" --theirs "OPENBLAS_NUM_THREADS=1 $py bench/gamma_step.py $threads serve"
fi

# FixMatch's step, as each recipe trains it (bench/fixmatch_twin.py says what the twins do): first one run each, for
# where a step goes (stderr), the warm-up's speed and the parameter counts, which must agree; then the paired ratio.
# Blocks of 25 and 10 steps: a few seconds each on 2 cores, short enough to pair, long enough to time.
for case in "fixmatch 25" "airbench 10"; do
  set -- $case
  runs "$1" || continue
  ours=$($bench "$1" "$threads" "$steps")
  theirs=$(OPENBLAS_NUM_THREADS=1 $py "bench/$1_step.py" "$threads" "$steps")
  echo "single runs, one after the other (not for ratios):"; echo "$ours"; echo "$theirs"
  [ "$(get "$ours" parameters)" = "$(get "$theirs" parameters)" ] || { echo "$1: Semisup's network has $(get "$ours" parameters) parameters, the twin's $(get "$theirs" parameters); they must be the same network" >&2; exit 1; }
  echo "ratio semisup/pytorch, $1, the 100 warm-up steps: $(ratio "$(get "$ours" warmup_steps_per_s)" "$(get "$theirs" warmup_steps_per_s)")"
  /usr/bin/python3 bench/paired.py --ours "$bench $1-serve $threads" --theirs "OPENBLAS_NUM_THREADS=1 $py bench/$1_step.py $threads serve" --requests "$case"
done

if runs ladder; then
ours=$($bench ladder "$threads" "$steps")
a=$(OPENBLAS_NUM_THREADS=1 $py bench/ladder_step.py "$threads" "$steps")
b=$(OPENBLAS_NUM_THREADS=$threads $py bench/ladder_step.py 1 "$steps")
echo "$ours"; echo "$a (single-threaded BLAS)"; echo "$b ($threads BLAS threads)"
theirs=$(awk -v x="$(get "$a" steps_per_s)" -v y="$(get "$b" steps_per_s)" 'BEGIN { print "steps_per_s=" (x > y ? x : y) }')
echo "ratio semisup/pytorch, ladder: training steps/s $(ratio "$(get "$ours" steps_per_s)" "$(get "$theirs" steps_per_s)")"
fi

if runs augment; then
ours=$($bench augment "$threads" "$steps")
theirs=$(OPENBLAS_NUM_THREADS=1 $py bench/augment_step.py "$threads" "$steps")
echo "$ours"; echo "$theirs"
echo "ratio semisup/pytorch, augmenting 50 images (time): bilinear $(ratio "$(get "$ours" bilinear_ms)" "$(get "$theirs" bilinear_ms)"), bicubic $(ratio "$(get "$ours" bicubic_ms)" "$(get "$theirs" bicubic_ms)")"
fi

if runs activations; then $bench activations "$threads" "$steps"; fi
