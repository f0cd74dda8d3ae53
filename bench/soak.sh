#!/usr/bin/env bash
# Kill Semisup at random moments, many times, and check that nothing is lost. Three parts, KILLS kills each:
#   mnist   a short MNIST training, resumed after every kill: best.ckpt and last.ckpt load (their SHA-256 verifies),
#           metrics.jsonl holds epochs 1..k with no gap or repeat, and at the end the run equals an uninterrupted one at
#           the same thread count (metrics less times, and the test answers).
#   folder  the same on a folder of images (train --data, made by `data synth`), with kills also aimed at the decode and
#           at the decoded-set cache's write (the cache is deleted before those, so the restarted run decodes again);
#           besides the above, after every kill the cache is absent or `data check` reads it, at most one temporary
#           file lies beside it, and the next start on it must not fail.
#   export  `export` to ONNX and to safetensors over an existing good export of another checkpoint, killed at random
#           and within milliseconds of its temporary file appearing: the target is byte for byte the previous export or the new
#           one, never a partial file, and at most one temporary file lies beside it.
# Every process runs in its own process group, killed by its id; one that fails by itself fails the soak.
# Usage: bench/soak.sh [KILLS] [SEMISUP] [PARTS]
#   defaults: 50 kills per part, the Release build in this clone, PARTS mnist,folder,export (any comma-separated subset).
#   The folder part needs MNIST (`semisup data fetch`); its cache lives under the soak's own XDG_CACHE_HOME.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-50}
semisup=${2:-"dotnet src/Semisup.Cli/bin/Release/net10.0/Semisup.Cli.dll"}
parts=${3:-mnist,folder,export}
work=$(mktemp -d)
# The shell notes each killed job on stderr, at moments of its choosing: its stderr goes to a file, shown if the soak
# fails (less those notes); the soak's own messages go to fd 3, the real stderr.
exec 3>&2 2> "$work/shell.err"
pid=
cleanup() {
  local rc=$?
  [ -z "$pid" ] || { kill -9 -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  [ "$rc" = 0 ] || grep -v ' Killed ' "$work/shell.err" >&3 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "soak: $*" >&3; exit 1; }
wants() { [[ ",$parts," == *",$1,"* ]]; }
# shellcheck disable=SC2086  # $semisup is a command line ("dotnet …dll")
run() { $semisup "$@"; }
pause() { sleep "$(python3 -c "import random; print(round(random.uniform($1, $2), 2))")"; }

# start LOG ARGS…: semisup in the background in a process group of its own, so a kill reaches a wrapper's children.
start() {
  log=$1; shift
  # shellcheck disable=SC2086
  setsid $semisup "$@" >> "$log" 2>&1 &
  pid=$!
}
# alive: whether the last process started still runs (an ended one stays a zombie until it is waited for).
alive() {
  local state
  state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || true
  [ -n "$state" ] && [ "$state" != Z ]
}
# stop: kills the process group if it still runs; fails if the process had ended by itself with an error.
stop() {
  local rc=0
  [ -n "$pid" ] || return 0
  kill -9 -- "-$pid" 2>/dev/null || true
  wait "$pid" || rc=$?
  pid=
  [ "$rc" = 0 ] || [ "$rc" = 137 ] || fail "a process exited with $rc by itself: $(tail -5 "$log")"
}
# kill_at_write SECONDS PATTERN: kills the process group a random 0 to SECONDS after a file matching the glob pattern
# appears or changes (inode, size or time), polled every half millisecond, as a write lasts a few; or returns when the
# process ends first.
kill_at_write() {
  python3 - "$pid" "$@" <<'PY' || fail "the poll failed"
import glob, os, random, signal, sys, time
pid, most, pattern = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
def state():
    out = {}
    for f in glob.glob(pattern):
        try: s = os.stat(f); out[f] = (s.st_ino, s.st_size, s.st_mtime_ns)
        except FileNotFoundError: pass
    return out
def alive():
    try: return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError: return False
before, end = state(), time.time() + 300
while time.time() < end and alive():
    if any(before.get(f) != s for f, s in state().items()):
        time.sleep(random.uniform(0, most))
        os.killpg(pid, signal.SIGKILL)
        break
    time.sleep(0.0005)
PY
}
# stamps PATTERN: a line per file matching the glob pattern, with its inode, size and time, to tell a file written anew.
stamps() { { find "$(dirname "$1")" -maxdepth 1 -name "$(basename "$1")" -printf '%f %i %s %T@\n' 2>/dev/null || true; } | sort; }
# until_logged LOG TEXT N: returns once LOG holds more than N lines with TEXT, or the process has ended.
until_logged() {
  while [ "$(grep -c -- "$2" "$1" || true)" -le "$3" ] && alive; do sleep 0.01; done
}

same() { python3 - "$1" "$2" <<'PY'
import json, sys
def rows(d):
    keep = ("epoch", "step", "supervisedLoss", "trainLoss", "validationLoss", "validationAccuracy", "learningRate")
    return [tuple(json.loads(l)[k] for k in keep) for l in open(d + "/metrics.jsonl") if l.strip()]
a, b = sys.argv[1], sys.argv[2]
assert rows(a) == rows(b), "metrics differ from the uninterrupted run"
assert json.load(open(a + "/test.json"))["predictions"] == json.load(open(b + "/test.json"))["predictions"], "test answers differ"
PY
}
contiguous() { python3 - "$1" <<'PY'
import json, sys
epochs = [json.loads(l)["epoch"] for l in open(sys.argv[1] + "/metrics.jsonl") if l.strip()]
assert epochs == list(range(1, len(epochs) + 1)), f"metrics epochs {epochs}"
PY
}
# verify_run I DIR: after kill I, the run's metrics are contiguous and its checkpoints load.
verify_run() {
  [ ! -f "$2/metrics.jsonl" ] || contiguous "$2" || fail "kill $1: metrics not contiguous"
  for c in best last; do
    [ ! -f "$2/$c.ckpt" ] || run evaluate -c "$2/$c.ckpt" --split validation > "$work/evaluate.out" 2>&1 ||
      fail "kill $1: $c.ckpt does not load: $(tail -3 "$work/evaluate.out")"
  done
}
# resume_or_start LOG DIR ARGS…: continues the run, or starts it with ARGS if it was killed before recording its recipe.
resume_or_start() {
  local into=$1 dir=$2; shift 2
  if [ -f "$dir/recipe.json" ]; then start "$into" train --resume "$dir"; else start "$into" train "$@" --out "$dir"; fi
}
# finish LOG DIR ARGS…: runs the killed run to its end, then compares it with the uninterrupted one.
finish() {
  local into=$1 dir=$2; shift 2
  until [ -f "$dir/test.json" ]; do resume_or_start "$into" "$dir" "$@"; wait "$pid" || fail "the last resume failed: $(tail -5 "$log")"; pid=; done
  contiguous "$dir"
}

if wants mnist; then
  cat > "$work/soak.json" <<'JSON'
// A run short enough to kill fifty times in a few minutes: 100 labels, 40 epochs of 3 steps.
{ "method": { "kind": "supervised" }, "data": { "labels": 100 },
  "run": { "epochs": 40, "stepsPerEpoch": 3, "labeledBatch": 20, "evalBatch": 1000, "threads": 1 } }
JSON
  mnist=(--recipe "$work/soak.json")
  run train "${mnist[@]}" --out "$work/straight" > "$work/straight.log"
  survived=0
  start "$work/killed.log" train "${mnist[@]}" --out "$work/killed"
  for ((i = 1; i <= kills; i++)); do
    pause 0.5 4
    stop
    [ -f "$work/killed/test.json" ] && break
    verify_run "$i" "$work/killed"
    survived=$i
    resume_or_start "$work/killed.log" "$work/killed" "${mnist[@]}"
  done
  stop
  finish "$work/killed.log" "$work/killed" "${mnist[@]}"
  same "$work/straight" "$work/killed"
  echo "soak mnist: $survived kills survived, every checkpoint verified after each, metrics contiguous, final run identical to the uninterrupted one"
fi

if wants folder; then
  images=$work/images
  run data synth --labels 100 --unlabeled 500 --validation 200 --test 200 --seed 1 --out "$images" > /dev/null
  cat > "$work/folder.json" <<'JSON'
// images-supervised made small enough to kill fifty times: airbench at width 16, 40 epochs of 2 steps of 20.
{ "model": { "kind": "airbench", "width": 16 }, "method": { "kind": "supervised" },
  "optimizer": { "kind": "nesterov", "learningRate": 0.1, "weightDecay": 5e-4 }, "schedule": { "kind": "cosine" },
  "augmentation": { "rotationDegrees": 0, "shift": 0, "crop": 0.125, "flip": true },
  "run": { "epochs": 40, "stepsPerEpoch": 2, "labeledBatch": 20, "evalBatch": 200, "threads": 1 } }
JSON
  folder=(--recipe "$work/folder.json" --data "$images")
  # The killed run's cache, apart from the uninterrupted run's and from the one evaluate fills when it checks checkpoints.
  cache=$work/cache/semisup/images
  XDG_CACHE_HOME=$work/straight-cache run train "${folder[@]}" --out "$work/folder-straight" > "$work/folder-straight.log"
  export XDG_CACHE_HOME=$work/check-cache
  survived=0 decoding=0 writing=0 temps=0
  for ((i = 1; i <= kills; i++)); do
    # Kills 1, 4, 7… land in the decode (the first one the run's first), 2, 5, 8… in the cache's write, the rest anywhere.
    kind=$((i % 3))
    [ "$kind" = 0 ] || rm -f "$cache"/*.bin
    n=$(grep -c decoding "$work/folder.log" 2>/dev/null) || n=0
    before=$(stamps "$cache/*.tmp-*")
    if [ "$i" = 1 ]; then XDG_CACHE_HOME=$work/cache start "$work/folder.log" train "${folder[@]}" --out "$work/folder"
    else XDG_CACHE_HOME=$work/cache resume_or_start "$work/folder.log" "$work/folder" "${folder[@]}"; fi
    case $kind in
      1) until_logged "$work/folder.log" decoding "$n"; pause 0 0.8; decoding=$((decoding + 1)) ;;
      2) kill_at_write 0.03 "$cache/*.tmp-*"; writing=$((writing + 1)) ;;
      0) pause 0.5 4 ;;
    esac
    stop
    [ -f "$work/folder/test.json" ] && break
    after=$(stamps "$cache/*.tmp-*")
    [ "$(echo "$after" | grep -c tmp)" -le 1 ] || fail "kill $i: temporary files pile up beside the cache: $(ls "$cache")"
    [ -z "$after" ] || [ "$after" = "$before" ] || temps=$((temps + 1))
    if compgen -G "$cache/*.bin" > /dev/null; then
      XDG_CACHE_HOME=$work/cache run data check "$images" > "$work/check.out" 2>&1 || fail "kill $i: data check failed: $(cat "$work/check.out")"
      grep -q "read from the cache" "$work/check.out" || fail "kill $i: the cache does not load: $(cat "$work/check.out")"
    fi
    verify_run "$i" "$work/folder"
    survived=$i
  done
  XDG_CACHE_HOME=$work/cache finish "$work/folder.log" "$work/folder" "${folder[@]}"
  unset XDG_CACHE_HOME
  same "$work/folder-straight" "$work/folder"
  echo "soak folder: $survived kills survived ($decoding in a decode, $writing at the cache's write, $temps leaving a temporary file), every checkpoint and the cache verified after each, metrics contiguous, final run identical to the uninterrupted one"
fi

if wants export; then
  # Two checkpoints whose exports differ, so a target is known to be the previous export or the new one.
  ckpt=(models/fixmatch-best-seed1/best.ckpt models/fixmatch-best-seed2/best.ckpt)
  mkdir -p "$work/known" "$work/out"
  t0=$(date +%s.%N)
  for f in onnx safetensors; do
    for k in 0 1; do run export -c "${ckpt[$k]}" --format "$f" --out "$work/known/$k.$f" > /dev/null; done
    cmp -s "$work/known/0.$f" "$work/known/1.$f" && fail "the two checkpoints' $f exports are the same"
    cp "$work/known/0.$f" "$work/out/model.$f"
  done
  took=$(python3 -c "import time; print(round(($(date +%s.%N) - $t0) / 4, 2))")
  survived=0 old=0 new=0 temps=0
  for ((i = 1; i <= kills; i++)); do
    f=$([ $((i % 2)) = 1 ] && echo onnx || echo safetensors)
    target=$work/out/model.$f
    now=$(cmp -s "$target" "$work/known/0.$f" && echo 0 || echo 1)
    next=$((1 - now))
    before=$(stamps "$target.tmp")
    start "$work/export.log" export -c "${ckpt[$next]}" --format "$f" --out "$target"
    # Odd kills of each format at random within an export's time, even ones within 5 ms of its temporary file appearing.
    if [ $(((i + 1) / 2 % 2)) = 1 ]; then pause 0.3 "$took"; else kill_at_write 0.005 "$target.tmp"; fi
    stop
    if cmp -s "$target" "$work/known/$now.$f"; then old=$((old + 1))
    elif cmp -s "$target" "$work/known/$next.$f"; then new=$((new + 1))
    else fail "kill $i: $target is neither the previous export nor the new one ($(stat -c %s "$target") bytes)"; fi
    n=$(find "$work/out" -name "model.$f?*" | wc -l)
    [ "$n" -le 1 ] || fail "kill $i: $n temporary files beside $target: $(ls "$work/out")"
    after=$(stamps "$target.tmp")
    [ -z "$after" ] || [ "$after" = "$before" ] || temps=$((temps + 1))
    survived=$i
  done
  run evaluate --onnx "$work/out/model.onnx" > /dev/null || fail "the last ONNX export does not load"
  echo "soak export: $survived kills survived ($old left the previous export, $new the new one; $temps times a temporary file was left), every target a whole export, never more than one temporary file"
fi
