package loop

import (
	"strings"
	"testing"

	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/optimizer"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/simulator"
)

// bravoEnv is an Env on Compound's governor: 10,000,000 COMP, a voting
// period and a threshold a vote changes, a quorum only an upgrade does,
// and a reward no contract holds.
func bravoEnv(t *testing.T) *Env {
	t.Helper()
	r, err := governor.Family("bravo")
	if err != nil {
		t.Fatal(err)
	}
	return &Env{
		Rules:       r,
		Onchain:     governor.Onchain{Address: "0xc0Da02939E1441F497fd74F78cE7Decb17B66529"}.Merge(governor.DefaultOnchain("bravo")),
		Observation: metrics.Observation{Metrics: metrics.Values{metrics.TotalSupply: 10_000_000}},
		Current:     simulator.Params{"voting_period_days": 3.04, "proposal_threshold": 0.0025, "quorum": 0.04, "participation_reward": 0},
		Space: optimizer.Space{
			{Name: "voting_period_days", Kind: optimizer.Int, Low: 2, High: 5},
			{Name: "proposal_threshold", Kind: optimizer.Log, Low: 0.00125, High: 0.005},
			{Name: "quorum", Kind: optimizer.Float, Low: 0.03, High: 0.05},
			{Name: "participation_reward", Kind: optimizer.Float, Low: 0, High: 10},
		},
	}
}

// The candidate a cycle validates is the enacted one: rounded to whole
// blocks, whole tokens of two significant digits and so on, with the
// unrounded value kept where rounding moved it.
func TestEnactRoundsTheCandidate(t *testing.T) {
	e := bravoEnv(t)
	cand := simulator.Params{"voting_period_days": 4, "proposal_threshold": 0.00151, "quorum": 0.0507, "participation_reward": 4.74}
	out, unrounded, ens, err := e.enact(cand)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"voting_period_days": 4, "proposal_threshold": 0.0015, "quorum": 0.05, "participation_reward": 4.7}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("%s enacted %v, want %v", k, out[k], v)
		}
	}
	if _, ok := unrounded["voting_period_days"]; ok || unrounded["proposal_threshold"] != 0.00151 || unrounded["quorum"] != 0.0507 {
		t.Errorf("unrounded %v", unrounded)
	}
	if ens["voting_period_days"].Arg.String() != "28800" {
		t.Errorf("4 days at 12 s is %v blocks, want 28800", ens["voting_period_days"].Arg)
	}
}

// The specification gives the call a vote makes with its argument, and
// for what no call can make, what it needs instead.
func TestOnchainCalls(t *testing.T) {
	e := bravoEnv(t)
	_, _, ens, err := e.enact(simulator.Params{"voting_period_days": 3, "proposal_threshold": 0.0015, "quorum": 0.05, "participation_reward": 4.7})
	if err != nil {
		t.Fatal(err)
	}
	rec := &oracle.Recommendation{Method: oracle.Method{Supply: 10_000_000, TokenSymbol: "COMP"},
		Outcomes: []oracle.Effect{{Name: "reward_spend_per_month", Recommended: oracle.Estimate{Mean: 12345.6}}}}
	call := func(name, unit string, cur, v float64, enactment string) oracle.OnchainCall {
		return e.onchainCall(oracle.ParamChange{Name: name, Unit: unit, Current: cur, Recommended: v, Enactment: enactment}, ens[name], rec)
	}
	vp := call("voting_period_days", "days", 3.04, 3, "vote")
	if vp.Call() != "_setVotingPeriod(21600)" || vp.Address != "0xc0Da02939E1441F497fd74F78cE7Decb17B66529" ||
		vp.Contract != "GovernorBravo" || vp.Meaning != "21,600 blocks, 3 days at 12 s per block" {
		t.Errorf("voting period %+v", vp)
	}
	pt := call("proposal_threshold", "fraction of supply", 0.0025, 0.0015, "vote")
	if pt.Call() != "_setProposalThreshold(15000000000000000000000)" || !strings.Contains(pt.Meaning, "15,000 COMP") {
		t.Errorf("threshold %+v", pt)
	}
	q := call("quorum", "fraction of supply", 0.04, 0.05, "upgrade")
	if q.Call() != "" || !strings.Contains(q.Needs, "quorumVotes = 500000000000000000000000 needs a new implementation") {
		t.Errorf("quorum %+v", q)
	}
	r := call("participation_reward", "tokens per vote", 0, 4.7, "upgrade")
	if r.Call() != "" || !strings.Contains(r.Needs, "separate programme with its own funding source, costing about 12,346 COMP a month") {
		t.Errorf("reward %+v", r)
	}
}
