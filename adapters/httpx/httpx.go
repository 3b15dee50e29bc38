// Package httpx is the retrying HTTP caller every adapter uses: one place
// for timeouts per attempt, bounded bodies, a client-side rate limit, and
// retries of 429, 5xx and network failures with seeded full-jitter
// backoff that honours the server's Retry-After.
//
// A non-2xx answer that is not retried, or still fails after the last
// retry, comes back as an *Error naming the operation, the URL (query
// values that look like credentials redacted), the status and the start
// of the body; Error.Transient says whether a later run may succeed.
package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/attune-dao/attune/internal/backoff"
)

// Defaults for the zero Options.
const (
	DefaultMaxRetries    = 4
	DefaultTimeout       = 30 * time.Second
	DefaultMaxBody       = 64 << 20
	DefaultBaseDelay     = 500 * time.Millisecond
	DefaultMaxDelay      = 30 * time.Second
	DefaultMaxRetryAfter = 2 * time.Minute
)

// Options configure a Client. The zero value is usable.
type Options struct {
	// HTTP sends the requests; nil means a client without a timeout of
	// its own (Timeout bounds each attempt).
	HTTP *http.Client
	// MaxRetries is how many times a failed attempt is retried; 0 means
	// DefaultMaxRetries, a negative value none.
	MaxRetries int
	// Timeout bounds each attempt, body included; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxBody bounds a response body; 0 means DefaultMaxBody.
	MaxBody int64
	// BaseDelay and MaxDelay shape the backoff: attempt n waits a uniform
	// random time in [0, min(MaxDelay, BaseDelay*2^(n-1))].
	BaseDelay, MaxDelay time.Duration
	// MaxRetryAfter caps the wait a server may ask for; a longer ask ends
	// the retries with the error.
	MaxRetryAfter time.Duration
	// PerMinute, when positive, limits requests to that many a minute
	// (bursts of up to Burst, default 1), waiting before sending.
	PerMinute float64
	Burst     int
	// Seed seeds the backoff's jitter.
	Seed uint64
	// Sleep waits for d or until ctx ends; nil means a timer. Tests
	// replace it to count waits without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for Retry-After dates; nil means time.Now.
	Now func() time.Time
	// Header is added to every request (e.g. a User-Agent).
	Header http.Header
}

// Client sends requests with retries. It is safe for concurrent use.
type Client struct {
	o       Options
	limiter *rate.Limiter
	mu      sync.Mutex
	rng     *rand.Rand
}

// New returns a Client for o.
func New(o Options) *Client {
	if o.HTTP == nil {
		o.HTTP = &http.Client{}
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = DefaultMaxRetries
	}
	if o.MaxRetries < 0 {
		o.MaxRetries = 0
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = DefaultBaseDelay
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = DefaultMaxDelay
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.Sleep == nil {
		o.Sleep = backoff.Sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := &Client{o: o, rng: rand.New(rand.NewPCG(o.Seed, 0x6874747078))}
	if o.PerMinute > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(o.PerMinute/60), max(1, o.Burst))
	}
	return c
}

