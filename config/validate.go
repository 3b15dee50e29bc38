package config

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/robfig/cron/v3"
)

// MaxTrials is the largest optimizer.trials Validate accepts.
const MaxTrials = 100000

// MaxNameRunes bounds dao.name, which titles, file names and logs carry.
const MaxNameRunes = 200

// MaxReplications is the largest number of replications per parameter set
// (optimizer.replications, optimizer.validation, calibration.replications)
// Validate accepts: each replication is a whole simulation, and 1,000 of
// them already take minutes per trial.
const MaxReplications = 1000

// Validate checks what can be checked without the model: required
// settings, ranges, enumerations, search bounds, objectives and
// constraints, and that every number is finite. It reports every problem
// in one *Error (wrapping ErrInvalid), each with its file:line when known.
// Load calls it; checks against the model's parameters and outcomes are
// made elsewhere (see Problem).
func (c *Config) Validate() error {
	ps := problems{list: c.validate()}
	return ps.errorOrNil(c.fileName())
}

// checker collects the problems Validate finds.
type checker struct {
	c    *Config
	list []Problem
}

func (k *checker) add(key, format string, args ...any) {
	k.list = append(k.list, k.c.problem(key, fmt.Sprintf(format, args...)))
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// finite reports whether v is finite, recording a problem if not.
func (k *checker) finite(key string, v float64) bool {
	if finite(v) {
		return true
	}
	k.add(key, "%v is not a finite number; give a number", v)
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (c *Config) validate() []Problem {
	k := &checker{c: c}
	k.dao()
	for _, name := range sortedKeys(c.Current) {
		k.finite("current."+name, c.Current[name])
	}
	for _, name := range sortedKeys(c.Search) {
		k.search("search."+name, c.Search[name])
	}
	k.objectives()
	for i, s := range c.Constraints {
		if _, err := ParseConstraint(s); err != nil {
			k.add(indexKey("constraints", i), "%s", constraintProblem(s))
		}
	}
	k.risk()
	k.optimizer()
	k.calibration()
	k.sources()
	k.oracle()
	k.schedule()
	for i, s := range c.Sinks {
		if strings.TrimSpace(s.Type) == "" {
			k.add(indexKey("sinks", i)+".type", "is empty; give the sink's type, e.g. markdown")
		}
	}
	if strings.TrimSpace(c.Out) == "" {
		k.add("out", "is empty; give the directory cycles write to, e.g. out: attune-out")
	}
	return k.list
}

func (k *checker) dao() {
	d := k.c.DAO
	if strings.TrimSpace(d.Name) == "" {
		k.add("dao.name", "is empty; name the DAO, e.g. name: Example DAO")
	} else if n := utf8.RuneCountInString(d.Name); n > MaxNameRunes {
		k.add("dao.name", "is %d characters long; want at most %d", n, MaxNameRunes)
	}
	if strings.TrimSpace(d.Model) == "" {
		k.add("dao.model", "is empty; name the mechanism model, e.g. model: tokenvote (`attune model` lists them)")
	}
	for _, name := range sortedKeys(d.Options) {
		k.finite("dao.options."+name, d.Options[name])
	}
	if k.finite("dao.token.price_usd", d.Token.PriceUSD) && d.Token.PriceUSD < 0 {
		k.add("dao.token.price_usd", "%g is negative; give the price of one token in USD, or leave it out", d.Token.PriceUSD)
	}
	k.onchain(d.Onchain)
}

// addressRE is an Ethereum address: 0x and 40 hex digits.
var addressRE = regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`)

func (k *checker) onchain(o Onchain) {
	if o.Address != "" && !addressRE.MatchString(o.Address) {
		k.add("dao.onchain.address", "%q is not an address; give 0x and 40 hex digits, or leave it out", o.Address)
	}
	switch o.Clock {
	case "", "blocks", "timestamp":
	default:
		k.add("dao.onchain.clock", "%q is not a clock; use blocks or timestamp (seconds), or leave it out for the governor's", o.Clock)
	}
	if k.finite("dao.onchain.block_seconds", o.BlockSeconds) && (o.BlockSeconds < 0 || o.BlockSeconds > 3600) {
		k.add("dao.onchain.block_seconds", "%g; give the seconds per block, e.g. 12 on Ethereum, or leave it out", o.BlockSeconds)
	}
	if o.TokenDecimals != nil && (*o.TokenDecimals < 0 || *o.TokenDecimals > 36) {
		k.add("dao.onchain.token_decimals", "%d; want 0 to 36, e.g. 18", *o.TokenDecimals)
	}
	if o.QuorumDenominator < 0 {
		k.add("dao.onchain.quorum_denominator", "%d is negative; give the governor's quorumDenominator(), e.g. 100, or leave it out", o.QuorumDenominator)
	}
}

func (k *checker) search(key string, s SearchParam) {
	switch s.Type {
	case "", "float", "int", "log", "categorical":
	default:
		k.add(key+".type", "%q is not a search type; use float (the default), int, log or categorical", s.Type)
		return
	}
	if k.finite(key+".max_change", s.MaxChange) && s.MaxChange < 0 {
		k.add(key+".max_change", "%g is negative; give the largest relative change per cycle, e.g. 0.25 for ±25%%, or 0 for no bound", s.MaxChange)
	}
	if k.finite(key+".max_step", s.MaxStep) && s.MaxStep < 0 {
		k.add(key+".max_step", "%g is negative; give the largest absolute change per cycle, or 0 for no bound", s.MaxStep)
	}
	if s.Type == "categorical" {
		if len(s.Choices) == 0 {
			k.add(key, "type categorical needs choices, e.g. choices: [3, 5, 7]")
		}
		for i, v := range s.Choices {
			k.finite(indexKey(key+".choices", i), v)
		}
	} else if len(s.Choices) > 0 {
		k.add(key+".choices", "choices apply only to type categorical; set type: categorical or remove choices")
	}
	okMin := s.Min != nil && k.finite(key+".min", *s.Min)
	okMax := s.Max != nil && k.finite(key+".max", *s.Max)
	// Without min or max, the range is the model's bounds cut around the
	// value in force by max_change or max_step.
	relative := s.MaxChange > 0 || s.MaxStep > 0
	if s.Type != "categorical" && !s.Frozen && !relative {
		switch {
		case s.Min == nil && s.Max == nil:
			k.add(key, "min and max are missing; give the range to search, e.g. {min: 0.01, max: 0.2}, or max_change (relative) or max_step (absolute) to range around the value in force, or frozen: true")
		case s.Min == nil:
			k.add(key, "min is missing; give the range to search, or max_change or max_step, or frozen: true")
		case s.Max == nil:
			k.add(key, "max is missing; give the range to search, or max_change or max_step, or frozen: true")
		}
	}
	if okMin && okMax && *s.Min > *s.Max {
		k.add(key, "min %g > max %g; want min <= max", *s.Min, *s.Max)
	}
	if cur, ok := k.c.Current[strings.TrimPrefix(key, "search.")]; ok && finite(cur) {
		switch {
		case s.Type == "categorical" && len(s.Choices) > 0 && !slices.Contains(s.Choices, cur) && !s.Frozen:
			k.add(key+".choices", "do not include the value in force, %g, so the search could never keep it; add it to choices", cur)
		case s.Frozen && (okMin && cur < *s.Min || okMax && cur > *s.Max):
			// A searched range is widened to include the value in force
			// (and the widening reported); frozen ignores its range, so a
			// range that excludes the value says the config is confused.
			lo, hi := "-inf", "+inf"
			if okMin {
				lo = strconv.FormatFloat(*s.Min, 'g', -1, 64)
			}
			if okMax {
				hi = strconv.FormatFloat(*s.Max, 'g', -1, 64)
			}
			k.add(key, "is frozen at the value in force, %g, which lies outside its own range [%s, %s]; remove min and max (frozen ignores them) or correct current", cur, lo, hi)
		}
	}
	if s.Type == "log" && okMin && *s.Min <= 0 {
		k.add(key+".min", "%g: type log needs min > 0; raise min or use type float", *s.Min)
	}
	if s.Type == "int" {
		if okMin && *s.Min != math.Trunc(*s.Min) {
			k.add(key+".min", "%g: type int needs whole-number bounds", *s.Min)
		}
		if okMax && *s.Max != math.Trunc(*s.Max) {
			k.add(key+".max", "%g: type int needs whole-number bounds", *s.Max)
		}
	}
}

func (k *checker) objectives() {
	obj := k.c.Objectives
	if len(obj) == 0 {
		k.add("objectives", "none given; list at least one, e.g. - {name: turnout, weight: 1}")
		return
	}
	first := map[string]int{}
	for i, o := range obj {
		key := indexKey("objectives", i)
		if strings.TrimSpace(o.Name) == "" {
			k.add(key+".name", "is empty; give the outcome to improve, e.g. turnout")
		} else if j, dup := first[o.Name]; dup {
			k.add(key+".name", "%q is listed twice (also objectives[%d]); keep one entry", o.Name, j)
		} else {
			first[o.Name] = i
		}
		if !finite(o.Weight) || o.Weight <= 0 {
			k.add(key+".weight", "%v; want a finite number > 0, e.g. 1", o.Weight)
		}
		switch o.Direction {
		case "", "maximize", "minimize":
		default:
			k.add(key+".direction", "%q is not a direction; use maximize or minimize, or leave it out for the model's", o.Direction)
		}
	}
}

func (k *checker) risk() {
	r := k.c.Risk
	switch r.Measure {
	case "mean", "cvar":
	default:
		k.add("risk.measure", "%q is not a risk measure; use mean or cvar", r.Measure)
	}
	if k.finite("risk.alpha", r.Alpha) && r.Measure == "cvar" && !(r.Alpha > 0 && r.Alpha <= 1) {
		k.add("risk.alpha", "%g is outside (0, 1]; cvar averages the worst alpha share of replications, e.g. 0.1", r.Alpha)
	}
}

func (k *checker) optimizer() {
	o := k.c.Optimizer
	if !slices.Contains(Samplers, o.Sampler) {
		k.add("optimizer.sampler", "%q is not a sampler; use one of %s", o.Sampler, strings.Join(Samplers, ", "))
	}
	if o.Trials < 1 || o.Trials > MaxTrials {
		k.add("optimizer.trials", "%d; want between 1 and %d", o.Trials, MaxTrials)
	}
	if o.Searches < 1 || o.Searches > 20 {
		k.add("optimizer.searches", "%d; want between 1 and 20 independent searches (3 is the default)", o.Searches)
	} else if o.Trials >= 1 && o.Trials/o.Searches < 2 {
		k.add("optimizer.trials", "%d shared by %d searches leaves fewer than 2 each; raise trials or lower optimizer.searches", o.Trials, o.Searches)
	}
	if o.Replications < 2 || o.Replications > MaxReplications {
		k.add("optimizer.replications", "%d; want at least 2 (a spread needs two runs) and at most %d", o.Replications, MaxReplications)
	}
	if o.Validation < 2 || o.Validation > MaxReplications {
		k.add("optimizer.validation", "%d; want at least 2 (a spread needs two runs) and at most %d", o.Validation, MaxReplications)
	}
	switch o.Preset {
	case "", "conservative", "balanced", "aggressive":
	default:
		k.add("optimizer.preset", "%q is not a preset; use conservative, balanced or aggressive", o.Preset)
	}
	if o.Finalists < 0 || o.Finalists > 50 {
		k.add("optimizer.finalists", "%d; want 0 (the best search evaluation wins) to 50 trials re-evaluated", o.Finalists)
	}
	if o.Batch < 1 {
		k.add("optimizer.batch", "%d; want at least 1", o.Batch)
	}
	if !(o.Confidence > 0 && o.Confidence < 1) {
		k.add("optimizer.confidence", "%v; want a level strictly between 0 and 1, e.g. 0.9", o.Confidence)
	}
	if !StorageOK(o.Storage) {
		k.add("optimizer.storage", "%q is not a study storage; use memory, sqlite:PATH (or a PATH ending .db, .sqlite or .sqlite3) or a postgres:// URL", o.Storage)
	}
}

func (k *checker) calibration() {
	c := k.c.Calibration
	if !finite(c.Tolerance) || c.Tolerance <= 0 {
		k.add("calibration.tolerance", "%v; want a finite number > 0, e.g. 0.1 for 10%%", c.Tolerance)
	}
	if c.Replications < 1 || c.Replications > MaxReplications {
		k.add("calibration.replications", "%d; want at least 1 and at most %d", c.Replications, MaxReplications)
	}
}

func (k *checker) sources() {
	src := k.c.Sources
	if len(src) == 0 {
		k.add("sources", "none given; list where metrics come from, e.g. - {type: file, path: metrics.json}")
		return
	}
	for i, s := range src {
		key := indexKey("sources", i)
		switch {
		case strings.TrimSpace(s.Type) == "":
			k.add(key+".type", "is empty; give the source's type, e.g. file")
		case (s.Type == "file" || s.Type == "history") && strings.TrimSpace(s.Path) == "":
			k.add(key+".path", "is empty; a %s source needs the path of its file", s.Type)
		case s.WindowDays < 0:
			k.add(key+".window_days", "is %d; give the days of history to read, or 0 for 365", s.WindowDays)
		}
	}
}

// schedule checks schedule: empty (cycles run on demand only), a
// descriptor (@hourly, @daily, @weekly, @monthly, @yearly), "@every"
// with a duration of at least a minute, or a five-field cron expression.
func (k *checker) schedule() {
	s := strings.TrimSpace(k.c.Schedule)
	if s == "" {
		return
	}
	sched, err := cron.ParseStandard(s)
	if err != nil {
		k.add("schedule", "%q is not a schedule (%v); write e.g. \"@every 24h\", \"@daily\" or a cron expression such as \"0 6 * * 1\"", clipText(s), err)
		return
	}
	if every, ok := sched.(cron.ConstantDelaySchedule); ok && every.Delay < time.Minute {
		k.add("schedule", "%q runs a cycle more often than once a minute; a cycle takes minutes, write e.g. \"@every 24h\"", s)
	}
}

// clipText shortens a value quoted in a message to at most 60 bytes.
func clipText(s string) string {
	if len(s) <= 60 {
		return s
	}
	return strings.ToValidUTF8(s[:57], "") + "..."
}

// StorageOK reports whether s names a study storage attune can open:
// memory, a SQLite file or a PostgreSQL URL. The storage package parses it
// fully when it opens it.
func StorageOK(s string) bool {
	switch {
	case s == "" || s == "memory":
		return true
	case strings.HasPrefix(s, "sqlite:"):
		return len(s) > len("sqlite:")
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return true
	}
	for _, ext := range []string{".db", ".sqlite", ".sqlite3"} {
		if strings.HasSuffix(s, ext) && len(s) > len(ext) {
			return true
		}
	}
	return false
}

// Languages are the prose languages the drafters know (ISO 639-1).
var Languages = []string{"de", "en", "es", "fr", "it", "pt"}

func (k *checker) oracle() {
	o := k.c.Oracle
	switch o.Provider {
	case "template":
	case "openai":
		if strings.TrimSpace(o.Model) == "" {
			k.add("oracle.model", "is empty; name the model the endpoint serves, e.g. model: gpt-4o-mini")
		}
		if strings.TrimSpace(o.BaseURL) == "" {
			k.add("oracle.base_url", "is empty; give the endpoint, e.g. https://api.openai.com/v1 or http://localhost:11434/v1 (Ollama)")
		} else if u, err := url.Parse(o.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			k.add("oracle.base_url", "%q is not an http(s) URL; give e.g. https://api.openai.com/v1", o.BaseURL)
		}
		if o.APIKeyEnv != "" && !envVarName.MatchString(o.APIKeyEnv) {
			k.add("oracle.api_key_env", "%q is not an environment variable name; name the variable that holds the key, e.g. OPENAI_API_KEY (never the key itself)", o.APIKeyEnv)
		}
	default:
		k.add("oracle.provider", "%q is not a provider; use template (offline, deterministic) or openai", o.Provider)
	}
	if o.Language != "" && !slices.Contains(Languages, o.Language) {
		k.add("oracle.language", "%q is not a language attune drafts in; use one of %s", o.Language, strings.Join(Languages, ", "))
	}
	if o.Timeout != "" {
		if d, err := time.ParseDuration(o.Timeout); err != nil || d <= 0 || d > time.Hour {
			k.add("oracle.timeout", "%q; want a duration between 1s and 1h, e.g. 60s", o.Timeout)
		}
	}
	if o.MaxRetries < 0 || o.MaxRetries > 10 {
		k.add("oracle.max_retries", "%d; want between 0 and 10", o.MaxRetries)
	}
	if o.MaxTokens < 0 || o.MaxTokens > 100000 {
		k.add("oracle.max_tokens", "%d; want between 0 (the default, 2000) and 100000", o.MaxTokens)
	}
	if k.finite("oracle.temperature", o.Temperature) && (o.Temperature < 0 || o.Temperature > 2) {
		k.add("oracle.temperature", "%g; want between 0 and 2", o.Temperature)
	}
	if o.Budget.Tokens < 0 {
		k.add("oracle.budget.tokens", "%d; want 0 (no bound) or more", o.Budget.Tokens)
	}
	if k.finite("oracle.budget.usd", o.Budget.USD) && o.Budget.USD < 0 {
		k.add("oracle.budget.usd", "%g; want 0 (no bound) or more", o.Budget.USD)
	}
	if k.finite("oracle.price.prompt_per_1k", o.Price.PromptPer1K) && o.Price.PromptPer1K < 0 {
		k.add("oracle.price.prompt_per_1k", "%g; want 0 or more", o.Price.PromptPer1K)
	}
	if k.finite("oracle.price.completion_per_1k", o.Price.CompletionPer1K) && o.Price.CompletionPer1K < 0 {
		k.add("oracle.price.completion_per_1k", "%g; want 0 or more", o.Price.CompletionPer1K)
	}
	if o.StructuredOutput != "" && !slices.Contains(StructuredOutputs, o.StructuredOutput) {
		k.add("oracle.structured_output", "%q; use one of %s", o.StructuredOutput, strings.Join(StructuredOutputs, ", "))
	}
	if d := o.Azure.Deployment; d != "" && strings.ContainsAny(d, "/?#") {
		k.add("oracle.azure.deployment", "%q; give the bare deployment name", d)
	}
	if v := o.Azure.APIVersion; v != "" && !azureVersion.MatchString(v) {
		k.add("oracle.azure.api_version", "%q; give a version like 2024-10-21 or 2024-08-01-preview", v)
	}
	if o.Budget.USD > 0 && !math.IsInf(o.Budget.USD, 0) && o.Price.PromptPer1K == 0 && o.Price.CompletionPer1K == 0 {
		k.add("oracle.budget.usd", "is set but oracle.price is not; give the endpoint's prices per 1,000 tokens (price: {prompt_per_1k: ..., completion_per_1k: ...})")
	}
}

// azureVersion is what an Azure OpenAI api-version looks like.
var azureVersion = regexp.MustCompile(`^20[0-9]{2}-[0-9]{2}-[0-9]{2}(-preview)?$`)

// envVarName is what an environment variable's name may be.
var envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// RequestTimeout is the oracle's request timeout: Timeout parsed, or 60s.
func (o Oracle) RequestTimeout() time.Duration {
	if d, err := time.ParseDuration(o.Timeout); err == nil && d > 0 {
		return d
	}
	return 60 * time.Second
}
