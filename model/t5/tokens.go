package t5

import (
	"fmt"

	"github.com/wanconv/wanconv/internal/detrand"
)

// Token ids that SyntheticTokens gives a fixed meaning, as in the umt5
// tokenizer.
const (
	PadID = 0 // padding, with mask 0
	EOSID = 1 // end of sequence, the last valid token
	// firstOrdinaryID is the smallest id SyntheticTokens draws (0, 1 and 2 =
	// unknown are reserved by the tokenizer).
	firstOrdinaryID = 3
)

// SyntheticTokens returns a deterministic token sequence shaped like the
// upstream tokenizer's output for a prompt of validLen tokens padded to
// length, for tests and benchmarks that have no tokenizer. The recipe, which
// other implementations may reproduce exactly:
//
//   - a SplitMix64 generator with state = seed (internal/detrand: each draw
//     adds 0x9E3779B97F4A7C15 to the state (mod 2⁶⁴) and returns z after
//     z ^= z>>30; z *= 0xBF58476D1CE4E5B9; z ^= z>>27; z *= 0x94D049BB133111EB;
//     z ^= z>>31, starting from z = the new state);
//   - positions 0..validLen−2: id = 3 + draw % (vocab − 3), one draw each, in
//     order;
//   - position validLen−1: id = 1 (EOS);
//   - positions validLen..length−1: id = 0 (padding);
//   - mask = 1 at positions < validLen, 0 after.
//
// It needs vocab > 3 and 1 <= validLen <= length.
func SyntheticTokens(vocab, length, validLen int, seed uint64) (ids, mask []int32, err error) {
	if vocab <= firstOrdinaryID || vocab-1 > 1<<31-1 {
		return nil, nil, fmt.Errorf("t5: synthetic tokens: vocab %d out of range (4..2^31)", vocab)
	}
	if validLen < 1 || validLen > length {
		return nil, nil, fmt.Errorf("t5: synthetic tokens: want 1 <= validLen (%d) <= length (%d)", validLen, length)
	}
	ids = make([]int32, length)
	mask = make([]int32, length)
	g := detrand.New(seed)
	span := uint64(vocab - firstOrdinaryID)
	for i := 0; i < validLen-1; i++ {
		ids[i] = int32(firstOrdinaryID + g.Uint64()%span)
	}
	ids[validLen-1] = EOSID
	for i := 0; i < validLen; i++ {
		mask[i] = 1
	}
	return ids, mask, nil
}
