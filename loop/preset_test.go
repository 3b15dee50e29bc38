package loop

import (
	"strings"
	"testing"

	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/simulator/simtest"
)

// Raising b raises gain by 2 and cost by 1 per unit: the combined score
// (gain - cost) favours raising it, yet no move of b is better on both
// objectives. The presets must part ways exactly there.
func TestPresetsChooseAmongTradeOffs(t *testing.T) {
	spec := fakeSpec{
		options:    "{slope_b: 2, cost_b: 1, noise_sd: 0.05}",
		search:     "{b: {min: 0, max: 1}}",
		objectives: "[{name: gain, weight: 2}, {name: cost, weight: 1}]",
		sampler:    "random",
	}
	for _, tc := range []struct {
		preset string
		moves  bool
	}{{"balanced", true}, {"conservative", false}, {"aggressive", true}} {
		spec.preset = tc.preset
		c := spec.cycle(t)
		rec := c.Recommendation
		if rec.Method.Preset != tc.preset {
			t.Errorf("%s: method names preset %q", tc.preset, rec.Method.Preset)
		}
		if !strings.Contains(rec.Method.Selection, tc.preset) {
			t.Errorf("%s: selection %q does not name the preset", tc.preset, rec.Method.Selection)
		}
		b := param(t, rec, simtest.FakeB)
		if tc.moves {
			if !rec.Change || !(b.Recommended > b.Current) {
				t.Errorf("%s: b %v -> %v (%s); want b raised", tc.preset, b.Current, b.Recommended, rec.Reason)
			}
			continue
		}
		if rec.Change || rec.Basis != oracle.BasisCurrentBest || !strings.Contains(rec.Reason, "conservative") {
			t.Errorf("%s: change %v, basis %s (%s); want the parameters in force kept, saying why", tc.preset, rec.Change, rec.Basis, rec.Reason)
		}
	}
	// Aggressive pushes the heavier objective: with cost the heavier, b
	// comes down (cheaper, less gain) where balanced would still weigh
	// 1·2 against 3·1 and lower it too; conservative still keeps b.
	spec.objectives = "[{name: gain, weight: 1}, {name: cost, weight: 3}]"
	spec.preset = "aggressive"
	rec := spec.cycle(t).Recommendation
	if b := param(t, rec, simtest.FakeB); !(b.Recommended < b.Current) {
		t.Errorf("aggressive on cost: b %v -> %v; want b lowered", b.Current, b.Recommended)
	}
}

// a moves gain, inert moves nothing: the recommendation's importance must
// rank a first and give inert (almost) nothing, and the proposal must say
// so.
func TestImportanceNamesWhatMattered(t *testing.T) {
	c := fakeSpec{
		options:    "{slope_a: 2, noise_sd: 0.05}",
		search:     "{a: {min: 0, max: 1}, inert: {min: 0, max: 1}}",
		objectives: "[{name: gain, weight: 1}]",
		sampler:    "random",
	}.cycle(t)
	imp := c.Recommendation.Importance
	if len(imp) != 2 || imp[0].Param != simtest.FakeA || imp[0].Share < 0.9 || imp[1].Share > 0.05 {
		t.Fatalf("importance %+v; want a first with nearly all of it", imp)
	}
	if !strings.Contains(c.Proposal.Markdown, "### Which parameters mattered") || !strings.Contains(c.Proposal.Markdown, "- `a`: ") {
		t.Errorf("the proposal does not list the importances:\n%s", c.Proposal.Markdown)
	}
}