// Response is a whole answer: status, headers and body in memory.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Error is a request that failed: a non-2xx answer (Status > 0), a
// network failure or a timeout (Status 0, Err set), after Attempts
// attempts.
type Error struct {
	// Op names what was asked ("POST /graphql").
	Op string
	// URL is the request's URL with credentials redacted.
	URL      string
	Status   int
	Attempts int
	// Body is the start of the answer's body, at most 512 bytes.
	Body string
	// RetryAfter is what the server asked to wait, 0 if nothing.
	RetryAfter time.Duration
	// Retryable reports whether the failure was of a kind that is
	// retried: 429, 500, 502, 503, 504, network, timeout (not a body
	// larger than MaxBody).
	Retryable bool
	Err       error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", e.Op, e.URL)
	switch {
	case e.Status > 0:
		fmt.Fprintf(&b, ": HTTP %d %s", e.Status, http.StatusText(e.Status))
	case e.Err != nil:
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if e.Body != "" {
		fmt.Fprintf(&b, ": %s", e.Body)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Transient reports whether a later run may succeed unchanged.
func (e *Error) Transient() bool { return e.Retryable }

// Retryable reports whether a status is retried.
func Retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// Do sends req, whose body must be replayable (nil, or set by
// http.NewRequest from a bytes or strings reader), and returns the
// whole 2xx answer. Anything else is an *Error, or ctx's error when ctx
// ended.
func (c *Client) Do(ctx context.Context, req *http.Request) (*Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("reading the request body: %w", err)
		}
	}
	op := req.Method + " " + req.URL.Path
	where := Redact(req.URL)
	for attempt := 1; ; attempt++ {
		if c.limiter != nil {
			if err := c.limiter.Wait(ctx); err != nil {
				return nil, c.stopped(ctx, op, where, attempt-1, err)
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, c.stopped(ctx, op, where, attempt-1, err)
		}
		resp, err := c.attempt(ctx, req, body)
		var e *Error
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, c.stopped(ctx, op, where, attempt, ctx.Err())
			}
			// A body past MaxBody would be as large next time.
			e = &Error{Retryable: !errors.Is(err, errTooLarge), Err: err}
		case resp.Status >= 200 && resp.Status < 300:
			return resp, nil
		default:
			e = &Error{Status: resp.Status, Body: snippet(resp.Body), Retryable: Retryable(resp.Status),
				RetryAfter: RetryAfter(resp.Header, c.o.Now())}
		}
		e.Op, e.URL, e.Attempts = op, where, attempt
		if !e.Retryable || attempt > c.o.MaxRetries || e.RetryAfter > c.o.MaxRetryAfter {
			return nil, e
		}
		wait := c.backoff(attempt)
		if e.RetryAfter > 0 {
			wait = e.RetryAfter
		}
		if err := c.o.Sleep(ctx, wait); err != nil {
			return nil, c.stopped(ctx, op, where, attempt, err)
		}
	}
}

// attempt makes one request under the per-attempt timeout and reads the
// whole body.
func (c *Client) attempt(ctx context.Context, req *http.Request, body []byte) (*Response, error) {
	actx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	r := req.Clone(actx)
	for k, vs := range c.o.Header {
		if r.Header.Get(k) == "" {
			r.Header[k] = vs
		}
	}
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	resp, err := c.o.HTTP.Do(r)
	if err != nil {
		return nil, c.cause(actx, ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.o.MaxBody+1))
	if err != nil {
		return nil, c.cause(actx, ctx, err)
	}
	if int64(len(data)) > c.o.MaxBody {
		return nil, fmt.Errorf("%w: the response body exceeds %d bytes", errTooLarge, c.o.MaxBody)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// errTooLarge is wrapped by the error of an answer whose body exceeds
// MaxBody, which is not retried.
var errTooLarge = errors.New("answer too large")

// cause explains a failed attempt without the URL (the Error carries a
// redacted one).
func (c *Client) cause(actx, ctx context.Context, err error) error {
	if errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		return fmt.Errorf("no whole answer within %v", c.o.Timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (c *Client) stopped(ctx context.Context, op, where string, attempts int, err error) error {
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return &Error{Op: op, URL: where, Attempts: attempts, Err: err}
}

// backoff is the full-jitter wait before retry n (n >= 1).
func (c *Client) backoff(n int) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return backoff.Jitter(c.rng, n, c.o.BaseDelay, c.o.MaxDelay)
}

// RetryAfter reads Retry-After (seconds or an HTTP date) and the
// millisecond retry-after-ms some APIs send; 0 when absent or invalid.
func RetryAfter(h http.Header, now time.Time) time.Duration { return backoff.RetryAfter(h, now) }

// secretParams are query parameters whose values Redact hides.
var secretParams = []string{"key", "token", "secret", "password", "auth", "signature", "sig"}

// Redact writes u without user info and with the values of query
// parameters whose names look like credentials replaced by REDACTED.
// Path segments are kept: put keys in headers, not paths.
func Redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	q := c.Query()
	changed := false
	for k := range q {
		lk := strings.ToLower(k)
		for _, s := range secretParams {
			if strings.Contains(lk, s) {
				q[k] = []string{"REDACTED"}
				changed = true
				break
			}
		}
	}
	if changed {
		c.RawQuery = q.Encode()
	}
	return c.String()
}

// snippet is the start of a body for an error message.
func snippet(b []byte) string {
	const n = 512
	return Snippet(string(b[:min(len(b), n+1)]), n)
}

// Snippet is the start of s for a message: at most n bytes of it, on one
// line (runs of white space made one space), valid UTF-8 (a byte that is
// not, or a character cut at the end, becomes "?"), and "..." after it
// when s was longer. Adapters quote what a server answered with it.
func Snippet(s string, n int) string {
	cut := len(s) > n
	if cut {
		s = s[:n]
	}
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "?")), " ")
	if cut {
		s += "..."
	}
	return s
}
