"""The Γ training step and evaluation of Semisup's bench, written in PyTorch (Debian's python3-torch).
Same network, same augmentation (one affine grid), same batch: 50 augmented labeled + 50 unlabeled noisy, 50 clean.
Evaluation as the lab's code does it, and with batch norm folded as Semisup's ConvNet does it (`folded`).
Usage: gamma_step.py [threads=2] [steps=200], or gamma_step.py THREADS serve for bench/paired.py: after the warm-up
it prints "ready" and answers each line "train N", "eval B" or "eval-folded B" (one evaluation in batches of B) with
the seconds it took."""
import sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F
from augmentation import augment
from timing import WARMUP, per_call

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
serve = sys.argv[2:3] == ["serve"]  # bench/paired.py's requests on stdin, as GammaBench.cs's Serve
steps = int(sys.argv[2]) if len(sys.argv) > 2 and not serve else 200
torch.set_num_threads(threads)
torch.manual_seed(0)


class ConvNet(nn.Module):
    def __init__(self, noise=0.3):
        super().__init__()
        self.noise = noise
        self.conv1, self.conv2, self.conv3, self.conv4 = nn.Conv2d(1, 32, 5), nn.Conv2d(32, 64, 3), nn.Conv2d(64, 64, 3), nn.Conv2d(64, 128, 3)
        self.bn1, self.bn2, self.bn3, self.bn4 = nn.BatchNorm2d(32), nn.BatchNorm2d(64), nn.BatchNorm2d(64), nn.BatchNorm2d(128)
        self.fc1, self.bn5, self.drop, self.fc2, self.bn6 = nn.Linear(512, 100), nn.BatchNorm1d(100), nn.Dropout(0.5), nn.Linear(100, 10), nn.BatchNorm1d(10)
        for name, p in self.named_parameters():
            if name.startswith("bn"):
                continue
            nn.init.zeros_(p) if name.endswith("bias") else nn.init.uniform_(p, -0.1, 0.1)

    def forward(self, x, noise=0.0):
        # PyTorch's own sampler, as the lab's code draws its noise; Semisup draws the same distribution with its
        # vectorised sampler (src/Semisup/Nn/GaussianNoise.cs), one of the things this benchmark compares.
        n = (lambda t: t + torch.randn(t.shape) * noise) if noise > 0 else (lambda t: t)
        # Channels-last memory from the input on, as ConvNet.cs does (its comment says why; with one channel,
        # x.contiguous(memory_format=torch.channels_last) would return x unchanged, NCHW's strides and all).
        x = torch.empty_like(x, memory_format=torch.channels_last).copy_(n(x))
        x = F.leaky_relu(self.bn1(F.max_pool2d(self.conv1(x), 2)), 0.1)
        x = F.leaky_relu(self.bn2(self.conv2(n(x))), 0.1)
        x = F.leaky_relu(self.bn3(F.max_pool2d(self.conv3(n(x)), 2)), 0.1)
        x = F.leaky_relu(self.bn4(self.conv4(n(x))), 0.1)
        x = self.drop(F.relu(self.bn5(self.fc1(x.flatten(1)))))
        return self.bn6(self.fc2(x))

    def folded(self, x):
        """Evaluation with each batch norm folded into the layer before it, as ConvNet.cs evaluates; the lab's code,
        like forward above, runs them as layers."""
        x = torch.empty_like(x, memory_format=torch.channels_last).copy_(x)
        x = F.leaky_relu(fold(x, self.conv1, self.bn1, pool=True), 0.1)
        x = F.leaky_relu(fold(x, self.conv2, self.bn2), 0.1)
        x = F.leaky_relu(fold(x, self.conv3, self.bn3, pool=True), 0.1)
        x = F.leaky_relu(fold(x, self.conv4, self.bn4), 0.1)
        x = F.relu(fold(x.flatten(1), self.fc1, self.bn5))
        return fold(x, self.fc2, self.bn6)


def fold(x, layer, bn, pool=False):
    """bn(pool(layer(x))) with bn's running statistics folded into the layer's weights and bias, through the pooling
    only where no scale is negative (ConvNet.cs's ConvBatchNorm)."""
    scale = bn.weight / (bn.running_var + bn.eps).sqrt()
    if pool and not bool((scale >= 0).all()):
        return bn(F.max_pool2d(layer(x), 2))
    bias = (layer.bias - bn.running_mean) * scale + bn.bias
    if isinstance(layer, nn.Linear):
        return F.linear(x, layer.weight * scale.unsqueeze(1), bias)
    y = F.conv2d(x, layer.weight * scale.view(-1, 1, 1, 1), bias)
    return F.max_pool2d(y, 2) if pool else y


