package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
	"github.com/attune-dao/attune/store"
)

// decidedStates are the states of a cycle that decided, or awaits a
// decision on, its config and data: another cycle of the same key would
// draft the same proposal again.
var decidedStates = []store.State{store.PendingReview, store.Approved, store.Published, store.Rejected}

// orphan returns the cycle of u left in flight to resume, if any (drive
// marks it resumed in the store). Of several, the newest is resumed and
// the others fail; one of another config fails, since this service
// cannot run it; one whose runs died (no clean stop) more than
// Options.MaxResumes times fails, saying so, rather than take the next
// process down too.
func (s *Service) orphan(ctx context.Context, u *unit) (*store.Cycle, error) {
	cs, err := s.store.Cycles(ctx, store.Filter{DAO: u.name, States: store.InFlightStates()})
	if err != nil {
		return nil, err
	}
	var resume *store.Cycle
	for i, c := range cs { // newest first
		msg := ""
		switch {
		case c.ConfigHash != u.cfgHash:
			msg = fmt.Sprintf("stopped while %s, and its config is not the one this service runs (%s): it cannot be resumed; the next cycle runs on the current config", c.State, u.file)
		case resume != nil:
			msg = fmt.Sprintf("stopped while %s; cycle %d, newer, was resumed instead", c.State, resume.ID)
		default:
			runs, died, err := s.runsOf(ctx, c.ID)
			if err != nil {
				return nil, err
			}
			if died > s.o.MaxResumes {
				msg = gaveUpMessage(c.State, runs, died)
				s.metrics.errors.WithLabelValues(u.name, "died", loop.Terminal.String()).Inc()
				break
			}
			resume = &cs[i]
			s.log.Info("resuming a cycle a stopped process left", "dao", u.name, "cycle", c.ID, "state", c.State, "runs", runs, "died", died)
			continue
		}
		f, err := s.store.Advance(ctx, c.ID, store.Failed, store.Change{Actor: s.o.Actor, Error: msg})
		if err != nil {
			return nil, err
		}
		s.recorded(ctx, u, f)
	}
	return resume, nil
}

// runsOf reads cycle id's audit trail: how many times a process ran it
// and how many of those runs died (store.Runs).
func (s *Service) runsOf(ctx context.Context, id int64) (runs, died int, err error) {
	es, err := s.store.Audit(ctx, store.AuditFilter{Subject: store.CycleSubject(id)})
	if err != nil {
		return 0, 0, err
	}
	runs, died = store.Runs(es)
	return runs, died, nil
}

// gaveUpPrefix opens the error of a cycle failed because its runs kept
// dying.
const gaveUpPrefix = "gave up: "

// gaveUpMessage is why a cycle whose runs kept dying is not resumed.
func gaveUpMessage(state store.State, runs, died int) string {
	return fmt.Sprintf("%sthe process running this cycle died %d times without a clean stop, as a crash or a kill (out of memory?) ends it: "+
		"its start and %d resumes, the last while %s. It is not resumed again, and its config and data run again only on demand (run now) "+
		"or once they change; the log of those runs says why they died", gaveUpPrefix, died, runs-1, state)
}

// gaveUp says the cycle need not run on its own: cycle of, on the same
// config and data, failed because its runs kept dying, and would take
// this process down too. A run on demand tries again.
type gaveUp struct{ of store.Cycle }

func (e *gaveUp) Error() string {
	return fmt.Sprintf("gave up: cycle %d, on the same config and data, failed because the processes running it kept dying; run it on demand to try again, or change the config or wait for new data", e.of.ID)
}

// unchanged says the cycle need not run: cycle Of decided (or awaits a
// decision on) the same config and data.
type unchanged struct{ of store.Cycle }

func (e *unchanged) Error() string {
	return fmt.Sprintf("unchanged: cycle %d (%s) decided from the same config and data; nothing new to propose until the data or the config change", e.of.ID, e.of.State)
}

