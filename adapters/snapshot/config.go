package snapshot

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/httpx"
)

// Defaults of the zero Config.
const (
	// DefaultBaseURL is Snapshot's public hub.
	DefaultBaseURL = "https://hub.snapshot.org/graphql"
	// DefaultPerMinute stays well inside the 100 requests a minute the hub
	// allows a client without an API key.
	DefaultPerMinute = 60
	// DefaultPageSize is the hub's largest page (its `first` limit).
	DefaultPageSize = 1000
	// DefaultMaxVotes bounds the votes one read fetches: 500 requests of
	// 1,000 votes, about nine minutes at DefaultPerMinute.
	DefaultMaxVotes = 500_000
	// DefaultTimeout bounds each request.
	DefaultTimeout = 30 * time.Second
)

// The hub's limits (snapshot-hub src/graphql/helpers.ts, ARG_LIMITS and
// src/helpers/rateLimit.ts).
const (
	maxFirst        = 1000 // `first`
	maxSkip         = 5000 // `skip`
	maxIn           = 100  // the length of an *_in list
	keylessPerMin   = 100  // requests a minute without an API key
	maxProposals    = 100_000
	maxTimeout      = 10 * time.Minute
	maxPerMinute    = 100_000
	maxVotesAllowed = 50_000_000
)

