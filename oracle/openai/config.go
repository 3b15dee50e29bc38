package openai

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/attune-dao/attune/internal/backoff"
)

// Defaults for the zero values of Config. The retry figures are those of
// OpenAI's own SDKs (openai-python: DEFAULT_MAX_RETRIES 2, initial retry
// delay 0.5 s, maximum retry delay 8 s, a server's retry-after honoured up
// to 60 s, request timeout 600 s).
const (
	DefaultBaseURL       = "https://api.openai.com/v1"
	DefaultTimeout       = 600 * time.Second
	DefaultMaxRetries    = 2
	DefaultBackoffBase   = 500 * time.Millisecond
	DefaultBackoffMax    = 8 * time.Second
	DefaultMaxRetryAfter = 60 * time.Second
	// DefaultAzureAPIVersion is the Azure OpenAI GA API version that
	// carries structured outputs (json_schema needs 2024-08-01-preview or
	// later; 2024-10-21 is the GA release that has it).
	DefaultAzureAPIVersion = "2024-10-21"
	// MaxResponseBytes caps a response body read into memory.
	MaxResponseBytes = 8 << 20
)

// Config configures a Client. BaseURL and Model name the endpoint; the
// rest bound what a Client may do.
type Config struct {
	// BaseURL is the API root that /chat/completions is appended to:
	// https://api.openai.com/v1 (the default when empty),
	// http://localhost:8000/v1 (vLLM), http://localhost:8080/v1
	// (llama.cpp's server), http://localhost:11434/v1 (Ollama), or for
	// Azure the resource endpoint https://NAME.openai.azure.com. It must
	// not carry credentials or a query.
	BaseURL string
	// Model is the model name sent in each request (for Azure, also the
	// deployment unless Azure.Deployment is set).
	Model string
	// APIKey is the key's value, read by the caller from the environment
	// variable the configuration names. It may be empty for a local
	// server; it is required for api.openai.com and Azure. The client
	// never puts it in an error.
	APIKey string
	// APIKeyEnv is the name of that environment variable, used only to
	// say in an authentication error which variable to set.
	APIKeyEnv string
	// Timeout bounds one HTTP attempt, reading the body included
	// (DefaultTimeout when 0). The whole call is bounded by the caller's
	// context.
	Timeout time.Duration
	// MaxRetries is the number of attempts after the first on a retryable
	// failure (DefaultMaxRetries when 0; none when negative).
	MaxRetries int
	// BackoffBase and BackoffMax shape the wait before retry n: a uniform
	// draw from [0, min(BackoffMax, BackoffBase·2^(n-1))] (full jitter).
	// Defaults DefaultBackoffBase and DefaultBackoffMax.
	BackoffBase, BackoffMax time.Duration
	// MaxRetryAfter caps the wait a server asks for with Retry-After or
	// retry-after-ms (DefaultMaxRetryAfter when 0).
	MaxRetryAfter time.Duration
	// MaxTokens bounds the completion of each request (sent as
	// max_tokens, or max_completion_tokens for OpenAI's reasoning models
	// o1, o3, o4 and gpt-5, which refuse max_tokens). 0 sends no bound;
	// a Budget needs one.
	MaxTokens int
	// Temperature is the sampling temperature in [0, 2]; nil leaves the
	// endpoint's default. 0 is sent as the smallest positive float32,
	// because go-openai omits a zero temperature (sashabaranov/go-openai
	// issue 9).
	Temperature *float64
	// Budget bounds what the client may spend over its life; the zero
	// Budget bounds nothing.
	Budget Budget
	// Price is what the endpoint charges; it gives Usage.CostUSD and is
	// needed for a Budget in USD.
	Price Price
	// Mode is the structured-output mode to start from for requests with
	// a schema (ModeJSONSchema when zero). The client steps down from it
	// when the endpoint refuses it.
	Mode Mode
	// Azure, when set, addresses Azure OpenAI: deployment-based URLs,
	// the api-version query parameter and the api-key header.
	Azure *Azure
	// JitterSeed seeds the client's jitter source.
	JitterSeed uint64
}

