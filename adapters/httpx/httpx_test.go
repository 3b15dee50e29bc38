package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// waits records the backoff a client asked for, without waiting.
type waits struct{ d []time.Duration }

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.d = append(w.d, d)
	return ctx.Err()
}

func newClient(w *waits, o Options) *Client {
	o.Sleep = w.sleep
	return New(o)
}

func TestRetriesHonourRetryAfter(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			rw.Header().Set("Retry-After", "7")
			rw.WriteHeader(http.StatusTooManyRequests)
			_, _ = rw.Write([]byte(`{"error":"too many requests"}`))
		case 2:
			rw.WriteHeader(http.StatusBadGateway)
			_, _ = rw.Write([]byte("<html>502 Bad Gateway</html>"))
		default:
			_, _ = rw.Write([]byte(`{"data":{}}`))
		}
	}))
	defer srv.Close()
	w := &waits{}
	c := newClient(w, Options{Seed: 1})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query":"{}"}`))
	resp, err := c.Do(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != `{"data":{}}` || n.Load() != 3 {
		t.Fatalf("body %q after %d requests", resp.Body, n.Load())
	}
	if len(w.d) != 2 || w.d[0] != 7*time.Second {
		t.Fatalf("waits %v; want Retry-After's 7s first, then a backoff", w.d)
	}
	if w.d[1] > 2*DefaultBaseDelay {
		t.Fatalf("second backoff %v exceeds the full-jitter cap %v", w.d[1], 2*DefaultBaseDelay)
	}
}

// An answer larger than MaxBody fails at once: it would be as large on
// every retry.
func TestBodyTooLargeIsNotRetried(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = rw.Write([]byte(`{"data":{"votes":[` + strings.Repeat(`{"id":"0x01"},`, 100) + `{}]}}`))
	}))
	defer srv.Close()
	w := &waits{}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{}`))
	_, err := newClient(w, Options{MaxBody: 1000}).Do(context.Background(), req)
	var e *Error
	if !errors.As(err, &e) || e.Retryable || !strings.Contains(err.Error(), "exceeds 1000 bytes") {
		t.Fatalf("err %v; want a terminal error naming the limit", err)
	}
	if n.Load() != 1 || len(w.d) != 0 {
		t.Fatalf("%d requests, waits %v; want one request", n.Load(), w.d)
	}
}

func TestTerminalStatusIsNotRetried(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		n.Add(1)
		rw.WriteHeader(http.StatusUnauthorized)
		_, _ = rw.Write([]byte(`{"errors":["invalid api key"]}`))
	}))
	defer srv.Close()
	w := &waits{}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/x?api_key=s3cret&space=ens.eth", nil)
	_, err := newClient(w, Options{}).Do(context.Background(), req)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err %v; want *Error", err)
	}
	if n.Load() != 1 || e.Status != 401 || e.Retryable || e.Transient() {
		t.Fatalf("requests %d, error %+v; want one attempt, 401, terminal", n.Load(), e)
	}
	if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "space=ens.eth") || !strings.Contains(err.Error(), "invalid api key") {
		t.Fatalf("error %q must redact the key and keep the rest", err)
	}
}

func TestGivesUpAfterMaxRetries(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		n.Add(1)
		rw.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	w := &waits{}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	_, err := newClient(w, Options{MaxRetries: 2}).Do(context.Background(), req)
	var e *Error
	if !errors.As(err, &e) || !e.Transient() || e.Attempts != 3 || n.Load() != 3 {
		t.Fatalf("err %v after %d requests; want a transient error after 3 attempts", err, n.Load())
	}
}

func TestRetryAfterBeyondCapStops(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		n.Add(1)
		rw.Header().Set("Retry-After", "3600")
		rw.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	_, err := newClient(&waits{}, Options{}).Do(context.Background(), req)
	var e *Error
	if !errors.As(err, &e) || e.RetryAfter != time.Hour || n.Load() != 1 || !e.Transient() {
		t.Fatalf("err %v, %d requests; want one request and a transient error asking for 1h", err, n.Load())
	}
}

func TestNetworkFailureIsRetriedThenReported(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	u := srv.URL
	srv.Close() // nothing listens any more
	w := &waits{}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	_, err := newClient(w, Options{MaxRetries: 1}).Do(context.Background(), req)
	var e *Error
	if !errors.As(err, &e) || e.Status != 0 || e.Err == nil || !e.Transient() || len(w.d) != 1 {
		t.Fatalf("err %v, waits %v; want a transient network error after one retry", err, w.d)
	}
}

func TestBodyCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		_, _ = rw.Write([]byte(strings.Repeat("x", 100)))
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	_, err := newClient(&waits{}, Options{MaxBody: 10, MaxRetries: -1}).Do(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "exceeds 10 bytes") {
		t.Fatalf("err %v; want the body cap named", err)
	}
}

func TestBodyIsResentOnRetry(t *testing.T) {
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b := make([]byte, 64)
		k, _ := r.Body.Read(b)
		bodies = append(bodies, string(b[:k]))
		if len(bodies) == 1 {
			rw.WriteHeader(http.StatusInternalServerError)
			return
		}
		rw.Header().Set("X-Test", "ok")
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("payload"))
	resp, err := newClient(&waits{}, Options{Header: http.Header{"User-Agent": {"attune-test"}}}).Do(context.Background(), req)
	if err != nil || resp.Header.Get("X-Test") != "ok" {
		t.Fatal(err)
	}
	if len(bodies) != 2 || bodies[0] != "payload" || bodies[1] != "payload" {
		t.Fatalf("bodies %q; want the payload sent twice", bodies)
	}
}

func TestCancelledContextStops(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c := New(Options{Sleep: func(context.Context, time.Duration) error { cancel(); return context.Canceled }})
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	_, err := c.Do(ctx, req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v; want context.Canceled", err)
	}
}

func TestBackoffIsSeeded(t *testing.T) {
	a, b := New(Options{Seed: 9}), New(Options{Seed: 9})
	for n := 1; n <= 6; n++ {
		if x, y := a.backoff(n), b.backoff(n); x != y || x > DefaultMaxDelay {
			t.Fatalf("backoff(%d) = %v and %v; want equal, within the cap", n, x, y)
		}
	}
}

func TestRedact(t *testing.T) {
	u, _ := url.Parse("https://user:pw@hub.snapshot.org/graphql?apiKey=abc&first=10")
	got := Redact(u)
	if strings.Contains(got, "abc") || strings.Contains(got, "pw") || !strings.Contains(got, "first=10") {
		t.Fatalf("Redact = %q", got)
	}
}

// A snippet is one line of valid UTF-8 however the cut falls: a
// character cut in half becomes "?".
func TestSnippet(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"ab€cd", 3, "ab?..."},
		{"line one\n\tline two", 100, "line one line two"},
		{"bad \xff byte", 100, "bad ? byte"},
	} {
		got := Snippet(tc.in, tc.n)
		if got != tc.want || !utf8.ValidString(got) {
			t.Errorf("Snippet(%q, %d) = %q; want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
