package llm

import (
	"time"

	"github.com/attune-dao/attune/oracle"
)

// fixture returns a realistic recommendation for a token-voting DAO:
// quorum 4% -> 5%, voting period 7 -> 9 days, proposal threshold held,
// no participation reward; turnout and decision quality improve while
// the attack success rate gets worse.
func fixture() oracle.Recommendation {
	return oracle.Recommendation{
		CycleID: "2025-q3",
		DAO:     "Example DAO",
		Change:  true,
		Basis:   oracle.BasisSignificant,
		Reason:  "combined score improves on paired replications and all constraints hold",
		Score: oracle.Effect{
			Name: "score", Better: "maximize",
			Current:     oracle.Estimate{Mean: 0.612, CI: oracle.Interval{Lo: 0.601, Hi: 0.623, Level: 0.9}, N: 200},
			Recommended: oracle.Estimate{Mean: 0.654, CI: oracle.Interval{Lo: 0.642, Hi: 0.666, Level: 0.9}, N: 200},
			Difference:  oracle.Estimate{Mean: 0.042, CI: oracle.Interval{Lo: 0.018, Hi: 0.066, Level: 0.9}, N: 200},
		},
		Params: []oracle.ParamChange{
			{Name: "quorum", Unit: "fraction of supply", Description: "share of supply that must vote for a proposal to pass",
				Current: 0.04, Recommended: 0.05, RelChange: fptr(0.25), Searched: true},
			{Name: "voting_period_days", Unit: "days", Current: 7, Recommended: 9, RelChange: fptr(2.0 / 7), Integer: true, Searched: true},
			{Name: "proposal_threshold", Unit: "tokens", Current: 250000, Recommended: 250000, Searched: false},
			{Name: "participation_reward", Unit: "tokens per vote", Current: 0, Recommended: 0, Searched: true},
		},
		Effects: []oracle.Effect{
			{Name: "decision_quality", Unit: "", Better: "maximize", Weight: 0.6,
				Current:     oracle.Estimate{Mean: 0.712, CI: oracle.Interval{Lo: 0.70, Hi: 0.724, Level: 0.9}, N: 200},
				Recommended: oracle.Estimate{Mean: 0.748, CI: oracle.Interval{Lo: 0.736, Hi: 0.760, Level: 0.9}, N: 200},
				Difference:  oracle.Estimate{Mean: 0.036, CI: oracle.Interval{Lo: 0.021, Hi: 0.051, Level: 0.9}, N: 200}},
			{Name: "turnout", Unit: "share", Better: "maximize", Weight: 0.4,
				Current:     oracle.Estimate{Mean: 0.081, CI: oracle.Interval{Lo: 0.078, Hi: 0.084, Level: 0.9}, N: 200},
				Recommended: oracle.Estimate{Mean: 0.093, CI: oracle.Interval{Lo: 0.089, Hi: 0.097, Level: 0.9}, N: 200},
				Difference:  oracle.Estimate{Mean: 0.012, CI: oracle.Interval{Lo: 0.008, Hi: 0.016, Level: 0.9}, N: 200}},
		},
		Outcomes: []oracle.Effect{
			{Name: "attack_success_rate", Unit: "share", Better: "minimize",
				Current:     oracle.Estimate{Mean: 0.012, CI: oracle.Interval{Lo: 0.010, Hi: 0.014, Level: 0.9}, N: 200},
				Recommended: oracle.Estimate{Mean: 0.018, CI: oracle.Interval{Lo: 0.015, Hi: 0.021, Level: 0.9}, N: 200},
				Difference:  oracle.Estimate{Mean: 0.006, CI: oracle.Interval{Lo: 0.002, Hi: 0.010, Level: 0.9}, N: 200}},
			{Name: "proposals_passed", Unit: "proposals", Better: "maximize",
				Current:     oracle.Estimate{Mean: 14.2, CI: oracle.Interval{Lo: 13.8, Hi: 14.6, Level: 0.9}, N: 200},
				Recommended: oracle.Estimate{Mean: 14.0, CI: oracle.Interval{Lo: 13.6, Hi: 14.4, Level: 0.9}, N: 200},
				Difference:  oracle.Estimate{Mean: -0.2, CI: oracle.Interval{Lo: -0.5, Hi: 0.1, Level: 0.9}, N: 200}},
		},
		Constraints: []oracle.ConstraintCheck{
			{Expr: "reward_spend_per_month <= 50000", Current: 0, Recommended: 0, OK: true},
		},
		Clamps: []oracle.Clamp{
			{Param: "voting_period_days", Kind: "max_change", Detail: "range [3, 14] cut to [5, 9] (at most +/-30% per cycle)", Binding: true},
			{Param: "quorum", Kind: "bounds", Detail: "range [0, 0.5] cut to [0.01, 0.2]"},
			{Param: "proposal_threshold", Kind: "frozen", Detail: "held by config"},
		},
		Method: oracle.Method{
			Model:        "token-voting agent model v2",
			DataSource:   "snapshot:example.eth",
			WindowStart:  time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
			WindowEnd:    time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC),
			Sampler:      "tpe",
			Trials:       120,
			Replications: 32,
			Validation:   200,
			Seed:         20250701,
			Risk:         "mean",
			Command:      "attune tune --config configs/example.yaml --seed 20250701 --cycle 2025-q3",
			Version:      "v0.4.1",
			Fit: []oracle.FitRow{
				{Metric: "turnout", Observed: 0.079, Simulated: 0.081, Error: 0.0253, Target: true},
				{Metric: "proposals_per_month", Observed: 4.5, Simulated: 4.86, Error: 0.08, Target: true},
				{Metric: "pass_rate", Observed: 0.72, Simulated: 0.69, Error: -0.0417},
			},
			FitTolerance: 0.1,
		},
		Candidate: map[string]float64{"quorum": 0.05, "voting_period_days": 9, "participation_reward": 0},
	}
}

// noChangeFixture is fixture concluded as "no change": the best candidate
// is not significantly better.
func noChangeFixture() oracle.Recommendation {
	rec := fixture()
	rec.Change = false
	rec.Reason = "the 90% interval of the score difference includes zero"
	rec.Score.Difference = oracle.Estimate{Mean: 0.004, CI: oracle.Interval{Lo: -0.010, Hi: 0.018, Level: 0.9}, N: 200}
	for i := range rec.Params {
		rec.Params[i].Recommended = rec.Params[i].Current
		rec.Params[i].RelChange = fptr(0)
	}
	rec.Candidate = map[string]float64{"quorum": 0.045, "voting_period_days": 8, "zeta_extra": 1234.5}
	return rec
}
func fptr(v float64) *float64 { return &v }
