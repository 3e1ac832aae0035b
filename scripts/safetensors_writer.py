"""A writer of safetensors files, byte for byte as `safetensors.torch.save_file` makes them, in plain Python.

The machine has torch but not the `safetensors` package (Debian does not ship it), so the fixture scripts write the
format by hand with `struct` and `json`, in exactly the layout of HuggingFace safetensors (Rust core
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

Used by scripts/make_safetensors_fixture.py and scripts/make_trained_fixture.py (`from safetensors_writer import
serialize`; Python puts a script's own folder on sys.path, so this works from any working directory).
"""
import json
import struct

import torch

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
        offsets = [offset, offset + len(data)]
        header[name] = {"dtype": DTYPE_NAME[t.dtype], "shape": list(t.shape), "data_offsets": offsets}
        chunks.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    return struct.pack("<Q", len(header_bytes)) + header_bytes + b"".join(chunks)


def save_file(tensors, path, metadata=None):
    """`safetensors.torch.save_file(tensors, path, metadata)`: writes `serialize(tensors, metadata)` to `path`."""
    with open(path, "wb") as f:
        f.write(serialize(tensors, metadata))
