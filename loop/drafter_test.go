package loop

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/oracle/llm"
	"github.com/attune-dao/attune/oracle/openai/openaitest"
)

// keepDraft is an LLM draft that passes verification on a recommendation
// that changes nothing.
const keepDraft = `{"title": "Keep the governance settings as they are", "opening": "We propose to keep every governance parameter at its value in force.", "motivation": "The model was fitted to the record from {{window.start}} to {{window.end}}, and no setting the search tried was clearly better.", "effects": "Nothing changes, so no outcome is expected to move.", "trade_off": "Keeping the settings gives up nothing measured."}`

// newChatServer is an OpenAI-compatible endpoint that answers every
// chat completion with status (OpenAI's server error when it is not 200)
// or with content.
func newChatServer(t *testing.T, status int, content string) *openaitest.Server {
	t.Helper()
	if status != http.StatusOK {
		return openaitest.NewServer(t, openaitest.Reply{Status: status, Body: openaitest.ServerErrorBody})
	}
	return openaitest.NewServer(t, openaitest.OK(content))
}

func openaiConfig(t *testing.T, url string) *config.Config {
	t.Helper()
	cfg := small(t, nil)
	cfg.Oracle = config.Oracle{Provider: "openai", BaseURL: url + "/v1", Model: "llama3.1", APIKeyEnv: "LLM_KEY"}
	return cfg
}

func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func TestNewDrafter(t *testing.T) {
	srv := newChatServer(t, http.StatusInternalServerError, "")
	cfg := openaiConfig(t, srv.URL)
	getenv := func(k string) string {
		if k == "LLM_KEY" {
			return "sk-test"
		}
		return ""
	}
	d, err := NewDrafter(cfg, DrafterOptions{Getenv: getenv, Sleep: noSleep})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.(*llm.Drafter); !ok {
		t.Fatalf("drafter %T, want *llm.Drafter", d)
	}
	// max_retries 0 means 4 retries: 5 attempts, then the template.
	p, err := d.Draft(context.Background(), goldenRec(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.Requests()) != 5 || !p.Meta.FellBack {
		t.Errorf("%d requests, meta %+v; want 5 and a fallback", len(srv.Requests()), p.Meta)
	}

	if d, err := NewDrafter(cfg, DrafterOptions{Provider: "template", Getenv: getenv}); err != nil || d != (oracle.Template{}) {
		t.Errorf("--provider template: %T, %v", d, err)
	}
	// The registry builds the template in the configured language, and
	// refuses a provider nobody registered, naming those that are.
	cfg.Oracle.Language = "de"
	if d, err := NewDrafter(cfg, DrafterOptions{Provider: "template"}); err != nil || d != (oracle.Template{Language: "de"}) {
		t.Errorf("template in de: %#v, %v", d, err)
	}
	if _, err := NewDrafter(cfg, DrafterOptions{Provider: "anthropic"}); !errors.Is(err, config.ErrInvalid) ||
		!strings.Contains(err.Error(), `oracle.provider: "anthropic" is not a provider; use one of openai, template`) {
		t.Errorf("unknown provider: %v", err)
	}
	cfg.Oracle.Language = ""
	_, err = NewDrafter(cfg, DrafterOptions{Getenv: func(string) string { return "" }})
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "oracle.api_key_env: names LLM_KEY") {
		t.Errorf("unset key: %v", err)
	}
	cfg.Oracle.APIKeyEnv = ""
	cfg.Oracle.BaseURL = "https://api.openai.com/v1"
	if _, err = NewDrafter(cfg, DrafterOptions{}); !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "oracle.api_key_env") {
		t.Errorf("OpenAI without a key: %v", err)
	}
}

// goldenRec is the Compound golden cycle's recommendation.
func goldenRec(t *testing.T) oracle.Recommendation {
	t.Helper()
	rec, err := ReadRecommendation(filepath.Join("testdata", "golden", "compound"))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// goldenCycle copies the Compound golden cycle's recommendation into a
// cycle directory under a fresh out directory.
func goldenCycle(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "2022-12-31-abc")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "golden", "compound", "recommendation.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "recommendation.json"), b, 0o644)
	return dir
}

func TestRedraft(t *testing.T) {
	dir := goldenCycle(t)
	// The template reproduces the run's proposal byte for byte.
	if _, err := Redraft(context.Background(), dir, oracle.Template{}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "proposal.md"))
	want, _ := os.ReadFile(filepath.Join("testdata", "golden", "compound", "proposal.md"))
	if string(got) != string(want) {
		t.Errorf("the template's redraft differs from the golden proposal")
	}
	var rec draftRecord
	b, _ := os.ReadFile(filepath.Join(dir, DraftFile))
	if err := json.Unmarshal(b, &rec); err != nil || rec.Drafter != "template" {
		t.Errorf("draft.json %s: %v", b, err)
	}

	// An LLM draft replaces it, and draft.json says how it was made.
	srv := newChatServer(t, http.StatusOK, keepDraft)
	cfg := openaiConfig(t, srv.URL)
	cache := filepath.Join(filepath.Dir(dir), DraftsDir)
	d, err := NewDrafter(cfg, DrafterOptions{CacheDir: cache, Getenv: func(string) string { return "k" }})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Redraft(context.Background(), dir, d)
	if err != nil {
		t.Fatal(err)
	}
	if p.Meta.FellBack {
		t.Fatalf("fell back: %s", p.Meta.FallbackReason)
	}
	got, _ = os.ReadFile(filepath.Join(dir, "proposal.md"))
	if string(got) != p.Markdown || !strings.Contains(string(got), "Keep the governance settings as they are") {
		t.Errorf("proposal.md is not the LLM's draft")
	}
	b, _ = os.ReadFile(filepath.Join(dir, DraftFile))
	if err := json.Unmarshal(b, &rec); err != nil || rec.Meta.Drafter != "openai" || rec.Meta.Model != "llama3.1" || rec.Meta.Usage == nil || rec.Meta.Usage.Requests != 1 {
		t.Errorf("draft.json %s: %v", b, err)
	}
	// Again: from the cache, no request.
	if p, err = Redraft(context.Background(), dir, d); err != nil || !p.Meta.Cached || len(srv.Requests()) != 1 {
		t.Errorf("second redraft: %v, meta %+v, %d requests", err, p.Meta, len(srv.Requests()))
	}
	// A cycle directory without a recommendation is named.
	if _, err := Redraft(context.Background(), t.TempDir(), oracle.Template{}); err == nil || !strings.Contains(err.Error(), "recommendation.json") {
		t.Errorf("empty dir: %v", err)
	}
}

func FuzzDecodeRecommendation(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "golden", "compound", "recommendation.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"params": [{"name": "quorum", "current": 1e400}]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := decodeRecommendation(data, "recommendation.json")
		if err != nil {
			return
		}
		// What it accepts can be drafted.
		if _, err := (oracle.Template{}).Draft(context.Background(), rec); err != nil {
			t.Fatalf("accepted a recommendation the template cannot draft: %v", err)
		}
	})
}

// The config accepts exactly the languages the oracle drafts in (config
// cannot import oracle to share the list).
func TestConfigLanguagesAreTheOracles(t *testing.T) {
	if !slices.Equal(config.Languages, oracle.Languages) {
		t.Errorf("config.Languages %v, oracle.Languages %v", config.Languages, oracle.Languages)
	}
}
