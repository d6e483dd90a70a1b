#!/usr/bin/env python3
"""Writes golden/wan2.2-tiny.reference/extra.safetensors.

Runs the upstream Wan2.2 PyTorch modules (wan/modules/{vae2_2,model,t5}.py of a
Wan-Video/Wan2.2 checkout named by the environment variable UPSTREAM_WAN2_2) on
the tiny release in golden/wan2.2-tiny, float32 on CPU, with attention computed
exactly in float64, on inputs this script builds from documented formulas. The
cases cover paths reference.safetensors does not: VAE encode/decode of non-square
videos with 9 (1+4k) and 7 (not 1+4k) frames, a 3-latent-frame decode, the DiT
with a scalar timestep on a non-square latent and with per-token timesteps and a
full-length context, and the T5 encoder with holes in its mask.

Before writing, it re-runs the inputs of reference.safetensors and checks that
the outputs match that file, so a wrong local setup cannot produce new data.

Usage (from the repository root):
    UPSTREAM_WAN2_2=/path/to/Wan2.2 python3 golden/tools/make_extra_reference.py

Needs torch, numpy and einops. Packages the three modules import but do not
use here (diffusers, the tokenizer, flash-attn) are stubbed when missing.
"""
import importlib
import json
import math
import os
import struct
import sys
import types
import warnings

import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RELEASE = os.path.join(ROOT, "golden", "wan2.2-tiny")
REFDIR = os.path.join(ROOT, "golden", "wan2.2-tiny.reference")
OUT = os.path.join(REFDIR, "extra.safetensors")
SEED = 20260522

# ---------------------------------------------------------------- safetensors

_DTYPES = {"F32": np.float32, "I64": np.int64, "BF16": None}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        lo, hi = info["data_offsets"]
        if info["dtype"] not in _DTYPES or _DTYPES[info["dtype"]] is None:
            raise ValueError(f"{path}: {name}: dtype {info['dtype']} not handled")
        arr = np.frombuffer(data[lo:hi], dtype=_DTYPES[info["dtype"]])
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())
    return out


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if t.dtype == torch.float32:
            dtype, raw = "F32", t.numpy().astype("<f4").tobytes()
        elif t.dtype == torch.int64:
            dtype, raw = "I64", t.numpy().astype("<i8").tobytes()
        else:
            raise ValueError(f"{name}: dtype {t.dtype} not handled")
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)

# ------------------------------------------------------------- upstream import


def _stub(name, **attrs):
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    sys.modules[name] = mod
    return mod


def import_upstream(root):
    """Imports wan.modules.{vae2_2,model,t5} from root without running the
    package __init__ files (which pull in the whole pipeline)."""
    if not os.path.isfile(os.path.join(root, "wan", "modules", "vae2_2.py")):
        sys.exit(f"UPSTREAM_WAN2_2={root!r} is not a Wan2.2 checkout "
                 "(wan/modules/vae2_2.py missing)")
    sys.path.insert(0, root)
    for pkg in ("wan", "wan.modules", "wan.distributed"):
        mod = _stub(pkg)
        mod.__path__ = [os.path.join(root, *pkg.split("."))]
    try:
        import diffusers.configuration_utils  # noqa: F401
        import diffusers.models.modeling_utils  # noqa: F401
    except ImportError:
        _stub("diffusers")
        _stub("diffusers.models")
        _stub("diffusers.configuration_utils", ConfigMixin=object,
              register_to_config=lambda f: f)
        _stub("diffusers.models.modeling_utils", ModelMixin=nn.Module)
    for name, attrs in (("wan.modules.tokenizers", {"HuggingfaceTokenizer": None}),
                        ("wan.distributed.util", {"get_current_device": lambda: "cpu"})):
        try:
            importlib.import_module(name)
        except ImportError:
            _stub(name, **attrs)
    vae = importlib.import_module("wan.modules.vae2_2")
    model = importlib.import_module("wan.modules.model")
    t5 = importlib.import_module("wan.modules.t5")
    model.flash_attention = exact_attention  # used by the DiT's attention layers
    return vae, model, t5


def exact_attention(q, k, v, q_lens=None, k_lens=None, dropout_p=0.0,
                    softmax_scale=None, q_scale=None, causal=False,
                    window_size=(-1, -1), deterministic=False, dtype=None,
                    version=None):
    """Softmax attention in float64 with flash_attention's arguments:
    q [B, Lq, N, D], k and v [B, Lk, N, D]; keys at or beyond k_lens are
    ignored, query rows at or beyond q_lens are zero."""
    if causal or tuple(window_size) != (-1, -1) or dropout_p:
        raise NotImplementedError("only global, non-causal attention")
    qd, kd, vd = q.double(), k.double(), v.double()
    if q_scale is not None:
        qd = qd * q_scale
    scale = softmax_scale if softmax_scale is not None else q.shape[-1] ** -0.5
    logits = torch.einsum("binc,bjnc->bnij", qd, kd) * scale
    if k_lens is not None:
        keep = torch.arange(k.shape[1])[None, :] < k_lens.cpu().view(-1, 1)
        logits = logits.masked_fill(~keep[:, None, None, :], float("-inf"))
    out = torch.einsum("bnij,bjnc->binc", torch.softmax(logits, dim=-1), vd)
    if q_lens is not None:
        keep = torch.arange(q.shape[1])[None, :] < q_lens.cpu().view(-1, 1)
        out = out * keep[:, :, None, None]
    return out.to(q.dtype)

