package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/oracle/openai/openaitest"
)

// newFactsModel is a fake OpenAI-compatible endpoint whose "model" reads
// the facts sheet in its prompt and writes a draft that cites it only by
// reference: it names each changed parameter with its values in force
// and proposed.
func newFactsModel(t *testing.T) *openaitest.Server {
	t.Helper()
	return openaitest.NewServer(t, openaitest.Reply{Answer: func(req map[string]any) string {
		var facts oracle.FactSheet
		msgs, _ := req["messages"].([]any)
		for _, m := range msgs {
			content, _ := m.(map[string]any)["content"].(string)
			if js, ok := strings.CutPrefix(content, "Facts sheet (JSON):\n"); ok {
				js, _, _ = strings.Cut(js, "\nWrite the draft.")
				if err := json.Unmarshal([]byte(js), &facts); err != nil {
					t.Errorf("the facts sheet is not JSON: %v", err)
				}
			}
		}
		draft := oracle.Prose{
			Title:      "Keep the governance settings as they are",
			Opening:    "We propose to keep every governance parameter at its value in force.",
			Motivation: "The model was fitted to the DAO's voting record, and the appendix gives the method.",
			Effects:    "The appendix gives every simulated outcome with its range.",
			TradeOff:   "The appendix lists every outcome for review.",
		}
		var moves []string
		for _, p := range facts.Params {
			if p.Change == "raise" || p.Change == "lower" {
				moves = append(moves, fmt.Sprintf("%s the %s from {{param.%s.current}} to {{param.%s.recommended}}", p.Change, p.Plain, p.Code, p.Code))
			}
		}
		if len(moves) > 0 {
			draft.Title = "Adjust the governance settings"
			draft.Opening = "We propose to " + strings.Join(moves, " and ") + "."
		}
		content, _ := json.Marshal(draft)
		return string(content)
	}})
}

func readDraftMeta(t *testing.T, dir string) oracle.DraftMeta {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "draft.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Drafter string           `json:"drafter"`
		Meta    oracle.DraftMeta `json:"meta"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	return rec.Meta
}

// A run with the openai provider drafts with the LLM; attune draft then
// redrafts from the cache without a request, or with the template.
func TestRunAndDraftWithAnLLM(t *testing.T) {
	fast(t)
	model := newFactsModel(t)
	t.Setenv("ATTUNE_ORACLE_PROVIDER", "openai")
	t.Setenv("ATTUNE_ORACLE_BASE_URL", model.BaseURL())
	t.Setenv("ATTUNE_ORACLE_MODEL", "llama3.1")
	out := t.TempDir()
	code, stdout, stderr := run(t, "run", "--out", out, "--no-track-record")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*", "proposal.md"))
	if len(dirs) != 1 {
		t.Fatalf("want one cycle under %s, found %v", out, dirs)
	}
	dir := filepath.Dir(dirs[0])
	m := readDraftMeta(t, dir)
	if m.Drafter != "openai" || m.Model != "llama3.1" || m.FellBack || m.Verification == nil || !m.Verification.Passed || len(model.Requests()) != 1 {
		t.Fatalf("draft meta %+v after %d requests; want the LLM's verified draft (stderr: %s)", m, len(model.Requests()), stderr)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "proposal.md"))
	if !strings.Contains(string(md), "We propose to") || !strings.Contains(string(md), "| Parameter | Current | Recommended |") {
		t.Errorf("proposal.md lacks the LLM's opening or the table")
	}
	// recommendation.json holds no draft metadata: the template's
	// recommendation and the LLM's are the same bytes.
	if b, _ := os.ReadFile(filepath.Join(dir, "recommendation.json")); strings.Contains(string(b), "prompt_version") {
		t.Errorf("recommendation.json holds draft metadata")
	}

	// Again, from the cache: no request, the same proposal.
	code, stdout, stderr = run(t, "draft", "--cycle", dir, "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	var got struct {
		Dir      string          `json:"dir"`
		Proposal oracle.Proposal `json:"proposal"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("draft -o json: %v\n%s", err, stdout)
	}
	if !got.Proposal.Meta.Cached || len(model.Requests()) != 1 || got.Proposal.Markdown != string(md) {
		t.Errorf("meta %+v after %d requests; want the cached draft and no request", got.Proposal.Meta, len(model.Requests()))
	}
	if m := readDraftMeta(t, dir); !m.Cached {
		t.Errorf("draft.json does not record the cached draft: %+v", m)
	}

	// The template, on request.
	code, stdout, stderr = run(t, "draft", "--cycle", dir, "--provider", "template")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "drafter: template") || !strings.Contains(stdout, "proposal.md") {
		t.Errorf("stdout: %s", stdout)
	}
	rec, err := os.ReadFile(filepath.Join(dir, "recommendation.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r oracle.Recommendation
	if err := json.Unmarshal(rec, &r); err != nil {
		t.Fatal(err)
	}
	want, err := oracle.Template{}.Draft(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	if md, _ := os.ReadFile(filepath.Join(dir, "proposal.md")); string(md) != want.Markdown {
		t.Errorf("proposal.md is not the template's draft")
	}
	if m := readDraftMeta(t, dir); m.Drafter != "template" || m.Model != "" {
		t.Errorf("draft.json %+v", m)
	}
}

func TestDraftUserErrors(t *testing.T) {
	for _, args := range [][]string{
		{"draft"},
		{"draft", "--cycle", filepath.Join(t.TempDir(), "missing")},
		{"draft", "--cycle", t.TempDir(), "--provider", "gpt"},
	} {
		code, _, stderr := run(t, args...)
		if code != exitUser {
			t.Errorf("%v: exit %d, want 2\nstderr: %s", args, code, stderr)
		}
	}
	// A directory without a recommendation is a runtime error naming it.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("oracle: {provider: template}\n"), 0o644)
	if code, _, stderr := run(t, "draft", "--cycle", dir); code == 0 || !strings.Contains(stderr, "recommendation.json") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
}

// A key variable that is not set stops attune run before calibration,
// as a user error naming it.
func TestRunStopsOnAnUnsetKey(t *testing.T) {
	t.Setenv("ATTUNE_ORACLE_PROVIDER", "openai")
	t.Setenv("ATTUNE_ORACLE_BASE_URL", "https://api.openai.com/v1")
	t.Setenv("ATTUNE_ORACLE_MODEL", "gpt-4o-mini")
	t.Setenv("ATTUNE_ORACLE_API_KEY_ENV", "ATTUNE_TEST_UNSET_KEY")
	t.Setenv("ATTUNE_TEST_UNSET_KEY", "")
	out := t.TempDir()
	code, _, stderr := run(t, "run", "--out", out)
	if code != exitUser || !strings.Contains(stderr, "ATTUNE_TEST_UNSET_KEY") || strings.Contains(stderr, "calibrated") {
		t.Errorf("exit %d, stderr %s; want exit 2 naming the variable, before calibration", code, stderr)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("wrote %v", entries)
	}
}
