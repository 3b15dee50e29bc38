package tokenvote

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
)

// lidoParams are Lido's parameters in force at the end of its history.
var lidoParams = simulator.Params{Quorum: 0.05, SupportRequired: 0.5, ProposalThreshold: 0, VotingPeriodDays: 3}

var (
	lidoOnce sync.Once
	lidoObs  metrics.Observation
	lidoInst *Instance
	lidoFit  simulator.Fit
	lidoErr  error
)

// lido calibrates the model to Lido's last year of on-chain votes, once.
func lido(t testing.TB) (metrics.Observation, *Instance, simulator.Fit) {
	t.Helper()
	lidoOnce.Do(func() {
		h, err := history.Load(context.Background(), "../../configs/examples/lido/history.json")
		if err != nil {
			lidoErr = err
			return
		}
		rules, _ := governor.Family("aragon")
		_, last := h.Span()
		end := last.Add(time.Second)
		lidoObs, lidoErr = metrics.FromHistory(h, metrics.Window{Start: end.AddDate(-1, 0, 0), End: end}, rules, "")
		if lidoErr != nil {
			return
		}
		m, err := New(simulator.Setup{Rules: rules})
		if err != nil {
			lidoErr = err
			return
		}
		var in simulator.Instance
		in, lidoFit, lidoErr = m.Calibrate(context.Background(), lidoObs, lidoParams, 42)
		if in != nil {
			lidoInst = in.(*Instance)
		}
	})
	if lidoErr != nil {
		t.Fatal(lidoErr)
	}
	return lidoObs, lidoInst, lidoFit
}

func meanRuns(t *testing.T, in *Instance, p simulator.Params, n int) metrics.Values {
	t.Helper()
	runs := make([]metrics.Values, n)
	for r := range runs {
		v, err := in.Run(context.Background(), p, simulator.SeedFor(99, r))
		if err != nil {
			t.Fatal(err)
		}
		runs[r] = v
	}
	return metrics.MeanValues(runs)
}

func TestElectorateCalibrationFitsLido(t *testing.T) {
	obs, in, fit := lido(t)
	fit.Tolerance = 0.1
	if !fit.OK() {
		name, e := fit.MaxTargetError()
		t.Errorf("%s off by %.3f: %v vs %v", name, e, fit.Simulated[name], fit.Observed[name])
	}
	// The voters are the observed ones, largest first.
	if len(in.power) != len(obs.Electorate) || in.power[0] != obs.Electorate[0].Power {
		t.Errorf("agents %d for %d voters; largest %v vs %v", len(in.power), len(obs.Electorate), in.power[0], obs.Electorate[0].Power)
	}
	for _, k := range []string{"turnout_correlation", "mobilisation", "participation_level", "good_share", "accuracy_delegate"} {
		if _, ok := fit.Latent[k]; !ok {
			t.Errorf("latent %s not reported", k)
		}
	}
	// The coalition defaults to the largest voter's power.
	if got, want := fit.Latent["adversary_share"], obs.Electorate[0].Power/obs.Metrics[metrics.TotalSupply]; got != want {
		t.Errorf("adversary_share %v, want the largest voter's %v", got, want)
	}
}

func TestCampaignsForQuorumLowerQuorumFailures(t *testing.T) {
	_, fitted, _ := lido(t)
	if fitted.mobilisation <= 0 {
		t.Fatalf("mobilisation %v: Lido's data should need campaigns", fitted.mobilisation)
	}
	none := *fitted
	none.mobilisation = 0
	with, without := meanRuns(t, fitted, lidoParams, 24), meanRuns(t, &none, lidoParams, 24)
	if with[QuorumFailureRate] >= without[QuorumFailureRate] {
		t.Errorf("quorum failures with campaigns %v, without %v; want fewer with", with[QuorumFailureRate], without[QuorumFailureRate])
	}
	if with[Turnout] <= without[Turnout] {
		t.Errorf("turnout with campaigns %v, without %v; want more with", with[Turnout], without[Turnout])
	}
}

func TestTurnoutCorrelationWidensTheSpread(t *testing.T) {
	_, fitted, _ := lido(t)
	lo, hi := *fitted, *fitted
	lo.rho, hi.rho = 0, 0.9
	lo.mobilisation, hi.mobilisation = 0, 0
	a, b := meanRuns(t, &lo, lidoParams, 24), meanRuns(t, &hi, lidoParams, 24)
	spread := func(v metrics.Values) float64 { return v[metrics.TurnoutP90] - v[metrics.TurnoutP10] }
	if spread(b) <= spread(a) {
		t.Errorf("spread at rho 0.9 = %v, at 0 = %v; want wider when voters turn up together", spread(b), spread(a))
	}
	// Each voter's own chance is kept: mean turnout moves little.
	if d := b[Turnout]/a[Turnout] - 1; d > 0.15 || d < -0.15 {
		t.Errorf("mean turnout moved by %.0f%% with the correlation", d*100)
	}
}

func TestQuorumCountsByTheGovernor(t *testing.T) {
	_, fitted, _ := lido(t)
	// The same electorate counted by OpenZeppelin (For + Abstain) and by
	// Bravo (For only), with abstentions, fails quorum no more often.
	withAbstain := *fitted
	withAbstain.opt.abstain = 0.3
	oz, bravo := withAbstain, withAbstain
	oz.rules, _ = governor.Family("oz")
	bravo.rules, _ = governor.Family("bravo")
	oz.mobilisation, bravo.mobilisation = 0, 0
	a, b := meanRuns(t, &oz, lidoParams, 16), meanRuns(t, &bravo, lidoParams, 16)
	if a[QuorumFailureRate] >= b[QuorumFailureRate] {
		t.Errorf("quorum failures: For+Abstain %v, For only %v; want fewer when Abstain counts", a[QuorumFailureRate], b[QuorumFailureRate])
	}
	// A higher support requirement passes no more proposals.
	strict := lidoParams.Clone()
	strict[SupportRequired] = 0.9
	if s, n := meanRuns(t, fitted, strict, 16), meanRuns(t, fitted, lidoParams, 16); s[PassRate] > n[PassRate] {
		t.Errorf("pass rate at 90%% support %v above the 50%% one %v", s[PassRate], n[PassRate])
	}
}

