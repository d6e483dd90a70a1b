//go:build tools

package wanconv

import (
	_ "github.com/nlpodyssey/gopickle/pickle"
	_ "github.com/nlpodyssey/safetensors"
	_ "github.com/stretchr/testify/require"
	_ "github.com/x448/float16"
	_ "golang.org/x/term"
)
