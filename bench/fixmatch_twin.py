"""The FixMatch training step of a Semisup recipe in PyTorch, shared by bench/fixmatch_step.py (fixmatch-fast, the lab's
network) and bench/airbench_step.py (images-fast, airbench's network). It does what Semisup's Training/Trainer.cs step
does with Methods/FixMatch.cs: the labeled batch's weak view, the unlabeled batch's weak and strong views, one forward
pass of all three, FixMatch's masked loss (and IIC's term when the recipe has it), backward, SGD with Nesterov momentum
and weight decay, and the weight average's update. Written the fast way PyTorch allows: channels-last activations as
Semisup, the optimizer and the average over all tensors at once (foreach), no loop per image.

The twin reads the same recipe file as Semisup's bench, and refuses one with a key it does not mirror, so the two sides
cannot drift apart silently."""
import json
import os
import sys
import time
import torch
import torch.nn.functional as F
from timing import WARMUP, per_call

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def read_recipe(name, mirrored):
    """The recipe's blocks as dicts. `mirrored` maps each block to the keys this twin mirrors (with their defaults, as
    Semisup's records have them); any other key is refused, except those that do not change a step's work."""
    path = os.path.join(ROOT, "recipes", name + ".json")
    with open(path) as f:
        recipe = json.loads("".join(line for line in f if not line.lstrip().startswith("//")))
    ignored = {"description": None, "data": None, "schedule": None, "run": {"epochs", "stepsPerEpoch", "threads", "evalBatch"}}
    blocks = {}
    for block, keys in recipe.items():
        if block in ignored and ignored[block] is None:
            continue
        if block not in mirrored:
            sys.exit(f"{path}: block '{block}' is not mirrored by the PyTorch twin; add it to bench/fixmatch_twin.py's callers")
        values = dict(mirrored[block])
        for key, value in keys.items():
            if key == "strong" and block == "augmentation":
                continue
            if key not in values and key not in ignored.get(block, ()):
                sys.exit(f"{path}: {block}.{key} is not mirrored by the PyTorch twin; mirror it in bench/{os.path.basename(sys.argv[0])}")
            values[key] = value
        blocks[block] = values
    for block, defaults in mirrored.items():
        blocks.setdefault(block, dict(defaults))
    if "strong" in mirrored.get("augmentation", {}):
        strong = dict(mirrored["augmentation"]["strong"])
        for key, value in recipe.get("augmentation", {}).get("strong", {}).items():
            if key not in strong:
                sys.exit(f"{path}: augmentation.strong.{key} is not mirrored by the PyTorch twin; mirror it in bench/{os.path.basename(sys.argv[0])}")
            strong[key] = value
        blocks["augmentation"]["strong"] = strong
    return blocks


def channels_last(x):
    """A copy in channels-last memory, as Semisup's ConvNet.ChannelsLast (also right with one channel)."""
    return torch.empty_like(x, memory_format=torch.channels_last).copy_(x)


def mutual_information(p, p_prime):
    """FixMatch.MutualInformation: IIC's −I(y; y') of the views' joint class distribution."""
    joint = p.t().matmul(p_prime) / p.shape[0]
    joint = ((joint + joint.t()) / 2).clamp_min(1e-8)
    pi, pj = joint.sum(1, keepdim=True), joint.sum(0, keepdim=True)
    return -(joint * (joint.log() - pi.log() - pj.log())).sum()


class WeightAverage:
    """Optim/WeightAverage.cs: every floating tensor of the state (weights and batch-norm statistics) averaged after
    each step with the decay capped at 1 − 1/(step + 1); counters copied. Over all tensors at once (foreach)."""

    def __init__(self, model, average, decay):
        trained, averaged = model.state_dict(), average.state_dict()
        floats = [k for k, v in trained.items() if v.is_floating_point()]
        self.averages, self.trained = [averaged[k] for k in floats], [trained[k] for k in floats]
        self.counters = [(averaged[k], v) for k, v in trained.items() if not v.is_floating_point()]
        self.decay, self.step = decay, 0
        with torch.no_grad():
            for a, t in zip(self.averages, self.trained):
                a.copy_(t)
        average.eval()

    @torch.no_grad()
    def update(self):
        d = min(self.decay, 1.0 - 1.0 / (self.step + 1))
        torch._foreach_mul_(self.averages, d)
        torch._foreach_add_(self.averages, self.trained, alpha=1 - d)
        for a, t in self.counters:
            a.copy_(t)
        self.step += 1


