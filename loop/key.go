package loop

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/metrics"
)

// CycleKey returns what identifies a cycle's decision in the store: a
// hash of the effective config (less out and schedule) with attune's
// version, and a hash of the observation the cycle decided from. An
// unchanged history gives the same inputs hash, so a cycle whose key has
// a proposal still pending need not draft another.
func CycleKey(cfg *config.Config, obs metrics.Observation, version string) (configHash, inputsHash string) {
	c := *cfg
	c.Out, c.Schedule = "", "" // where outputs go and when cycles run change no result
	h := sha256.New()
	h.Write([]byte(c.Hash()))
	h.Write([]byte{0})
	h.Write([]byte(version))
	configHash = hex.EncodeToString(h.Sum(nil))
	b, _ := json.Marshal(obs)
	sum := sha256.Sum256(b)
	return configHash, hex.EncodeToString(sum[:])
}
