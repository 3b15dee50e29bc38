package openai_test

import (
	"testing"

	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/oracle/openai"
)

// A client's Usage converts to the drafter's metadata type field for field.
func TestUsageConvertsToOracleUsage(t *testing.T) {
	u := openai.Usage{PromptTokens: 1, CompletionTokens: 2, Requests: 3, CostUSD: 0.5}
	got := oracle.Usage(u)
	if got != (oracle.Usage{PromptTokens: 1, CompletionTokens: 2, Requests: 3, CostUSD: 0.5}) {
		t.Errorf("oracle.Usage(u) = %+v", got)
	}
}
