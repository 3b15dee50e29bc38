package oracle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// DrafterConfig is what a drafter is built from: the config's oracle
// section, resolved (durations parsed, defaults left to the drafter),
// the cycle's seed and where drafts are cached. A drafter reads the
// fields it needs and ignores the others: the template needs only
// Language.
type DrafterConfig struct {
	// Language is the ISO 639-1 code the proposal is written in (one of
	// Languages; English when empty).
	Language string
	// BaseURL, Model and APIKeyEnv name an LLM endpoint, its model and
	// the environment variable that holds its key (read with Getenv,
	// os.Getenv when nil; empty for a server that needs no key).
	BaseURL, Model, APIKeyEnv string
	Getenv                    func(string) string
	// Timeout bounds one request; MaxRetries and MaxTokens are the
	// config's (0 for the drafter's defaults); Temperature nil leaves the
	// endpoint's.
	Timeout               time.Duration
	MaxRetries, MaxTokens int
	Temperature           *float64
	// StructuredOutput is where to start: "json_schema" (or ""),
	// "json_object" or "prompt".
	StructuredOutput string
	// BudgetTokens and BudgetUSD bound what one drafter spends (0: no
	// bound); the prices give the cost.
	BudgetTokens                           int
	BudgetUSD                              float64
	PricePromptPer1K, PriceCompletionPer1K float64
	// AzureDeployment and AzureAPIVersion address Azure OpenAI when the
	// deployment is set.
	AzureDeployment, AzureAPIVersion string
	// Seed is the cycle's seed, for endpoints that sample reproducibly
	// and for retry jitter.
	Seed uint64
	// CacheDir is where drafts are cached; empty means no cache.
	CacheDir string
	// HTTPClient and Sleep, when set, replace how a drafter reaches the
	// network and waits between retries (tests use them).
	HTTPClient *http.Client
	Sleep      func(ctx context.Context, d time.Duration) error
}

// DrafterFactory builds a drafter from its config. Errors about a field
// are *ConfigError values.
type DrafterFactory func(DrafterConfig) (Drafter, error)

// ConfigError is a DrafterConfig field a factory refuses.
type ConfigError struct {
	// Key is the field's key in the config's oracle section ("base_url",
	// "api_key_env", "budget.usd").
	Key string
	// Problem says what is wrong and what to do.
	Problem string
}

func (e *ConfigError) Error() string { return "oracle." + e.Key + ": " + e.Problem }

// ErrUnknownDrafter is wrapped by NewDrafter's error for a name no
// drafter is registered under.
var ErrUnknownDrafter = errors.New("oracle: unknown drafter")

var (
	registryMu sync.RWMutex
	registry   = map[string]DrafterFactory{}
)

// Register makes a drafter available by name, as database/sql.Register
// does drivers: call it from init in the drafter's package. It panics
// when the name is taken or f is nil, which is a programming error.
func Register(name string, f DrafterFactory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if f == nil {
		panic("oracle: Register called with a nil factory for " + name)
	}
	if _, dup := registry[name]; dup {
		panic("oracle: Register called twice for " + name)
	}
	registry[name] = f
}

// Drafters lists the registered drafters' names in order.
func Drafters() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// NewDrafter builds the drafter registered as name from cfg. An unknown
// name gives an error wrapping ErrUnknownDrafter that lists the
// registered ones; a factory's errors are returned as they are.
func NewDrafter(name string, cfg DrafterConfig) (Drafter, error) {
	registryMu.RLock()
	f, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q; the registered drafters are %s", ErrUnknownDrafter, name, strings.Join(Drafters(), ", "))
	}
	return f(cfg)
}

func init() {
	Register("template", func(c DrafterConfig) (Drafter, error) { return Template{Language: c.Language}, nil })
}
