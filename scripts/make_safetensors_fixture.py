#!/usr/bin/python3
"""Builds test/fixtures/safetensors/small.safetensors and small.json, the cross-check of convlab's safetensors reader.

The machine has torch but not the `safetensors` package, so the file is written here by hand with `struct` and
`json`, in exactly the layout of `safetensors.torch.save_file` (HuggingFace safetensors, Rust core
safetensors/src/tensor.rs, `prepare` and `serialize`):

- 8 bytes: N, the header length, unsigned 64-bit little-endian;
- N bytes: the header, compact JSON (serde_json's `to_string`: no spaces, non-ASCII kept as UTF-8), beginning
  with `{`, then padded with spaces (0x20) to a multiple of 8 bytes so the data starts 8-aligned;
  `"__metadata__"` (a string-to-string map) comes first when given, then one
  `"name": {"dtype": ..., "shape": [...], "data_offsets": [begin, end]}` per tensor;
- the data: each tensor's bytes, little-endian and row-major, back to back in header order, offsets relative to
  the start of this buffer.

Header order, which fixes the offsets: tensors sorted by the rank of their dtype in the Rust `Dtype` enum,
descending (so I64/F64 come before F32, then I32, then BF16, then F16), then by name (byte order of UTF-8, which
is Python's string order). The Rust library keeps `__metadata__` in a HashMap, whose order is arbitrary; here
its keys are sorted, as convlab's writer does.

small.json holds, for every tensor, its dtype, shape and values as convlab should decode them (F16/BF16 widened
to float32 and I64 to int32, written as exact decimal), plus `subset_base64`: the same format applied to the
F32/F64/I32 tensors only, which convlab's writer must reproduce byte for byte.

Run from anywhere: /usr/bin/python3 scripts/make_safetensors_fixture.py
"""
import base64
import json
import os
import struct

import torch
from torch import nn

# The Rust `Dtype` enum, in declaration order: the sort key of `save_file`.
DTYPE_ORDER = [
    "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "I16", "U16",
    "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64",
]
DTYPE_NAME = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
}
CONVLAB_DTYPE = {"F64": "float64", "F32": "float32", "F16": "float32", "BF16": "float32", "I64": "int32", "I32": "int32"}


def tensor_bytes(t):
    """Little-endian, row-major bytes, as safetensors' `_tobytes` gives them."""
    t = t.detach().contiguous().cpu()
    # numpy has no bfloat16: the 16-bit floats go through their raw bits.
    arr = t.view(torch.int16).numpy() if t.dtype in (torch.float16, torch.bfloat16) else t.numpy()
    return arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()


def serialize(tensors, metadata=None):
    """The bytes that safetensors.torch.save_file(tensors, path, metadata) writes."""
    items = sorted(tensors.items(), key=lambda kv: (-DTYPE_ORDER.index(DTYPE_NAME[kv[1].dtype]), kv[0]))
    header = {}
    if metadata is not None:
        header["__metadata__"] = dict(sorted(metadata.items()))
    chunks = []
    offset = 0
    for name, t in items:
        data = tensor_bytes(t)
        header[name] = {"dtype": DTYPE_NAME[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    return struct.pack("<Q", len(header_bytes)) + header_bytes + b"".join(chunks)


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
