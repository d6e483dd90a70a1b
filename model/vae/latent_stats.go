package vae

import "github.com/wanconv/wanconv/mapping"

// The latent normalisation statistics of the Wan2.2 VAE. They are the
// per-channel mean and standard deviation constants hard-coded in upstream's
// Wan2_2_VAE constructor (Wan-Video/Wan2.2 wan/modules/vae2_2.py), which
// builds its scale as [mean, 1/std] in float32. Encode returns
// (mu − mean)·(1/std); Decode starts from z/(1/std) + mean.
var (
	latentMean = [48]float32{
		-0.2289, -0.0052, -0.1323, -0.2339, -0.2799, 0.0174, 0.1838, 0.1557,
		-0.1382, 0.0542, 0.2813, 0.0891, 0.1570, -0.0098, 0.0375, -0.1825,
		-0.2246, -0.1207, -0.0698, 0.5109, 0.2665, -0.2108, -0.2158, 0.2502,
		-0.2055, -0.0322, 0.1109, 0.1567, -0.0729, 0.0899, -0.2799, -0.1230,
		-0.0313, -0.1649, 0.0117, 0.0723, -0.2839, -0.2083, -0.0520, 0.3748,
		0.0152, 0.1957, 0.1433, -0.2944, 0.3573, -0.0548, -0.1681, -0.0667,
	}
	latentStd = [48]float32{
		0.4765, 1.0364, 0.4514, 1.1677, 0.5313, 0.4990, 0.4818, 0.5013,
		0.8158, 1.0344, 0.5894, 1.0901, 0.6885, 0.6165, 0.8454, 0.4978,
		0.5759, 0.3523, 0.7135, 0.6804, 0.5833, 1.4146, 0.8986, 0.5659,
		0.7069, 0.5338, 0.4889, 0.4917, 0.4069, 0.4999, 0.6866, 0.4093,
		0.5709, 0.6065, 0.6415, 0.4944, 0.5726, 1.2042, 0.5458, 1.6887,
		0.3971, 1.0600, 0.3943, 0.5537, 0.5444, 0.4089, 0.7468, 0.7744,
	}
)

// LatentMean returns the 48 per-channel latent means.
func LatentMean() []float32 { return append([]float32(nil), latentMean[:]...) }

// LatentInvStd returns the 48 per-channel reciprocal standard deviations,
// computed in float32 as upstream does (1.0 / std).
func LatentInvStd() []float32 {
	out := make([]float32, len(latentStd))
	for i, s := range latentStd {
		out[i] = 1 / s
	}
	return out
}

// The latent normalisation statistics of the Wan2.1 VAE (the A14B
// releases): the 16 per-channel constants of upstream's Wan2_1_VAE
// constructor (wan/modules/vae2_1.py), used the same way.
var (
	latentMean21 = [16]float32{
		-0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
		0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921,
	}
	latentStd21 = [16]float32{
		2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
		3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160,
	}
)

// LatentStats returns the latent means and reciprocal standard deviations
// (1.0 / std in float32, as upstream computes them) of a's VAE version: 48
// channels for a *mapping.VAEArch (Wan2.2), 16 for a *mapping.VAE21Arch
// (Wan2.1); nil for anything else.
func LatentStats(a mapping.Arch) (mean, invStd []float32) {
	v, _, _, _ := versionOf(a)
	mean = append([]float32(nil), v.mean...)
	for _, s := range v.std {
		invStd = append(invStd, 1/s)
	}
	if len(mean) == 0 {
		return nil, nil
	}
	return mean, invStd
}
