"""The ladder training step of Semisup's bench (LadderBench.cs), written in PyTorch (Debian's python3-torch):
784-1000-500-250-250-250-10, 100 labeled + 100 unlabeled images, clean and corrupted encoder passes, the full
decoder with the vanilla combinator, λ = (1000, 10, 0.1, 0.1, 0.1, 0.1, 0.1), backward, Adam 0.002."""
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F
from timing import WARMUP, per_call

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 200
torch.set_num_threads(threads)
torch.manual_seed(0)
EPS = 1e-5
SIZES = [784, 1000, 500, 250, 250, 250, 10]
COSTS = [1000, 10, 0.1, 0.1, 0.1, 0.1, 0.1]


def combinator(z, u, a):
    mu = a[0] * torch.sigmoid(a[1] * u + a[2]) + a[3] * u + a[4]
    v = a[5] * torch.sigmoid(a[6] * u + a[7]) + a[8] * u + a[9]
    return (z - mu) * v + mu


class Ladder(nn.Module):
    def __init__(self, noise=0.3, momentum=0.1):
        super().__init__()
        self.noise, self.momentum, top = noise, momentum, len(SIZES) - 1
        self.W = nn.ModuleList(nn.Linear(SIZES[l - 1], SIZES[l], bias=False) for l in range(1, top + 1))
        self.V = nn.ModuleList(nn.Linear(SIZES[l], SIZES[l - 1], bias=False) for l in range(1, top + 1))
        self.beta = nn.ParameterList(nn.Parameter(torch.zeros(SIZES[l])) for l in range(1, top + 1))
        self.gamma = nn.Parameter(torch.ones(SIZES[top]))
        a = [torch.zeros(10, n) for n in SIZES]
        for t in a:
            t[1] = 1; t[6] = 1
        self.a = nn.ParameterList(nn.Parameter(t) for t in a)
        for l in range(top):
            self.register_buffer(f"mean{l}", torch.zeros(SIZES[l + 1]))
            self.register_buffer(f"var{l}", torch.ones(SIZES[l + 1]))
        for lin in list(self.W) + list(self.V):
            nn.init.normal_(lin.weight, 0, 1 / lin.weight.shape[1] ** 0.5)

    def encode(self, x, noise):
        corrupt = (lambda t: t + torch.randn_like(t) * noise) if noise > 0 else (lambda t: t)
        top = len(self.W)
        h = corrupt(x.flatten(1))
        z, mean, std = [h], [torch.zeros(1)], [torch.ones(1)]
        for l in range(1, top + 1):
            pre = self.W[l - 1](h)
            m, s = pre.mean(0), (pre.var(0, unbiased=False) + EPS).sqrt()
            if noise == 0:
                with torch.no_grad():
                    getattr(self, f"mean{l - 1}").mul_(1 - self.momentum).add_(pre.mean(0), alpha=self.momentum)
                    getattr(self, f"var{l - 1}").mul_(1 - self.momentum).add_(pre.var(0, unbiased=True), alpha=self.momentum)
            zl = corrupt((pre - m) / s)
            z.append(zl); mean.append(m); std.append(s)
            h = self.gamma * (zl + self.beta[l - 1]) if l == top else F.relu(zl + self.beta[l - 1])
        return h, z, mean, std

    def loss(self, labeled, labels, unlabeled):
        x = torch.cat([labeled, unlabeled])
        _, z, mean, std = self.encode(x, 0)
        logits, zc, _, _ = self.encode(x, self.noise)
        supervised = F.cross_entropy(logits[:labeled.shape[0]], labels)
        top = len(self.W)
        zhat, cost = [None] * (top + 1), torch.zeros(())
        for l in range(top, -1, -1):
            u = F.softmax(logits, 1) if l == top else self.V[l](zhat[l + 1])
            u = (u - u.mean(0)) / (u.var(0, unbiased=False) + EPS).sqrt()
            zhat[l] = combinator(zc[l], u, self.a[l])
            bn = (zhat[l] - mean[l]) / std[l]
            cost = cost + COSTS[l] * (bn - z[l]).pow(2).sum(1).mean() / z[l].shape[1]
        return supervised + cost


model = Ladder()
adam = torch.optim.Adam(model.parameters(), 2e-3)
labeled, labels, unlabeled = torch.rand(100, 1, 28, 28), torch.randint(0, 10, (100,)), torch.rand(50000, 1, 28, 28)


def step():
    ui = torch.randint(0, 50000, (100,))
    loss = model.loss(labeled, labels, unlabeled[ui])
    adam.zero_grad()
    loss.backward()
    adam.step()
    loss.item()


model.train()
warmup_s = per_call(step, WARMUP)
step_s = per_call(step, steps)
print(f"pytorch bench=ladder threads={threads} step_ms={1000 * step_s:.2f} steps_per_s={1 / step_s:.2f} train_images_per_s={200 / step_s:.0f} warmup_steps_per_s={1 / warmup_s:.2f} torch={torch.__version__}")