# --------------------------------------------------------------------- models


def load_models(up_vae, up_model, up_t5, golden):
    cfg = dict(golden["dit"]["config"])
    cfg["patch_size"] = tuple(cfg["patch_size"])
    cfg["window_size"] = tuple(cfg["window_size"])
    dit = up_model.WanModel(**cfg)
    state = {}
    index = json.load(open(os.path.join(RELEASE, "diffusion_pytorch_model.safetensors.index.json")))
    for shard in sorted(set(index["weight_map"].values())):
        state.update(read_safetensors(os.path.join(RELEASE, shard)))
    dit.load_state_dict(state, strict=True)
    dit = dit.float().eval().requires_grad_(False)

    c = golden["t5"]["config"]
    t5 = up_t5.umt5_xxl(encoder_only=True, return_tokenizer=False, dtype=torch.float32,
                        device="cpu", vocab_size=c["vocab"], dim=c["dim"],
                        dim_attn=c["dim_attn"], dim_ffn=c["dim_ffn"],
                        num_heads=c["num_heads"], encoder_layers=c["num_layers"],
                        decoder_layers=c["num_layers"], num_buckets=c["num_buckets"],
                        shared_pos=c["shared_pos"], dropout=c["dropout"])
    # bfloat16 checkpoint, copied into the float32 model (exact widening)
    t5.load_state_dict(torch.load(os.path.join(RELEASE, "models_t5_umt5-xxl-enc-bf16.pth"),
                                  map_location="cpu"))
    t5 = t5.eval().requires_grad_(False)

    v = golden["vae"]["config"]
    net = up_vae._video_vae(
        pretrained_path=os.path.join(RELEASE, "Wan2.2_VAE.pth"), z_dim=v["z_dim"],
        dim=v["dim"], dec_dim=v["dec_dim"], dim_mult=v["dim_mult"],
        num_res_blocks=v["num_res_blocks"], attn_scales=v["attn_scales"],
        temperal_downsample=v["temperal_downsample"], dropout=v["dropout"], device="cpu")
    # Wan2_2_VAE's constructor does not forward dec_dim, so build the wrapper
    # around the network and set its state as the constructor would.
    vae = object.__new__(up_vae.Wan2_2_VAE)
    vae.dtype, vae.device = torch.float32, "cpu"
    vae.scale = [torch.tensor(golden["vae"]["latent_mean"], dtype=torch.float32),
                 torch.tensor(golden["vae"]["latent_inv_std"], dtype=torch.float32)]
    vae.model = net.eval().requires_grad_(False).float()
    return dit, t5, vae


def run_dit(dit, x, t, context, seq_len):
    with torch.no_grad():
        return dit([x], t=t, context=[context], seq_len=seq_len)[0]


def run_t5(t5, ids, mask):
    with torch.no_grad():
        return t5(ids, mask)

# --------------------------------------------------------------------- inputs


def rng(stream):
    return np.random.Generator(np.random.PCG64([SEED, stream]))


def grating_video(frames, h, w, stream):
    """v[c,f,y,x] = 0.55 sin(2π(x(c+1)/w + 0.6y/h + 0.09f + c/3))
                  + 0.30 cos(2π(1.5y/h − 0.4x/w − 0.13f·(c+1)))
                  + 0.10 n, n ~ N(0,1) from PCG64([SEED, stream]), clipped to [−1, 1]."""
    c, f, y, x = np.meshgrid(np.arange(3), np.arange(frames), np.arange(h), np.arange(w),
                             indexing="ij")
    v = (0.55 * np.sin(2 * np.pi * (x * (c + 1) / w + 0.6 * y / h + 0.09 * f + c / 3))
         + 0.30 * np.cos(2 * np.pi * (1.5 * y / h - 0.4 * x / w - 0.13 * f * (c + 1)))
         + 0.10 * rng(stream).standard_normal((3, frames, h, w)))
    return torch.from_numpy(np.clip(v, -1, 1).astype(np.float32))


def normal(shape, stream, scale=1.0):
    return torch.from_numpy((scale * rng(stream).standard_normal(shape)).astype(np.float32))

# ---------------------------------------------------------------------- cases


def rel_err(got, want):
    return (got.double() - want.double()).abs().max().item() / want.double().std(unbiased=False).item()


