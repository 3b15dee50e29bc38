// Package golden compares what a test produced with a golden file, the
// expected output kept in testdata, and rewrites the file instead when
// the test binary runs with -update (go test ./pkg/ -update). Import it
// from tests only: it defines the -update flag.
package golden

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Updating reports whether the test binary runs with -update.
func Updating() bool { return *update }

// Check compares got with the golden file at path and fails t with the
// first difference, or, under -update, writes got to path (making its
// directory).
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if d := Diff(path, string(want), string(got)); d != "" {
		t.Errorf("%s\n(go test -update rewrites the golden file if the change is intended)", d)
	}
}

// Diff describes the first line where want and got differ, in the
// manner of a unified diff, or returns "" when they are equal. Long lines
// are cut to the part around their first differing character.
func Diff(name, want, got string) string {
	if want == got {
		return ""
	}
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	var wl, gl []rune
	if i < len(w) {
		wl = []rune(w[i])
	}
	if i < len(g) {
		gl = []rune(g[i])
	}
	col := 0
	for col < len(wl) && col < len(gl) && wl[col] == gl[col] {
		col++
	}
	const context = 60
	line := func(ls []string, rs []rune) string {
		if i >= len(ls) {
			return "(end of file)"
		}
		lo, hi, pre, post := max(col-context, 0), min(col+context, len(rs)), "", ""
		if lo > 0 {
			pre = "…"
		}
		if hi < len(rs) {
			post = "…"
		}
		return fmt.Sprintf("%s%q%s", pre, string(rs[lo:hi]), post)
	}
	return fmt.Sprintf("--- %s (golden)\n+++ %s (got)\n@@ line %d, column %d @@\n-%s\n+%s",
		name, name, i+1, col+1, line(w, wl), line(g, gl))
}
