// Package install registers every drafter attune ships with
// oracle.Register: the template (registered by oracle itself) and the
// LLM drafter "openai" (oracle/llm). Import it for its side effects.
package install

import (
	// Each registers itself by name.
	_ "github.com/attune-dao/attune/oracle/llm"
)