def check_shipped(dit, t5, vae, golden):
    ref = read_safetensors(os.path.join(REFDIR, "reference.safetensors"))
    errs = {
        "dit": rel_err(run_dit(dit, ref["dit.input.x"], ref["dit.input.t"],
                               ref["dit.input.context"], golden["dit"]["seq_len"]),
                       ref["dit.output"]),
        "t5": rel_err(run_t5(t5, ref["t5.input.ids"], ref["t5.input.mask"]), ref["t5.output"]),
        "vae.latent": rel_err(vae.encode([ref["vae.input.video"]])[0], ref["vae.output.latent"]),
        "vae.video": rel_err(vae.decode([ref["vae.output.latent"]])[0], ref["vae.output.video"]),
    }
    for k, e in errs.items():
        print(f"reproduces reference.safetensors {k}: max|err|/std(ref) {e:.3g}")
    bad = {k: e for k, e in errs.items() if not e <= 1e-5}
    if bad:
        sys.exit(f"local upstream setup does not reproduce reference.safetensors: {bad}")
    return errs


def vae_cases(vae, out):
    for name, frames in (("vae9", 9), ("vae7", 7)):
        video = grating_video(frames, 32, 48, stream=frames)
        latent = vae.encode([video])[0]
        out[f"{name}.input.video"] = video
        out[f"{name}.output.latent"] = latent
        out[f"{name}.output.video"] = vae.decode([latent])[0]
    z = normal((48, 3, 3, 2), stream=30)
    out["vae.decode3.input.latent"] = z
    out["vae.decode3.output.video"] = vae.decode([z])[0]


def dit_cases(dit, golden, out, meta):
    cfg = golden["dit"]["config"]
    # (a) t2v-style scalar timestep on a non-square latent, 7 context tokens, padding 5
    x = normal((cfg["in_dim"], 2, 6, 10), stream=40)
    t = torch.tensor([637.5], dtype=torch.float32)
    ctx = normal((7, cfg["text_dim"]), stream=41)
    seq_len = 2 * 3 * 5 + 5
    out.update({"dit.scalar_t.input.x": x, "dit.scalar_t.input.t": t,
                "dit.scalar_t.input.context": ctx,
                "dit.scalar_t.seq_len": torch.tensor(seq_len, dtype=torch.int64),
                "dit.scalar_t.output": run_dit(dit, x, t, ctx, seq_len)})
    meta["dit.scalar_t.seq_len"] = str(seq_len)
    # (b) per-token timesteps (distinct, 0..990) and a context of exactly text_len tokens
    x = normal((cfg["in_dim"], 3, 4, 6), stream=42)
    seq_len = 3 * 2 * 3 + 2
    t = torch.from_numpy(np.linspace(0, 990, seq_len, dtype=np.float32)).view(1, seq_len)
    ctx = normal((cfg["text_len"], cfg["text_dim"]), stream=43)
    out.update({"dit.full_ctx.input.x": x, "dit.full_ctx.input.t": t,
                "dit.full_ctx.input.context": ctx,
                "dit.full_ctx.seq_len": torch.tensor(seq_len, dtype=torch.int64),
                "dit.full_ctx.output": run_dit(dit, x, t, ctx, seq_len)})
    meta["dit.full_ctx.seq_len"] = str(seq_len)


def t5_cases(t5, golden, out):
    ids = torch.from_numpy(rng(50).integers(1, golden["t5"]["config"]["vocab"], (1, 20)))
    mask = torch.ones(1, 20, dtype=torch.int64)
    mask[0, 6:9] = 0   # a hole in the middle
    mask[0, 16:] = 0   # padding at the end
    out["t5.holes.input.ids"] = ids
    out["t5.holes.input.mask"] = mask
    out["t5.holes.output"] = run_t5(t5, ids, mask)


def main():
    root = os.environ.get("UPSTREAM_WAN2_2")
    if not root:
        sys.exit("set UPSTREAM_WAN2_2 to a Wan-Video/Wan2.2 checkout")
    # upstream enters torch.amp.autocast("cuda", ...) blocks, which warn on a CPU-only torch
    warnings.filterwarnings("ignore", message="CUDA is not available")
    torch.manual_seed(0)  # module construction draws random init; weights are then loaded
    up_vae, up_model, up_t5 = import_upstream(os.path.abspath(root))
    golden = json.load(open(os.path.join(REFDIR, "golden.json")))
    dit, t5, vae = load_models(up_vae, up_model, up_t5, golden)
    errs = check_shipped(dit, t5, vae, golden)

    out, meta = {}, {}
    with torch.no_grad():
        vae_cases(vae, out)
        dit_cases(dit, golden, out, meta)
        t5_cases(t5, golden, out)
    meta.update({
        "producer": "golden/tools/make_extra_reference.py: upstream Wan2.2 PyTorch modules "
                    "(wan/modules/vae2_2.py Wan2_2_VAE encode/decode with latent mean/std and clamp, "
                    "model.py WanModel, t5.py T5Encoder), float32 on CPU, exact float64 attention",
        "torch": torch.__version__,
        "seed": str(SEED),
        "inputs": "videos: grating_video (see the script); other inputs: standard normal from "
                  "numpy PCG64([seed, stream]); dit.full_ctx.input.t = linspace(0, 990, seq_len); "
                  "t5 mask zero at 6..8 and 16..19",
        "check": json.dumps({k: float(f"{e:.3g}") for k, e in errs.items()}),
    })
    write_safetensors(OUT, out, meta)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")
    for k in sorted(out):
        v = out[k]
        print(f"  {k} {list(v.shape)} {v.dtype}")


if __name__ == "__main__":
    main()