func TestActiveSpans(t *testing.T) {
	in := &Instance{presence: []float64{1, 0.25}}
	off := []float64{0.5, 0.9}
	for _, c := range []struct {
		v    int
		tau  float64
		want bool
	}{
		{0, 0.1, true}, {1, 0.95, true}, {1, 0.1, true}, // wraps round: active over [0.9, 1.15)
		{1, 0.2, false}, {1, 0.5, false},
	} {
		if got := in.active(c.v, c.tau, off); got != c.want {
			t.Errorf("active(%d, %v) = %v", c.v, c.tau, got)
		}
	}
}

func TestRewardsAreValuedAtTheTokenPrice(t *testing.T) {
	_, fitted, _ := lido(t)
	cheap, dear := *fitted, *fitted
	cheap.price, dear.price = 0.01, 100
	p := lidoParams.Clone()
	p[ParticipationReward] = 1
	a, b := meanRuns(t, &cheap, p, 16), meanRuns(t, &dear, p, 16)
	// One token per vote is worth more at a higher price, and draws more
	// voters.
	if b[Turnout] <= a[Turnout] {
		t.Errorf("turnout with a 1-token reward at 100 USD %v, at 0.01 USD %v; want more when the reward is worth more", b[Turnout], a[Turnout])
	}
	if got, want := b[RewardSpendUSD], b[RewardSpendPerMonth]*100; math.Abs(got-want) > 1e-9*want {
		t.Errorf("USD spend %v, want tokens x price %v", got, want)
	}
}

// BenchmarkRunElectorate measures one replication of Compound's observed
// electorate (2,512 voters as 752 agents, 180 days) under Bravo's rules;
// agent-decisions/s counts voters considering proposals, attack samples
// included.
func BenchmarkRunElectorate(b *testing.B) {
	h, err := history.Load(context.Background(), "../../configs/examples/compound/history.json")
	if err != nil {
		b.Fatal(err)
	}
	rules, _ := governor.Family("bravo")
	_, last := h.Span()
	obs, err := metrics.FromHistory(h, metrics.Window{Start: last.AddDate(-1, 0, 0), End: last.Add(time.Second)}, rules, "")
	if err != nil {
		b.Fatal(err)
	}
	m, _ := New(simulator.Setup{Rules: rules})
	p := simulator.Params{Quorum: 0.04, ProposalThreshold: 0.0025, VotingPeriodDays: 3.04}
	in, _, err := m.Calibrate(context.Background(), obs, p, 42)
	if err != nil {
		b.Fatal(err)
	}
	agents := float64(len(in.(*Instance).power))
	var decisions float64
	r := 0
	for b.Loop() {
		v, err := in.Run(context.Background(), p, simulator.SeedFor(1, r))
		if err != nil {
			b.Fatal(err)
		}
		decisions += agents * (v[ProposalsPerMonth]*6 + attackSamplesDefault)
		r++
	}
	b.ReportMetric(decisions/b.Elapsed().Seconds(), "decisions/s")
}

func TestLateQuorumExtendsTheVote(t *testing.T) {
	_, fitted, _ := lido(t)
	ext := *fitted
	ext.rules.LateQuorumExtensionDays = 2
	a, b := meanRuns(t, fitted, lidoParams, 16), meanRuns(t, &ext, lidoParams, 16)
	// Lido's quorum is often reached by a campaign: with an extension, the
	// mean time to decision rises, by at most the extension.
	if d := b[TimeToDecisionDays] - a[TimeToDecisionDays]; d <= 0 || d > 2 {
		t.Errorf("time to decision moved by %v days with a 2-day extension", d)
	}
	// The objection phase lies inside the period: it adds no time.
	obj := *fitted
	obj.rules.ObjectionPhaseDays = 1
	if c := meanRuns(t, &obj, lidoParams, 4); c[TimeToDecisionDays] != fitted.opt.votingDelay+lidoParams[VotingPeriodDays] {
		t.Errorf("time to decision %v, want delay %v + period %v", c[TimeToDecisionDays], fitted.opt.votingDelay, lidoParams[VotingPeriodDays])
	}
}

func TestPeriodElasticity(t *testing.T) {
	_, fitted, _ := lido(t)
	longer := lidoParams.Clone()
	longer[VotingPeriodDays] = 7
	flat := *fitted
	flat.opt.periodElasticity = 0
	flat.mobilisation = 0
	full := flat
	full.opt.periodElasticity = 1
	// With elasticity 0 a longer period changes nobody's attention; with
	// 1 it raises turnout.
	if a, b := meanRuns(t, &flat, lidoParams, 8), meanRuns(t, &flat, longer, 8); a[Turnout] != b[Turnout] {
		t.Errorf("elasticity 0: turnout %v at 3 days, %v at 7", a[Turnout], b[Turnout])
	}
	if a, b := meanRuns(t, &full, lidoParams, 8), meanRuns(t, &full, longer, 8); b[Turnout] <= a[Turnout] {
		t.Errorf("elasticity 1: turnout %v at 3 days, %v at 7; want more", a[Turnout], b[Turnout])
	}
	// The period the model was calibrated under is unaffected by it.
	if got := flat.attentionDays(3); got != 3 {
		t.Errorf("attention days at the calibrated period %v", got)
	}
}
