#!/usr/bin/python3
"""Builds test/fixtures/safetensors/small.safetensors and small.json, the cross-check of convlab's safetensors reader.

The machine has torch but not the `safetensors` package, so the file is written by hand in exactly the layout of
`safetensors.torch.save_file`; the writer, and a description of the format, live in scripts/safetensors_writer.py.

small.json holds, for every tensor, its dtype, shape and values as convlab should decode them (F16/BF16 widened
to float32 and I64 to int32, written as exact decimal), plus `subset_base64`: the same format applied to the
F32/F64/I32 tensors only, which convlab's writer must reproduce byte for byte.

Run from anywhere: /usr/bin/python3 scripts/make_safetensors_fixture.py
"""
import base64
import json
import os

import torch
from torch import nn

from safetensors_writer import DTYPE_NAME, serialize

CONVLAB_DTYPE = {"F64": "float64", "F32": "float32", "F16": "float32", "BF16": "float32", "I64": "int32", "I32": "int32"}


def build_state_dict():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    # One training-mode forward pass moves the BatchNorm running statistics off their defaults.
    model(torch.randn(4, 1, 4, 4))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    # Dtypes a PyTorch checkpoint may hold besides float32 (num_batches_tracked above is an I64 scalar).
    state["extra.half"] = torch.randn(2, 3).half()
    state["extra.bfloat"] = torch.randn(5).bfloat16()
    state["extra.double"] = torch.randn(2, 2, dtype=torch.float64)
    state["extra.labels"] = torch.tensor([0, 2, 1, -7, 2**31 - 1, -(2**31)], dtype=torch.int64)
    state["extra.counts"] = torch.tensor([[3, -1], [0, 42]], dtype=torch.int32)
    state["extra.empty"] = torch.zeros(0, 3)
    return state


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "safetensors")
    os.makedirs(out_dir, exist_ok=True)
    state = build_state_dict()
    metadata = {"format": "pt", "source": "scripts/make_safetensors_fixture.py"}
    with open(os.path.join(out_dir, "small.safetensors"), "wb") as f:
        f.write(serialize(state, metadata))

    subset = {k: v for k, v in state.items() if DTYPE_NAME[v.dtype] in ("F32", "F64", "I32")}
    expected = {
        "metadata": metadata,
        "tensors": {
            name: {
                "dtype": DTYPE_NAME[t.dtype],
                "convlab_dtype": CONVLAB_DTYPE[DTYPE_NAME[t.dtype]],
                "shape": list(t.shape),
                # float() is exact for F16/BF16; Python's repr of a float round-trips exactly through JSON.
                "values": (t.float() if t.dtype in (torch.float16, torch.bfloat16) else t).flatten().tolist(),
            }
            for name, t in state.items()
        },
        "subset": sorted(subset),
        "subset_base64": base64.b64encode(serialize(subset, metadata)).decode("ascii"),
    }
    with open(os.path.join(out_dir, "small.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
