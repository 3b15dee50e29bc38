// Package backoff holds the waiting rules attune's retrying HTTP callers
// share (adapters/httpx for the adapters, oracle/openai for an LLM
// endpoint): the ceiling of full-jitter exponential backoff, the wait a
// server asks for in Retry-After, and a sleep that ends with its context.
package backoff

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Ceiling is the longest wait before retry n (n >= 1): base·2^(n-1),
// capped at most (and at most when the doubling overflows).
func Ceiling(n int, base, most time.Duration) time.Duration {
	if n < 1 || n-1 >= 62 {
		return most
	}
	if d := base << (n - 1); d > 0 && d < most {
		return d
	}
	return most
}

// Jitter draws the full-jitter wait before retry n from rng: uniform in
// [0, Ceiling(n, base, most)]. rng is not safe for concurrent use; the
// caller serialises draws.
func Jitter(rng *rand.Rand, n int, base, most time.Duration) time.Duration {
	return time.Duration(rng.Int64N(int64(Ceiling(n, base, most)) + 1))
}

// RetryAfter reads how long a server asks a client to wait:
// Retry-After-Ms (milliseconds, as OpenAI and Azure send it), else
// Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3). It
// returns 0 when neither is present or usable (negative, not a number,
// absurdly large, or a date already past).
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && ms < 1e12 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if !(s > 0 && s <= 1e9) { // NaN too
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// Sleep waits for d or until ctx ends, and returns ctx's error if it
// ended first (or had ended already).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
