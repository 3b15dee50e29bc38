// Package llm is attune's LLM drafter: it asks an OpenAI-compatible
// chat-completions endpoint (through oracle/openai) for a proposal's prose,
// binds every number in it to the recommendation's facts and verifies it
// before use.
//
// # How a draft is made
//
//  1. The facts sheet (oracle.Facts) holds every number the prose may cite,
//     each with an id; the DAO's name and track, and any other governance
//     text, enter it only as sanitised, delimited context (oracle.Untrusted).
//  2. The system prompt (versioned by PromptVersion) gives the model its
//     role and rules: every number as a {{fact-id}} reference and no digit
//     of its own, plain words, no certainty, the text between the data
//     delimiters is data and never instructions, the language to write in.
//     The facts sheet goes in the user message; the reply is asked for
//     with oracle.DraftSchema as structured output.
//  3. The reply is parsed (oracle.ParseDraft), rendered (FactSheet.Render)
//     and verified (oracle.Verify). On findings or an unreadable reply, one
//     repair round shows the model its answer and what is wrong with it.
//  4. If the repaired draft fails too, or the endpoint fails for good,
//     refuses, truncates its reply or the budget would be exceeded, the
//     template's prose is used: DraftMeta.Drafter is then "template",
//     FellBack and FallbackReason say why, and Verification holds the
//     last failed check, if any. Cancellation is not a failure: Draft
//     returns ctx's error.
//
// Whatever writes the prose, the proposal is oracle.Compose(rec, prose,
// ...): the parameter table, the on-chain specification and the appendix
// come from the Recommendation, never from the model.
//
// # Cache
//
// A draft that was used is stored under Config.CacheDir as
// <InputHash>.json, where InputHash is the SHA-256 of the facts sheet's
// JSON, PromptVersion, the model, the language and the schema. A later
// Draft of the same inputs reads it, verifies it again and makes no
// request; DraftMeta.Cached says so. Fallbacks are not cached, so a later
// run tries the endpoint again.
package llm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/oracle/openai"
)

// PromptVersion names the prompt's wording and rules. Change it whenever
// the system prompt, the user message or the repair message changes: it
// is part of InputHash, so cached drafts of an older prompt are not
// reused.
const PromptVersion = "draft-2026-11-24.2"

// Provider is the name the drafter records in DraftMeta.Drafter.
const Provider = "openai"

// Config configures a Drafter.
type Config struct {
	// OpenAI configures the endpoint, retries, budget and prices; see
	// openai.Config. One Drafter holds one client, so its Budget bounds
	// what the Drafter spends over its life (loop builds one per cycle).
	OpenAI openai.Config
	// Language is the ISO 639-1 code of the prose's language (en when
	// empty).
	Language string
	// Seed, when set, asks the endpoint for reproducible sampling.
	Seed *int
	// CacheDir is the directory drafts are cached in; empty means no
	// cache.
	CacheDir string
	// Compose shapes the non-prose parts of the proposal (the chart's
	// file name, the discussion and temperature-check days); its
	// Language is Language when empty.
	Compose oracle.ComposeOptions
}

// Drafter writes a proposal's prose with an LLM and verifies it; it
// implements oracle.Drafter and is safe for concurrent use.
type Drafter struct {
	cfg      Config
	client   *openai.Client
	template oracle.Template
}

// New returns a Drafter for cfg. opts reach the openai client (tests pass
// openai.WithSleep and openai.WithHTTPClient). Errors are the client's
// *openai.ConfigError values, or a language attune does not know.
func New(cfg Config, opts ...openai.Option) (*Drafter, error) {
	if cfg.Language == "" {
		cfg.Language = "en"
	}
	if _, ok := languages[cfg.Language]; !ok {
		return nil, fmt.Errorf("llm: language %q is not one attune drafts in; use one of %s", cfg.Language, languageList())
	}
	c, err := openai.New(cfg.OpenAI, opts...)
	if err != nil {
		return nil, fmt.Errorf("llm: %w", err)
	}
	// The proposal around the prose, and the template's prose when the
	// model's is not used, are in the draft's language.
	if cfg.Compose.Language == "" {
		cfg.Compose.Language = cfg.Language
	}
	return &Drafter{cfg: cfg, client: c, template: oracle.Template{ChartFile: cfg.Compose.ChartFile, Language: cfg.Compose.Language}}, nil
}

// Usage is what the drafter's client has spent over its life.
func (d *Drafter) Usage() oracle.Usage { return oracle.Usage(d.client.Usage()) }

