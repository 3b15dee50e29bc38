package tokenvote

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
)

// synthStart is when synthetic histories begin.
var synthStart = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// observeAll reduces a synthetic history of one replication to its
// observation over every proposal it holds, under the instance's rules.
func observeAll(t *testing.T, in *Instance, h *history.History) metrics.Observation {
	t.Helper()
	_, last := h.Span()
	obs, err := metrics.FromHistory(h, metrics.Window{Start: synthStart, End: last.Add(time.Second)}, in.rules, "")
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

// The history of a replication holds the proposals Run counts: reduced
// by metrics.FromHistory under the same rules, it gives back Run's pass
// rate, quorum-failure rate, For and Abstain shares and turnout
// percentiles exactly (the same numbers, summed in the same order), its
// mean turnout to rounding (gonum sums it its own way), its proposal count
// and, from the proposals' times, its time to decision. Checked on Lido's
// electorate as calibrated, with an objection phase and a late-quorum
// extension (every branch of the vote), and on a synthetic population.
func TestHistoryReproducesRun(t *testing.T) {
	_, lidoIn, _ := lido(t)
	objecting := *lidoIn
	objecting.rules.ObjectionPhaseDays = 1
	objecting.rules.LateQuorumExtensionDays = 2
	pop, _ := calibrated(t)
	cases := []struct {
		name  string
		in    *Instance
		p     simulator.Params
		seeds int
	}{
		{"lido", lidoIn, lidoParams, 12},
		{"lido objection phase and extension", &objecting, lidoParams, 12},
		{"synthetic population", pop.(*Instance), current, 3},
	}
	ctx := context.Background()
	for _, c := range cases {
		var proposals, extended int
		for r := range c.seeds {
			seed := simulator.SeedFor(77, r)
			run, err := c.in.Run(ctx, c.p, seed)
			if err != nil {
				t.Fatal(err)
			}
			h, err := c.in.History(ctx, c.p, seed, synthStart)
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Validate(); err != nil {
				t.Fatalf("%s seed %d: the history does not validate: %v", c.name, r, err)
			}
			submitted := math.Round(run[ProposalsPerMonth] * c.in.opt.horizonDays / 30)
			if float64(len(h.Proposals)) != submitted {
				t.Fatalf("%s seed %d: %d proposals, Run submitted %v", c.name, r, len(h.Proposals), submitted)
			}
			if submitted == 0 {
				continue
			}
			proposals += len(h.Proposals)
			checkBallots(t, c.name, h)
			obs := observeAll(t, c.in, h)
			for _, k := range []string{metrics.PassRateName, metrics.QuorumFailureRate, metrics.ForShare, metrics.AbstainShare,
				metrics.TurnoutP10, metrics.TurnoutP50, metrics.TurnoutP90} {
				if got, want := obs.Metrics[k], run[k]; got != want {
					t.Errorf("%s seed %d: %s from the history %v, Run %v", c.name, r, k, got, want)
				}
			}
			if got, want := obs.Metrics[metrics.TurnoutPower], run[Turnout]; math.Abs(got-want) > 1e-12*want {
				t.Errorf("%s seed %d: turnout from the history %v, Run %v", c.name, r, got, want)
			}
			var decision float64
			period := c.p[VotingPeriodDays] * 24 * float64(time.Hour)
			for _, p := range h.Proposals {
				decision += p.End.Sub(p.Created).Hours() / 24
				if float64(p.End.Sub(p.Start)) > period+float64(time.Second) {
					extended++
				}
			}
			if got, want := decision/float64(len(h.Proposals)), run[TimeToDecisionDays]; math.Abs(got-want) > 1e-6 {
				t.Errorf("%s seed %d: time to decision from the history %v days, Run %v", c.name, r, got, want)
			}
		}
		if proposals < 10*c.seeds {
			t.Errorf("%s: only %d proposals over %d seeds", c.name, proposals, c.seeds)
		}
		if c.in.rules.LateQuorumExtensionDays > 0 && extended == 0 {
			t.Errorf("%s: no vote was extended; the extension went untested", c.name)
		}
		t.Logf("%s: %d proposals on %d seeds agree, %d extended", c.name, proposals, c.seeds, extended)
	}
}

// checkBallots checks that each proposal's votes, summed in order, give
// its tally exactly, with one vote per voter and the count as its voters.
func checkBallots(t *testing.T, name string, h *history.History) {
	t.Helper()
	byID := h.VotesByProposal()
	for _, p := range h.Proposals {
		var sums [3]float64
		seen := map[string]bool{}
		for _, v := range byID[p.ID] {
			if seen[v.Voter] {
				t.Fatalf("%s: %s voted twice on %s", name, v.Voter, p.ID)
			}
			seen[v.Voter] = true
			switch v.Support {
			case history.For:
				sums[0] += v.Weight
			case history.Against:
				sums[1] += v.Weight
			case history.Abstain:
				sums[2] += v.Weight
			}
		}
		if sums != [3]float64{p.For, p.Against, p.Abstain} || len(byID[p.ID]) != p.Voters {
			t.Fatalf("%s: proposal %s tally %v/%v/%v by %d, its votes %v by %d", name, p.ID, p.For, p.Against, p.Abstain, p.Voters, sums, len(byID[p.ID]))
		}
	}
}

// recovery is what TestCalibrationRecoversItsOwnLatents knows of one
// latent's recovery from a year of Lido-sized synthetic data: the mean
// error (recovered − generating) and its spread over synthetic years,
// measured over 40 such years (generation and calibration seeds other
// than the test's, a fresh calibration seed each year, as here) when the
// test was written.
type recovery struct {
	name     string
	bias, sd float64
}

var recoveries = []recovery{
	{"participation_level", -0.013, 0.077},
	{"mobilisation", -0.005, 0.190},
	// A window ending just after the last proposal always holds it: one
	// proposal more than a fixed window would, 1/365 a day (+0.0027).
	{"proposals_per_day", 0.0068, 0.0173},
	// Biased: the calibration finds a larger share of good proposals and
	// a weaker correlation of turnout than generated the data. The bias
	// does not shrink with more data (three-year windows: +0.064 and
	// −0.108) nor go away when the generating electorate is given in
	// place of the one read from the votes (+0.045 and −0.113). Fitted to
	// noise-free targets (the generating instance's mean metrics over 400
	// replications), one calibration still found good_share 0.03 high and
	// turnout_correlation 0.04 low: part of the bias is the calibration's
	// own (one latent at a time, two rounds, on a fixed set of simulated
	// proposals), and the rest of turnout_correlation's comes with the
	// noise of the turnout percentiles it is fitted to. The bounds below
	// allow the measured bias, so a worsening fails while the bias itself
	// is on record here.
	{"good_share", 0.046, 0.039},
	{"turnout_correlation", -0.173, 0.204},
}

// The calibration applied to data the model itself generated finds the
// model again. An instance calibrated to Lido's last year (the
// generating instance, with a 365-day horizon) writes two years of
// history, one replication per year, on each of 8 seeds (4 with -short); a
// fresh model is calibrated to the last 365 days of each (metrics.
// FromHistory, as a cycle reads a real history) under the same
// parameters, on its own seed.
//
// Per latent, the mean error over the years must be within |bias| + 3 sd
// /√years of zero, bias and sd as measured (see recoveries): a mean of
// independent years has standard error sd/√years, so an unbiased latent
// passes with probability 0.997 and a latent whose bias grew by more
// than 3 standard errors fails. One year (some 43 proposals) pins
// participation_level to ±0.08 and the proposal rate to ±15%, while
// mobilisation and turnout_correlation stay loose (sd 0.19 and 0.2): a
// year of Lido holds only some 10 quorum failures and 43 turnouts.
// Voters' accuracy is at its bound (Lido's passed votes are all For) and
// must come back there.
//
// The fit must be within calibration.tolerance (0.1) or the synthetic
// data's own uncertainty on most years: over 80 measured years (two
// calibration seed schemes), 11 fits missed (a rate of 0.14), by at most
// 1.73 times their allowance. None may miss by more than twice its
// allowance, and at most 3 of 8 years (2 of 4) may miss: at a miss rate
// of 0.14, more misses have a chance of 1.7% (1%).
func TestCalibrationRecoversItsOwnLatents(t *testing.T) {
	_, lidoIn, lidoFit := lido(t)
	gen := *lidoIn
	gen.opt.horizonDays = 365
	years := 8
	if testing.Short() {
		years = 4
	}
	const year = 365 * 24 * time.Hour
	ctx := context.Background()
	errs := map[string]float64{}
	missed := 0
	for r := range years {
		h, err := simulator.Synthetic(ctx, &gen, lidoParams, simulator.SeedFor(0x5e1f, r), synthStart, year, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Validate(); err != nil {
			t.Fatal(err)
		}
		_, last := h.Span()
		end := last.Add(time.Second)
		obs, err := metrics.FromHistory(h, metrics.Window{Start: end.AddDate(0, 0, -365), End: end}, gen.rules, "")
		if err != nil {
			t.Fatal(err)
		}
		m, err := New(simulator.Setup{Rules: gen.rules, Options: simulator.Options{"horizon_days": 365}})
		if err != nil {
			t.Fatal(err)
		}
		_, fit, err := m.Calibrate(ctx, obs, lidoParams, simulator.SeedFor(0xca1, r))
		if err != nil {
			t.Fatal(err)
		}
		fit.Tolerance = 0.1
		fit.SetUncertainty(obs.Uncertainty)
		if !fit.OK() {
			missed++
			name, e, allowed := fit.Worst()
			if e > 2*allowed {
				t.Errorf("year %d: %s off by %.3f, allowed %.3f: observed %v, simulated %v", r, name, e, allowed, fit.Observed[name], fit.Simulated[name])
			}
		}
		line := fmt.Sprintf("year %d: %v proposals, %d voters, fit ok %v:", r, obs.Metrics[metrics.Proposals], len(obs.Electorate), fit.OK())
		for _, c := range recoveries {
			d := fit.Latent[c.name] - lidoFit.Latent[c.name]
			errs[c.name] += d / float64(years)
			line += fmt.Sprintf(" %s %+.3f", c.name, d)
		}
		t.Log(line)
		for _, k := range []string{"accuracy_holder", "accuracy_delegate"} {
			if d := math.Abs(fit.Latent[k] - lidoFit.Latent[k]); d > 1e-3 {
				t.Errorf("year %d: %s %v, generated with %v", r, k, fit.Latent[k], lidoFit.Latent[k])
			}
		}
	}
	if most := (3*years + 7) / 8; missed > most {
		t.Errorf("%d of %d fits out of tolerance; want at most %d", missed, years, most)
	}
	for _, c := range recoveries {
		tol := math.Abs(c.bias) + 3*c.sd/math.Sqrt(float64(years))
		t.Logf("%-20s generated %.3f, mean error %+.4f (measured bias %+.3f), allowed ±%.3f", c.name, lidoFit.Latent[c.name], errs[c.name], c.bias, tol)
		if math.Abs(errs[c.name]) > tol {
			t.Errorf("%s: mean error over %d years %+.4f, allowed ±%.3f (generated with %.3f)", c.name, years, errs[c.name], tol, lidoFit.Latent[c.name])
		}
	}
}