model = ConvNet()
adam = torch.optim.Adam(model.parameters(), 1e-3)
labeled, labels, unlabeled = torch.rand(3000, 1, 28, 28), torch.randint(0, 10, (3000,)), torch.rand(47000, 1, 28, 28)


def step():
    li, ui = torch.randint(0, 3000, (50,)), torch.randint(0, 47000, (50,))
    u = unlabeled[ui]
    noisy = model(torch.cat([augment(labeled[li]), u]), 0.3)
    loss = F.cross_entropy(noisy[:50], labels[li]) + F.mse_loss(noisy[50:], model(u))
    adam.zero_grad()
    loss.backward()
    adam.step()
    loss.item()


images, targets = torch.rand(10000, 1, 28, 28), torch.randint(0, 10, (10000,))


def evaluate(batch=1000, folded=False):
    model.eval()
    with torch.no_grad():
        for i in range(0, 10000, batch):
            logits = model.folded(images[i:i + batch]) if folded else model(images[i:i + batch])
            F.cross_entropy(logits, targets[i:i + batch], reduction="sum").item()
            logits.argmax(1).eq(targets[i:i + batch]).sum().item()
            F.softmax(logits, 1)
    model.train()


if serve:
    for _ in range(WARMUP):
        step()
    evaluate()
    print("ready", flush=True)
    for line in sys.stdin:
        what, count = line.split()
        start = time.perf_counter()
        if what == "train":
            for _ in range(int(count)):
                step()
        elif what in ("eval", "eval-folded"):
            evaluate(int(count), folded=what == "eval-folded")
        else:
            sys.exit(f"unknown request '{line.strip()}': train N, eval B or eval-folded B")
        print(repr(time.perf_counter() - start), flush=True)
    sys.exit(0)

model.train()
warmup_s = per_call(step, WARMUP)
step_s = per_call(step, steps)

phases = dict.fromkeys(["augment", "noisy forward (100)", "clean forward (50)", "backward", "adam"], 0.0)
for _ in range(steps):
    li, ui = torch.randint(0, 3000, (50,)), torch.randint(0, 47000, (50,))
    u = unlabeled[ui]
    t = time.perf_counter()
    x = augment(labeled[li]); t1 = time.perf_counter(); phases["augment"] += t1 - t; t = t1
    noisy = model(torch.cat([x, u]), 0.3); t1 = time.perf_counter(); phases["noisy forward (100)"] += t1 - t; t = t1
    clean = model(u); t1 = time.perf_counter(); phases["clean forward (50)"] += t1 - t; t = t1
    loss = F.cross_entropy(noisy[:50], labels[li]) + F.mse_loss(noisy[50:], clean)
    adam.zero_grad(); loss.backward(); t1 = time.perf_counter(); phases["backward"] += t1 - t; t = t1
    adam.step(); phases["adam"] += time.perf_counter() - t
total = sum(phases.values())
for name, sec in phases.items():
    print(f"  {name:<22} {1000 * sec / steps:7.2f} ms  {100 * sec / total:5.1f}%", file=sys.stderr)

# The noise of one noisy pass (batch 100: the input and the three inner convolutions' inputs), as GammaBench.cs times it.
noise_count = 100 * (1 * 28 * 28 + 32 * 12 * 12 + 64 * 10 * 10 + 64 * 4 * 4)
randn_ms = 1000 * per_call(lambda: torch.randn(noise_count), steps, warmup=10)

eval_ips = 10000 / per_call(evaluate, 5, warmup=1)

# Evaluation's arithmetic rate (multiply-adds of the convolutions and linear layers, counted from their shapes as
# ConvNet.cs's MultiplyAdds counts them). The roof is timed on Semisup's side only: this process's matrix products go
# through OpenBLAS on one thread (bench/run.sh says why), its convolutions through oneDNN on torch's threads.
macs = []
hooks = [m.register_forward_hook(lambda m, x, y: macs.append(y[0].numel() * m.weight[0].numel()))
         for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
model.eval()
with torch.no_grad():
    model(images[:1])
model.train()
for h in hooks:
    h.remove()
eval_gflops = eval_ips * 2 * sum(macs) / 1e9
print(f"pytorch bench=gamma threads={threads} step_ms={1000 * step_s:.2f} steps_per_s={1 / step_s:.2f} train_images_per_s={150 / step_s:.0f} warmup_steps_per_s={1 / warmup_s:.2f} eval_images_per_s={eval_ips:.0f} eval_gflops={eval_gflops:.1f} randn_ms={randn_ms:.3f} torch={torch.__version__}")
