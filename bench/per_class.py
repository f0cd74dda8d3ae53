#!/usr/bin/env python3
"""Per-class test accuracy of kept runs, averaged over them: python3 bench/per_class.py docs/runs/fashion-photo-s[1-3].
Reads each run's test.json (the best checkpoint's answers) and the dataset's test labels (Fashion-MNIST from Debian's
dataset-fashion-mnist, MNIST from SEMISUP_DATA or ~/.cache/semisup/mnist)."""
import gzip, json, os, sys

FASHION = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]

def labels(dataset):
    if dataset == "fashion-mnist":
        return gzip.open("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz").read()[8:], FASHION
    root = os.environ.get("SEMISUP_DATA", os.path.expanduser("~/.cache/semisup/mnist"))
    path = os.path.join(root, "t10k-labels-idx1-ubyte")
    data = open(path, "rb").read() if os.path.exists(path) else gzip.open(path + ".gz").read()
    return data[8:], [str(d) for d in range(10)]

runs = sys.argv[1:]
totals = [0.0] * 10
for run in runs:
    dataset = json.load(open(os.path.join(run, "recipe.json")))["data"]["dataset"]
    truth, names = labels(dataset)
    test = json.load(open(os.path.join(run, "test.json")))
    predicted = test.get("predictions") or test.get("Predictions")
    for c in range(10):
        members = [i for i, t in enumerate(truth) if t == c]
        totals[c] += sum(predicted[i] == c for i in members) / len(members) / len(runs)
print(" | ".join(f"{names[c]} {100 * totals[c]:.1f}%" for c in range(10)))
