package pth

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Hand-written attack pickles, as Python's pickle would write them for
// objects whose __reduce__ returns (callable, args).
var maliciousPickles = map[string][]byte{
	// GLOBAL 'os system' ('echo pwned',) REDUCE
	"os.system": []byte("\x80\x02cos\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03."),
	// protocol 4: STACK_GLOBAL 'builtins' 'eval' ("1+1",) REDUCE
	"builtins.eval": []byte("\x80\x04\x95\x1f\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94\x8c\x031+1\x94\x85\x94R\x94."),
	// GLOBAL 'subprocess Popen' (['id'],) REDUCE
	"subprocess.Popen": []byte("\x80\x02csubprocess\nPopen\nq\x00]q\x01X\x02\x00\x00\x00idq\x02aq\x03\x85q\x04Rq\x05."),
	// GLOBAL 'posix system' hidden as a state dict value
	"posix.system": []byte("\x80\x02}q\x00X\x01\x00\x00\x00wq\x01cposix\nsystem\nq\x02X\x02\x00\x00\x00idq\x03\x85q\x04Rq\x05s."),
	// a lookalike of an allowed module
	"torch._utils.exec": []byte("\x80\x02ctorch._utils\nexec\nq\x00."),
}

func TestMaliciousPicklesRefused(t *testing.T) {
	for global, pkl := range maliciousPickles {
		t.Run(global, func(t *testing.T) {
			_, _, err := unpickle(bytes.NewReader(pkl), int64(len(pkl)), nil)
			require.ErrorContains(t, err, `refusing global "`+global+`"`)
			requireKind(t, err, ErrNotAllowed)

			zipPath := rawZip(t, pkl, nil, zip.Store)
			_, err = Open(zipPath)
			require.ErrorContains(t, err, zipPath)
			require.ErrorContains(t, err, `refusing global "`+global+`"`)
			require.Equal(t, zipPath, requireKind(t, err, ErrNotAllowed).File)

			legacyPath := filepath.Join(t.TempDir(), "legacy.pth")
			require.NoError(t, os.WriteFile(legacyPath, legacyWith(pkl), 0o644))
			_, err = Open(legacyPath)
			require.ErrorContains(t, err, `refusing global "`+global+`"`)
		})
	}
}

// legacyWith is a legacy checkpoint header followed by main (and nothing
// else).
func legacyWith(main []byte) []byte {
	var b bytes.Buffer
	b.Write(legacyPreamble())
	b.Write(sysInfoPickle())
	b.Write(main)
	return b.Bytes()
}

func TestUnpicklerLimits(t *testing.T) {
	cases := map[string]struct {
		pkl  []byte
		msg  string
		kind error
	}{
		"deep marks":     {bytes.Repeat([]byte{opMark}, maxMarkDepth+1), "nesting too deep", ErrLimit},
		"no stop":        {[]byte("\x80\x02K\x01"), "truncated", ErrTruncated},
		"huge string":    {[]byte("\x80\x02X\xff\xff\xff\x7fabc."), "truncated", ErrTruncated},
		"huge long":      {[]byte("\x80\x02\x8b\xff\xff\x00\x00."), "too large", ErrLimit},
		"unknown opcode": {[]byte("\x80\x02I1\n."), "unsupported pickle opcode 0x49", ErrUnsupported},
		"bad memo":       {[]byte("\x80\x02h\x05."), "memo key 5", ErrPickle},
		"underflow":      {[]byte("\x80\x02t."), "MARK expected", ErrPickle},
		"call a string":  {[]byte("\x80\x02X\x01\x00\x00\x00a)R."), "cannot call a str", ErrPickle},
		"storage call":   {[]byte("\x80\x02ctorch\nFloatStorage\n)R."), "cannot be instantiated", ErrNotAllowed},
		"unexpected pid": {[]byte("\x80\x02)Q."), "unexpected persistent id", ErrPickle},
		"future proto":   {[]byte("\x80\x06N."), "protocol 6", ErrUnsupported},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := unpickle(bytes.NewReader(c.pkl), int64(len(c.pkl)), nil)
			require.ErrorContains(t, err, c.msg)
			requireKind(t, err, c.kind)
		})
	}
}
