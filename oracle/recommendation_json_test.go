package oracle

import (
	"encoding/json"
	"strings"
	"testing"
)

// A recommendation with no constraints or clamps writes empty lists, not
// null, as its schema requires.
func TestWithListsWritesEmptyLists(t *testing.T) {
	b, err := json.Marshal(Recommendation{CycleID: "c"}.WithLists())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"params", "effects", "outcomes", "constraints", "clamps"} {
		if !strings.Contains(string(b), `"`+k+`":[]`) {
			t.Errorf("%s is not [] in %s", k, b)
		}
	}
	r := Recommendation{Clamps: []Clamp{{}}}.WithLists()
	if len(r.Clamps) != 1 {
		t.Error("a list that has entries is kept")
	}
}