// run is one cycle of a DAO as the service drives it, over its attempts.
type run struct {
	s *Service
	u *unit
	// row is the cycle in the store, nil until it is recorded.
	row   *store.Cycle
	start time.Time
	// sims counts the simulations of the attempt in progress.
	sims atomic.Int64
	// told, when set, is told what the cycle came to once the data are
	// read (RunNow waits for it), or why it has not.
	told func(decision)
}

// tell tells r.told, if set, d.
func (r *run) tell(d decision) {
	if r.told != nil {
		r.told(d)
	}
}

// drive runs a cycle of u: row's (resumed, marked so in the store), or
// one recorded once the data are read and found changed. Transient failures are retried with
// backoff on the same row; a terminal one, or the last transient one,
// fails the cycle with its message. A cancelled ctx leaves the cycle in
// its state, to be resumed. told, when not nil, is told what the cycle
// came to once the data are read: recorded or unchanged; or, when the
// first read fails, the failed cycle, or ErrRetrying before a retry.
func (s *Service) drive(ctx context.Context, u *unit, row *store.Cycle, told func(decision)) {
	r := &run{s: s, u: u, row: row, start: s.o.Now(), told: told}
	if row != nil {
		if err := s.store.Mark(ctx, row.ID, store.Mark{Actor: s.o.Actor, Event: store.Resumed}); err != nil {
			// Unmarked, a death of this run would go uncounted.
			s.log.Error("marking the cycle resumed failed; it is left for the next reconcile", "dao", u.name, "cycle", row.ID, "error", err)
			u.setErr(err.Error())
			return
		}
	}
	defer func() {
		// What the cycle came to, if nothing was told before.
		switch {
		case r.row != nil:
			r.tell(decision{started: Started{Cycle: r.row.ID}})
		case ctx.Err() != nil:
			r.tell(decision{err: ErrStopped})
		default:
			r.tell(decision{err: errors.New("the cycle ended before it was recorded; the log says why")})
		}
	}()
	for attempt := 1; ; attempt++ {
		err := r.attempt(ctx)
		var un *unchanged
		var gu *gaveUp
		switch {
		case err == nil:
			s.metrics.duration.WithLabelValues(u.name, "pending_review").Observe(s.o.Now().Sub(r.start).Seconds())
			u.setErr("")
			return
		case errors.As(err, &un):
			s.metrics.skipped.WithLabelValues(u.name, "unchanged").Inc()
			s.log.Info("no cycle: "+un.Error(), "dao", u.name)
			return
		case errors.As(err, &gu):
			s.metrics.skipped.WithLabelValues(u.name, "gave_up").Inc()
			s.log.Warn("no cycle: "+gu.Error(), "dao", u.name)
			u.setErr(gu.Error())
			return
		case ctx.Err() != nil:
			if r.row != nil && r.row.State.InFlight() {
				r.stopped(ctx)
			}
			return
		}
		cl := loop.Classify(err)
		s.metrics.errors.WithLabelValues(u.name, string(cl.Cause), cl.Kind.String()).Inc()
		if cl.Kind == loop.Transient && attempt < s.o.Retry.Attempts {
			if r.row == nil {
				r.tell(decision{err: fmt.Errorf("%w: %w", ErrRetrying, err)})
			}
			d := s.o.Retry.delay(attempt, u.rng)
			s.log.Warn("transient failure; retrying", "dao", u.name, "attempt", attempt, "cause", cl.Cause, "wait", d, "error", err)
			if s.o.Sleep(ctx, d) != nil {
				return
			}
			continue
		}
		msg := err.Error()
		if cl.Kind == loop.Transient {
			msg = fmt.Sprintf("%s (a %s failure, still failing after %d attempts; the next reconcile tries again)", msg, cl.Cause, attempt)
		}
		u.setErr(msg)
		if ferr := r.fail(ctx, msg); ferr != nil {
			s.log.Error("recording the cycle's failure failed", "dao", u.name, "error", ferr, "failure", msg)
			return
		}
		s.metrics.duration.WithLabelValues(u.name, "failed").Observe(s.o.Now().Sub(r.start).Seconds())
		s.log.Error("cycle failed", "dao", u.name, "cycle", r.row.ID, "kind", cl.Kind, "cause", cl.Cause, "error", msg)
		return
	}
}

