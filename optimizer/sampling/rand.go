package sampling

import (
	"hash/fnv"
	"math/rand/v2"
)

// Rand returns the random stream for one decision of a study: the seed,
// the trial number and a stream label (a parameter's name, say) fix it, so
// a proposal does not depend on which process makes it or on what was
// proposed before.
func Rand(seed uint64, number int, stream string) *rand.Rand {
	h := fnv.New64a()
	_, _ = h.Write([]byte(stream))
	return rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, uint64(number)*0xbf58476d1ce4e5b9^h.Sum64()))
}
