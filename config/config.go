// Package config defines attune's configuration: the DAO and its model, the
// parameters in force, the search space with its guardrails, objectives and
// constraints, the optimizer, sources, the oracle and sinks.
//
// Load layers the embedded default (configs/default.yaml) under a user's
// file, ATTUNE_* environment variables and command-line flags, rejects
// unknown keys and reports every problem with the file, line and key.
package config

import "errors"

// ErrInvalid is wrapped by every error that reports a bad configuration.
var ErrInvalid = errors.New("invalid config")

// Config is attune's whole configuration.
type Config struct {
	DAO DAO `yaml:"dao" json:"dao" mapstructure:"dao"`
	// Current holds the parameters in force, by name.
	Current map[string]float64 `yaml:"current" json:"current" mapstructure:"current"`
	// Search declares which parameters the optimizer may move and how far.
	// A model parameter absent here is held at its value in force.
	Search      map[string]SearchParam `yaml:"search" json:"search" mapstructure:"search"`
	Objectives  []Objective            `yaml:"objectives" json:"objectives" mapstructure:"objectives"`
	Constraints []string               `yaml:"constraints" json:"constraints" mapstructure:"constraints"`
	Risk        Risk                   `yaml:"risk" json:"risk" mapstructure:"risk"`
	Optimizer   Optimizer              `yaml:"optimizer" json:"optimizer" mapstructure:"optimizer"`
	Calibration Calibration            `yaml:"calibration" json:"calibration" mapstructure:"calibration"`
	Sources     []Source               `yaml:"sources" json:"sources" mapstructure:"sources"`
	Oracle      Oracle                 `yaml:"oracle" json:"oracle" mapstructure:"oracle"`
	Sinks       []Sink                 `yaml:"sinks" json:"sinks" mapstructure:"sinks"`
	// Out is the directory cycles write their outputs under.
	Out string `yaml:"out" json:"out" mapstructure:"out"`
	// Schedule is how often `attune serve` runs a cycle, e.g. "@every 24h".
	Schedule string `yaml:"schedule" json:"schedule" mapstructure:"schedule"`

	// src records where each setting came from, for Line and Problem.
	src *source `yaml:"-" json:"-" mapstructure:"-"`
}

// DAO names the organisation and the mechanism model that describes it.
type DAO struct {
	Name  string `yaml:"name" json:"name" mapstructure:"name"`
	Model string `yaml:"model" json:"model" mapstructure:"model"`
	// Options are model-specific settings (e.g. adversary_share for
	// tokenvote); see `attune model` for each model's options.
	Options map[string]float64 `yaml:"options,omitempty" json:"options,omitempty" mapstructure:"options"`
	// Token is the governance token: its symbol and its price, with which
	// rewards and budgets are valued in USD.
	Token Token `yaml:"token,omitempty" json:"token,omitempty" mapstructure:"token"`
	// Governor is the governor family whose rules count the votes: oz,
	// bravo, aave-v2, aragon, arbitrum or nouns.
	Governor string `yaml:"governor" json:"governor" mapstructure:"governor"`
	// Track is the governor track this config tunes (Aave's short or long
	// executor, Arbitrum's constitutional or non-constitutional); "" for a
	// governor with one.
	Track string `yaml:"track,omitempty" json:"track,omitempty" mapstructure:"track"`
	// Rules overrides the family's rules one by one.
	Rules Rules `yaml:"rules,omitempty" json:"rules,omitempty" mapstructure:"rules"`
	// AllowUpgrades lists parameters the governor cannot change by an
	// ordinary vote (a per-vote reward, Bravo's quorum) that the search may
	// move all the same; the proposal labels them as needing an upgrade or
	// a separate programme.
	AllowUpgrades []string `yaml:"allow_upgrades,omitempty" json:"allow_upgrades,omitempty" mapstructure:"allow_upgrades"`
	// Onchain is what the proposal's on-chain specification needs to turn
	// a recommended value into a setter's argument; unset fields take the
	// governor family's defaults (governor.DefaultOnchain).
	Onchain Onchain `yaml:"onchain,omitempty" json:"onchain,omitempty" mapstructure:"onchain"`
}

