"""Writes the real-PyTorch .pth fixtures used by format/pth tests.

Run with any PyTorch >= 1.6 (PYTHONPATH pointing at it):
    python3 make_torch_fixtures.py
It writes torch_legacy.pth (torch.save with _use_new_zipfile_serialization=False)
and torch_zip.pth (the default zip format) holding the same state dict:
views that share one storage, a storage offset, a transposed (non-contiguous)
tensor, and one tensor per dtype the reader supports. Values are small
integers so the Go test can state them exactly.
"""
import collections

import torch

base = torch.arange(24, dtype=torch.float32)
sd = collections.OrderedDict()
sd["shared.a"] = base[:12].view(3, 4)          # storage shared with the next two
sd["shared.b_offset"] = base[12:].view(2, 6)    # storage offset 12
sd["shared.c_transposed"] = base[:12].view(3, 4).t()  # strides (1, 4)
for name, dt in [("f64", torch.float64), ("f16", torch.float16), ("bf16", torch.bfloat16),
                 ("i64", torch.int64), ("i32", torch.int32), ("i16", torch.int16),
                 ("i8", torch.int8), ("u8", torch.uint8)]:
    sd["dtype." + name] = (torch.arange(6) - 2).to(dt).view(2, 3) if dt != torch.uint8 \
        else torch.arange(6).to(dt).view(2, 3)
sd["dtype.bool"] = torch.tensor([[True, False, True], [False, False, True]])
sd["param"] = torch.nn.Parameter(torch.ones(2, 2) * 3)

torch.save(sd, "torch_legacy.pth", _use_new_zipfile_serialization=False)
torch.save(sd, "torch_zip.pth")
