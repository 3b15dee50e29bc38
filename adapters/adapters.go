package adapters

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/metrics"
)

// Data is what a source read: a governance history, or, for a source of
// precomputed measurements, an observation.
type Data struct {
	History     *history.History
	Observation *metrics.Observation
}

// Source reads a DAO's governance data from where it lives. A source need
// not validate the history it returns: the loop validates every source's
// history (and the merged one) before it caches or uses it.
type Source interface {
	Read(ctx context.Context) (*Data, error)
}

// Incremental is implemented by sources that can bring an earlier read up
// to date, fetching only what changed. prev is the history the source
// returned last time (from the cache); the result is the whole, updated
// history, as Read would return it.
type Incremental interface {
	ReadSince(ctx context.Context, prev *history.History) (*history.History, error)
}

// Env is what a source or sink may use from its surroundings. The zero
// value works: see the methods for the defaults.
type Env struct {
	// Dir is the directory relative paths in the config resolve against
	// (the config file's directory).
	Dir string
	// StateDir is where the adapter may keep state between runs.
	StateDir string
	// HTTP is the client for outgoing requests; nil means one with
	// DefaultTimeout.
	HTTP *http.Client
	// Getenv reads the environment; nil means no variables are set.
	Getenv func(string) string
	// Logger receives the adapter's logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultTimeout bounds a whole HTTP exchange when Env.HTTP is nil.
const DefaultTimeout = 60 * time.Second

// Client returns e.HTTP or a client with DefaultTimeout.
func (e Env) Client() *http.Client {
	if e.HTTP != nil {
		return e.HTTP
	}
	return &http.Client{Timeout: DefaultTimeout}
}

// Env returns the environment variable name, "" when unset.
func (e Env) Env(name string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(name)
}

// Log returns e.Logger or a logger that discards.
func (e Env) Log() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Clock returns the current time by e.Now or time.Now.
func (e Env) Clock() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// SourceConfig is a source type's own settings, decoded from its section
// (yaml tags name the keys); NewSource builds the source they describe.
type SourceConfig interface {
	NewSource(env Env) (Source, error)
}

// SinkConfig is a sink type's own settings; NewSink builds the sink.
type SinkConfig interface {
	NewSink(env Env) (Sink, error)
}

// Checker is implemented by configs that check their values after
// decoding.
type Checker interface {
	Check() []FieldError
}

// FieldError is a problem with one key of a section: Field is the key
// within the section ("space", "retry.max"), Msg says what is wrong and
// what to do.
type FieldError struct {
	Field, Msg string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Msg }

// registry maps type names to config constructors.
type registry[T any] struct {
	mu    sync.RWMutex
	kind  string
	types map[string]func() T
}

func (r *registry[T]) register(typ string, f func() T) {
	if typ == "" || strings.TrimSpace(typ) != typ || f == nil {
		panic(fmt.Sprintf("adapters: Register%s(%q): a type needs a name without spaces and a constructor", r.kind, typ))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.types == nil {
		r.types = map[string]func() T{}
	}
	if _, dup := r.types[typ]; dup {
		panic(fmt.Sprintf("adapters: Register%s called twice for type %q", r.kind, typ))
	}
	r.types[typ] = f
}

func (r *registry[T]) lookup(typ string) (T, bool) {
	r.mu.RLock()
	f, ok := r.types[typ]
	r.mu.RUnlock()
	if !ok {
		var zero T
		return zero, false
	}
	return f(), true
}

func (r *registry[T]) names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.types))
	for k := range r.types {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var (
	sources = registry[SourceConfig]{kind: "Source"}
	sinks   = registry[SinkConfig]{kind: "Sink"}
)

// RegisterSource makes a source type available by name. newConfig returns
// a fresh pointer to the type's config struct. It panics when typ is
// empty or registered twice; call it from the subpackage's init.
func RegisterSource(typ string, newConfig func() SourceConfig) { sources.register(typ, newConfig) }

// RegisterSink makes a sink type available by name, as RegisterSource.
func RegisterSink(typ string, newConfig func() SinkConfig) { sinks.register(typ, newConfig) }

// NewSourceConfig returns a fresh config of the source type typ, or false
// when no such type is registered.
func NewSourceConfig(typ string) (SourceConfig, bool) { return sources.lookup(typ) }

// NewSinkConfig returns a fresh config of the sink type typ, or false.
func NewSinkConfig(typ string) (SinkConfig, bool) { return sinks.lookup(typ) }

// SourceTypes lists the registered source types, sorted.
func SourceTypes() []string { return sources.names() }

// SinkTypes lists the registered sink types, sorted.
func SinkTypes() []string { return sinks.names() }
