package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math"
	"sync"
	"time"

	"github.com/c-bata/goptuna"
)

var (
	// ErrStudyNotFound is returned (wrapped) by GetStudyIDFromName for a
	// name that no study has.
	ErrStudyNotFound = errors.New("study not found")
	// ErrDuplicateStudyName is returned (wrapped) by CreateNewStudy when a
	// study with that name already exists; use goptuna.LoadStudy or
	// goptuna.StudyOptionLoadIfExists to resume it.
	ErrDuplicateStudyName = errors.New("a study with this name already exists")
	// ErrParamNotFound is returned (wrapped) by GetTrialParam when the trial
	// has no parameter with that name.
	ErrParamNotFound = errors.New("param doesn't exist")
	// ErrStepAlreadyExists is returned (wrapped) by SetTrialIntermediateValue
	// when the trial already has a value for that step.
	ErrStepAlreadyExists = errors.New("step value is already exist")
	// ErrCorruptRecord is wrapped by errors about stored data this package
	// cannot decode (for example a distribution that is not valid JSON).
	ErrCorruptRecord = errors.New("corrupt stored record")
)

// Trial states as stored in trials.state.
const (
	stateRunning  = "RUNNING"
	stateComplete = "COMPLETE"
	statePruned   = "PRUNED"
	stateFail     = "FAIL"
	stateWaiting  = "WAITING"
)

func stateToText(st goptuna.TrialState) (string, error) {
	switch st {
	case goptuna.TrialStateRunning:
		return stateRunning, nil
	case goptuna.TrialStateComplete:
		return stateComplete, nil
	case goptuna.TrialStatePruned:
		return statePruned, nil
	case goptuna.TrialStateFail:
		return stateFail, nil
	case goptuna.TrialStateWaiting:
		return stateWaiting, nil
	}
	return "", fmt.Errorf("storage: unknown trial state %d", int(st))
}

func textToState(s string) (goptuna.TrialState, error) {
	switch s {
	case stateRunning:
		return goptuna.TrialStateRunning, nil
	case stateComplete:
		return goptuna.TrialStateComplete, nil
	case statePruned:
		return goptuna.TrialStatePruned, nil
	case stateFail:
		return goptuna.TrialStateFail, nil
	case stateWaiting:
		return goptuna.TrialStateWaiting, nil
	}
	return 0, fmt.Errorf("%w: unknown trial state %q", ErrCorruptRecord, s)
}

func checkDirection(d goptuna.StudyDirection) error {
	if d != goptuna.StudyDirectionMinimize && d != goptuna.StudyDirectionMaximize {
		return fmt.Errorf("storage: study direction %q: want %q or %q", d,
			goptuna.StudyDirectionMinimize, goptuna.StudyDirectionMaximize)
	}
	return nil
}

// timeToDB stores a time as Unix nanoseconds; the zero time is NULL.
func timeToDB(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func timeFromDB(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64)
}

// floatFromDB maps NULL back to NaN: SQLite stores NaN as NULL.
func floatFromDB(f sql.NullFloat64) float64 {
	if !f.Valid {
		return math.NaN()
	}
	return f.Float64
}

// encodeDistribution serialises a distribution in goptuna's JSON format.
func encodeDistribution(d any) (string, error) {
	b, err := goptuna.DistributionToJSON(d)
	if err != nil {
		return "", fmt.Errorf("storage: distribution %T: %w", d, err)
	}
	return string(b), nil
}

