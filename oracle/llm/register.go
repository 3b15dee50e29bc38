package llm

import (
	"errors"
	"fmt"
	"os"

	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/oracle/openai"
)

// Defaults of the oracle section's zero values.
const (
	// DefaultMaxRetries is the retries after a failed request when the
	// config gives 0.
	DefaultMaxRetries = 4
	// DefaultMaxTokens bounds each completion when the config gives 0.
	DefaultMaxTokens = 2000
)

func init() { oracle.Register(Provider, newFromConfig) }

// newFromConfig builds the LLM drafter from the config's oracle section:
// an OpenAI-compatible endpoint, the key read from the variable
// APIKeyEnv names. Nothing is sent. Problems are *oracle.ConfigError
// values naming the config key.
func newFromConfig(c oracle.DrafterConfig) (oracle.Drafter, error) {
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var key string
	if c.APIKeyEnv != "" {
		if key = getenv(c.APIKeyEnv); key == "" {
			return nil, &oracle.ConfigError{Key: "api_key_env", Problem: fmt.Sprintf("names %s, which is not set or empty; export the endpoint's key in it, or remove api_key_env for a local server that needs none", c.APIKeyEnv)}
		}
	}
	oc := openai.Config{
		BaseURL:     c.BaseURL,
		Model:       c.Model,
		APIKey:      key,
		APIKeyEnv:   c.APIKeyEnv,
		Timeout:     c.Timeout,
		MaxRetries:  c.MaxRetries,
		MaxTokens:   c.MaxTokens,
		Temperature: c.Temperature,
		Budget:      openai.Budget{Tokens: c.BudgetTokens, USD: c.BudgetUSD},
		Price:       openai.Price{PromptPer1K: c.PricePromptPer1K, CompletionPer1K: c.PriceCompletionPer1K},
		JitterSeed:  c.Seed,
	}
	if oc.MaxRetries == 0 {
		oc.MaxRetries = DefaultMaxRetries
	}
	if oc.MaxTokens == 0 {
		oc.MaxTokens = DefaultMaxTokens
	}
	switch c.StructuredOutput {
	case "json_object":
		oc.Mode = openai.ModeJSONObject
	case "prompt":
		oc.Mode = openai.ModePrompt
	}
	if c.AzureDeployment != "" || c.AzureAPIVersion != "" {
		oc.Azure = &openai.Azure{Deployment: c.AzureDeployment, APIVersion: c.AzureAPIVersion}
	}
	var opts []openai.Option
	if c.HTTPClient != nil {
		opts = append(opts, openai.WithHTTPClient(c.HTTPClient))
	}
	if c.Sleep != nil {
		opts = append(opts, openai.WithSleep(c.Sleep))
	}
	// The endpoint's seed, from the cycle's: the same cycle asks for the
	// same sampling (where the endpoint honours seeds at all).
	seed := int(c.Seed & 0x7fffffff)
	d, err := New(Config{OpenAI: oc, Language: c.Language, Seed: &seed, CacheDir: c.CacheDir}, opts...)
	if err != nil {
		var ce *openai.ConfigError
		key := ""
		if errors.As(err, &ce) {
			key = configKey(ce.Field)
		}
		if key == "" && c.Language != "" {
			if _, ok := languages[c.Language]; !ok {
				key = "language"
			}
		}
		if key == "" {
			return nil, err
		}
		return nil, &oracle.ConfigError{Key: key, Problem: err.Error()}
	}
	return d, nil
}

// configKey is the oracle section's key of an openai.Config field.
func configKey(field string) string {
	switch field {
	case "BaseURL":
		return "base_url"
	case "Model":
		return "model"
	case "APIKey":
		return "api_key_env"
	case "MaxTokens":
		return "max_tokens"
	case "Temperature":
		return "temperature"
	case "Budget.Tokens":
		return "budget.tokens"
	case "Budget.USD":
		return "budget.usd"
	case "Price":
		return "price"
	case "Azure.Deployment":
		return "azure.deployment"
	}
	return ""
}
