#!/usr/bin/env python3
"""Runs the upstream Wan2.2 PyTorch modules on the GPU next to bench-gpu (MLX).

Two steps, each a subcommand:

  release  builds the upstream TI2V-5B modules (WanModel, umt5-xxl T5Encoder,
           the Wan2.2 VAE) on the GPU, gives every parameter deterministic
           random values (rules in randomize()), and writes them as a Wan2.2
           release directory (the T5 keeps upstream's seeded init, see
           cmd_release): bfloat16 DiT safetensors + config.json,
           bfloat16 T5 .pth, float32 VAE .pth. wanconv converts it; bench-gpu
           runs the conversion on MLX and dumps its inputs and outputs.
  compare  loads the release into the upstream modules again, runs the same
           forward passes on the inputs of the bench-gpu dump, in float32
           (reference: float32 weights, no autocast, no TF32) and in bfloat16
           (bfloat16 weights under torch.autocast, as the upstream pipelines
           run), times them (one warm-up, median of --reps; host-to-device
           copy of the inputs and the copy of the output back included, as in
           bench-gpu), records torch.cuda.max_memory_allocated, and reports
           max|err|/std(ref) between the MLX and PyTorch outputs.

Usage (paths of this machine; UPSTREAM is a Wan-Video/Wan2.2 checkout):
  python3 upstream_compare.py release --upstream UPSTREAM --out RELEASE
  wanconv RELEASE CONVERTED && bench-gpu -dump DUMP CONVERTED
  python3 upstream_compare.py compare --upstream UPSTREAM --release RELEASE --dump DUMP

The upstream attention (flash-attn) is replaced by torch's
scaled_dot_product_attention with the same argument handling (q, k and v cast
to bfloat16 in bfloat16 runs, to float32 in float32 runs; keys past k_lens
masked). Needs torch with CUDA, safetensors, einops.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "golden", "tools"))
from make_extra_reference import import_upstream  # noqa: E402

DIT_CONFIG = {
    "model_type": "ti2v", "patch_size": [1, 2, 2], "text_len": 512, "in_dim": 48, "dim": 3072,
    "ffn_dim": 14336, "freq_dim": 256, "text_dim": 4096, "out_dim": 48, "num_heads": 24,
    "num_layers": 30, "window_size": [-1, -1], "qk_norm": True, "cross_attn_norm": True, "eps": 1e-6,
}
VAE_ARGS = dict(dim=160, dec_dim=256, z_dim=48, dim_mult=[1, 2, 4, 4], num_res_blocks=2,
                attn_scales=[], temperal_downsample=[False, True, True], dropout=0.0)
ATTN_DTYPE = [torch.bfloat16]  # set per run


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sdpa_attention(q, k, v, q_lens=None, k_lens=None, dropout_p=0.0, softmax_scale=None,
                   q_scale=None, causal=False, window_size=(-1, -1), deterministic=False,
                   dtype=torch.bfloat16, version=None):
    if tuple(window_size) != (-1, -1) or dropout_p:
        raise NotImplementedError("only global attention without dropout")
    out_dtype = q.dtype
    q, k, v = (x.to(ATTN_DTYPE[0]) for x in (q, k, v))
    if q_scale is not None:
        q = q * q_scale
    mask = None
    if k_lens is not None:
        keep = torch.arange(k.shape[1], device=k.device)[None, :] < k_lens.to(k.device).view(-1, 1)
        mask = keep[:, None, None, :]
    out = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
                                         attn_mask=mask, scale=softmax_scale, is_causal=causal)
    out = out.transpose(1, 2)
    if q_lens is not None:
        keep = torch.arange(q.shape[1], device=q.device)[None, :] < q_lens.to(q.device).view(-1, 1)
        out = out * keep[:, :, None, None]
    return out.to(out_dtype)


def upstream(root):
    up_vae, up_model, up_t5 = import_upstream(os.path.abspath(root))
    up_model.flash_attention = sdpa_attention
    return up_vae, up_model, up_t5


def new_dit(up_model):
    cfg = dict(DIT_CONFIG, patch_size=tuple(DIT_CONFIG["patch_size"]),
               window_size=tuple(DIT_CONFIG["window_size"]))
    with torch.device("cuda"):
        return up_model.WanModel(**cfg).eval().requires_grad_(False)


def new_t5(up_t5, dtype):
    return up_t5.umt5_xxl(encoder_only=True, return_tokenizer=False, dtype=dtype,
                          device="cuda").eval().requires_grad_(False)


def new_vae(up_vae):
    with torch.device("cuda"):
        return up_vae.WanVAE_(**VAE_ARGS).eval().requires_grad_(False)


def randomize(module, seed):
    """Every parameter, in name order, from its own seeded generator:
    modulation tables N(0,1)/sqrt(dim) (as upstream's init); norm weights and
    RMS-norm gammas 1 + 0.1 N(0,1); biases and other vectors 0.05 N(0,1); the
    T5 token embedding N(0,1); every other matrix or kernel N(0,1)/sqrt(fan_in)."""
    g = torch.Generator(device="cuda")
    with torch.no_grad():
        for i, (name, p) in enumerate(sorted(module.named_parameters())):
            g.manual_seed(seed * 1_000_003 + i)
            x = torch.randn(p.shape, generator=g, device="cuda", dtype=torch.float32)
            leaf = name.rsplit(".", 1)[-1]
            if leaf == "modulation":
                x /= math.sqrt(p.shape[-1])
            elif leaf == "gamma" or ("norm" in name and leaf == "weight"):
                x = 1 + 0.1 * x
            elif leaf == "bias" or p.ndim == 1:
                x *= 0.05
            elif "token_embedding" in name:
                pass
            else:
                x /= math.sqrt(p[0].numel())
            p.copy_(x)


def cmd_release(a):
    from safetensors.torch import save_file
    up_vae, up_model, up_t5 = upstream(a.upstream)
    os.makedirs(os.path.join(a.out, "google", "umt5-xxl"), exist_ok=True)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(dict(DIT_CONFIG, _class_name="WanModel"), f, indent=1)
    with open(os.path.join(a.out, "configuration.json"), "w") as f:
        json.dump({"framework": "Pytorch", "task": "ti2v"}, f)
    with open(os.path.join(a.out, "google", "umt5-xxl", "tokenizer_config.json"), "w") as f:
        json.dump({"model_max_length": 512, "synthetic": True}, f)
    log("release: DiT")
    m = new_dit(up_model)
    randomize(m, a.seed + 1)
    save_file({k: v.to(torch.bfloat16).contiguous().cpu() for k, v in m.state_dict().items()},
              os.path.join(a.out, "diffusion_pytorch_model.safetensors"), metadata={"format": "pt"})
    del m
    log("release: T5")
    # The T5 keeps upstream's own init (t5.py init_weights: q scaled by (dim*dim_attn)^-1/2,
    # ...), seeded: with randomize()'s rules its 24 unscaled-attention blocks are chaotic
    # (measured: PyTorch's own bfloat16 and float32 outputs 6.8 std apart).
    torch.manual_seed(a.seed + 2)
    m = new_t5(up_t5, torch.bfloat16)
    torch.save({k: v.cpu() for k, v in m.state_dict().items()},
               os.path.join(a.out, "models_t5_umt5-xxl-enc-bf16.pth"))
    del m
    log("release: VAE")
    m = new_vae(up_vae)
    randomize(m, a.seed + 3)
    torch.save({k: v.cpu() for k, v in m.state_dict().items()}, os.path.join(a.out, "Wan2.2_VAE.pth"))
    del m
    torch.cuda.empty_cache()
    log(f"release: written to {a.out}")


def timed(reps, f):
    """One warm-up call, then reps timed calls; returns (times, last output,
    peak bytes allocated during the timed calls)."""
    out = f()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(reps):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = f()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return times, out, torch.cuda.max_memory_allocated()


def rel_err(got, ref):
    got, ref = got.double(), ref.double()
    return ((got - ref).abs().max() / ref.std(correction=0)).item()


class Runner:
    def __init__(self, a):
        from safetensors import safe_open
        self.a = a
        self.up_vae, self.up_model, self.up_t5 = upstream(a.upstream)
        self.dump = {}
        with safe_open(a.dump, "pt") as f:
            self.meta = f.metadata() or {}
            for k in f.keys():
                self.dump[k] = f.get_tensor(k)
        self.rows = []

    def record(self, name, prec, times, out, peak):
        self.rows.append({"pass": name, "precision": prec, "median_s": statistics.median(times),
                          "runs_s": times, "peak_bytes": peak})
        log(f"torch {name} {prec}: median {statistics.median(times) * 1e3:.2f} ms, "
            f"peak {peak / 2**30:.2f} GiB, output {list(out.shape)} std {out.double().std().item():.4g}")
        return out

    def run_precisions(self, name, build, to_bf16, forward):
        """forward(model, dtype) -> CPU float32 output; returns {prec: output}."""
        outs = {}
        m = build()
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        ATTN_DTYPE[0] = torch.float32
        outs["float32"] = self.record(name, "float32", *timed(self.a.reps, lambda: forward(m, torch.float32)))
        m = to_bf16(m)
        torch.cuda.empty_cache()
        ATTN_DTYPE[0] = torch.bfloat16
        outs["bfloat16"] = self.record(name, "bfloat16", *timed(self.a.reps, lambda: forward(m, torch.bfloat16)))
        del m
        torch.cuda.empty_cache()
        return outs

    def dit(self):
        from safetensors.torch import load_file
        d, seq_len = self.dump, int(self.meta["dit.seq_len"])

        def build():
            m = new_dit(self.up_model)
            m.load_state_dict(load_file(os.path.join(self.a.release, "diffusion_pytorch_model.safetensors"),
                                        device="cuda"))
            return m

        def forward(m, dtype):
            with torch.no_grad(), torch.autocast("cuda", dtype=dtype, enabled=dtype != torch.float32):
                x, t, ctx = (d[k].cuda() for k in ("dit.input.x", "dit.input.t", "dit.input.context"))
                return m([x], t=t, context=[ctx], seq_len=seq_len)[0].float().cpu()
        return self.run_precisions("dit", build, lambda m: m.to(torch.bfloat16), forward)

    def t5(self):
        d = self.dump

        def build():
            m = new_t5(self.up_t5, torch.float32)
            m.load_state_dict(torch.load(os.path.join(self.a.release, "models_t5_umt5-xxl-enc-bf16.pth"),
                                         map_location="cuda"))
            return m

        def forward(m, dtype):
            with torch.no_grad():
                ids, mask = (d[k].long().cuda() for k in ("t5.input.ids", "t5.input.mask"))
                return m(ids, mask).float().cpu()
        return self.run_precisions("t5", build, lambda m: m.to(torch.bfloat16), forward)

    def vae(self):
        d = self.dump
        outs = {}
        for dtype, prec in ((torch.float32, "float32"), (torch.bfloat16, "bfloat16")):
            vae = self.up_vae.Wan2_2_VAE(vae_pth=os.path.join(self.a.release, "Wan2.2_VAE.pth"),
                                         dtype=dtype, device="cuda")
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False

            # Wan2_2_VAE.decode / encode for one video, under torch.autocast
            def decode():
                with torch.no_grad(), torch.autocast("cuda", dtype=dtype, enabled=dtype != torch.float32):
                    z = d["vae.input.latent"].cuda()
                    return vae.model.decode(z.unsqueeze(0), vae.scale).float().clamp_(-1, 1).squeeze(0).cpu()

            def encode():
                with torch.no_grad(), torch.autocast("cuda", dtype=dtype, enabled=dtype != torch.float32):
                    v = d["vae.input.video"].cuda()
                    return vae.model.encode(v.unsqueeze(0), vae.scale).float().squeeze(0).cpu()
            outs[("vae.decode", prec)] = self.record("vae.decode", prec, *timed(self.a.reps, decode))
            outs[("vae.encode", prec)] = self.record("vae.encode", prec, *timed(self.a.reps, encode))
            del vae
            torch.cuda.empty_cache()
        return outs


def cmd_compare(a):
    r = Runner(a)
    mlx = {row["component"] + "/" + row["precision"]: row for row in json.loads(r.meta.get("results", "[]"))}
    torch_out = {}
    for comp in a.components.split(","):
        log(f"compare: {comp}")
        try:
            outs = getattr(r, comp)()
        except Exception as e:  # report and go on with the next component
            log(f"compare: {comp} FAILED: {type(e).__name__}: {e}")
            continue
        for key, v in outs.items():
            name, prec = key if isinstance(key, tuple) else (comp, key)
            torch_out[(name, prec)] = v
    mlx_key = {"dit": "dit.output.", "t5": "t5.output.", "vae.decode": "vae.output.video.",
               "vae.encode": "vae.output.latent."}
    valid = int(r.dump["t5.input.mask"].sum()) if "t5.input.mask" in r.dump else None
    report = []
    for name in ("dit", "t5", "vae.decode", "vae.encode"):
        ref32, ref16 = torch_out.get((name, "float32")), torch_out.get((name, "bfloat16"))
        if ref32 is None or ref16 is None:
            continue
        cut = (lambda x: x.reshape(-1, x.shape[-1])[:valid]) if name == "t5" else (lambda x: x)
        row = {"pass": name, "torch_bf16_vs_f32": rel_err(cut(ref16), cut(ref32))}
        for prec in ("bfloat16", "float32"):
            got = r.dump.get(mlx_key[name] + prec)
            m = mlx.get(name + "/" + prec, {})
            t = next(x for x in r.rows if x["pass"] == name and x["precision"] == prec)
            row[prec] = {"mlx_median_s": m.get("median_s"), "mlx_peak_bytes": m.get("peak_bytes"),
                         "torch_median_s": t["median_s"], "torch_peak_bytes": t["peak_bytes"]}
            if got is not None:
                got = got.reshape(ref32.shape)
                row[prec]["err_vs_torch_same"] = rel_err(cut(got), cut(ref16 if prec == "bfloat16" else ref32))
                row[prec]["err_vs_torch_f32"] = rel_err(cut(got), cut(ref32))
        report.append(row)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"torch": torch.__version__, "device": torch.cuda.get_device_name(),
                       "t5_valid_tokens": valid, "rows": report, "torch_runs": r.rows}, f, indent=1)
    print("\nmax|err|/std(ref); times are medians, peaks are allocator peaks with the weights")
    print(f"{'pass':<11} {'prec':<8} {'MLX ms':>9} {'torch ms':>9} {'MLX GiB':>8} {'torch GiB':>9} "
          f"{'MLX vs torch':>12} {'MLX vs t-f32':>12} {'t-bf16 vs t-f32':>15}")
    for row in report:
        for prec in ("bfloat16", "float32"):
            c = row[prec]
            ms = lambda s: f"{s * 1e3:9.2f}" if s is not None else f"{'-':>9}"  # noqa: E731
            gib = lambda b: f"{b / 2**30:8.2f}" if b is not None else f"{'-':>8}"  # noqa: E731
            e = lambda k: f"{c[k]:12.3g}" if k in c else f"{'-':>12}"  # noqa: E731
            print(f"{row['pass']:<11} {prec:<8} {ms(c['mlx_median_s'])} {ms(c['torch_median_s'])} "
                  f"{gib(c['mlx_peak_bytes'])} {gib(c['torch_peak_bytes']):>9} {e('err_vs_torch_same')} "
                  f"{e('err_vs_torch_f32')} {row['torch_bf16_vs_f32'] if prec == 'bfloat16' else '':>15.3}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("release")
    r.add_argument("--upstream", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--seed", type=int, default=2026)
    c = sub.add_parser("compare")
    c.add_argument("--upstream", required=True)
    c.add_argument("--release", required=True)
    c.add_argument("--dump", required=True)
    c.add_argument("--reps", type=int, default=5)
    c.add_argument("--components", default="dit,t5,vae")
    c.add_argument("--json")
    a = p.parse_args()
    if not torch.cuda.is_available():
        sys.exit("upstream_compare: needs a CUDA GPU")
    {"release": cmd_release, "compare": cmd_compare}[a.cmd](a)


if __name__ == "__main__":
    main()
