package adapters

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type fakeConfig struct{ Path string }

func (c *fakeConfig) NewSource(Env) (Source, error) { return nil, nil }

func TestRegistry(t *testing.T) {
	var r registry[SourceConfig]
	r.kind = "Source"
	r.register("zeta", func() SourceConfig { return &fakeConfig{} })
	r.register("alpha", func() SourceConfig { return &fakeConfig{} })
	a, ok := r.lookup("alpha")
	b, _ := r.lookup("alpha")
	if !ok || a == b {
		t.Fatal("lookup must give a fresh config each time")
	}
	if _, ok := r.lookup("nope"); ok {
		t.Fatal("an unknown type must not be found")
	}
	if got := strings.Join(r.names(), ","); got != "alpha,zeta" {
		t.Fatalf("names %s; want sorted", got)
	}
	for _, bad := range []string{"alpha", "", " x"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("register(%q) must panic", bad)
				}
			}()
			r.register(bad, func() SourceConfig { return &fakeConfig{} })
		}()
	}
}

func TestSecret(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tok"), []byte("  s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := Env{Dir: dir, Getenv: func(k string) string {
		if k == "GH_TOKEN" {
			return "ghp_x"
		}
		return ""
	}}
	if v, err := (Secret{Env: "GH_TOKEN"}).Resolve(env); v != "ghp_x" || err != nil {
		t.Fatalf("env secret %q %v", v, err)
	}
	if v, err := (Secret{File: "tok"}).Resolve(env); v != "s3cret" || err != nil {
		t.Fatalf("file secret %q %v", v, err)
	}
	_, err := (Secret{Env: "MISSING"}).Resolve(env)
	if !errors.Is(err, ErrNoSecret) || !strings.Contains(err.Error(), "MISSING") {
		t.Fatalf("missing variable: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "big"), make([]byte, MaxSecretBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := (Secret{File: "big"}).Resolve(env); err == nil {
		t.Fatal("an oversized secret file must be refused")
	}
	if _, err := (Secret{}).Resolve(env); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("zero secret: %v", err)
	}
	if len((Secret{Env: "A", File: "b"}).Check("token")) != 1 || len((Secret{Env: "A"}).Check("token")) != 0 {
		t.Fatal("Check must refuse a secret with both env and file")
	}
}

func TestTransient(t *testing.T) {
	base := errors.New("429")
	err := fmt.Errorf("snapshot: %w", Transient(base))
	if !IsTransient(err) || !errors.Is(err, base) {
		t.Fatal("a wrapped transient error must say so and unwrap")
	}
	if IsTransient(base) || IsTransient(nil) || Transient(nil) != nil {
		t.Fatal("unmarked errors are terminal")
	}
	if IsTransient(context.Canceled) {
		t.Fatal("cancellation is not transient")
	}
}

func TestEnvDefaults(t *testing.T) {
	var e Env
	if e.Client() == nil || e.Log() == nil || e.Env("HOME") != "" || e.Clock().IsZero() {
		t.Fatal("the zero Env must work")
	}
}

func TestNotSent(t *testing.T) {
	base := Transient(errors.New("429"))
	err := fmt.Errorf("discourse: %w", NotSent(base))
	if !IsNotSent(err) || !errors.Is(err, base) || !IsTransient(err) {
		t.Fatal("a wrapped not-sent error must say so, unwrap and keep its transience")
	}
	if IsNotSent(base) || IsNotSent(nil) || NotSent(nil) != nil {
		t.Fatal("unmarked errors may have been sent")
	}
}

func TestMarker(t *testing.T) {
	p := &Publication{Key: "attune:2026-10-28-4018bc275ab6"}
	if got := p.Marker(); got != "<!-- attune:2026-10-28-4018bc275ab6 -->" {
		t.Fatalf("Marker() = %q", got)
	}
}
