package loop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/internal/atomicfile"
	"github.com/attune-dao/attune/oracle"
	// Registers attune's drafters (the template, openai) by name.
	_ "github.com/attune-dao/attune/oracle/install"
)

// DraftsDir is the directory, under a config's out, where LLM drafts are
// cached by the hash of their inputs (see oracle/llm): a rerun of the
// same cycle, or `attune draft` on it, reuses a draft instead of asking
// the endpoint again.
const DraftsDir = "drafts"

// DrafterOptions tune how NewDrafter builds a drafter.
type DrafterOptions struct {
	// Provider overrides cfg.Oracle.Provider when set ("template" or
	// "openai").
	Provider string
	// CacheDir is where LLM drafts are cached; empty means no cache.
	CacheDir string
	// Getenv reads the API key's variable; os.Getenv when nil.
	Getenv func(string) string
	// HTTPClient and Sleep replace how an LLM drafter reaches its
	// endpoint and waits between retries (tests pass a fake sleep).
	HTTPClient *http.Client
	Sleep      func(ctx context.Context, d time.Duration) error
}

// NewDrafter builds the drafter cfg's oracle section names, looked up by
// its provider name among the registered drafters (oracle.Register;
// oracle/install registers attune's own): the template, in the
// configured language, or the LLM drafter of oracle/llm on an
// OpenAI-compatible endpoint with the key read from the environment
// variable oracle.api_key_env names. Problems (an unknown provider,
// which the error lists the registered ones for, a key variable that is
// not set, a field the client refuses) wrap config.ErrInvalid and name
// the config key. Nothing is sent: building a drafter makes no request.
func NewDrafter(cfg *config.Config, opt DrafterOptions) (oracle.Drafter, error) {
	o := cfg.Oracle
	provider := o.Provider
	if opt.Provider != "" {
		provider = opt.Provider
	}
	temperature := o.Temperature
	d, err := oracle.NewDrafter(provider, oracle.DrafterConfig{
		Language:             o.Language,
		BaseURL:              o.BaseURL,
		Model:                o.Model,
		APIKeyEnv:            o.APIKeyEnv,
		Getenv:               opt.Getenv,
		Timeout:              o.RequestTimeout(),
		MaxRetries:           o.MaxRetries,
		MaxTokens:            o.MaxTokens,
		Temperature:          &temperature,
		StructuredOutput:     o.StructuredOutput,
		BudgetTokens:         o.Budget.Tokens,
		BudgetUSD:            o.Budget.USD,
		PricePromptPer1K:     o.Price.PromptPer1K,
		PriceCompletionPer1K: o.Price.CompletionPer1K,
		AzureDeployment:      o.Azure.Deployment,
		AzureAPIVersion:      o.Azure.APIVersion,
		Seed:                 cfg.Optimizer.Seed,
		CacheDir:             opt.CacheDir,
		HTTPClient:           opt.HTTPClient,
		Sleep:                opt.Sleep,
	})
	var ce *oracle.ConfigError
	switch {
	case errors.Is(err, oracle.ErrUnknownDrafter):
		return nil, cfg.Problem("oracle.provider", fmt.Sprintf("%q is not a provider; use one of %s", provider, strings.Join(oracle.Drafters(), ", ")))
	case errors.As(err, &ce):
		return nil, cfg.Problem("oracle."+ce.Key, ce.Problem)
	case err != nil:
		return nil, cfg.Problem("oracle", err.Error())
	}
	return d, nil
}

// DraftFile is the cycle file that records how the proposal's prose was
// drafted: the drafter, and for an LLM the model, prompt version, usage,
// verification and any fallback (oracle.DraftMeta).
const DraftFile = "draft.json"

// draftRecord is DraftFile's content.
type draftRecord struct {
	Drafter string           `json:"drafter"`
	Meta    oracle.DraftMeta `json:"meta"`
}

func draftJSON(p oracle.Proposal) ([]byte, error) {
	b, err := json.MarshalIndent(draftRecord{Drafter: p.Drafter, Meta: p.Meta}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode draft metadata: %w", err)
	}
	return append(b, '\n'), nil
}

// ReadRecommendation reads a cycle directory's recommendation.json and
// checks it can be drafted.
func ReadRecommendation(dir string) (oracle.Recommendation, error) {
	path := filepath.Join(dir, "recommendation.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return oracle.Recommendation{}, fmt.Errorf("read cycle: %w", err)
	}
	return decodeRecommendation(data, path)
}

// decodeRecommendation decodes a recommendation.json (path names it in
// errors) and validates it.
func decodeRecommendation(data []byte, path string) (oracle.Recommendation, error) {
	var rec oracle.Recommendation
	if err := json.Unmarshal(data, &rec); err != nil {
		return oracle.Recommendation{}, fmt.Errorf("read cycle: %s is not a recommendation: %w", path, err)
	}
	if err := rec.Validate(); err != nil {
		return oracle.Recommendation{}, fmt.Errorf("read cycle: %s: %w", path, err)
	}
	return rec, nil
}

// Redraft drafts an existing cycle's proposal again from the
// recommendation.json in dir, without searching, and replaces the
// cycle's proposal.md, proposal.html, proposal.json and draft.json (the
// chart, objectives.png, does not depend on the prose). Each file is replaced atomically
// (written beside it, then renamed), under the same lock as Cycle.Write,
// so a concurrent run of the cycle and a redraft take turns. Nothing is
// written when drafting fails or ctx ends.
func Redraft(ctx context.Context, dir string, drafter oracle.Drafter) (oracle.Proposal, error) {
	rec, err := ReadRecommendation(dir)
	if err != nil {
		return oracle.Proposal{}, err
	}
	p, err := drafter.Draft(ctx, rec)
	if err != nil {
		return oracle.Proposal{}, fmt.Errorf("draft: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return oracle.Proposal{}, err
	}
	meta, err := draftJSON(p)
	if err != nil {
		return oracle.Proposal{}, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return oracle.Proposal{}, fmt.Errorf("redraft: %w", err)
	}
	chart, err := os.ReadFile(filepath.Join(abs, oracle.DefaultChartFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return oracle.Proposal{}, fmt.Errorf("redraft: %w", err)
	}
	page, err := oracle.HTML(p, chart)
	if err != nil {
		return oracle.Proposal{}, fmt.Errorf("redraft: %w", err)
	}
	doc, err := json.MarshalIndent(oracle.Document(p, rec), "", "  ")
	if err != nil {
		return oracle.Proposal{}, fmt.Errorf("redraft: encode proposal.json: %w", err)
	}
	unlock, err := lockDir(filepath.Dir(abs))
	if err != nil {
		return oracle.Proposal{}, fmt.Errorf("redraft: %w", err)
	}
	defer unlock()
	for _, f := range []struct {
		name string
		data []byte
	}{{"proposal.md", []byte(p.Markdown)}, {"proposal.html", page}, {"proposal.json", append(doc, '\n')}, {DraftFile, meta}} {
		if err := atomicfile.WriteFile(filepath.Join(abs, f.name), f.data); err != nil {
			return oracle.Proposal{}, fmt.Errorf("redraft: %w", err)
		}
	}
	return p, nil
}
