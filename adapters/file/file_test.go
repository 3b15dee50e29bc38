package file

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/metrics"
)

// open builds the source of type typ at path through the registry, as the
// loop does.
func open(t *testing.T, typ, path, dir string) adapters.Source {
	t.Helper()
	c, ok := adapters.NewSourceConfig(typ)
	if !ok {
		t.Fatalf("type %q is not registered", typ)
	}
	c.(*Config).Path = path
	if errs := c.(adapters.Checker).Check(); len(errs) > 0 {
		t.Fatal(errs)
	}
	s, err := c.NewSource(adapters.Env{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReadsEachKind(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		typ, path string
		history   bool
		proposals int
	}{
		{History, "embedded:examples/compound/history.json", true, 99},
		{History, "../../configs/examples/lido/history.json", true, 149},
		{History, "../../history/testdata/sample-csv", true, 3},
		{Metrics, "embedded:examples/metrics.json", false, 34},
		{Metrics, "../../configs/examples/metrics.json", false, 34},
	} {
		d, err := open(t, c.typ, c.path, "").Read(ctx)
		if err != nil {
			t.Errorf("%s %s: %v", c.typ, c.path, err)
			continue
		}
		switch {
		case c.history && (d.History == nil || d.Observation != nil || len(d.History.Proposals) != c.proposals || d.History.Source != c.path):
			t.Errorf("%s: %+v", c.path, d)
		case !c.history && (d.Observation == nil || d.History != nil || d.Observation.Metrics[metrics.Proposals] != float64(c.proposals) || d.Observation.Source != c.path):
			t.Errorf("%s: %+v", c.path, d)
		}
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"dao": 3}`), 0o644)

	var fe adapters.FieldError
	_, err := open(t, History, "embedded:examples/nothing.json", "").Read(ctx)
	if !errors.As(err, &fe) || fe.Field != "path" || !strings.Contains(fe.Msg, `no bundled file "examples/nothing.json"`) {
		t.Errorf("missing bundled file: %v", err)
	}
	if _, err := open(t, History, bad, "").Read(ctx); !errors.Is(err, history.ErrInvalid) || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad history: %v", err)
	}
	if _, err := open(t, Metrics, bad, "").Read(ctx); !errors.Is(err, metrics.ErrInvalid) || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad metrics: %v", err)
	}
	if _, err := open(t, Metrics, filepath.Join(dir, "none.json"), "").Read(ctx); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := open(t, History, "embedded:examples/compound/history.json", "").Read(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	for _, typ := range []string{History, Metrics} {
		c, _ := adapters.NewSourceConfig(typ)
		errs := c.(adapters.Checker).Check()
		if len(errs) != 1 || errs[0].Field != "path" || errs[0].Msg != "is empty; a "+typ+" source needs the path of its file" {
			t.Errorf("%s without a path: %v", typ, errs)
		}
		if _, err := c.NewSource(adapters.Env{}); err == nil {
			t.Errorf("%s: NewSource without a path must fail", typ)
		}
	}
}

// A relative path is read from the working directory when it is there,
// else from the config file's directory.
func TestResolve(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ dir, path, want string }{
		{dir, "file.go", "file.go"},                                   // found here
		{dir, "h.json", filepath.Join(dir, "h.json")},                 // not here: beside the config
		{"", "h.json", "h.json"},                                      // no config file
		{dir, "/abs/h.json", "/abs/h.json"},                           // absolute
		{dir, "sub/h.json", filepath.Join(dir, "sub", "h.json")},      // nested
		{"conf", "../x/h.json", filepath.Join("conf", "../x/h.json")}, // cleaned like the loop did
	} {
		if got := Resolve(c.dir, c.path); got != c.want {
			t.Errorf("Resolve(%q, %q) = %q; want %q", c.dir, c.path, got, c.want)
		}
	}
	b, err := os.ReadFile("../../configs/examples/metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "m.json"), b, 0o644)
	d, err := open(t, Metrics, "m.json", dir).Read(context.Background())
	if err != nil || d.Observation.Source != filepath.Join(dir, "m.json") {
		t.Fatalf("relative to the config: %v %+v", err, d)
	}
}
