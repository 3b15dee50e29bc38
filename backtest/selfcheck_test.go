package backtest

import (
	"context"
	"errors"
	"maps"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
)

// The self-check: backtests on histories the model itself wrote
// (simulator.Historian), where the truth is known.
//
// The generating instance is tokenvote calibrated to Lido's last year
// under Lido's config (Aragon rules, a one-day objection phase, period
// elasticity 0) with a horizon of one window, selfCheckDays, so that one
// replication is one window's worth of governance. Each synthetic history
// is ten such replications end to end on seeds of their own: enough for
// eight whole pairs of windows (nine windows; the history starts at its
// first proposal, a few days after the first replication does).
const (
	selfCheckDays      = 90
	selfCheckPairs     = 8
	selfCheckHistories = 2
	selfCheckRuns      = 64
	selfCheckBoots     = 8
)

// oracleModel is tokenvote whose calibration returns the generating
// instance whatever it is shown: a backtest of it predicts each window
// with the very model that wrote the history.
const oracleModel = "tokenvote-selfcheck-oracle"

type knowing struct{ simulator.Model }

func (knowing) Calibrate(context.Context, metrics.Observation, simulator.Params, uint64) (simulator.Instance, simulator.Fit, error) {
	if selfGen == nil {
		return nil, simulator.Fit{}, errors.New("selfcheck: no generating instance")
	}
	return selfGen, selfGenFit, nil
}

func init() {
	simulator.Register(oracleModel, func(s simulator.Setup) (simulator.Model, error) {
		m, err := simulator.New("tokenvote", s)
		return knowing{m}, err
	})
}

var (
	selfOnce   sync.Once
	selfIn     *Input
	selfGen    simulator.Instance
	selfGenFit simulator.Fit
	selfHist   []*history.History
	selfErr    error
)

// selfCheck calibrates the generating instance and writes the synthetic
// histories, once.
func selfCheck(t *testing.T) (*Input, []*history.History) {
	t.Helper()
	selfOnce.Do(func() {
		selfIn = lido(t)
		spec := selfIn.Spec
		h := selfIn.History
		_, last := h.Span()
		end := last.Add(time.Second)
		obs, err := metrics.FromHistory(h, metrics.Window{Start: end.AddDate(0, 0, -365), End: end}, spec.Rules, spec.Track)
		if err != nil {
			selfErr = err
			return
		}
		opts := maps.Clone(spec.Options)
		opts[HorizonOption] = selfCheckDays
		m, err := simulator.New(spec.Model, simulator.Setup{Options: opts, Rules: spec.Rules, Track: spec.Track, TokenPrice: spec.TokenPrice})
		if err != nil {
			selfErr = err
			return
		}
		selfGen, selfGenFit, selfErr = m.Calibrate(context.Background(), obs, spec.Current, 42)
		if selfErr != nil {
			return
		}
		start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		for j := range selfCheckHistories {
			s, err := simulator.Synthetic(context.Background(), selfGen, spec.Current, simulator.SeedFor(0xba5e, j), start,
				selfCheckDays*24*time.Hour, selfCheckPairs+2)
			if err != nil {
				selfErr = err
				return
			}
			if err := s.Validate(); err != nil {
				selfErr = err
				return
			}
			selfHist = append(selfHist, s)
		}
	})
	if selfErr != nil {
		t.Fatal(selfErr)
	}
	return selfIn, selfHist
}

// tallyCoverage pools the predictions of reports: how many, how many
// inside their interval, and the windows they came from.
type tallyCoverage struct {
	predictions, inside, windows int
	turnoutErr                   []float64
}

func (c *tallyCoverage) add(t *testing.T, what string, rep *Report) {
	t.Helper()
	if len(rep.Windows) != selfCheckPairs {
		t.Fatalf("%s: %d window pairs, want %d", what, len(rep.Windows), selfCheckPairs)
	}
	evaluated := 0
	for _, w := range rep.Windows {
		// A window of fewer than MinProposals is skipped (one in some 30
		// at Lido's rate of ten proposals a window).
		if w.Skipped != "" && w.Next.Proposals >= MinProposals && w.Calibration.Proposals >= MinProposals {
			t.Errorf("%s: pair %d skipped: %s", what, w.Pair, w.Skipped)
		}
		if w.Skipped != "" {
			continue
		}
		if len(w.Predictions) != len(Metrics) {
			t.Fatalf("%s: pair %d has %d predictions", what, w.Pair, len(w.Predictions))
		}
		evaluated++
		c.windows++
		for _, p := range w.Predictions {
			c.predictions++
			if p.Inside {
				c.inside++
			}
			if p.Metric == metrics.TurnoutPower {
				c.turnoutErr = append(c.turnoutErr, p.Error)
			}
		}
	}
	if evaluated < selfCheckPairs-2 {
		t.Fatalf("%s: only %d of %d pairs evaluated", what, evaluated, selfCheckPairs)
	}
}

func (c *tallyCoverage) coverage() float64 { return float64(c.inside) / float64(c.predictions) }

// band is three binomial standard errors of a coverage p over the
// windows: the windows' predictions are counted as two independent ones
// each, not three, since on Lido's synthetic data a proposal fails only
// for want of quorum (the For share of passed votes is 1), so the pass
// rate and the quorum-failure rate of a window fall inside their
// intervals or outside together; turnout is the other.
func (c *tallyCoverage) band(p float64) float64 {
	return 3 * math.Sqrt(p*(1-p)/float64(2*c.windows))
}

