package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/attune-dao/attune/internal/backoff"
)

// doer is the go-openai HTTPDoer that carries the client's resilience: it
// sends each attempt under its own Config.Timeout, reads the whole body
// within it, retries 429, 500, 502, 503, 504, network errors and attempt
// timeouts with full-jitter exponential backoff (or the server's
// Retry-After, capped), and turns every non-2xx answer into an *Error, so
// that go-openai only ever decodes a 2xx JSON body.
type doer struct {
	c *Client
}

// callKey marks a context with the per-call attempt counter.
type callKey struct{}

// callStats counts one Complete call's attempts.
type callStats struct {
	attempts int
}

// Do sends req with retries. The returned response's body is in memory.
func (d *doer) Do(req *http.Request) (*http.Response, error) {
	c := d.c
	ctx := req.Context()
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, &Error{Kind: ErrInvalid, Err: fmt.Errorf("reading the request body: %w", err)}
		}
	}
	where := redactURL(req)
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, stopped(where, attempt-1, err)
		}
		c.countAttempt(ctx)
		resp, data, err := d.attempt(ctx, req, body)
		var e *Error
		var asked time.Duration // what the server asked us to wait
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, stopped(where, attempt, ctx.Err())
			}
			e = err
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			if !json.Valid(data) {
				return nil, &Error{Kind: ErrMalformed, Status: resp.StatusCode, URL: where, Attempts: attempt,
					Message: c.redact(parseErrorBody(data).Message),
					Hint:    "the endpoint answered with a body that is not JSON; check that base_url points at an OpenAI-compatible API and not at a web page or proxy"}
			}
			resp.Body = io.NopCloser(bytes.NewReader(data))
			resp.ContentLength = int64(len(data))
			return resp, nil
		default:
			e = c.classify(resp.StatusCode, data, where)
			asked = backoff.RetryAfter(resp.Header, c.now())
		}
		e.URL, e.Attempts = where, attempt
		if !IsRetryable(e) || rejectsFormat(e) || attempt > c.cfg.MaxRetries {
			return nil, e
		}
		wait := c.backoff(attempt)
		if asked > 0 {
			wait = min(asked, c.cfg.MaxRetryAfter)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, stopped(where, attempt, err)
		}
	}
}

// attempt makes one HTTP attempt under Config.Timeout and reads the body.
// A failure to get a whole response is a retryable *Error (network or
// timeout); the caller checks ctx itself.
func (d *doer) attempt(ctx context.Context, req *http.Request, body []byte) (*http.Response, []byte, *Error) {
	actx, cancel := context.WithTimeout(ctx, d.c.cfg.Timeout)
	defer cancel()
	r := req.Clone(actx)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	fail := func(err error) *Error {
		if errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			return &Error{Kind: ErrTimeout, Hint: fmt.Sprintf("no whole response within %v; raise Timeout or use a faster model", d.c.cfg.Timeout)}
		}
		return &Error{Kind: ErrNetwork, Err: stripURL(err), Hint: "check that the endpoint is up and reachable at base_url"}
	}
	resp, err := d.c.hc.Do(r)
	if err != nil {
		return nil, nil, fail(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, nil, fail(err)
	}
	if len(data) > MaxResponseBytes {
		return nil, nil, &Error{Kind: ErrMalformed, Status: resp.StatusCode,
			Hint: fmt.Sprintf("the response body exceeds %d bytes", MaxResponseBytes)}
	}
	return resp, data, nil
}

// stripURL drops the *url.Error wrapper, whose text repeats the URL the
// Error already names.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// stopped is the error for a call whose context ended: ctx's error,
// wrapped, so that errors.Is(err, context.Canceled) holds.
func stopped(where string, attempts int, err error) error {
	return fmt.Errorf("openai: chat completion at %s stopped after %d attempt(s): %w", where, attempts, err)
}

// redactURL renders req's URL without credentials.
func redactURL(req *http.Request) string {
	u := *req.URL
	u.User = nil
	return u.String()
}

// countAttempt records one HTTP attempt for the client and for the call.
func (c *Client) countAttempt(ctx context.Context) {
	if s, ok := ctx.Value(callKey{}).(*callStats); ok {
		c.mu.Lock()
		s.attempts++
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.usage.Requests++
	c.mu.Unlock()
}

// backoff is the wait before retry n (n ≥ 1): full jitter, a uniform draw
// from [0, min(BackoffMax, BackoffBase·2^(n-1))], from the client's seeded
// source.
func (c *Client) backoff(n int) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return backoff.Jitter(c.rng, n, c.cfg.BackoffBase, c.cfg.BackoffMax)
}
