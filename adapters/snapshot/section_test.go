package snapshot_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/snapshot"
	"github.com/attune-dao/attune/config"
)

// TestSection decodes a config file's snapshot section the way the loop
// does: strictly, with the file's lines in errors.
func TestSection(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "attune.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	load := func(body string) (*config.Config, *snapshot.Config, error) {
		c, err := config.Load(config.LoadOptions{File: write(body), Env: []string{}})
		if err != nil {
			t.Fatal(err)
		}
		sc, _ := adapters.NewSourceConfig("snapshot")
		s := sc.(*snapshot.Config)
		return c, s, c.DecodeSection("sources[0]", c.Sources[0].Settings, s)
	}
	_, s, err := load(`
sources:
  - type: snapshot
    window_days: 180
    space: ens.eth
    supply: 100000000
    since: 2024-01-01
    api_key: {env: SNAPSHOT_API_KEY}
    per_minute: 90
    page_size: 500
    max_votes: 1000000
    timeout: 45s
    symbol: ENS
    base_url: https://hub.snapshot.org/graphql
`)
	if err != nil {
		t.Fatal(err)
	}
	// YAML reads an unquoted date as a timestamp: since arrives in RFC 3339.
	want := snapshot.Config{Space: "ens.eth", Supply: 1e8, Since: "2024-01-01T00:00:00Z", APIKey: adapters.Secret{Env: "SNAPSHOT_API_KEY"},
		PerMinute: 90, PageSize: 500, MaxVotes: 1_000_000, Timeout: "45s", Symbol: "ENS", BaseURL: "https://hub.snapshot.org/graphql"}
	if *s != want {
		t.Fatalf("decoded %+v\nwant    %+v", *s, want)
	}
	if errs := s.Check(); len(errs) != 0 {
		t.Fatal(errs)
	}
	_, _, err = load(`
sources:
  - type: snapshot
    space: ens.eth
    suply: 100000000
`)
	if err == nil || !strings.Contains(err.Error(), ":5:") || !strings.Contains(err.Error(), `unknown key "suply"`) {
		t.Fatalf("err %v; want the unknown key and its line", err)
	}
}
