package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/attune-dao/attune/adapters"
)

// An auth file gives tokens by hash, variable or file (relative to the
// auth file) and the session key; its mistakes are named with their line
// or entry, never with a secret.
func TestLoadAuth(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("steward.token", stewardSecret+"\n")
	const key = "k3y-of-at-least-thirty-two-bytes-0123456789"
	env := adapters.Env{Getenv: func(k string) string {
		return map[string]string{"ATTUNE_TOKEN_CI": viewerSecret, "ATTUNE_SESSION_KEY": key, "SHORT": "abc"}[k]
	}}
	path := write("auth.yaml", `# who may use the desk
tokens:
  - {name: ada, role: admin, sha256: `+HashToken(adminSecret)+`}
  - {name: ci, role: viewer, env: ATTUNE_TOKEN_CI}
  - {name: sam, role: steward, file: steward.token}
session_key: {env: ATTUNE_SESSION_KEY}
`)
	a, err := LoadAuth(path, env)
	if err != nil {
		t.Fatal(err)
	}
	if string(a.SessionKey) != key || len(a.Tokens) != 3 {
		t.Fatalf("loaded %d tokens, key %q", len(a.Tokens), a.SessionKey)
	}
	set, err := newTokenSet(a.Tokens)
	if err != nil {
		t.Fatal(err)
	}
	for secret, want := range map[string]string{adminSecret: "ada", viewerSecret: "ci", stewardSecret: "sam"} {
		if tok, ok := set.lookup(secret); !ok || tok.Name != want {
			t.Errorf("%s's token: %q %v", want, tok.Name, ok)
		}
	}
	// Without a session key, none is returned (New makes a random one).
	noKey := write("nokey.yaml", "tokens: [{name: sam, role: steward, file: steward.token}]\n")
	if a, err := LoadAuth(noKey, env); err != nil || a.SessionKey != nil || len(a.Tokens) != 1 {
		t.Errorf("no session key: %+v %v", a, err)
	}

	for _, c := range []struct{ text, want string }{
		{"", "the file is empty"},
		{"tokens: []\n", "no tokens"},
		{"tokens:\n  - {name: sam, role: steward, file: steward.token}\nsesion_key: {env: X}\n", "line 3: field sesion_key not found"},
		{"tokens:\n  - {name: sam, role: steward, token: " + stewardSecret + "}\n", "line 2: field token not found"},
		{"tokens: {name: sam}\n", "line 1: cannot unmarshal"},
		{"tokens: [{name: sam, role: steward, file: steward.token}]\n---\ntokens: []\n", "more than one YAML document"},
		{"tokens: [{name: sam, role: steward, file: steward.token}]\nsession_key: {}\n", "session_key names neither env nor file"},
		{"tokens: [{name: sam, role: steward, file: steward.token}]\nsession_key: {env: A, file: b}\n", "session_key names both"},
		{"tokens: [{name: sam, role: steward, file: steward.token}]\nsession_key: {env: SHORT}\n", "session key: 3 bytes"},
		{"tokens: [{name: sam, role: steward, file: nope.token}]\n", "tokens[0] (sam): secret file:"},
		{"tokens: [{name: sam, role: owner, sha256: " + HashToken(stewardSecret) + "}]\n", `role "owner"`},
	} {
		p := write("bad.yaml", c.text)
		_, err := LoadAuth(p, env)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%q: %v; want an error naming %s and %q", c.text, err, p, c.want)
			continue
		}
		if strings.Contains(err.Error(), stewardSecret) || strings.Contains(err.Error(), "abc") {
			t.Errorf("%q: the error quotes a secret: %v", c.text, err)
		}
	}
	if _, err := LoadAuth(filepath.Join(dir, "missing.yaml"), env); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("a missing auth file: %v", err)
	}
}

// FuzzParseAuth feeds arbitrary bytes to the auth file's decoder: it
// never panics, and what it accepts lists at least one token and at most
// one place for the session key.
func FuzzParseAuth(f *testing.F) {
	for _, s := range []string{
		"tokens: [{name: sam, role: steward, sha256: " + HashToken(stewardSecret) + "}]\n",
		"tokens:\n  - {name: ci, role: viewer, env: X}\nsession_key: {file: k}\n",
		"", "tokens: []", "tokens: {a: b}", "x: 1", "tokens: [1, 2]", "---\n---\n", "tokens: [{name: a}]\nsession_key: {}\n",
		"tokens: &a [*a]", "\xff\xfe", "tokens: [{name: \"\\u0000\"}]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseAuth(data)
		if err != nil {
			if err.Error() == "" || !utf8.ValidString(err.Error()) && utf8.Valid(data) {
				t.Fatalf("error %q", err)
			}
			return
		}
		if len(c.Tokens) == 0 {
			t.Fatal("an auth file without tokens accepted")
		}
		if k := c.SessionKey; k != nil && (k.IsZero() || k.Env != "" && k.File != "") {
			t.Fatalf("session key %+v accepted", *k)
		}
	})
}
