package convert

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock advances by step on every reading.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Unix(0, 0)
	return func() time.Time { t = t.Add(step); return t }
}

func TestProgressPlainLines(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, false, 1000)
	p.now = fakeClock(time.Second)
	p.start = time.Unix(0, 0)
	for i := 0; i < 10; i++ {
		p.add(100)
	}
	p.fileDone("x.safetensors", 1000)
	p.finish()
	out := b.String()
	require.Contains(t, out, "wanconv: 10% 100 B / 1.00 kB  100 B/s  ETA 0:09\n")
	require.Contains(t, out, "wanconv: 90% 900 B / 1.00 kB  100 B/s  ETA 0:01\n")
	require.NotContains(t, out, "100%")
	require.Contains(t, out, "wanconv: staged x.safetensors (1.00 kB)\n")
	require.NotContains(t, out, "\r")
}

func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, true, 4e9)
	p.now = fakeClock(time.Second)
	p.start = time.Unix(0, 0)
	p.add(1e9)
	p.add(1e9)
	p.finish()
	out := b.String()
	require.Contains(t, out, "\r[===============               ] 2.00 GB / 4.00 GB")
	require.Contains(t, out, "ETA 0:")
	require.True(t, bytes.HasSuffix(b.Bytes(), []byte("\n")))
	// A nil writer is silent and safe.
	q := newProgress(nil, true, 10)
	q.add(5)
	q.fileDone("y", 5)
	q.finish()
}

func TestFormatting(t *testing.T) {
	require.Equal(t, "1:01:05", formatDuration(3665*time.Second))
	require.Equal(t, "2:05", formatDuration(125*time.Second))
}
