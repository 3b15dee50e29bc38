package webhook

import (
	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/httpx"
)

// Build is NewSink with the client's options, for the tests (Sleep,
// Timeout).
func Build(c *Config, env adapters.Env, o httpx.Options) (*Sink, error) { return c.build(env, o) }