class Step:
    """One FixMatch step on random images stored as bytes, as Semisup stores a set (speed does not depend on content).
    weak(x) and strong(x) are the views; model is in training mode; average is a second model of the same kind."""

    def __init__(self, model, average, blocks, weak, strong, shape, labeled_count, unlabeled_count, classes=10):
        run, method, optimizer = blocks["run"], blocks["method"], blocks["optimizer"]
        self.model, self.weak, self.strong = model, weak, strong
        self.nl, self.nu = run["labeledBatch"], run["unlabeledBatch"]
        self.threshold, self.mi = method["threshold"], method["mutualInformationWeight"]
        self.optimizer = torch.optim.SGD(model.parameters(), lr=optimizer["learningRate"], momentum=optimizer["mu"], nesterov=True,
                                         weight_decay=optimizer["weightDecay"], foreach=True)
        self.average = WeightAverage(model, average, run["emaDecay"]) if run["emaDecay"] > 0 else None
        self.labeled = torch.randint(0, 256, (labeled_count, *shape), dtype=torch.uint8)
        self.labels = torch.randint(0, classes, (labeled_count,))
        self.unlabeled = torch.randint(0, 256, (unlabeled_count, *shape), dtype=torch.uint8)
        model.train()

    def batch(self):
        li = torch.randint(0, self.labeled.shape[0], (self.nl,))
        ui = torch.randint(0, self.unlabeled.shape[0], (self.nu,))
        # ImageSet.Batch: the bytes of the batch to float32 in [0, 1].
        return (self.labeled.index_select(0, li).float().div_(255), self.labels.index_select(0, li),
                self.unlabeled.index_select(0, ui).float().div_(255))

    def loss(self, logits, y):
        nl, nu = self.nl, self.nu
        labeled, weakly, strongly = logits[:nl], logits[nl:nl + nu], logits[nl + nu:]
        q = F.softmax(weakly.detach(), 1)
        supervised = F.cross_entropy(labeled, y)
        confidence, pseudo = q.max(1)
        mask = confidence.ge(self.threshold).float()
        unsupervised = (F.cross_entropy(strongly, pseudo, reduction="none") * mask).mean()
        if self.mi > 0:
            unsupervised = unsupervised + self.mi * mutual_information(F.softmax(weakly, 1), F.softmax(strongly, 1))
        return supervised + unsupervised, supervised, unsupervised

    def __call__(self):
        x, y, u = self.batch()
        x = self.weak(x)
        logits = self.model(torch.cat([x, self.weak(u), self.strong(u)]))
        total, supervised, unsupervised = self.loss(logits, y)
        total.item()
        self.optimizer.zero_grad()
        total.backward()
        self.optimizer.step()
        if self.average:
            self.average.update()
        supervised.item()
        unsupervised.item()

    def phases(self, steps):
        """Where a step's time goes, as Semisup's FixMatchBench.cs splits it: seconds per step of each phase."""
        names = ["views (weak labeled, weak and strong unlabeled)", "forward", "loss",
                 "backward", "optimizer", "weight average"]
        seconds = dict.fromkeys(names, 0.0)
        for _ in range(steps):
            x, y, u = self.batch()
            t = time.perf_counter()
            views = [self.weak(x), self.weak(u), self.strong(u)]
            t1 = time.perf_counter(); seconds[names[0]] += t1 - t; t = t1
            logits = self.model(torch.cat(views))
            t1 = time.perf_counter(); seconds[names[1]] += t1 - t; t = t1
            total, supervised, unsupervised = self.loss(logits, y)
            total.item()
            t1 = time.perf_counter(); seconds[names[2]] += t1 - t; t = t1
            self.optimizer.zero_grad()
            total.backward()
            t1 = time.perf_counter(); seconds[names[3]] += t1 - t; t = t1
            self.optimizer.step()
            t1 = time.perf_counter(); seconds[names[4]] += t1 - t; t = t1
            if self.average:
                self.average.update()
            seconds[names[5]] += time.perf_counter() - t
        return {k: v / steps for k, v in seconds.items()}


def main(name, request, build):
    """Usage: SCRIPT [threads=2] [steps=200] (one run: steps/s on stdout, the phases on stderr), or SCRIPT THREADS serve
    (bench/paired.py: after the warm-up prints "ready", then answers each line "<request> N" with the seconds N steps
    took). build() returns (model, step)."""
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    serve = sys.argv[2:3] == ["serve"]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 and not serve else 200
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, step = build()
    parameters = sum(p.numel() for p in model.parameters())
    print(f"pytorch {name}: {parameters:,} parameters", file=sys.stderr)
    if serve:
        for _ in range(WARMUP):
            step()
        print("ready", flush=True)
        for line in sys.stdin:
            what, count = line.split()
            if what != request:
                sys.exit(f"unknown request '{line.strip()}': {request} N")
            start = time.perf_counter()
            for _ in range(int(count)):
                step()
            print(repr(time.perf_counter() - start), flush=True)
        sys.exit(0)
    warmup_s = per_call(step, WARMUP)
    step_s = per_call(step, steps)
    phases = step.phases(steps)
    total = sum(phases.values())
    print(f"where a PyTorch {name} step goes ({step.nl} + 2 × {step.nu} images):", file=sys.stderr)
    for phase, sec in phases.items():
        print(f"  {phase:<48} {1000 * sec:7.2f} ms  {100 * sec / total:5.1f}%", file=sys.stderr)
    print(f"pytorch bench={name} threads={threads} parameters={parameters} step_ms={1000 * step_s:.2f} steps_per_s={1 / step_s:.2f} "
          f"warmup_steps_per_s={1 / warmup_s:.2f} torch={torch.__version__}")
