package install

import (
	"slices"
	"testing"

	"github.com/attune-dao/attune/adapters"
)

func TestInstalled(t *testing.T) {
	for _, typ := range []string{"exec", "file", "governor", "history", "snapshot"} {
		if !slices.Contains(adapters.SourceTypes(), typ) {
			t.Errorf("source type %q is not registered; have %v", typ, adapters.SourceTypes())
		}
	}
	for _, typ := range []string{"discourse", "github", "markdown", "safe", "snapshot", "webhook"} {
		if !slices.Contains(adapters.SinkTypes(), typ) {
			t.Errorf("sink type %q is not registered; have %v", typ, adapters.SinkTypes())
		}
	}
}
