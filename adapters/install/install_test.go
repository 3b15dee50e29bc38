package install

import (
	"slices"
	"testing"

	"github.com/attune-dao/attune/adapters"
)

func TestEverySourceTypeIsRegistered(t *testing.T) {
	for _, typ := range []string{"exec", "file", "history"} {
		if !slices.Contains(adapters.SourceTypes(), typ) {
			t.Errorf("source type %q is not registered; types: %v", typ, adapters.SourceTypes())
		}
	}
}