// Onchain describes the deployed governor. Defaults per family: a block
// clock at 12 s per block (Ethereum since the Merge; Arbitrum's governors
// read L1 blocks) except Aragon (timestamp: seconds), 18 token decimals
// (0 for Nouns, whose thresholds are basis points anyway), and a quorum
// denominator of 100 for OpenZeppelin (10,000 for Arbitrum).
type Onchain struct {
	// Address is the contract the proposal's calls go to: the governor
	// (its proxy), Aragon's Voting app or, for Aave v2, the executor.
	Address string `yaml:"address,omitempty" json:"address,omitempty" mapstructure:"address"`
	// Clock is what the governor counts durations in: blocks or
	// timestamp (seconds; an OpenZeppelin governor whose token's
	// CLOCK_MODE is mode=timestamp).
	Clock string `yaml:"clock,omitempty" json:"clock,omitempty" mapstructure:"clock"`
	// BlockSeconds is the chain's seconds per block, for a block clock.
	BlockSeconds float64 `yaml:"block_seconds,omitempty" json:"block_seconds,omitempty" mapstructure:"block_seconds"`
	// TokenDecimals is the governance token's decimals.
	TokenDecimals *int `yaml:"token_decimals,omitempty" json:"token_decimals,omitempty" mapstructure:"token_decimals"`
	// QuorumDenominator is an OpenZeppelin governor's quorumDenominator().
	QuorumDenominator int `yaml:"quorum_denominator,omitempty" json:"quorum_denominator,omitempty" mapstructure:"quorum_denominator"`
}

// Token is a DAO's governance token.
type Token struct {
	Symbol string `yaml:"symbol,omitempty" json:"symbol,omitempty" mapstructure:"symbol"`
	// PriceUSD is the price of one token in USD; 0 means unknown.
	PriceUSD float64 `yaml:"price_usd,omitempty" json:"price_usd,omitempty" mapstructure:"price_usd"`
}

// Rules overrides a governor family's rules; unset fields keep the
// family's (see package governor for their meaning).
type Rules struct {
	QuorumCounts            string            `yaml:"quorum_counts,omitempty" json:"quorum_counts,omitempty" mapstructure:"quorum_counts"`
	QuorumBase              string            `yaml:"quorum_base,omitempty" json:"quorum_base,omitempty" mapstructure:"quorum_base"`
	QuorumCoefficient       *float64          `yaml:"quorum_coefficient,omitempty" json:"quorum_coefficient,omitempty" mapstructure:"quorum_coefficient"`
	QuorumMax               *float64          `yaml:"quorum_max,omitempty" json:"quorum_max,omitempty" mapstructure:"quorum_max"`
	VotingDelayDays         *float64          `yaml:"voting_delay_days,omitempty" json:"voting_delay_days,omitempty" mapstructure:"voting_delay_days"`
	ObjectionPhaseDays      *float64          `yaml:"objection_phase_days,omitempty" json:"objection_phase_days,omitempty" mapstructure:"objection_phase_days"`
	LateQuorumExtensionDays *float64          `yaml:"late_quorum_extension_days,omitempty" json:"late_quorum_extension_days,omitempty" mapstructure:"late_quorum_extension_days"`
	TimelockDays            *float64          `yaml:"timelock_days,omitempty" json:"timelock_days,omitempty" mapstructure:"timelock_days"`
	Changes                 map[string]string `yaml:"changes,omitempty" json:"changes,omitempty" mapstructure:"changes"`
}

// SearchParam declares the search range of one parameter and its guardrails.
type SearchParam struct {
	// Type is "float" (default), "int", "log" (float searched on a log
	// scale) or "categorical".
	Type string   `yaml:"type,omitempty" json:"type,omitempty" mapstructure:"type"`
	Min  *float64 `yaml:"min,omitempty" json:"min,omitempty" mapstructure:"min"`
	Max  *float64 `yaml:"max,omitempty" json:"max,omitempty" mapstructure:"max"`
	// Choices lists the values of a categorical parameter.
	Choices []float64 `yaml:"choices,omitempty" json:"choices,omitempty" mapstructure:"choices"`
	// MaxChange bounds the relative change from the value in force per
	// cycle: 0.25 allows ±25%. 0 means no such bound.
	MaxChange float64 `yaml:"max_change,omitempty" json:"max_change,omitempty" mapstructure:"max_change"`
	// MaxStep bounds the absolute change from the value in force per cycle;
	// use it for parameters whose value in force may be 0. 0 means no bound.
	MaxStep float64 `yaml:"max_step,omitempty" json:"max_step,omitempty" mapstructure:"max_step"`
	// Frozen holds the parameter at its value in force.
	Frozen bool `yaml:"frozen,omitempty" json:"frozen,omitempty" mapstructure:"frozen"`
}

// Objective is one named outcome to improve, with its weight.
type Objective struct {
	Name   string  `yaml:"name" json:"name" mapstructure:"name"`
	Weight float64 `yaml:"weight" json:"weight" mapstructure:"weight"`
	// Direction overrides the model's "maximize" or "minimize" for this
	// outcome; empty uses the model's.
	Direction string `yaml:"direction,omitempty" json:"direction,omitempty" mapstructure:"direction"`
}

// Risk chooses how replications of one parameter set are aggregated into a
// score: "mean", or "cvar" (the mean of the worst Alpha share).
type Risk struct {
	Measure string  `yaml:"measure" json:"measure" mapstructure:"measure"`
	Alpha   float64 `yaml:"alpha" json:"alpha" mapstructure:"alpha"`
}