// attempt runs the cycle once through loop, as attune run does: read,
// calibrate, search, verify, draft, write its directory, and attach its
// documents for review.
func (r *run) attempt(ctx context.Context) error {
	r.sims.Store(0)
	cfg := r.u.cfg
	// loop logs the DAO under "dao" where it has one; the config file
	// tells the DAOs of one service apart on every line.
	logger := r.s.log.With("config", r.u.file)
	env, err := loop.PrepareWith(ctx, cfg, logger, loop.SourceOptions{Stage: r.stage})
	if err != nil {
		return err
	}
	opt := r.s.o.Cycle
	opt.Stage = r.stage
	c, err := env.Cycle(ctx, r.u.drafter, opt)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err // write nothing a shutdown asked to stop
	}
	dir, err := c.Write(cfg.Out)
	if err != nil {
		return err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	rec, err := os.ReadFile(filepath.Join(dir, "recommendation.json"))
	if err != nil {
		return fmt.Errorf("attach the cycle's documents: %w", err)
	}
	prop, err := os.ReadFile(filepath.Join(dir, "proposal.json"))
	if err != nil {
		return fmt.Errorf("attach the cycle's documents: %w", err)
	}
	if err := r.advance(ctx, store.PendingReview, store.Change{Dir: dir, Recommendation: rec, Proposal: prop}); err != nil {
		return err
	}
	m, dao := r.s.metrics, r.u.name
	m.trials.WithLabelValues(dao).Add(float64(c.Recommendation.Method.Trials))
	m.simulations.WithLabelValues(dao).Add(float64(r.sims.Load()))
	if u := c.Proposal.Meta.Usage; u != nil && !c.Proposal.Meta.Cached {
		m.tokens.WithLabelValues(dao, "prompt").Add(float64(u.PromptTokens))
		m.tokens.WithLabelValues(dao, "completion").Add(float64(u.CompletionTokens))
		m.cost.WithLabelValues(dao).Add(u.CostUSD)
	}
	return nil
}

// stage records the stages loop enters.
func (r *run) stage(ctx context.Context, stage string, e *loop.Env) error {
	switch stage {
	case loop.StageCalibrating:
		return r.decide(ctx, e)
	case loop.StageOptimizing:
		// Count the simulations from here on: the search, the
		// verification and the assumption sweep.
		e.Instance = counting{Instance: e.Instance, n: &r.sims}
		return r.advance(ctx, store.Optimizing, store.Change{})
	case loop.StageDrafting:
		return r.advance(ctx, store.Drafting, store.Change{})
	}
	return nil
}

