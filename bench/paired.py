"""Semisup's benchmarks against their twins, both processes alive, taking turns in short blocks.

The VM's speed drifts over minutes (docs/performance.md), so two processes run one after the other see
different machines. Here, request by request, each block times Semisup and then the twin, or the twin and then Semisup
(alternating, so a steady drift favours neither), and the ratio is taken within the pair. The result is the median of
the blocks' ratios and their quartiles (the spread of the blocks, not a confidence interval). Only the standard
library: the twins import torch or PIL, this script does not.

Usage: paired.py --ours CMD --theirs CMD [--names semisup,pytorch] [--blocks 20]
       [--requests "train 25,eval 1000,eval-folded 1000,eval 200,eval-folded 200"]
Each CMD prints "ready" when warmed up, then answers each request on stdin with the seconds it took, and, when only it
knows how much work that was, the count after them ("SECONDS COUNT": the images of a folder it loaded). Requests:
"train N", "fixmatch N", "airbench N" (N training steps: Semisup.Bench's gamma-serve, fixmatch-serve, airbench-serve
and their twins), "eval B" (one evaluation of its 10,000 images in batches of B), "eval-folded B" (the same with batch
norm folded into the layer before it, as Semisup always evaluates; bench/gamma_step.py says more), "decode DIR" and
"cached DIR" (loading a folder: bench/decode.sh)."""
import argparse
import statistics
import subprocess
import sys


def start(command):
    # Started one at a time: the second warms up while the first waits on its stdin and takes no CPU.
    process = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if line.strip() != "ready":
        sys.exit(f"did not start: {command}: got {line!r}")
    return process


def ask(process, request):
    """The seconds the request took and the work done: the count the side gives, or what the request says."""
    process.stdin.write(request + "\n")
    process.stdin.flush()
    answer = process.stdout.readline().split()
    if not answer:
        sys.exit(f"no answer to '{request}' (exit code {process.wait()})")
    if len(answer) == 2:
        return float(answer[0]), int(answer[1]), "images/s"
    what, count = request.split(maxsplit=1)
    return float(answer[0]), *((10000, "images/s") if what.startswith("eval") else (int(count), "steps/s"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours", required=True)
    parser.add_argument("--theirs", required=True)
    parser.add_argument("--names", default="semisup,pytorch", help="the two sides' names in the output (e.g. two builds)")
    parser.add_argument("--blocks", type=int, default=20, help="an even number, so that each side goes first as often")
    parser.add_argument("--requests", default="train 25,eval 1000,eval-folded 1000,eval 200,eval-folded 200")
    args = parser.parse_args()
    if args.blocks < 2 or args.blocks % 2:
        sys.exit("--blocks must be even and at least 2")
    names = args.names.split(",")
    requests = [r.strip() for r in args.requests.split(",")]
    sides = start(args.ours), start(args.theirs)
    unit = {}
    for request in requests:  # untimed: first-use costs of each batch size on both sides (and a cache's first write)
        answers = [ask(side, request) for side in sides]
        if answers[0][1] != answers[1][1]:
            sys.exit(f"'{request}': {names[0]} did {answers[0][1]} and {names[1]} {answers[1][1]}; the two must do the same work")
        unit[request] = answers[0][2]
    rates = {r: ([], []) for r in requests}  # per request, each side's rate in each block
    for block in range(args.blocks):
        for request in requests:
            order = (0, 1) if block % 2 == 0 else (1, 0)
            answers = [None, None]
            for side in order:
                answers[side] = ask(sides[side], request)
            rate = [work / seconds for seconds, work, _ in answers]
            for side in (0, 1):
                rates[request][side].append(rate[side])
            print(f"block {block + 1:2}  {request:<18} {names[0]} {rate[0]:9.1f}  {names[1]} "
                  f"{rate[1]:9.1f} {unit[request]}  ratio {rate[0] / rate[1]:.3f}", file=sys.stderr)
    for process in sides:
        process.stdin.close()
        process.wait()

    print(f"{names[0]} beside {names[1]}, both alive, taking turns in {args.blocks} blocks: the median of each side's "
          f"rates, and the median of the blocks' ratios {names[0]}/{names[1]} with their quartiles")
    for request in requests:
        ours, theirs = rates[request]
        q1, median, q3 = statistics.quantiles([a / b for a, b in zip(ours, theirs)], n=4, method="inclusive")
        print(f"  {request:<18} {names[0]} {statistics.median(ours):9.1f}  {names[1]} {statistics.median(theirs):9.1f} "
              f"{unit[request]:<9} ratio {median:.2f}x (quartiles {q1:.2f}-{q3:.2f})")


if __name__ == "__main__":
    main()