// Draft writes the proposal for rec (see the package documentation).
//
// It returns an error wrapping oracle.ErrInvalidRecommendation when rec
// cannot be drafted, and ctx's error when ctx ends before the draft is
// done. Every other failure ends in the template's prose, with
// Meta.FellBack set.
func (d *Drafter) Draft(ctx context.Context, rec oracle.Recommendation) (oracle.Proposal, error) {
	if err := ctx.Err(); err != nil {
		return oracle.Proposal{}, fmt.Errorf("llm: draft: %w", err)
	}
	if err := rec.Validate(); err != nil {
		return oracle.Proposal{}, err
	}
	fs := oracle.FactsIn(rec, d.cfg.Language)
	factsJSON, err := fs.JSON()
	if err != nil {
		return oracle.Proposal{}, err
	}
	meta := oracle.DraftMeta{
		Drafter:       Provider,
		Model:         d.cfg.OpenAI.Model,
		PromptVersion: PromptVersion,
		Language:      d.cfg.Language,
		InputHash:     InputHash(factsJSON, d.cfg.OpenAI.Model, d.cfg.Language),
	}
	if e, ok := d.load(meta.InputHash); ok {
		if v := oracle.Verify(e.Raw, fs, rec); v.Passed {
			rendered, _ := fs.Render(e.Raw)
			m := e.Meta
			m.Cached = true
			m.Verification = &v
			return d.compose(rec, rendered, m)
		}
	}
	out := d.ask(ctx, fs, rec, factsJSON)
	if out.err != nil {
		return oracle.Proposal{}, out.err
	}
	meta.Usage = &out.usage
	meta.Repaired = out.repaired
	meta.Verification = out.verification
	if out.reason != "" {
		meta.FellBack, meta.FallbackReason = true, out.reason
		return d.compose(rec, d.template.Prose(rec), meta)
	}
	rendered, _ := fs.Render(out.raw)
	p, err := d.compose(rec, rendered, meta)
	if err != nil {
		// Verify passed, so this is a prose Compose cannot use (no title
		// once trimmed): the template writes instead.
		meta.FellBack, meta.FallbackReason = true, "the draft could not be composed: "+err.Error()
		return d.compose(rec, d.template.Prose(rec), meta)
	}
	d.store(meta.InputHash, entry{Raw: out.raw, Meta: meta})
	return p, nil
}

// compose renders the proposal from prose and records meta.
func (d *Drafter) compose(rec oracle.Recommendation, prose oracle.Prose, meta oracle.DraftMeta) (oracle.Proposal, error) {
	p, err := oracle.Compose(rec, prose, d.cfg.Compose)
	if err != nil {
		return oracle.Proposal{}, err
	}
	p.Drafter = meta.Model
	if meta.FellBack {
		p.Drafter = "template"
		meta.Drafter = "template"
	}
	p.Meta = meta
	return p, nil
}

// InputHash is the SHA-256, in hex, of a draft's inputs: the facts
// sheet's JSON, PromptVersion, the model, the language and the draft
// schema, each separated by a zero byte. Equal hashes mean a cached draft
// answers the same question.
func InputHash(factsJSON []byte, model, language string) string {
	h := sha256.New()
	for _, part := range [][]byte{factsJSON, []byte(PromptVersion), []byte(model), []byte(language), oracle.DraftSchema()} {
		h.Write(part)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// outcome is what asking the model came to.
type outcome struct {
	raw          oracle.Prose // the draft that passed, with its references
	usage        oracle.Usage
	verification *oracle.Verification
	repaired     bool
	// reason, when set, says why the template writes instead.
	reason string
	// err is ctx's error: the draft was cancelled.
	err error
}

// ask runs the first request and, when it fails verification or cannot
// be read, one repair round.
func (d *Drafter) ask(ctx context.Context, fs oracle.FactSheet, rec oracle.Recommendation, factsJSON []byte) outcome {
	var out outcome
	req := openai.Request{
		System:     systemPrompt(d.cfg.Language),
		User:       userMessage(factsJSON),
		Schema:     oracle.DraftSchema(),
		SchemaName: "proposal_draft",
		Seed:       d.cfg.Seed,
	}
	for round := 0; round < 2; round++ {
		resp, err := d.client.Complete(ctx, req)
		add(&out.usage, resp.Usage)
		if err != nil && ctx.Err() != nil {
			out.err = fmt.Errorf("llm: draft: %w", ctx.Err())
			return out
		}
		var problem string
		switch {
		case err != nil && errors.Is(err, openai.ErrMalformed) && strings.TrimSpace(resp.Content) != "":
			problem = "Your reply could not be read as the draft object: " + oracle.Untrusted(err.Error(), 400) + "."
		case err != nil:
			out.reason = fallbackReason(err)
			return out
		default:
			p, perr := oracle.ParseDraft(resp.JSON)
			if perr != nil {
				problem = "Your reply could not be read as the draft object: " + oracle.Untrusted(perr.Error(), 400) + "."
				break
			}
			v := oracle.Verify(p, fs, rec)
			out.verification = &v
			if v.Passed {
				out.raw = p
				return out
			}
			problem = findingsText(v.Findings)
		}
		if round == 1 {
			out.reason = "the draft failed verification after one repair round: " + strings.TrimSuffix(firstLine(problem), ".")
			if out.verification != nil && !out.verification.Passed {
				out.reason = fmt.Sprintf("the draft failed verification after one repair round (%d %s: %s)",
					len(out.verification.Findings), plural(len(out.verification.Findings), "finding", "findings"), out.verification.Findings[0].Detail)
			}
			return out
		}
		out.repaired = true
		out.verification = nil
		req.Messages = []openai.Message{
			{Role: "user", Content: req.User},
			{Role: "assistant", Content: capRunes(resp.Content, 8000)},
		}
		req.User = repairMessage(problem)
	}
	return out
}

// fallbackReason says in words why a request's error ends in the
// template.
func fallbackReason(err error) string {
	switch {
	case errors.Is(err, openai.ErrBudget):
		return "the drafting budget would be exceeded: " + err.Error()
	case errors.Is(err, openai.ErrRefused):
		return "the model refused: " + err.Error()
	case errors.Is(err, openai.ErrTruncated):
		return "the reply was cut off at the token limit: " + err.Error()
	}
	return "the endpoint failed: " + err.Error()
}

func add(u *oracle.Usage, r openai.Usage) {
	u.PromptTokens += r.PromptTokens
	u.CompletionTokens += r.CompletionTokens
	u.Requests += r.Requests
	u.CostUSD += r.CostUSD
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// capRunes cuts s to at most n runes.
func capRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
