package markdown

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/sinktest"
)

func newSink(t *testing.T, dir string, env adapters.Env) *Sink {
	t.Helper()
	c, ok := adapters.NewSinkConfig(Type)
	if !ok {
		t.Fatal("markdown is not registered")
	}
	c.(*Config).Dir = dir
	s, err := c.NewSink(env)
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Sink)
}

// The post, the appendix and the chart land under <dir>/<cycle-id>/, the
// relative dir against the config's directory; the receipt lists them.
func TestPublishWritesThePostTheAppendixAndTheChart(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	s := newSink(t, "proposals", adapters.Env{Dir: base})
	p := sinktest.Publication(t)
	if _, found, err := s.Find(ctx, p); found || err != nil {
		t.Fatalf("found %v (%v) before publishing", found, err)
	}
	r, err := s.Publish(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "proposals", p.CycleID)
	if r.ID != dir || len(r.Files) != 3 {
		t.Fatalf("receipt %+v; want the directory %s and three files", r, dir)
	}
	post, _ := os.ReadFile(filepath.Join(dir, PostFile))
	appendix, _ := os.ReadFile(filepath.Join(dir, AppendixFile))
	chart, _ := os.ReadFile(filepath.Join(dir, "objectives.png"))
	if !strings.HasPrefix(string(post), p.Proposal.Post[:200]) || !strings.HasSuffix(string(post), "<!-- attune:"+p.CycleID+" -->\n") {
		t.Errorf("post.md holds the post and ends with the key:\n%s", post)
	}
	if string(appendix) != p.Proposal.Appendix || !bytes.Equal(chart, p.Files[0].Data) {
		t.Error("appendix.md or the chart differ from the publication")
	}
	for _, f := range r.Files {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("receipt lists %s: %v", f, err)
		}
	}
	got, found, err := s.Find(ctx, p)
	if !found || err != nil || got.ID != dir || len(got.Files) != 3 {
		t.Errorf("Find after publishing: %+v %v %v", got, found, err)
	}
	// Another cycle's publication is not this one.
	other := *p
	other.Key = "attune:another"
	if _, found, _ := s.Find(ctx, &other); found {
		t.Error("Find took another key's post for its own")
	}
	// No temporary file is left beside them.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("directory holds %d entries", len(entries))
	}
}

// Preview lists what Publish writes, byte for byte, and writes nothing.
func TestPreviewMatchesWhatIsWritten(t *testing.T) {
	base := t.TempDir()
	s := newSink(t, base, adapters.Env{})
	p := sinktest.Publication(t)
	out, err := s.Preview(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(base); len(entries) != 0 {
		t.Fatal("Preview wrote files")
	}
	if _, err := s.Publish(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		b, err := os.ReadFile(o.Target)
		if err != nil || !bytes.Equal(b, o.Body) {
			t.Errorf("%s: preview differs from the file written (%v)", o.Target, err)
		}
	}
}

// A name that would leave the directory is refused before anything is
// written, and marked as not sent.
func TestNamesThatEscapeAreRefused(t *testing.T) {
	base := t.TempDir()
	s := newSink(t, base, adapters.Env{})
	for _, mutate := range []func(p *adapters.Publication){
		func(p *adapters.Publication) { p.Files[0].Name = "../escape.png" },
		func(p *adapters.Publication) { p.Files[0].Name = PostFile },
		func(p *adapters.Publication) { p.CycleID = ".." },
		func(p *adapters.Publication) { p.Proposal = nil },
	} {
		p := sinktest.Publication(t)
		mutate(p)
		_, err := s.Publish(context.Background(), p)
		if err == nil || !adapters.IsNotSent(err) {
			t.Errorf("err %v; want a refusal marked not sent", err)
		}
	}
	if entries, _ := os.ReadDir(base); len(entries) != 0 {
		t.Errorf("refused publications wrote %d entries", len(entries))
	}
}

func TestCheckWantsADir(t *testing.T) {
	if errs := (&Config{}).Check(); len(errs) != 1 || errs[0].Field != "dir" {
		t.Errorf("Check() = %v", errs)
	}
	if _, err := (&Config{Dir: " "}).NewSink(adapters.Env{}); err == nil {
		t.Error("NewSink accepted an empty dir")
	}
}
