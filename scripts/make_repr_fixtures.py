#!/usr/bin/python3
"""Builds test/fixtures/torch/repr.json: how PyTorch prints tensors and the tutorial's model, the spec that
src/tensor/format.ts and Module.toString follow (test/pytorch-api.test.ts checks them).

Regenerate (needs Debian's python3-torch; the tests do not):  /usr/bin/python3 scripts/make_repr_fixtures.py

Each tensor case stores the values exactly (float32 widened to float64, or int32), the shape, the dtype and whether
it requires grad, with `repr` as torch printed it. Cases with a grad_fn store the op that made it instead.
"""
import json
import os

import torch
import torch.nn as nn

torch.manual_seed(0)
cases = []


def values(t):
    """The elements, flat; JSON has no NaN or infinities, so those are the strings "nan", "inf" and "-inf"."""
    out = []
    for v in t.detach().reshape(-1).tolist():
        out.append(v if v == v and abs(v) != float("inf") else str(v))
    return out


def add(name, t, requires_grad=False):
    t = t.detach().clone()
    if requires_grad:
        t.requires_grad_(True)
    cases.append(
        {
            "name": name,
            "shape": list(t.shape),
            "dtype": str(t.dtype).replace("torch.", ""),
            "data": values(t),
            "requires_grad": requires_grad,
            "repr": repr(t),
        }
    )


add("scalar", torch.tensor(0.2914))
add("integers", torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
add("decimals", torch.tensor([0.1, 2.0, -3.25]))
add("small needs scientific", torch.tensor([1e-5, 1.0]))
add("large ratio", torch.tensor([0.5, 2000.0]))
add("huge integers", torch.tensor([1.0, 2e9]))
add("zeros", torch.zeros(2, 3))
add("negative zero and nan", torch.tensor([-0.0, float("nan"), float("inf"), -float("inf"), 1.5]))
add("ties round to even", torch.tensor([0.03125, 0.09375, 1.00005, 2.5]))
add("int32", torch.tensor([1, -20, 300], dtype=torch.int32))
add("float64", torch.tensor([1.5, 2.25], dtype=torch.float64))
add("requires grad", torch.tensor([1.0, 2.0]), requires_grad=True)
add("empty", torch.zeros(0))
add("empty 2d", torch.zeros(0, 3))
add("3-d", torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 7)
add("4-d image batch", torch.rand(2, 1, 3, 3))
add("wraps at 80 columns", torch.rand(30) * 10 - 5)
add("summarised", torch.arange(2000, dtype=torch.float32))
add("summarised 2-d", torch.rand(40, 40))
add("logits row", torch.randn(1, 10) * 5)

# A grad_fn suffix, from real ops.
x = torch.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
grad_cases = [
    ("relu", torch.relu(x), "relu"),
    ("view", x.view(-1), "reshape"),
    ("mean", x.mean(), "mean"),
]
for name, out, op in grad_cases:
    cases.append(
        {
            "name": f"grad_fn {name}",
            "shape": list(out.shape),
            "dtype": "float32",
            "data": values(out),
            "requires_grad": True,
            "grad_fn": op,
            "repr": repr(out),
        }
    )


class MNIST_CNN(nn.Module):
    def __init__(self, conv3=False):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=1, padding=0)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, stride=1, padding=0)
        if conv3:
            self.conv3 = nn.Conv2d(32, 64, kernel_size=3, stride=1, padding=0)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.fc1 = nn.Linear(64 if conv3 else 32 * 5 * 5, 10)


modules = {
    "seed": repr(MNIST_CNN()),
    "conv3": repr(MNIST_CNN(conv3=True)),
    "padded conv without bias": repr(nn.Conv2d(3, 8, kernel_size=(3, 5), stride=2, padding=1, bias=False)),
    "sequential": repr(nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4, 2))),
    "loss": repr(nn.CrossEntropyLoss()),
}

out = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "torch", "repr.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "tensors": cases, "modules": modules}, f, indent=1, sort_keys=True, allow_nan=False)
    f.write("\n")
print(f"wrote {len(cases)} tensor cases and {len(modules)} modules to {os.path.relpath(out)}")
