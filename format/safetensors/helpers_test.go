package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

const memName = "mem.safetensors"

// image assembles a file image from a header text and dataLen data bytes
// (byte i of the data area is i%251).
func image(header string, dataLen int) []byte {
	b := make([]byte, 8, 8+len(header)+dataLen)
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	b = append(b, header...)
	for i := 0; i < dataLen; i++ {
		b = append(b, byte(i%251))
	}
	return b
}

func parseBytes(b []byte) (*File, error) {
	return parse(bytes.NewReader(b), int64(len(b)), memName)
}

// requireKind asserts err is an *Error of the given kind naming file and tensor.
func requireKind(t *testing.T, err error, kind error, file, tensorName string) *Error {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, kind)
	var e *Error
	require.True(t, errors.As(err, &e), "error %v is not a *Error", err)
	require.Equal(t, file, e.File, "file named by %v", err)
	require.Equal(t, tensorName, e.Tensor, "tensor named by %v", err)
	if file != "" {
		require.Contains(t, err.Error(), file)
	}
	if tensorName != "" {
		require.Contains(t, err.Error(), `"`+tensorName+`"`)
	}
	return e
}

// writeSafetensors writes a file holding entries whose data bytes are
// derived from fill, and returns the bytes written for each tensor.
func writeSafetensors(t *testing.T, path string, entries []HeaderEntry, meta map[string]string, fill byte) map[string][]byte {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w, err := NewWriter(f, entries, meta)
	require.NoError(t, err)
	data := map[string][]byte{}
	for i, e := range entries {
		b := make([]byte, tensor.NumBytes(e.Shape, e.DType))
		for j := range b {
			b[j] = fill + byte(i*31+j)
		}
		require.NoError(t, w.WriteTensor(e.Name, b))
		data[e.Name] = b
	}
	require.NoError(t, w.Finish())
	st, err := f.Stat()
	require.NoError(t, err)
	require.Equal(t, w.Size(), st.Size())
	return data
}

func tempPath(t *testing.T, name string) string {
	return filepath.Join(t.TempDir(), name)
}
