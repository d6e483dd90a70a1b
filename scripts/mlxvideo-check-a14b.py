"""Runs mlx-video's own Wan2.2 A14B code on a `wanconv --layout mlx-video` directory.

usage: PYTHONPATH=<mlx python>:<numpy> python3 scripts/mlxvideo-check-a14b.py \
           OUT_DIR REFERENCE.safetensors GOLDEN.json MLX_VIDEO_CHECKOUT \
           [--tolerance T] [--scramble FILE:TENSOR ...]

OUT_DIR is golden/wan2.2-tiny-{t2v,i2v}-a14b converted with --layout mlx-video,
REFERENCE and GOLDEN are golden/wan2.2-tiny-{t2v,i2v}-a14b.reference/
{reference.safetensors,golden.json}, MLX_VIDEO_CHECKOUT a checkout of
Blaizzy/mlx-video (or a fork with its Wan2.2 modules). The sibling of
mlxvideo-check.py (TI2V-5B) for the two-expert releases. As mlx-video's
generate.py does for a config.json with dual_model, it reads config.json into
WanModelConfig, loads high_noise_model.safetensors and low_noise_model.safetensors
with load_wan_model, picks the expert for a timestep by t >= boundary *
num_train_timesteps, precomputes embed_text / prepare_cross_kv / prepare_rope,
runs the mx.compile'd model with y=[dit.input.y] for I2V (WanModel concatenates
y after x on the channel axis), loads the T5 with load_t5_encoder and the
Wan2.1 VAE with load_vae_encoder / load_vae_decoder. Those build WanVAE, whose
Encoder3d / Decoder3d have the real VAE's width 96 fixed; the script replaces
the two names in mlx_video.models.wan_2.vae by subclasses that pass the tiny
release's width (golden.json), so the loaders themselves run unchanged.
WanVAE.decode turns T latent frames into 4T video frames (upstream: 1 + 4(T-1)),
so its output is only reported; the video is compared through upstream's
frame-by-frame causal decode driven over WanVAE's own decoder layers.
It checks that file tensors and module parameters are the same names and shapes
and prints max|err|/std(ref) of each output against the upstream reference.
Exit 1 when a name set or shape differs or an error exceeds --tolerance
(default 2e-2, bfloat16 weights; 1e-4 suits --dtype float32).
--scramble FILE:TENSOR (repeatable) is the negative check: the directory is
copied to a temporary one with that tensor's values permuted (same shape and
dtype) and the check runs on the copy; it must then fail.
Not part of `make test`: it needs mlx-video, which this repository does not vendor.
"""

import argparse
import atexit
import json
import shutil
import sys
import tempfile
import types
from pathlib import Path

import mlx.core as mx
import mlx.nn as nn
from mlx.utils import tree_flatten

ap = argparse.ArgumentParser()
ap.add_argument("out_dir")
ap.add_argument("reference")
ap.add_argument("golden")
ap.add_argument("mlx_video")
ap.add_argument("--tolerance", type=float, default=2e-2)
ap.add_argument("--scramble", action="append", default=[], metavar="FILE:TENSOR")
args = ap.parse_args()

# mlx_video/__init__.py imports every model family (LTX-2 needs mlx_vlm); only
# the Wan2.2 subpackage is used, so its parent packages are bare namespaces.
for name, sub in (("mlx_video", ""), ("mlx_video.models", "models"), ("mlx_video.models.ltx_2", "models/ltx_2")):
    m = types.ModuleType(name)
    m.__path__ = [str(Path(args.mlx_video) / "mlx_video" / sub)]
    sys.modules[name] = m

from mlx_video.models.wan_2 import vae as vae21  # noqa: E402
from mlx_video.models.wan_2.config import WanModelConfig  # noqa: E402
from mlx_video.models.wan_2.utils import (  # noqa: E402
    load_t5_encoder, load_vae_decoder, load_vae_encoder, load_wan_model)

out = Path(args.out_dir)
ref = mx.load(args.reference)
facts = json.load(open(args.golden))
failed = []

if args.scramble:
    tmp = Path(tempfile.mkdtemp(prefix="mlxvideo-a14b-scrambled-"))
    atexit.register(shutil.rmtree, tmp, True)
    for f in out.iterdir():
        if f.is_file():
            shutil.copy(f, tmp / f.name)
    for spec in args.scramble:
        fname, tname = spec.split(":", 1)
        w = dict(mx.load(str(tmp / fname)))
        v = w[tname]
        mx.random.seed(0)
        w[tname] = v.reshape(-1)[mx.random.permutation(v.size)].reshape(v.shape)
        print(f"scrambled {fname}:{tname} {tuple(v.shape)} {v.dtype}")
        mx.save_safetensors(str(tmp / fname), w)
    out = tmp

