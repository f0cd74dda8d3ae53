"""Semisup's Γ step and evaluation against PyTorch's, both processes alive, taking turns in short blocks.

The VM's speed drifts over minutes (docs/performance.md), so two processes run one after the other see
different machines. Here, request by request, each block times Semisup and then PyTorch, or PyTorch and then Semisup
(alternating, so a steady drift favours neither), and the ratio is taken within the pair. The result is the median of
the blocks' ratios and their quartiles (the spread of the blocks, not a confidence interval). Only the standard
library: the twin imports torch, this script does not.

Usage: paired.py --ours CMD --theirs CMD [--names semisup,pytorch] [--blocks 20]
       [--requests "train 25,eval 1000,eval-folded 1000,eval 200,eval-folded 200"]
Each CMD prints "ready" when warmed up, then answers each request on stdin with the seconds it took: "train N" (N
training steps), "eval B" (one evaluation of its 10,000 images in batches of B) or "eval-folded B" (the same with
batch norm folded into the layer before it, as Semisup always evaluates; bench/gamma_step.py says more)."""
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
    process.stdin.write(request + "\n")
    process.stdin.flush()
    answer = process.stdout.readline()
    if not answer:
        sys.exit(f"no answer to '{request}' (exit code {process.wait()})")
    return float(answer)


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
    # Each request's work and unit: training steps, or the 10,000 images of an evaluation.
    work = {r: (int(r.split()[1]), "steps/s") if r.startswith("train ") else (10000, "images/s") for r in requests}
    sides = start(args.ours), start(args.theirs)
    for request in requests:  # untimed: first-use costs of each batch size on both sides
        for side in sides:
            ask(side, request)
    rates = {r: ([], []) for r in requests}  # per request, each side's rate in each block
    for block in range(args.blocks):
        for request in requests:
            order = (0, 1) if block % 2 == 0 else (1, 0)
            seconds = [0.0, 0.0]
            for side in order:
                seconds[side] = ask(sides[side], request)
            units, unit = work[request]
            for side in (0, 1):
                rates[request][side].append(units / seconds[side])
            print(f"block {block + 1:2}  {request:<18} {names[0]} {units / seconds[0]:9.1f}  {names[1]} "
                  f"{units / seconds[1]:9.1f} {unit}  ratio {seconds[1] / seconds[0]:.3f}", file=sys.stderr)
    for process in sides:
        process.stdin.close()
        process.wait()

    print(f"Γ, {names[0]} beside {names[1]}, both alive, taking turns in {args.blocks} blocks: the median of each side's "
          f"rates, and the median of the blocks' ratios {names[0]}/{names[1]} with their quartiles")
    for request in requests:
        ours, theirs = rates[request]
        q1, median, q3 = statistics.quantiles([a / b for a, b in zip(ours, theirs)], n=4, method="inclusive")
        print(f"  {request:<18} {names[0]} {statistics.median(ours):9.1f}  {names[1]} {statistics.median(theirs):9.1f} "
              f"{work[request][1]:<9} ratio {median:.2f}x (quartiles {q1:.2f}-{q3:.2f})")


if __name__ == "__main__":
    main()