// Samplers are the optimizer's samplers (optimizer/sampling's registry
// holds the same names; a test keeps the two in step).
var Samplers = []string{"auto", "cmaes", "gp", "qmc", "random", "tpe"}

// Optimizer configures the search.
type Optimizer struct {
	// Sampler names the search's sampler: one of Samplers.
	Sampler string `yaml:"sampler" json:"sampler" mapstructure:"sampler"`
	// Searches is how many independent searches (on seeds derived from
	// Seed) share the trials; a parameter whose recommended direction
	// differs across them is left unchanged.
	Searches int `yaml:"searches" json:"searches" mapstructure:"searches"`
	// Trials is the number of parameter sets evaluated by all searches
	// together, each search's baseline included.
	Trials int `yaml:"trials" json:"trials" mapstructure:"trials"`
	// Replications is the number of seeded runs per trial, shared by all
	// trials (common random numbers).
	Replications int `yaml:"replications" json:"replications" mapstructure:"replications"`
	// Validation is the number of fresh replications on which the best
	// candidate is compared with the baseline.
	Validation int `yaml:"validation" json:"validation" mapstructure:"validation"`
	// Finalists is how many of each search's best trials are re-evaluated
	// on twice Replications fresh replications once the search is done;
	// the best by that estimate wins. 0 makes the best search evaluation
	// the winner.
	Finalists int `yaml:"finalists" json:"finalists" mapstructure:"finalists"`
	// Preset chooses each search's winner when objectives pull apart:
	// "balanced" (the best combined score; default), "conservative" (the
	// smallest change no worse on any objective and better on one) or
	// "aggressive" (of the Pareto set, the best on the most heavily
	// weighted objective).
	Preset string `yaml:"preset" json:"preset" mapstructure:"preset"`
	// Batch is how many trials are proposed at once and evaluated in
	// parallel. It is part of the result's identity: changing it changes
	// the search, while the number of cores does not.
	Batch int    `yaml:"batch" json:"batch" mapstructure:"batch"`
	Seed  uint64 `yaml:"seed" json:"seed" mapstructure:"seed"`
	// Confidence is the level of every interval reported, e.g. 0.9.
	Confidence float64 `yaml:"confidence" json:"confidence" mapstructure:"confidence"`
	// Storage is where studies persist: "memory" (default: the study lives
	// as long as the command), "sqlite:PATH" (or a PATH ending .db) or a
	// "postgres://" URL. A stored study resumes when its cycle runs again
	// and warm-starts the next cycle; with PostgreSQL, attune worker
	// processes on other machines can share it.
	Storage string `yaml:"storage" json:"storage" mapstructure:"storage"`
}

// Calibration configures fitting the simulator to observed metrics.
type Calibration struct {
	// Tolerance is the largest relative error accepted on a fitted metric.
	Tolerance    float64 `yaml:"tolerance" json:"tolerance" mapstructure:"tolerance"`
	Replications int     `yaml:"replications" json:"replications" mapstructure:"replications"`
}

// Source is where metrics come from. Type selects the adapter; the other
// fields are the adapter's own.
type Source struct {
	// Type is "history" (a governance history: JSON file or CSV
	// directory) or "file" (a precomputed metrics file).
	Type string `yaml:"type" json:"type" mapstructure:"type"`
	Path string `yaml:"path,omitempty" json:"path,omitempty" mapstructure:"path"`
	// WindowDays is how much of a history is read: the proposals whose
	// vote ended in the last WindowDays days before the history's last
	// one. 0 means 365.
	WindowDays int `yaml:"window_days,omitempty" json:"window_days,omitempty" mapstructure:"window_days"`
	// DAO is the DAO name the data carry, when it differs from dao.name;
	// data labelled with any other name are refused.
	DAO string `yaml:"dao,omitempty" json:"dao,omitempty" mapstructure:"dao"`
	// Settings holds the source type's own keys, which the type decodes
	// (see DecodeSection): everything in the entry but type, path,
	// window_days and dao.
	Settings map[string]any `yaml:",inline" json:"settings,omitempty" mapstructure:",remain"`
}