# config.json as generate.py reads it
raw = json.load(open(out / "config.json"))
quantization = raw.pop("quantization", None)
for k in ("patch_size", "vae_stride", "window_size", "sample_guide_scale"):
    if isinstance(raw.get(k), list):
        raw[k] = tuple(raw[k])
fields = WanModelConfig.__dataclass_fields__
print("config.json: keys this mlx-video ignores:", sorted(k for k in raw if k not in fields))
print("config.json: fields it lacks:", [k for k in fields if k not in raw])
cfg = WanModelConfig(**{k: v for k, v in raw.items() if k in fields})
kind = facts["kind"]
want = {"dual_model": True, "model_type": kind, "in_dim": facts["dit"]["config"]["in_dim"],
        "vae_z_dim": 16, "boundary": {"t2v": 0.875, "i2v": 0.9}[kind]}
print("config:", {k: getattr(cfg, k) for k in want}, "quantization", quantization)
for k, v in want.items():
    if getattr(cfg, k) != v:
        failed.append(f"config {k}={getattr(cfg, k)} (want {v})")


def same_names(label, module, file, computed=()):
    params = dict(tree_flatten(module.parameters()))
    extra = sorted(set(file) - set(params))
    absent = sorted(set(params) - set(file) - set(computed))
    shapes = sorted(k for k in set(file) & set(params) if tuple(file[k].shape) != tuple(params[k].shape))
    print(f"{label}: {len(file)} file tensors, {len(set(params) - set(computed))} module parameters "
          f"(+{len(computed)} computed); not in the module {extra[:5]}, not in the file {absent[:5]}, "
          f"shapes differ {shapes[:5]}")
    if extra or absent or shapes:
        failed.append(label + " names")


def compare(label, got, want):
    got, want = got.astype(mx.float32), want.astype(mx.float32)
    e = (mx.abs(got - want).max() / mx.sqrt(mx.var(want))).item()
    print(f"{label}: shape {tuple(got.shape)}, max|err|/std(ref) {e:.3e}")
    if tuple(got.shape) != tuple(want.shape) or not e <= args.tolerance:
        failed.append(label)


# the two experts, loaded and run as generate.py's dual-model path does
experts = {}
for name in ("high_noise_model", "low_noise_model"):
    path = out / f"{name}.safetensors"
    experts[name] = load_wan_model(path, cfg, quantization)
    same_names(name, experts[name], mx.load(str(path)), computed=["freqs"])

boundary = cfg.boundary * cfg.num_train_timesteps
x, context = ref["dit.input.x"], ref["dit.input.context"]
y_arg = [ref["dit.input.y"]] if cfg.model_type == "i2v" else None
if y_arg is None and "dit.input.y" in ref:
    failed.append("t2v reference has dit.input.y")
