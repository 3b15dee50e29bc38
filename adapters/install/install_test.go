package install

import (
	"slices"
	"testing"

	"github.com/attune-dao/attune/adapters"
)

func TestEverySinkIsRegistered(t *testing.T) {
	for _, typ := range []string{"discourse", "github", "markdown", "webhook"} {
		if !slices.Contains(adapters.SinkTypes(), typ) {
			t.Errorf("sink %s is not registered; types: %v", typ, adapters.SinkTypes())
		}
	}
}
