"""Runs mlx-video's own Wan2.2 modules on a `wanconv --layout mlx-video` directory.

usage: PYTHONPATH=<mlx python>:<numpy> python3 scripts/mlxvideo-check.py \
           OUT_DIR REFERENCE.safetensors GOLDEN.json MLX_VIDEO_CHECKOUT

OUT_DIR is the tiny release converted with --layout mlx-video, REFERENCE and
GOLDEN are golden/wan2.2-tiny.reference/{reference.safetensors,golden.json},
MLX_VIDEO_CHECKOUT a checkout of Blaizzy/mlx-video (or a fork with its Wan2.2
modules). It builds mlx-video's WanModel and T5Encoder through its loaders
(config.json read as its generate.py reads it) and its Wan2.2 VAE encoder and
decoder (at the tiny release's widths: the loaders fix the real VAE's), checks
that file tensors and module parameters are the same sets, and prints
max|err|/std(ref) of each output against the upstream PyTorch reference.
Exit 1 when a name set differs or an error exceeds --tolerance (default 2e-2,
bfloat16 weights; 1e-4 suits --dtype float32). Not part of `make test`: it
needs mlx-video, which this repository does not vendor.
"""

import argparse
import json
import sys
import types
from pathlib import Path

import mlx.core as mx
from mlx.utils import tree_flatten

ap = argparse.ArgumentParser()
ap.add_argument("out_dir")
ap.add_argument("reference")
ap.add_argument("golden")
ap.add_argument("mlx_video")
ap.add_argument("--tolerance", type=float, default=2e-2)
args = ap.parse_args()

# mlx_video/__init__.py imports every model family (LTX-2 needs mlx_vlm); only
# the Wan2.2 subpackage is used, so its parent packages are bare namespaces.
for name, sub in (("mlx_video", ""), ("mlx_video.models", "models"), ("mlx_video.models.ltx_2", "models/ltx_2")):
    m = types.ModuleType(name)
    m.__path__ = [str(Path(args.mlx_video) / "mlx_video" / sub)]
    sys.modules[name] = m

from mlx_video.models.wan_2 import vae22  # noqa: E402
from mlx_video.models.wan_2.config import WanModelConfig  # noqa: E402
from mlx_video.models.wan_2.utils import load_t5_encoder, load_wan_model  # noqa: E402

out = Path(args.out_dir)
ref = mx.load(args.reference)
facts = json.load(open(args.golden))
failed = []

raw = json.load(open(out / "config.json"))
for k in ("patch_size", "vae_stride", "window_size", "sample_guide_scale"):
    if isinstance(raw.get(k), list):
        raw[k] = tuple(raw[k])
fields = WanModelConfig.__dataclass_fields__
print("config.json: keys this mlx-video ignores:", sorted(k for k in raw if k not in fields))
print("config.json: fields it lacks:", [k for k in fields if k not in raw])
cfg = WanModelConfig(**{k: v for k, v in raw.items() if k in fields})


def same_names(label, params, file, computed=()):
    extra, absent = sorted(file - params), sorted(params - file - set(computed))
    print(f"{label}: {len(file)} file tensors, {len(params)} module parameters; "
          f"not in the module {extra[:5]}, not in the file {absent[:5]}")
    if extra or absent:
        failed.append(label + " names")


def compare(label, got, want):
    got, want = got.astype(mx.float32), want.astype(mx.float32)
    e = (mx.abs(got - want).max() / mx.sqrt(mx.var(want))).item()
    print(f"{label}: shape {tuple(got.shape)}, max|err|/std(ref) {e:.3e}")
    if tuple(got.shape) != tuple(want.shape) or not e <= args.tolerance:
        failed.append(label)


def param_names(module):
    return {k for k, _ in tree_flatten(module.parameters())}


dit_file = out / "model.safetensors"
dit = load_wan_model(dit_file, cfg)
same_names("dit", param_names(dit), set(mx.load(str(dit_file))), computed=["freqs"])
pred = dit([ref["dit.input.x"]], t=ref["dit.input.t"], context=[ref["dit.input.context"]],
           seq_len=facts["dit"]["seq_len"])[0]
compare("dit.output", pred, ref["dit.output"])

t5_file = out / "t5_encoder.safetensors"
t5 = load_t5_encoder(t5_file, cfg)
same_names("t5", param_names(t5), set(mx.load(str(t5_file))))
mask = ref["t5.input.mask"].astype(mx.int32)
hidden = t5(ref["t5.input.ids"].astype(mx.int32), mask=mask)
valid = mask.astype(mx.float32)[..., None]
compare("t5.output (valid tokens)", hidden * valid, ref["t5.output"] * valid)

vc = facts["vae"]["config"]
enc = vae22.Wan22VAEEncoder(z_dim=vc["z_dim"], dim=vc["dim"])
dec = vae22.Wan22VAEDecoder(z_dim=vc["z_dim"], dim=vc["dim"], dec_dim=vc["dec_dim"])
w = {k: v.astype(mx.float32) for k, v in mx.load(str(out / "vae.safetensors")).items()}
pe, pd = param_names(enc), param_names(dec)
same_names("vae", pe | pd, set(w))
enc.load_weights([(k, v) for k, v in w.items() if k in pe], strict=True)
dec.load_weights([(k, v) for k, v in w.items() if k in pd], strict=True)
if not mx.allclose(vae22.VAE22_MEAN, mx.array(facts["vae"]["latent_mean"])).item():
    failed.append("vae latent mean")
mu = enc.encode(ref["vae.input.video"].transpose(1, 2, 3, 0)[None])  # [1, T, H, W, C]
compare("vae.latent", mu[0].transpose(3, 0, 1, 2), ref["vae.output.latent"])
video = dec(vae22.denormalize_latents(mu))[0].transpose(3, 0, 1, 2)
compare("vae.video (round trip)", video, ref["vae.output.video"])

print("FAIL: " + ", ".join(failed) if failed else "PASS")
sys.exit(1 if failed else 0)
