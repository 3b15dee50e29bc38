package llm

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/oracle/openai"
)

// goodDraft is a draft of fixture() that passes verification: every
// number a reference.
func goodDraft() oracle.Prose {
	return oracle.Prose{
		Title:      "Raise the quorum and lengthen the voting period",
		Opening:    "We propose to raise the quorum from {{param.quorum.current}} to {{param.quorum.recommended}} and lengthen the voting period from {{param.voting_period_days.current}} to {{param.voting_period_days.recommended}}.",
		Motivation: "From {{window.start}} to {{window.end}}, turnout averaged {{observed.turnout}} of supply and {{observed.pass_rate}} of decided proposals passed.",
		Effects:    "In the simulation, decision quality is expected to rise by {{effect.decision_quality.diff_lo}} to {{effect.decision_quality.diff_hi}}, and turnout is expected to rise by {{effect.turnout.diff_lo}} to {{effect.turnout.diff_hi}}.",
		TradeOff:   "The cost: the attack success rate is expected to rise by {{effect.attack_success_rate.diff_lo}} to {{effect.attack_success_rate.diff_hi}}.",
	}
}

func draftJSON(p oracle.Prose) string {
	b, _ := json.Marshal(p)
	return string(b)
}

func TestGoodDraftIsUsed(t *testing.T) {
	f := newFake(t, ok(draftJSON(goodDraft())))
	d, _ := newDrafter(t, f, func(c *Config) {
		c.OpenAI.Price = openai.Price{PromptPer1K: 0.00015, CompletionPer1K: 0.0006}
	})
	rec := fixture()
	p, err := d.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	rf, _ := reqs[0].Body["response_format"].(map[string]any)
	if rf["type"] != "json_schema" {
		t.Errorf("response_format %v, want json_schema", rf)
	}
	want := "We propose to raise the quorum from 4.00% of supply to 5.00% of supply and lengthen the voting period from 7 days to 9 days."
	if !strings.Contains(p.Post, want) {
		t.Errorf("the post lacks the rendered opening %q:\n%s", want, p.Post)
	}
	if strings.Contains(p.Markdown, "{{") {
		t.Errorf("a reference was left unrendered:\n%s", p.Post)
	}
	// The table, specification and appendix are the recommendation's,
	// exactly as the template renders them.
	tp, err := oracle.Template{}.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if p.Appendix != tp.Appendix {
		t.Errorf("the appendix differs from the template's")
	}
	table := tp.Post[strings.Index(tp.Post, "| Parameter"):]
	table = table[:strings.Index(table, "\n\n")]
	if !strings.Contains(p.Post, table) {
		t.Errorf("the post lacks the template's parameter table:\n%s", table)
	}
	m := p.Meta
	if m.Drafter != "openai" || m.Model != "gpt-4o-mini" || m.PromptVersion != PromptVersion || m.Language != "en" || m.FellBack || m.Repaired || m.Cached {
		t.Errorf("meta = %+v", m)
	}
	if m.Verification == nil || !m.Verification.Passed {
		t.Errorf("verification = %+v, want passed", m.Verification)
	}
	if m.Usage == nil || m.Usage.Requests != 1 || m.Usage.PromptTokens != 1800 || m.Usage.CompletionTokens != 240 {
		t.Errorf("usage = %+v", m.Usage)
	}
	// 1800 prompt tokens at $0.00015 per 1k plus 240 at $0.0006 per 1k.
	if wantCost := 1.8*0.00015 + 0.24*0.0006; m.Usage == nil || abs(m.Usage.CostUSD-wantCost) > 1e-12 {
		t.Errorf("cost = %+v, want %g", m.Usage, wantCost)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(m.InputHash) {
		t.Errorf("input hash %q", m.InputHash)
	}
	if p.Drafter != "gpt-4o-mini" {
		t.Errorf("Proposal.Drafter = %q", p.Drafter)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// badDrafts are drafts of fixture() the verifier must catch, with the kind
// of finding each gives.
func badDrafts() map[string]struct {
	prose oracle.Prose
	kind  string
} {
	out := map[string]struct {
		prose oracle.Prose
		kind  string
	}{}
	p := goodDraft()
	p.Opening = "We propose to raise the quorum from {{param.quorum.current}} to 6% of supply and lengthen the voting period from {{param.voting_period_days.current}} to {{param.voting_period_days.recommended}}."
	out["altered number"] = struct {
		prose oracle.Prose
		kind  string
	}{p, oracle.FindingChangedValue}
	p = goodDraft()
	p.Motivation += " About 37 proposals were abandoned before a vote."
	out["invented number"] = struct {
		prose oracle.Prose
		kind  string
	}{p, oracle.FindingUnknownNumber}
	p = goodDraft()
	p.Title = "Raise the quorum"
	p.Opening = "We propose to raise the quorum from {{param.quorum.current}} to {{param.quorum.recommended}}."
	out["dropped parameter"] = struct {
		prose oracle.Prose
		kind  string
	}{p, oracle.FindingMissingParam}
	p = goodDraft()
	p.Effects = "Decision quality will rise by {{effect.decision_quality.diff_lo}} to {{effect.decision_quality.diff_hi}}, and turnout is guaranteed to rise by {{effect.turnout.diff_lo}} to {{effect.turnout.diff_hi}}."
	out["certainty"] = struct {
		prose oracle.Prose
		kind  string
	}{p, oracle.FindingCertainty}
	p = goodDraft()
	p.TradeOff = "Nothing gets worse: the attack success rate is expected to fall."
	out["denied direction"] = struct {
		prose oracle.Prose
		kind  string
	}{p, oracle.FindingDirection}
	return out
}

func TestBadDraftsAreCaught(t *testing.T) {
	rec := fixture()
	fs := oracle.Facts(rec)
	if v := oracle.Verify(goodDraft(), fs, rec); !v.Passed {
		t.Fatalf("the good draft fails: %+v", v.Findings)
	}
	for name, c := range badDrafts() {
		t.Run(name, func(t *testing.T) {
			v := oracle.Verify(c.prose, fs, rec)
			if v.Passed || !hasKind(v.Findings, c.kind) {
				t.Fatalf("findings %+v; want one of kind %s", v.Findings, c.kind)
			}
			first := v.Findings[0].Detail

			t.Run("repaired", func(t *testing.T) {
				f := newFake(t, ok(draftJSON(c.prose)), ok(draftJSON(goodDraft())))
				d, _ := newDrafter(t, f, nil)
				p, err := d.Draft(context.Background(), rec)
				if err != nil {
					t.Fatal(err)
				}
				reqs := f.Requests()
				if len(reqs) != 2 {
					t.Fatalf("%d requests, want 2", len(reqs))
				}
				msgs := messagesOf(t, reqs[1].Body)
				// system, first user message, the model's answer, the findings.
				if len(msgs) != 4 || msgs[2][0] != "assistant" || msgs[2][1] != draftJSON(c.prose) || msgs[3][0] != "user" {
					t.Fatalf("the repair request's messages are %q", msgs)
				}
				if !strings.Contains(msgs[3][1], oracle.Untrusted(first, 300)) {
					t.Errorf("the repair message lacks the finding %q:\n%s", first, msgs[3][1])
				}
				if !p.Meta.Repaired || p.Meta.FellBack || p.Meta.Verification == nil || !p.Meta.Verification.Passed || p.Meta.Usage.Requests != 2 {
					t.Errorf("meta = %+v", p.Meta)
				}
				if !strings.Contains(p.Post, "5.00% of supply and lengthen the voting period from 7 days to 9 days") {
					t.Errorf("the repaired draft is not used:\n%s", p.Post)
				}
			})
			t.Run("still bad", func(t *testing.T) {
				f := newFake(t, ok(draftJSON(c.prose)), ok(draftJSON(c.prose)))
				d, _ := newDrafter(t, f, nil)
				p, err := d.Draft(context.Background(), rec)
				if err != nil {
					t.Fatal(err)
				}
				if n := len(f.Requests()); n != 2 {
					t.Fatalf("%d requests, want 2 (one repair round, no more)", n)
				}
				assertTemplate(t, p, rec)
				if !p.Meta.Repaired || !strings.Contains(p.Meta.FallbackReason, "failed verification after one repair round") {
					t.Errorf("meta = %+v", p.Meta)
				}
				if p.Meta.Verification == nil || p.Meta.Verification.Passed || !hasKind(p.Meta.Verification.Findings, c.kind) {
					t.Errorf("verification = %+v; want the repaired draft's failed findings", p.Meta.Verification)
				}
			})
		})
	}
}

// assertTemplate checks that p holds the template's prose and says it
// fell back.
func assertTemplate(t *testing.T, p oracle.Proposal, rec oracle.Recommendation) {
	t.Helper()
	tp, err := oracle.Template{}.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if p.Markdown != tp.Markdown {
		t.Errorf("the proposal is not the template's:\n%s", p.Post)
	}
	if !p.Meta.FellBack || p.Meta.FallbackReason == "" || p.Meta.Drafter != "template" || p.Drafter != "template" {
		t.Errorf("meta = %+v (drafter %q); want a recorded fallback", p.Meta, p.Drafter)
	}
	if p.Meta.Model != "gpt-4o-mini" || p.Meta.PromptVersion != PromptVersion || p.Meta.InputHash == "" {
		t.Errorf("meta lost the attempt's identity: %+v", p.Meta)
	}
}

func hasKind(fs []oracle.Finding, kind string) bool {
	for _, f := range fs {
		if f.Kind == kind {
			return true
		}
	}
	return false
}

func TestNonJSONContentIsRepaired(t *testing.T) {
	rec := fixture()
	prose := "Sure! Here is a proposal: raise the quorum and lengthen the voting period."
	f := newFake(t, ok(prose), ok("```json\n"+draftJSON(goodDraft())+"\n```"))
	d, _ := newDrafter(t, f, nil)
	p, err := d.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	msgs := messagesOf(t, reqs[1].Body)
	if msgs[len(msgs)-2][1] != prose || !strings.Contains(msgs[len(msgs)-1][1], "could not be read") {
		t.Errorf("the repair round does not show the unreadable answer and why: %q", msgs)
	}
	if p.Meta.FellBack || !p.Meta.Repaired {
		t.Errorf("meta = %+v", p.Meta)
	}

	f = newFake(t, ok(prose))
	d, _ = newDrafter(t, f, nil)
	p, err = d.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Requests()) != 2 {
		t.Errorf("%d requests, want 2", len(f.Requests()))
	}
	assertTemplate(t, p, rec)
}

func TestWrongShapeIsRepaired(t *testing.T) {
	rec := fixture()
	f := newFake(t, ok(`{"title": "Raise the quorum", "body": "text"}`), ok(draftJSON(goodDraft())))
	d, _ := newDrafter(t, f, nil)
	p, err := d.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if p.Meta.FellBack || !p.Meta.Repaired || len(f.Requests()) != 2 {
		t.Errorf("meta = %+v after %d requests", p.Meta, len(f.Requests()))
	}
	last := messagesOf(t, f.Requests()[1].Body)
	if !strings.Contains(last[len(last)-1][1], `unknown field "body"`) {
		t.Errorf("the repair message does not say what was wrong: %q", last[len(last)-1][1])
	}
}

func TestEndpointFailuresFallBack(t *testing.T) {
	rec := fixture()
	cases := map[string]struct {
		replies  []reply
		requests int
		reason   string
	}{
		"refusal":        {[]reply{{Body: refusalBody}}, 1, "refused"},
		"truncation":     {[]reply{{Body: completion(`{"title": "Raise the quorum", "opening": "We propose`, "length")}}, 1, "cut off"},
		"500s exhausted": {[]reply{{Status: 500, Body: serverBody}}, 3, "endpoint failed"},
		"bad key":        {[]reply{{Status: 401, Body: `{"error":{"message":"Incorrect API key provided: sk-abc***xyz.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`}}, 1, "endpoint failed"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, c.replies...)
			d, _ := newDrafter(t, f, nil)
			p, err := d.Draft(context.Background(), rec)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(f.Requests()); n != c.requests {
				t.Errorf("%d requests, want %d", n, c.requests)
			}
			assertTemplate(t, p, rec)
			if !strings.Contains(p.Meta.FallbackReason, c.reason) {
				t.Errorf("fallback reason %q lacks %q", p.Meta.FallbackReason, c.reason)
			}
			if p.Meta.Usage == nil || p.Meta.Usage.Requests != c.requests {
				t.Errorf("usage %+v, want %d requests", p.Meta.Usage, c.requests)
			}
		})
	}
}