// Budget bounds a client's spending. A request is refused before it is
// sent when what is spent plus what the request could cost (its prompt,
// estimated, and MaxTokens of completion) exceeds a bound. Zero fields
// bound nothing.
type Budget struct {
	// Tokens bounds prompt plus completion tokens.
	Tokens int
	// USD bounds the cost at Price.
	USD float64
}

// Price is the endpoint's price per 1,000 tokens.
type Price struct {
	PromptPer1K, CompletionPer1K float64
}

// Azure addresses an Azure OpenAI resource.
type Azure struct {
	// APIVersion is the api-version query parameter
	// (DefaultAzureAPIVersion when empty).
	APIVersion string
	// Deployment is the deployment name in the URL (Config.Model when
	// empty).
	Deployment string
}

// Option changes how a Client reaches the network or waits; tests use them
// to run without a network and without real time.
type Option func(*Client)

// WithHTTPClient makes the client send through hc instead of a default
// http.Client. hc's own Timeout, if any, applies on top of Config.Timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.hc = hc }
}

// WithSleep replaces the wait between attempts. sleep must return at once
// with ctx.Err() when ctx is done.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) { c.sleep = sleep }
}

// WithClock replaces the clock used to read a Retry-After given as an
// HTTP date.
func WithClock(now func() time.Time) Option {
	return func(c *Client) { c.now = now }
}

// Client sends chat completions to one OpenAI-compatible endpoint with
// retries, a budget and structured-output fallback. It is safe for
// concurrent use.
type Client struct {
	cfg     Config
	baseURL string // redacted form, for messages
	api     *goopenai.Client
	hc      *http.Client
	sleep   func(context.Context, time.Duration) error
	now     func() time.Time

	mu            sync.Mutex
	rng           *rand.Rand
	mode          Mode
	usage         Usage
	reserved      reservation
	bytesPerToken float64
}

// reservation is what requests in flight could still spend.
type reservation struct {
	tokens int
	usd    float64
}

var schemaNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ConfigError is an invalid Config field.
type ConfigError struct {
	// Field is the Config field's Go name ("MaxTokens", "Budget.USD").
	Field string
	// Problem says what is wrong and what would be right.
	Problem string
}

func (e *ConfigError) Error() string {
	return "openai: config: " + e.Field + ": " + e.Problem
}

// Unwrap makes a ConfigError match ErrInvalid.
func (e *ConfigError) Unwrap() error { return ErrInvalid }

