// Package sampling holds what attune's samplers share: a registry of
// samplers by name, the encoding of a goptuna search space into the unit
// cube, the history of a study as a sampler reads it, and random streams
// derived from the seed and the trial number.
//
// A sampler is a goptuna.RelativeSampler that proposes every parameter of
// a trial at once, and a goptuna.Sampler for any parameter outside the
// relative search space. Each lives in its own subpackage, registers itself
// by name in init, and is built from a Config; the install package imports
// them all. A sampler keeps no state between calls that the study's
// storage does not hold, so two processes sharing a storage propose the
// same trials for the same history, and a restarted study continues as if
// it had never stopped. Randomness comes from Rand(seed, trial number), never
// from math/rand's global source.
package sampling

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/c-bata/goptuna"
)

// ErrUnknown is wrapped by New for a name no sampler registered.
var ErrUnknown = errors.New("unknown sampler")

// Config is what every sampler is built from.
type Config struct {
	// Seed fixes every random choice the sampler makes.
	Seed uint64
	// Budget is the number of trials the study plans (0: unknown). Samplers
	// may size their start-up phase from it; auto picks a sampler by it.
	Budget int
	// Startup is the number of quasi-random trials before a model is
	// fitted; 0 means the sampler's own default.
	Startup int
	// Batch is the number of trials proposed before their results are
	// known. Samplers that model the objective treat the pending trials of
	// a batch as if they had returned a pessimistic value (constant liar).
	Batch int
}

// Sampler proposes trials: every parameter of the relative search space at
// once, and any other parameter one at a time. Implementations must be
// safe for concurrent use.
type Sampler interface {
	goptuna.Sampler
	goptuna.RelativeSampler
}

// Factory builds a sampler.
type Factory func(Config) (Sampler, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes a sampler available by name. It panics when the name is
// taken, as database/sql.Register does: that is a programming error.
func Register(name string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("sampling: Register called twice for " + name)
	}
	registry[name] = f
}

// Names lists the registered samplers in order.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New builds the sampler registered as name.
func New(name string, c Config) (Sampler, error) {
	registryMu.RLock()
	f, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("sampling: %q: %w; want one of %s", name, ErrUnknown, strings.Join(Names(), ", "))
	}
	s, err := f(c)
	if err != nil {
		return nil, fmt.Errorf("sampling: %s: %w", name, err)
	}
	return s, nil
}

// Registered reports whether name is a registered sampler.
func Registered(name string) bool {
	return slices.Contains(Names(), name)
}
