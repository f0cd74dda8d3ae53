#!/usr/bin/env bash
# Which memory makes a step in a run's RSS (docs/performance.md, memory).
#   bench/rss-steps.sh OUTDIR COMMAND...      e.g. bench/rss-steps.sh runs/rss-steps bin/Semisup.Cli train --recipe gamma-quick
# Runs COMMAND (a published Semisup.Cli, not `dotnet run`, whose child would be another process) and reads its
# /proc/PID/smaps once a second. When the RSS moves by more than 30 MB between two readings it keeps both, and it
# prints where the change lies: the RSS summed by mapping (a file's path, [heap] for the main thread's malloc heap,
# [anon] for other anonymous memory: thread arenas, mmap'd blocks, the .NET heap), and each anonymous mapping whose
# RSS changed, with its size. At the end it prints how many steps it saw.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 OUTDIR COMMAND..." >&2; exit 2; }
out=$1; shift
mkdir -p "$out"
"$@" > "$out/run.log" 2>&1 &
pid=$!

rss_kb() { awk '/^Rss:/ { s += $2 } END { print s + 0 }' "$1"; }

# RSS by mapping name; anonymous mappings keyed by start address as well, so one that grew can be named.
by_mapping() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / { split($1, r, "-"); name = (NF >= 6 ? $6 : "[anon]"); start = r[1] }
       /^Size:/ { size = $2 }
       /^Rss:/ { total[name] += $2; if (name == "[anon]") printf "anon %s %d %d\n", start, size, $2 }
       END { for (n in total) printf "name %s %d\n", n, total[n] }' "$1"
}

diff_steps() {
  join -a1 -a2 -e 0 -o 0,1.2,2.2 <(by_mapping "$1" | awk '$1 == "name" { print $2, $3 }' | sort) \
                                  <(by_mapping "$2" | awk '$1 == "name" { print $2, $3 }' | sort) |
    awk '{ d = $3 - $2; if (d > 1024 || d < -1024) printf "  %-60s %+8.1f MB (%.1f -> %.1f)\n", $1, d / 1024, $2 / 1024, $3 / 1024 }'
  join -a1 -a2 -e 0 -o 0,1.2,1.3,2.2,2.3 <(by_mapping "$1" | awk '$1 == "anon" { print $2, $3, $4 }' | sort) \
                                          <(by_mapping "$2" | awk '$1 == "anon" { print $2, $3, $4 }' | sort) |
    awk '{ d = $5 - $3; if (d > 1024 || d < -1024) printf "  anon at %s: size %.1f -> %.1f MB, RSS %+.1f MB\n", $1, $2 / 1024, $4 / 1024, d / 1024 }'
}

steps=0
prev="$out/prev.smaps"; cur="$out/cur.smaps"
cat "/proc/$pid/smaps" > "$prev" 2>/dev/null || true
before=$(rss_kb "$prev")
while kill -0 "$pid" 2>/dev/null; do
  sleep 1
  cat "/proc/$pid/smaps" > "$cur" 2>/dev/null || break
  after=$(rss_kb "$cur")
  if (( after - before > 30720 || before - after > 30720 )); then
    steps=$((steps + 1))
    epoch=$(awk '$1 == "epoch" { e = $2 } END { print e + 0 }' "$out/run.log")
    echo "step $steps at $(date +%T), after epoch $epoch: RSS $((before / 1024)) -> $((after / 1024)) MB"
    cp "$prev" "$out/step$steps.before.smaps"; cp "$cur" "$out/step$steps.after.smaps"
    diff_steps "$prev" "$cur"
  fi
  mv "$cur" "$prev"; before=$after
done
wait "$pid" || { echo "the command failed: $out/run.log" >&2; exit 1; }
rm -f "$prev" "$cur"
echo "$steps steps of more than 30 MB; the run's output is in $out/run.log"
