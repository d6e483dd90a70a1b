package mapping

// The building blocks both VAEs (vae2_1.py and vae2_2.py) share, as required
// tensors in upstream names and PyTorch shapes.

// conv3 adds a CausalConv3d: weight (out, in, kt, kh, kw) and bias.
func (r *reqList) conv3(name string, out, in, kt, kh, kw int) {
	r.add(name+".weight", out, in, kt, kh, kw)
	r.add(name+".bias", out)
}

// conv2 adds a 3×3 Conv2d: weight (out, in, 3, 3) and bias.
func (r *reqList) conv2(name string, out, in int) {
	r.add(name+".weight", out, in, 3, 3)
	r.add(name+".bias", out)
}

// vaeResidual adds a ResidualBlock: RMS norm, conv, RMS norm, conv, and a
// 1×1×1 shortcut when the width changes.
func (r *reqList) vaeResidual(p string, in, out int) {
	r.add(p+".residual.0.gamma", in, 1, 1, 1)
	r.conv3(p+".residual.2", out, in, 3, 3, 3)
	r.add(p+".residual.3.gamma", out, 1, 1, 1)
	r.conv3(p+".residual.6", out, out, 3, 3, 3)
	if in != out {
		r.conv3(p+".shortcut", out, in, 1, 1, 1)
	}
}

// vaeAttention adds an AttentionBlock: RMS norm, 1×1 to_qkv and proj.
func (r *reqList) vaeAttention(p string, c int) {
	r.add(p+".norm.gamma", c, 1, 1)
	r.add(p+".to_qkv.weight", 3*c, c, 1, 1)
	r.add(p+".to_qkv.bias", 3*c)
	r.add(p+".proj.weight", c, c, 1, 1)
	r.add(p+".proj.bias", c)
}

// vaeMiddle adds p.middle: residual, attention, residual at width c.
func (r *reqList) vaeMiddle(p string, c int) {
	r.vaeResidual(p+".middle.0", c, c)
	r.vaeAttention(p+".middle.1", c)
	r.vaeResidual(p+".middle.2", c, c)
}

// vaeHead adds p.head: RMS norm then a 3×3×3 conv to out channels.
func (r *reqList) vaeHead(p string, in, out int) {
	r.add(p+".head.0.gamma", in, 1, 1, 1)
	r.conv3(p+".head.2", out, in, 3, 3, 3)
}

// flagAt reads flags[i], false past the end.
func flagAt(flags []bool, i int) bool { return i < len(flags) && flags[i] }