pt, ph, pw = cfg.patch_size
grid = [(x.shape[1] // pt, x.shape[2] // ph, x.shape[3] // pw)]
seq_len = facts["dit"]["seq_len"]
for prefix, name in (("high", "high_noise_model"), ("low", "low_noise_model")):
    t = ref[f"{prefix}.input.t"]
    picked = "high_noise_model" if t.item() >= boundary else "low_noise_model"
    print(f"{prefix}: t {t.item():g}, boundary {boundary:g}: generate.py would run {picked}")
    if picked != name:
        failed.append(f"{prefix} expert selection")
    model = experts[picked]
    ctx = model.embed_text([context])[0:1]
    kv = model.prepare_cross_kv(ctx)
    rcs = model.prepare_rope(grid)
    call = mx.compile(model)
    pred = call([x], t=mx.array([t.item()]), context=ctx, seq_len=seq_len,
                cross_kv_caches=kv, y=y_arg, rope_cos_sin=rcs)[0]
    compare(f"{prefix}.output", pred, ref[f"{prefix}.output"])

t5_file = out / "t5_encoder.safetensors"
t5 = load_t5_encoder(t5_file, cfg)
same_names("t5", t5, mx.load(str(t5_file)))
mask = ref["t5.input.mask"].astype(mx.int32)
hidden = t5(ref["t5.input.ids"].astype(mx.int32), mask=mask)
valid = mask.astype(mx.float32)[..., None]
compare("t5.output (valid tokens)", hidden * valid, ref["t5.output"] * valid)

# Wan2.1 VAE at the tiny width: WanVAE builds Encoder3d(dim=96, ...) and
# Decoder3d(dim=96, ...) by name from its module; only the width is replaced.
vc = facts["vae"]["config"]
if (vc["z_dim"], vc["dim_mult"], vc["num_res_blocks"], vc["attn_scales"], vc["temperal_downsample"]) != \
        (16, [1, 2, 4, 4], 2, [], [False, True, True]):
    failed.append("vae config is not mlx-video's Wan2.1 VAE apart from the width")
Enc3d, Dec3d = vae21.Encoder3d, vae21.Decoder3d


class TinyEncoder3d(Enc3d):
    def __init__(self, dim=96, **kw):
        super().__init__(dim=vc["dim"], **kw)


class TinyDecoder3d(Dec3d):
    def __init__(self, dim=96, **kw):
        super().__init__(dim=vc["dim"], **kw)


vae21.Encoder3d, vae21.Decoder3d = TinyEncoder3d, TinyDecoder3d
vae_file = out / "vae.safetensors"
venc = load_vae_encoder(vae_file, cfg)  # WanVAE(z_dim=16, encoder=True)
vdec = load_vae_decoder(vae_file, cfg)  # WanVAE(z_dim=16)
vae21.Encoder3d, vae21.Decoder3d = Enc3d, Dec3d
if type(venc) is not vae21.WanVAE or type(vdec) is not vae21.WanVAE:
    failed.append("vae class")
same_names("vae (WanVAE with encoder)", venc, mx.load(str(vae_file)), computed=["mean", "std", "inv_std"])
if not (mx.allclose(venc.mean, mx.array(facts["vae"]["latent_mean"])).item()
        and mx.allclose(venc.std, mx.array(facts["vae"]["latent_std"])).item()):
    failed.append("vae latent mean/std")
mu = venc.encode(ref["vae.input.video"][None])[0]  # [16, T, H, W], normalised
compare("vae.latent (encode)", mu, ref["vae.output.latent"])
# WanVAE.decode (generate.py's untiled path) runs the decoder over all latent
# frames at once, so each upsample3d doubles every frame: T latent frames give
# 4T video frames, where upstream decodes frame by frame with a causal cache
# and gives 1 + 4(T-1). Its output is reported, not compared.
zref = ref["vae.output.latent"][None]
own = vdec.decode(zref)
print(f"vae.video (WanVAE.decode): shape {tuple(own.shape[1:])}, finite "
      f"{bool(mx.isfinite(own).all().item())}; upstream {tuple(ref['vae.output.video'].shape)}: not compared")


def causal_decode(vae, z):
    """Upstream's chunked decode, driven over mlx-video's own decoder layers."""
    dec, cache = vae.decoder, [None] * 64

    def conv(layer, x, idx):
        c = x[:, :, -vae21.CACHE_T:]
        if c.shape[2] < vae21.CACHE_T and cache[idx[0]] is not None:
            c = mx.concatenate([cache[idx[0]][:, :, -1:], c], axis=2)
        x = layer(x, cache_x=cache[idx[0]])
        cache[idx[0]] = c
        idx[0] += 1
        return x

    def upsample3d(layer, x, idx):  # upstream Resample: the first chunk skips time_conv
        b, c, t, h, w = x.shape
        if cache[idx[0]] is None:
            cache[idx[0]] = "Rep"
        else:
            rep, c_x = isinstance(cache[idx[0]], str), x[:, :, -vae21.CACHE_T:]
            if c_x.shape[2] < vae21.CACHE_T:
                c_x = mx.concatenate([mx.zeros_like(c_x) if rep else cache[idx[0]][:, :, -1:], c_x], axis=2)
            x = layer.time_conv(x, cache_x=None if rep else cache[idx[0]]).reshape(b, 2, c, t, h, w)
            x = mx.stack([x[:, 0], x[:, 1]], axis=3).reshape(b, c, t * 2, h, w)
            cache[idx[0]] = c_x
        idx[0] += 1
        layer.mode = "upsample2d"  # its spatial part: nearest 2x + Conv2d
        x = layer(x)
        layer.mode = "upsample3d"
        return x

    z = z / vae.inv_std.reshape(1, -1, 1, 1, 1) + vae.mean.reshape(1, -1, 1, 1, 1)
    z, frames = vae.conv2(z), []
    for i in range(z.shape[2]):
        idx = [0]
        x = conv(dec.conv1, z[:, :, i:i + 1], idx)
        for layer in dec.middle + dec.upsamples:
            if isinstance(layer, vae21.ResidualBlock):
                x = layer(x, feat_cache=cache, feat_idx=idx)
            elif isinstance(layer, vae21.Resample) and layer.mode == "upsample3d":
                x = upsample3d(layer, x, idx)
            else:
                x = layer(x)
        frames.append(conv(dec.head[2], nn.silu(dec.head[0](x)), idx))
    return mx.clip(mx.concatenate(frames, axis=2), -1, 1)


video = causal_decode(vdec, zref)[0]
compare("vae.video (causal decode over its layers)", video, ref["vae.output.video"])

print("FAIL: " + ", ".join(failed) if failed else "PASS")
sys.exit(1 if failed else 0)
