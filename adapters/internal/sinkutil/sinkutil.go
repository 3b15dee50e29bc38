// Package sinkutil holds what several sinks share: the opening and the
// changed parameters of a proposal for short messages, the retrying
// HTTP client and the checks of their common config keys.
package sinkutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/httpx"
	"github.com/attune-dao/attune/oracle"
)

// Summary is the post's opening: its first paragraph that is not a
// heading, a table or a rule, on one line; "" when there is none.
func Summary(post string) string {
	for _, para := range strings.Split(strings.ReplaceAll(post, "\r\n", "\n"), "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" || strings.HasPrefix(para, "#") || strings.HasPrefix(para, "|") || para == "---" {
			continue
		}
		return strings.Join(strings.Fields(para), " ")
	}
	return ""
}

// Change is one parameter a proposal changes, with its values as the
// post's table writes them ("4% (4,000,000 COMP)").
type Change struct {
	Name, From, To string
}

// Changes lists the parameters p's recommendation changes, in the post's
// order; none when it changes nothing.
func Changes(p *adapters.Publication) []Change {
	if p.Recommendation == nil || p.Proposal == nil || !p.Recommendation.Change {
		return nil
	}
	var out []Change
	for _, row := range oracle.Document(*p.Proposal, *p.Recommendation).Parameters {
		if row.Changed {
			out = append(out, Change{Name: row.PlainName, From: row.CurrentText, To: row.RecommendedText})
		}
	}
	return out
}

// Truncate cuts s to at most n runes, ending in "…" when it cut.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// Retries maps a config's max_retries to httpx.Options.MaxRetries:
// absent means httpx's default, 0 none.
func Retries(n *int) int {
	switch {
	case n == nil:
		return 0
	case *n == 0:
		return -1
	}
	return *n
}

// CheckRetries reports a negative or absurd max_retries.
func CheckRetries(n *int) []adapters.FieldError {
	if n != nil && (*n < 0 || *n > 20) {
		return []adapters.FieldError{{Field: "max_retries", Msg: fmt.Sprintf("%d: want 0 to 20 (0: no retries; leave it out for %d)", *n, httpx.DefaultMaxRetries)}}
	}
	return nil
}

// CheckURL reports a value of field that is not an absolute http(s) URL
// without credentials, query or fragment; example shows a good one.
func CheckURL(field, raw, example string) []adapters.FieldError {
	if raw == "" {
		return []adapters.FieldError{{Field: field, Msg: "is empty; give it, e.g. " + field + ": " + example}}
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return []adapters.FieldError{{Field: field, Msg: fmt.Sprintf("%q is not an http(s) URL; give one like %s", raw, example)}}
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return []adapters.FieldError{{Field: field, Msg: "holds credentials, a query or a fragment; give the site's address only, e.g. " + example + " (credentials go in their own secret key)"}}
	}
	return nil
}

// Join appends path (starting with "/") to base, dropping base's
// trailing slashes.
func Join(base, path string) string { return strings.TrimRight(base, "/") + path }

// NewClient returns the retrying client a sink sends with: env's HTTP
// client (its transport watched, see Send) and clock, maxRetries as the
// config gives it, and o's other options (tests set Sleep and Timeout).
func NewClient(env adapters.Env, maxRetries *int, o httpx.Options) *httpx.Client {
	hc := *env.Client()
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = watcher{next}
	o.HTTP = &hc
	o.MaxRetries = Retries(maxRetries)
	if o.Now == nil {
		o.Now = env.Clock
	}
	if o.Header == nil {
		o.Header = http.Header{"User-Agent": {"attune"}}
	}
	return httpx.New(o)
}

// reached records whether any attempt of one request may have been
// acted on by the server.
type reached struct {
	mu  sync.Mutex
	yes bool
}

type reachedKey struct{}

// watcher is a transport that marks a request's reached when an attempt
// fails on the network or gets an answer other than a 4xx: a 4xx is the
// server refusing before acting, anything else may follow an action.
type watcher struct{ next http.RoundTripper }

func (w watcher) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.next.RoundTrip(req)
	if r, ok := req.Context().Value(reachedKey{}).(*reached); ok && (err != nil || resp.StatusCode < 400 || resp.StatusCode >= 500) {
		r.mu.Lock()
		r.yes = true
		r.mu.Unlock()
	}
	return resp, err
}

// Send makes one request with body (nil for none) of contentType and the
// extra header, through c (made by NewClient). A failure after which
// the server surely did nothing (every attempt refused with a 4xx, or
// none made) is marked adapters.NotSent.
func Send(ctx context.Context, c *httpx.Client, method, target string, body []byte, contentType string, header http.Header) (*httpx.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r := &reached{}
	// httpx derives each attempt's context from the one Do is given.
	ctx = context.WithValue(ctx, reachedKey{}, r)
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, adapters.NotSent(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(ctx, req)
	if err != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		if !r.yes {
			return nil, adapters.NotSent(err)
		}
	}
	return resp, err
}

// Said is what a server's error answer says, for a message: its body,
// or the status's name when the body is a web page (a proxy's 502).
func Said(he *httpx.Error) string {
	b := strings.TrimSpace(he.Body)
	if b == "" || strings.HasPrefix(b, "<") {
		return http.StatusText(he.Status)
	}
	return b
}

// HTTPError returns the *httpx.Error err holds, or nil.
func HTTPError(err error) *httpx.Error {
	var he *httpx.Error
	if errors.As(err, &he) {
		return he
	}
	return nil
}

// apiError is an explained failure: msg says what the server answered
// and what to do; the error explained stays reachable (errors.As,
// adapters.IsTransient, adapters.IsNotSent) without its text repeated.
type apiError struct {
	msg string
	err error
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.err }

// Explained returns an error reading msg (with the attempts when more
// than one) that wraps err, a failure of Send holding he.
func Explained(err error, he *httpx.Error, msg string) error {
	if he.Attempts > 1 {
		msg += fmt.Sprintf(" (after %d attempts)", he.Attempts)
	}
	return &apiError{msg: msg, err: err}
}
