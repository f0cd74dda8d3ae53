"""Semisup's Γ step and evaluation against PyTorch's, both processes alive, taking turns in short blocks.

The VM's speed drifts over minutes (docs/RESULTS.md, Speed), so two processes run one after the other see
different machines. Here each block times Semisup and then PyTorch, or PyTorch and then Semisup (alternating, so a
steady drift favours neither), and the ratio is taken within the block. The result is the median of the blocks'
ratios with their quartiles. Only the standard library: the twin imports torch, this script does not.

Usage: paired.py --ours CMD --theirs CMD [--names semisup,pytorch] [--blocks 20] [--train-steps 25]
       [--eval-batches 1000,500,200,100]
Each CMD prints "ready" when warmed up, then answers each request on stdin, "train N" (N training steps) or "eval B"
(one evaluation of its 10,000 images in batches of B), with the seconds it took.

Evaluation is timed at several batch sizes because the two libraries' fastest differ; besides the ratio at each, it
prints the ratio of each side at its own fastest batch size (by the median over blocks), block by block."""
import argparse
import statistics
import subprocess
import sys


def start(command):
    # Started one at a time: the second warms up while the first waits on its stdin and takes no CPU.
    process = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if process.stdout.readline().strip() != "ready":
        sys.exit(f"did not start: {command}")
    return process


def ask(process, request):
    process.stdin.write(request + "\n")
    process.stdin.flush()
    answer = process.stdout.readline()
    if not answer:
        sys.exit(f"no answer to '{request}' (exit code {process.wait()})")
    return float(answer)


def summary(ratios):
    q1, median, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
    return f"{median:.2f}x (quartiles {q1:.2f}-{q3:.2f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours", required=True)
    parser.add_argument("--theirs", required=True)
    parser.add_argument("--names", default="semisup,pytorch", help="the two sides' names in the output (an A/B run of two builds)")
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--train-steps", type=int, default=25)
    parser.add_argument("--eval-batches", default="1000,500,200,100")
    args = parser.parse_args()
    names = args.names.split(",")
    sides = start(args.ours), start(args.theirs)
    # task name -> (request, units of work per request, unit)
    tasks = {"training": (f"train {args.train_steps}", args.train_steps, "steps/s")}
    for batch in args.eval_batches.split(","):
        tasks[f"evaluation, batch {batch}"] = (f"eval {batch}", 10000, "images/s")
    rates = {name: ([], []) for name in tasks}  # per task, Semisup's and PyTorch's rate in each block
    for block in range(args.blocks):
        for name, (request, work, unit) in tasks.items():
            order = (0, 1) if block % 2 == 0 else (1, 0)  # who goes first alternates
            seconds = [0.0, 0.0]
            for side in order:
                seconds[side] = ask(sides[side], request)
            for side in (0, 1):
                rates[name][side].append(work / seconds[side])
            print(f"block {block + 1:2}  {name:<24} {names[0]} {work / seconds[0]:9.1f}  {names[1]} {work / seconds[1]:9.1f} {unit}  "
                  f"ratio {seconds[1] / seconds[0]:.3f}", file=sys.stderr)
    for process in sides:
        process.stdin.close()
        process.wait()

    print(f"Γ, {names[0]} beside {names[1]}, both alive, taking turns in {args.blocks} blocks (medians over blocks):")
    for name, (_, _, unit) in tasks.items():
        ours, theirs = rates[name]
        print(f"  {name:<24} {names[0]} {statistics.median(ours):9.1f}  {names[1]} {statistics.median(theirs):9.1f} {unit:<9} "
              f"ratio {summary([a / b for a, b in zip(ours, theirs)])}")
    evaluations = [name for name in tasks if name.startswith("evaluation")]
    best = [max(evaluations, key=lambda name: statistics.median(rates[name][side])) for side in (0, 1)]
    ratios = [a / b for a, b in zip(rates[best[0]][0], rates[best[1]][1])]
    print(f"ratio {names[0]}/{names[1]}, Γ training steps/s {summary([a / b for a, b in zip(*rates['training'])])}; "
          f"evaluation images/s, each at its fastest batch ({best[0].split()[-1]} and {best[1].split()[-1]}), {summary(ratios)}")


if __name__ == "__main__":
    main()