// Config is the snapshot source's section of the config: the entry in
// sources with type snapshot, minus the keys every source has (type,
// window_days, dao). Zero values mean the defaults above.
//
//	sources:
//	  - type: snapshot
//	    space: ens.eth
//	    supply: 100000000            # ENS total supply, in tokens
//	    since: 2024-01-01            # optional
//	    api_key: {env: SNAPSHOT_API_KEY}  # optional
type Config struct {
	// BaseURL is the hub's GraphQL endpoint; empty means DefaultBaseURL.
	BaseURL string `yaml:"base_url,omitempty" json:"base_url,omitempty"`
	// Space is the Snapshot space id, e.g. ens.eth.
	Space string `yaml:"space" json:"space"`
	// APIKey, optional, is sent as the x-api-key header; a key lifts the
	// hub's keyless limit of 100 requests a minute.
	APIKey adapters.Secret `yaml:"api_key,omitempty" json:"api_key,omitzero"`
	// PerMinute limits the requests sent a minute; 0 means
	// DefaultPerMinute. Without an API key it may be at most 100.
	PerMinute float64 `yaml:"per_minute,omitempty" json:"per_minute,omitempty"`
	// PageSize is how many proposals or votes one request asks for, 1 to
	// 1000; 0 means DefaultPageSize.
	PageSize int `yaml:"page_size,omitempty" json:"page_size,omitempty"`
	// MaxVotes bounds the votes one read may fetch; a space with more in
	// the proposals read is an error (set since, or raise it). 0 means
	// DefaultMaxVotes.
	MaxVotes int `yaml:"max_votes,omitempty" json:"max_votes,omitempty"`
	// Since, optional, reads only the proposals created from this date
	// (2024-01-01) or time (RFC 3339) on.
	Since string `yaml:"since,omitempty" json:"since,omitempty"`
	// Supply is the token's total supply in tokens. Snapshot publishes
	// neither the supply nor the holders, and turnout and quorum are
	// fractions of it: take it from the token contract's totalSupply.
	Supply float64 `yaml:"supply" json:"supply"`
	// Symbol, optional, overrides the space's token symbol.
	Symbol string `yaml:"symbol,omitempty" json:"symbol,omitempty"`
	// Timeout bounds each request, as a Go duration ("30s"); empty means
	// DefaultTimeout.
	Timeout string `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

func init() {
	adapters.RegisterSource("snapshot", func() adapters.SourceConfig { return &Config{} })
}

// Check reports every bad value, naming its key.
func (c *Config) Check() []adapters.FieldError {
	var errs []adapters.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, adapters.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("base_url", "is %q; want the hub's GraphQL URL, such as %s", c.BaseURL, DefaultBaseURL)
		}
	}
	switch s := c.Space; {
	case strings.TrimSpace(s) == "":
		add("space", "is empty; want the Snapshot space id, such as ens.eth (the part after #/s: in the space's address)")
	case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) || len(s) > 200:
		add("space", "is %q; want a space id such as ens.eth, without spaces", s)
	}
	errs = append(errs, c.APIKey.Check("api_key")...)
	switch p := c.PerMinute; {
	case math.IsNaN(p) || p < 0 || p > maxPerMinute:
		add("per_minute", "is %v; want the requests a minute, above 0 (0 for %d)", p, DefaultPerMinute)
	case p > keylessPerMin && c.APIKey.IsZero():
		add("per_minute", "is %v; the hub allows %d requests a minute without an API key: lower it or set api_key", p, keylessPerMin)
	}
	if c.PageSize < 0 || c.PageSize > maxFirst {
		add("page_size", "is %d; want 1 to %d (0 for %d), the hub's largest page", c.PageSize, maxFirst, DefaultPageSize)
	}
	if c.MaxVotes < 0 || c.MaxVotes > maxVotesAllowed {
		add("max_votes", "is %d; want the most votes one read may fetch, 1 to %d (0 for %d)", c.MaxVotes, maxVotesAllowed, DefaultMaxVotes)
	}
	if c.Since != "" {
		if _, err := parseSince(c.Since); err != nil {
			add("since", "is %q; want a date such as 2024-01-01 or an RFC 3339 time", c.Since)
		}
	}
	if !(c.Supply > 0) || math.IsInf(c.Supply, 0) {
		add("supply", "is %v; want the token's total supply in tokens, above 0: Snapshot does not publish it (read totalSupply on the token contract)", c.Supply)
	}
	if strings.ContainsFunc(c.Symbol, func(r rune) bool { return r < ' ' || r == 0x7f }) || len(c.Symbol) > 40 {
		add("symbol", "is %q; want a token symbol such as ENS", c.Symbol)
	}
	if c.Timeout != "" {
		if d, err := time.ParseDuration(c.Timeout); err != nil || d <= 0 || d > maxTimeout {
			add("timeout", "is %q; want a duration such as 30s, at most %v", c.Timeout, maxTimeout)
		}
	}
	return errs
}

// parseSince reads a date or an RFC 3339 time.
func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// settings are a checked Config with its defaults filled in.
type settings struct {
	url       string
	space     string
	perMinute float64
	pageSize  int
	maxVotes  int
	since     int64 // unix seconds; 0 for all
	supply    float64
	symbol    string
	timeout   time.Duration
}

// resolve checks c and fills in the defaults.
func (c *Config) resolve() (settings, error) {
	if errs := c.Check(); len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return settings{}, fmt.Errorf("snapshot source: %s", strings.Join(msgs, "; "))
	}
	s := settings{
		url: c.BaseURL, space: c.Space, perMinute: c.PerMinute, pageSize: c.PageSize,
		maxVotes: c.MaxVotes, supply: c.Supply, symbol: strings.TrimSpace(c.Symbol), timeout: DefaultTimeout,
	}
	if s.url == "" {
		s.url = DefaultBaseURL
	}
	if s.perMinute == 0 {
		s.perMinute = DefaultPerMinute
	}
	if s.pageSize == 0 {
		s.pageSize = DefaultPageSize
	}
	if s.maxVotes == 0 {
		s.maxVotes = DefaultMaxVotes
	}
	if c.Since != "" {
		t, _ := parseSince(c.Since)
		s.since = max(t.Unix(), 0)
	}
	if c.Timeout != "" {
		s.timeout, _ = time.ParseDuration(c.Timeout)
	}
	return s, nil
}

// NewSource checks c and builds the source; an API key named in c must
// be set.
func (c *Config) NewSource(env adapters.Env) (adapters.Source, error) {
	return c.newSource(env, nil)
}

// newSource is NewSource with the HTTP options tests change (the sleep
// between retries).
func (c *Config) newSource(env adapters.Env, tune func(*httpx.Options)) (*Source, error) {
	s, err := c.resolve()
	if err != nil {
		return nil, err
	}
	header := map[string][]string{
		"Content-Type": {"application/json"},
		"Accept":       {"application/json"},
		"User-Agent":   {"attune (snapshot source)"},
	}
	if !c.APIKey.IsZero() {
		key, err := c.APIKey.Resolve(env)
		if err != nil {
			return nil, fmt.Errorf("snapshot source (space %s): api_key: %w", s.space, err)
		}
		header["X-Api-Key"] = []string{key}
	}
	o := httpx.Options{
		HTTP: env.HTTP, Timeout: s.timeout, PerMinute: s.perMinute,
		Seed: 0x736e6170, Header: header, Now: env.Now,
	}
	if tune != nil {
		tune(&o)
	}
	return &Source{s: s, http: httpx.New(o), log: env.Log()}, nil
}
