package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	if d := Diff("f", "a\nb\n", "a\nb\n"); d != "" {
		t.Errorf("equal texts: %q", d)
	}
	d := Diff("f.md", "one\ntwo three\nfour\n", "one\ntwo free\nfour\n")
	for _, want := range []string{"--- f.md (golden)", "+++ f.md (got)", "@@ line 2, column 5 @@", `-"two three"`, `+"two free"`} {
		if !strings.Contains(d, want) {
			t.Errorf("diff %q lacks %q", d, want)
		}
	}
	if d := Diff("f", "a", "a\nmore"); !strings.Contains(d, "line 2") || !strings.Contains(d, "(end of file)") {
		t.Errorf("longer got: %q", d)
	}
	long := strings.Repeat("x", 200)
	if d := Diff("f", long+"a", long+"b"); !strings.Contains(d, "…") || len(d) > 400 {
		t.Errorf("a long line is not cut around the difference: %q", d)
	}
}

// failT records whether Check failed, without failing the test.
type failT struct {
	testing.TB
	failed bool
}

func (f *failT) Errorf(string, ...any) { f.failed = true }
func (f *failT) Fatalf(string, ...any) { f.failed = true }
func (f *failT) Helper()               {}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.txt")
	os.WriteFile(path, []byte("same\n"), 0o644)
	ok := &failT{TB: t}
	Check(ok, path, []byte("same\n"))
	bad := &failT{TB: t}
	Check(bad, path, []byte("other\n"))
	missing := &failT{TB: t}
	Check(missing, path+".none", []byte("x"))
	if ok.failed || !bad.failed || !missing.failed {
		t.Errorf("failed: equal %v, different %v, missing %v; want false, true, true", ok.failed, bad.failed, missing.failed)
	}
}
