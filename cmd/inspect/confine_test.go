//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/convert"
)

// A converted directory whose VAE links to a valid file outside it: inspect
// and inspect --verify both refuse it with exit 2, inspect naming the link.
func TestLinkOutsideExitsTwo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	_, err := convert.Convert(context.Background(), convert.Options{SrcDir: tinyDir, OutDir: out, Quiet: true})
	require.NoError(t, err)
	code, _, errs := runCLI(out)
	require.Equal(t, 0, code, errs)
	code = runVerifier([]string{out, "--structural-only"})
	require.Equal(t, 0, code)

	p := filepath.Join(out, "vae_mlx.safetensors")
	elsewhere := filepath.Join(t.TempDir(), "vae_mlx.safetensors")
	require.NoError(t, os.Rename(p, elsewhere))
	require.NoError(t, os.Symlink(elsewhere, p))
	code, stdout, errs := runCLI(out)
	require.Equal(t, 2, code, stdout)
	real, err := filepath.EvalSymlinks(elsewhere)
	require.NoError(t, err)
	require.Contains(t, errs, p+": symbolic link leads outside the directory (it resolves to "+real+", outside "+out+")")
	code = runVerifier([]string{out, "--structural-only"})
	require.Equal(t, 2, code)
}