func TestRateLimitThenSuccess(t *testing.T) {
	f := newFake(t, reply{Status: 429, Header: map[string]string{"Retry-After": "3"}, Body: rateLimitBody}, ok(draftJSON(goodDraft())))
	d, s := newDrafter(t, f, nil)
	p, err := d.Draft(context.Background(), fixture())
	if err != nil {
		t.Fatal(err)
	}
	if p.Meta.FellBack || p.Meta.Usage.Requests != 2 || len(f.Requests()) != 2 {
		t.Errorf("meta = %+v, %d requests", p.Meta, len(f.Requests()))
	}
	if len(s.waits) != 1 || s.waits[0].Seconds() != 3 {
		t.Errorf("waits %v, want the 3 s the server asked for", s.waits)
	}
}

func TestBudgetExhaustedFallsBackWithoutARequest(t *testing.T) {
	f := newFake(t, ok(draftJSON(goodDraft())))
	d, _ := newDrafter(t, f, func(c *Config) { c.OpenAI.Budget = openai.Budget{Tokens: 500} })
	rec := fixture()
	p, err := d.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
	assertTemplate(t, p, rec)
	if !strings.Contains(p.Meta.FallbackReason, "budget") {
		t.Errorf("reason %q", p.Meta.FallbackReason)
	}
}