// decide, once the data are read, records the cycle with its key and
// moves it to calibrating, or says it need not run (*unchanged).
func (r *run) decide(ctx context.Context, e *loop.Env) error {
	cfgHash, inHash := loop.CycleKey(r.u.cfg, e.Observation, r.s.o.Cycle.Version)
	if r.row != nil && r.row.InputsHash != "" && r.row.InputsHash != inHash {
		if err := r.fail(ctx, fmt.Sprintf("superseded: the data changed while the cycle was stopped (inputs %.12s, now %.12s); a new cycle decides from the new data", r.row.InputsHash, inHash)); err != nil {
			return err
		}
		r.row = nil
	}
	if r.row == nil || r.row.InputsHash == "" {
		cs, err := r.s.store.Cycles(ctx, store.Filter{DAO: r.u.name, ConfigHash: cfgHash, InputsHash: inHash, States: decidedStates, Limit: 1})
		if err != nil {
			return err
		}
		if len(cs) > 0 {
			un := &unchanged{of: cs[0]}
			if r.row != nil {
				// A resumed cycle that had not read its data: the data
				// turn out decided already.
				if err := r.fail(ctx, un.Error()); err != nil {
					return err
				}
			} else {
				r.tell(decision{started: Started{Cycle: cs[0].ID, Unchanged: true}})
			}
			return un
		}
	}
	if r.row == nil && r.told == nil {
		// On its own (not on demand), a cycle does not run again what
		// the service gave up on, unless a later cycle of the same config
		// and data got through (checked above).
		cs, err := r.s.store.Cycles(ctx, store.Filter{DAO: r.u.name, ConfigHash: cfgHash, InputsHash: inHash, States: []store.State{store.Failed}, Limit: 1})
		if err != nil {
			return err
		}
		if len(cs) > 0 && strings.HasPrefix(cs[0].Error, gaveUpPrefix) {
			return &gaveUp{of: cs[0]}
		}
	}
	ch := store.Change{}
	if r.row == nil {
		c, err := r.s.store.CreateCycle(ctx, store.NewCycle{Actor: r.s.o.Actor, DAO: r.u.name, ConfigHash: cfgHash, InputsHash: inHash})
		if err != nil {
			return err
		}
		r.row = &c
		r.s.recorded(ctx, r.u, c)
		r.tell(decision{started: Started{Cycle: c.ID}})
	} else if r.row.InputsHash == "" {
		ch.InputsHash = inHash
	}
	return r.advance(ctx, store.Calibrating, ch)
}

// stopped marks the cycle, stopped by a cancelled ctx (a shutdown), as
// set down on purpose, so that its resumption does not count as after a
// death.
func (r *run) stopped(ctx context.Context) {
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if err := r.s.store.Mark(mctx, r.row.ID, store.Mark{Actor: r.s.o.Actor, Event: store.Stopped}); err != nil {
		r.s.log.Warn("marking the stopped cycle failed; its resumption will count as after a death", "dao", r.u.name, "cycle", r.row.ID, "error", err)
		return
	}
	r.s.log.Info("cycle stopped; it resumes when the DAO is next reconciled", "dao", r.u.name, "cycle", r.row.ID, "state", r.row.State)
}

// markTimeout bounds the mark of a cycle stopped by a shutdown.
const markTimeout = 10 * time.Second

// advance moves the cycle to state to, unless a resumed cycle is there
// or beyond already.
func (r *run) advance(ctx context.Context, to store.State, ch store.Change) error {
	if slices.Index(store.States, r.row.State) >= slices.Index(store.States, to) && ch.InputsHash == "" {
		return nil
	}
	ch.Actor = r.s.o.Actor
	c, err := r.s.store.Advance(ctx, r.row.ID, to, ch)
	if err != nil {
		return err
	}
	r.row = &c
	r.s.recorded(ctx, r.u, c)
	return nil
}

// fail moves the cycle to failed with msg, recording it first when it
// is not yet.
func (r *run) fail(ctx context.Context, msg string) error {
	if r.row == nil {
		c, err := r.s.store.CreateCycle(ctx, store.NewCycle{Actor: r.s.o.Actor, DAO: r.u.name, ConfigHash: r.u.cfgHash})
		if err != nil {
			return err
		}
		r.row = &c
		r.s.recorded(ctx, r.u, c)
	}
	c, err := r.s.store.Advance(ctx, r.row.ID, store.Failed, store.Change{Actor: r.s.o.Actor, Error: msg})
	if err != nil {
		return err
	}
	r.row = &c
	r.s.recorded(ctx, r.u, c)
	return nil
}

// counting is a calibrated model that counts its runs.
type counting struct {
	simulator.Instance
	n *atomic.Int64
}

func (c counting) Run(ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error) {
	c.n.Add(1)
	return c.Instance.Run(ctx, p, seed)
}
