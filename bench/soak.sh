#!/usr/bin/env bash
# Kill a short training at random moments, many times, resuming after each kill, and check that nothing is lost:
# after every kill best.ckpt and last.ckpt load (their SHA-256 verifies), metrics.jsonl holds epochs 1..k with no gap
# or repeat, and at the end the run equals an uninterrupted one at the same thread count (metrics less times, and the
# test answers). Usage: bench/soak.sh [KILLS] [SEMISUP]   (defaults: 50 kills, the Release build in this clone)
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-50}
semisup=${2:-"dotnet src/Semisup.Cli/bin/Release/net10.0/Semisup.Cli.dll"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/soak.json" <<'JSON'
// A run short enough to kill fifty times in a few minutes: 100 labels, 40 epochs of 3 steps.
{ "method": { "kind": "supervised" }, "data": { "labels": 100 },
  "run": { "epochs": 40, "stepsPerEpoch": 3, "labeledBatch": 20, "evalBatch": 1000, "threads": 1 } }
JSON
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
$semisup train --recipe "$work/soak.json" --out "$work/straight" > "$work/straight.log"
survived=0
$semisup train --recipe "$work/soak.json" --out "$work/killed" > "$work/killed.log" 2>&1 &
for ((i = 1; i <= kills; i++)); do
  sleep "$(python3 -c 'import random; print(round(random.uniform(0.5, 4), 2))')"
  pkill -9 -f -- "--out $work/killed" || true; pkill -9 -f -- "--resume $work/killed" || true; sleep 0.2
  [ -f "$work/killed/test.json" ] && break
  contiguous "$work/killed" 2>/dev/null || [ ! -f "$work/killed/metrics.jsonl" ]
  for c in best last; do
    [ -f "$work/killed/$c.ckpt" ] && { $semisup evaluate -c "$work/killed/$c.ckpt" --split validation > /dev/null || { echo "kill $i: $c.ckpt does not load"; exit 1; }; }
  done
  survived=$i
  $semisup train --resume "$work/killed" >> "$work/killed.log" 2>&1 &
done
wait || true
until [ -f "$work/killed/test.json" ]; do $semisup train --resume "$work/killed" >> "$work/killed.log" 2>&1 || true; done
contiguous "$work/killed"
same "$work/straight" "$work/killed"
echo "soak: $survived kills survived, every checkpoint verified after each, metrics contiguous, final run identical to the uninterrupted one"
