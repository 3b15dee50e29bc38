// Package sinktest helps test sinks and what publishes through them: a
// real publication, a cycle that attune run wrote from
// configs/examples/attune.yaml (its files are in testdata/cycle;
// testdata/README.md says how they were made), and the scripted replies
// the fake servers (discoursetest, githubtest, webhooktest) give before
// they answer themselves.
package sinktest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/oracle"
)

// CycleDir is the directory of the fixture cycle.
func CycleDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("sinktest: cannot locate the fixture")
	}
	return filepath.Join(filepath.Dir(file), "testdata", "cycle")
}

// Publication is the fixture cycle as a sink receives it: a recommended
// change of three parameters, its post and appendix, and the chart.
func Publication(t testing.TB) *adapters.Publication {
	t.Helper()
	dir := CycleDir(t)
	var rec oracle.Recommendation
	readJSON(t, filepath.Join(dir, "recommendation.json"), &rec)
	var doc oracle.ProposalDocument
	readJSON(t, filepath.Join(dir, "proposal.json"), &doc)
	chart, err := os.ReadFile(filepath.Join(dir, oracle.DefaultChartFile))
	if err != nil {
		t.Fatal(err)
	}
	p := oracle.Proposal{Title: doc.Title, Post: doc.Post, Appendix: doc.Appendix,
		Markdown: doc.Post + oracle.Separator + doc.Appendix, Drafter: doc.Drafter.Drafter, Meta: doc.Drafter}
	return &adapters.Publication{CycleID: rec.CycleID, DAO: rec.DAO, Key: "attune:" + rec.CycleID,
		Recommendation: &rec, Proposal: &p,
		Files: []adapters.File{{Name: oracle.DefaultChartFile, ContentType: "image/png", Data: chart}}}
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// Getenv is an environment holding only vars.
func Getenv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// Reply is an answer a fake server gives instead of handling a request:
// a status with its headers and body, or, with Hang, no answer until the
// client gives up (a timeout).
type Reply struct {
	Status int
	Header http.Header
	Body   string
	Hang   bool
}

// Script is a queue of replies a fake server gives before it handles
// requests itself. It is safe for concurrent use.
type Script struct {
	mu    sync.Mutex
	queue []Reply
}

// Push queues replies, in order.
func (s *Script) Push(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, r...)
}

// Serve answers with the next queued reply and reports true, or reports
// false when the queue is empty.
func (s *Script) Serve(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	if len(s.queue) == 0 {
		s.mu.Unlock()
		return false
	}
	next := s.queue[0]
	s.queue = s.queue[1:]
	s.mu.Unlock()
	if next.Hang {
		// Read the body first: the server notices the client leaving
		// only once it has.
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
		return true
	}
	for k, vs := range next.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(next.Status)
	io.WriteString(w, next.Body)
	return true
}

// CopyCycle copies the cycle directory src (CycleDir for the fixture)
// into a fresh out directory as out/<id>, with sinks (YAML list items,
// each line indented by two spaces) as its config's sinks, and returns
// the copy. A src without a config.yaml gets one holding only sinks.
func CopyCycle(t testing.TB, src, id, sinks string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	cfg := []byte("sinks: []\n")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "config.yaml" {
			cfg = b
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Contains(cfg, []byte("sinks: []\n")) {
		t.Fatalf("%s/config.yaml has no empty sinks to replace", src)
	}
	cfg = bytes.Replace(cfg, []byte("sinks: []\n"), []byte("sinks:\n"+sinks), 1)
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Sleeps stands for httpx's Sleep in tests: it records each wait
// between retries instead of waiting.
type Sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

// Sleep records d and returns ctx's error.
func (s *Sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

// Waits are the waits recorded, in order.
func (s *Sleeps) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// Counter counts a fake server's requests by endpoint. It is safe for
// concurrent use.
type Counter struct {
	mu sync.Mutex
	n  map[string]int
}

// Count counts a request to endpoint.
func (c *Counter) Count(endpoint string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[endpoint]++
}

// Calls is how many requests endpoint had.
func (c *Counter) Calls(endpoint string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[endpoint]
}