func TestCancellationReturnsContextError(t *testing.T) {
	rec := fixture()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := newFake(t, ok(draftJSON(goodDraft())))
	d, _ := newDrafter(t, f, nil)
	if _, err := d.Draft(ctx, rec); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if len(f.Requests()) != 0 {
		t.Errorf("a cancelled draft sent a request")
	}

	// Cancelled while waiting to retry a 500: no fallback, ctx's error.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	f = newFake(t, reply{Status: 500, Body: serverBody})
	cfg := Config{OpenAI: openai.Config{BaseURL: f.BaseURL(), Model: "gpt-4o-mini", MaxRetries: 2}}
	d, err := New(cfg, openai.WithSleep(func(ctx context.Context, _ time.Duration) error {
		cancel()
		return ctx.Err()
	}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.Draft(ctx, rec)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v (proposal meta %+v), want context.Canceled", err, p.Meta)
	}
}

func TestCache(t *testing.T) {
	dir := t.TempDir()
	rec := fixture()
	f := newFake(t, ok(draftJSON(goodDraft())))
	d, _ := newDrafter(t, f, func(c *Config) { c.CacheDir = dir })
	p1, err := d.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, p1.Meta.InputHash+".json")); err != nil {
		t.Fatalf("no cache file: %v", err)
	}
	// A new drafter, as a later run would build: no request.
	d2, _ := newDrafter(t, f, func(c *Config) { c.CacheDir = dir })
	p2, err := d2.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Requests()); n != 1 {
		t.Errorf("%d requests, want 1: the second draft should come from the cache", n)
	}
	if p2.Markdown != p1.Markdown || !p2.Meta.Cached || p2.Meta.InputHash != p1.Meta.InputHash || p2.Meta.FellBack {
		t.Errorf("cached draft differs: meta %+v", p2.Meta)
	}
	// Another model is another question.
	d3, _ := newDrafter(t, f, func(c *Config) { c.CacheDir = dir; c.OpenAI.Model = "llama3.1" })
	p3, err := d3.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Requests()); n != 2 || p3.Meta.Cached || p3.Meta.InputHash == p1.Meta.InputHash {
		t.Errorf("%d requests, meta %+v: another model must not read the cache", n, p3.Meta)
	}
	// A corrupt entry is a miss.
	os.WriteFile(filepath.Join(dir, p1.Meta.InputHash+".json"), []byte(`{"raw": {"title": 5}}`), 0o644)
	if _, err := d2.Draft(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Requests()); n != 3 {
		t.Errorf("%d requests, want 3: a corrupt entry should be drafted again", n)
	}
}

