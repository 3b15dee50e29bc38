package outfile

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/attune-dao/attune/adapters"
)

func TestDirAndWrite(t *testing.T) {
	base := t.TempDir()
	env := adapters.Env{Dir: base}
	dir, err := Dir(env, "out", "2023-01-09-abc")
	if err != nil || dir != filepath.Join(base, "out", "2023-01-09-abc") {
		t.Fatalf("Dir = %s, %v", dir, err)
	}
	abs := filepath.Join(base, "elsewhere")
	if d, _ := Dir(env, abs, "c1"); d != filepath.Join(abs, "c1") {
		t.Errorf("absolute dir not kept: %s", d)
	}
	for _, bad := range []string{"", "..", "../x", "a/b", ".hidden", "a\\b"} {
		if _, err := Dir(env, "out", bad); err == nil {
			t.Errorf("Dir(cycle %q) accepted", bad)
		}
	}
	paths, err := Write(context.Background(), dir, []File{{"a.json", []byte("1")}, {"b.json", []byte("2")}})
	if err != nil || len(paths) != 2 {
		t.Fatalf("Write = %v, %v", paths, err)
	}
	if b, _ := os.ReadFile(paths[1]); string(b) != "2" {
		t.Errorf("b.json = %q", b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Write(ctx, filepath.Join(base, "never"), []File{{"a.json", nil}}); err == nil {
		t.Error("Write with a cancelled context wrote")
	}
	if _, err := os.Stat(filepath.Join(base, "never")); !os.IsNotExist(err) {
		t.Error("a cancelled Write created its directory")
	}
	data, path, found, err := Read(env, "out", "2023-01-09-abc", "b.json")
	if err != nil || !found || string(data) != "2" || path != paths[1] {
		t.Errorf("Read = %q, %s, %v, %v", data, path, found, err)
	}
	if _, _, found, err := Read(env, "out", "2023-01-09-abc", "none.json"); found || err != nil {
		t.Errorf("Read of a missing file = %v, %v", found, err)
	}
	if _, _, _, err := Read(env, "out", "..", "b.json"); err == nil {
		t.Error("Read accepted a cycle id naming another directory")
	}
	if b, err := JSON(map[string]string{"a": "<&>"}); err != nil || string(b) != "{\n  \"a\": \"<&>\"\n}\n" {
		t.Errorf("JSON = %q, %v", b, err)
	}
	out := Preview(dir, []File{{"a.json", []byte("1")}})
	if out[0].Target != paths[0] || string(out[0].Body) != "1" || out[0].ContentType != "application/json" {
		t.Errorf("Preview = %+v", out)
	}
}
