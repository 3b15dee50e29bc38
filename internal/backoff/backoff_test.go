package backoff

import (
	"context"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		h    map[string]string
		want time.Duration
	}{
		{nil, 0},
		{map[string]string{"Retry-After": "12"}, 12 * time.Second},
		{map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond},
		{map[string]string{"Retry-After": "0"}, 0},
		{map[string]string{"Retry-After": "-3"}, 0},
		{map[string]string{"Retry-After": "soon"}, 0},
		{map[string]string{"Retry-After": "NaN"}, 0},
		{map[string]string{"Retry-After": "1e300"}, 0},
		{map[string]string{"Retry-After": "Tue, 24 Nov 2026 12:00:30 GMT"}, 30 * time.Second},
		{map[string]string{"Retry-After": "Tue, 24 Nov 2026 11:00:00 GMT"}, 0},
		{map[string]string{"Retry-After-Ms": "1500", "Retry-After": "9"}, 1500 * time.Millisecond},
		{map[string]string{"Retry-After-Ms": "junk", "Retry-After": "3"}, 3 * time.Second},
	} {
		h := http.Header{}
		for k, v := range tc.h {
			h.Set(k, v)
		}
		if got := RetryAfter(h, now); got != tc.want {
			t.Errorf("RetryAfter(%v) = %v; want %v", tc.h, got, tc.want)
		}
	}
}

func TestCeiling(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 5 * time.Second}, {40, 5 * time.Second}, {63, 5 * time.Second}, {1000, 5 * time.Second}, {0, 5 * time.Second}} {
		if got := Ceiling(tc.n, time.Second, 5*time.Second); got != tc.want {
			t.Errorf("Ceiling(%d) = %v; want %v", tc.n, got, tc.want)
		}
	}
}

// Full jitter draws from the whole range, seeded: the same seed gives the
// same waits, every wait within the ceiling, the largest near it.
func TestJitter(t *testing.T) {
	a, b := rand.New(rand.NewPCG(7, 0)), rand.New(rand.NewPCG(7, 0))
	var most time.Duration
	for range 2000 {
		x, y := Jitter(a, 3, time.Second, time.Minute), Jitter(b, 3, time.Second, time.Minute)
		if x != y || x < 0 || x > 4*time.Second {
			t.Fatalf("draws %v and %v; want equal, in [0, 4s]", x, y)
		}
		most = max(most, x)
	}
	if most < 3600*time.Millisecond {
		t.Errorf("largest of 2000 draws %v, far below 4s", most)
	}
}

func TestSleepEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("err %v; want context.Canceled", err)
	}
	if err := Sleep(context.Background(), 0); err != nil {
		t.Fatalf("err %v for no wait", err)
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"12", "1e400", "Tue, 24 Nov 2026 12:00:30 GMT", "", "NaN", "-1", "0x10"} {
		f.Add(s, "")
	}
	f.Add("", "250")
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, after, ms string) {
		h := http.Header{"Retry-After": {after}, "Retry-After-Ms": {ms}}
		if d := RetryAfter(h, now); d < 0 {
			t.Fatalf("RetryAfter(%q, %q) = %v; want a wait of 0 or more", after, ms, d)
		}
	})
}
