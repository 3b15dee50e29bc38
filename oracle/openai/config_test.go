package openai

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestNewValidation(t *testing.T) {
	nan := math.NaN()
	hot := 2.5
	for _, tc := range []struct {
		name  string
		cfg   Config
		field string
		words string
	}{
		{"no model", Config{BaseURL: "http://localhost:8000/v1"}, "Model", "is empty"},
		{"bad scheme", Config{BaseURL: "localhost:8000/v1", Model: "m"}, "BaseURL", "http or https"},
		{"no host", Config{BaseURL: "http:///v1", Model: "m"}, "BaseURL", "no host"},
		{"credentials", Config{BaseURL: "https://user:sk-pw@proxy.example/v1", Model: "m"}, "BaseURL", "credentials"},
		{"query", Config{BaseURL: "https://proxy.example/v1?key=sk-1", Model: "m"}, "BaseURL", "query"},
		{"openai without key", Config{Model: "gpt-4o-mini", APIKeyEnv: "OPENAI_API_KEY"}, "APIKey", "set OPENAI_API_KEY"},
		{"azure without key", Config{BaseURL: "https://res.openai.azure.com", Model: "gpt-4o", Azure: &Azure{}}, "APIKey", "needs a key"},
		{"negative timeout", Config{BaseURL: "http://h/v1", Model: "m", Timeout: -time.Second}, "Timeout", "positive"},
		{"negative max tokens", Config{BaseURL: "http://h/v1", Model: "m", MaxTokens: -1}, "MaxTokens", "positive"},
		{"temperature", Config{BaseURL: "http://h/v1", Model: "m", Temperature: &hot}, "Temperature", "[0, 2]"},
		{"temperature nan", Config{BaseURL: "http://h/v1", Model: "m", Temperature: &nan}, "Temperature", "[0, 2]"},
		{"budget without max tokens", Config{BaseURL: "http://h/v1", Model: "m", Budget: Budget{Tokens: 1000}}, "MaxTokens", "budget"},
		{"usd budget without price", Config{BaseURL: "http://h/v1", Model: "m", MaxTokens: 10, Budget: Budget{USD: 1}}, "Price", "Budget.USD"},
		{"negative budget", Config{BaseURL: "http://h/v1", Model: "m", Budget: Budget{Tokens: -1}}, "Budget.Tokens", "positive"},
		{"negative price", Config{BaseURL: "http://h/v1", Model: "m", Price: Price{PromptPer1K: -1}}, "Price", "negative"},
		{"mode", Config{BaseURL: "http://h/v1", Model: "m", Mode: 7}, "Mode", "ModeJSONSchema"},
		{"deployment", Config{BaseURL: "https://r.openai.azure.com", Model: "m", APIKey: "k", Azure: &Azure{Deployment: "a/b"}}, "Azure.Deployment", "bare"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil {
				t.Fatal("no error")
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err %v is not a ConfigError", err)
			}
			found := false
			for _, e := range flatten(err) {
				if errors.As(e, &ce) && ce.Field == tc.field && strings.Contains(ce.Problem, tc.words) {
					found = true
				}
			}
			if !found {
				t.Errorf("err = %v; want field %s saying %q", err, tc.field, tc.words)
			}
			if strings.Contains(err.Error(), "sk-pw") || strings.Contains(err.Error(), "sk-1") {
				t.Errorf("a credential is in the error: %v", err)
			}
		})
	}
}

// flatten lists the errors joined in err.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestNewReportsEveryBadField(t *testing.T) {
	_, err := New(Config{BaseURL: "ftp://h", MaxTokens: -1})
	fields := map[string]bool{}
	for _, e := range flatten(err) {
		var ce *ConfigError
		if errors.As(e, &ce) {
			fields[ce.Field] = true
		}
	}
	for _, f := range []string{"BaseURL", "Model", "MaxTokens"} {
		if !fields[f] {
			t.Errorf("no error for %s in %v", f, err)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(Config{Model: "gpt-4o-mini", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{BaseURL: DefaultBaseURL, Model: "gpt-4o-mini", APIKey: "k", Timeout: DefaultTimeout,
		MaxRetries: DefaultMaxRetries, BackoffBase: DefaultBackoffBase, BackoffMax: DefaultBackoffMax, MaxRetryAfter: DefaultMaxRetryAfter}
	if c.cfg.BaseURL != want.BaseURL || c.cfg.Timeout != want.Timeout || c.cfg.MaxRetries != want.MaxRetries ||
		c.cfg.BackoffBase != want.BackoffBase || c.cfg.BackoffMax != want.BackoffMax || c.cfg.MaxRetryAfter != want.MaxRetryAfter {
		t.Errorf("cfg = %+v", c.cfg)
	}
	if c.Mode() != ModeJSONSchema {
		t.Errorf("mode = %v", c.Mode())
	}
	c, err = New(Config{BaseURL: "http://localhost:11434/v1", Model: "llama3.1", MaxRetries: -1, Mode: ModeJSONObject})
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.MaxRetries != 0 || c.Mode() != ModeJSONObject {
		t.Errorf("MaxRetries %d mode %v", c.cfg.MaxRetries, c.Mode())
	}
}

func TestBackoffCeiling(t *testing.T) {
	c, err := New(Config{BaseURL: "http://h/v1", Model: "m", BackoffBase: time.Second, BackoffMax: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Over many draws each retry's wait stays under its ceiling and the
	// largest comes near it (full jitter draws from the whole range).
	for n, ceiling := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 5 * time.Second, 80: 5 * time.Second} {
		var most time.Duration
		for range 2000 {
			d := c.backoff(n)
			if d < 0 || d > ceiling {
				t.Fatalf("backoff(%d) = %v outside [0, %v]", n, d, ceiling)
			}
			most = max(most, d)
		}
		if most < ceiling*9/10 {
			t.Errorf("backoff(%d): largest of 2000 draws %v, far below %v", n, most, ceiling)
		}
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[Mode]string{ModeJSONSchema: "json_schema", ModeJSONObject: "json_object", ModePrompt: "prompt", Mode(9): "Mode(9)"} {
		if m.String() != want {
			t.Errorf("%d: %q", int(m), m.String())
		}
	}
}

func TestUnparsableBaseURLHidesIt(t *testing.T) {
	_, err := New(Config{BaseURL: "http://user:sk-hidden@[::1", Model: "m"})
	if err == nil || strings.Contains(err.Error(), "sk-hidden") {
		t.Errorf("err = %v", err)
	}
}