// decodeDistribution parses goptuna's distribution JSON and checks that the
// result is usable (for example a categorical distribution has choices).
func decodeDistribution(text string) (any, error) {
	d, err := goptuna.JSONToDistribution([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("%w: distribution %q: %w", ErrCorruptRecord, truncate(text), err)
	}
	switch v := d.(type) {
	case goptuna.CategoricalDistribution:
		if len(v.Choices) == 0 {
			return nil, fmt.Errorf("%w: categorical distribution without choices: %q", ErrCorruptRecord, truncate(text))
		}
	case goptuna.StepIntUniformDistribution:
		if v.Step <= 0 {
			return nil, fmt.Errorf("%w: step distribution with step %d: %q", ErrCorruptRecord, v.Step, truncate(text))
		}
	case goptuna.DiscreteUniformDistribution:
		if !(v.Q > 0) {
			return nil, fmt.Errorf("%w: discrete distribution with q %v: %q", ErrCorruptRecord, v.Q, truncate(text))
		}
	}
	return d, nil
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// externalValue converts an internal parameter value to its external
// representation like goptuna.ToExternalRepresentation, but returns an error
// instead of panicking on values the distribution cannot represent.
func externalValue(d any, ir float64) (any, error) {
	switch v := d.(type) {
	case goptuna.CategoricalDistribution:
		if math.IsNaN(ir) || ir < 0 || ir >= float64(len(v.Choices)) {
			return nil, fmt.Errorf("storage: categorical index %v out of range [0, %d)", ir, len(v.Choices))
		}
	case goptuna.StepIntUniformDistribution:
		if v.Step <= 0 {
			return nil, fmt.Errorf("storage: step distribution with step %d", v.Step)
		}
	}
	x, err := goptuna.ToExternalRepresentation(d, ir)
	if err != nil {
		return nil, fmt.Errorf("storage: distribution %T: %w", d, err)
	}
	return x, nil
}

// copyDistribution returns d with no memory shared with the argument.
func copyDistribution(d any) any {
	if c, ok := d.(goptuna.CategoricalDistribution); ok {
		c.Choices = append([]string(nil), c.Choices...)
		return c
	}
	return d
}

// distCache memoises decodeDistribution: a study uses a handful of distinct
// distributions, and goptuna's JSONToDistribution decodes each one twice.
type distCache struct {
	mu sync.RWMutex
	m  map[string]any
}

const distCacheMax = 4096

func (c *distCache) decode(text string) (any, error) {
	c.mu.RLock()
	d, ok := c.m[text]
	c.mu.RUnlock()
	if ok {
		return copyDistribution(d), nil
	}
	d, err := decodeDistribution(text)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= distCacheMax {
		c.m = make(map[string]any)
	}
	c.m[text] = d
	c.mu.Unlock()
	return copyDistribution(d), nil
}

// newTrial returns a FrozenTrial with empty, non-nil maps, like
// goptuna.InMemoryStorage creates them.
func newTrial() *goptuna.FrozenTrial {
	return &goptuna.FrozenTrial{
		IntermediateValues: map[int]float64{},
		InternalParams:     map[string]float64{},
		Params:             map[string]any{},
		Distributions:      map[string]any{},
		UserAttrs:          map[string]string{},
		SystemAttrs:        map[string]string{},
	}
}

// copyTrial deep-copies a trial so the caller cannot modify the cache.
// maps.Clone copies small maps wholesale, several times faster than
// re-inserting every entry.
func copyTrial(t *goptuna.FrozenTrial) goptuna.FrozenTrial {
	c := *t
	c.IntermediateValues = cloneMap(t.IntermediateValues)
	c.InternalParams = cloneMap(t.InternalParams)
	c.Params = cloneMap(t.Params) // values are float64, int or string: immutable
	c.Distributions = cloneMap(t.Distributions)
	for k, v := range c.Distributions {
		if cat, ok := v.(goptuna.CategoricalDistribution); ok {
			c.Distributions[k] = copyDistribution(cat)
		}
	}
	c.UserAttrs = cloneMap(t.UserAttrs)
	c.SystemAttrs = cloneMap(t.SystemAttrs)
	return c
}

// cloneMap is maps.Clone, except that it returns an empty map for a nil
// or empty one (callers may insert into the maps of a FrozenTrial).
func cloneMap[M ~map[K]V, K comparable, V any](m M) M {
	if len(m) == 0 {
		return make(M)
	}
	return maps.Clone(m)
}
