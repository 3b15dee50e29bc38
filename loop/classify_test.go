package loop

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/httpx"
	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/store"
)

// httpErr is what httpx returns for a server answering status with body
// (GitHub REST API error shapes, docs.github.com/rest/using-the-rest-api).
func httpErr(t *testing.T, status int, body string) error {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "60")
			w.Header().Set("X-RateLimit-Remaining", "0")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	c := httpx.New(httpx.Options{MaxRetries: -1})
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/repos/attune-dao/attune/issues", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(context.Background(), req)
	if err == nil {
		t.Fatalf("HTTP %d gave no error", status)
	}
	return err
}

// refused is the error of a request to a port nothing listens on.
func refused(t *testing.T) error {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	c := httpx.New(httpx.Options{MaxRetries: -1})
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	_, err = c.Do(context.Background(), req)
	return err
}

// sqliteBusy is a real SQLITE_BUSY: a write while another connection
// holds the write lock, without a busy timeout.
func sqliteBusy(t *testing.T) error {
	t.Helper()
	path := filepath.Join(t.TempDir(), "busy.db")
	ctx := context.Background()
	var dbs [2]*sql.DB
	for i := range dbs {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	if _, err := dbs[0].ExecContext(ctx, `CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	conn, err := dbs[0].Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	_, err = dbs[1].ExecContext(ctx, `INSERT INTO t VALUES (1)`)
	_, _ = conn.ExecContext(ctx, `ROLLBACK`)
	return err
}

func TestClassify(t *testing.T) {
	dir := t.TempDir()
	badConfig := filepath.Join(dir, "dao.yaml")
	if err := os.WriteFile(badConfig, []byte("dao: {name: X, model: tokenvote}\nschedul: \"@daily\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, cfgErr := config.Load(config.LoadOptions{File: badConfig, Env: []string{}})
	_, metricsErr := metrics.Parse([]byte(`{"dao": "X", "window": {"start": "2026-05-01T00:00:00Z", "end": "2026-10-28T00:00:00Z"}, "gini": 1.5}`), "metrics.json")
	_, histErr := history.Parse([]byte(`{"dao": "X", "proposals": [{"id": "1"}]}`), "history.json")
	_, missing := os.ReadFile(filepath.Join(dir, "nope.json"))
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dir, "attune.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, notFound := st.Cycle(context.Background(), 42)
	release, err := st.Lock(context.Background(), "X")
	if err != nil {
		t.Fatal(err)
	}
	_, locked := st.Lock(context.Background(), "X")
	_ = release()
	deadline, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-deadline.Done()
	canceled, stop := context.WithCancel(context.Background())
	stop()

	for _, c := range []struct {
		name string
		err  error
		want Class
	}{
		{"config", cfgErr, Class{Terminal, CauseConfig}},
		{"metrics", metricsErr, Class{Terminal, CauseData}},
		{"history", histErr, Class{Terminal, CauseData}},
		{"poor fit", fmt.Errorf("cycle: %w: simulated turnout 0.1 against 0.2", ErrPoorFit), Class{Terminal, CausePoorFit}},
		{"missing file", missing, Class{Terminal, CauseInput}},
		{"unknown cycle", notFound, Class{Terminal, CauseRequest}},
		{"lock held", locked, Class{Transient, CauseLocked}},
		{"HTTP 503", httpErr(t, 503, `{"message":"Service Unavailable"}`), Class{Transient, CauseNetwork}},
		{"HTTP 429", httpErr(t, 429, `{"message":"API rate limit exceeded for 203.0.113.7.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}`), Class{Transient, CauseRateLimit}},
		{"HTTP 404", httpErr(t, 404, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/issues/issues#list-repository-issues"}`), Class{Terminal, CauseInternal}},
		{"refused", refused(t), Class{Transient, CauseNetwork}},
		{"marked transient", adapters.Transient(errors.New("exec: no result within the timeout")), Class{Transient, CauseNetwork}},
		{"deadline", fmt.Errorf("read: %w", deadline.Err()), Class{Transient, CauseNetwork}},
		{"cancelled", fmt.Errorf("search: %w", canceled.Err()), Class{Terminal, CauseCanceled}},
		{"SQLite busy", fmt.Errorf("store: advance: %w", sqliteBusy(t)), Class{Transient, CauseDatabase}},
		{"other", errors.New("disk on fire"), Class{Terminal, CauseInternal}},
		{"nil", nil, Class{}},
	} {
		if c.err == nil && c.name != "nil" {
			t.Errorf("%s: no error to classify", c.name)
			continue
		}
		if got := Classify(c.err); got != c.want {
			t.Errorf("%s: Classify(%v) = %v/%s, want %v/%s", c.name, c.err, got.Kind, got.Cause, c.want.Kind, c.want.Cause)
		}
	}
}