// New validates cfg, fills its defaults and returns a Client. Errors are
// *ConfigError values naming the field; they are joined when several
// fields are wrong.
func New(cfg Config, opts ...Option) (*Client, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(cfg.BaseURL)
	switch {
	case err != nil:
		// The parse error repeats the URL, which may hold a credential.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		bad("BaseURL", "is not a URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		bad("BaseURL", "%q needs an http or https scheme, e.g. http://localhost:11434/v1", u.Redacted())
	case u.Host == "":
		bad("BaseURL", "%q names no host", u.Redacted())
	case u.User != nil:
		bad("BaseURL", "%q carries credentials; put the key in the environment variable the configuration names", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		bad("BaseURL", "%q has a query or fragment; give the API root only (Azure's api-version goes in Azure.APIVersion)", (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String())
	}
	if strings.TrimSpace(cfg.Model) == "" {
		bad("Model", "is empty; name the model to use, e.g. gpt-4o-mini or llama3.1")
	}
	if cfg.APIKey == "" && u != nil && (u.Hostname() == "api.openai.com" || cfg.Azure != nil) {
		env := cfg.APIKeyEnv
		if env == "" {
			env = "the environment variable named by oracle.api_key_env"
		}
		bad("APIKey", "is empty but %s needs a key: set %s", u.Hostname(), env)
	}
	if cfg.Timeout < 0 {
		bad("Timeout", "is %v; give a positive duration, or 0 for %v", cfg.Timeout, DefaultTimeout)
	}
	if cfg.BackoffBase < 0 || cfg.BackoffMax < 0 || cfg.MaxRetryAfter < 0 {
		bad("BackoffBase", "BackoffBase, BackoffMax and MaxRetryAfter must not be negative")
	}
	if cfg.MaxTokens < 0 {
		bad("MaxTokens", "is %d; give a positive bound on each completion", cfg.MaxTokens)
	}
	if t := cfg.Temperature; t != nil && (*t < 0 || *t > 2 || *t != *t) {
		bad("Temperature", "is %v; give a value in [0, 2]", *t)
	}
	if cfg.Budget.Tokens < 0 {
		bad("Budget.Tokens", "is %d; give a positive bound, or 0 for none", cfg.Budget.Tokens)
	}
	if cfg.Budget.USD < 0 || cfg.Budget.USD != cfg.Budget.USD {
		bad("Budget.USD", "is %v; give a positive bound, or 0 for none", cfg.Budget.USD)
	}
	if p := cfg.Price; p.PromptPer1K < 0 || p.CompletionPer1K < 0 || p.PromptPer1K != p.PromptPer1K || p.CompletionPer1K != p.CompletionPer1K {
		bad("Price", "prices per 1,000 tokens must not be negative")
	}
	if (cfg.Budget.Tokens > 0 || cfg.Budget.USD > 0) && cfg.MaxTokens == 0 {
		bad("MaxTokens", "is 0 but a budget is set; a budget needs a bound on each completion to refuse a request before sending it")
	}
	if cfg.Budget.USD > 0 && cfg.Price.PromptPer1K == 0 && cfg.Price.CompletionPer1K == 0 {
		bad("Price", "is zero but Budget.USD is set; give the endpoint's prices per 1,000 tokens")
	}
	if cfg.Mode < ModeJSONSchema || cfg.Mode > ModePrompt {
		bad("Mode", "is %d; use ModeJSONSchema, ModeJSONObject or ModePrompt", cfg.Mode)
	}
	if cfg.Azure != nil && cfg.Azure.Deployment != "" && strings.ContainsAny(cfg.Azure.Deployment, "/?#") {
		bad("Azure.Deployment", "%q must be a bare deployment name", cfg.Azure.Deployment)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = DefaultBackoffBase
	}
	if cfg.BackoffMax == 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.MaxRetryAfter == 0 {
		cfg.MaxRetryAfter = DefaultMaxRetryAfter
	}

	c := &Client{
		cfg:           cfg,
		baseURL:       u.Redacted(),
		hc:            &http.Client{},
		sleep:         backoff.Sleep,
		now:           time.Now,
		rng:           rand.New(rand.NewPCG(cfg.JitterSeed, cfg.JitterSeed^0x9e3779b97f4a7c15)),
		mode:          cfg.Mode,
		bytesPerToken: initialBytesPerToken,
	}
	for _, o := range opts {
		o(c)
	}

	var gc goopenai.ClientConfig
	if az := cfg.Azure; az != nil {
		gc = goopenai.DefaultAzureConfig(cfg.APIKey, cfg.BaseURL)
		gc.APIVersion = az.APIVersion
		if gc.APIVersion == "" {
			gc.APIVersion = DefaultAzureAPIVersion
		}
		deployment := az.Deployment
		gc.AzureModelMapperFunc = func(model string) string {
			if deployment != "" {
				return deployment
			}
			return model
		}
	} else {
		gc = goopenai.DefaultConfig(cfg.APIKey)
		gc.BaseURL = cfg.BaseURL
	}
	gc.HTTPClient = &doer{c: c}
	c.api = goopenai.NewClientWithConfig(gc)
	return c, nil
}

// Usage is what a client (or one call) spent. It has the fields of
// oracle.Usage, so oracle.Usage(u) converts it.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	// Requests is the number of HTTP attempts, retries and fallbacks
	// included.
	Requests int `json:"requests"`
	// CostUSD is the cost at Config.Price; 0 when no price is set.
	CostUSD float64 `json:"cost_usd"`
}

// Usage returns what the client has spent over all its calls.
func (c *Client) Usage() Usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.usage
}

// Mode returns the structured-output mode the client will try first on its
// next request with a schema: Config.Mode, or lower once the endpoint has
// refused a mode.
func (c *Client) Mode() Mode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mode
}
