#!/usr/bin/env bash
# Decode throughput: Semisup's folder loader (Data/ImageFolder.cs, as `semisup train --data` loads) beside PIL
# (Debian's python3-pil, bench/decode_pil.py, a multiprocessing pool of THREADS workers), both to 3×32×32 bytes, on two
# folders made once at fixed seeds: 10,000 PNGs of 32×32 (`semisup data synth`) and 2,000 JPEGs of 256×192
# (bench/make_photos.py, a quarter with an EXIF orientation). Requests, taking turns in blocks (bench/paired.py):
# "decode DIR", Semisup with its cache off, every file decoded; "cached DIR", Semisup's second load, from its cache
# (PIL keeps none, so its side decodes again: the ratio is what a cached run gains over decoding with PIL).
# Usage: bench/decode.sh [threads=2] [blocks=10]. Run it on an idle machine. The folders stay in $root for later runs;
# delete it to make them again.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}; blocks=${2:-10}
root=${SEMISUP_DECODE_DIR:-/tmp/semisup-decode}
/usr/bin/python3 -c "import PIL, numpy" 2>/dev/null || { echo "needs Debian's python3-pil and python3-numpy" >&2; exit 1; }
dotnet build src/Semisup.Cli -c Release -v q -nologo >/dev/null
dotnet build bench/Semisup.Bench -c Release -v q -nologo >/dev/null
if [ ! -d "$root/colour-shapes" ]; then
  dotnet src/Semisup.Cli/bin/Release/net10.0/Semisup.Cli.dll data synth --labels 1000 --unlabeled 8000 --validation 500 --test 500 --seed 1 --out "$root/colour-shapes"
fi
if [ ! -d "$root/photos" ]; then /usr/bin/python3 bench/make_photos.py "$root/photos" 2000 1; fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d); code: $(git describe --always --dirty); $(/usr/bin/python3 -c 'import PIL; print("PIL", PIL.__version__)'); $threads threads"
echo "folders: $root/colour-shapes ($(find "$root/colour-shapes" -name '*.png' | wc -l) PNGs, $(du -sh "$root/colour-shapes" | cut -f1)), $root/photos ($(find "$root/photos" -name '*.jpg' | wc -l) JPEGs, $(du -sh "$root/photos" | cut -f1))"
# The files are read from the page cache on both sides after the untimed first round: this times decoding, not the disk.
/usr/bin/python3 bench/paired.py --names semisup,pil --blocks "$blocks" \
  --ours "dotnet bench/Semisup.Bench/bin/Release/net10.0/Semisup.Bench.dll decode-serve $threads" \
  --theirs "/usr/bin/python3 bench/decode_pil.py $threads serve" \
  --requests "decode $root/colour-shapes,cached $root/colour-shapes,decode $root/photos,cached $root/photos"
