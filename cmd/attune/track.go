package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/attune-dao/attune/backtest"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/oracle"
)

// Track-record settings for `attune run`: a short backtest whose result the
// proposal quotes. They trade precision for a cycle that stays fast.
const (
	trackWindows      = 2
	trackWindowDays   = 180
	trackReplications = 32
)

// trackRecord backtests the cycle's model on the DAO's own history (the
// one its sources gave, whatever their type) and sums it up for the
// proposal. A history too short for one pair of windows gives a note, not
// an error; so does a source of precomputed metrics.
func trackRecord(ctx context.Context, e *loop.Env) (*oracle.TrackRecord, error) {
	if e.History == nil {
		return &oracle.TrackRecord{Note: "no backtest: the source gives precomputed metrics, not a governance history"}, nil
	}
	in, err := backtest.LoadWith(ctx, e.Config, e.History)
	if err != nil {
		return nil, err
	}
	rep, err := backtest.Run(ctx, in.History, in.Spec, backtest.Options{
		Windows: trackWindows, WindowDays: trackWindowDays, Replications: trackReplications,
		Seed: e.Config.Optimizer.Seed, Workers: e.Workers, Logger: e.Logger,
	})
	if errors.Is(err, backtest.ErrTooShort) {
		return &oracle.TrackRecord{WindowDays: trackWindowDays, Note: "no backtest: " + err.Error()}, nil
	}
	if err != nil {
		return nil, err
	}
	tr := &oracle.TrackRecord{WindowDays: rep.WindowDays, Level: rep.Level, ExpectedCoverage: rep.ExpectedCoverage}
	for _, c := range rep.Coverage {
		m := oracle.TrackMetric{Name: c.Metric, Windows: c.Windows, Inside: c.Inside}
		if c.MeanAbsError != nil {
			m.MeanAbsError = *c.MeanAbsError
		}
		tr.Metrics = append(tr.Metrics, m)
	}
	for _, ev := range rep.Events {
		if ev.Skipped != "" || len(ev.Effects) == 0 {
			continue
		}
		var parts []string
		for _, ef := range ev.Effects {
			agree := "the direction agrees"
			if !ef.Agrees {
				agree = "the direction does not agree"
			}
			parts = append(parts, fmt.Sprintf("%s predicted %+.1f pp, realised %+.1f pp (%s)", ef.Metric, ef.Predicted*100, ef.Realised*100, agree))
		}
		var changes []string
		for _, c := range ev.Changes {
			changes = append(changes, c.Name+" "+c.Arrow())
		}
		tr.Events = append(tr.Events, fmt.Sprintf("%s, %s: %s", ev.Time.Format(time.DateOnly), strings.Join(changes, ", "), strings.Join(parts, "; ")))
	}
	return tr, nil
}
