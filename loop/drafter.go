package loop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/attune-dao/attune/internal/atomicfile"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/oracle/llm"
	"github.com/attune-dao/attune/oracle/openai"
)

// Defaults of the oracle section's zero values (see config.Oracle).
const (
	defaultOracleRetries   = 4
	defaultOracleMaxTokens = 2000
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
	// OpenAI are options for the endpoint's client (tests pass a fake
	// sleep).
	OpenAI []openai.Option
}

// NewDrafter builds the drafter cfg's oracle section names: the template,
// or the LLM drafter of oracle/llm on an OpenAI-compatible endpoint with
// the key read from the environment variable oracle.api_key_env names.
// Problems (an unknown provider, a key variable that is not set, a field
// the client refuses) wrap config.ErrInvalid and name the config key.
// Nothing is sent: building a drafter makes no request.
func NewDrafter(cfg *config.Config, opt DrafterOptions) (oracle.Drafter, error) {
	o := cfg.Oracle
	provider := o.Provider
	if opt.Provider != "" {
		provider = opt.Provider
	}
	switch provider {
	case "template":
		return oracle.Template{}, nil
	case "openai":
	default:
		return nil, cfg.Problem("oracle.provider", fmt.Sprintf("%q is not a provider; use template (offline, deterministic) or openai", provider))
	}
	getenv := opt.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var key string
	if o.APIKeyEnv != "" {
		if key = getenv(o.APIKeyEnv); key == "" {
			return nil, cfg.Problem("oracle.api_key_env", fmt.Sprintf("names %s, which is not set or empty; export the endpoint's key in it, or remove api_key_env for a local server that needs none", o.APIKeyEnv))
		}
	}
	oc := openai.Config{
		BaseURL:    o.BaseURL,
		Model:      o.Model,
		APIKey:     key,
		APIKeyEnv:  o.APIKeyEnv,
		Timeout:    o.RequestTimeout(),
		MaxRetries: o.MaxRetries,
		MaxTokens:  o.MaxTokens,
		Budget:     openai.Budget{Tokens: o.Budget.Tokens, USD: o.Budget.USD},
		Price:      openai.Price{PromptPer1K: o.Price.PromptPer1K, CompletionPer1K: o.Price.CompletionPer1K},
		JitterSeed: cfg.Optimizer.Seed,
	}
	if oc.MaxRetries == 0 {
		oc.MaxRetries = defaultOracleRetries
	}
	if oc.MaxTokens == 0 {
		oc.MaxTokens = defaultOracleMaxTokens
	}
	t := o.Temperature
	oc.Temperature = &t
	switch o.StructuredOutput {
	case "json_object":
		oc.Mode = openai.ModeJSONObject
	case "prompt":
		oc.Mode = openai.ModePrompt
	}
	if o.Azure.Enabled() {
		oc.Azure = &openai.Azure{Deployment: o.Azure.Deployment, APIVersion: o.Azure.APIVersion}
	}
	// The endpoint's seed, from the cycle's: the same cycle asks for the
	// same sampling (where the endpoint honours seeds at all).
	seed := int(cfg.Optimizer.Seed & 0x7fffffff)
	d, err := llm.New(llm.Config{OpenAI: oc, Language: o.Language, Seed: &seed, CacheDir: opt.CacheDir}, opt.OpenAI...)
	if err != nil {
		var ce *openai.ConfigError
		key := "oracle"
		if errors.As(err, &ce) {
			key = oracleKey(ce.Field)
		}
		return nil, cfg.Problem(key, err.Error())
	}
	return d, nil
}

// oracleKey is the config key of an openai.Config field.
func oracleKey(field string) string {
	switch field {
	case "BaseURL":
		return "oracle.base_url"
	case "Model":
		return "oracle.model"
	case "APIKey":
		return "oracle.api_key_env"
	case "MaxTokens":
		return "oracle.max_tokens"
	case "Temperature":
		return "oracle.temperature"
	case "Budget.Tokens":
		return "oracle.budget.tokens"
	case "Budget.USD":
		return "oracle.budget.usd"
	case "Price":
		return "oracle.price"
	case "Azure.Deployment":
		return "oracle.azure.deployment"
	}
	return "oracle"
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