// Oracle chooses what drafts proposal prose: "template" (deterministic, no
// network) or "openai" (any OpenAI-compatible chat-completions endpoint,
// whose draft is verified against the recommendation's facts and replaced
// by the template's when it fails).
type Oracle struct {
	Provider string `yaml:"provider" json:"provider" mapstructure:"provider"`
	// BaseURL is the endpoint's base URL, e.g. https://api.openai.com/v1 or
	// http://localhost:11434/v1 for Ollama.
	BaseURL string `yaml:"base_url,omitempty" json:"base_url,omitempty" mapstructure:"base_url"`
	Model   string `yaml:"model,omitempty" json:"model,omitempty" mapstructure:"model"`
	// APIKeyEnv names the environment variable that holds the API key;
	// the key itself never appears in a config. Empty for a local server
	// that needs none.
	APIKeyEnv string `yaml:"api_key_env,omitempty" json:"api_key_env,omitempty" mapstructure:"api_key_env"`
	// Language is the language of the prose (an ISO 639-1 code: en, es,
	// de, fr, pt...); numbers are formatted for it. Empty means en.
	Language string `yaml:"language,omitempty" json:"language,omitempty" mapstructure:"language"`
	// Timeout bounds each request to the endpoint, as a Go duration
	// ("60s"); empty means 60s.
	Timeout string `yaml:"timeout,omitempty" json:"timeout,omitempty" mapstructure:"timeout"`
	// MaxRetries is how often a request that failed with a 429, a 5xx or a
	// network error is retried; 0 means the default (4).
	MaxRetries int `yaml:"max_retries,omitempty" json:"max_retries,omitempty" mapstructure:"max_retries"`
	// MaxTokens bounds each completion; 0 means the default (2000).
	MaxTokens   int     `yaml:"max_tokens,omitempty" json:"max_tokens,omitempty" mapstructure:"max_tokens"`
	Temperature float64 `yaml:"temperature,omitempty" json:"temperature,omitempty" mapstructure:"temperature"`
	// Budget bounds what one cycle's drafting may spend; a request that
	// would exceed it is not sent and the template drafts instead.
	Budget OracleBudget `yaml:"budget,omitempty" json:"budget,omitempty" mapstructure:"budget"`
	// Price is the endpoint's price per 1,000 tokens, for the cost in the
	// recommendation's metadata and the USD budget.
	Price OraclePrice `yaml:"price,omitempty" json:"price,omitempty" mapstructure:"price"`
	// StructuredOutput is the structured-output mode to ask for first:
	// json_schema (the default: the endpoint enforces the draft's
	// schema), json_object (JSON, shape asked for in the prompt) or
	// prompt (no response_format). The drafter steps down by itself when
	// an endpoint refuses a mode; set a lower one to skip the refusals.
	StructuredOutput string `yaml:"structured_output,omitempty" json:"structured_output,omitempty" mapstructure:"structured_output"`
	// Azure, when its deployment or api_version is set, addresses an
	// Azure OpenAI resource: base_url is https://NAME.openai.azure.com.
	// (omitzero keeps Config.Hash, and so cycle ids, as they were when it
	// is unset.)
	Azure OracleAzure `yaml:"azure,omitempty" json:"azure,omitzero" mapstructure:"azure"`
}

// OracleAzure addresses an Azure OpenAI deployment.
type OracleAzure struct {
	// Deployment is the deployment name (model when empty).
	Deployment string `yaml:"deployment,omitempty" json:"deployment,omitempty" mapstructure:"deployment"`
	// APIVersion is the api-version query parameter (2024-10-21 when
	// empty, the first GA version with structured outputs).
	APIVersion string `yaml:"api_version,omitempty" json:"api_version,omitempty" mapstructure:"api_version"`
}

// Enabled reports whether the oracle addresses Azure OpenAI.
func (a OracleAzure) Enabled() bool { return a.Deployment != "" || a.APIVersion != "" }

// StructuredOutputs are the values of oracle.structured_output.
var StructuredOutputs = []string{"json_schema", "json_object", "prompt"}

// OracleBudget bounds one cycle's drafting: total tokens and USD; 0 means
// no bound of that kind.
type OracleBudget struct {
	Tokens int     `yaml:"tokens,omitempty" json:"tokens,omitempty" mapstructure:"tokens"`
	USD    float64 `yaml:"usd,omitempty" json:"usd,omitempty" mapstructure:"usd"`
}

// OraclePrice is an endpoint's price in USD per 1,000 prompt and
// completion tokens.
type OraclePrice struct {
	PromptPer1K     float64 `yaml:"prompt_per_1k,omitempty" json:"prompt_per_1k,omitempty" mapstructure:"prompt_per_1k"`
	CompletionPer1K float64 `yaml:"completion_per_1k,omitempty" json:"completion_per_1k,omitempty" mapstructure:"completion_per_1k"`
}

// Sink is where approved proposals go. Type selects the adapter; Name
// tells two sinks of one type apart (publish --sink NAME) and defaults to
// the type.
type Sink struct {
	Type string `yaml:"type" json:"type" mapstructure:"type"`
	Name string `yaml:"name,omitempty" json:"name,omitempty" mapstructure:"name"`
	// Settings holds the sink type's own keys, which the type decodes
	// (see DecodeSection).
	Settings map[string]any `yaml:",inline" json:"settings,omitempty" mapstructure:",remain"`
}

// SinkName is the sink's name: Name, or Type when Name is empty.
func (s Sink) SinkName() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Type
}