// TestSelfCheckCoverage backtests histories the model wrote itself, two
// ways, on the same histories and seeds.
//
// The oracle (the generating instance as the model) must reach the
// coverage a perfect model reaches, ExpectedCoverage (Level·(R−1)/(R+1),
// 0.872 for 64 replications), within three binomial standard errors
// (band): this checks the whole backtest (windows, realised values from
// the synthetic history, replications, intervals, Summarise) on data
// whose distribution it predicts exactly. Measured with this test's
// setup over 20 histories (150 windows, 450 predictions): 0.916; over 20
// others (159 windows): 0.904, turnout alone 0.887. The pass and
// quorum-failure rates of some ten proposals are discrete, and a
// realised value equal to an interval's end counts as inside, so they
// cover a little more than a continuous metric would.
//
// The backtest proper recalibrates tokenvote on each 90-day window and
// predicts the next, run twice. Without bootstraps (Options.Bootstraps
// 0) its coverage is NOT near nominal: the predictive interval holds only
// the next window's own sampling noise, not the error of a calibration
// made from a window just as noisy. If the
// calibration's error on a metric were as large as that noise and
// independent of it, the realised value would stray from the centre
// with √2 times the spread the interval allows, for a coverage of
// 2Φ(1.645/√2) − 1 = 0.755, times (R−1)/(R+1) for the finite runs:
// 0.732. Measured with this test's setup over 20 histories: 0.760 (342
// of 450), 5.8 standard errors below nominal, with turnout unbiased
// (mean error −0.0002 ± 0.0007); over the 20 others 0.69; with 180-day
// windows 0.64, where the calibration's bias (quorum failures predicted
// 3.4 points high: see tokenvote's TestCalibrationRecoversItsOwnLatents)
// adds to the spread. Two histories cannot tell 0.76 from 0.87 (the band
// is some ±0.17), so for that run the test asserts only coverage no more
// than the band below 0.732, and logs the gap to nominal.
//
// With selfCheckBoots bootstrap calibrations the interval carries the
// calibration's uncertainty, and coverage is near nominal: measured over
// 22 histories (this test's two and twenty more; 166 windows, 498
// predictions), 0.886 (441) against 0.753 (375) without, nominal 0.872.
// The test asserts the bootstrapped coverage within the band of nominal
// (as for the oracle) and turnout predicted without bias within three
// standard errors.
func TestSelfCheckCoverage(t *testing.T) {
	in, hs := selfCheck(t)
	oracleSpec := in.Spec
	oracleSpec.Model = oracleModel
	var orc, plain, real tallyCoverage
	var expected float64
	for j, h := range hs {
		opt := Options{Windows: selfCheckPairs, WindowDays: selfCheckDays, Replications: selfCheckRuns, Seed: uint64(j + 1)}
		rep, err := Run(context.Background(), h, oracleSpec, opt)
		if err != nil {
			t.Fatal(err)
		}
		orc.add(t, "oracle", rep)
		expected = rep.ExpectedCoverage
		if rep, err = Run(context.Background(), h, in.Spec, opt); err != nil {
			t.Fatal(err)
		}
		plain.add(t, "backtest without bootstraps", rep)
		boot := opt
		boot.Bootstraps = selfCheckBoots
		if rep, err = Run(context.Background(), h, in.Spec, boot); err != nil {
			t.Fatal(err)
		}
		if rep.Bootstraps != selfCheckBoots {
			t.Errorf("report bootstraps %d, want %d", rep.Bootstraps, selfCheckBoots)
		}
		real.add(t, "backtest", rep)
		for _, e := range rep.Events {
			t.Errorf("event %v in a history with no parameter change", e.Time)
		}
	}

	got := orc.coverage()
	t.Logf("oracle: %d of %d predictions inside (%.3f), expected %.3f ± %.3f", orc.inside, orc.predictions, got, expected, orc.band(expected))
	if math.Abs(got-expected) > orc.band(expected) {
		t.Errorf("oracle coverage %.3f, want %.3f ± %.3f", got, expected, orc.band(expected))
	}

	got = plain.coverage()
	z := math.Sqrt2 * math.Erfinv(Level) // the interval's half-width in standard deviations
	floor := (2*phi(z/math.Sqrt2) - 1) * expected / Level
	t.Logf("backtest without bootstraps: %d of %d predictions inside (%.3f); nominal %.3f, from which it is %+.1f standard errors; with the intervals' omission of calibration noise, %.3f is expected",
		plain.inside, plain.predictions, got, expected, (got-expected)/(plain.band(expected)/3), floor)
	if got < floor-plain.band(floor) {
		t.Errorf("backtest coverage without bootstraps %.3f, below %.3f − %.3f", got, floor, plain.band(floor))
	}

	got = real.coverage()
	t.Logf("backtest with %d bootstraps: %d of %d predictions inside (%.3f), expected %.3f ± %.3f",
		selfCheckBoots, real.inside, real.predictions, got, expected, real.band(expected))
	if math.Abs(got-expected) > real.band(expected) {
		t.Errorf("backtest coverage with %d bootstraps %.3f, want %.3f ± %.3f", selfCheckBoots, got, expected, real.band(expected))
	}
	mean, sd := meanSD(real.turnoutErr)
	se := sd / math.Sqrt(float64(len(real.turnoutErr)))
	t.Logf("backtest: turnout mean error %+.5f ± %.5f (standard error)", mean, se)
	if math.Abs(mean) > 3*se {
		t.Errorf("turnout predicted with mean error %+.4f over %d windows, more than 3 standard errors (%.4f)", mean, len(real.turnoutErr), se)
	}
}

// phi is the standard normal distribution function.
func phi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

func meanSD(xs []float64) (mean, sd float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(xs)-1))
}
