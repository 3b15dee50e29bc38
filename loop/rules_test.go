package loop

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/optimizer"
	"github.com/attune-dao/attune/oracle"
)

func clampOf(cs []optimizer.Clamp, param string) (optimizer.Clamp, bool) {
	for _, c := range cs {
		if c.Param == param {
			return c, true
		}
	}
	return optimizer.Clamp{}, false
}

func TestGovernorDecidesWhatIsSearched(t *testing.T) {
	ctx := context.Background()
	// The default is Compound's GovernorBravo: its quorum is a constant and
	// a per-vote reward is a separate programme, so neither is searched.
	env, err := Prepare(ctx, small(t, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"quorum", "participation_reward"} {
		c, ok := clampOf(env.Clamps, p)
		if !ok || c.Kind != "needs_upgrade" {
			t.Errorf("%s: clamp %+v; want needs_upgrade", p, c)
		}
		for _, sp := range env.Space {
			if sp.Name == p {
				t.Errorf("%s is searched", p)
			}
		}
	}
	if env.Enactment["proposal_threshold"] != "vote" || env.Enactment["quorum"] != "upgrade" {
		t.Errorf("enactment %v", env.Enactment)
	}
	// Opting in searches it, and the recommendation will say it needs an upgrade.
	env, err = Prepare(ctx, small(t, map[string]any{"dao.allow_upgrades": "[quorum]"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, sp := range env.Space {
		found = found || sp.Name == "quorum"
	}
	if !found {
		t.Errorf("quorum not searched with dao.allow_upgrades: %+v", env.Space)
	}
	// Aragon has no proposal threshold to change at all.
	env, err = Prepare(ctx, small(t, map[string]any{"dao.governor": "aragon"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := clampOf(env.Clamps, "proposal_threshold"); c.Kind != "not_enactable" {
		t.Errorf("aragon threshold clamp %+v", c)
	}
}

func TestBadGovernorSettingsAreNamed(t *testing.T) {
	for _, c := range []struct {
		over map[string]any
		want string
	}{
		{map[string]any{"dao.governor": "compound"}, "dao.governor"},
		{map[string]any{"dao.governor": "aave-v2"}, "dao.track"},
		{map[string]any{"dao.governor": "aave-v2", "dao.track": "medium"}, "short, long"},
		{map[string]any{"dao.track": "short"}, "one track"},
		{map[string]any{"dao.rules.quorum_counts": "some"}, "quorum_counts"},
		{map[string]any{"dao.allow_upgrades": "[quorm]"}, "dao.allow_upgrades[0]"},
		{map[string]any{"dao.token.price_usd": 0.0}, "set dao.token.price_usd"},
	} {
		env, err := Prepare(context.Background(), small(t, c.over), nil)
		if err == nil {
			err = env.SearchErr() // a search problem does not stop calibration
		}
		if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v; want it to name %s", c.over, err, c.want)
		}
	}
}

func TestCalibrateNeedsNoSearch(t *testing.T) {
	// A search section the search would refuse does not stop calibration;
	// the search then reports it.
	cfg := small(t, map[string]any{"search": "{quorm: {min: 0.01, max: 0.1}}"})
	env, err := Prepare(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("calibration refused for a bad search section: %v", err)
	}
	if len(env.Fit.Targets) == 0 {
		t.Error("no fit")
	}
	if _, err := env.Optimize(context.Background(), Options{}); !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "search.quorm") {
		t.Errorf("Optimize error %v; want the search section named", err)
	}
}

func TestRealValueOutsideTheRangeIsSearched(t *testing.T) {
	// Compound's 0.25% threshold below a range starting at 1%: the range is
	// widened to include it, and the widening is reported.
	cfg := small(t, map[string]any{"search": "{proposal_threshold: {min: 0.01, max: 0.05, max_change: 0.5}}"})
	env, err := Prepare(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := clampOf(env.Clamps, "proposal_threshold")
	if !ok || c.Kind != "widened" || len(env.Space) != 1 || env.Space[0].Low > 0.0025 {
		t.Errorf("clamps %+v space %+v", env.Clamps, env.Space)
	}
}

func TestInconsistentParametersNeverReachAProposal(t *testing.T) {
	// A threshold that may rise above the quorum: every such trial is
	// infeasible in the search, and the recommendation never holds one.
	cfg := small(t, map[string]any{
		"dao.allow_upgrades": "[quorum]",
		"search":             "{quorum: {min: 0.01, max: 0.03}, proposal_threshold: {min: 0.0025, max: 0.05}}",
	})
	env, err := Prepare(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := env.Optimize(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, tr := range res[0].Trials {
		if tr.Params["proposal_threshold"] > tr.Params["quorum"] {
			bad++
			if tr.Eval.Feasible() {
				t.Errorf("trial %d is feasible with threshold %v above quorum %v", tr.Number, tr.Params["proposal_threshold"], tr.Params["quorum"])
			}
		}
	}
	if bad == 0 {
		t.Fatal("no trial put the threshold above the quorum; the test proves nothing")
	}
	rec, err := env.Recommend(context.Background(), "id", res, "test")
	if err != nil {
		t.Fatal(err)
	}
	var q, th float64
	for _, p := range rec.Params {
		switch p.Name {
		case "quorum":
			q = p.Recommended
		case "proposal_threshold":
			th = p.Recommended
		}
	}
	if th > q {
		t.Errorf("recommended threshold %v above quorum %v", th, q)
	}
}

func TestAssumptionSweepFindsWhereTheVerdictTurns(t *testing.T) {
	// A higher quorum lowers attack success only if there is an attacker:
	// the verdict on it must turn when the coalition shrinks to nothing.
	env, err := Prepare(context.Background(), small(t, map[string]any{
		"dao.allow_upgrades": "[quorum]",
		"objectives":         "[{name: attack_success_rate, weight: 1}]",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	cand := env.Current.Clone()
	cand["quorum"] = 0.08
	ss, err := env.sensitivity(context.Background(), cand, true)
	if err != nil {
		t.Fatal(err)
	}
	var adv *oracle.Sensitivity
	for i := range ss {
		if ss[i].Name == "adversary_share" {
			adv = &ss[i]
		}
	}
	if adv == nil || adv.FlipsBelow == nil || *adv.FlipsBelow >= adv.Value {
		t.Fatalf("adversary sweep %+v; want the verdict to turn below the assumed coalition", adv)
	}
	if mostSensitive(ss) == "" {
		t.Error("no assumption named as the one the verdict rests on")
	}
	// The parameters in force against themselves: nothing to sweep.
	if ss, _ := env.sensitivity(context.Background(), env.Current, true); ss != nil {
		t.Errorf("sweep of no change: %+v", ss)
	}
}
