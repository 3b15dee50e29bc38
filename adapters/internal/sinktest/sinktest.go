// Package sinktest gives the sinks' tests a real publication: a cycle
// that attune run wrote from configs/examples/attune.yaml (its files are
// in testdata/cycle; testdata/README.md says how they were made), and
// helpers shared by the fake servers.
package sinktest

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

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
