#!/usr/bin/python3
"""Builds test/fixtures/torch/*.json, the ground truth that test/torch-fixtures.test.ts checks convlab against.

Regenerate (needs torch; Debian's python3-torch 1.13 made the committed files), from anywhere:

  /usr/bin/python3 scripts/make_torch_fixtures.py

The output is deterministic: every random input comes from a seeded generator, torch runs on one thread, and the
JSON is written with sorted keys. CI has no Python, so the files are committed; rerun this only when a case is
added or changed, and commit the result. To add cases without touching the committed ones (see added_ops_cases):

  /usr/bin/python3 scripts/make_torch_fixtures.py --append

Files (all tensors float32 unless noted, written as {"shape": [...], "data": [...]} with `data` flat in row-major
order; the numbers are Python's repr of the float32 widened to float64, so they read back into a Float32Array
exactly):

- ops.json: one case per op call. `inputs` are the leaves, `out` the forward result, `G` a fixed random tensor of
  the output's shape, and `grads` the gradients of (out * G).sum() with respect to every floating-point input,
  i.e. what out.backward(G) leaves in each leaf's .grad. Integer inputs (targets) are int32.
- init.json: torch.manual_seed(seed) then MNIST_CNN(arch) (layers created in the tutorial's order: conv1, conv2,
  [conv3], pool, fc1), for seeds 0 and 1 and both archs. Every state-dict tensor is summarised (see `summary`).
- train3.json: a fixed batch of 64 uint8 "images" (divided by 255 as ToTensor does) and labels, drawn from a
  separate generator and stored in the file; then for several optimizers torch.manual_seed(0), MNIST_CNN(arch),
  and 3 steps on that batch with CrossEntropyLoss: the loss of each step, the logits and gradients of step 1,
  and the parameters after step 3 (summaries).
- dataloader.json: torch.manual_seed(s), optionally MNIST_CNN(arch) (the draws of model init), then a
  DataLoader(TensorDataset(arange(n)), batch_size, shuffle=True) iterated for 2 epochs: the indices of every batch,
  then torch.rand(4) to show how many draws the loader consumed.

A summary of a tensor holds: shape, n, first (up to 20 values), last (up to 5), sample (the values at indices
0, step, 2·step, ... with step = max(1, n // 32), so about 32 of them), and sum, sumsq and sumabs: the float64
sums of v, v·v and |v| over the float32 values in row-major order, accumulated left to right in float64 (so a
reader that sums the same float32 values in the same order gets the same bits).
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "torch")


# ---------------------------------------------------------------------------------------------------------------
# Encoding


def enc(t):
    """A tensor as {"shape", "data"} (+ "dtype" for int32), data flat; float32 values as exact Python floats."""
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32, torch.uint8):
        return {"shape": list(t.shape), "dtype": "int32", "data": [int(v) for v in t.reshape(-1).tolist()]}
    assert t.dtype == torch.float32, t.dtype
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def summary(t):
    t = t.detach()
    assert t.dtype == torch.float32
    values = [float(v) for v in t.reshape(-1).tolist()]
    n = len(values)
    step = max(1, n // 32)
    s = sq = ab = 0.0
    for v in values:  # left to right in float64, as the TypeScript reader does
        s += v
        sq += v * v
        ab += abs(v)
    return {
        "shape": list(t.shape),
        "n": n,
        "first": values[:20],
        "last": values[-5:],
        "step": step,
        "sample": values[::step],
        "sum": s,
        "sumsq": sq,
        "sumabs": ab,
    }


def write(name, obj):
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, name)
    with open(path, "w") as f:
        json.dump(obj, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes)")


# ---------------------------------------------------------------------------------------------------------------
# ops.json

GEN = torch.Generator().manual_seed(20240611)


def randn(*shape, scale=1.0):
    return (torch.randn(tuple(shape), generator=GEN) * scale).float()


def randint(low, high, *shape):
    return torch.randint(low, high, shape, generator=GEN)


def op_case(name, op, attrs, inputs, fn):
    """Runs fn(**leaves) and records output and the gradients of (out * G).sum() for the float inputs."""
    leaves = {}
    for key, value in inputs.items():
        if value is None:
            continue
        if value.is_floating_point():
            leaves[key] = value.clone().requires_grad_(True)
        else:
            leaves[key] = value.clone()
    out = fn(**leaves)
    case = {"name": name, "op": op, "attrs": attrs, "inputs": {k: enc(v) for k, v in leaves.items()}, "out": enc(out)}
    if out.is_floating_point():
        G = randn(*out.shape)
        (out * G).sum().backward()
        case["G"] = enc(G)
        case["grads"] = {k: enc(v.grad) for k, v in leaves.items() if v.is_floating_point()}
    return case


def conv_case(name, x_shape, w_shape, bias, stride, padding):
    inputs = {"x": randn(*x_shape), "weight": randn(*w_shape, scale=0.5), "bias": randn(w_shape[0]) if bias else None}
    attrs = {"stride": list(stride), "padding": list(padding)}
    return op_case(
        name,
        "conv2d",
        attrs,
        inputs,
        lambda x, weight, bias=None: F.conv2d(x, weight, bias, stride=tuple(stride), padding=tuple(padding)),
    )


def pool_case(name, x, kernel, stride, padding):
    attrs = {"kernel": list(kernel), "stride": list(stride), "padding": list(padding)}
    return op_case(
        name,
        "max_pool2d",
        attrs,
        {"x": x},
        lambda x: F.max_pool2d(x, tuple(kernel), stride=tuple(stride), padding=tuple(padding)),
    )


def ops_cases():
    cases = []
    # conv2d
    cases.append(conv_case("conv2d 1->1 3x3 s1 p0 bias", (1, 1, 5, 5), (1, 1, 3, 3), True, (1, 1), (0, 0)))
    cases.append(conv_case("conv2d batch2 3->4 3x3 s1 p1 bias", (2, 3, 7, 7), (4, 3, 3, 3), True, (1, 1), (1, 1)))
    cases.append(conv_case("conv2d batch2 3->4 3x3 s2 p0 no bias", (2, 3, 8, 8), (4, 3, 3, 3), False, (2, 2), (0, 0)))
    cases.append(
        conv_case("conv2d 3->4 3x3 s2 p1 uneven (8x10)", (2, 3, 8, 10), (4, 3, 3, 3), True, (2, 2), (1, 1))
    )
    cases.append(
        conv_case("conv2d 3->4 non-square 2x5 s(2,1) p(1,2)", (2, 3, 6, 9), (4, 3, 2, 5), True, (2, 1), (1, 2))
    )
    cases.append(conv_case("conv2d 2->3 4x4 s3 p0 uneven (11x11)", (1, 2, 11, 11), (3, 2, 4, 4), False, (3, 3), (0, 0)))
    cases.append(conv_case("conv2d MNIST-size 1->4 3x3", (1, 1, 28, 28), (4, 1, 3, 3), True, (1, 1), (0, 0)))

    # max_pool2d
    cases.append(pool_case("max_pool2d 2x2 s2", randn(2, 3, 6, 6), (2, 2), (2, 2), (0, 0)))
    cases.append(pool_case("max_pool2d 3x3 s2 p1", randn(1, 2, 7, 7), (3, 3), (2, 2), (1, 1)))
    cases.append(pool_case("max_pool2d 3x3 s2 p1 all negative", -randn(1, 2, 6, 6).abs() - 1, (3, 3), (2, 2), (1, 1)))
    cases.append(pool_case("max_pool2d 2x2 s2 floor 13->6", randn(1, 2, 13, 13), (2, 2), (2, 2), (0, 0)))
    cases.append(pool_case("max_pool2d 2x3 s(1,2) non-square", randn(1, 2, 5, 8), (2, 3), (1, 2), (0, 1)))
    ties = randint(0, 3, 2, 2, 8, 8).float()
    cases.append(pool_case("max_pool2d 2x2 s2 ties", ties, (2, 2), (2, 2), (0, 0)))
    cases.append(pool_case("max_pool2d 3x3 s2 p1 ties overlapping", ties, (3, 3), (2, 2), (1, 1)))
    ties01 = randint(0, 2, 1, 1, 6, 7).float()
    cases.append(pool_case("max_pool2d 3x3 s1 ties overlapping", ties01, (3, 3), (1, 1), (0, 0)))
    cases.append(pool_case("max_pool2d 2x2 s2 all zero", torch.zeros(1, 1, 4, 4), (2, 2), (2, 2), (0, 0)))

    # relu, with exact zeros of both signs
    x = randn(4, 5)
    x[0, 0] = 0.0
    x[1, 2] = -0.0
    x[3, 4] = 0.0
    cases.append(op_case("relu with zeros", "relu", {}, {"x": x}, lambda x: torch.relu(x)))
    cases.append(op_case("relu 4-D", "relu", {}, {"x": randn(2, 3, 2, 2)}, lambda x: torch.relu(x)))

    # linear, matmul
    cases.append(
        op_case(
            "linear bias",
            "linear",
            {},
            {"x": randn(5, 7), "weight": randn(3, 7), "bias": randn(3)},
            lambda x, weight, bias: F.linear(x, weight, bias),
        )
    )
    cases.append(
        op_case(
            "linear no bias",
            "linear",
            {},
            {"x": randn(4, 6), "weight": randn(2, 6)},
            lambda x, weight: F.linear(x, weight),
        )
    )
    cases.append(
        op_case(
            "linear 300->10",
            "linear",
            {},
            {"x": randn(2, 300), "weight": randn(10, 300, scale=0.05), "bias": randn(10)},
            lambda x, weight, bias: F.linear(x, weight, bias),
        )
    )
    cases.append(op_case("matmul 4x6 @ 6x3", "matmul", {}, {"a": randn(4, 6), "b": randn(6, 3)}, lambda a, b: a @ b))

    # add, mul with broadcasting
    for op, f in (("add", lambda a, b: a + b), ("mul", lambda a, b: a * b)):
        cases.append(op_case(f"{op} same shape", op, {}, {"a": randn(2, 3), "b": randn(2, 3)}, f))
        cases.append(op_case(f"{op} [2,3] and [3]", op, {}, {"a": randn(2, 3), "b": randn(3)}, f))
        cases.append(op_case(f"{op} [2,1,4] and [3,1]", op, {}, {"a": randn(2, 1, 4), "b": randn(3, 1)}, f))
        cases.append(op_case(f"{op} [3] and [2,3]", op, {}, {"a": randn(3), "b": randn(2, 3)}, f))
        cases.append(op_case(f"{op} [2,3] and scalar []", op, {}, {"a": randn(2, 3), "b": randn()}, f))

    # sum, mean
    for op, f in (("sum", torch.sum), ("mean", torch.mean)):
        x = randn(2, 3, 4)
        cases.append(op_case(f"{op} all", op, {}, {"x": x}, lambda x, f=f: f(x)))
        for dim, keepdim in ((0, False), (1, False), (1, True), (2, False), (-1, True)):
            cases.append(
                op_case(
                    f"{op} dim {dim}{' keepdim' if keepdim else ''}",
                    op,
                    {"dim": dim, "keepdim": keepdim},
                    {"x": x},
                    lambda x, f=f, dim=dim, keepdim=keepdim: f(x, dim, keepdim=keepdim),
                )
            )
    cases.append(op_case("sum all 1000 values", "sum", {}, {"x": randn(10, 100)}, lambda x: x.sum()))

    # log_softmax, softmax
    for op, f in (("log_softmax", F.log_softmax), ("softmax", F.softmax)):
        x = randn(4, 10, scale=2)
        cases.append(op_case(f"{op} [4,10] dim 1", op, {"dim": 1}, {"x": x}, lambda x, f=f: f(x, 1)))
        large = randn(3, 5, scale=30)
        large[0] += 1000.0
        large[1] -= 1000.0
        large[2, 2] = 88.0
        cases.append(op_case(f"{op} large logits dim 1", op, {"dim": 1}, {"x": large}, lambda x, f=f: f(x, 1)))
        cases.append(op_case(f"{op} [3,4] dim 0", op, {"dim": 0}, {"x": randn(3, 4)}, lambda x, f=f: f(x, 0)))
        cases.append(op_case(f"{op} [2,3,4] dim 1", op, {"dim": 1}, {"x": randn(2, 3, 4)}, lambda x, f=f: f(x, 1)))
        cases.append(op_case(f"{op} [2,3,4] dim -1", op, {"dim": -1}, {"x": randn(2, 3, 4)}, lambda x, f=f: f(x, -1)))

    # cross_entropy, nll_loss
    logits = randn(8, 10, scale=2)
    target = randint(0, 10, 8)
    for reduction in ("mean", "sum", "none"):
        cases.append(
            op_case(
                f"cross_entropy {reduction}",
                "cross_entropy",
                {"reduction": reduction},
                {"input": logits, "target": target},
                lambda input, target, reduction=reduction: F.cross_entropy(input, target, reduction=reduction),
            )
        )
    big = randn(4, 6, scale=50)
    big[0, 1] = 500.0
    cases.append(
        op_case(
            "cross_entropy large logits mean",
            "cross_entropy",
            {"reduction": "mean"},
            {"input": big, "target": torch.tensor([1, 0, 5, 3])},
            lambda input, target: F.cross_entropy(input, target),
        )
    )
    logp = F.log_softmax(randn(5, 4), 1)
    for reduction in ("mean", "sum", "none"):
        cases.append(
            op_case(
                f"nll_loss {reduction}",
                "nll_loss",
                {"reduction": reduction},
                {"input": logp, "target": randint(0, 4, 5)},
                lambda input, target, reduction=reduction: F.nll_loss(input, target, reduction=reduction),
            )
        )

    # argmax (not differentiable: no G, no grads); integers in a small range make ties, which go to the first index
    for x, label in ((randn(4, 5), "random"), (randint(0, 3, 4, 5).float(), "ties")):
        cases.append(op_case(f"argmax all {label}", "argmax", {}, {"x": x}, lambda x: torch.argmax(x)))
        for dim, keepdim in ((0, False), (1, False), (1, True), (-1, False)):
            cases.append(
                op_case(
                    f"argmax {label} dim {dim}{' keepdim' if keepdim else ''}",
                    "argmax",
                    {"dim": dim, "keepdim": keepdim},
                    {"x": x},
                    lambda x, dim=dim, keepdim=keepdim: torch.argmax(x, dim, keepdim=keepdim),
                )
            )

    # max(dim) values (their indices are argmax's, checked above) and max of all; select (x[i] for dim 0), as the
    # tutorial's torch.max(outputs, 1) and images[0] use them
    x = randn(3, 4, 5)
    cases.append(op_case("max all", "max", {}, {"x": x}, lambda x: torch.max(x)))
    for dim, keepdim in ((0, False), (1, True), (-1, False)):
        cases.append(
            op_case(
                f"max dim {dim}{' keepdim' if keepdim else ''}",
                "max",
                {"dim": dim, "keepdim": keepdim},
                {"x": x},
                lambda x, dim=dim, keepdim=keepdim: torch.max(x, dim, keepdim=keepdim).values,
            )
        )
    for dim, index in ((0, 0), (0, -1), (1, 2), (2, 4)):
        cases.append(
            op_case(
                f"select dim {dim} index {index}",
                "select",
                {"dim": dim, "index": index},
                {"x": x},
                lambda x, dim=dim, index=index: torch.select(x, dim, index),
            )
        )
    return cases


# ---------------------------------------------------------------------------------------------------------------
# The tutorial's model (as /work/shared/reference/seed_torch.py, with the arch as an argument)


class MNIST_CNN(nn.Module):
    def __init__(self, arch="seed"):
        super().__init__()
        self.arch = arch
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=1, padding=0)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, stride=1, padding=0)
        if arch == "conv3":
            self.conv3 = nn.Conv2d(32, 64, kernel_size=3, stride=1, padding=0)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.fc1 = nn.Linear(64 if arch == "conv3" else 32 * 5 * 5, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        if self.arch == "conv3":
            x = self.pool(torch.relu(self.conv3(x)))
        return self.fc1(x.flatten(1))


def init_fixture():
    cases = []
    for seed in (0, 1):
        for arch in ("seed", "conv3"):
            torch.manual_seed(seed)
            model = MNIST_CNN(arch)
            cases.append(
                {
                    "seed": seed,
                    "arch": arch,
                    "keys": list(model.state_dict().keys()),
                    "params": {k: summary(v) for k, v in model.state_dict().items()},
                    "next_rand": enc(torch.rand(4)),
                }
            )
    return {"cases": cases}


# ---------------------------------------------------------------------------------------------------------------
# train3.json

OPTIMIZERS = {
    "sgd_momentum": ("SGD", dict(lr=0.01, momentum=0.9)),
    "sgd_nesterov_wd": ("SGD", dict(lr=0.01, momentum=0.9, dampening=0, weight_decay=0.01, nesterov=True)),
    "sgd_dampening_wd": ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.001)),
    "sgd_plain": ("SGD", dict(lr=0.1)),
    "adam_wd": ("Adam", dict(lr=1e-3, weight_decay=0.01)),
}

TRAIN_CASES = [
    ("seed", "sgd_momentum"),
    ("conv3", "sgd_momentum"),
    ("seed", "sgd_nesterov_wd"),
    ("seed", "sgd_dampening_wd"),
    ("seed", "sgd_plain"),
    ("seed", "adam_wd"),
    ("conv3", "adam_wd"),
]


def train3_fixture():
    g = torch.Generator().manual_seed(7)
    # MNIST-like: about 70% of the pixels are 0 (background), the rest uniform in 1..255.
    pixels = torch.randint(1, 256, (64, 1, 28, 28), generator=g)
    pixels = torch.where(torch.rand(64, 1, 28, 28, generator=g) < 0.3, pixels, torch.zeros_like(pixels))
    labels = torch.randint(0, 10, (64,), generator=g)
    images = pixels.to(torch.uint8).float().div(255)  # ToTensor: uint8 / 255 in float32
    cases = []
    for arch, opt_name in TRAIN_CASES:
        kind, kwargs = OPTIMIZERS[opt_name]
        torch.manual_seed(0)
        model = MNIST_CNN(arch)
        criterion = nn.CrossEntropyLoss()
        optimizer = getattr(optim, kind)(model.parameters(), **kwargs)
        losses, logits1, grads1 = [], None, None
        for step in range(3):
            optimizer.zero_grad()
            logits = model(images)
            loss = criterion(logits, labels)
            loss.backward()
            losses.append(float(loss.item()))
            if step == 0:
                logits1 = enc(logits)
                grads1 = {k: summary(p.grad) for k, p in model.named_parameters()}
            optimizer.step()
        cases.append(
            {
                "arch": arch,
                "optimizer": kind,
                "options": kwargs,
                "name": f"{arch} {opt_name}",
                "losses": losses,
                "logits1": logits1,
                "grads1": grads1,
                "keys": list(model.state_dict().keys()),
                "final": {k: summary(v) for k, v in model.state_dict().items()},
            }
        )
    return {"pixels": enc(pixels), "images": summary(images), "labels": enc(labels), "cases": cases}


# ---------------------------------------------------------------------------------------------------------------
# dataloader.json


def dataloader_fixture():
    cases = []
    configs = []
    for seed in (0, 3):
        for n, batch_size in ((10, 4), (100, 64)):
            for model_arch in (None, "seed", "conv3"):
                configs.append((seed, n, batch_size, model_arch, True))
    configs.append((0, 60000, 64, "seed", False))  # the real training run: only a summary of each epoch is kept
    for seed, n, batch_size, model_arch, full in configs:
        torch.manual_seed(seed)
        if model_arch is not None:
            MNIST_CNN(model_arch)
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.arange(n)), batch_size=batch_size, shuffle=True
        )
        epochs = []
        for _ in range(2):
            batches = [batch.tolist() for (batch,) in loader]
            order = [i for b in batches for i in b]
            assert sorted(order) == list(range(n))
            entry = {"batch_sizes": [len(b) for b in batches], "checksum": sum(i * v for i, v in enumerate(order))}
            if full:
                entry["batches"] = batches
            else:
                entry["first"] = order[:100]
                entry["last"] = order[-20:]
            epochs.append(entry)
        cases.append(
            {
                "seed": seed,
                "n": n,
                "batch_size": batch_size,
                "model": model_arch,
                "epochs": epochs,
                "next_rand": enc(torch.rand(4)),
            }
        )
    return {"cases": cases}


# Cases added after the first release of ops.json (issue 12: every op in src/ops/table.ts has a fixture). They draw
# from a generator of their own, so adding them leaves the inputs of the cases above unchanged, and `--append`
# computes only these and appends them to the committed file, leaving its other bytes as they are (regenerating
# everything on another CPU can change the last bits of old cases).
ADDED_GEN = torch.Generator().manual_seed(20251130)


def added_randn(*shape, scale=1.0):
    return (torch.randn(tuple(shape), generator=ADDED_GEN) * scale).float()


def added_randint(low, high, *shape):
    return torch.randint(low, high, shape, generator=ADDED_GEN)


def added_ops_cases():
    global GEN
    # op_case draws G from GEN: point it at the added generator while these cases are built.
    saved, GEN = GEN, ADDED_GEN
    try:
        cases = []
        # sub, with broadcasting both ways
        sub = lambda a, b: a - b  # noqa: E731
        cases.append(op_case("sub same shape", "sub", {}, {"a": added_randn(2, 3), "b": added_randn(2, 3)}, sub))
        cases.append(
            op_case("sub [2,1,4] and [3,1]", "sub", {}, {"a": added_randn(2, 1, 4), "b": added_randn(3, 1)}, sub)
        )
        cases.append(op_case("sub [3] and [2,3]", "sub", {}, {"a": added_randn(3), "b": added_randn(2, 3)}, sub))

        # reshape (view), flatten, unsqueeze, squeeze
        x = added_randn(2, 3, 4)
        for shape in ((4, 6), (3, -1), (-1,), (2, 1, 12)):
            cases.append(
                op_case(
                    f"reshape to {list(shape)}",
                    "reshape",
                    {"shape": list(shape)},
                    {"x": x},
                    lambda x, shape=shape: x.reshape(shape),
                )
            )
        y = added_randn(2, 3, 2, 2)
        for start, end in ((0, -1), (1, -1), (1, 2), (-2, -1)):
            cases.append(
                op_case(
                    f"flatten {start}..{end}",
                    "flatten",
                    {"start_dim": start, "end_dim": end},
                    {"x": y},
                    lambda x, start=start, end=end: torch.flatten(x, start, end),
                )
            )
        for dim in (0, 2, -1):
            cases.append(
                op_case(
                    f"unsqueeze dim {dim}", "unsqueeze", {"dim": dim}, {"x": x}, lambda x, dim=dim: x.unsqueeze(dim)
                )
            )
        z = added_randn(1, 3, 1, 2)
        cases.append(op_case("squeeze all", "squeeze", {}, {"x": z}, lambda x: x.squeeze()))
        for dim in (0, 1, -2):
            cases.append(
                op_case(f"squeeze dim {dim}", "squeeze", {"dim": dim}, {"x": z}, lambda x, dim=dim: x.squeeze(dim))
            )

        # eq (not differentiable; bool in torch, int32 0/1 here): against a tensor, and against a number
        ties = added_randint(0, 3, 4, 5).float()
        other = added_randint(0, 3, 4, 5).float()
        cases.append(
            op_case("eq tensor", "eq", {}, {"x": ties, "y": other}, lambda x, y: (x == y).to(torch.int32))
        )
        cases.append(op_case("eq number", "eq", {"other": 1.0}, {"x": ties}, lambda x: (x == 1.0).to(torch.int32)))

        # conv2d → relu → max_pool2d, the fused block of src/ops/conv-relu-pool.ts
        def block(stride, padding, kernel, pool_stride, pool_padding):
            def fn(x, weight, bias=None):
                h = F.relu(F.conv2d(x, weight, bias, stride=tuple(stride), padding=tuple(padding)))
                return F.max_pool2d(h, tuple(kernel), stride=tuple(pool_stride), padding=tuple(pool_padding))

            return fn

        # name, x, weight, bias?, conv stride, conv padding, pool kernel, pool stride, pool padding
        blocks = (
            ("tutorial conv1 block 1->4 3x3, pool 2", (2, 1, 12, 12), (4, 1, 3, 3), True, 1, 0, 2, 2, 0),
            ("3->5 3x3 p1, pool 3 s2 p1, no bias", (1, 3, 9, 8), (5, 3, 3, 3), False, 1, 1, 3, 2, 1),
            ("2->3 2x2 s2, pool 2 floor 7->3", (2, 2, 14, 14), (3, 2, 2, 2), True, 2, 0, 2, 2, 0),
        )
        for name, x_shape, w_shape, bias, *sizes in blocks:
            stride, padding, kernel, pool_stride, pool_padding = ((n, n) for n in sizes)
            inputs = {
                "x": added_randn(*x_shape),
                "weight": added_randn(*w_shape, scale=0.5),
                "bias": added_randn(w_shape[0]) if bias else None,
            }
            attrs = {
                "stride": list(stride),
                "padding": list(padding),
                "kernel": list(kernel),
                "pool_stride": list(pool_stride),
                "pool_padding": list(pool_padding),
            }
            fn = block(stride, padding, kernel, pool_stride, pool_padding)
            cases.append(op_case(f"conv2d_relu_max_pool2d {name}", "conv2d_relu_max_pool2d", attrs, inputs, fn))
        return cases
    finally:
        GEN = saved


def append_added_cases():
    """Appends added_ops_cases() to the committed ops.json, replacing earlier copies of them; the rest stays as is."""
    path = os.path.join(OUT_DIR, "ops.json")
    with open(path) as f:
        fixture = json.load(f)
    added = added_ops_cases()
    names = {c["name"] for c in added}
    fixture["cases"] = [c for c in fixture["cases"] if c["name"] not in names] + added
    write("ops.json", fixture)


def main():
    if "--append" in sys.argv[1:]:
        append_added_cases()
        return
    write("ops.json", {"torch_version": torch.__version__, "cases": ops_cases() + added_ops_cases()})
    write("init.json", {"torch_version": torch.__version__, **init_fixture()})
    write("train3.json", {"torch_version": torch.__version__, **train3_fixture()})
    write("dataloader.json", {"torch_version": torch.__version__, **dataloader_fixture()})


if __name__ == "__main__":
    main()
