package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attune-dao/attune/schema"
)

// sourcesConfig writes a config whose sources section is sources (YAML)
// and returns its path.
func sourcesConfig(t *testing.T, sources string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "attune.yaml")
	if err := os.WriteFile(path, []byte("sources:\n"+sources), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSourcesCheck(t *testing.T) {
	hist, err := filepath.Abs("../../configs/examples/compound/history.json")
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "sources", "check")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"sources[0] (history): ok in", "history of Compound from embedded:examples/compound/history.json",
		"99 proposals, 7733 votes, 2021-04-14 to 2022-12-31", "1 supply point; parameters over time: proposal_threshold, quorum, voting_delay_days, voting_period_days"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}

	// One source fails to run: the other is still checked, the failure is
	// printed with its source, and the exit status is a runtime failure.
	cfg := sourcesConfig(t, "  - {type: history, path: "+hist+"}\n  - {type: exec, command: [sh, -c, 'echo upstream down >&2; exit 3']}\n")
	code, stdout, stderr = run(t, "sources", "check", "--config", cfg, "-o", "json")
	if code != exitRuntime || !strings.Contains(stderr, "1 of 2 sources failed") {
		t.Errorf("failing command: exit %d, stderr %q", code, stderr)
	}
	if err := schema.Validate([]byte(stdout)); err != nil {
		t.Fatal(err)
	}
	var doc schema.SourcesDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OK || len(doc.Sources) != 2 || !doc.Sources[0].OK || doc.Sources[0].Proposals != 99 || doc.Sources[1].OK ||
		!strings.Contains(doc.Sources[1].Error, "exit status 3; standard error ends:\n    upstream down") {
		t.Errorf("document %+v", doc)
	}
	code, stdout, _ = run(t, "sources", "check", "--config", cfg)
	if code != exitRuntime || !strings.Contains(stdout, "sources[1] (exec): FAILED after") || !strings.Contains(stdout, "  exec sh -c") {
		t.Errorf("text: exit %d:\n%s", code, stdout)
	}

	// Bad data are a user error; so is a bad config, which reads nothing.
	t.Setenv("ATTUNE_TEST_RPC_URL", "")
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"dao": "Compound"}`), 0o644)
	for _, c := range []struct{ sources, want string }{
		{"  - {type: history, path: " + bad + "}\n", "FAILED"},
		{"  - {type: exec, command: [x], format: csv}\n", ""},
		{"  - {type: ipfs}\n", ""},
		// A secret the environment lacks is the setup's mistake too.
		{"  - {type: governor, rpc_url_env: ATTUNE_TEST_RPC_URL, family: oz, address: \"0xc0Da02939E1441F497fd74F78cE7Decb17B66529\"}\n", ""},
	} {
		code, stdout, stderr := run(t, "sources", "check", "--config", sourcesConfig(t, c.sources))
		if code != exitUser || (c.want == "" && stdout != "") || !strings.Contains(stdout, c.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2", c.sources, code, stdout, stderr)
		}
	}
}