func TestFallbackIsNotCached(t *testing.T) {
	dir := t.TempDir()
	rec := fixture()
	f := newFake(t, reply{Body: refusalBody}, ok(draftJSON(goodDraft())))
	d, _ := newDrafter(t, f, func(c *Config) { c.CacheDir = dir })
	p, err := d.Draft(context.Background(), rec)
	if err != nil || !p.Meta.FellBack {
		t.Fatalf("err %v, meta %+v", err, p.Meta)
	}
	p, err = d.Draft(context.Background(), rec)
	if err != nil || p.Meta.FellBack || p.Meta.Cached || len(f.Requests()) != 2 {
		t.Errorf("err %v, meta %+v, %d requests; a fallback must not be cached", err, p.Meta, len(f.Requests()))
	}
}

func TestPromptAndHash(t *testing.T) {
	rec := fixture()
	f := newFake(t, ok(draftJSON(goodDraft())))
	seed := 42
	d, _ := newDrafter(t, f, func(c *Config) { c.Language = "es"; c.Seed = &seed })
	p, err := d.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	req := f.Requests()[0].Body
	msgs := messagesOf(t, req)
	if msgs[0][0] != "system" || msgs[1][0] != "user" {
		t.Fatalf("messages %q", msgs)
	}
	for _, want := range []string{"{{fact-id}}", "Spanish", "never follow", oracle.UntrustedOpen, "will", "plain words"} {
		if !strings.Contains(msgs[0][1], want) {
			t.Errorf("the system prompt lacks %q", want)
		}
	}
	if strings.Contains(msgs[0][1], rec.DAO) {
		t.Errorf("the system prompt holds the DAO's name, which is untrusted")
	}
	// The sheet is in the drafter's language: Spanish numbers.
	js, _ := oracle.FactsIn(rec, "es").JSON()
	if !strings.Contains(msgs[1][1], string(js)) {
		t.Errorf("the user message lacks the Spanish facts sheet")
	}
	if !strings.Contains(msgs[1][1], `"language": "es"`) || !strings.Contains(msgs[1][1], "\"5,00\u00a0% de la oferta\"") ||
		!strings.Contains(msgs[1][1], `"plain": "período de votación"`) {
		t.Errorf("the facts sheet's numbers, units and names are not Spanish")
	}
	if req["seed"] != float64(42) {
		t.Errorf("seed %v", req["seed"])
	}
	if p.Meta.Language != "es" || p.Meta.InputHash != InputHash(js, "gpt-4o-mini", "es") || p.Meta.InputHash == InputHash(js, "gpt-4o-mini", "en") {
		t.Errorf("meta %+v", p.Meta)
	}
	if _, err := New(Config{Language: "xx", OpenAI: openai.Config{BaseURL: f.BaseURL(), Model: "m"}}); err == nil {
		t.Errorf("an unknown language is accepted")
	}
}

// A draft that proposes changes for a recommendation that keeps every
// parameter is caught and ends in the template.
func TestChangeClaimedForNoChange(t *testing.T) {
	rec := noChangeFixture()
	if v := oracle.Verify(goodDraft(), oracle.Facts(rec), rec); v.Passed {
		t.Fatalf("a draft raising the quorum passes on a no-change recommendation")
	}
	f := newFake(t, ok(draftJSON(goodDraft())))
	d, _ := newDrafter(t, f, nil)
	p, err := d.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	assertTemplate(t, p, rec)
}
